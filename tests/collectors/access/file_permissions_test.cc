// access.file_permissions on a root built with known modes and owners.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::access {
namespace {

using testing::TempDir;

TEST(FilePermissionsTest, ModesOwnersSetsAndLinks) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the files must belong to uid 0 and gid 42";
  TempDir dir;
  dir.Write("etc/passwd", "root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  dir.Write("etc/group", "root:x:0:\nshadow:x:42:\nalice:x:1000:\n");
  dir.Write("etc/shadow", "root:!:1:0:99999:7:::\n");
  dir.Write("etc/gshadow", "root:*::\n");
  dir.Write("etc/sudoers", "root ALL=(ALL) ALL\n@includedir /etc/sudoers.d\n");
  dir.Write("etc/sudoers.d/ops", "alice ALL=(ALL) ALL\n");
  dir.Write("etc/ssh/sshd_config", "HostKey /etc/ssh/key_a\nHostKey /etc/ssh/key_b\n");
  dir.Write("etc/ssh/key_a", "k");
  dir.Write("etc/ssh/key_b", "k");
  dir.Write("etc/crontab", "# m h dom mon dow user command\n");
  auto mode = [&](const char* f, mode_t m) { ASSERT_EQ(::chmod(dir.Path(f).c_str(), m), 0) << f; };
  mode("etc/passwd", 0644);
  mode("etc/group", 0664);  // group-writable
  mode("etc/shadow", 0640);
  ASSERT_EQ(::chown(dir.Path("etc/shadow").c_str(), 0, 42), 0);  // root:shadow, as Debian
  mode("etc/gshadow", 0000);                                     // as RHEL
  mode("etc/sudoers", 0440);
  mode("etc/sudoers.d/ops", 0644);  // an include, too open
  mode("etc/ssh/sshd_config", 0600);
  mode("etc/ssh/key_a", 0600);
  mode("etc/ssh/key_b", 0644);                                        // a readable private key
  ASSERT_EQ(::chown(dir.Path("etc/ssh/key_a").c_str(), 1000, 0), 0);  // alice's
  mode("etc/crontab", 0600);
  ASSERT_EQ(::mkdir(dir.Path("etc/cron.d").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/tmp", dir.Path("etc/cron.daily").c_str()), 0);

  Observation o = shoko::testing::CollectOneAt("access.file_permissions", dir.path());
  EXPECT_EQ(o.verdict, Verdict::kFail);
  EXPECT_EQ(o.message,
            "/etc/group: mode 0664 exceeds 0644; /etc/sudoers.d/ops: mode 0644 exceeds 0440; "
            "/etc/ssh/key_a: owned by alice; /etc/ssh/key_b: mode 0644 exceeds 0640; "
            "/etc/cron.d: mode 0755 exceeds 0700; /etc/cron.daily: is a symbolic link, mode 0777 "
            "exceeds 0700");
  std::map<std::string, nlohmann::json> files;
  for (const auto& f : o.facts["files"]) files[f["path"]] = f;
  EXPECT_EQ(files["/etc/shadow"]["group"], "shadow");
  EXPECT_EQ(files["/etc/gshadow"]["mode"], "0000");
  EXPECT_FALSE(files["/etc/gshadow"].contains("problem"));
  EXPECT_EQ(files.size(), 12u);  // cron.hourly, weekly and monthly are absent
}

}  // namespace
}  // namespace shoko::collectors::access
