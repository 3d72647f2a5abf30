#include "cli/evidence_command.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/rotation.h"

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
