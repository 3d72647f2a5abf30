// The logs family's scanners on strings: what they find, and the file and
// line of what they refuse.
#include "collectors/logs/log_scanners.h"

#include <gtest/gtest.h>

namespace shoko::collectors::logs {
namespace {

TEST(LogScannersTest, RsyslogLegacyRainerScriptAndGlobalTls) {
  auto r = ScanRsyslog(
      "*.* @@(o,z9)[2001:db8::1]:6514;RSYSLOG_SyslogProtocol23Format\r\n"
      "mail.* @mail.example # trailing comment @@ignored\n"
      "# *.* @commented.example\n"
      "global(DefaultNetstreamDriver=\"ossl\")\n"
      "action(type=\"omfwd\" template=\"t#(x)\" target=\"a.example\"\n"
      "       port=\"6514\" protocol=\"tcp\" StreamDriverMode=\"1\")\n"
      "action(type=\"omrelp\" target=\"r.example\" port=\"2514\")\n",
      "rsyslog.conf");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->tls_default);
  ASSERT_EQ(r->destinations.size(), 4u);
  EXPECT_EQ(r->destinations[0].target, "2001:db8::1");
  EXPECT_EQ(r->destinations[0].port, "6514");
  EXPECT_EQ(r->destinations[0].protocol, "tcp");
  EXPECT_EQ(r->destinations[1].target, "mail.example");
  EXPECT_EQ(r->destinations[1].line, 2);
  EXPECT_EQ(r->destinations[2].target, "a.example");
  EXPECT_EQ(r->destinations[2].line, 5);
  EXPECT_FALSE(r->destinations[2].tls.has_value());  // the default driver decides
  EXPECT_EQ(r->destinations[3].protocol, "relp");
  EXPECT_EQ(r->destinations[3].tls, false);
}

TEST(LogScannersTest, RefusalsNameFileAndLine) {
  EXPECT_EQ(ScanRsyslog("\n*.* @@\n", "r.conf").status().message(),
            "r.conf:2: forwarding action '@@' names no host");
  EXPECT_EQ(ScanRsyslog("\n\naction(type=\"omfwd\"\n", "r.conf").status().message(),
            "r.conf:3: action( is never closed");
  EXPECT_EQ(ScanRsyslog("action(" + std::string(70000, ' ') + ")", "r.conf").status().message(),
            "r.conf:1: action( is longer than 64 KiB");
  EXPECT_EQ(ScanSyslogNg("d {\n network(\"x\" port(1);\n", "ng.conf").status().message(),
            "ng.conf:2: network( is never closed");
  EXPECT_EQ(ScanNtpConfig("driftfile /x\npool\n", "chrony.conf").status().message(),
            "chrony.conf:2: 'pool' names no host");
  EXPECT_EQ(ParseAuditdConf("# c\n\nnum_logs 5\n", "auditd.conf").status().message(),
            "auditd.conf:3: not a 'key = value' line");
  AuditRules rules;
  EXPECT_EQ(ScanAuditRules("-w /etc/passwd -p wa\n-w\n", "a.rules", &rules).message(),
            "a.rules:2: -w without an argument");
  EXPECT_EQ(ScanAuditRules("-a always,exit -S -k x\n", "a.rules", &rules).message(),
            "a.rules:1: -S without an argument");
}

TEST(LogScannersTest, SyslogNgChronyAndAuditRules) {
  auto ng = ScanSyslogNg(
      "# destination old { tcp(\"old.example\"); };\n"
      "source s { syslog(); };\n"
      "destination d { syslog(\"s.example\" transport(\"tls\") port(6514)); };\n"
      "destination u { udp(\"10.0.0.9\"); };\n",
      "ng.conf");
  ASSERT_TRUE(ng.ok()) << ng.status().message();
  ASSERT_EQ(ng->size(), 2u);
  EXPECT_EQ((*ng)[0].target, "s.example");
  EXPECT_EQ((*ng)[0].port, "6514");
  EXPECT_EQ((*ng)[0].tls, true);
  EXPECT_EQ((*ng)[0].line, 3);
  EXPECT_EQ((*ng)[1].target, "10.0.0.9");
  EXPECT_EQ((*ng)[1].tls, false);

  auto chrony = ScanNtpConfig(
      "pool 2.debian.pool.ntp.org iburst\n! server old.example\nconfdir /etc/chrony/conf.d\n"
      "sourcedir /run/chrony-dhcp /etc/chrony/sources.d\ninclude /etc/chrony/extra/*.conf\n",
      "chrony.conf");
  ASSERT_TRUE(chrony.ok());
  EXPECT_EQ(chrony->servers, std::vector<std::string>{"2.debian.pool.ntp.org"});
  ASSERT_EQ(chrony->dirs.size(), 3u);
  EXPECT_EQ(chrony->dirs[2],
            (std::pair<std::string, std::string>{"/etc/chrony/sources.d", ".sources"}));
  EXPECT_EQ(chrony->includes, std::vector<std::string>{"/etc/chrony/extra/*.conf"});

  AuditRules rules;
  ASSERT_TRUE(ScanAuditRules("-a always,exit -F arch=b64 -S adjtimex,settimeofday -k t\n"
                             "-a always,exit -F dir=/etc/sudoers.d/ -F perm=wa\n",
                             "a.rules", &rules)
                  .ok());
  EXPECT_TRUE(rules.syscalls.contains("settimeofday"));
  EXPECT_TRUE(rules.paths.contains("/etc/sudoers.d/"));
}

}  // namespace
}  // namespace shoko::collectors::logs
