// The baseline resolved for one host: its group's overrides and the values
// keyed by its distribution.
#include "controls/baseline.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace shoko::controls
