#include "cli/evidence_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/rotation.h"
#include "tests/cli/captured.h"
#include "tests/cli/fake_store.h"

namespace shoko::cli {
namespace {

v1::StoredEvidence Stored(const evidence::SigningKey& signer, const std::string& agent_id,
                          const std::string& key_id, uint64_t seq = 1) {
  v1::Evidence ev;
  ev.set_agent_id(agent_id);
  ev.set_key_id(key_id);
  ev.set_seq(seq);
  ev.set_prev_digest(std::string(32, '\0'));
  ev.set_check_id("access.sshd");
  std::string payload = ev.SerializeAsString();
  v1::StoredEvidence stored;
  *stored.mutable_envelope() = *evidence::Sign(signer, payload);
  stored.set_record_digest(evidence::RecordDigest(payload));
  stored.set_public_key(signer.public_key().raw());
  return stored;
}

TEST(VerifyStoredEvidenceTest, AcceptsAnAgentsOwnRecord) {
  auto agent = *evidence::SigningKey::Generate();
  const std::string id = agent.public_key().KeyId();
  v1::Evidence parsed;
  EXPECT_EQ(VerifyStoredEvidence(Stored(agent, id, id), &parsed), "");
  EXPECT_EQ(parsed.agent_id(), id);
}

TEST(VerifyStoredEvidenceTest, CatchesAStorePassingOffItsOwnSignature) {
  auto agent = *evidence::SigningKey::Generate();
  auto store = *evidence::SigningKey::Generate();
  const std::string agent_id = agent.public_key().KeyId();
  v1::Evidence parsed;
  // The store signs a record claiming the agent's id and key, and hands out its own key.
  EXPECT_NE(VerifyStoredEvidence(Stored(store, agent_id, agent_id), &parsed)
                .find("record names key " + agent_id),
            std::string::npos);
  // Or names its own key but the agent's id.
  EXPECT_EQ(VerifyStoredEvidence(Stored(store, agent_id, store.public_key().KeyId()), &parsed),
            "agent_id is not the id of the signing key, and the store sent no first key for it");
}

// The rotation record at `seq` in which `from` hands agent `agent` over to `to`.
v1::Envelope Rotation(const evidence::SigningKey& from, const evidence::SigningKey& to,
                      const std::string& agent, uint64_t seq) {
  v1::Evidence ev;
  ev.set_agent_id(agent);
  ev.set_key_id(from.public_key().KeyId());
  ev.set_seq(seq);
  ev.set_prev_digest(std::string(32, '\0'));
  ev.set_check_id(std::string(evidence::kKeyRotationCheckId));
  ev.set_kind(v1::LIFECYCLE);
  evidence::SetRotationFacts(to.public_key(), &ev);
  return *evidence::Sign(from, ev.SerializeAsString());
}

TEST(VerifyStoredEvidenceTest, FollowsTheAgentsKeyRotations) {
  auto first = *evidence::SigningKey::Generate();
  auto second = *evidence::SigningKey::Generate();
  auto third = *evidence::SigningKey::Generate();
  const std::string agent = first.public_key().KeyId();
  auto with_proof = [&](v1::StoredEvidence s) {
    s.set_first_public_key(first.public_key().raw());
    *s.add_key_rotations() = Rotation(first, second, agent, 5);
    *s.add_key_rotations() = Rotation(second, third, agent, 9);
    return s;
  };
  v1::Evidence parsed;
  EXPECT_EQ(VerifyStoredEvidence(with_proof(Stored(third, agent, third.public_key().KeyId(), 10)),
                                 &parsed),
            "");
  EXPECT_EQ(VerifyStoredEvidence(with_proof(Stored(second, agent, second.public_key().KeyId(), 7)),
                                 &parsed),
            "");
  EXPECT_NE(VerifyStoredEvidence(with_proof(Stored(second, agent, second.public_key().KeyId(), 11)),
                                 &parsed)
                .find("after it was rotated out at seq 9"),
            std::string::npos);
  EXPECT_NE(VerifyStoredEvidence(with_proof(Stored(first, agent, agent, 6)), &parsed)
                .find("after it was rotated out at seq 5"),
            std::string::npos);
  EXPECT_EQ(VerifyStoredEvidence(with_proof(Stored(first, agent, agent, 5)), &parsed), "");
  EXPECT_NE(
      VerifyStoredEvidence(with_proof(Stored(third, agent, third.public_key().KeyId(), 8)), &parsed)
          .find("before the agent handed over to it at seq 9"),
      std::string::npos);
  // Without the proof, or with a forged one, a later key is not the agent's.
  EXPECT_NE(VerifyStoredEvidence(Stored(third, agent, third.public_key().KeyId(), 10), &parsed),
            "");
  auto stranger = *evidence::SigningKey::Generate();
  v1::StoredEvidence forged = Stored(third, agent, third.public_key().KeyId(), 10);
  forged.set_first_public_key(first.public_key().raw());
  *forged.add_key_rotations() = Rotation(stranger, third, agent, 5);
  EXPECT_NE(VerifyStoredEvidence(forged, &parsed).find("does not verify"), std::string::npos);
}

TEST(VerifyStoredEvidenceTest, CatchesTamperingAndAWrongDigest) {
  auto agent = *evidence::SigningKey::Generate();
  const std::string id = agent.public_key().KeyId();
  v1::Evidence parsed;
  v1::StoredEvidence flipped = Stored(agent, id, id);
  flipped.mutable_envelope()->mutable_payload()->back() ^= 1;
  EXPECT_NE(VerifyStoredEvidence(flipped, &parsed).find("bad signature"), std::string::npos);
  v1::StoredEvidence digest = Stored(agent, id, id);
  digest.set_record_digest(std::string(32, 'd'));
  EXPECT_EQ(VerifyStoredEvidence(digest, &parsed), "record digest differs from the store's");
  v1::StoredEvidence no_key = Stored(agent, id, id);
  no_key.clear_public_key();
  EXPECT_NE(VerifyStoredEvidence(no_key, &parsed).find("no usable key"), std::string::npos);
}

}  // namespace
}  // namespace shoko::cli

namespace shoko::cli {
namespace {

// `shokoctl evidence` against a store that serves what the test says.
class EvidenceCompletenessTest : public ::testing::Test {
 protected:
  int Run(EvidenceQuery query = {}) {
    query.connection.store = store_.address();
    return printed_.Run(RunEvidence, query);
  }
  bool Says(const std::string& text) const { return printed_.Says(text); }

  evidence::SigningKey key_ = *evidence::SigningKey::Generate();
  std::string agent_ = key_.public_key().KeyId();
  std::vector<v1::StoredEvidence> chain_ = testing::SignedChain(key_, 6);
  testing::FakeAuditQuery audit_;
  testing::FakeStore store_{{&audit_}};
  testing::Captured printed_;
  const std::string& out_ = printed_.out;
  const std::string& err_ = printed_.err;
};

TEST_F(EvidenceCompletenessTest, AWholeChainSaysItsRangeAndThatInclusionWasNotChecked) {
  audit_.SetRecords(chain_);
  EXPECT_EQ(Run(), 0) << out_ << err_;
  EXPECT_TRUE(Says("6 record(s), 6 with a valid signature")) << out_;
  EXPECT_TRUE(Says("agent " + agent_ + ": seq 1-6: complete and linked")) << out_;
  EXPECT_TRUE(Says("inclusion not checked: no log key pinned")) << out_;
}

TEST_F(EvidenceCompletenessTest, ARecordTheStoreLeavesOutIsMissingAndExit1) {
  // The store's copy lost seq 3 (a fail, say): every record left verifies.
  std::vector<v1::StoredEvidence> served = chain_;
  served.erase(served.begin() + 2);
  audit_.SetRecords(served);
  EXPECT_EQ(Run(), 1) << out_;
  EXPECT_TRUE(Says("5 record(s), 5 with a valid signature")) << out_;
  EXPECT_TRUE(Says("agent " + agent_ + ": seq 1-6: 5 record(s) received, 1 problem(s)")) << out_;
  EXPECT_TRUE(Says("\nagent " + agent_ + " seq 3: missing\n")) << out_;
  EXPECT_NE(err_.find("1 problem(s) in the agents' chains"), std::string::npos) << err_;
}

TEST_F(EvidenceCompletenessTest, InJsonLinesTheReportGoesToStderr) {
  std::vector<v1::StoredEvidence> served = chain_;
  served.erase(served.begin());
  audit_.SetRecords(served);
  EvidenceQuery query;
  query.format = "jsonl";
  EXPECT_EQ(Run(query), 1);
  EXPECT_EQ(std::count(out_.begin(), out_.end(), '\n'), 5) << out_;
  EXPECT_NE(err_.find("shokoctl: agent " + agent_ + " seq 1: missing\n"), std::string::npos)
      << err_;
}

TEST_F(EvidenceCompletenessTest, AControlSelectionSaysItsChainsWereNotChecked) {
  std::vector<v1::StoredEvidence> served = {chain_[1], chain_[4]};
  audit_.SetRecords(served);
  EvidenceQuery query;
  query.control = "ismap:8.2";
  EXPECT_EQ(Run(query), 0) << out_;
  EXPECT_TRUE(Says("chains not checked: --control lists a selection")) << out_;
  EXPECT_EQ(audit_.last_request().control_ref(), "ismap:8.2");
}

}  // namespace
}  // namespace shoko::cli
