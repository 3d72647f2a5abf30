#include "collectors/access/sshd_config_parser.h"

#include <gtest/gtest.h>

namespace shoko::collectors::access {
namespace {

std::vector<SshdDirective> Parse(std::string_view text) {
  auto r = ParseSshdConfigText(text, "f");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<SshdDirective>{};
}

TEST(SshdConfigParserTest, KeywordsAreCaseInsensitiveAndSeparatorsVary) {
  auto d = Parse("PermitROOTLogin no\n\tMaxAuthTries=3\nLoginGraceTime = 2m\nX11Forwarding\tyes\n");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].keyword, "permitrootlogin");
  EXPECT_EQ(d[0].args, std::vector<std::string>{"no"});
  EXPECT_EQ(d[1].keyword, "maxauthtries");
  EXPECT_EQ(d[1].args, std::vector<std::string>{"3"});
  EXPECT_EQ(d[2].args, std::vector<std::string>{"2m"});
  EXPECT_EQ(d[3].args, std::vector<std::string>{"yes"});
  EXPECT_EQ(d[3].line, 4);
}

TEST(SshdConfigParserTest, CommentsBlankLinesAndCarriageReturnsAreSkipped) {
  auto d = Parse("# comment\n\n   # indented comment\r\nPort 22 # trailing\r\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].keyword, "port");
  EXPECT_EQ(d[0].args, std::vector<std::string>{"22"});
  EXPECT_EQ(d[0].line, 4);
}

TEST(SshdConfigParserTest, QuotesAndEscapesFollowArgvSplit) {
  auto d = Parse("AcceptEnv \"LANG LC_*\" 'X Y' a\\ b \"q\\\"uote\"\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].args, (std::vector<std::string>{"LANG LC_*", "X Y", "a b", "q\"uote"}));
}

TEST(SshdConfigParserTest, UnterminatedQuoteNamesFileAndLine) {
  auto r = ParseSshdConfigText("Port 22\nBanner \"/etc/issue\n", "/etc/ssh/sshd_config");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/etc/ssh/sshd_config:2: unterminated quote in banner");
}

TEST(SshdConfigParserTest, KeywordWithoutArgumentIsAnError) {
  auto r = ParseSshdConfigText("PermitRootLogin\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("f:1: no argument"), std::string::npos);
}

TEST(SshdConfigParserTest, LastLineWithoutNewline) {
  auto d = Parse("Port 22\nPort 2222");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].args, std::vector<std::string>{"2222"});
}

TEST(SshdConfigParserTest, TimeValues) {
  EXPECT_EQ(*ParseSshdTime("90"), 90);
  EXPECT_EQ(*ParseSshdTime("1m"), 60);
  EXPECT_EQ(*ParseSshdTime("1m30s"), 90);
  EXPECT_EQ(*ParseSshdTime("2H"), 7200);
  EXPECT_EQ(*ParseSshdTime("1w"), 604800);
  for (const char* bad : {"", "m", "1x", "-5", "99999999999999w"}) {
    EXPECT_FALSE(ParseSshdTime(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace shoko::collectors::access
