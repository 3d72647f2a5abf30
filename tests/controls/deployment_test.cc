// Deployment validation as a pure function: every problem at once (a file
// that did not load, refs outside the catalog, a check with a verdict missing
// a required framework or unmapped, a mapping for a check the build does not
// emit), each naming file and line; a fitting deployment has none.
#include "controls/deployment.h"

#include <gtest/gtest.h>

namespace shoko::controls {
namespace {

Result<std::shared_ptr<const Mapping>> ParsedMapping(const std::string& yaml) {
  auto mapping = Mapping::Parse(yaml, "op.yaml");
  if (!mapping.ok()) return mapping.status();
  return std::shared_ptr<const Mapping>(std::make_shared<Mapping>(std::move(mapping).value()));
}

EmittedChecks Emitted() {
  EmittedChecks emitted;
  emitted.verdict_checks = {"a.one", "a.two", "a.three"};
  emitted.info_checks = {"a"};
  emitted.prefixes = {"custom."};
  return emitted;
}

bool Has(const std::vector<std::string>& problems, const std::string& expected) {
  for (const std::string& p : problems) {
    if (p == expected) return true;
  }
  return false;
}

TEST(DeploymentTest, EveryProblemIsReportedWithFileAndLine) {
  const Deployment deployment{
      ParsedMapping("version: op\nchecks:\n"
                    "  a.one: [ismap:8.2, nist80053r5:AC-6(2)]\n"
                    "  a.two: [ismap:8.2]\n"
                    "  a.typo: [ismap:8.2, nist80053r5:AC-3]\n"
                    "  a: [ismap:8.99]\n"
                    "  custom.site.motd: [ismap:8.5]\n"),
      Baseline::LoadOrBuiltIn(""), Catalog::LoadOrBuiltIn(""),
      Status::InvalidArgument("checks.d/bad.yaml:6: line: bad regular expression")};
  const std::vector<std::string> problems = CheckDeployment(deployment, Emitted());
  EXPECT_EQ(problems.size(), 5u) << ::testing::PrintToString(problems);
  for (const std::string& expected : {
           std::string("op.yaml:6: a: ismap:8.99 is not in the catalog (version ") +
               Catalog::BuiltIn().version() + ")",
           std::string("checks.d/bad.yaml:6: line: bad regular expression"),
           std::string("op.yaml: a.three is not mapped to any control"),
           std::string("op.yaml:4: a.two has no nist80053r5 ref"),
           std::string("op.yaml:5: a.typo is not a check of this build"),
       }) {
    EXPECT_TRUE(Has(problems, expected)) << expected << "\n" << ::testing::PrintToString(problems);
  }
}

TEST(DeploymentTest, EveryRequiredFrameworkIsRequiredOfEveryVerdict) {
  ASSERT_EQ(kRequiredFrameworks.size(), 2u);
  const Deployment deployment{ParsedMapping("version: op\nchecks:\n  a.one: [cis:1.1]\n"),
                              Baseline::LoadOrBuiltIn(""), Catalog::LoadOrBuiltIn(""),
                              Status::OK()};
  EmittedChecks emitted;
  emitted.verdict_checks = {"a.one"};
  const std::vector<std::string> problems = CheckDeployment(deployment, emitted);
  for (std::string_view framework : kRequiredFrameworks) {
    EXPECT_TRUE(Has(problems, "op.yaml:3: a.one has no " + std::string(framework) + " ref"))
        << framework << "\n"
        << ::testing::PrintToString(problems);
  }
}

TEST(DeploymentTest, FilesThatDidNotLoadAreAllReported) {
  const Deployment deployment{Status::InvalidArgument("mapping.yaml:2: bad"),
                              Status::InvalidArgument("baseline.yaml:9: bad"),
                              Status::NotFound("catalog.yaml: No such file or directory"),
                              Status::OK()};
  EXPECT_EQ(CheckDeployment(deployment, Emitted()),
            (std::vector<std::string>{"mapping.yaml:2: bad", "baseline.yaml:9: bad",
                                      "catalog.yaml: No such file or directory"}));
}

TEST(DeploymentTest, TheShippedDataFitsWhatItMaps) {
  const Deployment deployment{Mapping::LoadOrBuiltIn(""), Baseline::LoadOrBuiltIn(""),
                              Catalog::LoadOrBuiltIn(""), Status::OK()};
  EmittedChecks emitted;
  for (const auto& [id, refs] : (*deployment.mapping)->checks()) emitted.info_checks.insert(id);
  emitted.verdict_checks = {"access.sshd.permit_root_login"};
  EXPECT_EQ(CheckDeployment(deployment, emitted), std::vector<std::string>());
}

// The baseline against the keys the build's checks declare they read.
TEST(DeploymentTest, TheBaselineIsCheckedAgainstTheDeclaredKeys) {
  EmittedChecks emitted = Emitted();
  emitted.baseline_schema.emplace();
  emitted.baseline_schema->Add("a.one", {IntegerKey("max", 0, 10)});
  auto baseline = Baseline::Parse(
      "id: op\nversion: '1'\nvalues:\n  a.one:\n    maks: 4\n    rationale: r\n    source: s\n",
      "baseline.yaml");
  ASSERT_TRUE(baseline.ok()) << baseline.status().message();
  const Deployment deployment{
      ParsedMapping("version: op\nchecks:\n"
                    "  a.one: [ismap:8.2, nist80053r5:AC-6(2)]\n"
                    "  a.two: [ismap:8.2, nist80053r5:AC-6(2)]\n"
                    "  a.three: [ismap:8.2, nist80053r5:AC-6(2)]\n"),
      std::shared_ptr<const Baseline>(std::make_shared<Baseline>(std::move(baseline).value())),
      Catalog::LoadOrBuiltIn(""), Status::OK()};
  EXPECT_EQ(CheckDeployment(deployment, emitted),
            std::vector<std::string>{"baseline.yaml:5: a.one: unknown key 'maks' (known: max)"});
}

}  // namespace
}  // namespace shoko::controls
