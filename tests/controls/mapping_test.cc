#include "controls/mapping.h"

#include <gtest/gtest.h>

#include "controls/baseline.h"
#include "controls/control_ref.h"
#include "platform/yaml_doc.h"

namespace shoko::controls {

using platform::ParseDuration;
using platform::YamlDoc;
using platform::YamlToJson;
namespace {

TEST(ControlRefTest, Grammar) {
  for (const char* ok : {"ismap:8.2", "ismap:5.6.1", "nist80053r5:AC-6(2)",
                         "ismap-legacy:9.2.3.11.PB", "cis-debian12:5.1.20", "iso27002:8.2"}) {
    EXPECT_TRUE(IsValidControlRef(ok)) << ok;
  }
  for (const char* bad : {"", "ismap", "ismap:", ":8.2", "ISMAP:8.2", "ismap 8.2", "ismap:8.2 ",
                          "ismap:8_2", "ismap:8.2*"}) {
    EXPECT_FALSE(IsValidControlRef(bad)) << bad;
  }
}

TEST(ControlRefTest, UnderMeansTheRefOrBelowIt) {
  EXPECT_TRUE(RefIsUnder("ismap:8.2", "ismap:8.2"));
  EXPECT_TRUE(RefIsUnder("ismap:8.2.1", "ismap:8.2"));
  EXPECT_TRUE(RefIsUnder("nist80053r5:AC-6(2)", "nist80053r5:AC-6"));
  EXPECT_FALSE(RefIsUnder("ismap:8.21", "ismap:8.2"));
  EXPECT_FALSE(RefIsUnder("ismap-legacy:8.2", "ismap:8.2"));
  EXPECT_TRUE(RefIsUnder("anything:1", ""));
}

TEST(MappingTest, BuiltInMappingIsValidAndMapsTheSkeletonCheck) {
  const Mapping& m = Mapping::BuiltIn();
  EXPECT_FALSE(m.version().empty());
  const auto& refs = m.RefsFor("access.sshd.permit_root_login");
  ASSERT_FALSE(refs.empty());
  bool has_ismap = false, has_nist = false;
  for (const std::string& r : refs) {
    EXPECT_TRUE(IsValidControlRef(r)) << r;
    has_ismap = has_ismap || r.rfind("ismap:", 0) == 0;
    has_nist = has_nist || r.rfind("nist80053r5:", 0) == 0;
  }
  EXPECT_TRUE(has_ismap);
  EXPECT_TRUE(has_nist);
  EXPECT_TRUE(m.RefsFor("no.such.check").empty());
}

TEST(MappingTest, ErrorsNameFileAndLine) {
  auto bad_ref =
      Mapping::Parse("version: x\nchecks:\n  a.b:\n    - ismap:8.2\n    - 'ismap 8.2'\n", "m.yaml");
  ASSERT_FALSE(bad_ref.ok());
  EXPECT_EQ(bad_ref.status().message().rfind("m.yaml:5: ", 0), 0u) << bad_ref.status().message();

  auto dup = Mapping::Parse("version: x\nchecks:\n  a.b: [ismap:8.2, ismap:8.2]\n", "m.yaml");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("duplicate"), std::string::npos);

  auto unknown = Mapping::Parse("version: x\nchecks: {}\nextra: 1\n", "m.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message().rfind("m.yaml:3: unknown key 'extra'", 0), 0u)
      << unknown.status().message();

  auto syntax = Mapping::Parse("version: [unclosed\n", "m.yaml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().message().rfind("m.yaml:", 0), 0u);

  auto missing = Mapping::Load("/nonexistent/mapping.yaml");
  EXPECT_TRUE(missing.status().IsNotFound());
}

TEST(BaselineTest, BuiltInBaselineHasTheRootLoginRule) {
  const Baseline& b = Baseline::BuiltIn();
  EXPECT_EQ(b.id(), "shoko-default");
  const auto& expected = b.ExpectedFor("access.sshd.permit_root_login");
  ASSERT_TRUE(expected.is_object());
  EXPECT_EQ(expected["allowed"], nlohmann::json::array({"no"}));
  EXPECT_FALSE(expected.contains("rationale"));
  EXPECT_TRUE(b.ExpectedFor("no.such.check").is_null());
}

TEST(BaselineTest, EveryValueNeedsRationaleAndSource) {
  auto b = Baseline::Parse("id: x\nversion: '1'\nvalues:\n  a.b:\n    max: 4\n    source: CIS\n",
                           "b.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "b.yaml:4: a.b: missing 'rationale'");
}

TEST(YamlDocTest, QuotedScalarsStayStrings) {
  auto doc = YamlDoc::Parse("a: 'no'\nb: 4\nc: true\nd: \"4\"\ne: 1.5\nf: text\n", "t");
  ASSERT_TRUE(doc.ok());
  nlohmann::json j = YamlToJson(doc->root());
  EXPECT_EQ(j["a"], "no");
  EXPECT_EQ(j["b"], 4);
  EXPECT_EQ(j["c"], true);
  EXPECT_EQ(j["d"], "4");
  EXPECT_EQ(j["e"], 1.5);
  EXPECT_EQ(j["f"], "text");
}

TEST(YamlDocTest, Durations) {
  EXPECT_EQ(ParseDuration("90")->count(), 90);
  EXPECT_EQ(ParseDuration("15m")->count(), 900);
  EXPECT_EQ(ParseDuration("1h")->count(), 3600);
  EXPECT_EQ(ParseDuration("7d")->count(), 7 * 86400);
  for (const char* bad : {"", "0", "-1s", "1.5h", "h", "10y", "99999999d", "1h30m"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace shoko::controls
