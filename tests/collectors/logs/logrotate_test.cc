// logs.logrotate against logrotate itself (`logrotate -d` on the fixture, in a
// private mount namespace so that its absolute includes see the fixture), and
// the parser on hostile input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "collectors/collector.h"
#include "collectors/logs/logrotate_config.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::logs {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::TempDir;

std::unique_ptr<platform::Env> EnvAt(const std::string& root) {
  auto env = platform::NewRootedEnv(root);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(env).value();
}

Observation Collect(const platform::Env& env) {
  auto c = CollectorRegistry::Global().Create("logs.logrotate");
  EXPECT_NE(c, nullptr);
  auto obs = c->Collect({env, controls::Baseline::BuiltIn(), nullptr, nullptr});
  EXPECT_EQ(obs.size(), 1u);
  return obs.empty() ? Observation{} : obs.front();
}

// "rotating pattern: /a /b  weekly (4 rotations)" → each path: "weekly 4".
// The names are printed as written, newlines included; size-based rotation
// prints "1048576 bytes".
std::map<std::string, std::string> LogrotateSays(const std::string& out) {
  std::map<std::string, std::string> says;
  const std::string prefix = "rotating pattern: ";
  for (size_t at = out.find(prefix); at != std::string::npos; at = out.find(prefix, at + 1)) {
    size_t close = out.find(" rotations)", at);
    if (close == std::string::npos) break;
    size_t open = out.rfind('(', close);
    std::string count = out.substr(open + 1, close - open - 1);
    std::istringstream words(out.substr(at + prefix.size(), open - at - prefix.size()));
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.empty()) continue;
    std::string how = w.back();
    w.pop_back();
    if (how == "bytes" && !w.empty()) {
      how = "size";
      w.pop_back();
    }
    // "after 1 days": daily (logrotate prints hourly/daily as a day count).
    if (how == "days" && w.size() >= 2 && w[w.size() - 2] == "after") {
      how = w.back() == "1" ? "daily" : "after " + w.back() + " days";
      w.resize(w.size() - 2);
    }
    for (const std::string& p : w) says[p] = how + " " + count;
  }
  return says;
}

// Debian, Ubuntu and RHEL-family defaults (and, on Ubuntu, an operator's
// drop-ins), each against logrotate's own reading.
class LogrotateOracleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LogrotateOracleTest, AgreesWithLogrotateDebug) {
  if (RunCommand({"logrotate", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "logrotate is not installed here (Debian package logrotate): no oracle";
  }
  if (RunCommand({"unshare", "-m", "true"}).exit_code != 0) {
    GTEST_SKIP() << "cannot make a private mount namespace here (needs root)";
  }
  const std::string root = FixturePath(GetParam());
  // The fixture's include directory over this system's, seen by logrotate only.
  const std::string script = "mkdir -p /etc/logrotate.d && mount --bind " + root +
                             "/etc/logrotate.d /etc/logrotate.d && logrotate -d -s /dev/null " +
                             root + "/etc/logrotate.conf";
  CommandResult r = RunCommand({"unshare", "-m", "sh", "-c", script});
  const std::map<std::string, std::string> theirs = LogrotateSays(r.out + r.err);
  ASSERT_GT(theirs.size(), 8u) << r.err;

  auto env = EnvAt(root);
  Observation obs = Collect(*env);
  ASSERT_NE(obs.verdict, Verdict::kError) << obs.message;
  std::map<std::string, std::string> ours;
  for (const auto& l : obs.facts["logs"]) {
    ours[l["path"]] =
        l["frequency"].get<std::string>() + " " + std::to_string(l["rotate"].get<int>());
  }
  EXPECT_EQ(ours, theirs);
  // No distribution keeps a year by default (Debian's longest is monthly × 12).
  EXPECT_EQ(obs.verdict, Verdict::kFail);
}

INSTANTIATE_TEST_SUITE_P(Distributions, LogrotateOracleTest,
                         ::testing::Values("debian12-logs", "ubuntu2404-logs", "rhel9-logs"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::erase(name, '-');
                           return name;
                         });

LogrotateConfig Load(const TempDir& dir, const std::string& main = "/etc/logrotate.conf") {
  auto env = EnvAt(dir.path());
  auto config = LoadLogrotateConfig(*env, main);
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? std::move(config).value() : LogrotateConfig{};
}

Status LoadError(const TempDir& dir) {
  auto env = EnvAt(dir.path());
  auto config = LoadLogrotateConfig(*env, "/etc/logrotate.conf");
  return config.ok() ? Status::OK() : config.status();
}

TEST(LogrotateTest, InheritanceOverridesScriptsAndDuplicates) {
  TempDir dir;
  dir.Write("etc/logrotate.conf",
            "weekly\r\nrotate 4\r\ninclude /etc/logrotate.d\r\n"
            "/var/log/late.log {\r\n  daily\r\n}\r\n");
  dir.Write("etc/logrotate.d/a",
            "/var/log/a.log /var/log/b.log {\n  rotate 52\n  maxage 300\n  postrotate\n"
            "    rotate 1\n  endscript\n}\n");
  dir.Write("etc/logrotate.d/b",
            "\"/var/log/a.log\" {\n  rotate 2\n}\n/var/log/c.log {\n"
            "  size 10M\n}\n");
  dir.Write("etc/logrotate.d/b.dpkg-old", "/var/log/ignored.log {\n}\n");
  LogrotateConfig c = Load(dir);
  ASSERT_EQ(c.policies.size(), 3u);
  EXPECT_EQ(c.policies[0].patterns, (std::vector<std::string>{"/var/log/a.log", "/var/log/b.log"}));
  EXPECT_EQ(c.policies[0].rotate, 52);  // the script's "rotate 1" is shell, not a directive
  EXPECT_EQ(c.policies[0].frequency, "weekly");
  std::string why;
  EXPECT_EQ(RetentionDays(c.policies[0], &why).value_or(-1), 300);  // maxage caps 364
  EXPECT_EQ(c.policies[1].patterns, std::vector<std::string>{"/var/log/c.log"});
  EXPECT_FALSE(RetentionDays(c.policies[1], &why).has_value());
  EXPECT_NE(why.find("size"), std::string::npos);
  EXPECT_EQ(c.policies[2].frequency, "daily");
  EXPECT_EQ(c.policies[2].rotate, 4);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("duplicate log entry for /var/log/a.log"), std::string::npos);
}

TEST(LogrotateTest, HostileConfigurationsAreErrorsNamingFileAndLine) {
  struct Case {
    std::string conf;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"include /etc/logrotate.conf\n", "include loop"},
           {"include /etc/missing.d\n", "logrotate.conf (in root"},
           {"/var/log/x {\n  rotate many\n}\n", ":2: bad rotation count 'many'"},
           {"/var/log/x {\n  rotate 3\n", ":1: block is never closed"},
           {"/var/log/x {\n  postrotate\n    true\n}\n", ":2: postrotate without endscript"},
           {"/var/log/x\nrotate 3\n", ":1: log names without a '{' block"},
           {"}\n", ":1: '}' without a block"},
           {"/var/log/x {\n  size 10Q\n}\n", ":2: bad size '10Q'"},
           // Found by libFuzzer: an empty quoted word was read past its end.
           {"include \"\"\n", ":1: include : host path must be absolute: ''"},
       }) {
    TempDir dir;
    dir.Write("etc/logrotate.conf", c.conf);
    Status s = LoadError(dir);
    EXPECT_FALSE(s.ok()) << c.conf;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << c.conf << " → " << s.message();
  }
  // Globs that match nothing are only patterns; 10 MB is refused by size.
  TempDir big;
  big.Write("etc/logrotate.conf", std::string(10 << 20, '#'));
  EXPECT_NE(LoadError(big).message().find("larger than"), std::string::npos);
}

TEST(LogrotateTest, IncludesNeverLeaveTheRoot) {
  TempDir dir;
  dir.Write("etc/logrotate.conf", "include /etc/logrotate.d\n");
  dir.Write("etc/logrotate.d/inside", "/var/log/in.log {\n  rotate 9\n  daily\n}\n");
  // An absolute link to this machine's logrotate.d resolves inside the root,
  // where nothing is: skipped, never read from outside.
  ASSERT_EQ(::symlink("/etc/logrotate.d/apt", (dir.path() + "/etc/logrotate.d/outside").c_str()),
            0);
  LogrotateConfig c = Load(dir);
  ASSERT_EQ(c.policies.size(), 1u);
  EXPECT_EQ(c.policies[0].patterns, std::vector<std::string>{"/var/log/in.log"});
}

}  // namespace
}  // namespace shoko::collectors::logs
