// The verifier's rules for keys: a trusted key speaks only for its own agent,
// and a rotation hands an agent's chain on exactly once, in seq order.
#include "evidence/chain_verifier.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/rotation.h"

namespace shoko::evidence {
namespace {

// Builds one agent's records, signed with whichever key the test says.
class ChainBuilder {
 public:
  explicit ChainBuilder(std::string agent_id) : agent_id_(std::move(agent_id)) {}

  void Add(const SigningKey& key, const SigningKey* rotate_to = nullptr) {
    v1::Evidence ev;
    ev.set_agent_id(agent_id_);
    ev.set_key_id(key.public_key().KeyId());
    ev.set_seq(head_.seq + 1);
    ev.set_prev_digest(head_.digest);
    ev.set_check_id(rotate_to ? std::string(kKeyRotationCheckId) : "test.check");
    if (rotate_to) {
      ev.set_kind(v1::LIFECYCLE);
      SetRotationFacts(rotate_to->public_key(), &ev);
    }
    std::string payload = ev.SerializeAsString();
    head_ = {ev.seq(), RecordDigest(payload)};
    inputs.push_back({*Sign(key, payload), ""});
  }

  std::vector<VerifyInput> inputs;

 private:
  std::string agent_id_;
  ChainHead head_;
};

// Three records of k1's agent: seq 2 hands over to k2, which signs seq 3.
ChainBuilder RotatingAtSeq2(const SigningKey& k1, const SigningKey& k2) {
  ChainBuilder chain(k1.public_key().KeyId());
  chain.Add(k1);
  chain.Add(k1, &k2);
  chain.Add(k2);
  return chain;
}

std::vector<std::string> Describe(const VerifyReport& report) {
  std::vector<std::string> out;
  for (size_t i = 0; i < report.findings.size(); ++i) {
    if (!report.findings[i]) continue;
    out.push_back(std::to_string(i + 1) + ": " +
                  std::string(ProblemName(report.findings[i]->problem)));
  }
  return out;
}

TEST(ChainVerifierTest, FollowsRotationsFromTheFirstKey) {
  auto k1 = *SigningKey::Generate(), k2 = *SigningKey::Generate(), k3 = *SigningKey::Generate();
  ChainBuilder chain(k1.public_key().KeyId());
  chain.Add(k1);
  chain.Add(k1, &k2);  // seq 2 hands over to k2
  chain.Add(k2);
  chain.Add(k2, &k3);  // seq 4 hands over to k3
  chain.Add(k3);
  auto report = VerifyChains(chain.inputs, {k1.public_key()});
  EXPECT_TRUE(Describe(report).empty()) << Describe(report).front();
  EXPECT_EQ(report.valid, 5u);
}

TEST(ChainVerifierTest, ARotatedOutKeyCannotRewriteHistory) {
  auto k1 = *SigningKey::Generate(), k2 = *SigningKey::Generate(), k3 = *SigningKey::Generate();
  ChainBuilder chain(k1.public_key().KeyId());
  chain.Add(k1);
  chain.Add(k1);
  chain.Add(k1);
  chain.Add(k1, &k2);  // seq 4: the genuine hand-over to k2
  chain.Add(k1);       // 5-7: forgeries by the retired key
  chain.Add(k1);
  chain.Add(k1);
  chain.Add(k1, &k3);  // 8: a forged second hand-over by the retired key
  chain.Add(k3);       // 9-10: records under the forged key
  chain.Add(k3);
  auto report = VerifyChains(chain.inputs, {k1.public_key()});
  // 9-10: the forged hand-over counts for nothing, so k3's records are a
  // chain that jumps to a key no (verified) rotation record hands over.
  EXPECT_EQ(
      Describe(report),
      (std::vector<std::string>{"5: unknown-key", "6: unknown-key", "7: unknown-key",
                                "8: unknown-key", "9: missing-rotation", "10: missing-rotation"}));
  EXPECT_NE(report.findings[4]->detail.find("rotated out at seq 4"), std::string::npos);
  EXPECT_NE(report.findings[8]->detail.find("from seq 9"), std::string::npos);
}

TEST(ChainVerifierTest, AJumpToAnUnannouncedKeyNamesTheMissingRotation) {
  auto k1 = *SigningKey::Generate(), k2 = *SigningKey::Generate();
  ChainBuilder chain(k1.public_key().KeyId());
  chain.Add(k1);
  chain.Add(k1, &k2);  // seq 2 hands over to k2 ...
  chain.Add(k2);
  chain.Add(k2);
  chain.inputs.erase(chain.inputs.begin() + 1);  // ... but the verifier never sees it
  auto report = VerifyChains(chain.inputs, {k1.public_key()});
  ASSERT_EQ(Describe(report),
            (std::vector<std::string>{"2: missing-rotation", "3: missing-rotation"}));
  const Finding& first = *report.findings[1];
  EXPECT_EQ(first.seq, 3u);
  EXPECT_EQ(first.agent_id, k1.public_key().KeyId());
  EXPECT_NE(first.detail.find("a key-rotation record is missing"), std::string::npos);
  EXPECT_NE(first.detail.find("from seq 3"), std::string::npos) << first.detail;
  EXPECT_NE(first.detail.find("a key-rotation record is missing at seq 2"), std::string::npos)
      << first.detail;
  EXPECT_EQ(
      DescribeFinding(first).rfind(
          "agent " + k1.public_key().KeyId().substr(0, 16) + "… seq 3: missing-rotation: ", 0),
      0u)
      << DescribeFinding(first);
  // A record signed by a stranger that names another key is no rotation.
  auto stranger = *SigningKey::Generate();
  ChainBuilder other(k1.public_key().KeyId());
  other.Add(k1);
  other.Add(k1);
  other.inputs[1] = {*Sign(stranger, other.inputs[1].envelope->payload()), ""};
  EXPECT_EQ(Describe(VerifyChains(other.inputs, {k1.public_key()})),
            (std::vector<std::string>{"2: unknown-key"}));
}

TEST(ChainVerifierTest, KeyHistoryEndsWithTheCurrentKey) {
  auto k1 = *SigningKey::Generate(), k2 = *SigningKey::Generate();
  ChainBuilder chain = RotatingAtSeq2(k1, k2);
  auto report = VerifyChains(chain.inputs, {k1.public_key()});
  const auto& keys = report.keys[k1.public_key().KeyId()];
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key.KeyId(), k1.public_key().KeyId());
  EXPECT_EQ(keys[0].from_seq, 1u);
  EXPECT_EQ(keys[0].until_seq, 2u);
  EXPECT_EQ(keys[1].key.KeyId(), k2.public_key().KeyId());
  EXPECT_EQ(keys[1].from_seq, 3u);
  EXPECT_EQ(keys[1].until_seq, UINT64_MAX);
}

TEST(ChainVerifierTest, AStatedRangeMustBeWhole) {
  auto k1 = *SigningKey::Generate();
  const std::string agent = k1.public_key().KeyId();
  ChainBuilder chain(agent);
  for (int i = 0; i < 10; ++i) chain.Add(k1);
  // Seqs 4-10 stated, 6 and 8-9 absent; 1-3 outside the range, 2 absent too.
  std::vector<VerifyInput> inputs;
  for (int seq : {1, 3, 4, 5, 7, 10}) inputs.push_back(chain.inputs[seq - 1]);
  auto report = VerifyChains(inputs, {k1.public_key()}, {{agent, SeqRange{4, 10}}});
  EXPECT_TRUE(Describe(report).empty()) << Describe(report).front();
  ASSERT_EQ(report.missing.size(), 2u);
  EXPECT_EQ(report.missing[0].problem, Problem::kMissingRecord);
  EXPECT_EQ(report.missing[0].agent_id, agent);
  EXPECT_EQ(report.missing[0].seq, 6u);
  EXPECT_EQ(report.missing[0].detail, "seq 6 missing from the stated range 4-10");
  EXPECT_EQ(report.missing[1].detail, "seq 8-9 missing from the stated range 4-10");
  // A range that claims more than anything holds, up to a forged 2^64 - 1:
  // one finding, found without walking the seqs.
  report = VerifyChains(inputs, {k1.public_key()}, {{agent, SeqRange{4, UINT64_MAX}}});
  ASSERT_EQ(report.missing.size(), 3u);
  EXPECT_EQ(report.missing[2].detail,
            "seq 11-18446744073709551615 missing from the stated range 4-18446744073709551615");
  // An agent with a range and no records at all.
  const std::string absent(64, 'e');
  report = VerifyChains(inputs, {k1.public_key()}, {{absent, SeqRange{1, 2}}});
  ASSERT_EQ(report.missing.size(), 1u);
  EXPECT_EQ(report.missing[0].agent_id, absent);
  // Without a range the same input is read from seq 1: gaps, as before.
  EXPECT_EQ(Describe(VerifyChains(inputs, {k1.public_key()})),
            (std::vector<std::string>{"2: gap", "5: gap", "6: gap"}));
}

TEST(ChainVerifierTest, AForgedHugeSeqIsAGapFoundWithoutWalkingToIt) {
  auto k1 = *SigningKey::Generate();
  ChainBuilder chain(k1.public_key().KeyId());
  chain.Add(k1);
  v1::Evidence ev;
  ev.set_agent_id(k1.public_key().KeyId());
  ev.set_key_id(k1.public_key().KeyId());
  ev.set_seq(UINT64_MAX);
  ev.set_prev_digest(std::string(32, '\0'));
  ev.set_check_id("test.check");
  chain.inputs.push_back({*Sign(k1, ev.SerializeAsString()), ""});
  auto report = VerifyChains(chain.inputs, {k1.public_key()});
  ASSERT_EQ(Describe(report), (std::vector<std::string>{"2: gap"}));
  EXPECT_EQ(report.findings[1]->detail, "seq 2-18446744073709551614 missing");
}

TEST(ChainVerifierTest, ATrustedKeySpeaksOnlyForItsOwnAgent) {
  auto a = *SigningKey::Generate(), b = *SigningKey::Generate();
  ChainBuilder chain_b(b.public_key().KeyId());
  chain_b.Add(b);
  chain_b.Add(b);
  chain_b.Add(a);  // host A's key extends host B's chain
  auto report = VerifyChains(chain_b.inputs, {a.public_key(), b.public_key()});
  EXPECT_EQ(Describe(report), (std::vector<std::string>{"3: unknown-key"}));
  EXPECT_NE(report.findings[2]->detail.find("is not a key of agent"), std::string::npos);
}

TEST(ChainVerifierTest, OnlyTheFirstKeyAnchorsAnAgent) {
  auto k1 = *SigningKey::Generate(), k2 = *SigningKey::Generate();
  ChainBuilder chain = RotatingAtSeq2(k1, k2);
  // Trusting only the current key proves nothing about this agent.
  auto report = VerifyChains(chain.inputs, {k2.public_key()});
  EXPECT_EQ(report.valid, 0u);
}

TEST(ChainVerifierTest, RecordsSignedBeforeTheirKeyWasHandedOverAreRefused) {
  auto k1 = *SigningKey::Generate(), k2 = *SigningKey::Generate();
  ChainBuilder chain(k1.public_key().KeyId());
  chain.Add(k1);
  chain.Add(k2);       // seq 2 by k2, before any hand-over
  chain.Add(k1, &k2);  // seq 3 hands over
  auto report = VerifyChains(chain.inputs, {k1.public_key()});
  ASSERT_EQ(Describe(report), (std::vector<std::string>{"2: unknown-key"}));
  EXPECT_NE(report.findings[1]->detail.find("handed over only from seq 4"), std::string::npos);
}

}  // namespace
}  // namespace shoko::evidence
