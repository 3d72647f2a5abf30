// The baseline resolved for one host (its group's overrides and the values
// keyed by its distribution), and checked against a schema as collectors
// declare one: each problem named by file, line and key.
#include "controls/baseline.h"

#include <gtest/gtest.h>

#include "controls/baseline_schema.h"

namespace shoko::controls {
namespace {

constexpr char kYaml[] =
    "id: b\nversion: '1'\nvalues:\n"
    "  access.sshd.max_auth_tries:\n    max: 4\n    rationale: r\n    source: s\n"
    "  access.password_policy.lockout:\n"
    "    max_deny: {by_distribution: {debian: 4, rhel: 5, default: 6}}\n"
    "    min_unlock_time: 900\n    rationale: r\n    source: s\n"
    "groups:\n"
    "  bastion:\n    values:\n"
    "      access.sshd.max_auth_tries:\n        max: 3\n        rationale: stricter\n"
    "        source: operator policy\n";

TEST(BaselineTest, GroupOverridesAndDistributionKeys) {
  auto b = Baseline::Parse(kYaml, "b.yaml");
  ASSERT_TRUE(b.ok()) << b.status().message();
  const Baseline rocky = b->ForHost("", {"rocky", "rhel", "centos", "fedora"});
  EXPECT_EQ(rocky.ExpectedFor("access.password_policy.lockout")["max_deny"], 5);  // via ID_LIKE
  EXPECT_EQ(rocky.ExpectedFor("access.password_policy.lockout")["min_unlock_time"], 900);
  EXPECT_EQ(rocky.ExpectedFor("access.sshd.max_auth_tries")["max"], 4);
  const Baseline bastion = b->ForHost("bastion", {"debian"});
  EXPECT_EQ(bastion.id(), "b/bastion");
  EXPECT_EQ(bastion.ExpectedFor("access.sshd.max_auth_tries")["max"], 3);
  EXPECT_EQ(bastion.ExpectedFor("access.password_policy.lockout")["max_deny"], 4);
  EXPECT_EQ(b->ForHost("web", {"arch"}).ExpectedFor("access.password_policy.lockout")["max_deny"],
            6);  // no such group: the defaults; no such distribution: default
}

TEST(BaselineTest, GroupsAreCheckedAgainstTheDefaults) {
  const std::string head =
      "id: b\nversion: '1'\nvalues:\n  x.check:\n    max: 4\n    rationale: r\n    source: s\n"
      "groups:\n  g:\n    values:\n";
  for (const auto& [body, expected] : std::vector<std::pair<std::string, std::string>>{
           {"      y.check:\n        max: 1\n        rationale: r\n        source: s\n",
            "b.yaml:11: group g: y.check has no default value to override"},
           {"      x.check:\n        min: 1\n        rationale: r\n        source: s\n",
            "b.yaml:11: group g: x.check: 'min' is not one of its values"},
           {"      x.check:\n        max: 1\n", "b.yaml:11: group g: x.check: missing 'rationale'"},
       }) {
    auto b = Baseline::Parse(head + body, "b.yaml");
    ASSERT_FALSE(b.ok()) << body;
    EXPECT_EQ(b.status().message(), expected);
  }
}

// A schema as collectors declare one: each check with its keys' types and ranges.
BaselineSchema Schema() {
  BaselineSchema schema;
  schema.Add("patch.pending_updates", {NumberKey("security_grace_days", 0, 36500)});
  schema.Add("access.sshd.max_auth_tries",
             {IntegerKey("min", 0, 100).Optional(), IntegerKey("max", 0, 100).ByDistribution()});
  schema.Add("access.sshd.log_level", {StringListKey("allowed", {"INFO", "VERBOSE"}),
                                       StringListKey("forbidden").Optional()});
  schema.Add("access.sudo.nopasswd", {BooleanKey("allowed")});
  schema.Add("access.file_permissions",
             {ObjectListKey("files", {StringKey("path"), ModeKey("max_mode"),
                                      NameOrListKey("owner").Optional()})});
  schema.Add("access.accounts.uid0", {});
  return schema;
}

// `check` with `values` (lines at `indent`), and the rationale and source
// every entry carries.
std::string Entry(const std::string& indent, const std::string& check,
                  const std::vector<std::string>& values) {
  std::string out = indent + check + ":\n";
  for (const std::string& v : values) out += indent + "  " + v + "\n";
  return out + indent + "  rationale: r\n" + indent + "  source: s\n";
}

// A baseline that fits Schema(); the tests below break one line of it.
std::string ValidYaml() {
  return "id: b\nversion: '1'\nvalues:\n" +
         Entry("  ", "patch.pending_updates", {"security_grace_days: 14"}) +
         Entry("  ", "access.sshd.max_auth_tries",
               {"max: {by_distribution: {debian: 4, default: 6}}"}) +
         Entry("  ", "access.sshd.log_level", {"allowed: [INFO]"}) +
         Entry("  ", "access.sudo.nopasswd", {"allowed: false"}) +
         Entry("  ", "access.file_permissions",
               {"files:", "  - {path: /etc/passwd, max_mode: '0644', owner: root}",
                "  - {path: /etc/shadow, max_mode: '0640', owner: [root, shadow]}"}) +
         "groups:\n  bastion:\n    values:\n" +
         Entry("      ", "access.sshd.max_auth_tries", {"max: 3"});
}

TEST(BaselineSchemaTest, AValidBaselineHasNoProblems) {
  auto b = Baseline::Parse(ValidYaml(), "b.yaml");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(Schema().Problems(*b), std::vector<std::string>{});
  EXPECT_TRUE(Schema().Validate(*b).ok());
}

// Each bad value is named by file, line and key, in the defaults and in a group.
TEST(BaselineSchemaTest, ProblemsNameFileLineAndKey) {
  for (const auto& [from, to, expected] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"security_grace_days: 14", "security_grace_day: 7",
            "b.yaml:5: patch.pending_updates: unknown key 'security_grace_day' (known: "
            "security_grace_days)"},
           {"security_grace_days: 14", "security_grace_days: two weeks",
            "b.yaml:5: patch.pending_updates: security_grace_days: expected a number from 0 to "
            "36500, not \"two weeks\""},
           {"security_grace_days: 14", "security_grace_days: 40000",
            "b.yaml:5: patch.pending_updates: security_grace_days: 40000 is above 36500"},
           {"security_grace_days: 14", "security_grace_days: -1",
            "b.yaml:5: patch.pending_updates: security_grace_days: -1 is below 0"},
           {"debian: 4, default: 6", "debian: four, default: 6",
            "b.yaml:9: access.sshd.max_auth_tries: max: by_distribution: debian: expected an "
            "integer from 0 to 100, not \"four\""},
           {"allowed: [INFO]", "allowed: {by_distribution: {debian: [INFO]}}",
            "b.yaml:13: access.sshd.log_level: allowed: {by_distribution: …} is not allowed here"},
           {"allowed: [INFO]", "allowed: [INFO, LOUD]",
            "b.yaml:13: access.sshd.log_level: allowed[1]: \"LOUD\" is not one of INFO, VERBOSE"},
           {"allowed: false", "allowed: 'no'",
            "b.yaml:17: access.sudo.nopasswd: allowed: expected true or false, not \"no\""},
           {"max_mode: '0640'", "max_mode: '0999'",
            "b.yaml:23: access.file_permissions: files[1]: max_mode: expected an octal mode "
            "such as \"0640\", not \"0999\""},
           {"{path: /etc/passwd, max_mode: '0644', owner: root}", "{path: /etc/passwd, mode: 1}",
            "b.yaml:22: access.file_permissions: files[0]: unknown field 'mode'"},
           {"access.sudo.nopasswd:", "access.sudo.nopasswdd:",
            "b.yaml:16: unknown check 'access.sudo.nopasswdd' (no collector of this build judges "
            "it)"},
           {"allowed: [INFO]", "forbidden: [DEBUG]",
            "b.yaml:12: access.sshd.log_level: missing key 'allowed'"},
           {"{path: /etc/passwd, max_mode: '0644', owner: root}", "{path: /etc/passwd}",
            "b.yaml:22: access.file_permissions: files[0]: missing field 'max_mode'"},
           {"        max: 3\n", "        max: 300\n",
            "b.yaml:30: group bastion: access.sshd.max_auth_tries: max: 300 is above 100"},
       }) {
    std::string yaml = ValidYaml();
    const size_t at = yaml.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
    auto b = Baseline::Parse(yaml, "b.yaml");
    ASSERT_TRUE(b.ok()) << b.status().message();
    const std::vector<std::string> problems = Schema().Problems(*b);
    EXPECT_EQ(problems, std::vector<std::string>{expected}) << to;
    EXPECT_EQ(Schema().Validate(*b).message(), expected);
  }
}

TEST(BaselineSchemaTest, ValidateCountsTheOtherProblems) {
  std::string yaml = ValidYaml();
  yaml.replace(yaml.find("allowed: false"), 14, "allowed: 1");
  yaml.replace(yaml.find("security_grace_days: 14"), 23, "security_grace_days: x");
  auto b = Baseline::Parse(yaml, "/etc/shoko/baseline.yaml");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Schema().Problems(*b).size(), 2u);
  EXPECT_EQ(Schema().Validate(*b).message(),
            "/etc/shoko/baseline.yaml:5: patch.pending_updates: security_grace_days: expected a "
            "number from 0 to 36500, not \"x\" (and 1 more problem(s): shoko-agent "
            "--check-config lists them)");
}

TEST(BaselineSchemaTest, ACheckThatReadsNothingHasNoKeys) {
  auto b = Baseline::Parse(
      "id: b\nversion: '1'\nvalues:\n  access.accounts.uid0:\n    max: 0\n"
      "    rationale: r\n    source: s\n",
      "b.yaml");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Schema().Problems(*b),
            std::vector<std::string>{
                "b.yaml:5: access.accounts.uid0: unknown key 'max' (it reads no baseline values)"});
}

}  // namespace
}  // namespace shoko::controls
