// shokoctl controls / controls coverage on the built-in data and on an
// operator's catalog and mapping.
#include "cli/controls_command.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace shoko::cli {
namespace {

using testing::TempDir;

TEST(ControlsCommandTest, ListsEveryControlWithItsChecks) {
  ControlsRequest r;
  r.format = "json";
  std::ostringstream out, err;
  ASSERT_EQ(RunControls(r, out, err), 0) << err.str();
  auto list = nlohmann::json::parse(out.str());
  ASSERT_EQ(list.size(), 94u);
  std::map<std::string, nlohmann::json> by_ref;
  for (const auto& c : list) by_ref[c["ref"]] = c;
  EXPECT_EQ(by_ref["ismap:8.8"]["coverage"], "automated");
  EXPECT_EQ(by_ref["ismap:8.8"]["oscal_id"], "ismap-8.8");
  EXPECT_NE(std::find(by_ref["ismap:8.8"]["checks"].begin(), by_ref["ismap:8.8"]["checks"].end(),
                      "patch.pending_updates"),
            by_ref["ismap:8.8"]["checks"].end());
  EXPECT_EQ(by_ref["ismap:7.1"]["coverage"], "none");  // physical: never a host check
  EXPECT_EQ(by_ref["ismap:5.6.1"]["parent"], "ismap:5.6");
  // Neither 5.6.1 nor its objective has a check: listing the objective first
  // does not make the detailed control partial (the table says none too).
  EXPECT_EQ(by_ref["ismap:5.6"]["checks"], nlohmann::json::array());
  EXPECT_EQ(by_ref["ismap:5.6.1"]["coverage"], "none");
  r.format = "table";
  std::ostringstream table, table_err;
  ASSERT_EQ(RunControls(r, table, table_err), 0) << table_err.str();
  EXPECT_NE(table.str().find("ismap:5.6.1             detailed    none "), std::string::npos)
      << table.str();
}

TEST(ControlsCommandTest, CoverageCountsAutomatedPartialAndNone) {
  TempDir dir;
  const std::string catalog = dir.Write(
      "c.yaml",
      "version: t\nframeworks:\n  ismap:\n    title: T\n    controls:\n"
      "      - {id: '8.8', kind: objective, title_en: Vuln, theme: technological}\n"
      "      - {id: '8.8.1', kind: detailed, parent: '8.8', title_en: A, theme: technological}\n"
      "      - {id: '8.8.2', kind: detailed, parent: '8.8', title_en: B, theme: technological}\n"
      "      - {id: '5.1', kind: objective, title_en: Policy, theme: organizational}\n"
      "      - {id: '5.1.1', kind: detailed, parent: '5.1', title_en: C, theme: organizational}\n"
      "  nist80053r5:\n    title: N\n    controls:\n"
      "      - {id: SI-2, kind: control, title_en: Flaw}\n");
  const std::string mapping = dir.Write(
      "m.yaml", "version: t\nchecks:\n  patch.pending_updates: [ismap:8.8.1, nist80053r5:SI-2]\n");
  ControlsRequest r;
  r.catalog_file = catalog;
  r.mapping_file = mapping;
  r.coverage = true;
  r.format = "json";
  std::ostringstream out, err;
  ASSERT_EQ(RunControls(r, out, err), 0) << err.str();
  auto j = nlohmann::json::parse(out.str());
  // 8.8.1 automated; 8.8 partial (through its child); 8.8.2 none (its
  // objective has no check of its own); 5.1 and 5.1.1 none.
  EXPECT_EQ(j["detailed"],
            (nlohmann::json{{"total", 3}, {"automated", 1}, {"partial", 0}, {"none", 2}}));
  EXPECT_EQ(j["objectives"],
            (nlohmann::json{{"total", 2}, {"automated", 0}, {"partial", 1}, {"none", 1}}));
  // A ref outside the catalog: still printed, and exit 1 with the line.
  dir.Write("m.yaml", "version: t\nchecks:\n  x: [ismap:9.9, nist80053r5:SI-2]\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunControls(r, out2, err2), 1);
  EXPECT_NE(err2.str().find("m.yaml:3: x: ismap:9.9 is not in the catalog"), std::string::npos)
      << err2.str();
  r.framework = "cis";
  std::ostringstream out3, err3;
  EXPECT_EQ(RunControls(r, out3, err3), 2);
  EXPECT_NE(err3.str().find("no framework 'cis' in the catalog (ismap, nist80053r5)"),
            std::string::npos);
}

TEST(ControlsCommandTest, ImportanceAndThreatsSortAndFilter) {
  TempDir dir;
  const std::string catalog = dir.Write(
      "c.yaml",
      "version: t\nframeworks:\n  ismap:\n    title: T\n    controls:\n"
      "      - {id: '5.1', kind: objective, title_en: A, importance: low}\n"
      "      - {id: '8.8', kind: objective, title_en: B, importance: high, threats: [T-vuln]}\n"
      "      - {id: '8.9', kind: objective, title_en: C}\n"
      "      - {id: '8.15', kind: objective, title_en: D, importance: medium, "
      "threats: [T-vuln, T-tamper]}\n");
  const std::string mapping = dir.Write("m.yaml", "version: t\nchecks: {}\n");
  ControlsRequest r;
  r.catalog_file = catalog;
  r.mapping_file = mapping;
  r.format = "json";
  auto refs = [&] {
    std::ostringstream out, err;
    EXPECT_EQ(RunControls(r, out, err), 0) << err.str();
    std::vector<std::string> v;
    for (const auto& c : nlohmann::json::parse(out.str())) v.push_back(c["ref"]);
    return v;
  };
  EXPECT_EQ(refs(),
            (std::vector<std::string>{"ismap:8.8", "ismap:8.15", "ismap:5.1", "ismap:8.9"}));
  r.threat = "T-vuln";
  EXPECT_EQ(refs(), (std::vector<std::string>{"ismap:8.8", "ismap:8.15"}));
  r.threat.clear();
  r.importance = "low";
  EXPECT_EQ(refs(), std::vector<std::string>{"ismap:5.1"});
}

}  // namespace
}  // namespace shoko::cli
