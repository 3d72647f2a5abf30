#include "evidence/envelope.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "evidence/encoding.h"
#include "tests/support/temp_dir.h"

namespace shoko::evidence {
namespace {

SigningKey KeyFromSeedHex(const std::string& hex) {
  auto seed = platform::HexDecode(hex);
  EXPECT_TRUE(seed.ok());
  auto key = SigningKey::FromSeed(*seed);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

// RFC 8032 §7.1 TEST 1 and TEST 2, typed in so the suite runs without ../shared.
TEST(Ed25519Test, Rfc8032Vectors) {
  struct Vector {
    const char* seed;
    const char* public_key;
    const char* message;
    const char* signature;
  } vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf"
       "9b"
       "46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f"
       "11"
       "d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const Vector& v : vectors) {
    SigningKey key = KeyFromSeedHex(v.seed);
    EXPECT_EQ(platform::HexEncode(key.public_key().raw()), v.public_key);
    std::string message = *platform::HexDecode(v.message);
    auto sig = key.Sign(message);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(platform::HexEncode(*sig), v.signature);
    EXPECT_TRUE(key.public_key().Verify(message, *sig));
    EXPECT_FALSE(key.public_key().Verify(message + "x", *sig));
  }
}

TEST(Ed25519Test, SharedRfc8032File) {
  std::string path = testing::SharedVectorPath("ed25519/rfc8032.json");
  if (path.empty())
    GTEST_SKIP() << "../shared/vectors is absent; skipping the shared RFC 8032 file";
  auto doc = nlohmann::json::parse(testing::ReadFileOrEmpty(path));
  ASSERT_FALSE(doc["vectors"].empty());
  for (const auto& v : doc["vectors"]) {
    SigningKey key = KeyFromSeedHex(v["secret_key"]);
    EXPECT_EQ(platform::HexEncode(key.public_key().raw()), v["public_key"].get<std::string>());
    auto sig = key.Sign(*platform::HexDecode(v["message"].get<std::string>()));
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(platform::HexEncode(*sig), v["signature"].get<std::string>()) << v["name"];
  }
}

TEST(DsseTest, PaeUsesByteLengths) {
  EXPECT_EQ(Pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  // "ä" is two bytes in UTF-8.
  EXPECT_EQ(Pae("t\xc3\xa4", ""), "DSSEv1 3 t\xc3\xa4 0 ");
}

// Every accept/reject case of ../shared/vectors/dsse/vectors.json.
TEST(DsseTest, SharedVectors) {
  std::string path = testing::SharedVectorPath("dsse/vectors.json");
  if (path.empty()) GTEST_SKIP() << "../shared/vectors is absent; skipping the DSSE vectors";
  auto doc = nlohmann::json::parse(testing::ReadFileOrEmpty(path));
  std::map<std::string, PublicKey> all_keys;
  for (const auto& [name, k] : doc["keys"].items()) {
    all_keys.emplace(name, KeyFromSeedHex(k["seed"]).public_key());
    EXPECT_EQ(platform::HexEncode(all_keys.at(name).raw()), k["public"].get<std::string>());
  }
  int cases = 0;
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["id"].get<std::string>());
    auto env = FromDsseJson(v["envelope"].dump());
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    if (v.contains("pae")) {
      EXPECT_EQ(platform::HexEncode(Pae(env->payload_type(), env->payload())),
                v["pae"].get<std::string>());
    }
    std::map<std::string, PublicKey> trusted;
    for (const auto& name : v["trusted"]) trusted.emplace(name, all_keys.at(name));
    Status s = VerifyDsse(*env, trusted, v["threshold"].get<size_t>());
    EXPECT_EQ(s.ok(), v["expect"] == "accept") << s.ToString();
    ++cases;
  }
  EXPECT_GE(cases, 9);
}

TEST(DsseTest, SignedEnvelopeVerifiesAndDetectsTampering) {
  SigningKey key = *SigningKey::Generate();
  auto env = Sign(key, "payload bytes");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->payload_type(), kEvidencePayloadType);
  ASSERT_EQ(env->signatures_size(), 1);
  EXPECT_EQ(env->signatures(0).keyid(), key.public_key().KeyId());
  EXPECT_TRUE(VerifyEvidenceEnvelope(*env, key.public_key()).ok());

  v1::Envelope payload_flipped = *env;
  payload_flipped.mutable_payload()->back() ^= 1;
  EXPECT_FALSE(VerifyEvidenceEnvelope(payload_flipped, key.public_key()).ok());

  v1::Envelope sig_flipped = *env;
  (*sig_flipped.mutable_signatures(0)->mutable_sig())[10] ^= 0x40;
  EXPECT_FALSE(VerifyEvidenceEnvelope(sig_flipped, key.public_key()).ok());

  v1::Envelope retyped = *env;
  retyped.set_payload_type("application/json");
  EXPECT_FALSE(VerifyEvidenceEnvelope(retyped, key.public_key()).ok());

  SigningKey other = *SigningKey::Generate();
  EXPECT_FALSE(VerifyEvidenceEnvelope(*env, other.public_key()).ok());

  v1::Envelope two = *env;
  *two.add_signatures() = env->signatures(0);
  EXPECT_FALSE(VerifyEvidenceEnvelope(two, key.public_key()).ok());
}

TEST(DsseTest, JsonFormRoundTrips) {
  SigningKey key = *SigningKey::Generate();
  auto env = Sign(key, std::string("\x00\x01\xfe\xff binary", 11));
  ASSERT_TRUE(env.ok());
  std::string json = ToDsseJson(*env);
  auto parsed = nlohmann::json::parse(json);
  EXPECT_TRUE(parsed.contains("payloadType"));
  EXPECT_EQ(parsed["signatures"][0]["keyid"], key.public_key().KeyId());
  auto back = FromDsseJson(json);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->SerializeAsString(), env->SerializeAsString());
  EXPECT_TRUE(VerifyEvidenceEnvelope(*back, key.public_key()).ok());
}

TEST(DsseTest, MalformedJsonIsRejectedWithAReason) {
  EXPECT_FALSE(FromDsseJson("not json").ok());
  EXPECT_FALSE(FromDsseJson("[]").ok());
  auto no_payload = FromDsseJson(R"({"payloadType":"t","signatures":[]})");
  ASSERT_FALSE(no_payload.ok());
  EXPECT_NE(no_payload.status().message().find("payload"), std::string::npos);
  EXPECT_FALSE(FromDsseJson(R"({"payload":"!!","payloadType":"t","signatures":[]})").ok());
  EXPECT_FALSE(FromDsseJson(R"({"payload":"","payloadType":"t","signatures":[{"sig":5}]})").ok());
}

}  // namespace
}  // namespace shoko::evidence
