#include "evidence/encoding.h"

#include <gtest/gtest.h>

namespace shoko::evidence {
namespace {

TEST(EncodingTest, Base64MatchesRfc4648Vectors) {
  // RFC 4648 §10.
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(EncodingTest, Base64AcceptsUrlSafeAndUnpadded) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(*Base64Decode("-_-_"), bytes);
  EXPECT_EQ(*Base64Decode("Zm8"), "fo");
}

TEST(EncodingTest, Base64RejectsGarbage) {
  for (const char* bad : {"Zm9v!", "Z", "Zm9v Zg==", "Zg=", "Zh==", "=Zg=", "Zm9vYg==="}) {
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
}

TEST(EncodingTest, HexRoundTripsAndRejectsGarbage) {
  EXPECT_EQ(platform::HexEncode(std::string("\x00\xab\xff", 3)), "00abff");
  EXPECT_EQ(*platform::HexDecode("00ABff"), std::string("\x00\xab\xff", 3));
  EXPECT_FALSE(platform::HexDecode("abc").ok());
  EXPECT_FALSE(platform::HexDecode("zz").ok());
}

TEST(EncodingTest, Sha256MatchesFips180Vector) {
  EXPECT_EQ(platform::HexEncode(platform::Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace shoko::evidence
