#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "collectors/access/sshd_config.h"
#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::access {
namespace {

using testing::FixturePath;

std::unique_ptr<platform::Env> EnvFor(const std::string& fixture) {
  auto env = platform::NewRootedEnv(FixturePath(fixture));
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(env).value();
}

std::vector<Observation> Collect(const std::string& fixture) {
  auto env = EnvFor(fixture);
  auto collector = CollectorRegistry::Global().Create("access.sshd");
  EXPECT_NE(collector, nullptr);
  return collector->Collect({*env, controls::Baseline::BuiltIn()});
}

const Observation& Find(const std::vector<Observation>& obs, const std::string& check_id) {
  for (const Observation& o : obs) {
    if (o.check_id == check_id) return o;
  }
  ADD_FAILURE() << "no observation " << check_id;
  static Observation none;
  return none;
}

TEST(SshdConfigTest, DropInIncludedBeforeMainFileWins) {
  auto env = EnvFor("debian12-sshd");
  auto config = LoadSshdConfig(*env);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->files, (std::vector<std::string>{"/etc/ssh/sshd_config",
                                                     "/etc/ssh/sshd_config.d/50-hardening.conf"}));
  EXPECT_EQ(config->effective["permitrootlogin"], "no");
  EXPECT_EQ(config->effective["x11forwarding"], "no");  // the drop-in came first
  EXPECT_EQ(config->effective["logingracetime"], "60");
  EXPECT_EQ(config->effective["usepam"], "yes");
  EXPECT_EQ(config->effective["acceptenv"], nlohmann::json::array({"LANG", "LC_*"}));
  EXPECT_EQ(config->effective["subsystem"],
            nlohmann::json::array({"sftp /usr/lib/openssh/sftp-server"}));
}

TEST(SshdConfigTest, DefaultsFillUnsetKeywords) {
  auto env = EnvFor("sshd-defaults");
  auto config = LoadSshdConfig(*env);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->effective["permitrootlogin"], "without-password");
  EXPECT_EQ(config->effective["maxauthtries"], "6");
}

TEST(SshdConfigTest, FirstValueWins) {
  auto env = EnvFor("sshd-first-wins");
  auto config = LoadSshdConfig(*env);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->effective["permitrootlogin"], "yes");
  EXPECT_EQ(config->effective["maxauthtries"], "3");
  EXPECT_EQ(config->effective["logingracetime"], "120");
  EXPECT_EQ(config->effective["clientaliveinterval"], "300");
  EXPECT_EQ(config->effective["passwordauthentication"], "no");
}

TEST(SshdConfigTest, MatchBlocksStayOutOfTheGlobalResult) {
  auto env = EnvFor("sshd-match");
  auto config = LoadSshdConfig(*env);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->effective["permitrootlogin"], "no");
  EXPECT_EQ(config->effective["x11forwarding"], "no");
  EXPECT_EQ(config->effective["maxauthtries"], "4");  // after "Match all"
  ASSERT_EQ(config->match_blocks.size(), 1u);
  EXPECT_EQ(config->match_blocks[0].criteria, "Address 10.0.0.0/8");
  EXPECT_EQ(config->match_blocks[0].line, 4);
  EXPECT_EQ(config->match_blocks[0].overrides["permitrootlogin"], "yes");
}

TEST(SshdConfigTest, IncludeLoopIsAnError) {
  auto env = EnvFor("sshd-include-loop");
  auto config = LoadSshdConfig(*env);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("too many nested Includes"), std::string::npos);
}

// The observation and one rule record per baseline question.
constexpr size_t kRecords = 15;

TEST(SshdCollectorTest, HardenedHostPasses) {
  auto obs = Collect("debian12-sshd");
  ASSERT_EQ(obs.size(), kRecords);
  const Observation& config = Find(obs, "access.sshd");
  EXPECT_EQ(config.verdict, Verdict::kInfo);
  EXPECT_EQ(config.facts["effective"]["permitrootlogin"], "no");
  ASSERT_EQ(config.artifacts.size(), 2u);
  EXPECT_EQ(config.artifacts[0].path, "/etc/ssh/sshd_config");
  EXPECT_EQ(config.artifacts[0].sha256.size(), 32u);
  const Observation& rule = Find(obs, "access.sshd.permit_root_login");
  EXPECT_EQ(rule.verdict, Verdict::kPass);
  EXPECT_EQ(rule.observation_check_id, "access.sshd");
  EXPECT_EQ(rule.facts["permitrootlogin"], "no");
  EXPECT_EQ(rule.expected["allowed"], nlohmann::json::array({"no"}));
}

TEST(SshdCollectorTest, DefaultRootLoginFails) {
  auto obs = Collect("sshd-defaults");
  const Observation& rule = Find(obs, "access.sshd.permit_root_login");
  EXPECT_EQ(rule.verdict, Verdict::kFail);
  EXPECT_EQ(rule.message, "PermitRootLogin is without-password: baseline allows no");
}

TEST(SshdCollectorTest, EveryRuleOnOpenSshDefaults) {
  std::map<std::string, std::string> verdicts;
  for (const Observation& o : Collect("sshd-defaults")) {
    verdicts[o.check_id] = std::string(VerdictName(o.verdict)) + ": " + o.message;
  }
  const std::map<std::string, std::string> expected = {
      {"access.sshd", "info: effective sshd configuration from 1 file(s)"},
      {"access.sshd.permit_root_login",
       "fail: PermitRootLogin is without-password: baseline allows no"},
      {"access.sshd.password_authentication",
       "fail: PasswordAuthentication is yes: baseline allows no"},
      {"access.sshd.permit_empty_passwords", "pass: PermitEmptyPasswords is no"},
      {"access.sshd.max_auth_tries", "fail: MaxAuthTries is 6: baseline asks for at most 4"},
      {"access.sshd.hostbased_authentication", "pass: HostbasedAuthentication is no"},
      {"access.sshd.ignore_rhosts", "pass: IgnoreRhosts is yes"},
      {"access.sshd.permit_user_environment", "pass: PermitUserEnvironment is no"},
      {"access.sshd.x11_forwarding", "pass: X11Forwarding is no"},
      {"access.sshd.login_grace_time", "fail: LoginGraceTime is 120: baseline asks for 1 to 60"},
      {"access.sshd.client_alive_interval",
       "fail: ClientAliveInterval is 0: baseline asks for 1 to 300"},
      {"access.sshd.log_level", "pass: LogLevel is INFO"},
      {"access.sshd.ciphers",
       "pass: Ciphers is chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
       "aes128-gcm@openssh.com,aes256-gcm@openssh.com"},
      {"access.sshd.macs",
       "fail: MACs is umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh."
       "com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@"
       "openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1: the baseline forbids "
       "umac-64-etm@openssh.com, umac-64@openssh.com"},
      {"access.sshd.kex_algorithms",
       "pass: KexAlgorithms is sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
       "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
       "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
       "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"},
  };
  EXPECT_EQ(verdicts, expected);
}

TEST(SshdCollectorTest, AMatchBlockGrantingWhatTheGlobalRefusesFails) {
  auto obs = Collect("sshd-match");
  const Observation& root = Find(obs, "access.sshd.permit_root_login");
  EXPECT_EQ(root.verdict, Verdict::kFail);
  EXPECT_EQ(root.message,
            "Match Address 10.0.0.0/8 (/etc/ssh/sshd_config:4) sets yes: baseline allows no");
  EXPECT_EQ(root.facts["permitrootlogin"], "no");
  EXPECT_EQ(root.facts["match_blocks"][0]["value"], "yes");
}

TEST(SshdCollectorTest, AlgorithmListsInEveryForm) {
  auto obs = Collect("sshd-crypto");
  const Observation& config = Find(obs, "access.sshd");
  // "-*-cbc,3des*" from the default removes nothing it has; the later
  // "Ciphers" line loses to the first.
  EXPECT_EQ(config.facts["effective"]["ciphers"],
            "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
            "aes256-gcm@openssh.com");
  const Observation& kex = Find(obs, "access.sshd.kex_algorithms");
  EXPECT_EQ(kex.verdict, Verdict::kFail);
  EXPECT_NE(kex.message.find("the baseline forbids diffie-hellman-group14-sha1"), std::string::npos)
      << kex.message;
  EXPECT_EQ(Find(obs, "access.sshd.log_level").verdict, Verdict::kPass);  // VERBOSE
  EXPECT_EQ(Find(obs, "access.sshd.client_alive_interval").message, "ClientAliveInterval is 300");
}

TEST(SshdCollectorTest, MissingSshdIsNotApplicable) {
  auto obs = Collect("no-sshd");
  ASSERT_EQ(obs.size(), kRecords);
  for (const Observation& o : obs) {
    EXPECT_EQ(o.verdict, Verdict::kNotApplicable) << o.check_id;
    EXPECT_NE(o.message.find("sshd is not installed"), std::string::npos);
  }
}

TEST(SshdCollectorTest, BrokenConfigIsAnErrorNamingFileAndLine) {
  auto obs = Collect("sshd-bad-quote");
  ASSERT_EQ(obs.size(), kRecords);
  for (const Observation& o : obs) {
    EXPECT_EQ(o.verdict, Verdict::kError) << o.check_id;
    EXPECT_EQ(o.message, "/etc/ssh/sshd_config:3: unterminated quote in banner");
  }
}

TEST(SshdCollectorTest, BaselineDecidesWhatIsAllowed) {
  auto baseline = controls::Baseline::Parse(
      "id: lenient\nversion: '1'\nvalues:\n  access.sshd.permit_root_login:\n"
      "    allowed: [no, prohibit-password]\n    rationale: r\n    source: operator policy\n",
      "b.yaml");
  ASSERT_TRUE(baseline.ok()) << baseline.status().ToString();
  auto env = EnvFor("sshd-defaults");
  auto obs = CollectorRegistry::Global().Create("access.sshd")->Collect({*env, *baseline});
  EXPECT_EQ(Find(obs, "access.sshd.permit_root_login").verdict, Verdict::kPass);
}

// Oracle: OpenSSH's own `sshd -T` must print the same values as `effective`
// for every keyword shoko judges, and must refuse exactly the files shoko
// reports as errors. sshd reads Includes from the real /etc/ssh, so it runs in
// a private mount namespace with the fixture bound over /etc/ssh.
class SshdOracle {
 public:
  // Empty when the oracle can run here; else why not (the caller skips).
  static std::string Unavailable() {
    if (::geteuid() != 0 || ::access("/usr/sbin/sshd", X_OK) != 0) {
      return "the sshd -T oracle needs root and /usr/sbin/sshd (the test command installs "
             "openssh-server and CI runs as root)";
    }
    auto ns = testing::RunCommand({"unshare", "-m", "true"});
    if (ns.exit_code != 0) return "cannot make a private mount namespace here: " + ns.err;
    return "";
  }

  // Runs `sshd -T` on the fixture; the exit code and what it printed.
  static testing::CommandResult Run(const std::string& fixture) {
    testing::TempDir dir;
    auto keygen = testing::RunCommand(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.Path("hostkey")});
    EXPECT_EQ(keygen.exit_code, 0) << keygen.err;
    // A whole host root (it has its own passwd) replaces /etc, so that
    // Includes outside /etc/ssh (RHEL's crypto policy) resolve in it too.
    const bool whole = ::access((FixturePath(fixture) + "/etc/passwd").c_str(), F_OK) == 0;
    std::string script = "mount --bind '" + FixturePath(fixture) +
                         (whole ? "/etc' /etc" : "/etc/ssh' /etc/ssh") +
                         " && mount -t tmpfs tmpfs /run && mkdir /run/sshd && "
                         "exec /usr/sbin/sshd -T -f /etc/ssh/sshd_config -h '" +
                         dir.Path("hostkey") + "'";
    return testing::RunCommand({"unshare", "-m", "sh", "-c", script});
  }

  static std::map<std::string, std::string> Values(const std::string& out) {
    std::map<std::string, std::string> values;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      size_t space = line.find(' ');
      if (space != std::string::npos) values.emplace(line.substr(0, space), line.substr(space + 1));
    }
    return values;
  }
};

class SshdOracleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SshdOracleTest, EffectiveValuesMatchSshdT) {
  if (std::string why = SshdOracle::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  testing::CommandResult sshd = SshdOracle::Run(GetParam());
  ASSERT_EQ(sshd.exit_code, 0) << "sshd -T refused the fixture: " << sshd.err;
  auto oracle = SshdOracle::Values(sshd.out);
  auto env = EnvFor(GetParam());
  auto config = LoadSshdConfig(*env);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  int compared = 0;
  for (const char* keyword : {"permitrootlogin",
                              "passwordauthentication",
                              "permitemptypasswords",
                              "maxauthtries",
                              "hostbasedauthentication",
                              "ignorerhosts",
                              "permituserenvironment",
                              "x11forwarding",
                              "logingracetime",
                              "clientaliveinterval",
                              "clientalivecountmax",
                              "loglevel",
                              "usepam",
                              "pubkeyauthentication",
                              "kbdinteractiveauthentication",
                              "maxsessions",
                              "ciphers",
                              "macs",
                              "kexalgorithms",
                              "authorizedkeysfile"}) {
    ASSERT_TRUE(oracle.count(keyword)) << "sshd -T did not print " << keyword;
    EXPECT_EQ(config->effective.value(keyword, "<unset>"), oracle[keyword]) << keyword;
    ++compared;
  }
  EXPECT_EQ(compared, 20);
}

std::string FixtureTestName(const ::testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  for (char& c : name) c = (c == '-') ? '_' : c;
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SshdOracleTest,
                         ::testing::Values("debian12-sshd", "sshd-defaults", "sshd-first-wins",
                                           "sshd-match", "sshd-crypto", "debian12-accounts",
                                           "rhel9-access", "ubuntu2404-access", "sshd-match-first"),
                         FixtureTestName);

class SshdRefusedTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SshdRefusedTest, ShokoRefusesWhatSshdRefuses) {
  auto env = EnvFor(GetParam());
  auto config = LoadSshdConfig(*env);
  ASSERT_FALSE(config.ok()) << "shoko accepted a file sshd refuses";
  EXPECT_NE(config.status().message().find("/etc/ssh/sshd_config:"), std::string::npos)
      << config.status().message();
  if (std::string why = SshdOracle::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  testing::CommandResult sshd = SshdOracle::Run(GetParam());
  EXPECT_NE(sshd.exit_code, 0) << "sshd -T accepted the fixture:\n" << sshd.out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SshdRefusedTest,
                         ::testing::Values("sshd-bad-quote", "sshd-include-loop",
                                           "sshd-refused-value", "sshd-refused-extra-args",
                                           "sshd-refused-integer", "sshd-refused-time",
                                           "sshd-refused-loglevel", "sshd-refused-empty-include",
                                           "sshd-refused-cipher"),
                         FixtureTestName);

TEST(SshdConfigTest, IncludeFanOutIsBounded) {
  // 12 levels of 4 files, each including every file of the next level: 4^12
  // reads without a bound on the total.
  testing::TempDir dir;
  dir.Write("root/etc/ssh/sshd_config", "Include /etc/ssh/l1/*.conf\n");
  for (int level = 1; level <= 12; ++level) {
    for (int i = 0; i < 4; ++i) {
      dir.Write("root/etc/ssh/l" + std::to_string(level) + "/" + std::to_string(i) + ".conf",
                "Include /etc/ssh/l" + std::to_string(level + 1) + "/*.conf\n");
    }
  }
  auto env = platform::NewRootedEnv(dir.Path("root"));
  ASSERT_TRUE(env.ok());
  auto config = LoadSshdConfig(**env);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("more than 256 files read through Include"),
            std::string::npos)
      << config.status().message();
  EXPECT_NE(config.status().message().find("(included from /etc/ssh/sshd_config:1)"),
            std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace shoko::collectors::access
