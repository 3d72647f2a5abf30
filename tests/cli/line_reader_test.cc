#include "cli/line_reader.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace shoko::cli {
namespace {

std::vector<std::string> ReadAll(const std::string& path, size_t max) {
  auto reader = LineReader::Open(path, max);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<std::string> lines;
  LineReader::Line line;
  while (*reader->Next(&line)) {
    lines.push_back(std::to_string(line.number) + ":" + (line.overlong ? "LONG" : line.text));
  }
  return lines;
}

TEST(LineReaderTest, ReadsLinesAcrossBuffersAndALastLineWithoutNewline) {
  testing::TempDir dir;
  const std::string big(100'000, 'b');  // spans two reads
  std::string path = dir.Write("f", "a\n\n" + big + "\nlast");
  EXPECT_EQ(ReadAll(path, 1 << 20), (std::vector<std::string>{"1:a", "2:", "3:" + big, "4:last"}));
  EXPECT_TRUE(ReadAll(dir.Write("empty", ""), 10).empty());
}

TEST(LineReaderTest, ALineOverTheLimitIsSkippedToItsEnd) {
  testing::TempDir dir;
  std::string path = dir.Write("f", "short\n" + std::string(70'000, 'x') + "\nafter\n1234567");
  EXPECT_EQ(ReadAll(path, 7),
            (std::vector<std::string>{"1:short", "2:LONG", "3:after", "4:1234567"}));
  EXPECT_EQ(ReadAll(path, 6), (std::vector<std::string>{"1:short", "2:LONG", "3:after", "4:LONG"}));
}

TEST(LineReaderTest, ErrorsNameTheFile) {
  testing::TempDir dir;
  auto missing = LineReader::Open(dir.Path("missing"), 10);
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find(dir.Path("missing")), std::string::npos);
  auto directory = LineReader::Open(dir.path(), 10);
  EXPECT_NE(directory.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace shoko::cli
