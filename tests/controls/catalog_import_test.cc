// Importing the official tables: CSV as Excel writes it, Shift_JIS (checked
// against the iconv command), the ISMAP table into a catalog that loads, and
// a crosswalk applied to a mapping.
#include "controls/catalog_import.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/catalog_command.h"
#include "controls/catalog.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::controls {
namespace {

using testing::RunCommand;
using testing::TempDir;

TEST(CsvTest, ExcelQuirks) {
  auto rows = ParseCsv(
      "\xef\xbb\xbf"
      "a,\"b, with comma\",\"two\r\nlines\"\r\n"
      "=\"0012\",\"say \"\"hi\"\"\",\r\n\r\n,,\r\nlast,row",
      "t.csv");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 3u);  // the blank and all-empty rows are dropped
  EXPECT_EQ((*rows)[0].cells, (std::vector<std::string>{"a", "b, with comma", "two\nlines"}));
  EXPECT_EQ((*rows)[1].line, 3);  // the quoted line break counts
  EXPECT_EQ((*rows)[1].cells, (std::vector<std::string>{"0012", "say \"hi\"", ""}));
  EXPECT_EQ((*rows)[2].cells, (std::vector<std::string>{"last", "row"}));
  EXPECT_EQ(ParseCsv("a,b\n\"open\nstill,open", "t.csv").status().message(),
            "t.csv:2: a quoted cell is never closed");
  EXPECT_EQ(ParseCsv("a,b\nx\"y,z\n", "t.csv").status().message(),
            "t.csv:2: a quote inside an unquoted cell");
}

const char kTable[] =
    "ISMAP管理基準（改定案） 管理策一覧\n"
    "番号,統制目標,番号,詳細管理策,（参考）定型管理策,（参考）手引き\n"
    "5.6,専門組織との連絡,5.6.1,\"専門組織と連絡を取る。\n必要に応じて。\",定型A,\"手引き, "
    "その1\"\n"
    ",,5.6.2,専門組織からの情報を評価する。,,\n"
    "８．８,技術的ぜい弱性の管理,８．８．１,ぜい弱性を管理する。,定型B,\n";

TEST(IsmapImportTest, TheTableBecomesACatalogThatLoads) {
  auto rows = ParseCsv(kTable, "t.csv");
  ASSERT_TRUE(rows.ok());
  IsmapImportOptions o;
  o.status = "final-2026-04";
  o.source = "test table";
  auto yaml = ImportIsmapCsv(*rows, "t.csv", o);
  ASSERT_TRUE(yaml.ok()) << yaml.status().message();
  auto catalog = Catalog::Parse(*yaml, "imported");
  ASSERT_TRUE(catalog.ok()) << catalog.status().message() << "\n" << *yaml;
  EXPECT_EQ(catalog->version(), "final-2026-04");
  const CatalogControl* d = catalog->Find("ismap:5.6.1");
  ASSERT_NE(d, nullptr) << *yaml;
  EXPECT_EQ(d->parent, "5.6");
  EXPECT_EQ(d->title_ja, "専門組織と連絡を取る。\n必要に応じて。");
  EXPECT_EQ(d->reference_ja, "定型A");
  EXPECT_EQ(d->guidance_ja, "手引き, その1");
  EXPECT_EQ(catalog->Find("ismap:5.6.2")->parent, "5.6");  // merged cells: the same objective
  EXPECT_EQ(catalog->Find("ismap:8.8")->title_ja, "技術的ぜい弱性の管理");  // full-width digits
  EXPECT_EQ(catalog->Find("ismap:8.8")->theme, "technological");
  EXPECT_EQ(catalog->Find("ismap:8.8.1")->parent, "8.8");
  EXPECT_FALSE(catalog->Find("ismap:8.8")->provisional);
}

TEST(IsmapImportTest, RefusalsNameTheLine) {
  IsmapImportOptions o;
  o.status = "s";
  o.source = "s";
  for (const auto& [table, expected] : std::vector<std::pair<std::string, std::string>>{
           {"番号,統制目標,番号,詳細管理策\n5.6,A,5.7.1,x\n",
            "t.csv:2: '5.7.1' is not a detailed control of objective 5.6"},
           {"番号,統制目標,番号,詳細管理策\n5.6,A,5.6.1,x\n,,5.6.1,y\n",
            "t.csv:3: 5.6.1 is listed twice"},
           {"番号,統制目標,番号,詳細管理策\n5.6,,5.6.1,x\n",
            "t.csv:2: objective 5.6 has no 統制目標"},
           {"番号,統制目標,番号,詳細管理策\n,,5.6.1,x\n",
            "t.csv:2: a detailed control before any objective"},
           {"No,Objective\n5.6,A\n",
            "t.csv: no header row with 番号, 統制目標, 番号 and 詳細管理策"},
       }) {
    auto rows = ParseCsv(table, "t.csv");
    ASSERT_TRUE(rows.ok());
    auto yaml = ImportIsmapCsv(*rows, "t.csv", o);
    ASSERT_FALSE(yaml.ok()) << table;
    EXPECT_EQ(yaml.status().message(), expected);
  }
}

TEST(IsmapImportTest, ShiftJisAsTheIconvCommandWritesIt) {
  if (RunCommand({"iconv", "--version"}).exit_code != 0) GTEST_SKIP() << "no iconv command";
  TempDir dir;
  const std::string utf8 = dir.Write("table.csv", kTable);
  auto sjis = RunCommand({"iconv", "-f", "UTF-8", "-t", "CP932", utf8});
  ASSERT_EQ(sjis.exit_code, 0) << sjis.err;
  ASSERT_NE(sjis.out, kTable);  // really another encoding
  auto text = ToUtf8(sjis.out, "auto", "sjis.csv");
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, kTable);
  EXPECT_FALSE(ToUtf8(sjis.out, "utf-8", "sjis.csv").ok());
  auto broken = ToUtf8(std::string("ok\n\x82", 4), "shift_jis", "b.csv");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message().rfind("b.csv:2: neither UTF-8 nor Shift_JIS", 0), 0u)
      << broken.status().message();

  // The whole command: a Shift_JIS file in, a catalog out that loads.
  const std::string sjis_file = dir.Write("sjis.csv", sjis.out);
  cli::CatalogImportRequest r;
  r.format = "ismap-csv";
  r.file = sjis_file;
  r.status = "final-2026-04";
  r.source = "test";
  r.out = dir.Path("catalog.yaml");
  std::ostringstream out, err;
  ASSERT_EQ(cli::RunCatalogImport(r, out, err), 0) << err.str();
  auto loaded = Catalog::Load(r.out);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_NE(loaded->Find("ismap:8.8.1"), nullptr);
  // The import replaced ismap in the built-in catalog; the other frameworks stay.
  EXPECT_EQ(loaded->Find("ismap:5.1"), nullptr);
  EXPECT_NE(loaded->Find("nist80053r5:SI-2"), nullptr);
  EXPECT_EQ(loaded->version(), Catalog::BuiltIn().version() + "+ismap-final-2026-04");
  r.standalone = true;
  std::ostringstream out2, err2;
  ASSERT_EQ(cli::RunCatalogImport(r, out2, err2), 0) << err2.str();
  auto alone = Catalog::Load(r.out);
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->frameworks().size(), 1u);
}

TEST(CrosswalkTest, OldRefsBringTheirNewOnes) {
  auto mapping = Mapping::Parse(
      "version: m1\nchecks:\n"
      "  patch.pending_updates: [ismap-legacy:12.6.1, nist80053r5:SI-2]\n"
      "  logs.auditd: [ismap-legacy:12.4.1, ismap-legacy:12.4.3]\n"
      "  logs.remote: [ismap-legacy:12.4.5]\n",
      "m.yaml");
  ASSERT_TRUE(mapping.ok());
  auto rows = ParseCsv(
      "旧番号,新番号\n12.6.1,8.8.1\n12.6.1,8.8.2\n12.4.1,8.15.1\n12.4.3,8.15.1\n12.4.4,-\n",
      "x.csv");
  ASSERT_TRUE(rows.ok());
  std::vector<std::string> unmatched;
  auto yaml = ApplyCrosswalkCsv(*rows, "x.csv", *mapping, "ismap-legacy", "ismap", &unmatched);
  ASSERT_TRUE(yaml.ok()) << yaml.status().message();
  auto remapped = Mapping::Parse(*yaml, "out");
  ASSERT_TRUE(remapped.ok()) << remapped.status().message();
  EXPECT_EQ(remapped->RefsFor("patch.pending_updates"),
            (std::vector<std::string>{"ismap-legacy:12.6.1", "nist80053r5:SI-2", "ismap:8.8.1",
                                      "ismap:8.8.2"}));
  EXPECT_EQ(
      remapped->RefsFor("logs.auditd"),
      (std::vector<std::string>{"ismap-legacy:12.4.1", "ismap-legacy:12.4.3", "ismap:8.15.1"}));
  EXPECT_EQ(unmatched, std::vector<std::string>{"ismap-legacy:12.4.5"});
  auto bad = ParseCsv("old,new\n12 6 1,8.8\n", "x.csv");
  EXPECT_EQ(ApplyCrosswalkCsv(*bad, "x.csv", *mapping, "ismap-legacy", "ismap", nullptr)
                .status()
                .message(),
            "x.csv:2: '12 6 1' is not a ismap-legacy id");
}

}  // namespace
}  // namespace shoko::controls
