// The statement of applicability: the shipped example, what validation
// refuses (with file and line), expiry, and the export package.
#include "controls/soa.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/soa_command.h"
#include "tests/support/temp_dir.h"

namespace shoko::controls {
namespace {

using testing::TempDir;

std::string Example() {
  return std::string(SHOKO_FIXTURES_DIR) + "/../../packaging/soa.example.yaml";
}

TEST(SoaTest, TheShippedExampleIsValid) {
  auto soa = Soa::Load(Example(), Catalog::BuiltIn());
  ASSERT_TRUE(soa.ok()) << soa.status().message();
  EXPECT_EQ(soa->service(), "Example Cloud Platform");
  EXPECT_EQ(soa->regions(), (std::vector<std::string>{"ap-northeast-1", "ap-northeast-3"}));
  ASSERT_NE(soa->Find("ismap:8.23"), nullptr);
  EXPECT_EQ(soa->Find("ismap:8.23")->risk_assessment, "RA-2026-01");
  EXPECT_EQ(soa->Find("ismap:7.1")->provider.registration, "C23-0001-1");
  EXPECT_EQ(soa->Find("ismap:8.9"), nullptr);       // undeclared: implemented by default
  EXPECT_TRUE(soa->Expired("2027-03-31").empty());  // its last valid day
  ASSERT_EQ(soa->Expired("2027-04-01").size(), 1u);
  EXPECT_NE(soa->Expired("2027-04-01")[0].find("expired on 2027-03-31"), std::string::npos);
}

TEST(SoaTest, RefusalsNameFileAndLine) {
  const std::string head =
      "service: {name: S}\nrisk_assessments:\n  - {id: RA-1, date: 2026-01-01}\n";
  for (const auto& [body, expected] : std::vector<std::pair<std::string, std::string>>{
           {"controls:\n  - {control: ismap:9.1, status: implemented}\n",
            "s.yaml:5: ismap:9.1 is not in the catalog"},
           {"controls:\n  - {control: ismap:8.8, status: implemented}\n"
            "  - {control: ismap:8.8, status: implemented}\n",
            "s.yaml:6: ismap:8.8 is declared twice"},
           {"controls:\n  - {control: ismap:8.8, status: skipped}\n",
            "s.yaml:5: status: expected implemented, excluded or inherited"},
           {"controls:\n  - {control: ismap:8.8, status: excluded, reason: too_costly, "
            "rationale: r, approved_by: a, approved_on: 2026-01-02}\n",
            "s.yaml:5: reason: expected not_reasonably_applicable or risk_assessed_unnecessary"},
           {"controls:\n  - {control: ismap:8.8, status: excluded, reason: "
            "not_reasonably_applicable, rationale: r, approved_by: a}\n",
            "s.yaml:5: missing 'approved_on' (ismap:8.8 is excluded)"},
           {"controls:\n  - {control: ismap:8.8, status: excluded, reason: "
            "risk_assessed_unnecessary, rationale: r, approved_by: a, approved_on: 2026-01-02}\n",
            "s.yaml:5: ismap:8.8: a risk-analysis exclusion names its risk_assessment"},
           {"controls:\n  - {control: ismap:8.8, status: excluded, reason: "
            "risk_assessed_unnecessary, rationale: r, approved_by: a, approved_on: 2026-01-02, "
            "risk_assessment: RA-9}\n",
            "s.yaml:5: risk_assessment RA-9 is not in risk_assessments"},
           {"controls:\n  - {control: ismap:7.1, status: inherited, provider: {service: X}}\n",
            "s.yaml:5: missing 'registration'"},
           {"controls:\n  - {control: ismap:8.8, status: excluded, reason: "
            "not_reasonably_applicable, rationale: r, approved_by: a, approved_on: 2026-02-30}\n",
            "s.yaml:5: approved_on: not a date YYYY-MM-DD"},
           {"exceptions:\n  - {control: ismap:8.8, reason: r, approved_by: a, expires: "
            "2026-12-31}\n",
            "s.yaml:5: ismap:8.8: an exception names its hosts by labels or by agents"},
           {"exceptions:\n  - {control: ismap:8.8, labels: {team: x}, reason: r, approved_by: a, "
            "expires: 2026-12-31}\n",
            "s.yaml:5: unknown key 'team' in labels"},
           {"exceptions:\n  - control: ismap:8.8\n    agents:\n      - " + std::string(64, 'b') +
                "\n      - abc\n    reason: r\n    approved_by: a\n    expires: 2026-12-31\n",
            "s.yaml:8: agents: 'abc' is not an agent id"},
       }) {
    auto soa = Soa::Parse(head + body, "s.yaml", Catalog::BuiltIn());
    ASSERT_FALSE(soa.ok()) << body;
    EXPECT_EQ(soa.status().message().substr(0, expected.size()), expected)
        << soa.status().message();
  }
  EXPECT_FALSE(Soa::Parse("controls: []\n", "s.yaml", Catalog::BuiltIn()).ok());  // no service
}

TEST(SoaTest, ExportFlagsExclusionsTheEvidenceContradicts) {
  TempDir dir;
  const std::string file =
      dir.Write("soa.yaml",
                "service: {name: S, regions: [r1]}\ncontrols:\n"
                "  - {control: ismap:8.8, status: excluded, reason: not_reasonably_applicable, "
                "rationale: no packages, approved_by: a, approved_on: 2026-01-02}\n"
                "exceptions:\n  - {control: ismap:8.15, agents: [" +
                    std::string(64, 'a') +
                    "], reason: r, approved_by: b, "
                    "expires: 2026-06-30}\n");
  cli::SoaRequest r;
  r.file = file;
  r.export_package = true;
  r.format = "json";
  r.today = "2026-07-01";
  std::ostringstream out, err;
  ASSERT_EQ(cli::RunSoa(r, out, err), 0) << err.str();
  auto pkg = nlohmann::json::parse(out.str());
  EXPECT_EQ(pkg["service"]["regions"], nlohmann::json::array({"r1"}));
  ASSERT_EQ(pkg["exclusions"].size(), 1u);
  EXPECT_EQ(pkg["exclusions"][0]["reason"], "not_reasonably_applicable");
  ASSERT_EQ(pkg["summary"]["to_review"].size(), 1u);
  EXPECT_NE(pkg["summary"]["to_review"][0].get<std::string>().find(
                "ismap:8.8 is excluded as not reasonably applicable, yet host checks evidence it"),
            std::string::npos);
  EXPECT_EQ(pkg["exceptions"][0]["expired"], true);
  EXPECT_NE(err.str().find("expired on 2026-06-30"), std::string::npos);
  EXPECT_EQ(pkg["controls"].size(), 94u);
  r.export_package = false;
  std::ostringstream out2, err2;
  EXPECT_EQ(cli::RunSoa(r, out2, err2), 0);
  EXPECT_NE(out2.str().find("1 of 94 ismap controls declared"), std::string::npos) << out2.str();
}

}  // namespace
}  // namespace shoko::controls
