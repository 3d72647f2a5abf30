#include "cli/evidence_command.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"

namespace shoko::cli {
namespace {

v1::StoredEvidence Stored(const evidence::SigningKey& signer, const std::string& agent_id,
                          const std::string& key_id) {
  v1::Evidence ev;
  ev.set_agent_id(agent_id);
  ev.set_key_id(key_id);
  ev.set_seq(1);
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
            "agent_id is not the id of the signing key");
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
