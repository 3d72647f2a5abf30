// The access family on hostile roots made from debian12-accounts: 10 MB
// files, FIFOs and directories where files belong, and links leading out of
// the root. Each gives a verdict or an error naming the file; nothing of this
// machine's own files is read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::access {
namespace {

using testing::FixturePath;
using testing::TempDir;

class HostileRoot {
 public:
  HostileRoot() {
    std::filesystem::copy(FixturePath("debian12-accounts"), dir_.path(),
                          std::filesystem::copy_options::recursive);
  }
  std::string Path(const std::string& f) const { return dir_.Path(f); }
  void Replace(const std::string& file, const std::string& with) const {
    std::filesystem::remove_all(Path(file));
    if (with == "fifo") {
      ASSERT_EQ(::mkfifo(Path(file).c_str(), 0644), 0);
    } else if (with == "directory") {
      std::filesystem::create_directory(Path(file));
    } else if (with == "10MB") {
      std::ofstream(Path(file)) << std::string(10 << 20, 'x');
    } else {
      ASSERT_EQ(::symlink(with.c_str(), Path(file).c_str()), 0);
    }
  }
  std::map<std::string, Observation> Collect(const std::string& collector) const {
    return testing::CollectAllAt(collector, dir_.path());
  }
  const std::string& root() const { return dir_.path(); }

 private:
  TempDir dir_;
};

TEST(AccessHostileTest, BrokenFilesAreErrorsNamingThem) {
  struct Case {
    const char* file;
    const char* with;
    const char* collector;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {"etc/passwd", "10MB", "access.accounts", "/etc/passwd (in root "},
           {"etc/shadow", "fifo", "access.accounts", "not a regular file"},
           {"etc/sudoers", "directory", "access.sudo", "not a regular file"},
           {"etc/sudoers.d/90-deploy", "10MB", "access.sudo", "90-deploy (in root "},
           {"etc/pam.d/common-password", "fifo", "access.password_policy", "not a regular file"},
           {"etc/ssh/sshd_config", "10MB", "access.ssh_keys", "sshd_config"},
       }) {
    HostileRoot root;
    root.Replace(c.file, c.with);
    auto obs = root.Collect(c.collector);
    ASSERT_FALSE(obs.empty());
    for (const auto& [id, o] : obs) {
      EXPECT_EQ(o.verdict, Verdict::kError)
          << c.file << " " << c.with << " " << id << ": " << o.message;
      EXPECT_NE(o.message.find(c.says), std::string::npos) << o.message;
    }
  }
}

TEST(AccessHostileTest, LinksOutOfTheRootAreReadInsideIt) {
  HostileRoot root;
  // This machine's root keys, shadow and sudoers, by absolute and by "..".
  root.Replace("home/alice/.ssh/authorized_keys", "/root/.ssh/authorized_keys");
  root.Replace("home/bob/.ssh/authorized_keys",
               "../../../../../../../../root/.ssh/authorized_keys");
  root.Replace("etc/sudoers.d/escape", "/etc/sudoers.d/../../etc/host-only-sudoers");
  auto keys = root.Collect("access.ssh_keys")["access.ssh_keys"];
  ASSERT_EQ(keys.verdict, Verdict::kFail) << keys.message;
  for (const auto& k : keys.facts["keys"]) {
    EXPECT_NE(k["account"], "alice");  // the link resolves inside the root, to nothing
    EXPECT_NE(k["account"], "bob");
  }
  auto sudo = root.Collect("access.sudo");
  EXPECT_EQ(sudo["access.sudo"].verdict, Verdict::kInfo) << sudo["access.sudo"].message;
  EXPECT_EQ(sudo["access.sudo"].message, "6 sudo rule(s) from 3 file(s)");  // escape skipped
}

TEST(AccessHostileTest, AHundredThousandAccountsInLinearTime) {
  HostileRoot root;
  std::string passwd, shadow;
  for (int i = 0; i < 100000; ++i) {
    const std::string name = "u" + std::to_string(i);
    passwd += name + ":x:" + std::to_string(10000 + i) + ":100::/home/" + name + ":/bin/sh\n";
    shadow += name + ":!:20000:0:99999:7:::\n";
  }
  std::ofstream(root.Path("etc/passwd")) << passwd;
  std::ofstream(root.Path("etc/shadow")) << shadow;
  // 10^10 name comparisons if shadow were matched to passwd pair by pair;
  // the test's timeout is the bound, not a clock.
  auto obs = root.Collect("access.accounts");
  EXPECT_EQ(obs["access.accounts"].message, "100000 local account(s)");
  EXPECT_EQ(obs["access.accounts.empty_password"].verdict, Verdict::kPass);
}

}  // namespace
}  // namespace shoko::collectors::access
