// Version order against the package managers themselves: dpkg
// --compare-versions and rpm's own comparison (rpm.vercmp and rpm.ver in rpm's
// embedded Lua), on hand-picked cases and on generated pairs.
#include "collectors/patch/version_order.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::patch {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

int Sign(int v) { return (v > 0) - (v < 0); }

int Deb(std::string_view a, std::string_view b) {
  auto va = ParseDebVersion(a);
  auto vb = ParseDebVersion(b);
  EXPECT_TRUE(va.ok()) << va.status().message();
  EXPECT_TRUE(vb.ok()) << vb.status().message();
  if (!va.ok() || !vb.ok()) return 99;
  return Sign(CompareDebVersions(*va, *vb));
}

TEST(DebVersionTest, PolicyExamples) {
  EXPECT_EQ(Deb("1.0~rc1", "1.0"), -1);
  EXPECT_EQ(Deb("1.0", "1.0+b1"), -1);
  EXPECT_EQ(Deb("1.0~~", "1.0~"), -1);
  EXPECT_EQ(Deb("1:0.1", "2.0"), 1);
  EXPECT_EQ(Deb("0:1.0", "1.0"), 0);
  EXPECT_EQ(Deb("1.0-1", "1.0-1"), 0);
  EXPECT_EQ(Deb("1.01", "1.1"), 0);
  EXPECT_EQ(Deb("1.10", "1.9"), 1);
  EXPECT_EQ(Deb("1.0a", "1.0+"), -1);
  EXPECT_EQ(Deb("2.36-9+deb12u4", "2.36-9+deb12u10"), -1);
  EXPECT_EQ(Deb("1.0-1-2", "1.0-1-10"), -1);  // the revision starts after the last '-'
}

TEST(DebVersionTest, RefusesWhatDpkgRefuses) {
  for (const char* bad :
       {"", "   ", "1.0 2", "a:1.0", "1a:1.0", "-1:1.0", "1:", "1.0-", "-1", "99999999999:1"}) {
    EXPECT_FALSE(ParseDebVersion(bad).ok()) << "'" << bad << "'";
  }
  auto v = ParseDebVersion(" 3:1.2-3~bpo12+1 ");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->epoch, 3u);
  EXPECT_EQ(v->upstream, "1.2");
  EXPECT_EQ(v->revision, "3~bpo12+1");
  EXPECT_NE(ParseDebVersion("1:").status().message().find("nothing after colon"),
            std::string::npos);
}

int Rpm(std::string_view a, std::string_view b) { return Sign(RpmVerCmp(a, b)); }

TEST(RpmVersionTest, RpmvercmpExamples) {
  EXPECT_EQ(Rpm("1.0", "1.0"), 0);
  EXPECT_EQ(Rpm("1.0", "1.0.1"), -1);
  EXPECT_EQ(Rpm("1.0~rc1", "1.0"), -1);
  EXPECT_EQ(Rpm("1.0^git1", "1.0"), 1);
  EXPECT_EQ(Rpm("1.0^git1", "1.0.1"), -1);
  EXPECT_EQ(Rpm("1.0a", "1.0"), 1);
  EXPECT_EQ(Rpm("1.0", "1.0a"), -1);
  EXPECT_EQ(Rpm("1.a", "1.1"), -1);  // numbers beat letters
  EXPECT_EQ(Rpm("1_0", "1.0"), 0);   // separators only split
  EXPECT_EQ(Rpm("010", "10"), 0);
  RpmEvr evr = ParseRpmEvr("2:1.0-3.el9");
  EXPECT_EQ(evr.epoch.value_or("-"), "2");
  EXPECT_EQ(evr.version, "1.0");
  EXPECT_EQ(evr.release.value_or("-"), "3.el9");
  EXPECT_EQ(Sign(CompareRpmEvr(ParseRpmEvr("1.0"), ParseRpmEvr("1.0-5"))), 0);
  EXPECT_EQ(Sign(CompareRpmEvr(ParseRpmEvr("1:1.0"), ParseRpmEvr("2.0"))), 1);
}

// Versions built from the parts that decide order: epochs, tildes, carets,
// digit runs with leading zeros, letters, separators and empty parts.
class VersionGenerator {
 public:
  explicit VersionGenerator(uint32_t seed) : rng_(seed) {}

  std::string Segment() {
    static const std::vector<std::string> kPieces = {
        "0",  "1",     "2", "9",  "10", "01", "007", "123", "a", "b", "z",   "A",  "Z",
        "rc", "alpha", "~", "~~", "+",  ".",  "..",  "^",   "_", "p", "git", "0a", "1b2"};
    std::string s;
    int n = Pick(1, 4);
    for (int i = 0; i < n; ++i) s += kPieces[static_cast<size_t>(Pick(0, kPieces.size() - 1))];
    return s;
  }

  // A Debian version dpkg accepts (maybe with a warning it still orders).
  std::string Deb() {
    std::string v;
    if (Pick(0, 3) == 0) v += std::to_string(Pick(0, 3)) + ":";
    v += std::to_string(Pick(0, 12));
    if (Pick(0, 1)) v += Segment();
    if (Pick(0, 2)) v += Segment();
    std::string revision;
    if (Pick(0, 1)) {
      revision = std::to_string(Pick(0, 3));
      if (Pick(0, 1)) revision += Segment();
      for (char& c : revision) {
        if (c == '^' || c == '_') c = '.';
      }
      v += "-" + revision;
    }
    for (char& c : v) {
      if (c == '^' || c == '_') c = '+';
    }
    return v;
  }

  // Mutates `v` a little, so that pairs are often close (equal prefixes).
  std::string Near(const std::string& v, bool debian) {
    std::string w = v;
    switch (Pick(0, 4)) {
      case 0:
        w += debian ? "~" : (Pick(0, 1) ? "~" : "^");
        break;
      case 1:
        w += Segment();
        break;
      case 2:
        if (!w.empty()) w.pop_back();
        break;
      case 3:
        if (!w.empty()) w[static_cast<size_t>(Pick(0, w.size() - 1))] = "0a~.1"[Pick(0, 4)];
        break;
      default:
        return debian ? Deb() : RpmVersion();
    }
    return w;
  }

  std::string RpmVersion() {
    std::string v = Segment();
    if (Pick(0, 1)) v = std::to_string(Pick(0, 20)) + v;
    if (Pick(0, 2)) v += Segment();
    for (char& c : v) {
      if (c == '-' || c == ':') c = '.';
    }
    return v;
  }

  std::string RpmEvrText() {
    std::string v;
    if (Pick(0, 3) == 0) v += std::to_string(Pick(0, 2)) + ":";
    v += RpmVersion();
    if (Pick(0, 2)) v += "-" + RpmVersion();
    return v;
  }

  int Pick(size_t lo, size_t hi) {
    return static_cast<int>(std::uniform_int_distribution<size_t>(lo, hi)(rng_));
  }

 private:
  std::mt19937 rng_;
};

// `dpkg --compare-versions` decides each pair: one shell loop, so the test
// pays for dpkg's start-up and not for a shell per pair.
TEST(DebVersionTest, AgreesWithDpkgOnTenThousandGeneratedPairs) {
  if (RunCommand({"dpkg", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "dpkg is not installed here: the dpkg oracle cannot run";
  }
  VersionGenerator gen(20261125);
  std::vector<std::pair<std::string, std::string>> pairs;
  while (pairs.size() < 10000) {
    std::string a = gen.Deb();
    std::string b = gen.Pick(0, 2) ? gen.Near(a, true) : gen.Deb();
    if (!ParseDebVersion(b).ok()) continue;
    pairs.emplace_back(a, b);
  }
  TempDir dir;
  std::ostringstream text;
  for (const auto& [a, b] : pairs) text << a << ' ' << b << '\n';
  const std::string input = dir.Write("pairs", text.str());
  const std::string script =
      "while read -r a b; do"
      " if dpkg --compare-versions \"$a\" lt \"$b\" 2>/dev/null; then echo -1;"
      " elif dpkg --compare-versions \"$a\" eq \"$b\" 2>/dev/null; then echo 0;"
      " else echo 1; fi; done < " +
      input;
  CommandResult r = RunCommand({"sh", "-c", script}, std::chrono::minutes(5));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream answers(r.out);
  size_t checked = 0, disagreements = 0, less = 0, equal = 0;
  for (const auto& [a, b] : pairs) {
    int expected = 2;
    ASSERT_TRUE(answers >> expected) << "dpkg gave " << checked << " answers";
    int ours = Deb(a, b);
    less += ours < 0;
    equal += ours == 0;
    if (ours != expected && ++disagreements <= 10) {
      ADD_FAILURE() << "'" << a << "' vs '" << b << "': dpkg says " << expected << ", we say "
                    << ours;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 10000u);
  EXPECT_EQ(disagreements, 0u);
  // The generator must exercise every outcome, or the agreement proves little.
  EXPECT_GT(less, 1000u);
  EXPECT_GT(equal, 100u);
  EXPECT_GT(checked - less - equal, 1000u);
}

// rpm's own comparisons, from one `rpm --eval` running a Lua loop.
TEST(RpmVersionTest, AgreesWithRpmOnTenThousandGeneratedPairs) {
  if (RunCommand({"rpm", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "rpm is not installed here (Debian package rpm): the rpm oracle cannot run";
  }
  VersionGenerator gen(1125);
  std::vector<std::pair<std::string, std::string>> versions, evrs;
  while (versions.size() < 10000) {
    std::string a = gen.RpmVersion();
    std::string b = gen.Pick(0, 2) ? gen.Near(a, false) : gen.RpmVersion();
    if (!b.empty()) versions.emplace_back(a, b);
  }
  while (evrs.size() < 2000) {
    std::string a = gen.RpmEvrText();
    evrs.emplace_back(a, gen.Pick(0, 1) ? gen.RpmEvrText() : a + (gen.Pick(0, 1) ? "" : ".1"));
  }
  TempDir dir;
  std::ostringstream v_text, e_text;
  for (const auto& [a, b] : versions) v_text << a << ' ' << b << '\n';
  for (const auto& [a, b] : evrs) e_text << a << ' ' << b << '\n';
  const std::string v_file = dir.Write("versions", v_text.str());
  const std::string e_file = dir.Write("evrs", e_text.str());
  const std::string lua =
      "%{lua: "
      "for line in io.lines('" +
      v_file +
      "') do local a, b = line:match('^(%S+) (%S+)$'); io.write(rpm.vercmp(a, b), '\\n') end "
      "for line in io.lines('" +
      e_file +
      "') do local a, b = line:match('^(%S+) (%S+)$'); local x, y = rpm.ver(a), rpm.ver(b); "
      "io.write(x < y and -1 or (x == y and 0 or 1), '\\n') end }";
  CommandResult r = RunCommand({"rpm", "--eval", lua}, std::chrono::minutes(2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream answers(r.out);
  size_t disagreements = 0, less = 0, equal = 0, greater = 0;
  auto check = [&](const std::string& a, const std::string& b, int ours) {
    int expected = 2;
    if (!(answers >> expected)) {
      ADD_FAILURE() << "rpm gave too few answers";
      return false;
    }
    less += ours < 0;
    equal += ours == 0;
    greater += ours > 0;
    if (Sign(expected) != ours && ++disagreements <= 10) {
      ADD_FAILURE() << "'" << a << "' vs '" << b << "': rpm says " << expected << ", we say "
                    << ours;
    }
    return true;
  };
  for (const auto& [a, b] : versions) {
    if (!check(a, b, Rpm(a, b))) return;
  }
  for (const auto& [a, b] : evrs) {
    if (!check(a, b, Sign(CompareRpmEvr(ParseRpmEvr(a), ParseRpmEvr(b))))) return;
  }
  EXPECT_EQ(disagreements, 0u);
  EXPECT_GT(less, 1000u);
  EXPECT_GT(equal, 100u);
  EXPECT_GT(greater, 1000u);
}

}  // namespace
}  // namespace shoko::collectors::patch
