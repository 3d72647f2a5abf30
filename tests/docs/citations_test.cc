// Code comments cite the design documents as `docs/FILE.md, "Heading"`: every
// such citation must name a document that exists and a heading it has, so a
// renamed heading cannot leave comments pointing nowhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace shoko {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = fs::path(SHOKO_FIXTURES_DIR).parent_path().parent_path();

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The headings of a Markdown document, without their leading #s.
std::set<std::string> Headings(const fs::path& path) {
  std::set<std::string> headings;
  std::istringstream lines(ReadAll(path));
  for (std::string line; std::getline(lines, line);) {
    const size_t hashes = line.find_first_not_of('#');
    if (hashes == 0 || hashes == std::string::npos || line[hashes] != ' ') continue;
    headings.insert(line.substr(hashes + 1));
  }
  return headings;
}

// `text` with comment markers at line starts folded away, so that a citation
// wrapped over two comment lines reads as one.
std::string FoldComments(const std::string& text) {
  static const std::regex kContinuation(R"(\n[ \t]*(//|#)[ \t]*)");
  return std::regex_replace(text, kContinuation, " ");
}

TEST(DocsCitationsTest, EveryCitedDocumentAndHeadingExists) {
  std::map<std::string, std::set<std::string>> docs;
  for (const auto& entry : fs::directory_iterator(kSource / "docs")) {
    if (entry.path().extension() == ".md") {
      docs[entry.path().filename().string()] = Headings(entry.path());
    }
  }
  ASSERT_TRUE(docs.contains("architecture.md")) << "no docs/ under " << kSource;
  static const std::regex kCitation(R"re(docs/([a-z-]+\.md)((?:, "[^"]+")*))re");
  static const std::regex kHeading(R"re("([^"]+)")re");
  int citations = 0;
  for (const char* room : {"agent", "bench", "cli", "collectors", "controls", "evidence",
                           "packaging", "platform", "proto", "scripts", "store", "tests"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kSource / room)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() ||
          entry.path().string().find("/fixtures/") != std::string::npos ||
          (ext != ".cc" && ext != ".h" && ext != ".proto" && ext != ".yaml" && ext != ".txt")) {
        continue;
      }
      const std::string text = FoldComments(ReadAll(entry.path()));
      for (std::sregex_iterator it(text.begin(), text.end(), kCitation), end; it != end; ++it) {
        const std::string doc = (*it)[1];
        const std::string where = fs::relative(entry.path(), kSource).string();
        ++citations;
        ASSERT_TRUE(docs.contains(doc))
            << where << " cites docs/" << doc << ", which does not exist";
        const std::string headings = (*it)[2];
        for (std::sregex_iterator h(headings.begin(), headings.end(), kHeading); h != end; ++h) {
          EXPECT_TRUE(docs[doc].contains((*h)[1]))
              << where << " cites docs/" << doc << ", \"" << (*h)[1] << "\", no such heading";
        }
      }
    }
  }
  EXPECT_GT(citations, 50);  // the comments do cite the documents
}

}  // namespace
}  // namespace shoko
