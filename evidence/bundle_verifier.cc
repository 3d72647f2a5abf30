// VerifyBundle (evidence/bundle.h): each check a pass over the bundle, each
// problem one finding (docs/ledger.md, "Bundles").
#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "evidence/bundle.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"

namespace shoko::evidence {
namespace {

// Where an input of the chain verification came from.
struct Source {
  std::string where;                         // "records[3]" or "agents[0].rotations[1]"
  std::optional<size_t> record;              // its index in records, for a record
  std::pair<std::string, uint64_t> claimed;  // (agent, seq) it claims, for ordering
};

std::pair<std::string, uint64_t> ClaimedPosition(const v1::Envelope& envelope) {
  v1::Evidence ev;
  if (!ev.ParseFromString(envelope.payload())) return {"", 0};
  return {ev.agent_id(), ev.seq()};
}

class BundleVerification {
 public:
  BundleVerification(const Bundle& bundle, const BundleVerifyOptions& options)
      : bundle_(bundle), options_(options) {}

  // The checkpoint, signed by the pinned log key with the expected origin.
  void CheckCheckpoint();
  // Signatures, keys and chains over the stated ranges.
  void CheckChains();
  // Each record's leaf against its inclusion proof and the checkpoint's root.
  void CheckInclusion();
  // The checkpoint against the one the auditor kept.
  void CheckConsistency();
  // Cosignatures by the bundle's agents.
  void CheckWitnesses();
  BundleReport Report();

 private:
  void Add(Problem problem, std::string agent, std::optional<uint64_t> seq, std::string detail) {
    report_.findings.push_back(Finding{problem, seq, std::move(detail), std::move(agent)});
  }
  void CollectInputs(std::vector<VerifyInput>& inputs, std::vector<Source>& sources) const;
  std::vector<PublicKey> TrustedFirstKeys();
  void AddChainFindings(const VerifyReport& chains, const std::vector<VerifyInput>& inputs,
                        const std::vector<Source>& sources);
  void CheckListedKeys(const VerifyReport& chains);
  void CheckUnlistedKeys(size_t j, const std::vector<KeyWindow>& history);
  void CheckRecordsInRange(const std::map<std::string, SeqRange>& ranges);

  const Bundle& bundle_;
  const BundleVerifyOptions& options_;
  BundleReport report_;
  // The tree the proofs are checked against: the opened checkpoint, or what
  // the note says when its signature fails (already a finding).
  std::optional<Checkpoint> tree_;
  std::set<size_t> bad_records_;
  std::set<std::string> missing_rotation_;  // agents with a missing-rotation finding
  std::map<std::string, PublicKey> current_keys_;
};

void BundleVerification::CheckCheckpoint() {
  auto opened = OpenCheckpoint(bundle_.checkpoint, options_.log_key, options_.origin);
  if (opened.ok()) {
    report_.checkpoint = *opened;
    tree_ = std::move(opened).value();
    return;
  }
  Add(Problem::kBadCheckpoint, "", std::nullopt, "checkpoint: " + opened.status().message());
  if (auto note = ParseNote(bundle_.checkpoint); note.ok()) {
    if (auto body = ParseCheckpointBody(note->body); body.ok()) tree_ = std::move(body).value();
  }
}

// The records, then each rotation record the records do not already hold,
// sorted by the (agent, seq) they claim: a bundle's order means nothing. A
// copy is held only when it is the very same envelope, type and signature
// too: any byte of the bundle is checked somewhere.
void BundleVerification::CollectInputs(std::vector<VerifyInput>& inputs,
                                       std::vector<Source>& sources) const {
  std::set<std::string> held;
  for (size_t i = 0; i < bundle_.records.size(); ++i) {
    const v1::Envelope& env = bundle_.records[i].envelope;
    held.insert(env.SerializeAsString());
    inputs.push_back(VerifyInput{env, ""});
    sources.push_back(Source{"records[" + std::to_string(i) + "]", i, ClaimedPosition(env)});
  }
  for (size_t j = 0; j < bundle_.agents.size(); ++j) {
    const auto& rotations = bundle_.agents[j].rotations;
    for (size_t k = 0; k < rotations.size(); ++k) {
      if (held.contains(rotations[k].SerializeAsString())) continue;
      inputs.push_back(VerifyInput{rotations[k], ""});
      sources.push_back(
          Source{"agents[" + std::to_string(j) + "].rotations[" + std::to_string(k) + "]",
                 std::nullopt, ClaimedPosition(rotations[k])});
    }
  }
  std::vector<size_t> order(inputs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return sources[a].claimed < sources[b].claimed; });
  std::vector<VerifyInput> sorted_inputs;
  std::vector<Source> sorted_sources;
  for (size_t i : order) {
    sorted_inputs.push_back(std::move(inputs[i]));
    sorted_sources.push_back(std::move(sources[i]));
  }
  inputs = std::move(sorted_inputs);
  sources = std::move(sorted_sources);
}

// Each agent's first key: the listed key whose id is the agent_id. It is
// bound to the agent by that id; every later key needs a rotation record.
std::vector<PublicKey> BundleVerification::TrustedFirstKeys() {
  std::vector<PublicKey> trusted;
  for (size_t j = 0; j < bundle_.agents.size(); ++j) {
    const BundleAgent& agent = bundle_.agents[j];
    const std::string where = "agents[" + std::to_string(j) + "]";
    auto first = std::find_if(agent.keys.begin(), agent.keys.end(),
                              [&](const BundleKey& k) { return k.key_id == agent.agent_id; });
    auto key = first == agent.keys.end() ? Result<PublicKey>(Status::NotFound(""))
                                         : PublicKey::FromRaw(first->public_key);
    if (!key.ok()) {
      Add(Problem::kUnknownKey, agent.agent_id, std::nullopt,
          where + ": no key whose id is the agent_id (the agent's first key)");
      continue;
    }
    if (first->from_seq != 1) {
      Add(Problem::kMalformed, agent.agent_id, first->from_seq,
          where + ": the first key is listed from seq " + std::to_string(first->from_seq) +
              ", not 1");
    }
    current_keys_.insert_or_assign(agent.agent_id, *key);
    trusted.push_back(std::move(key).value());
  }
  return trusted;
}

void BundleVerification::AddChainFindings(const VerifyReport& chains,
                                          const std::vector<VerifyInput>& inputs,
                                          const std::vector<Source>& sources) {
  std::set<std::pair<std::string, std::string>> said;  // missing rotations, once per key
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!chains.findings[i]) continue;
    Finding finding = *chains.findings[i];
    if (sources[i].record) bad_records_.insert(*sources[i].record);
    if (finding.problem == Problem::kMissingRotation) {
      missing_rotation_.insert(finding.agent_id);
      if (!said.emplace(finding.agent_id, finding.detail).second) continue;
    }
    finding.detail = sources[i].where + (finding.detail.empty() ? "" : ": " + finding.detail);
    report_.findings.push_back(std::move(finding));
  }
  for (const Finding& missing : chains.missing) report_.findings.push_back(missing);
}

// The keys the bundle lists must be the keys the rotation records hand over.
void BundleVerification::CheckListedKeys(const VerifyReport& chains) {
  for (size_t j = 0; j < bundle_.agents.size(); ++j) {
    const BundleAgent& agent = bundle_.agents[j];
    auto history = chains.keys.find(agent.agent_id);
    if (history != chains.keys.end() && !history->second.empty()) {
      current_keys_.insert_or_assign(agent.agent_id, history->second.back().key);
    }
    for (size_t k = 0; k < agent.keys.size(); ++k) {
      const BundleKey& listed = agent.keys[k];
      if (listed.key_id == agent.agent_id) continue;
      const std::string where = "agents[" + std::to_string(j) + "].keys[" + std::to_string(k) +
                                "]: key " + listed.key_id.substr(0, 16) + "… is listed from seq " +
                                std::to_string(listed.from_seq);
      const KeyWindow* window = nullptr;
      if (history != chains.keys.end()) {
        for (const KeyWindow& w : history->second) {
          if (w.key.KeyId() == listed.key_id) window = &w;
        }
      }
      if (window == nullptr) {
        if (missing_rotation_.contains(agent.agent_id)) continue;  // said already
        Add(Problem::kMissingRotation, agent.agent_id, listed.from_seq,
            where + " but no verified rotation record in the bundle hands it over: " +
                "a key-rotation record is missing" +
                (listed.from_seq > 1 ? " at seq " + std::to_string(listed.from_seq - 1) : ""));
      } else if (window->from_seq != listed.from_seq) {
        Add(Problem::kMalformed, agent.agent_id, listed.from_seq,
            where + " but its rotation record hands it over from seq " +
                std::to_string(window->from_seq));
      }
    }
    if (history != chains.keys.end()) CheckUnlistedKeys(j, history->second);
  }
}

// ... and every key the rotation records hand over must be listed.
void BundleVerification::CheckUnlistedKeys(size_t j, const std::vector<KeyWindow>& history) {
  const BundleAgent& agent = bundle_.agents[j];
  for (const KeyWindow& window : history) {
    const std::string id = window.key.KeyId();
    if (std::any_of(agent.keys.begin(), agent.keys.end(),
                    [&](const BundleKey& k) { return k.key_id == id; })) {
      continue;
    }
    Add(Problem::kMalformed, agent.agent_id, window.from_seq,
        "agents[" + std::to_string(j) + "].keys: key " + id.substr(0, 16) +
            "…, handed over from seq " + std::to_string(window.from_seq) + ", is not listed");
  }
}

// A bundle states what it holds: a record outside its agent's stated range
// would verify while the range says less (a key-rotation record before the
// range travels in the agent's "rotations" instead).
void BundleVerification::CheckRecordsInRange(const std::map<std::string, SeqRange>& ranges) {
  for (size_t i = 0; i < bundle_.records.size(); ++i) {
    if (bad_records_.contains(i)) continue;  // its own finding says enough
    const auto [agent, seq] = ClaimedPosition(bundle_.records[i].envelope);
    auto range = ranges.find(agent);
    if (range == ranges.end() || (seq >= range->second.first && seq <= range->second.last)) {
      continue;
    }
    bad_records_.insert(i);
    Add(Problem::kMalformed, agent, seq,
        "records[" + std::to_string(i) + "]: seq " + std::to_string(seq) +
            " is outside the stated range " + std::to_string(range->second.first) + "-" +
            std::to_string(range->second.last));
  }
}

void BundleVerification::CheckChains() {
  std::vector<VerifyInput> inputs;
  std::vector<Source> sources;
  CollectInputs(inputs, sources);
  const std::vector<PublicKey> trusted = TrustedFirstKeys();
  std::map<std::string, SeqRange> ranges;
  for (const BundleAgent& agent : bundle_.agents) {
    ranges[agent.agent_id] = SeqRange{agent.first_seq, agent.last_seq};
  }
  const VerifyReport chains = VerifyChains(inputs, trusted, ranges);
  AddChainFindings(chains, inputs, sources);
  CheckListedKeys(chains);
  CheckRecordsInRange(ranges);
}

void BundleVerification::CheckInclusion() {
  if (!tree_) return;  // no readable checkpoint: already a finding
  for (size_t i = 0; i < bundle_.records.size(); ++i) {
    const BundleRecord& record = bundle_.records[i];
    auto leaf = LeafFieldsOf(record.envelope, record.received_at_us);
    if (!leaf.ok()) continue;  // not a record: the chain check said so
    auto input = LeafInput(*leaf);
    if (!input.ok()) continue;
    Status included =
        merkle::VerifyInclusion(record.leaf_index, tree_->tree_size, merkle::LeafHash(*input),
                                record.inclusion_proof, tree_->root_hash);
    if (included.ok()) continue;
    bad_records_.insert(i);
    Add(Problem::kBadProof, leaf->agent_id, leaf->seq,
        "records[" + std::to_string(i) + "]: leaf " + std::to_string(record.leaf_index) +
            " is not proven included in the checkpoint of size " +
            std::to_string(tree_->tree_size) + ": " + included.message());
  }
}

void BundleVerification::CheckConsistency() {
  if (!options_.previous) return;
  auto previous = OpenCheckpoint(*options_.previous, options_.log_key, options_.origin);
  if (!previous.ok()) {
    Add(Problem::kBadCheckpoint, "", std::nullopt,
        "previous checkpoint: " + previous.status().message());
    return;
  }
  if (!report_.checkpoint) return;  // the bundle's checkpoint is a finding already
  const Checkpoint& now = *report_.checkpoint;
  const auto inconsistent = [&](const std::string& why) {
    Add(Problem::kInconsistentCheckpoint, "", std::nullopt,
        "the checkpoint of size " + std::to_string(now.tree_size) +
            " is not shown to extend the previous one of size " +
            std::to_string(previous->tree_size) + ": " + why);
  };
  if (previous->tree_size > now.tree_size) return inconsistent("the previous one is larger");
  if (previous->tree_size == 0) {
    if (previous->root_hash != merkle::EmptyRoot()) inconsistent("an empty tree with a root");
    return;
  }
  if (previous->tree_size == now.tree_size) {
    if (previous->root_hash != now.root_hash) inconsistent("two roots for one size: a fork");
    return;
  }
  auto proof = std::find_if(bundle_.consistency.begin(), bundle_.consistency.end(),
                            [&](const auto& c) { return c.from_size == previous->tree_size; });
  if (proof == bundle_.consistency.end()) {
    return inconsistent("the bundle carries no consistency proof from size " +
                        std::to_string(previous->tree_size));
  }
  Status consistent = merkle::VerifyConsistency(previous->tree_size, now.tree_size,
                                                previous->root_hash, now.root_hash, proof->proof);
  if (!consistent.ok()) {
    inconsistent("consistency[" + std::to_string(proof - bundle_.consistency.begin()) +
                 "]: " + consistent.message());
  }
}

void BundleVerification::CheckWitnesses() {
  auto note = ParseNote(bundle_.checkpoint);
  if (note.ok() && report_.checkpoint) {
    for (const auto& [agent, key] : current_keys_) {
      const NoteVerifier cosigner = AgentCosigner(agent, key);
      bool valid = false;
      for (const NoteSignature& sig : note->signatures) {
        auto cosigned = VerifyCosignature(note->body, sig, cosigner);
        valid = valid || cosigned.ok();
        if (cosigned.status().code() == Status::Code::kCorruption) {
          Add(Problem::kBadCheckpoint, agent, std::nullopt, cosigned.status().message());
        }
      }
      if (valid) ++report_.witnesses;
    }
  }
  if (report_.witnesses < options_.witnesses) {
    Add(Problem::kTooFewWitnesses, "", std::nullopt,
        std::to_string(report_.witnesses) +
            " valid cosignature(s) of the checkpoint by the bundle's agents, " +
            std::to_string(options_.witnesses) + " required");
  }
}

BundleReport BundleVerification::Report() {
  report_.records = bundle_.records.size();
  report_.valid_records = bundle_.records.size() - bad_records_.size();
  report_.agents = bundle_.agents.size();
  return std::move(report_);
}

}  // namespace

BundleReport VerifyBundle(const Bundle& bundle, const BundleVerifyOptions& options) {
  BundleVerification verification(bundle, options);
  verification.CheckCheckpoint();
  verification.CheckChains();
  verification.CheckInclusion();
  verification.CheckConsistency();
  verification.CheckWitnesses();
  return verification.Report();
}

}  // namespace shoko::evidence
