// The leaf input of docs/ledger.md, "Leaf input", byte by byte.
#include "evidence/log_leaf.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "platform/digest.h"

namespace shoko::evidence {
namespace {

LogLeafFields Fields() {
  LogLeafFields leaf;
  leaf.agent_id = std::string(62, 'a') + "0f";
  leaf.seq = 0x0102030405060708;
  leaf.record_digest = std::string(32, 'R');
  leaf.signature_digest = std::string(32, 'S');
  leaf.received_at_us = 0x1112131415161718;
  return leaf;
}

TEST(LogLeafTest, LayoutIsExact) {
  auto input = LeafInput(Fields());
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  ASSERT_EQ(input->size(), kLeafInputBytes);
  EXPECT_EQ(kLeafInputBytes, 14u + 32 + 8 + 32 + 32 + 8);
  std::string want = "shoko-leaf-v1\n";
  want += std::string(31, '\xaa') + "\x0f";
  want += "\x01\x02\x03\x04\x05\x06\x07\x08";
  want += std::string(32, 'R') + std::string(32, 'S');
  want += "\x11\x12\x13\x14\x15\x16\x17\x18";
  EXPECT_EQ(platform::HexEncode(*input), platform::HexEncode(want));
}

TEST(LogLeafTest, RefusesFieldsOfTheWrongShape) {
  LogLeafFields upper = Fields();
  upper.agent_id = std::string(64, 'A');
  EXPECT_NE(LeafInput(upper).status().message().find("agent_id"), std::string::npos);
  LogLeafFields short_digest = Fields();
  short_digest.record_digest.pop_back();
  EXPECT_NE(LeafInput(short_digest).status().message().find("record_digest is 31 bytes"),
            std::string::npos);
  LogLeafFields long_digest = Fields();
  long_digest.signature_digest += "x";
  EXPECT_NE(LeafInput(long_digest).status().message().find("signature_digest is 33 bytes"),
            std::string::npos);
}

TEST(LogLeafTest, FieldsComeFromTheEnvelope) {
  SigningKey key = *SigningKey::Generate();
  v1::Evidence ev;
  ev.set_agent_id(key.public_key().KeyId());
  ev.set_key_id(key.public_key().KeyId());
  ev.set_seq(7);
  ev.set_prev_digest(std::string(32, '\0'));
  ev.set_check_id("test.check");
  auto envelope = Sign(key, ev.SerializeAsString());
  ASSERT_TRUE(envelope.ok());
  auto leaf = LeafFieldsOf(*envelope, -5);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(leaf->agent_id, key.public_key().KeyId());
  EXPECT_EQ(leaf->seq, 7u);
  EXPECT_EQ(leaf->record_digest, RecordDigest(envelope->payload()));
  EXPECT_EQ(leaf->signature_digest, platform::Sha256(envelope->signatures(0).sig()));
  EXPECT_EQ(leaf->received_at_us, -5);
  // A negative time is two's complement, as a big-endian int64.
  EXPECT_EQ(LeafInput(*leaf)->substr(kLeafInputBytes - 8), std::string(7, '\xff') + "\xfb");
  envelope->set_payload("not evidence");
  EXPECT_FALSE(LeafFieldsOf(*envelope, 0).ok());
}

}  // namespace
}  // namespace shoko::evidence
