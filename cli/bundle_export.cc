#include "cli/bundle_export.h"

#include <algorithm>

#include "cli/log_client.h"
#include "evidence/keys.h"
#include "platform/digest.h"

namespace shoko::cli {

void BundleBuilder::Add(const v1::StoredEvidence& stored) {
  // The record's own claim names its agent and seq; a payload that does not
  // parse is placed by its leaf, and the verifier says what is wrong with it.
  v1::Evidence claimed;
  const bool parsed = claimed.ParseFromString(stored.envelope().payload());
  const std::string& agent_id = parsed ? claimed.agent_id() : stored.leaf().agent_id();
  const uint64_t seq = parsed ? claimed.seq() : stored.leaf().seq();
  if (ranges_) {
    auto range = ranges_->find(agent_id);
    if (range == ranges_->end() || seq < range->second.first || seq > range->second.last) return;
  }
  if (stored.leaf().agent_id().empty()) {
    ++left_out_;  // received after the checkpoint
    return;
  }
  Listed& listed = agents_[agent_id];
  if (listed.first_public_key.empty()) {
    if (!stored.first_public_key().empty()) {
      listed.first_public_key = stored.first_public_key();
    } else if (platform::Sha256Hex(stored.public_key()) == agent_id) {
      listed.first_public_key = stored.public_key();
    }
  }
  if (listed.rotations.empty()) {
    listed.rotations.assign(stored.key_rotations().begin(), stored.key_rotations().end());
  }
  listed.seqs.push_back(seq);
  bundle_.records.push_back({stored.envelope(), stored.received_at_us(), stored.leaf().leaf_index(),
                             Hashes(stored.inclusion_proof())});
}

Result<evidence::BundleAgent> BundleBuilder::AgentOf(const std::string& agent_id,
                                                     const Listed& listed, uint64_t first_seq) {
  auto first = evidence::PublicKey::FromRaw(listed.first_public_key);
  if (listed.first_public_key.empty() || !first.ok()) {
    return Status::Corruption("the store sent no first key for agent " + agent_id);
  }
  const uint64_t last_seq = *std::max_element(listed.seqs.begin(), listed.seqs.end());
  auto agent = evidence::MakeBundleAgent(*first, listed.rotations, {first_seq, last_seq});
  if (!agent.ok()) {
    // What the store sent for the agent cannot make its entry.
    return Status::Corruption("agent " + agent_id + ": " + agent.status().message());
  }
  return agent;
}

Result<evidence::Bundle> BundleBuilder::Finish(std::vector<std::string>* holes) {
  for (auto& [agent_id, listed] : agents_) {
    const uint64_t first_seq = ranges_ ? ranges_->at(agent_id).first : 1;
    SHOKO_ASSIGN_OR_RETURN(evidence::BundleAgent agent, AgentOf(agent_id, listed, first_seq));
    std::sort(listed.seqs.begin(), listed.seqs.end());
    uint64_t expected = first_seq;
    for (uint64_t seq : listed.seqs) {
      if (seq > expected) {
        holes->push_back("agent " + agent_id + " seq " + std::to_string(expected) +
                         (seq - 1 > expected ? "-" + std::to_string(seq - 1) : "") +
                         ": not listed by the store (see shokoctl incidents for its gaps)");
      }
      expected = std::max(expected, seq + 1);
    }
    bundle_.agents.push_back(std::move(agent));
  }
  return std::move(bundle_);
}

}  // namespace shoko::cli
