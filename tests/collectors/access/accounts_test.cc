// access.accounts and access.ssh_keys on the debian12-accounts fixture, the
// parsers on hostile text, and fingerprints against `ssh-keygen -lf`.
#include "collectors/access/accounts.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "collectors/access/authorized_keys.h"
#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::access {
namespace {

using testing::FixturePath;
using testing::RunCommand;
using testing::TempDir;

std::map<std::string, Observation> CollectAll(const std::string& collector,
                                              const std::string& root) {
  return testing::CollectAllAt(collector, root);
}

// A copy of the fixture with a lastlog: alice logged in 5 days ago, bob 200.
class AccountsRoot {
 public:
  AccountsRoot() {
    std::filesystem::copy(FixturePath("debian12-accounts"), dir_.path(),
                          std::filesystem::copy_options::recursive);
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::string lastlog(292 * 1002, '\0');
    auto put = [&](int uid, int64_t when) {
      const auto t = static_cast<int32_t>(when);
      std::memcpy(lastlog.data() + 292 * uid, &t, sizeof t);
    };
    put(1000, now - 5 * 86400);
    put(1001, now - 200 * 86400);
    dir_.Write("var/log/lastlog", lastlog);
  }
  const std::string& path() const { return dir_.path(); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

TEST(AccountsTest, EveryRuleOnTheFixture) {
  AccountsRoot root;
  auto obs = CollectAll("access.accounts", root.path());
  ASSERT_EQ(obs.size(), 6u);
  EXPECT_EQ(obs["access.accounts"].verdict, Verdict::kInfo);
  std::map<std::string, std::string> got;
  for (const auto& [id, o] : obs) got[id] = std::string(VerdictName(o.verdict)) + ": " + o.message;
  const std::map<std::string, std::string> expected = {
      {"access.accounts", "info: 24 local account(s)"},
      {"access.accounts.uid0", "fail: UID 0 besides root: toor"},
      {"access.accounts.empty_password", "fail: empty password: deploy"},
      {"access.accounts.system_shells",
       "fail: system accounts with a login shell and a usable password: postgres (/bin/bash), "
       "toor (/bin/bash)"},
      // Each account's shadow maximum only: login.defs's PASS_MAX_DAYS 99999 is
      // access.password_policy.ageing's to judge.
      {"access.accounts.password_max_age",
       "fail: shadow password maximum above 365 days: postgres (max 99999), carol (max 99999), "
       "toor (max 99999)"},
      {"access.accounts.dormant",
       "fail: unused for more than 90 days: bob (200 days), carol (never logged in)"},
  };
  EXPECT_EQ(got, expected);
  // Metadata, per account: state and scheme, never the hash.
  std::map<std::string, nlohmann::json> accounts;
  for (const auto& a : obs["access.accounts"].facts["accounts"]) accounts[a["name"]] = a;
  EXPECT_EQ(accounts["alice"]["password"], "set");
  EXPECT_EQ(accounts["alice"]["scheme"], "yescrypt");
  EXPECT_EQ(accounts["alice"]["max_days"], 365);
  EXPECT_EQ(accounts["alice"]["inactive_days"], 30);
  EXPECT_EQ(accounts["root"]["password"], "locked");
  EXPECT_EQ(accounts["root"]["scheme"], "yescrypt");
  EXPECT_EQ(accounts["carol"]["scheme"], "md5");
  EXPECT_EQ(accounts["deploy"]["password"], "none");
  EXPECT_EQ(accounts["daemon"]["password"], "locked");
  EXPECT_TRUE(accounts["bob"]["last_login"].is_number());
  EXPECT_EQ(obs["access.accounts"].facts["admin_groups"]["sudo"],
            nlohmann::json::array({"alice", "deploy"}));
  EXPECT_EQ(obs["access.accounts"].facts["login_defs"]["ENCRYPT_METHOD"], "SHA512");
  // shadow is read but is no artifact: its digest would fingerprint the hashes.
  std::vector<std::string> artifacts;
  for (const Artifact& a : obs["access.accounts"].artifacts) artifacts.push_back(a.path);
  EXPECT_EQ(artifacts, (std::vector<std::string>{"/etc/passwd", "/etc/login.defs"}));
}

// A glibc utmp record: type at 0, user at 44, seconds at 340, 384 bytes.
std::string Utmp(int16_t type, const std::string& user, int32_t seconds) {
  std::string r(384, '\0');
  std::memcpy(r.data(), &type, sizeof type);
  std::memcpy(r.data() + 44, user.data(), std::min<size_t>(user.size(), 32));
  std::memcpy(r.data() + 340, &seconds, sizeof seconds);
  return r;
}

TEST(AccountsTest, WtmpLoginsCountToo) {
  AccountsRoot root;
  const auto now = static_cast<int32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  // bob logged in three days ago by wtmp (lastlog says 200); carol's record
  // is a logout (DEAD_PROCESS), which is no login.
  root.dir().Write("var/log/wtmp", Utmp(7, "bob", now - 3 * 86400) + Utmp(8, "carol", now) +
                                       Utmp(7, "bob", now - 30 * 86400) + std::string(100, 'x'));
  auto obs = CollectAll("access.accounts", root.path());
  EXPECT_EQ(obs["access.accounts.dormant"].message,
            "unused for more than 90 days: carol (never logged in)");
  auto logins = WtmpLastLogins(Utmp(7, "bob", 5) + Utmp(7, "bob", 9) + Utmp(7, "", 20));
  EXPECT_EQ(logins, (std::map<std::string, int64_t>{{"bob", 9}}));
}

TEST(AccountsTest, NoLoginShells) {
  for (const char* shell : {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/true"}) {
    EXPECT_TRUE(CannotLogIn(shell)) << shell;
  }
  // passwd(5): an empty shell is /bin/sh.
  for (const char* shell : {"", "/bin/sh", "/bin/bash", "/usr/sbin/nologin2"}) {
    EXPECT_FALSE(CannotLogIn(shell)) << shell;
  }
}

TEST(AccountsTest, ParsersRefuseWithLineAndNeverQuoteAHash) {
  auto p = ParsePasswd("root:x:0:0:root:/root:/bin/bash\n+@nis\nbad:x:zero:0::/:/bin/sh\n", "pw");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "pw:3: bad name, UID or GID");
  EXPECT_EQ(ParsePasswd("a:x:1:1\n", "pw").status().message(),
            "pw:1: expected 7 ':'-separated fields, found 4");
  auto accounts = ParsePasswd("a:x:1000:1000::/home/a:/bin/sh\n", "pw");
  ASSERT_TRUE(accounts.ok());
  const std::string hash = "$6$saltsalt$SECRETSECRETSECRET";
  Status s = MergeShadow("a:" + hash + ":19000:0:notanumber:7:::\n", "sh", &*accounts);
  EXPECT_EQ(s.message(), "sh:1: field 5 is not a number");
  EXPECT_EQ(MergeShadow("a:" + hash + ":1\n", "sh", &*accounts).message(),
            "sh:1: expected 9 ':'-separated fields, found 3");
  for (const auto& [hash_text, scheme] :
       std::vector<std::pair<std::string, std::string>>{{"$y$j9T$a$b", "yescrypt"},
                                                        {"!$6$a$b", "sha512"},
                                                        {"$5$a$b", "sha256"},
                                                        {"$2b$12$x", "bcrypt"},
                                                        {"abcdefghijklm", "des"},
                                                        {"*", ""},
                                                        {"!", ""},
                                                        {"$9$x", "unknown"}}) {
    EXPECT_EQ(HashScheme(hash_text), scheme) << hash_text;
  }
  auto defs = ParseLoginDefs(
      "PASS_MAX_DAYS\t90\n#PASS_MIN_DAYS 5\nPASS_MAX_DAYS 1\n"
      "ENCRYPT_METHOD \"YESCRYPT\"\n");
  EXPECT_EQ(defs["PASS_MAX_DAYS"], "90");  // the first wins, as getdef reads it
  EXPECT_EQ(defs.count("PASS_MIN_DAYS"), 0u);
  EXPECT_EQ(defs["ENCRYPT_METHOD"], "YESCRYPT");
  EXPECT_FALSE(LastlogTime(std::string(100, '\0'), 0).has_value());
  EXPECT_FALSE(LastlogTime(std::string(292, '\0'), -1).has_value());
}

TEST(SshKeysTest, VerdictAndFactsOnTheFixture) {
  auto obs = CollectAll("access.ssh_keys", FixturePath("debian12-accounts"));
  const Observation& o = obs["access.ssh_keys"];
  EXPECT_EQ(o.verdict, Verdict::kFail);
  EXPECT_EQ(o.message,
            "/home/bob/.ssh/authorized_keys:1: RSA key of 1024 bits (bob); "
            "/home/carol/.ssh/authorized_keys2:1: DSA key (carol); "
            "/srv/report/.ssh/authorized_keys:1: key for svc-report, whose shell "
            "/usr/sbin/nologin refuses logins");
  ASSERT_EQ(o.facts["keys"].size(), 7u) << o.facts.dump();
  const auto& laptop = o.facts["keys"][2];
  EXPECT_EQ(laptop["account"], "alice");
  EXPECT_EQ(laptop["line"], 4);
  EXPECT_EQ(laptop["options"], nlohmann::json::array({"from", "no-pty", "no-agent-forwarding"}));
  EXPECT_EQ(laptop["from"], "10.0.0.0/8,192.168.1.*");
  ASSERT_EQ(o.facts["unusable_lines"].size(), 1u);
  EXPECT_EQ(o.facts["unusable_lines"][0]["file"], "/home/deploy/.ssh/authorized_keys:2");
  // A per-user file outside the home, through %u.
  EXPECT_EQ(o.facts["keys"][0]["file"], "/etc/ssh/authorized_keys/root");
}

TEST(SshKeysTest, FingerprintsAndSizesAgreeWithSshKeygen) {
  if (RunCommand({"ssh-keygen", "-?"}).exit_code == 127) {
    GTEST_SKIP() << "ssh-keygen is not installed (Debian package openssh-client)";
  }
  const std::string root = FixturePath("debian12-accounts");
  int compared = 0;
  for (const char* file : {"home/alice/.ssh/authorized_keys", "home/bob/.ssh/authorized_keys",
                           "home/carol/.ssh/authorized_keys2", "home/deploy/.ssh/authorized_keys",
                           "srv/report/.ssh/authorized_keys", "etc/ssh/authorized_keys/root"}) {
    auto r = RunCommand({"ssh-keygen", "-lf", root + "/" + file});
    ASSERT_EQ(r.exit_code, 0) << file << ": " << r.err;
    // "BITS SHA256:… COMMENT (TYPE)" per usable key, in file order.
    std::vector<std::string> theirs;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string bits, fp;
      words >> bits >> fp;
      const std::string type =
          line.substr(line.rfind('(') + 1, line.rfind(')') - line.rfind('(') - 1);
      theirs.push_back(bits + " " + fp + " " + type);
    }
    std::ifstream in(root + "/" + file);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<std::string> ours;
    for (const AuthorizedKey& k : ParseAuthorizedKeys(text.str())) {
      if (k.error.empty())
        ours.push_back(std::to_string(k.bits) + " " + k.fingerprint + " " + k.label);
    }
    EXPECT_EQ(ours, theirs) << file;
    compared += static_cast<int>(ours.size());
  }
  EXPECT_EQ(compared, 7);
}

TEST(SshKeysTest, HostileLinesAndTokens) {
  auto keys = ParseAuthorizedKeys(
      "\r\n# comment\n  \n"
      "command=\"echo \\\"a b\\\"\",no-pty ssh-ed25519 AAAA\n"
      "ssh-rsa-cert-v01@openssh.com AAAA x\n"
      "unknown-type AAAA\n" +
      std::string(70000, 'a') + "\n");
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0].line, 4);
  EXPECT_EQ(keys[0].error, "the key data is not a valid ssh-ed25519 key");
  EXPECT_TRUE(keys[0].options.empty());  // an unusable line keeps nothing
  EXPECT_NE(keys[1].error.find("certificate"), std::string::npos);
  EXPECT_EQ(keys[2].error, "unknown key type");
  EXPECT_EQ(keys[3].error, "line longer than 64 KiB");
  EXPECT_EQ(ExpandAuthorizedKeysFiles(".ssh/authorized_keys /etc/keys/%u/%U %%h none", "bob",
                                      "/home/bob", 1001),
            (std::vector<std::string>{"/home/bob/.ssh/authorized_keys", "/etc/keys/bob/1001",
                                      "/home/bob/%h"}));
  EXPECT_EQ(ExpandAuthorizedKeysFiles("k", "r", "/", 0), std::vector<std::string>{"/k"});
}

}  // namespace
}  // namespace shoko::collectors::access
