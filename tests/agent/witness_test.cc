// The agent as a witness of the store's log, against a log in memory: valid
// proofs delete what they prove, and every way a log can fail the agent (a
// bad proof, another record at its seq, a checkpoint inconsistent with the
// last one verified or signed by another key, a record never included within
// the bound) keeps the records and records one incident; verified
// checkpoints are cosigned; the pinned key comes from the config or enrollment.
#include "agent/witness.h"

#include <gtest/gtest.h>

#include "agent/state_dir.h"
#include "evidence/envelope.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "platform/local_files.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using evidence::merkle::LeafHash;
using evidence::merkle::NodeHash;
using std::chrono::seconds;
using testing::TempDir;

constexpr int64_t kSecond = 1000000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;
constexpr seconds kBound{600};

// A transparency log in memory: leaves appended, checkpoints signed with its
// own key, proofs computed from its tree, and the ways a log may lie.
class FakeLog final : public TransparencyLogClient {
 public:
  // A log's key is made from `seed`: a log made with the same seed signs as
  // the same log (a fork of it).
  explicit FakeLog(char seed = 'L')
      : seed_(seed), key_(*evidence::SigningKey::FromSeed(std::string(32, seed))) {}
  char seed() const { return seed_; }

  evidence::NoteVerifier Verifier() const {
    return {kOrigin, evidence::NoteKeyType::kEd25519, key_.public_key()};
  }
  const evidence::SigningKey& key() const { return key_; }

  void Append(const evidence::LogLeafFields& leaf) {
    leaves_.push_back(leaf);
    hashes_.push_back(LeafHash(*evidence::LeafInput(leaf)));
  }
  // The agent's records seq first..last as the store would log them.
  void Include(const Outbox& outbox, const std::string& agent_id, uint64_t first, uint64_t last) {
    for (const OutboxRecord& r : *outbox.ReadAfter(first - 1, last - first + 1)) {
      v1::Envelope envelope;
      ASSERT_TRUE(envelope.ParseFromString(r.envelope));
      Append({agent_id, r.seq, r.digest, evidence::SignatureDigest(envelope), kT0 + 7});
    }
  }
  // Another agent's record.
  void AppendOther() {
    Append({std::string(64, 'b'), leaves_.size() + 1, std::string(32, 'r'), std::string(32, 's'),
            kT0});
  }
  // Signs a checkpoint of the tree as it stands (by `signer`, or the log's
  // own key); it becomes the latest.
  void SignCheckpoint(const evidence::SigningKey* signer = nullptr) {
    const std::string body =
        evidence::CheckpointBody(kOrigin, leaves_.size(), *Root(leaves_.size()));
    latest_ = *evidence::SignNote(body, kOrigin, signer != nullptr ? *signer : key_);
  }
  // Serves `note` as the latest checkpoint; "" serves none, as the store
  // does before it signs one.
  void ServeNote(std::string note) { latest_ = std::move(note); }
  const std::string& latest() const { return latest_; }

  Result<std::string> LatestCheckpoint() override {
    if (unavailable) return Status::Unavailable("store away");
    if (latest_.empty()) return Status::NotFound("the log has no checkpoint yet");
    return latest_;
  }
  Result<std::vector<std::string>> ConsistencyProof(uint64_t first, uint64_t second) override {
    ++consistency_requests;
    return evidence::merkle::ConsistencyProof(first, second, Nodes());
  }
  Result<std::vector<v1::InclusionProof>> InclusionProofs(const v1::AgentSeqRange& range,
                                                          uint64_t tree_size) override {
    std::vector<v1::InclusionProof> proofs;
    for (uint64_t i = 0; i < tree_size && i < leaves_.size(); ++i) {
      const evidence::LogLeafFields& leaf = leaves_[i];
      if (leaf.agent_id != range.agent_id() || leaf.seq < range.first_seq() ||
          leaf.seq > range.last_seq()) {
        continue;
      }
      v1::InclusionProof proof;
      proof.set_tree_size(tree_size);
      v1::LogLeaf* l = proof.mutable_leaf();
      l->set_leaf_index(i);
      l->set_agent_id(leaf.agent_id);
      l->set_seq(leaf.seq);
      l->set_record_digest(leaf.record_digest);
      l->set_signature_digest(leaf.signature_digest);
      l->set_received_at_us(leaf.received_at_us);
      for (std::string& h : *evidence::merkle::InclusionProof(i, tree_size, Nodes())) {
        proof.add_hashes(std::move(h));
      }
      if (flip_proof_byte && proof.hashes_size() > 0) (*proof.mutable_hashes(0))[0] ^= 1;
      proofs.push_back(std::move(proof));
    }
    return proofs;
  }
  Status AddCosignature(uint64_t tree_size, const std::string& line) override {
    cosignatures.emplace_back(tree_size, line);
    return Status::OK();
  }

  bool unavailable = false;
  bool flip_proof_byte = false;
  int consistency_requests = 0;
  std::vector<std::pair<uint64_t, std::string>> cosignatures;

 private:
  static constexpr char kOrigin[] = "log.example/shoko";

  evidence::merkle::NodeReader Nodes() const {
    return
        [this](int level, uint64_t index) -> Result<std::string> { return Subtree(level, index); };
  }
  Result<std::string> Subtree(int level, uint64_t index) const {
    if (((index + 1) << level) > hashes_.size()) return Status::NotFound("no such node");
    if (level == 0) return hashes_[index];
    return NodeHash(*Subtree(level - 1, 2 * index), *Subtree(level - 1, 2 * index + 1));
  }
  Result<std::string> Root(uint64_t size) const {
    return evidence::merkle::RootHash(size, Nodes());
  }

  char seed_;
  evidence::SigningKey key_;
  std::vector<evidence::LogLeafFields> leaves_;
  std::vector<std::string> hashes_;
  std::string latest_;
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = StateDir::OpenOnline(tmp_.path(), {});
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
    RecordContext context;
    context.agent_id = agent_id();
    recorder_ = std::make_unique<Recorder>(context, &outbox());
  }

  const std::string& agent_id() const { return dir_->identity().agent_id; }
  Outbox& outbox() { return dir_->outbox(); }
  const evidence::SigningKey& key() const { return dir_->identity().key; }

  // `n` records, acknowledged by the store at `acked_at`.
  void RecordAndAck(int n, int64_t acked_at = kT0) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(recorder_->RecordLifecycle("start", {{"i", i}}, key(), kT0).ok());
    }
    ASSERT_TRUE(outbox().MarkAcked(outbox().Position().head.seq, acked_at).ok());
  }

  // `n` records acknowledged, and all included in `log` under a checkpoint
  // it signs.
  void AckAllIncluded(int n, FakeLog* log) {
    RecordAndAck(n);
    log->Include(outbox(), agent_id(), 1, n);
    log->SignCheckpoint();
  }

  Witness MakeWitness(const FakeLog& log) {
    return Witness(log.Verifier(), dir_->checkpoint_file(), agent_id(), &outbox(), recorder_.get(),
                   kBound);
  }

  WitnessRound Round(Witness& witness, FakeLog& log, int64_t now = kT0 + kSecond) {
    auto round = witness.Check(log, key(), now);
    EXPECT_TRUE(round.ok()) << round.status().ToString();
    return round.ok() ? std::move(round).value() : WitnessRound();
  }

  // The incident records in the outbox, oldest first.
  std::vector<v1::Evidence> Incidents() {
    std::vector<v1::Evidence> out;
    for (const OutboxRecord& r : *outbox().ReadAfter(0, 1000)) {
      v1::Envelope envelope;
      EXPECT_TRUE(envelope.ParseFromString(r.envelope));
      v1::Evidence record = *evidence::ParseEvidence(envelope.payload());
      if (record.check_id() == "agent.lifecycle.witness_incident") out.push_back(record);
    }
    return out;
  }
  static std::string Fact(const v1::Evidence& record, const std::string& name) {
    return record.facts().fields().at(name).string_value();
  }
  static double Number(const v1::Evidence& record, const std::string& name) {
    return record.facts().fields().at(name).number_value();
  }

  TempDir tmp_;
  std::optional<StateDir> dir_;
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(WitnessTest, ValidProofsDeleteTheRecordsAndTheCheckpointIsKeptAndCosigned) {
  RecordAndAck(5);
  FakeLog log;
  log.AppendOther();
  log.Include(outbox(), agent_id(), 1, 5);
  log.AppendOther();
  log.SignCheckpoint();
  Witness witness = MakeWitness(log);
  const WitnessRound round = Round(witness, log);
  EXPECT_TRUE(round.incidents.empty());
  EXPECT_EQ(round.checkpoint_size, 7u);
  EXPECT_EQ(round.included, 5u);
  EXPECT_EQ(round.awaiting, 0u);
  EXPECT_EQ(outbox().Depth(), 0u);
  // The checkpoint is kept as the store signed it.
  EXPECT_EQ(testing::ReadFileOrEmpty(dir_->checkpoint_file()), log.latest());

  // Cosigned by the agent's evidence key, under its cosigner name, once.
  ASSERT_TRUE(round.cosigned);
  ASSERT_EQ(log.cosignatures.size(), 1u);
  EXPECT_EQ(log.cosignatures[0].first, 7u);
  auto opened = evidence::OpenCheckpoint(log.latest(), log.Verifier());
  ASSERT_TRUE(opened.ok());
  auto note = evidence::ParseNote(opened->body + "\n" + log.cosignatures[0].second + "\n");
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  auto when = evidence::VerifyCosignature(opened->body, note->signatures[0],
                                          evidence::AgentCosigner(agent_id(), key().public_key()));
  ASSERT_TRUE(when.ok()) << when.status().ToString();
  EXPECT_EQ(*when, static_cast<uint64_t>((kT0 + kSecond) / kSecond));
  Round(witness, log);
  EXPECT_EQ(log.cosignatures.size(), 1u);
}

TEST_F(WitnessTest, RecordsNotYetIncludedWaitWithinTheBound) {
  RecordAndAck(3);
  FakeLog log;
  log.Include(outbox(), agent_id(), 1, 2);
  log.SignCheckpoint();
  Witness witness = MakeWitness(log);
  WitnessRound round = Round(witness, log, kT0 + kBound.count() * kSecond - 1);
  EXPECT_TRUE(round.incidents.empty());
  EXPECT_EQ(round.included, 2u);
  EXPECT_EQ(round.awaiting, 1u);
  EXPECT_EQ(*outbox().AckedSeqs(), (std::vector<uint64_t>{3}));

  // The log grows to include it; the new checkpoint is proven consistent.
  log.Include(outbox(), agent_id(), 3, 3);
  log.SignCheckpoint();
  round = Round(witness, log, kT0 + 2 * kBound.count() * kSecond);
  EXPECT_TRUE(round.incidents.empty());
  EXPECT_EQ(round.included, 1u);
  EXPECT_EQ(log.consistency_requests, 1);
  EXPECT_EQ(outbox().Depth(), 0u);
}

TEST_F(WitnessTest, ARecordNeverIncludedPastTheBoundIsAnIncidentRecordedOnce) {
  RecordAndAck(4);
  FakeLog log;
  log.Include(outbox(), agent_id(), 1, 1);
  log.Include(outbox(), agent_id(), 4, 4);  // 2 and 3 left out
  log.SignCheckpoint();
  Witness witness = MakeWitness(log);
  const int64_t late = kT0 + kBound.count() * kSecond;
  WitnessRound round = Round(witness, log, late);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kNotIncludedFailure);
  EXPECT_EQ(round.included, 2u);
  EXPECT_EQ(*outbox().AckedSeqs(), (std::vector<uint64_t>{2, 3}));

  std::vector<v1::Evidence> incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  const v1::Evidence& incident = incidents[0];
  EXPECT_EQ(incident.kind(), v1::LIFECYCLE);
  EXPECT_EQ(incident.verdict(), v1::FAIL);
  EXPECT_EQ(Fact(incident, "failure"), "not_included");
  EXPECT_EQ(Number(incident, "checkpoint_size"), 2);
  const auto& seqs = incident.facts().fields().at("seqs").list_value().values();
  ASSERT_EQ(seqs.size(), 1);
  EXPECT_EQ(seqs[0].struct_value().fields().at("from_seq").number_value(), 2);
  EXPECT_EQ(seqs[0].struct_value().fields().at("to_seq").number_value(), 3);

  // The same failure again is reported, not recorded again.
  round = Round(witness, log, late + kSecond);
  EXPECT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(Incidents().size(), 1u);
}

TEST_F(WitnessTest, AProofThatDoesNotHoldKeepsTheRecordsAndIsAnIncident) {
  RecordAndAck(3);
  FakeLog log;
  log.AppendOther();
  log.Include(outbox(), agent_id(), 1, 3);
  log.SignCheckpoint();
  log.flip_proof_byte = true;
  Witness witness = MakeWitness(log);
  const WitnessRound round = Round(witness, log);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kInclusionProofFailure);
  EXPECT_EQ(round.included, 0u);
  EXPECT_EQ(outbox().AwaitingInclusion(), 3u);
  std::vector<v1::Evidence> incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(Fact(incidents[0], "failure"), "inclusion_proof");
  EXPECT_NE(Fact(incidents[0], "detail").find("seq 1"), std::string::npos)
      << Fact(incidents[0], "detail");
}

TEST_F(WitnessTest, AnotherRecordAtTheAgentsSeqIsAnIncident) {
  RecordAndAck(2);
  FakeLog log;
  log.Include(outbox(), agent_id(), 1, 1);
  // The log holds a record at seq 2 that is not the agent's.
  log.Append({agent_id(), 2, std::string(32, 'x'), std::string(32, 'y'), kT0});
  log.SignCheckpoint();
  Witness witness = MakeWitness(log);
  const WitnessRound round = Round(witness, log);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kInclusionProofFailure);
  EXPECT_NE(round.incidents[0].detail.find("another record"), std::string::npos);
  EXPECT_EQ(*outbox().AckedSeqs(), (std::vector<uint64_t>{2}));
}

TEST_F(WitnessTest, ACheckpointInconsistentWithTheLastVerifiedIsAnIncident) {
  FakeLog log;
  AckAllIncluded(2, &log);
  Witness witness = MakeWitness(log);
  ASSERT_TRUE(Round(witness, log).incidents.empty());
  const std::string verified = log.latest();

  // The same key signs a fork: a log whose history differs from the one
  // verified, shown to this agent with its new records.
  RecordAndAck(1, kT0 + kSecond);
  FakeLog fork(log.seed());
  fork.AppendOther();
  fork.AppendOther();
  fork.Include(outbox(), agent_id(), 3, 3);
  fork.SignCheckpoint();
  const WitnessRound round = Round(witness, fork);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kInconsistentCheckpointFailure);
  EXPECT_EQ(round.incidents[0].checkpoint_size, 3u);
  EXPECT_EQ(round.incidents[0].verified_size, 2u);
  EXPECT_EQ(round.checkpoint_size, 0u);
  EXPECT_TRUE(fork.cosignatures.empty());
  // Nothing is deleted and the verified checkpoint stays the one kept.
  EXPECT_EQ(outbox().AwaitingInclusion(), 1u);
  EXPECT_EQ(testing::ReadFileOrEmpty(dir_->checkpoint_file()), verified);
  std::vector<v1::Evidence> incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(Number(incidents[0], "verified_checkpoint_size"), 2);
  const auto& seqs = incidents[0].facts().fields().at("seqs").list_value().values();
  ASSERT_EQ(seqs.size(), 1);
  EXPECT_EQ(seqs[0].struct_value().fields().at("from_seq").number_value(), 3);
}

TEST_F(WitnessTest, TwoCheckpointsOfOneSizeWithDifferentRootsAreAnIncident) {
  FakeLog log;
  AckAllIncluded(1, &log);
  Witness witness = MakeWitness(log);
  ASSERT_TRUE(Round(witness, log).incidents.empty());
  FakeLog fork(log.seed());
  fork.AppendOther();
  fork.SignCheckpoint();
  const WitnessRound round = Round(witness, fork);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kInconsistentCheckpointFailure);
  EXPECT_NE(round.incidents[0].detail.find("different roots"), std::string::npos);
}

TEST_F(WitnessTest, ACheckpointSignedByAnotherKeyIsAnIncident) {
  RecordAndAck(2);
  FakeLog log;
  log.Include(outbox(), agent_id(), 1, 2);
  const evidence::SigningKey impostor = *evidence::SigningKey::Generate();
  log.SignCheckpoint(&impostor);
  Witness witness = MakeWitness(log);
  const WitnessRound round = Round(witness, log);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kCheckpointSignatureFailure);
  EXPECT_EQ(outbox().AwaitingInclusion(), 2u);
  EXPECT_TRUE(log.cosignatures.empty());
  EXPECT_FALSE(platform::ReadLocalFile(dir_->checkpoint_file()).ok());
  std::vector<v1::Evidence> incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(Fact(incidents[0], "failure"), "checkpoint_signature");

  // Text that is not a note at all fails the same way.
  log.ServeNote("not a checkpoint");
  EXPECT_EQ(Round(witness, log).incidents.size(), 1u);
}

TEST_F(WitnessTest, AnOlderButConsistentCheckpointJudgesNothing) {
  FakeLog log;
  AckAllIncluded(1, &log);
  const std::string older = log.latest();
  log.AppendOther();
  log.SignCheckpoint();
  RecordAndAck(1);
  Witness witness = MakeWitness(log);
  ASSERT_EQ(Round(witness, log).included, 1u);
  log.ServeNote(older);  // a store process that has not caught up
  const WitnessRound round = Round(witness, log, kT0 + 2 * kBound.count() * kSecond);
  EXPECT_TRUE(round.incidents.empty());
  EXPECT_EQ(round.checkpoint_size, 0u);
  EXPECT_EQ(round.awaiting, 1u);
  EXPECT_NE(testing::ReadFileOrEmpty(dir_->checkpoint_file()), older);
}

TEST_F(WitnessTest, WithNoCheckpointYetRecordsWaitUntilTheBound) {
  RecordAndAck(2);
  FakeLog log;  // it has signed nothing yet
  Witness witness = MakeWitness(log);
  WitnessRound round = Round(witness, log, kT0 + kBound.count() * kSecond - 1);
  EXPECT_TRUE(round.incidents.empty());
  EXPECT_EQ(round.checkpoint_size, 0u);
  EXPECT_EQ(round.awaiting, 2u);
  round = Round(witness, log, kT0 + kBound.count() * kSecond);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kNotIncludedFailure);
  EXPECT_NE(round.incidents[0].detail.find("no checkpoint"), std::string::npos)
      << round.incidents[0].detail;
  EXPECT_EQ(outbox().AwaitingInclusion(), 2u);
  EXPECT_EQ(Incidents().size(), 1u);
}

// A store that loses every checkpoint (a rollback, a rebuilt database) is
// caught at once, not only when the bound runs out.
TEST_F(WitnessTest, NoCheckpointAfterOneWasVerifiedIsAnIncident) {
  FakeLog log;
  AckAllIncluded(1, &log);
  Witness witness = MakeWitness(log);
  ASSERT_EQ(Round(witness, log).included, 1u);
  const std::string verified = log.latest();
  RecordAndAck(1, kT0 + kSecond);
  log.ServeNote("");
  const WitnessRound round = Round(witness, log, kT0 + 2 * kSecond);
  ASSERT_EQ(round.incidents.size(), 1u);
  EXPECT_EQ(round.incidents[0].failure, kInconsistentCheckpointFailure);
  EXPECT_EQ(round.incidents[0].verified_size, 1u);
  EXPECT_EQ(outbox().AwaitingInclusion(), 1u);
  EXPECT_EQ(testing::ReadFileOrEmpty(dir_->checkpoint_file()), verified);
  std::vector<v1::Evidence> incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(Fact(incidents[0], "failure"), "inconsistent_checkpoint");
  const auto& seqs = incidents[0].facts().fields().at("seqs").list_value().values();
  ASSERT_EQ(seqs.size(), 1);
  EXPECT_EQ(seqs[0].struct_value().fields().at("from_seq").number_value(), 2);
}

TEST_F(WitnessTest, AnUnreachableLogJudgesNothing) {
  RecordAndAck(1);
  FakeLog log;
  log.unavailable = true;
  Witness witness = MakeWitness(log);
  auto round = witness.Check(log, key(), kT0 + 10 * kBound.count() * kSecond);
  ASSERT_FALSE(round.ok());
  EXPECT_EQ(round.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(outbox().AwaitingInclusion(), 1u);
  EXPECT_TRUE(Incidents().empty());
}

TEST_F(WitnessTest, ADamagedCheckpointFileStartsTheWitnessOver) {
  FakeLog log;
  AckAllIncluded(1, &log);
  ASSERT_TRUE(platform::WriteFileAtomic(dir_->checkpoint_file(), "garbage", 0644).ok());
  Witness witness = MakeWitness(log);
  const WitnessRound round = Round(witness, log);
  EXPECT_TRUE(round.incidents.empty());
  EXPECT_EQ(round.included, 1u);
  EXPECT_EQ(testing::ReadFileOrEmpty(dir_->checkpoint_file()), log.latest());
}

class PinnedLogKeyTest : public ::testing::Test {
 protected:
  TempDir tmp_;
  StateDir dir_{tmp_.Path("state")};
  AgentConfig config_;
  FakeLog log_;
};

TEST_F(PinnedLogKeyTest, TheConfigsKeyWinsOverTheEnrolledOne) {
  config_.source = "agent.yaml";
  EXPECT_FALSE(PinnedLogKey(config_, dir_)->has_value());  // neither: no witness

  tmp_.Write("state/log.vkey", log_.Verifier().ToString() + "\n");
  auto enrolled = PinnedLogKey(config_, dir_);
  ASSERT_TRUE(enrolled.ok() && *enrolled) << enrolled.status().ToString();
  EXPECT_EQ((*enrolled)->ToString(), log_.Verifier().ToString());

  FakeLog other('O');
  config_.store_log_key = tmp_.Write("log.pub", other.Verifier().ToString() + "\n");
  auto configured = PinnedLogKey(config_, dir_);
  ASSERT_TRUE(configured.ok() && *configured);
  EXPECT_EQ((*configured)->ToString(), other.Verifier().ToString());
}

TEST_F(PinnedLogKeyTest, AFileThatIsNotALogKeyIsRefusedNamingIt) {
  config_.source = "agent.yaml";
  config_.store_log_key = tmp_.Path("missing.pub");
  auto missing = PinnedLogKey(config_, dir_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("agent.yaml: store.log_key: " + config_.store_log_key),
            std::string::npos)
      << missing.status().message();

  config_.store_log_key = tmp_.Write("bad.pub", "not a key\n");
  EXPECT_EQ(PinnedLogKey(config_, dir_).status().code(), Status::Code::kInvalidArgument);

  // A cosigner's key is not a log's.
  const evidence::NoteVerifier cosigner("witness", evidence::NoteKeyType::kCosignatureEd25519,
                                        log_.key().public_key());
  config_.store_log_key = tmp_.Write("cosigner.pub", cosigner.ToString());
  auto wrong = PinnedLogKey(config_, dir_);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("not a log key"), std::string::npos);
}

}  // namespace
}  // namespace shoko::agent
