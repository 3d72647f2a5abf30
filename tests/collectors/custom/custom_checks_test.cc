// Declarative checks: the shipped examples, what the loader refuses (file and
// line), and every rule type evaluated on a root built for it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "collectors/collector.h"
#include "collectors/custom/check_set.h"
#include "collectors/custom/custom_collector.h"
#include "controls/baseline.h"
#include "controls/catalog.h"
#include "platform/env.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::custom {
namespace {

using testing::TempDir;

std::string Examples() { return std::string(SHOKO_FIXTURES_DIR) + "/../../packaging/checks.d"; }

TEST(CustomChecksTest, ShippedExamplesLoad) {
  auto set = CheckSet::LoadDir(Examples(), controls::Catalog::BuiltIn());
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_GE(set->checks().size(), 25u);
  for (const CustomCheck& c : set->checks()) {
    bool ismap = false, nist = false;
    for (const std::string& r : c.controls) {
      ismap = ismap || r.starts_with("ismap:");
      nist = nist || r.starts_with("nist80053r5:");
    }
    EXPECT_TRUE(ismap && nist) << c.id << " maps to an ismap and a NIST control";
  }
}

TEST(CustomChecksTest, LoaderRefusalsNameFileAndLine) {
  const std::string head =
      "checks:\n  - id: x\n    title: t\n    rationale: r\n"
      "    controls: [ismap:8.9]\n    rules:\n";
  for (const auto& [body, expected] : std::vector<std::pair<std::string, std::string>>{
           {"      - {sysctl: a.b, compare: {op: eq, value: 1}, colour: red}\n",
            "c.yaml:7: unknown key 'colour' in sysctl rule"},
           {"      - {file: /etc/x, line: 'a(b'}\n", "c.yaml:7: line: bad regular expression"},
           {"      - {file: /etc/x, line: 'ab', compare: {op: eq, value: 1}}\n",
            "c.yaml:7: line: a compare needs a capture group"},
           {"      - {sysctl: a.b}\n", "c.yaml:7: sysctl rule without 'compare'"},
           {"      - {file: /etc/x, mode_max: '0999'}\n", "c.yaml:7: mode_max: an octal mode"},
           {"      - {file: etc/x, exists: true}\n", "c.yaml:7: file: an absolute path"},
           {"      - {keyvalue: /etc/x, format: toml, key: a}\n",
            "c.yaml:7: format: expected sshd, space, equals, ini or shell"},
           {"      - {port: 70000, listening: false}\n", "c.yaml:7: port: at most 65535"},
           {"      - {sysctl: a, compare: {op: about, value: 1}}\n",
            "c.yaml:7: op: expected eq, ne, lt, le, gt, ge or in"},
           {"      - {run: /bin/true}\n",
            "c.yaml:7: a rule names one of file, line (with file), keyvalue, sysctl"},
       }) {
    auto set = CheckSet::Parse(head + body, "c.yaml", controls::Catalog::BuiltIn());
    ASSERT_FALSE(set.ok()) << body;
    EXPECT_EQ(set.status().message().substr(0, expected.size()), expected)
        << set.status().message();
  }
  auto unknown = CheckSet::Parse(
      "checks:\n  - id: x\n    title: t\n    rationale: r\n    controls: [ismap:9.9]\n"
      "    rules: [{sysctl: a, compare: {value: 1}}]\n",
      "c.yaml", controls::Catalog::BuiltIn());
  EXPECT_EQ(unknown.status().message().substr(0, 46),
            "c.yaml:5: x: ismap:9.9 is not in the catalog (");
  TempDir dir;
  const std::string one =
      "checks:\n  - id: dup\n    title: t\n    rationale: r\n"
      "    controls: [ismap:8.9]\n    rules: [{sysctl: a, compare: {value: 1}}]\n";
  dir.Write("checks.d/a.yaml", one);
  dir.Write("checks.d/b.yaml", one);
  dir.Write("checks.d/c.yaml.disabled", "not: loaded\n");
  auto dup = CheckSet::LoadDir(dir.Path("checks.d"), controls::Catalog::BuiltIn());
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), dir.Path("checks.d/b.yaml") +
                                        ":2: check dup is also defined at " +
                                        dir.Path("checks.d/a.yaml") + ":2");
  EXPECT_TRUE(CheckSet::LoadDir(dir.Path("none"), controls::Catalog::BuiltIn()).ok());
}

// A host tree with one answer for every example check.
class HostRoot {
 public:
  HostRoot() {
    auto sysctl = [&](const std::string& key, const std::string& value) {
      std::string path = "proc/sys/" + key;
      for (size_t i = 9; i < path.size(); ++i) path[i] = path[i] == '.' ? '/' : path[i];
      dir_.Write(path, value + "\n");
    };
    sysctl("kernel.randomize_va_space", "2");
    sysctl("fs.suid_dumpable", "2");  // fails
    sysctl("kernel.yama.ptrace_scope", "1");
    sysctl("kernel.dmesg_restrict", "1");
    sysctl("kernel.kptr_restrict", "1");
    sysctl("net.ipv4.ip_forward", "1");  // fails
    sysctl("net.ipv4.conf.all.accept_redirects", "0");
    sysctl("net.ipv4.conf.default.accept_redirects", "0");
    sysctl("net.ipv6.conf.all.accept_redirects", "0");
    sysctl("net.ipv4.conf.all.accept_source_route", "0");
    sysctl("net.ipv4.tcp_syncookies", "1");
    sysctl("net.ipv4.conf.all.rp_filter", "2");
    sysctl("net.ipv4.conf.all.log_martians", "0");  // fails
    dir_.Write("var/lib/dpkg/status",
               "Package: aide\nStatus: install ok installed\nVersion: 0.18.3-1\n"
               "Architecture: amd64\n\nPackage: auditd\nStatus: deinstall ok config-files\n"
               "Version: 1:3.0.9-1\nArchitecture: amd64\n\nPackage: telnetd\n"
               "Status: install ok installed\nVersion: 0.17+2.4-2\nArchitecture: amd64\n\n");
    dir_.Write("etc/systemd/system/timers.target.wants/.keep", "");
    link("/lib/systemd/system/dailyaidecheck.timer",
         "etc/systemd/system/timers.target.wants/dailyaidecheck.timer");
    dir_.Write("etc/systemd/system/multi-user.target.wants/.keep", "");
    link("/lib/systemd/system/nftables.service",
         "etc/systemd/system/multi-user.target.wants/nftables.service");
    link("/dev/null", "etc/systemd/system/ufw.service");  // masked
    dir_.Write("sys/fs/cgroup/system.slice/nftables.service/cgroup.procs", "512\n");
    // telnet listening on 0.0.0.0:23; sshd on 22; a connected socket to 21.
    dir_.Write(
        "proc/net/tcp",
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
        "   0: 00000000:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
        "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
        "   2: 0100007F:9C40 0100007F:0015 01 00000000:00000000 00:00000000 00000000  1000\n");
    dir_.Write("proc/net/tcp6", "  sl  local_address remote_address st\n");
    dir_.Write("proc/net/udp",
               "  sl  local_address rem_address   st\n"
               "   0: 00000000:00A1 00000000:0000 07 00000000:00000000 00:00000000 00000000 0\n");
    dir_.Write("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    dir_.Write("etc/group", "root:x:0:\n");
    dir_.Write("etc/cron.allow", "root\n");
    ::chmod(dir_.Path("etc/cron.allow").c_str(), 0600);
    dir_.Write("etc/fstab",
               "# /tmp on tmpfs\nUUID=1 / ext4 defaults 0 1\ntmpfs /tmp tmpfs nosuid 0 0\n");
    dir_.Write("etc/crypttab", "# <target name> <source device> <key file> <options>\n");
    dir_.Write("etc/login.defs", "UMASK\t\t022\nUMASK 027\n");  // the first wins: fails
    dir_.Write("etc/profile", "# idle logout\nreadonly TMOUT=600\nexport TMOUT\n");
    dir_.Write("etc/systemd/journald.conf", "[Journal]\n#Compress=yes\n");
    dir_.Write("etc/rsyslog.conf", "$FileCreateMode 0644\n");  // fails
  }
  const std::string& path() const { return dir_.path(); }

 private:
  void link(const std::string& target, const std::string& name) {
    ASSERT_EQ(::symlink(target.c_str(), dir_.Path(name).c_str()), 0) << name;
  }
  TempDir dir_;
};

std::map<std::string, Observation> Evaluate(const std::string& root, const CheckSet& set) {
  auto env = platform::NewRootedEnv(root);
  EXPECT_TRUE(env.ok());
  CollectContext ctx{**env, controls::Baseline::BuiltIn(), nullptr, nullptr};
  std::map<std::string, Observation> out;
  for (Observation& o : CustomCollector(set).Collect(ctx)) {
    out[o.check_id] = std::move(o);
  }
  return out;
}

TEST(CustomChecksTest, EveryExampleOnABuiltRoot) {
  auto set = CheckSet::LoadDir(Examples(), controls::Catalog::BuiltIn());
  ASSERT_TRUE(set.ok());
  HostRoot root;
  auto obs = Evaluate(root.path(), *set);
  std::map<std::string, std::string> verdicts;
  for (const auto& [id, o] : obs) verdicts[id] = std::string(VerdictName(o.verdict));
  const std::map<std::string, std::string> expected = {
      {"custom.kernel.aslr", "pass"},
      {"custom.kernel.core_dumps_restricted", "fail"},
      {"custom.kernel.ptrace_restricted", "pass"},
      {"custom.kernel.dmesg_restricted", "pass"},
      {"custom.kernel.kptr_restricted", "pass"},
      {"custom.net.ip_forwarding_off", "fail"},
      {"custom.net.redirects_ignored", "pass"},
      {"custom.net.ipv6_redirects_ignored", "pass"},
      {"custom.net.source_routing_off", "pass"},
      {"custom.net.syn_cookies", "pass"},
      {"custom.net.reverse_path_filter", "pass"},
      {"custom.net.martians_logged", "fail"},
      {"custom.aide.installed", "pass"},
      {"custom.aide.scheduled", "pass"},
      {"custom.audit.installed", "fail"},  // auditd removed, config kept
      {"custom.firewall.enabled", "pass"},
      {"custom.services.no_telnet_listening", "fail"},
      {"custom.services.no_ftp_listening", "pass"},  // a connection to 21 is no listener
      {"custom.services.no_rpcbind_listening", "pass"},
      {"custom.services.no_snmp_listening", "fail"},
      {"custom.services.no_legacy_remote_shells", "fail"},  // telnetd
      {"custom.cron.allow_restricted", "pass"},
      {"custom.at.allow_restricted", "pass"},  // at is not installed
      {"custom.tmp.separate_partition", "pass"},
      {"custom.disk.encryption_configured", "fail"},  // comments only
      {"custom.login.umask_strict", "fail"},
      {"custom.shell.idle_timeout", "pass"},
      {"custom.journald.compressed", "pass"},
      {"custom.rsyslog.file_create_mode", "fail"},
  };
  EXPECT_EQ(verdicts, expected);
  const Observation& t = obs["custom.services.no_telnet_listening"];
  EXPECT_EQ(t.message, "Nothing listens on the telnet port: tcp/23 is listening");
  EXPECT_EQ(t.controls, (std::vector<std::string>{"ismap:8.20", "ismap:8.21", "nist80053r5:CM-7"}));
  EXPECT_EQ(obs["custom.login.umask_strict"].facts["rules"][0]["detail"],
            "UMASK is 022, not in 027, 077");
  EXPECT_EQ(obs["custom.shell.idle_timeout"].facts["rules"][0]["detail"], "/etc/profile:2 is 600");
}

TEST(CustomChecksTest, VersionsUnitsAndUnobservableThings) {
  HostRoot root;
  auto set = CheckSet::Parse(
      "checks:\n"
      "  - {id: v1, title: t, rationale: r, controls: [ismap:8.8], rules: "
      "[{package: aide, version: {op: ge, value: '0.17'}}]}\n"
      "  - {id: v2, title: t, rationale: r, controls: [ismap:8.8], rules: "
      "[{package: aide, version: {op: ge, value: '1:0.1'}}]}\n"
      "  - {id: masked, title: t, rationale: r, controls: [ismap:8.20], rules: "
      "[{unit: ufw.service, enabled: true}]}\n"
      "  - {id: running, title: t, rationale: r, controls: [ismap:8.20], rules: "
      "[{unit: nftables.service, running: true}, {unit: ufw.service, running: false}]}\n"
      "  - {id: nosuch, title: t, rationale: r, controls: [ismap:8.9], rules: "
      "[{sysctl: vm.nothing, compare: {value: 1}}]}\n"
      "  - {id: anyerr, title: t, rationale: r, controls: [ismap:8.9], condition: any, rules: "
      "[{sysctl: vm.nothing, compare: {value: 1}}, {sysctl: kernel.aslr.none, compare: {value: 1}},"
      " {file: /etc/fstab, exists: true}]}\n",
      "v.yaml", controls::Catalog::BuiltIn());
  ASSERT_TRUE(set.ok()) << set.status().message();
  auto obs = Evaluate(root.path(), *set);
  EXPECT_EQ(obs["custom.v1"].verdict, Verdict::kPass);
  EXPECT_EQ(obs["custom.v2"].verdict, Verdict::kFail);  // dpkg order: an epoch wins
  EXPECT_EQ(obs["custom.masked"].message, "t: ufw.service is masked");
  EXPECT_EQ(obs["custom.running"].verdict, Verdict::kPass) << obs["custom.running"].message;
  EXPECT_EQ(obs["custom.nosuch"].verdict, Verdict::kError);
  EXPECT_NE(obs["custom.nosuch"].message.find("vm.nothing is not observable here"),
            std::string::npos);
  // An error does not decide an "any" that another rule already satisfies.
  EXPECT_EQ(obs["custom.anyerr"].verdict, Verdict::kPass) << obs["custom.anyerr"].message;
}

// format sshd reads the effective configuration as access.sshd does:
// Includes (the first value wins), OpenSSH's defaults, and Match blocks.
TEST(CustomChecksTest, SshdFormatReadsTheEffectiveConfiguration) {
  TempDir root;
  root.Write("etc/ssh/sshd_config",
             "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n"
             "PasswordAuthentication no\nMatch User backup\n  PasswordAuthentication yes\n");
  root.Write("etc/ssh/sshd_config.d/50-site.conf", "PermitRootLogin prohibit-password\n");
  // One check per rule, each reading sshd_config.
  std::string yaml = "checks:\n";
  for (const auto& [id, rule] : std::vector<std::pair<std::string, std::string>>{
           {"root", "key: PermitRootLogin, compare: {op: eq, value: prohibit-password}"},
           {"passwords", "key: PasswordAuthentication, compare: {op: eq, value: 'no'}"},
           {"tries", "key: MaxAuthTries, compare: {as: number, op: le, value: 4}"},
           {"banner", "key: Banner, expect: absent"}}) {
    yaml += "  - {id: " + id + ", title: t, rationale: r, controls: [ismap:8.5], rules: " +
            "[{keyvalue: /etc/ssh/sshd_config, format: sshd, " + rule + "}]}\n";
  }
  auto set = CheckSet::Parse(yaml, "s.yaml", controls::Catalog::BuiltIn());
  ASSERT_TRUE(set.ok()) << set.status().message();
  auto obs = Evaluate(root.path(), *set);
  // The drop-in comes first and wins; its value is compared as sshd -T spells it.
  EXPECT_EQ(obs["custom.root"].verdict, Verdict::kPass) << obs["custom.root"].message;
  EXPECT_EQ(obs["custom.passwords"].verdict, Verdict::kFail);
  EXPECT_EQ(obs["custom.passwords"].facts["rules"][0]["detail"],
            "PasswordAuthentication in Match User backup (/etc/ssh/sshd_config:4) is yes, not "
            "eq no");
  EXPECT_EQ(obs["custom.tries"].facts["rules"][0]["detail"], "MaxAuthTries is 6, not le 4");
  EXPECT_EQ(obs["custom.banner"].verdict, Verdict::kPass);
}

}  // namespace
}  // namespace shoko::collectors::custom
