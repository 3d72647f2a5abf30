// A small transparency log for tests: agents with fixed-seed keys append
// signed, chained records; the log keeps every subtree hash, signs
// checkpoints and makes bundles with their proofs. Deterministic (Ed25519 and
// fixed times), so the bundles it makes are also the fuzz corpus.
#ifndef SHOKO_TESTS_EVIDENCE_TEST_LOG_H_
#define SHOKO_TESTS_EVIDENCE_TEST_LOG_H_

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "evidence/bundle.h"
#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "evidence/note.h"
#include "evidence/rotation.h"

namespace shoko::evidence::testing {

inline SigningKey SeededKey(uint8_t seed) { return *SigningKey::FromSeed(std::string(32, seed)); }

class TestLog {
 public:
  explicit TestLog(std::string origin = "log.shoko.test/bundle")
      : origin_(std::move(origin)), log_key_(SeededKey(0x10)) {}

  // The log key an auditor pins.
  NoteVerifier verifier() const {
    return NoteVerifier(origin_, NoteKeyType::kEd25519, log_key_.public_key());
  }
  const std::string& origin() const { return origin_; }
  uint64_t size() const { return range_.size(); }

  // A new agent whose first key has the given seed; returns its index.
  size_t AddAgent(uint8_t seed) {
    Agent agent;
    agent.keys.push_back(SeededKey(seed));
    agent.id = agent.keys.back().public_key().KeyId();
    agents_.push_back(std::move(agent));
    return agents_.size() - 1;
  }
  const std::string& agent_id(size_t a) const { return agents_[a].id; }
  // The message every later record carries: a way to give records a
  // realistic size (about 1 KB signed, as the agent's are).
  void set_message(std::string message) { message_ = std::move(message); }
  const SigningKey& current_key(size_t a) const { return agents_[a].keys.back(); }

  // Appends agent `a`'s next record; with `rotate_to`, a key-rotation record
  // handing over to a new key of that seed. Returns its leaf index.
  uint64_t Append(size_t a, std::optional<uint8_t> rotate_to = std::nullopt) {
    Agent& agent = agents_[a];
    v1::Evidence ev;
    ev.set_agent_id(agent.id);
    ev.set_key_id(agent.keys.back().public_key().KeyId());
    ev.set_seq(agent.head.seq + 1);
    ev.set_prev_digest(agent.head.digest);
    ev.set_check_id(rotate_to ? std::string(kKeyRotationCheckId) : "test.check");
    ev.set_message(message_);
    ev.mutable_collected_at()->set_seconds(1700000000 + static_cast<int64_t>(size()));
    if (rotate_to) {
      ev.set_kind(v1::LIFECYCLE);
      SetRotationFacts(SeededKey(*rotate_to).public_key(), &ev);
    }
    // Deterministic: the rotation facts are a map, and the seeds made from
    // this log must be the same bytes on every run.
    std::string payload;
    {
      google::protobuf::io::StringOutputStream stream(&payload);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      ev.SerializeToCodedStream(&coded);
    }
    agent.head = ChainHead{ev.seq(), RecordDigest(payload)};
    Entry entry{*Sign(agent.keys.back(), payload), 1700000000000000 + static_cast<int64_t>(size()),
                a, ev.seq()};
    if (rotate_to) {
      agent.rotations.push_back(entry.envelope);
      agent.keys.push_back(SeededKey(*rotate_to));
    }
    const std::string leaf =
        merkle::LeafHash(*LeafInput(*LeafFieldsOf(entry.envelope, entry.received_at_us)));
    for (const auto& node : range_.Append(leaf)) nodes_[{node.level, node.index}] = node.hash;
    entries_.push_back(std::move(entry));
    return size() - 1;
  }

  merkle::NodeReader Nodes() const {
    return [this](int level, uint64_t index) -> Result<std::string> {
      auto it = nodes_.find({level, index});
      if (it == nodes_.end()) return Status::NotFound("no node");
      return it->second;
    };
  }
  std::string Root(uint64_t size) const { return *merkle::RootHash(size, Nodes()); }

  // The checkpoint of the first `size` leaves, signed by the log.
  std::string Checkpoint(uint64_t size) const { return SignedCheckpoint(size, Root(size)); }
  // Any tree size and root, signed with the log's key: what a log that forked
  // (or lies) signs.
  std::string SignedCheckpoint(uint64_t size, const std::string& root) const {
    return *SignNote(CheckpointBody(origin_, size, root), origin_, log_key_);
  }
  std::string Checkpoint() const { return Checkpoint(size()); }

  // Agent `a`'s cosignature line of `note_text`'s body with its current key.
  std::string Cosignature(size_t a, const std::string& note_text, uint64_t time = 1700000500) {
    const std::string body = ParseNote(note_text)->body;
    return *Cosign(body, AgentCosignerName(agent_id(a)), current_key(a), time);
  }

  // A bundle of every record of the listed agents against the checkpoint of
  // the whole log, stating each agent's whole chain.
  Bundle MakeBundle(const std::vector<size_t>& agents) const {
    Bundle bundle;
    bundle.checkpoint = Checkpoint();
    for (size_t a : agents) {
      const Agent& agent = agents_[a];
      bundle.agents.push_back(
          *MakeBundleAgent(agent.keys.front().public_key(), agent.rotations, {1, agent.head.seq}));
    }
    for (uint64_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      if (std::find(agents.begin(), agents.end(), e.agent) == agents.end()) continue;
      bundle.records.push_back(BundleRecord{e.envelope, e.received_at_us, i,
                                            *merkle::InclusionProof(i, size(), Nodes())});
    }
    return bundle;
  }

  std::vector<std::string> ConsistencyProof(uint64_t from) const {
    return *merkle::ConsistencyProof(from, size(), Nodes());
  }

 private:
  struct Agent {
    std::string id;
    std::vector<SigningKey> keys;  // the current key last
    std::vector<v1::Envelope> rotations;
    ChainHead head;
  };
  struct Entry {
    v1::Envelope envelope;
    int64_t received_at_us;
    size_t agent;
    uint64_t seq;
  };

  std::string origin_;
  std::string message_;
  SigningKey log_key_;
  std::vector<Agent> agents_;
  std::vector<Entry> entries_;
  merkle::CompactRange range_;
  std::map<std::pair<int, uint64_t>, std::string> nodes_;
};

// The log the bundle tests start from, and the fuzz seeds in
// tests/fixtures/evidence-log are made of: agents a (first key seed 0x21,
// handing over to 0x23 at its seq 3) and b (0x22), four records each,
// interleaved, eight leaves in all.
struct StandardLog {
  TestLog log;
  size_t a = 0, b = 0;

  StandardLog() {
    a = log.AddAgent(0x21);
    b = log.AddAgent(0x22);
    for (int i = 0; i < 4; ++i) {
      log.Append(a, i == 2 ? std::optional<uint8_t>(0x23) : std::nullopt);
      log.Append(b);
    }
  }
  // The earlier checkpoint an auditor kept in the fuzz targets and seeds.
  static constexpr uint64_t kEarlierSize = 5;
};

}  // namespace shoko::evidence::testing

#endif  // SHOKO_TESTS_EVIDENCE_TEST_LOG_H_
