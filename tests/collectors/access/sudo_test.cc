// access.sudo: the sudoers parser on hostile text, the collector on the
// debian12-accounts fixture, and both against sudo itself: `visudo -c` must
// refuse what shoko refuses, and `sudo -l -U USER` (in a private mount
// namespace over the fixture's /etc) must list what shoko says USER may run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include "collectors/access/accounts.h"
#include "collectors/access/sudoers.h"
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

std::map<std::string, Observation> CollectSudo(const std::string& root) {
  return testing::CollectAllAt("access.sudo", root);
}

TEST(SudoersTest, SpecificationsAliasesDefaultsAndContinuations) {
  auto t = ParseSudoersText(
      "Defaults\tenv_reset\nDefaults:%wheel !authenticate, timestamp_timeout=-1\n"
      "Cmnd_Alias UPD = /usr/bin/apt update, \\\n   /usr/bin/apt upgrade\n"
      "# (#1011624) a comment with a hash and digits\n"
      "#1000 ALL = (root) NOEXEC: NOPASSWD: UPD, PASSWD: /bin/ls, (www-data) /bin/cat\n"
      "alice, %ops host1, host2 = ALL : web1 = (ALL : ALL) /usr/bin/systemctl\r\n"
      "@includedir /etc/sudoers.d\n#include \"local file\"\n",
      "s");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->defaults.size(), 3u);
  EXPECT_EQ(t->defaults[1].scope, ":%wheel");
  EXPECT_TRUE(t->defaults[1].negated);
  EXPECT_EQ(t->defaults[2].value, "-1");
  EXPECT_EQ(t->aliases["Cmnd_Alias UPD"],
            (std::vector<std::string>{"/usr/bin/apt update", "/usr/bin/apt upgrade"}));
  ASSERT_EQ(t->rules.size(), 2u);
  const SudoRule& uid = t->rules[0];
  EXPECT_EQ(uid.users, std::vector<std::string>{"#1000"});
  EXPECT_EQ(uid.line, 6);
  ASSERT_EQ(uid.commands.size(), 3u);
  EXPECT_EQ(uid.commands[0].tags, (std::vector<std::string>{"NOEXEC", "NOPASSWD"}));
  EXPECT_EQ(uid.commands[1].tags, (std::vector<std::string>{"NOEXEC", "PASSWD"}));
  EXPECT_EQ(uid.commands[2].runas, "www-data");
  EXPECT_TRUE(uid.commands[2].tags.empty());  // a new Runas starts over
  const SudoRule& two = t->rules[1];
  EXPECT_EQ(two.users, (std::vector<std::string>{"alice", "%ops"}));
  ASSERT_EQ(two.commands.size(), 2u);
  EXPECT_EQ(two.commands[0].hosts, (std::vector<std::string>{"host1", "host2"}));
  EXPECT_EQ(two.commands[1].hosts, std::vector<std::string>{"web1"});
  EXPECT_EQ(two.commands[1].command, "/usr/bin/systemctl");
  ASSERT_EQ(t->includes.size(), 2u);
  EXPECT_TRUE(t->includes[0].directory);
  EXPECT_EQ(t->includes[1].path, "local file");
}

// Found by libFuzzer: "Cmd_Alias" is shorter than the kind it stands for,
// and skipping the kind's length ran past a line holding only the keyword.
TEST(SudoersTest, CmdAliasSpelledShort) {
  auto bare = ParseSudoersText("Cmd_Alias# a comment\n", "s");
  EXPECT_TRUE(bare.ok()) << bare.status().message();
  auto t = ParseSudoersText("Cmd_Alias UP = /usr/bin/apt\n", "s");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->aliases["Cmnd_Alias UP"], std::vector<std::string>{"/usr/bin/apt"});
}

TEST(SudoersTest, RefusalsNameFileAndLine) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"\nalice ALL\n", "s:2: expected 'users hosts = commands'"},
           {"alice ALL = (root /bin/ls\n", "s:1: a Runas list is never closed"},
           {"alice ALL = (root) NOPASSWD:\n", "s:1: a command is missing"},
           {"Defaults logfile=\"/var/log/x\n", "s:1: unterminated quote in Defaults logfile"},
           {"User_Alias admins = a\n", "s:1: User_Alias names must start with a capital letter"},
           {"alice ALL = ALL \\\n", "s:1: the last line ends in a continuation '\\'"},
           {"@include\n", "s:1: @include without a path"}}) {
    auto t = ParseSudoersText(text, "s");
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().message(), expected);
  }
}

TEST(SudoersTest, IncludesLoopsAndMissingPieces) {
  TempDir dir;
  dir.Write("etc/sudoers", "root ALL=(ALL) ALL\n@include sudoers.local\n@includedir /etc/none\n");
  dir.Write("etc/sudoers.local", "bob ALL=(ALL) /bin/true\n@include /etc/sudoers\n");
  auto env = platform::NewRootedEnv(dir.path());
  auto loop = LoadSudoers(**env);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.status().message().find("/etc/sudoers.local (in root " + dir.path() +
                                         "):2: includes /etc/sudoers again (an include loop)"),
            std::string::npos)
      << loop.status().message();
  dir.Write("etc/sudoers.local", "bob ALL=(ALL) /bin/true\n");
  auto ok = LoadSudoers(**env);  // a missing includedir is skipped, as sudo does
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(ok->rules.size(), 2u);
  EXPECT_EQ(ok->rules[1].file, "/etc/sudoers.local");
  dir.Write("etc/sudoers", "@include /etc/missing\n");
  auto missing = LoadSudoers(**env);
  EXPECT_NE(missing.status().message().find("sudoers (in root " + dir.path() + "):1: "),
            std::string::npos)
      << missing.status().message();
}

TEST(SudoCollectorTest, RulesOnTheFixture) {
  auto obs = CollectSudo(FixturePath("debian12-accounts"));
  ASSERT_EQ(obs.size(), 6u);
  EXPECT_EQ(obs["access.sudo"].message, "6 sudo rule(s) from 3 file(s)");  // not alice.dpkg-old
  EXPECT_EQ(obs["access.sudo.nopasswd"].verdict, Verdict::kFail);
  EXPECT_EQ(obs["access.sudo.nopasswd"].message,
            "NOPASSWD: DEPLOYERS → APP (/etc/sudoers.d/90-deploy:8); ONCALL → /usr/bin/psql "
            "(/etc/sudoers.d/90-deploy:9)");
  EXPECT_EQ(obs["access.sudo.authenticate"].message,
            "Defaults !authenticate for :DEPLOYERS (/etc/sudoers.d/90-deploy:5)");
  EXPECT_EQ(obs["access.sudo.use_pty"].verdict, Verdict::kPass);
  EXPECT_EQ(obs["access.sudo.logfile"].message, "Defaults logfile=/var/log/sudo.log");
  EXPECT_EQ(obs["access.sudo.timestamp_timeout"].message,
            "timestamp_timeout is 30: the baseline allows at most 15");
  EXPECT_EQ(obs["access.sudo"].facts["group_members"]["sudo"],
            nlohmann::json::array({"alice", "deploy"}));

  TempDir none;
  none.Write("etc/hostname", "h\n");
  const auto without = CollectSudo(none.path());
  ASSERT_EQ(without.size(), 6u);  // the observation and its five rules
  for (const auto& [id, o] : without) {
    EXPECT_EQ(o.verdict, Verdict::kNotApplicable) << id;
  }
}

bool SudoAvailable(std::string* why) {
  if (::geteuid() != 0 || ::access("/usr/bin/sudo", X_OK) != 0 ||
      ::access("/etc/sudoers.d", F_OK) != 0) {
    *why = "the sudo oracle needs root and Debian's sudo package (the test command installs it)";
    return false;
  }
  if (RunCommand({"unshare", "-m", "true"}).exit_code != 0) {
    *why = "cannot make a private mount namespace here";
    return false;
  }
  return true;
}

// "runas|nopasswd|command" for each command `sudo -l -U user` lists.
std::set<std::string> SudoSays(const std::string& root, const std::string& user) {
  std::string script;
  for (const char* f : {"sudoers", "sudoers.d", "passwd", "group"}) {
    script += "mount --bind '" + root + "/etc/" + f + "' /etc/" + f + " && ";
  }
  auto r = RunCommand({"unshare", "-m", "sh", "-c", script + "sudo -l -U " + user});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> out;
  std::istringstream lines(r.out);
  bool listing = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("may run the following commands") != std::string::npos) {
      listing = true;
      continue;
    }
    if (!listing || line.find('(') == std::string::npos) continue;
    const size_t open = line.find('('), close = line.find(')');
    std::string runas = line.substr(open + 1, close - open - 1);
    std::erase(runas, ' ');
    bool nopasswd = false;
    std::string rest = line.substr(close + 2);
    size_t at = 0;
    while (at <= rest.size()) {
      size_t comma = rest.find(", ", at);
      if (comma == std::string::npos) comma = rest.size();
      std::string cmd = rest.substr(at, comma - at);
      for (const auto& [tag, value] : {std::pair{"NOPASSWD: ", true}, {"PASSWD: ", false}}) {
        if (cmd.starts_with(tag)) {
          nopasswd = value;
          cmd.erase(0, std::string(tag).size());
        }
      }
      out.insert(runas + "|" + (nopasswd ? "1" : "0") + "|" + cmd);
      at = comma + 2;
    }
  }
  return out;
}

// Every account of Debian's, Ubuntu's and RHEL's fixture roots.
class SudoOracleTest : public ::testing::TestWithParam<std::pair<const char*, int>> {};

TEST_P(SudoOracleTest, PrivilegesAgreeWithSudoList) {
  std::string why;
  if (!SudoAvailable(&why)) GTEST_SKIP() << why;
  const std::string root = FixturePath(GetParam().first);
  auto obs = CollectSudo(root);
  const auto& privileges = obs["access.sudo"].facts["privileges"];
  auto env = platform::NewRootedEnv(root);
  auto passwd = ParsePasswd(testing::ReadFileOrEmpty(root + "/etc/passwd"), "passwd");
  ASSERT_TRUE(passwd.ok());
  int users = 0;
  for (const Account& a : *passwd) {
    std::set<std::string> ours;
    if (privileges.contains(a.name)) {
      for (const auto& p : privileges[a.name]) {
        ours.insert(p["runas"].get<std::string>() + "|" + (p["nopasswd"] == true ? "1" : "0") +
                    "|" + p["command"].get<std::string>());
      }
    }
    EXPECT_EQ(ours, SudoSays(root, a.name)) << a.name;
    users += !ours.empty();
  }
  EXPECT_EQ(users, GetParam().second);
}

INSTANTIATE_TEST_SUITE_P(Roots, SudoOracleTest,
                         // debian12-accounts: root, alice, bob, deploy (toor, UID 0, has no rule of
                         // its own); ubuntu: root, ubuntu; rhel: root, rocky.
                         ::testing::Values(std::pair{"debian12-accounts", 4},
                                           std::pair{"ubuntu2404-access", 2},
                                           std::pair{"rhel9-access", 2}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.first;
                           std::erase(name, '-');
                           return name;
                         });

TEST(SudoersTest, VisudoRefusesWhatShokoRefuses) {
  std::string why;
  if (::access("/usr/sbin/visudo", X_OK) != 0) GTEST_SKIP() << "visudo is not installed";
  for (const std::string& text :
       {std::string("alice ALL = (root /bin/ls\n"), std::string("alice ALL = (root) NOPASSWD:\n"),
        std::string("User_Alias admins = a\n"), std::string("alice ALL\n"),
        std::string("Defaults logfile=\"/var/log/x\n")}) {
    TempDir dir;
    const std::string file = dir.Write("sudoers", text);
    auto visudo = RunCommand({"visudo", "-c", "-q", "-f", file});
    EXPECT_NE(visudo.exit_code, 0) << "visudo accepted: " << text;
    EXPECT_FALSE(ParseSudoersText(text, "s").ok()) << text;
  }
  TempDir dir;
  const std::string good =
      dir.Write("sudoers",
                "Defaults:%wheel !authenticate\n#1000 ALL = (root) NOPASSWD: /bin/ls, (www-data) "
                "/bin/cat\nalice, %ops h1, h2 = ALL : web1 = (ALL : ALL) /usr/bin/systemctl\n"
                "bob ALL = /bin/echo \"quotes are literal in commands\n");
  EXPECT_EQ(RunCommand({"visudo", "-c", "-q", "-f", good}).exit_code, 0);
  EXPECT_TRUE(ParseSudoersText(testing::ReadFileOrEmpty(good), "s").ok());
}

}  // namespace
}  // namespace shoko::collectors::access
