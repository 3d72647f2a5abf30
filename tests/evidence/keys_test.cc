#include "evidence/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "evidence/encoding.h"
#include "tests/support/temp_dir.h"

namespace shoko::evidence {
namespace {

using testing::TempDir;

uint32_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(KeysTest, KeyIdIsSha256OfTheRawPublicKey) {
  auto pub = PublicKey::FromRaw(
      *platform::HexDecode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->KeyId(), "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9");
  EXPECT_FALSE(PublicKey::FromRaw("short").ok());
}

TEST(KeysTest, CreatesAKeyPairWithSafeModesAndLoadsItAgain) {
  TempDir dir;
  auto first = LoadOrCreateKeyPair(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(ModeOf(dir.Path("agent.key")), 0600u);
  EXPECT_EQ(ModeOf(dir.Path("agent.pub")), 0644u);
  auto again = LoadOrCreateKeyPair(dir.path());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->public_key().raw(), first->public_key().raw());
  auto pub = PublicKey::FromPem(testing::ReadFileOrEmpty(dir.Path("agent.pub")));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->KeyId(), first->public_key().KeyId());
}

TEST(KeysTest, RefusesAPrivateKeyOthersCanRead) {
  TempDir dir;
  ASSERT_TRUE(LoadOrCreateKeyPair(dir.path()).ok());
  ASSERT_EQ(::chmod(dir.Path("agent.key").c_str(), 0640), 0);
  auto loaded = LoadOrCreateKeyPair(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(loaded.status().message().find("0640"), std::string::npos);
}

TEST(KeysTest, RefusesAMismatchedPublicKey) {
  TempDir dir;
  ASSERT_TRUE(LoadOrCreateKeyPair(dir.path()).ok());
  dir.Write("agent.pub", SigningKey::Generate()->public_key().ToPem());
  auto loaded = LoadOrCreateKeyPair(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("does not match"), std::string::npos);
}

TEST(KeysTest, NeverReplacesAnIdentityWhosePrivateKeyIsMissing) {
  TempDir dir;
  dir.Write("agent.pub", SigningKey::Generate()->public_key().ToPem());
  auto loaded = LoadOrCreateKeyPair(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("refusing to replace"), std::string::npos);
}

TEST(KeysTest, GarbageKeyFileIsAnErrorThatQuotesNothing) {
  TempDir dir;
  std::string key =
      dir.Write("agent.key", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n");
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  auto loaded = LoadOrCreateKeyPair(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message().find("c2VjcmV0"), std::string::npos);
  EXPECT_NE(loaded.status().message().find("agent.key"), std::string::npos);
}

}  // namespace
}  // namespace shoko::evidence
