// The collectors' declared contract against everything that names their
// checks: the shipped baseline, the shipped mapping and the README's table,
// so that a check id or a baseline key cannot drift; and baselines an
// operator writes, refused with file, line and key.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "controls/baseline_schema.h"
#include "controls/mapping.h"
#include "platform/env.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors {
namespace {

const CollectorRegistry& Registry() { return CollectorRegistry::Global(); }

std::set<std::string> Set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(ContractTest, TheShippedBaselineFitsTheDeclarations) {
  EXPECT_EQ(Registry().BaselineSchema().Problems(controls::Baseline::BuiltIn()),
            std::vector<std::string>{});
}

// Every check_id a declaration reads baseline values for has them in the
// shipped baseline: the defaults live there and nowhere else.
TEST(ContractTest, TheShippedBaselineHoldsEveryDeclaredKey) {
  const controls::Baseline& shipped = controls::Baseline::BuiltIn();
  for (const std::string& name : Registry().Names()) {
    const CollectorDeclaration* d = Registry().Find(name);
    ASSERT_NE(d, nullptr);
    std::vector<CheckDeclaration> checks = d->rules;
    checks.insert(checks.begin(), d->observation);
    for (const CheckDeclaration& c : checks) {
      for (const controls::BaselineKey& key : c.baseline) {
        if (key.optional) continue;
        EXPECT_TRUE(shipped.ExpectedFor(c.id).contains(key.name)) << c.id << "." << key.name;
      }
    }
  }
}

TEST(ContractTest, TheShippedMappingMapsExactlyTheDeclaredChecks) {
  const controls::Mapping& mapping = controls::Mapping::BuiltIn();
  const std::set<std::string> declared = Set(Registry().CheckIds());
  for (const auto& [id, refs] : mapping.checks()) {
    const bool agents = id.starts_with("agent.") || id.starts_with("custom.");
    EXPECT_TRUE(agents || declared.contains(id))
        << "mapping.yaml:" << mapping.CheckLine(id) << ": " << id << " is declared by no collector";
  }
  for (const std::string& id : Registry().VerdictChecks()) {
    EXPECT_FALSE(mapping.RefsFor(id).empty()) << id << " has a verdict and no mapping";
  }
}

// The check ids the README's "## Collectors" table names: in each row's first
// cell, the first `id` is the observation and every `.suffix` after it a rule.
std::set<std::string> ReadmeCheckIds() {
  std::ifstream in(std::string(SHOKO_FIXTURES_DIR) + "/../../README.md");
  EXPECT_TRUE(in.good());
  std::set<std::string> ids;
  bool in_section = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## ")) in_section = line == "## Collectors";
    if (!in_section || !line.starts_with("| `")) continue;
    const std::string cell = line.substr(2, line.find(" |", 2) - 2);
    std::string observation;
    for (size_t at = cell.find('`'); at != std::string::npos; at = cell.find('`', at + 1)) {
      const size_t end = cell.find('`', at + 1);
      const std::string id = cell.substr(at + 1, end - at - 1);
      at = end;
      if (observation.empty()) {
        observation = id;
        if (!id.starts_with("custom.")) ids.insert(id);
      } else if (id.starts_with(".")) {
        ids.insert(observation + id);
      }
    }
  }
  return ids;
}

TEST(ContractTest, TheReadmeTableNamesExactlyTheDeclaredChecks) {
  EXPECT_EQ(ReadmeCheckIds(), Set(Registry().CheckIds()));
}

// What an operator writes: a baseline file with its own values and groups.
constexpr char kOperatorBaseline[] =
    "id: op\nversion: '1'\nvalues:\n"
    "  patch.pending_updates:\n    security_grace_days: 14\n    rationale: r\n    source: s\n"
    "  access.sshd.max_auth_tries:\n    max: 4\n    rationale: r\n    source: s\n"
    "groups:\n  bastion:\n    values:\n"
    "      access.sshd.max_auth_tries:\n        max: 3\n"
    "        rationale: r\n        source: s\n";

std::vector<std::string> ProblemsAfter(const std::string& from, const std::string& to) {
  std::string yaml = kOperatorBaseline;
  yaml.replace(yaml.rfind(from), from.size(), to);
  auto b = controls::Baseline::Parse(yaml, "/etc/shoko/baseline.yaml");
  EXPECT_TRUE(b.ok()) << b.status().message();
  if (!b.ok()) return {};
  return Registry().BaselineSchema().Problems(*b);
}

// A misspelled, a mistyped and an out-of-range value, in the defaults and in
// a host group: each refused with file, line and key.
TEST(ContractTest, AnOperatorsBaselineIsRefusedWithFileLineAndKey) {
  EXPECT_EQ(ProblemsAfter("", ""), std::vector<std::string>{});
  const std::string file = "/etc/shoko/baseline.yaml:";
  struct Case {
    const char* from;
    const char* to;
    std::string problem;
  };
  for (const Case& c : std::vector<Case>{
           // Today's silent default: a misspelled key.
           {"security_grace_days: 14", "security_grace_day: 7",
            file + "5: patch.pending_updates: unknown key 'security_grace_day' (known: "
                   "security_grace_days)"},
           {"    max: 4", "    max: four",
            file + "9: access.sshd.max_auth_tries: max: expected an integer from 0 to 2147483647, "
                   "not \"four\""},
           {"security_grace_days: 14", "security_grace_days: 99999",
            file + "5: patch.pending_updates: security_grace_days: 99999 is above 36500"},
           {"max: 3", "max: three",
            file + "16: group bastion: access.sshd.max_auth_tries: max: expected an integer from "
                   "0 to 2147483647, not \"three\""},
           {"max: 3", "max: -3",
            file + "16: group bastion: access.sshd.max_auth_tries: max: -3 is below 0"},
       }) {
    EXPECT_EQ(ProblemsAfter(c.from, c.to), std::vector<std::string>{c.problem}) << c.to;
  }
  // A misspelled key in a group overrides nothing: refused as the file is read.
  std::string yaml = kOperatorBaseline;
  yaml.replace(yaml.rfind("max: 3"), 6, "maks: 3");
  auto misspelled = controls::Baseline::Parse(yaml, "/etc/shoko/baseline.yaml");
  ASSERT_FALSE(misspelled.ok());
  EXPECT_EQ(
      misspelled.status().message(),
      file + "15: group bastion: access.sshd.max_auth_tries: 'maks' is not one of its values");
}

// A baseline nobody validated may lack a value: the record that needs it is
// an error naming the check and the key, never judged by a default.
TEST(ContractTest, AMissingValueIsAnErrorNamingCheckAndKey) {
  // Only password_max_age has its value.
  auto baseline = controls::Baseline::Parse(R"(id: partial
version: '1'
values:
  access.accounts.password_max_age: {max_days: 365, rationale: r, source: s}
)",
                                            "partial.yaml");
  ASSERT_TRUE(baseline.ok()) << baseline.status().message();
  auto env = platform::NewRootedEnv(testing::FixturePath("debian12-accounts"));
  ASSERT_TRUE(env.ok());
  const CollectContext ctx{**env, *baseline};
  std::map<std::string, Observation> records;
  for (const char* collector : {"access.accounts", "access.ssh_keys"}) {
    for (Observation& o : Registry().Create(collector)->Collect(ctx)) {
      records[o.check_id] = std::move(o);
    }
  }
  EXPECT_EQ(records["access.accounts.password_max_age"].verdict, Verdict::kFail);
  EXPECT_EQ(records["access.accounts.dormant"].verdict, Verdict::kError);
  EXPECT_EQ(records["access.accounts.dormant"].message,
            "baseline has no value 'max_unused_days' for access.accounts.dormant");
  EXPECT_EQ(records["access.ssh_keys"].verdict, Verdict::kError);
  EXPECT_EQ(records["access.ssh_keys"].message,
            "baseline has no value 'min_rsa_bits' for access.ssh_keys");
}

}  // namespace
}  // namespace shoko::collectors
