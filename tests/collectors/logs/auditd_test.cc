// logs.auditd on rule sets that watch everything, and on ones that do not.
#include <gtest/gtest.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::logs {
namespace {

using testing::TempDir;

Observation Collect(const std::string& root) { return testing::CollectOneAt("logs.auditd", root); }

TEST(LogsAuditdTest, SettingsWatchesAndEnablement) {
  TempDir dir;
  dir.Write("etc/audit/auditd.conf",
            "log_file = /var/log/audit/audit.log\nmax_log_file = 8\nnum_logs = 5\n"
            "max_log_file_action = ROTATE\ndisk_full_action = SUSPEND\n");
  dir.Write("etc/audit/rules.d/50-identity.rules",
            "-w /etc/passwd -p wa -k identity\n-w /etc/sudoers -p wa -k scope\n"
            "-a always,exit -F arch=b64 -S adjtimex,settimeofday -k time-change\n"
            "-a always,exit -F path=/var/log/lastlog -F perm=wa -k logins\n");
  dir.Write("etc/systemd/system/multi-user.target.wants/.keep", "");
  ASSERT_EQ(
      ::symlink("/lib/systemd/system/auditd.service",
                dir.Path("etc/systemd/system/multi-user.target.wants/auditd.service").c_str()),
      0);
  Observation all = Collect(dir.path());
  EXPECT_EQ(all.verdict, Verdict::kPass) << all.message;
  EXPECT_EQ(all.facts["settings"]["num_logs"], "5");
  EXPECT_EQ(all.facts["settings"]["max_log_file_action"], "ROTATE");
  for (const char* topic : {"identity", "sudoers", "logins", "time_change"}) {
    EXPECT_EQ(all.facts["watched"][topic], true) << topic;
  }
  dir.Write("etc/audit/rules.d/50-identity.rules", "# -w /etc/passwd -p wa\n-w /etc/group -p wa\n");
  Observation some = Collect(dir.path());
  EXPECT_EQ(some.verdict, Verdict::kFail);
  EXPECT_NE(some.message.find("no audit rule watches sudoers, logins, time_change"),
            std::string::npos)
      << some.message;

  TempDir none;
  none.Write("etc/hostname", "h\n");
  Observation absent = Collect(none.path());
  EXPECT_EQ(absent.verdict, Verdict::kFail);
  EXPECT_NE(absent.message.find("auditd is not installed"), std::string::npos);
}

}  // namespace
}  // namespace shoko::collectors::logs
