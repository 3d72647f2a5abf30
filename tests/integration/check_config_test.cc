// The agent's configuration of controls: --check-config (the shipped data
// passes; an operator's mapping with an unmapped check, a check nobody emits,
// a ref outside the catalog or a missing framework fails with file and line,
// exit 1), and a baseline resolved for the host's group and distribution.
#include <gtest/gtest.h>

#include <algorithm>

#include "controls/builtin_data.h"
#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

TEST(CheckConfigTest, ShippedDataPasses) {
  CommandResult r = RunCommand({SHOKO_AGENT_BIN, "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("configuration OK:"), std::string::npos) << r.out;
}

TEST(CheckConfigTest, AnOperatorMappingIsCheckedAgainstCollectorsAndCatalog) {
  TempDir dir;
  // Everything the build emits, minus logs.remote; plus problems.
  const std::string mapping =
      dir.Write("mapping.yaml",
                "version: op-1\nchecks:\n"
                "  logs.logrotate: [ismap:8.15, nist80053r5:AU-11]\n"
                "  logs.journald: [ismap:8.15]\n"
                "  logs.remotee: [ismap:8.15, nist80053r5:AU-9(2)]\n"
                "  logs.auditd: [ismap:8.15, nist80053r5:AU-2, ismap:8.99]\n"
                "  logs.on_disk: [ismap:8.15, nist80053r5:AU-9, cis-debian12:6.1.4.1]\n");
  const std::string config =
      dir.Write("agent.yaml", "state_dir: " + dir.Path("state") + "\nmapping: " + mapping + "\n");
  CommandResult r = RunCommand({SHOKO_AGENT_BIN, "--check-config", "--config", config});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const std::string& expected : {
           mapping + ":6: logs.auditd: ismap:8.99 is not in the catalog",
           mapping + ":7: logs.on_disk: no framework 'cis-debian12' in the catalog",
           mapping + ": logs.remote is not mapped to any control",
           mapping + ":4: logs.journald has no nist80053r5 ref",
           mapping + ":5: logs.remotee is not a check of this build",
       }) {
    EXPECT_NE(r.err.find(expected), std::string::npos) << expected << "\n" << r.err;
  }
  // A catalog that knows the operator's framework settles that one.
  const std::string catalog = dir.Write(
      "catalog.yaml",
      "version: op\nframeworks:\n  cis-debian12:\n    title: CIS Debian 12\n    controls:\n"
      "      - {id: '6.1.4.1', kind: control, title_en: Log file access}\n");
  const std::string with_catalog =
      dir.Write("agent2.yaml", "state_dir: " + dir.Path("state") + "\nmapping: " + mapping +
                                   "\ncatalog: " + catalog + "\n");
  CommandResult r2 = RunCommand({SHOKO_AGENT_BIN, "--check-config", "--config", with_catalog});
  EXPECT_EQ(r2.exit_code, 1);
  // The operator's catalog replaces the built-in one: ismap is now unknown.
  EXPECT_NE(r2.err.find("no framework 'ismap' in the catalog"), std::string::npos) << r2.err;
  EXPECT_EQ(r2.err.find("no framework 'cis-debian12'"), std::string::npos) << r2.err;
  CommandResult bad = RunCommand({SHOKO_AGENT_BIN, "--check-config", "--config", dir.Path("nope")});
  EXPECT_EQ(bad.exit_code, 2);
}

// The shipped baseline, copied as an operator would start from it, with one
// key misspelled: refused at the key's own line, not run with a default.
TEST(CheckConfigTest, AMisspelledKeyInTheShippedBaselineIsRefused) {
  TempDir dir;
  std::string shipped(controls::kBuiltinBaselineYaml);
  const std::string key = "    security_grace_days: 14\n";
  const size_t at = shipped.find(key);
  ASSERT_NE(at, std::string::npos);
  const int line = static_cast<int>(std::count(shipped.begin(), shipped.begin() + at, '\n')) + 1;
  shipped.replace(at, key.size(), "    security_grace_day: 14\n");
  const std::string baseline = dir.Write("baseline.yaml", shipped);
  const std::string config =
      dir.Write("agent.yaml", "state_dir: " + dir.Path("state") + "\nbaseline: " + baseline + "\n");
  CommandResult check = RunCommand({SHOKO_AGENT_BIN, "--check-config", "--config", config});
  EXPECT_EQ(check.exit_code, 1) << check.err;
  EXPECT_NE(check.err.find(baseline + ":" + std::to_string(line) +
                           ": patch.pending_updates: unknown key 'security_grace_day'"),
            std::string::npos)
      << check.err;
}

// A baseline is checked against what the collectors declare they read: a
// misspelled key (which would silently mean nothing), a mistyped and an
// out-of-range value, in the defaults and in a host group, each named by file,
// line and key, at --check-config (exit 1) and when collection starts (exit 2).
TEST(CheckConfigTest, ABaselineIsCheckedAgainstTheCollectorsDeclarations) {
  TempDir dir;
  const std::string baseline = dir.Write("baseline.yaml", R"(id: op
version: '1'
values:
  patch.pending_updates:
    security_grace_day: 7
    rationale: r
    source: s
  access.sshd.max_auth_tries:
    max: four
    rationale: r
    source: s
  patch.last_update:
    max_update_age_days: 30
    max_index_age_days: 99999
    rationale: r
    source: s
groups:
  bastion:
    values:
      patch.last_update:
        max_update_age_days: -1
        rationale: r
        source: s
)");
  const std::string config =
      dir.Write("agent.yaml", "state_dir: " + dir.Path("state") + "\nbaseline: " + baseline + "\n");
  // One line per problem, in the file's order.
  CommandResult check = RunCommand({SHOKO_AGENT_BIN, "--check-config", "--config", config});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  std::vector<std::string> problems;
  for (size_t at = check.err.find(baseline); at != std::string::npos;
       at = check.err.find(baseline, at + 1)) {
    problems.push_back(check.err.substr(at, check.err.find('\n', at) - at));
  }
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                baseline + ":5: patch.pending_updates: unknown key 'security_grace_day' (known: "
                           "security_grace_days)",
                baseline + ":9: access.sshd.max_auth_tries: max: expected an integer from 0 to "
                           "2147483647, not \"four\"",
                baseline + ":14: patch.last_update: max_index_age_days: 99999 is above 36500",
                baseline + ":21: group bastion: patch.last_update: max_update_age_days: -1 is "
                           "below 0"}))
      << check.err;
  CommandResult collect = RunCommand(
      {SHOKO_AGENT_BIN, "collect", "--once", "--config", config, "--collector", "logs.remote"});
  EXPECT_EQ(collect.exit_code, 2) << collect.err;
  EXPECT_NE(collect.err.find(baseline + ":5: patch.pending_updates: unknown key "
                                        "'security_grace_day' (known: security_grace_days) (and 3 "
                                        "more problem(s)"),
            std::string::npos)
      << collect.err;
}

TEST(CheckConfigTest, CollectionJudgesByTheHostsGroupAndDistribution) {
  TempDir dir;
  const std::string baseline = dir.Write(
      "baseline.yaml",
      "id: op\nversion: '1'\nvalues:\n"
      "  access.sshd.max_auth_tries:\n    max: {by_distribution: {debian: 6, default: 2}}\n"
      "    rationale: r\n    source: s\n"
      "groups:\n  bastion:\n    values:\n      access.sshd.max_auth_tries:\n        max: 3\n"
      "        rationale: stricter\n        source: operator policy\n");
  // The sshd-defaults fixture (MaxAuthTries 6), made a Debian host.
  const std::string root = dir.Path("root");
  ASSERT_EQ(RunCommand({"cp", "-r", testing::FixturePath("sshd-defaults"), root}).exit_code, 0);
  dir.Write("root/etc/os-release", "ID=debian\n");
  auto collect = [&](const std::string& group) {
    const std::string config = dir.Write(
        "agent-" + group + ".yaml", "state_dir: " + dir.Path("state") + "\nbaseline: " + baseline +
                                        "\nlabels:\n  group: " + group + "\n");
    CommandResult r = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--config", config,
                                  "--root", root, "--collector", "access.sshd"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (size_t at = 0; at < r.out.size();) {
      const size_t nl = r.out.find('\n', at);
      const std::string line = r.out.substr(at, nl - at);
      at = nl == std::string::npos ? r.out.size() : nl + 1;
      if (line.find("\"access.sshd.max_auth_tries\"") != std::string::npos) return line;
    }
    return std::string();
  };
  const std::string web = collect("web");  // no overrides: Debian's 6
  EXPECT_NE(web.find("\"verdict\":\"pass\""), std::string::npos) << web;
  const std::string bastion = collect("bastion");  // the group's 3
  EXPECT_NE(bastion.find("\"verdict\":\"fail\""), std::string::npos) << bastion;
  EXPECT_NE(bastion.find("at most 3"), std::string::npos) << bastion;
}

TEST(CheckConfigTest, DeclarativeChecksComeFromTheConfigNotTheRoot) {
  TempDir dir;
  dir.Write("checks.d/site.yaml",
            "checks:\n  - id: site.motd\n    title: A login banner is set\n    rationale: r\n"
            "    controls: [ismap:8.5, nist80053r5:AC-8]\n"
            "    rules: [{file: /etc/motd, exists: true}]\n");
  dir.Write("root/etc/motd", "Authorised use only.\n");
  // A checks.d under the root is the host's, not the agent's: never loaded.
  dir.Write("root/etc/shoko/checks.d/evil.yaml", "checks: [oops\n");
  const std::string config = dir.Write(
      "agent.yaml", "state_dir: " + dir.Path("state") + "\nchecks_dir: " + dir.Path("checks.d") +
                        "\nroot: " + dir.Path("root") + "\ncollectors: [custom]\n");
  CommandResult r = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--config", config});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"check_id\":\"custom.site.motd\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"controls\":[\"ismap:8.5\",\"nist80053r5:AC-8\"]"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"verdict\":\"pass\""), std::string::npos) << r.out;
  CommandResult ok = RunCommand({SHOKO_AGENT_BIN, "--check-config", "--config", config});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("1 declarative check(s)"), std::string::npos) << ok.out;
  // A bad check file stops the agent at start, naming file and line.
  dir.Write("checks.d/bad.yaml",
            "checks:\n  - id: x\n    title: t\n    rationale: r\n    controls: [ismap:8.5]\n"
            "    rules: [{file: /etc/x, line: 'a(('}]\n");
  CommandResult bad = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--config", config});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(dir.Path("checks.d/bad.yaml") + ":6: line: bad regular expression"),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(RunCommand({SHOKO_AGENT_BIN, "--check-config", "--config", config}).exit_code, 1);
}

// Reports map through the store's mapping (docs/controls.md, "Mapping"): a re-import re-maps the
// history already stored, whatever refs the records were signed with.
TEST(CheckConfigTest, TheStoresMappingReMapsHistory) {
  TempDir dir;
  {
    StoreProcess store(dir);
    std::string config = AgentConfig(dir, store.address(), testing::FixturePath("debian12-sshd"));
    ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config}).exit_code, 0);
    EXPECT_EQ(store.Stop(), 0);
  }
  const std::string mapping =
      dir.Write("mapping.yaml",
                "version: reimport-1\nchecks:\n"
                "  access.sshd.permit_root_login: [ismap:5.15, nist80053r5:AC-3]\n");
  const std::string store_config = dir.Write("store.yaml", "mapping: " + mapping + "\n");
  StoreProcess store(dir, "127.0.0.1:0", {"--insecure-loopback", "--config", store_config});
  auto query = [&](const std::string& control) {
    CommandResult r = RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--control",
                                  control, "--format", "jsonl"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> checks;
    for (const auto& j : JsonLines(r.out)) checks.push_back(j["check_id"]);
    return checks;
  };
  // Signed with ismap:8.2, found under 5.15 now, and no longer under 8.2.
  EXPECT_EQ(query("ismap:5.15"), std::vector<std::string>{"access.sshd.permit_root_login"});
  EXPECT_EQ(query("ismap:8.2"), std::vector<std::string>{});
  // Checks the store's mapping does not name are found by their own refs.
  auto by_own_refs = query("ismap:8.24");
  EXPECT_EQ(by_own_refs.size(), 3u);  // ciphers, MACs, key exchange
  EXPECT_EQ(store.Stop(), 0);

  // A mapping naming a control the catalog lacks stops the store at start.
  const std::string bad =
      dir.Write("bad.yaml", "version: x\nchecks:\n  a.b: [ismap:9.9, nist80053r5:AC-3]\n");
  CommandResult refused = RunCommand({SHOKO_STORE_BIN, "serve", "--listen", "127.0.0.1:0", "--db",
                                      dir.Path("store/store.db"), "--insecure-loopback", "--config",
                                      dir.Write("store-bad.yaml", "mapping: " + bad + "\n")});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find(bad + ":3: a.b: ismap:9.9 is not in the catalog"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace shoko
