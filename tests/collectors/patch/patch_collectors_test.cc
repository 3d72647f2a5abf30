// The patch family against fixture roots and against this host, with dpkg-query
// and apt themselves as the judges.
#include <gtest/gtest.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "collectors/collector.h"
#include "collectors/helper.h"
#include "collectors/patch/apt_conf.h"
#include "collectors/patch/deb822.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/update_logs.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::patch {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::TempDir;

constexpr int64_t kDay = 86'400'000'000;

std::unique_ptr<platform::Env> EnvAt(const std::string& root) {
  auto env = platform::NewRootedEnv(root);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(env).value();
}

// Counts the helper runs it passes on to this process.
class CountingRunner final : public HelperRunner {
 public:
  Result<std::string> Run(const std::string& helper, const std::string& root) const override {
    ++runs;
    return InProcessHelperRunner().Run(helper, root);
  }
  mutable int runs = 0;
};

Observation CollectOne(const std::string& collector, const platform::Env& env,
                       SweepMemory* memory = nullptr, const HelperRunner* helpers = nullptr) {
  auto c = CollectorRegistry::Global().Create(collector);
  EXPECT_NE(c, nullptr) << collector;
  if (c == nullptr) return {};
  auto observations = c->Collect({env, controls::Baseline::BuiltIn(), memory, helpers});
  EXPECT_EQ(observations.size(), 1u);
  return observations.empty() ? Observation{} : observations.front();
}

using Upgrade = std::tuple<std::string, std::string, std::string, std::string>;

// `apt list --upgradable` lines: "name/suites candidate arch [upgradable from: installed]".
std::set<Upgrade> ParseAptList(const std::string& out) {
  std::set<Upgrade> upgrades;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("[upgradable from: ") == std::string::npos) continue;
    std::istringstream words(line);
    std::string name_suites, candidate, arch, w1, w2, installed;
    words >> name_suites >> candidate >> arch >> w1 >> w2 >> installed;
    EXPECT_TRUE(!installed.empty() && installed.back() == ']') << "apt's format changed: " << line;
    if (!installed.empty() && installed.back() == ']') installed.pop_back();
    upgrades.emplace(name_suites.substr(0, name_suites.find('/')), arch, installed, candidate);
  }
  return upgrades;
}

std::set<Upgrade> FromFacts(const nlohmann::json& facts) {
  std::set<Upgrade> upgrades;
  for (const auto& u : facts["updates"]) {
    upgrades.emplace(u["name"], u["arch"], u["installed"], u["candidate"]);
  }
  return upgrades;
}

bool HostArchIs(const std::string& arch) {
  CommandResult r = RunCommand({"dpkg", "--print-architecture"});
  return r.exit_code == 0 && r.out == arch + "\n";
}

TEST(Deb822Test, FieldsContinuationsAndErrorsWithLines) {
  auto stanzas = ParseDeb822(
      "Package: a\nDescription: x\n more\n .\n end\n\n\n# comment\nPackage: b\r\nVersion: 1\n",
      "f");
  ASSERT_TRUE(stanzas.ok()) << stanzas.status().message();
  ASSERT_EQ(stanzas->size(), 2u);
  EXPECT_EQ((*stanzas)[0].Get("description"), "x\nmore\n\nend");
  EXPECT_EQ((*stanzas)[1].line, 9);
  EXPECT_EQ((*stanzas)[1].Get("Package"), "b");
  auto bad = ParseDeb822("Package: a\nno colon here\n", "/var/lib/dpkg/status");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("/var/lib/dpkg/status:2: ", 0), 0u)
      << bad.status().message();
  EXPECT_FALSE(ParseDeb822(" leading continuation\n", "f").ok());
  EXPECT_FALSE(ParseDeb822(std::string("Package: a\0b\n", 13), "f").ok());
}

TEST(DpkgStatusTest, StatesSourcesAndBrokenStanzas) {
  auto packages = ParseDpkgStatus(
      "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n"
      "Source: a-src (0.9)\n\n"
      "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
      "Package: half\nStatus: install reinstreq half-installed\nVersion: 2\n",
      "status");
  ASSERT_TRUE(packages.ok()) << packages.status().message();
  ASSERT_EQ(packages->size(), 2u);
  EXPECT_EQ((*packages)[0].source, "a-src");
  EXPECT_EQ((*packages)[0].source_version, "0.9");
  EXPECT_EQ((*packages)[1].state, "half-installed");
  EXPECT_EQ((*packages)[1].source, "half");
  auto no_version = ParseDpkgStatus("Package: x\nStatus: install ok installed\n", "status");
  ASSERT_FALSE(no_version.ok());
  EXPECT_NE(no_version.status().message().find("status:1: package x"), std::string::npos);
  EXPECT_FALSE(ParseDpkgStatus("Version: 1\n", "status").ok());
}

TEST(PatchPackagesTest, FixtureInventory) {
  auto env = EnvAt(FixturePath("debian12-patch"));
  Observation obs = CollectOne("patch.packages", *env);
  ASSERT_EQ(obs.verdict, Verdict::kInfo) << obs.message;
  EXPECT_EQ(obs.facts["manager"], "dpkg");
  // 20 stanzas, one of them only config files.
  EXPECT_EQ(obs.facts["count"], 19);
  std::map<std::string, nlohmann::json> by_key;
  for (const auto& p : obs.facts["packages"]) {
    by_key[p["name"].get<std::string>() + ":" + p["arch"].get<std::string>()] = p;
  }
  EXPECT_EQ(by_key.count("removed-pkg:amd64"), 0u);
  EXPECT_EQ(by_key["half-pkg:amd64"]["state"], "half-installed");
  EXPECT_EQ(by_key["sec-pkg:amd64"]["source"], "sec-src");
  EXPECT_EQ(by_key.count("libmulti:i386"), 1u);
  EXPECT_EQ(by_key["epoch-pkg:amd64"]["version"], "2.0-1");
  EXPECT_EQ(obs.facts["digest"].get<std::string>().size(), 64u);
  ASSERT_EQ(obs.artifacts.size(), 1u);
  EXPECT_EQ(obs.artifacts[0].path, kDpkgStatusPath);
}

TEST(PatchPackagesTest, ARootWithoutAPackageDatabaseIsNotApplicable) {
  auto env = EnvAt(FixturePath("no-sshd"));
  Observation obs = CollectOne("patch.packages", *env);
  EXPECT_EQ(obs.verdict, Verdict::kNotApplicable);
  EXPECT_NE(obs.message.find("/var/lib/dpkg/status"), std::string::npos) << obs.message;
}

TEST(PatchPackagesTest, ABrokenStatusFileIsAnErrorNamingFileAndLine) {
  TempDir dir;
  dir.Write("var/lib/dpkg/status",
            "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage b\n");
  auto env = EnvAt(dir.path());
  Observation obs = CollectOne("patch.packages", *env);
  EXPECT_EQ(obs.verdict, Verdict::kError);
  EXPECT_NE(obs.message.find("/var/lib/dpkg/status (in root " + dir.path() + "):5:"),
            std::string::npos)
      << obs.message;
}

// Runs apt's `ARGS...` on the fixture `root` with the configuration the agent
// reads there: APT_CONFIG sets Dir before apt reads the root's apt.conf.d, and
// the architectures are the root's dpkg ones (else apt asks the host's dpkg).
CommandResult AptOnRoot(const std::string& root, const std::string& archs,
                        std::vector<std::string> args) {
  TempDir dir;
  const std::string apt_config =
      dir.Write("apt.conf", "Dir \"" + root + "/\";\nAPT::Architectures { " + archs +
                                " };\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n");
  std::vector<std::string> argv = {"env", "APT_CONFIG=" + apt_config};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

TEST(PatchPendingUpdatesTest, UbuntuFixtureAnswerEqualsAptListUpgradable) {
  if (!HostArchIs("amd64")) GTEST_SKIP() << "the fixture's indexes are for amd64 hosts";
  const std::string root = FixturePath("ubuntu2404-patch");
  CommandResult apt = AptOnRoot(root, "\"amd64\";", {"apt", "list", "--upgradable"});
  ASSERT_EQ(apt.exit_code, 0) << apt.err;
  std::set<Upgrade> expected = ParseAptList(apt.out);
  ASSERT_EQ(expected.size(), 4u) << apt.out;  // lz4 indexes, a phased update
  auto env = EnvAt(root);
  Observation obs = CollectOne("patch.pending_updates", *env);
  ASSERT_NE(obs.verdict, Verdict::kError) << obs.message;
  EXPECT_EQ(FromFacts(obs.facts), expected);
  // openssl and libssl3t64 are in noble-security too (Ubuntu: suite, not label).
  EXPECT_EQ(obs.facts["security_count"], 2);
}

// apt itself, pointed at the fixture.
TEST(PatchPendingUpdatesTest, FixtureAnswerEqualsAptListUpgradable) {
  if (!HostArchIs("amd64")) GTEST_SKIP() << "the fixture's indexes are for amd64 hosts";
  const std::string root = FixturePath("debian12-patch");
  CommandResult apt = AptOnRoot(root, "\"amd64\"; \"i386\";", {"apt", "list", "--upgradable"});
  ASSERT_EQ(apt.exit_code, 0) << apt.err;
  std::set<Upgrade> expected = ParseAptList(apt.out);

  auto env = EnvAt(root);
  Observation obs = CollectOne("patch.pending_updates", *env);
  ASSERT_NE(obs.verdict, Verdict::kError) << obs.message;
  EXPECT_EQ(FromFacts(obs.facts), expected);
  // What the fixture was built to show, so that agreement is not vacuous:
  // an epoch bump, a backports upgrade, a pin to another release, a phased
  // update, both halves of a multi-arch pair, a security update.
  for (const Upgrade& u :
       std::vector<Upgrade>{{"epoch-pkg", "amd64", "2.0-1", "1:1.0-1"},
                            {"bpo-pkg", "amd64", "1.0-1~bpo12+1", "1.1-1~bpo12+1"},
                            {"pinned-pkg", "amd64", "1.0-1", "2.0-1"},
                            {"phased-pkg", "amd64", "1.0-1", "1.1-1"},
                            {"libmulti", "i386", "1.0-1", "1.1-1"},
                            {"sec-pkg", "amd64", "1.0-1", "1.0-1+deb12u1"}}) {
    EXPECT_EQ(expected.count(u), 1u) << std::get<0>(u);
  }
  for (const char* absent : {"unpinned-pkg", "exp-pkg", "negpin-pkg", "bpo-neg", "same-pkg"}) {
    for (const Upgrade& u : expected) EXPECT_NE(std::get<0>(u), absent);
  }
  EXPECT_EQ(obs.facts["security_count"], 1);
  for (const auto& u : obs.facts["updates"]) {
    EXPECT_EQ(u["security"], u["name"] == "sec-pkg") << u.dump();
  }
}

TEST(PatchPendingUpdatesTest, PendingSinceIsRememberedAndJudgedAgainstTheGracePeriod) {
  auto env = EnvAt(FixturePath("debian12-patch"));
  SweepMemory memory;
  CountingRunner runner;
  Observation first = CollectOne("patch.pending_updates", *env, &memory, &runner);
  ASSERT_EQ(first.verdict, Verdict::kPass) << first.message;
  EXPECT_EQ(runner.runs, 1);
  const std::string key = "sec-pkg:amd64@1.0-1";
  ASSERT_TRUE(memory.For("patch.pending_updates")["first_seen"].contains(key));

  // Unchanged inputs: the remembered answer, no helper run, same facts.
  Observation again = CollectOne("patch.pending_updates", *env, &memory, &runner);
  EXPECT_EQ(runner.runs, 1);
  EXPECT_EQ(again.facts, first.facts);

  // Seen 15 days ago, beyond the default 14-day grace period.
  auto& seen = memory.For("patch.pending_updates")["first_seen"];
  seen[key] = env->NowMicros() - 15 * kDay;
  Observation late = CollectOne("patch.pending_updates", *env, &memory, &runner);
  EXPECT_EQ(late.verdict, Verdict::kFail) << late.message;
  EXPECT_EQ(late.facts["overdue_security"], nlohmann::json::array({"sec-pkg:amd64"}));
  EXPECT_EQ(late.expected["security_grace_days"], 14);
  // A non-security update pending as long is no failure.
  seen[key] = env->NowMicros() - 13 * kDay;
  seen["all-pkg:all@1.0-1"] = env->NowMicros() - 400 * kDay;
  Observation in_grace = CollectOne("patch.pending_updates", *env, &memory, &runner);
  EXPECT_EQ(in_grace.verdict, Verdict::kPass) << in_grace.message;
}

TEST(PatchPendingUpdatesTest, AChangedIndexIsReadAgain) {
  TempDir dir;
  ASSERT_EQ(RunCommand({"cp", "-a", FixturePath("debian12-patch") + "/.", dir.path()}).exit_code,
            0);
  auto env = EnvAt(dir.path());
  SweepMemory memory;
  CountingRunner runner;
  Observation before = CollectOne("patch.pending_updates", *env, &memory, &runner);
  ASSERT_EQ(runner.runs, 1);
  const std::string lists = dir.path() + "/var/lib/apt/lists/";
  // The security suite's index goes away, and with it the security update.
  ASSERT_EQ(::unlink((lists + "deb.debian.org_debian-security_dists_bookworm-security_main_"
                              "binary-amd64_Packages.gz")
                         .c_str()),
            0);
  Observation after = CollectOne("patch.pending_updates", *env, &memory, &runner);
  EXPECT_EQ(runner.runs, 2);
  EXPECT_EQ(before.facts["security_count"], 1);
  EXPECT_EQ(after.facts["security_count"], 0);
  EXPECT_FALSE(memory.For("patch.pending_updates")["first_seen"].contains("sec-pkg:amd64@1.0-1"));
}

TEST(AptConfTest, AgreesWithAptConfigDumpOnTheFixture) {
  const std::string root = FixturePath("debian12-patch");
  CommandResult dump = AptOnRoot(root, "\"amd64\";", {"apt-config", "dump"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto env = EnvAt(root);
  std::vector<std::string> files;
  auto conf = LoadAptConf(*env, &files);
  ASSERT_TRUE(conf.ok()) << conf.status().message();
  // apt skips 50unattended-upgrades.dpkg-old; so must we.
  EXPECT_EQ(files, (std::vector<std::string>{"/etc/apt/apt.conf.d/20auto-upgrades",
                                             "/etc/apt/apt.conf.d/50unattended-upgrades"}));
  for (const char* name :
       {"APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade",
        "Unattended-Upgrade::Automatic-Reboot"}) {
    const std::string line = std::string(name) + " \"" + conf->Get(name) + "\";\n";
    EXPECT_NE(dump.out.find(line), std::string::npos) << line << dump.out;
  }
  std::string items;
  for (const std::string& v : conf->List("Unattended-Upgrade::Origins-Pattern")) {
    items += "Unattended-Upgrade::Origins-Pattern:: \"" + v + "\";\n";
  }
  EXPECT_EQ(conf->List("Unattended-Upgrade::Origins-Pattern").size(), 3u);
  EXPECT_NE(dump.out.find(items), std::string::npos) << items << dump.out;
}

// The syntax corners apt-config accepts, judged by apt-config itself.
TEST(AptConfTest, ClearBareItemsAndQuotedNamesAsAptConfigReadsThem) {
  TempDir dir;
  dir.Write("etc/apt/apt.conf.d/10base",
            "Unattended-Upgrade::Origins-Pattern { \"a-security\"; \"b\"; };\n"
            "Foo { bar; baz; };\n\"Quoted::Tag\" \"1\";\n");
  dir.Write("etc/apt/apt.conf.d/20clear",
            "#clear Unattended-Upgrade::Origins-Pattern;\n"
            "Unattended-Upgrade::Origins-Pattern { \"c\"; };\n");
  dir.Write("etc/apt/apt.conf.d/backup/ignored", "Ignored \"1\";\n");
  auto env = EnvAt(dir.path());
  auto conf = LoadAptConf(*env, nullptr);
  ASSERT_TRUE(conf.ok()) << conf.status().message();
  EXPECT_EQ(conf->List("Unattended-Upgrade::Origins-Pattern"), std::vector<std::string>{"c"});
  EXPECT_EQ(conf->List("Foo"), (std::vector<std::string>{"bar", "baz"}));
  EXPECT_EQ(conf->Get("Quoted::Tag"), "1");
  EXPECT_EQ(conf->Get("Ignored"), "");

  if (RunCommand({"apt-config", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "apt-config is not installed here: no oracle";
  }
  const std::string apt_config = dir.Write("apt.conf", "Dir \"" + dir.path() + "/\";\n");
  CommandResult dump = RunCommand({"env", "APT_CONFIG=" + apt_config, "apt-config", "dump"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("Unattended-Upgrade::Origins-Pattern:: \"c\";"), std::string::npos)
      << dump.out;
  EXPECT_EQ(dump.out.find("Unattended-Upgrade::Origins-Pattern:: \"b\";"), std::string::npos);
  EXPECT_NE(dump.out.find("Foo:: \"bar\";"), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("Quoted::Tag \"1\";"), std::string::npos) << dump.out;
  EXPECT_EQ(dump.out.find("Ignored"), std::string::npos);
}

// apt resolves #include against its own working directory and the host's
// filesystem; shoko reads an included file inside the root, relative to the
// including file.
TEST(AptConfTest, IncludesAreReadInsideTheRoot) {
  TempDir dir;
  dir.Write("etc/apt/apt.conf.d/10base", "#include \"extra.inc\";\n#include /etc/apt/abs.inc;\n");
  dir.Write("etc/apt/apt.conf.d/extra.inc", "Included::Value \"yes\";\n");
  dir.Write("etc/apt/abs.inc", "Absolute::Value \"yes\";\n");
  auto env = EnvAt(dir.path());
  auto conf = LoadAptConf(*env, nullptr);
  ASSERT_TRUE(conf.ok()) << conf.status().message();
  EXPECT_EQ(conf->Get("Included::Value"), "yes");
  EXPECT_EQ(conf->Get("Absolute::Value"), "yes");
  dir.Write("etc/apt/apt.conf.d/10base", "#include 10base;\n");
  auto loop = LoadAptConf(*env, nullptr);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.status().message().find("more than 64 #include files"), std::string::npos);
}

TEST(AptConfTest, ErrorsNameFileAndLine) {
  AptConf conf;
  Status s = conf.Parse("A \"1\";\nB {\n  C \"2\";\n", "f.conf");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("never closed"), std::string::npos) << s.message();
  s = AptConf().Parse("A \"1\"\nB \"2\";\n", "f.conf");
  EXPECT_EQ(s.message().rfind("f.conf:2: expected ';'", 0), 0u) << s.message();
  EXPECT_FALSE(AptConf().Parse("/* open", "f.conf").ok());
  EXPECT_FALSE(AptConf().Parse("\"orphan\";", "f.conf").ok());
}

TEST(PatchRebootRequiredTest, AnOlderRunningKernelOrTheMarkerFails) {
  auto debian = EnvAt(FixturePath("debian12-patch"));
  Observation behind = CollectOne("patch.reboot_required", *debian);
  EXPECT_EQ(behind.verdict, Verdict::kFail) << behind.message;
  EXPECT_EQ(behind.facts["running"], "6.1.0-25-amd64");
  EXPECT_EQ(behind.facts["newest_installed"], "6.1.0-26-amd64");

  TempDir dir;
  ASSERT_EQ(RunCommand({"cp", "-a", FixturePath("ubuntu2404-patch") + "/.", dir.path()}).exit_code,
            0);
  auto ubuntu = EnvAt(dir.path());
  Observation current = CollectOne("patch.reboot_required", *ubuntu);
  EXPECT_EQ(current.verdict, Verdict::kPass) << current.message;
  dir.Write("run/reboot-required", "*** System restart required ***\n");
  dir.Write("run/reboot-required.pkgs", "libc6\nlinux-base\nlibc6\n");
  Observation marked = CollectOne("patch.reboot_required", *ubuntu);
  EXPECT_EQ(marked.verdict, Verdict::kFail);
  EXPECT_EQ(marked.facts["marker"], "*** System restart required ***");
  EXPECT_EQ(marked.facts["marker_packages"], nlohmann::json::array({"libc6", "linux-base"}));
}

TEST(PatchRebootRequiredTest, NoKernelPackageIsNotApplicable) {
  TempDir dir;
  dir.Write("var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\n");
  auto env = EnvAt(dir.path());
  EXPECT_EQ(CollectOne("patch.reboot_required", *env).verdict, Verdict::kNotApplicable);
}

TEST(PatchLastUpdateTest, LogsAndStampsAgainstTheBaseline) {
  TempDir dir;
  ASSERT_EQ(RunCommand({"cp", "-a", FixturePath("debian12-patch") + "/.", dir.path()}).exit_code,
            0);
  // The stamp is fresh (touched now); the last package change is 2026-10-01.
  const std::string stamp = dir.path() + "/var/lib/apt/periodic/update-success-stamp";
  ASSERT_EQ(::utimes(stamp.c_str(), nullptr), 0);
  auto env = EnvAt(dir.path());
  Observation obs = CollectOne("patch.last_update", *env);
  // The Remove on 10-02 is no update; dpkg.log's last upgrade is 10-01 too.
  EXPECT_EQ(obs.facts["last_package_change"]["when_local"], "2026-10-01 06:25:40");
  EXPECT_EQ(obs.facts["last_package_change"]["what"], "/usr/bin/unattended-upgrade");
  EXPECT_EQ(obs.facts["index_refreshed"]["from"], "/var/lib/apt/periodic/update-success-stamp");
  EXPECT_EQ(obs.facts["index_age_days"], 0);
  auto age = LocalTimeToEpoch("2026-10-01 06:25:40");
  ASSERT_TRUE(age.has_value());
  const bool old = (env->NowMicros() / 1'000'000 - *age) > 30 * 86400;
  EXPECT_EQ(obs.verdict, old ? Verdict::kFail : Verdict::kPass) << obs.message;

  // A later dpkg -i, which apt's history does not know of, counts.
  dir.Write("var/log/dpkg.log", testing::ReadFileOrEmpty(dir.path() + "/var/log/dpkg.log") +
                                    "2099-01-01 00:00:00 upgrade x:amd64 1 2\n");
  Observation later = CollectOne("patch.last_update", *env);
  EXPECT_EQ(later.facts["last_package_change"]["log"], "/var/log/dpkg.log");

  // Right after logrotate: the current logs are empty, last month's are gzipped.
  dir.Write("var/log/dpkg.log", "");
  dir.Write("var/log/apt/history.log", "");
  dir.Write("var/log/apt/history.log.1",
            "Start-Date: 2026-09-30  01:00:00\nCommandline: apt upgrade\nUpgrade: a (1, 2)\n"
            "End-Date: 2026-09-30  01:00:05\n");
  ASSERT_EQ(RunCommand({"gzip", dir.path() + "/var/log/apt/history.log.1"}).exit_code, 0);
  Observation rotated = CollectOne("patch.last_update", *env);
  EXPECT_EQ(rotated.facts["last_package_change"]["when_local"], "2026-09-30 01:00:05");
  EXPECT_EQ(rotated.facts["last_package_change"]["log"], "/var/log/apt/history.log.1.gz");

  dir.Write("var/log/apt/history.log", "Start-Date: yesterday\nUpgrade: a (1, 2)\n");
  Observation broken = CollectOne("patch.last_update", *env);
  EXPECT_EQ(broken.verdict, Verdict::kError);
  EXPECT_NE(broken.message.find("history.log (in root " + dir.path() + "):1:"), std::string::npos)
      << broken.message;
}

TEST(PatchAutoUpdatesTest, SettingsFromBothFixtures) {
  auto debian = EnvAt(FixturePath("debian12-patch"));
  Observation on = CollectOne("patch.auto_updates", *debian);
  EXPECT_EQ(on.verdict, Verdict::kPass) << on.message;
  EXPECT_EQ(on.facts["unattended_upgrade"], "1");
  EXPECT_EQ(on.facts["security_origin"], true);

  auto ubuntu = EnvAt(FixturePath("ubuntu2404-patch"));
  Observation off = CollectOne("patch.auto_updates", *ubuntu);
  EXPECT_EQ(off.verdict, Verdict::kFail);
  EXPECT_EQ(off.facts["unattended_upgrade"], "0");
  EXPECT_EQ(off.facts["timer_masked"], true);
  EXPECT_EQ(off.facts["security_origin"], true);  // Allowed-Origins names -security
  EXPECT_NE(off.message.find("APT::Periodic::Unattended-Upgrade is 0"), std::string::npos);

  // apt.systemd.daily's value forms: "1d" and "12h" are on; Enable "0" is off.
  TempDir dir;
  ASSERT_EQ(RunCommand({"cp", "-a", FixturePath("debian12-patch") + "/.", dir.path()}).exit_code,
            0);
  dir.Write("etc/apt/apt.conf.d/20auto-upgrades",
            "APT::Periodic::Update-Package-Lists \"1d\";\nAPT::Periodic::Unattended-Upgrade "
            "\"12h\";\n");
  auto suffixed = EnvAt(dir.path());
  EXPECT_EQ(CollectOne("patch.auto_updates", *suffixed).verdict, Verdict::kPass);
  dir.Write("etc/apt/apt.conf.d/99off", "APT::Periodic::Enable \"0\";\n");
  EXPECT_EQ(CollectOne("patch.auto_updates", *suffixed).verdict, Verdict::kFail);
}

TEST(HelperTest, ResolvesInsideRefusesEveryWayOut) {
  TempDir dir;
  const std::string root = dir.Path("root");
  dir.Write("root/var/lib/real/file", "x");
  dir.Write("outside/file", "y");
  ASSERT_EQ(::symlink("real", (root + "/var/lib/in").c_str()), 0);
  ASSERT_EQ(::symlink("/var/lib/real", (root + "/var/lib/abs").c_str()), 0);
  ASSERT_EQ(::symlink("../../../outside", (root + "/var/lib/up").c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent/x", (root + "/var/lib/dangling").c_str()), 0);
  EXPECT_TRUE(ResolvesInside(root, root + "/var/lib/in/file").ok());
  EXPECT_TRUE(ResolvesInside(root, root + "/var/lib/missing/file").ok());
  for (const char* way_out :
       {"/var/lib/abs/file", "/var/lib/up/file", "/var/lib/dangling/x", "/var/lib/dangling"}) {
    Status s = ResolvesInside(root, root + way_out);
    EXPECT_FALSE(s.ok()) << way_out;
    EXPECT_NE(s.message().find("outside the root"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(ResolvesInside("/", "/etc/passwd").ok());
}

// This host, judged by its own tools.
TEST(PatchOnThisHostTest, PackagesEqualDpkgQuery) {
  if (RunCommand({"dpkg-query", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "not a Debian-family host: no dpkg-query";
  }
  CommandResult q = RunCommand(
      {"dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Architecture} ${Version}\\n"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  std::set<std::tuple<std::string, std::string, std::string>> expected;
  std::istringstream lines(q.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream w(line);
    std::string state, name, arch, version;
    w >> state >> name >> arch >> version;
    if (state == "not-installed" || state == "config-files") continue;
    expected.emplace(name, arch, version);
  }
  auto env = EnvAt("/");
  Observation obs = CollectOne("patch.packages", *env);
  ASSERT_EQ(obs.verdict, Verdict::kInfo) << obs.message;
  std::set<std::tuple<std::string, std::string, std::string>> ours;
  for (const auto& p : obs.facts["packages"]) ours.emplace(p["name"], p["arch"], p["version"]);
  EXPECT_GT(ours.size(), 50u);
  EXPECT_EQ(ours, expected);
}

TEST(PatchOnThisHostTest, PendingUpdatesEqualAptListUpgradable) {
  if (RunCommand({"apt", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "not a Debian-family host: no apt";
  }
  CommandResult apt = RunCommand({"apt", "list", "--upgradable"});
  ASSERT_EQ(apt.exit_code, 0) << apt.err;
  auto env = EnvAt("/");
  Observation obs = CollectOne("patch.pending_updates", *env);
  ASSERT_NE(obs.verdict, Verdict::kError) << obs.message;
  EXPECT_EQ(FromFacts(obs.facts), ParseAptList(apt.out));
  std::cout << "this host: " << obs.facts["count"] << " upgradable, " << obs.facts["security_count"]
            << " from security suites\n";
}

}  // namespace
}  // namespace shoko::collectors::patch
