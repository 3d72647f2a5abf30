// The control catalog: the shipped data, what the loader refuses (with file
// and line), the mapping checked against it, and OSCAL-safe ids.
#include "controls/catalog.h"

#include <gtest/gtest.h>

#include <set>

#include "controls/mapping.h"

namespace shoko::controls {
namespace {

TEST(CatalogTest, ShippedDataHasEveryFrameworkTheChecksUse) {
  const Catalog& c = Catalog::BuiltIn();
  std::map<std::string, int> objectives, all;
  for (const CatalogFramework& f : c.frameworks()) {
    for (const CatalogControl& k : f.controls) {
      ++all[f.name];
      objectives[f.name] += k.kind == "objective";
    }
  }
  EXPECT_EQ(objectives["ismap"], 93);  // ISO/IEC 27002:2022's 5.1 … 8.34
  EXPECT_EQ(all["ismap"], 94);         // and the one detailed control the draft shows
  EXPECT_EQ(all["iso27002"], 93);
  EXPECT_EQ(objectives["ismap-legacy"], 121);  // 114 of 27002:2013 and 7 cloud ones
  EXPECT_GE(all["nist80053r5"], 60);
  // Nothing of the revised ISMAP is official yet.
  for (const CatalogControl& k : c.Framework("ismap")->controls) {
    EXPECT_TRUE(k.provisional) << k.Ref();
  }
  const CatalogControl* d = c.Find("ismap:5.6.1");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->parent, "5.6");
  EXPECT_EQ(c.Find("ismap:5.6")->title_ja, "専門組織との連絡");
  ASSERT_EQ(c.Children("ismap:5.6").size(), 1u);
  EXPECT_EQ(c.Find("nist80053r5:AC-2(3)")->parent, "AC-2");
  EXPECT_EQ(c.Find("iso27002:5.28")->replaces_2013, std::vector<std::string>{"16.1.7"});
  EXPECT_EQ(c.Find("ismap-legacy:12.4.1")->title_en, "Event logging");
  EXPECT_EQ(c.Find("ismap:9.1"), nullptr);
}

TEST(CatalogTest, EveryShippedMappingRefIsInTheShippedCatalog) {
  EXPECT_EQ(Catalog::BuiltIn().Check(Mapping::BuiltIn()), std::vector<std::string>{});
}

TEST(CatalogTest, EveryMappedCheckHasAnIsmapAndANistRef) {
  for (const auto& [check, refs] : Mapping::BuiltIn().checks()) {
    std::set<std::string> frameworks;
    for (const std::string& r : refs) frameworks.insert(r.substr(0, r.find(':')));
    EXPECT_TRUE(frameworks.contains("ismap")) << check;
    EXPECT_TRUE(frameworks.contains("nist80053r5")) << check;
  }
}

TEST(CatalogTest, RefusalsNameFileAndLine) {
  const std::string head = "version: '1'\nframeworks:\n  x:\n    title: X\n    controls:\n";
  for (const auto& [body, expected] : std::vector<std::pair<std::string, std::string>>{
           {"      - {id: '1', kind: objective, title_en: A, colour: red}\n",
            "c.yaml:6: unknown key 'colour' in x control"},
           {"      - {id: '1', kind: objective, title_en: A}\n"
            "      - {id: '1', kind: objective, title_en: B}\n",
            "c.yaml:7: x:1 is listed twice"},
           {"      - {id: '1', kind: chapter, title_en: A}\n",
            "c.yaml:6: kind: expected objective, detailed, control or enhancement"},
           {"      - {id: '1.1', kind: detailed, parent: '1', title_en: A}\n",
            "c.yaml:6: parent 1 is not listed before x:1.1"},
           {"      - {id: '1.1', kind: detailed, title_en: A}\n",
            "c.yaml:6: x:1.1 is detailed but has no parent"},
           {"      - {id: '1', kind: objective}\n", "c.yaml:6: x:1 has no title_en or title_ja"},
           {"      - {id: 'a b', kind: objective, title_en: A}\n",
            "c.yaml:6: 'a b' is not a control id ([A-Za-z0-9.()-]+)"},
       }) {
    auto c = Catalog::Parse(head + body, "c.yaml");
    ASSERT_FALSE(c.ok()) << body;
    EXPECT_EQ(c.status().message().substr(0, expected.size()), expected) << c.status().message();
  }
}

TEST(CatalogTest, MappingRefsOutsideTheCatalogAreNamedWithTheirLine) {
  auto mapping = Mapping::Parse(
      "version: '1'\nchecks:\n  a.check:\n    - ismap:8.8\n    - ismap:8.99\n"
      "    - cis-debian12:5.1.20\n",
      "m.yaml");
  ASSERT_TRUE(mapping.ok()) << mapping.status().message();
  EXPECT_EQ(
      Catalog::BuiltIn().Check(*mapping),
      (std::vector<std::string>{"m.yaml:5: a.check: ismap:8.99 is not in the catalog (version " +
                                    Catalog::BuiltIn().version() + ")",
                                "m.yaml:6: a.check: no framework 'cis-debian12' in the catalog"}));
  auto twice = Mapping::Parse("version: '1'\nchecks:\n  a: [ismap:8.8]\n  a: [ismap:8.9]\n", "m");
  EXPECT_FALSE(twice.ok());
}

TEST(CatalogTest, OscalIdsStartWithALetter) {
  EXPECT_EQ(OscalId("ismap:5.6.1"), "ismap-5.6.1");
  EXPECT_EQ(OscalId("nist80053r5:AC-2(3)"), "nist80053r5-ac-2.3");
  EXPECT_EQ(OscalId("ismap-legacy:9.2.3.11.PB"), "ismap-legacy-9.2.3.11.pb");
  EXPECT_EQ(OscalId("9x:1"), "c-9x-1");
}

}  // namespace
}  // namespace shoko::controls
