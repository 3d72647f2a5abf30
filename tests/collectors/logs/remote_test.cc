// logs.remote on rsyslog, syslog-ng and journal-upload configurations.
#include <gtest/gtest.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::logs {
namespace {

using testing::TempDir;

Observation Collect(const std::string& root) { return testing::CollectOneAt("logs.remote", root); }

TEST(LogsRemoteTest, RsyslogLegacyAndRainerScriptForwarding) {
  TempDir dir;
  dir.Write("etc/rsyslog.conf",
            "# *.* @commented.example\n$DefaultNetstreamDriver gtls\n*.* @@logs.example:6514\n"
            "auth.* @udp.example\n");
  dir.Write("etc/rsyslog.d/50-fwd.conf",
            "action(type=\"omfwd\" target=\"siem.example\" port=\"6514\" protocol=\"tcp\"\n"
            "       StreamDriver=\"gtls\" StreamDriverMode=\"1\")\n"
            "action(type=\"omfile\" file=\"/var/log/local.log\")\n");
  Observation obs = Collect(dir.path());
  ASSERT_EQ(obs.verdict, Verdict::kPass) << obs.message;
  const auto& d = obs.facts["destinations"];
  ASSERT_EQ(d.size(), 3u) << d.dump();
  EXPECT_EQ(d[0]["target"], "logs.example");
  EXPECT_EQ(d[0]["port"], "6514");
  EXPECT_EQ(d[0]["protocol"], "tcp");
  EXPECT_EQ(d[0]["tls"], true);  // the default netstream driver is gtls
  EXPECT_EQ(d[1]["target"], "udp.example");
  EXPECT_EQ(d[1]["tls"], false);
  EXPECT_EQ(d[2]["target"], "siem.example");
  EXPECT_EQ(d[2]["tls"], true);
}

TEST(LogsRemoteTest, SyslogNgJournalUploadAndNothing) {
  TempDir ng;
  ng.Write("etc/syslog-ng/syslog-ng.conf",
           "destination d_remote { network(\"10.0.0.5\" port(6514) transport(\"tls\")); };\n"
           "log { source(s_src); destination(d_remote); };\n");
  Observation a = Collect(ng.path());
  ASSERT_EQ(a.verdict, Verdict::kPass);
  EXPECT_EQ(a.facts["destinations"][0]["target"], "10.0.0.5");
  EXPECT_EQ(a.facts["destinations"][0]["tls"], true);

  TempDir upload;
  upload.Write("etc/systemd/journal-upload.conf",
               "[Upload]\nURL=https://collector.example:19532\n");
  upload.Write("etc/systemd/system/multi-user.target.wants/.keep", "");
  ASSERT_EQ(::symlink("/lib/systemd/system/systemd-journal-upload.service",
                      upload
                          .Path("etc/systemd/system/multi-user.target.wants/"
                                "systemd-journal-upload.service")
                          .c_str()),
            0);
  Observation b = Collect(upload.path());
  ASSERT_EQ(b.verdict, Verdict::kPass) << b.message;
  EXPECT_EQ(b.facts["destinations"][0]["via"], "systemd-journal-upload");
  EXPECT_EQ(b.facts["destinations"][0]["tls"], true);

  TempDir local;
  local.Write("etc/rsyslog.conf", "*.* /var/log/syslog\n");
  Observation c = Collect(local.path());
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.message.find("no log forwarding"), std::string::npos);
}

}  // namespace
}  // namespace shoko::collectors::logs
