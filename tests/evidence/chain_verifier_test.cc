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
  EXPECT_EQ(Describe(report),
            (std::vector<std::string>{"5: unknown-key", "6: unknown-key", "7: unknown-key",
                                      "8: unknown-key", "9: unknown-key", "10: unknown-key"}));
  EXPECT_NE(report.findings[4]->detail.find("rotated out at seq 4"), std::string::npos);
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
  ChainBuilder chain(k1.public_key().KeyId());
  chain.Add(k1);
  chain.Add(k1, &k2);
  chain.Add(k2);
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
