// logs.on_disk on a /var/log built with known ages and modes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::logs {
namespace {

using testing::TempDir;

void Age(const std::string& path, int days) {
  const auto now = std::chrono::system_clock::now() - std::chrono::hours(24 * days);
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  timeval times[2] = {{secs, 0}, {secs, 0}};
  ASSERT_EQ(::utimes(path.c_str(), times), 0) << path;
}

TEST(LogsOnDiskTest, FamiliesAgesAndExposedModes) {
  TempDir dir;
  for (const char* f :
       {"var/log/syslog", "var/log/syslog.1", "var/log/syslog.2.gz", "var/log/auth.log",
        "var/log/auth.log.1", "var/log/apt/history.log", "var/log/apt/history.log.1.gz",
        "var/log/app-20261101", "var/log/open.log", "var/log/apt/eipp.log.xz"}) {
    dir.Write(f, "x\n");
  }
  Age(dir.Path("var/log/syslog.2.gz"), 400);
  Age(dir.Path("var/log/syslog.1"), 200);
  Age(dir.Path("var/log/auth.log.1"), 10);
  Age(dir.Path("var/log/apt/history.log.1.gz"), 380);
  Age(dir.Path("var/log/app-20261101"), 500);
  ASSERT_EQ(::chmod(dir.Path("var/log/open.log").c_str(), 0666), 0);
  ASSERT_EQ(::symlink("/etc/shadow", dir.Path("var/log/link.log").c_str()), 0);

  auto env = platform::NewRootedEnv(dir.path());
  ASSERT_TRUE(env.ok());
  auto c = CollectorRegistry::Global().Create("logs.on_disk");
  ASSERT_NE(c, nullptr);
  auto obs = c->Collect({**env, controls::Baseline::BuiltIn(), nullptr, nullptr});
  ASSERT_EQ(obs.size(), 1u);
  std::map<std::string, nlohmann::json> families;
  for (const auto& f : obs[0].facts["families"]) families[f["family"]] = f;
  ASSERT_EQ(families.size(), 4u) << obs[0].facts.dump();  // eipp.log.xz is no rotation
  EXPECT_EQ(families["/var/log/syslog"]["rotated_files"], 2);
  EXPECT_EQ(families["/var/log/syslog"]["oldest_rotated_days"], 400);
  EXPECT_EQ(families["/var/log/syslog"]["meets_baseline"], true);
  EXPECT_EQ(families["/var/log/auth.log"]["meets_baseline"], false);
  EXPECT_EQ(families["/var/log/apt/history.log"]["oldest_rotated_days"], 380);
  EXPECT_EQ(families["/var/log/app"]["oldest_rotated_days"], 500);  // dateext
  ASSERT_EQ(obs[0].facts["exposed_files"].size(), 1u);
  EXPECT_EQ(obs[0].facts["exposed_files"][0]["path"], "/var/log/open.log");
  EXPECT_EQ(obs[0].facts["exposed_files"][0]["mode"], "0666");
  EXPECT_EQ(obs[0].verdict, Verdict::kFail);
  EXPECT_NE(obs[0].message.find("writable by anyone"), std::string::npos) << obs[0].message;
}

}  // namespace
}  // namespace shoko::collectors::logs
