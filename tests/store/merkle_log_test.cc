// The store's Merkle log and its sequencer, on both backends (docs/ledger.md,
// "The Merkle log"): every accepted record becomes one leaf, the stored nodes
// give the proofs a naive RFC 6962 reference gives, the tree survives a
// restart, checkpoints come when due and never twice for one size, and the
// schema refuses rewriting any of it.
#include "store/merkle_log.h"

#include <gtest/gtest.h>

#include "evidence/note.h"
#include "tests/store/log_fixture.h"

namespace shoko::store {
namespace {

namespace merkle = evidence::merkle;
using testing::TempDir;

// RFC 6962 §2.1, written as the RFC states it, over the leaf hashes.
class NaiveTree {
 public:
  explicit NaiveTree(std::vector<std::string> leaves) : leaves_(std::move(leaves)) {}

  std::string Root(size_t begin, size_t end) const {
    if (end == begin) return merkle::EmptyRoot();
    if (end - begin == 1) return leaves_[begin];
    const size_t k = Split(end - begin);
    return merkle::NodeHash(Root(begin, begin + k), Root(begin + k, end));
  }
  // PATH(m, D[begin:end]).
  std::vector<std::string> Path(size_t m, size_t begin, size_t end) const {
    if (end - begin == 1) return {};
    const size_t k = Split(end - begin);
    std::vector<std::string> out = m < k ? Path(m, begin, begin + k) : Path(m - k, begin + k, end);
    out.push_back(m < k ? Root(begin + k, end) : Root(begin, begin + k));
    return out;
  }
  // SUBPROOF(m, D[begin:end], b).
  std::vector<std::string> Subproof(size_t m, size_t begin, size_t end, bool whole) const {
    const size_t n = end - begin;
    if (m == n)
      return whole ? std::vector<std::string>{} : std::vector<std::string>{Root(begin, end)};
    const size_t k = Split(n);
    std::vector<std::string> out =
        m <= k ? Subproof(m, begin, begin + k, whole) : Subproof(m - k, begin + k, end, false);
    out.push_back(m <= k ? Root(begin + k, end) : Root(begin, begin + k));
    return out;
  }

 private:
  // The largest power of two below n.
  static size_t Split(size_t n) {
    size_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }
  std::vector<std::string> leaves_;
};

class LogTest : public LogFixture {
 protected:
  void SetUp() override {
    LogFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    agent_ = &NewAgent();
  }
  std::string AgentId() const { return agent_->id(); }
  void Accept(int n) { LogFixture::Accept(*agent_, n); }

  TestAgent* agent_ = nullptr;
};

TEST_P(LogTest, EveryAcceptedRecordBecomesOneLeafInCommitOrder) {
  Accept(20);
  sequencer_ = NewSequencer();
  Drain(*sequencer_);
  ASSERT_EQ(*log_->TreeSize(), 20u);
  for (uint64_t i = 0; i < 20; ++i) {
    auto leaf = log_->Leaf(i);
    ASSERT_TRUE(leaf.ok() && *leaf);
    EXPECT_EQ((*leaf)->fields.seq, i + 1);
    EXPECT_EQ(merkle::LeafHash(*evidence::LeafInput((*leaf)->fields)), expected_[i]);
    auto by_seq = log_->LeafOf(AgentId(), i + 1);
    ASSERT_TRUE(by_seq.ok() && *by_seq);
    EXPECT_EQ((*by_seq)->index, i);
  }
  EXPECT_EQ(*log_->RootHash(20), NaiveTree(expected_).Root(0, 20));
  // More records later continue the same tree.
  Accept(7);
  Drain(*sequencer_);
  EXPECT_EQ(*log_->RootHash(27), NaiveTree(expected_).Root(0, 27));
  std::vector<uint64_t> indexes;
  ASSERT_TRUE(log_->Leaves(3, 27,
                           [&](const LogLeaf& l) {
                             indexes.push_back(l.index);
                             return true;
                           })
                  .ok());
  ASSERT_EQ(indexes.size(), 24u);
  EXPECT_EQ(indexes.front(), 3u);
  EXPECT_EQ(indexes.back(), 26u);
}

TEST_P(LogTest, ProofsFromTheStoredNodesAreTheReferencesForEverySizeAndPair) {
  constexpr size_t kLeaves = 70;
  Accept(kLeaves);
  sequencer_ = NewSequencer({.batch = 16});  // nodes written over several transactions
  Drain(*sequencer_);
  const NaiveTree naive(expected_);
  for (size_t size = 1; size <= kLeaves; ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    ASSERT_EQ(*log_->RootHash(size), naive.Root(0, size));
    for (size_t m = 0; m < size; ++m) {
      auto proof = log_->InclusionProof(m, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(*proof, naive.Path(m, 0, size)) << "leaf " << m;
    }
    for (size_t first = 1; first <= size; ++first) {
      auto proof = log_->ConsistencyProof(first, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(*proof,
                first == size ? std::vector<std::string>{} : naive.Subproof(first, 0, size, true))
          << "from " << first;
    }
  }
  EXPECT_FALSE(log_->InclusionProof(kLeaves, kLeaves).ok());
}

TEST_P(LogTest, ARestartedSequencerResumesTheSameTree) {
  Accept(13);
  sequencer_ = NewSequencer();
  Drain(*sequencer_);
  auto first = log_->Checkpoint(0);
  ASSERT_TRUE(first.ok() && *first);
  // Gone mid-life, as after a crash: only the committed tables remain.
  sequencer_.reset();
  Accept(9);
  sequencer_ = NewSequencer();
  Drain(*sequencer_);
  EXPECT_EQ(*log_->TreeSize(), 22u);
  EXPECT_EQ(*log_->RootHash(22), NaiveTree(expected_).Root(0, 22));
  auto edge = log_->Edge();
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->Root(), NaiveTree(expected_).Root(0, 22));
}

TEST_P(LogTest, CheckpointsComeAfterEnoughLeavesOrTimeEachConsistentWithTheLast) {
  SequencerOptions options;
  options.checkpoint_leaves = 5;
  options.checkpoint_interval = std::chrono::seconds(10);
  sequencer_ = NewSequencer(options);
  // The empty log gets its checkpoint at once: readers always find one.
  auto step = sequencer_->Step();
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->signed_size, std::optional<uint64_t>(0));
  Accept(3);
  step = sequencer_->Step();
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->integrated, 3u);
  EXPECT_FALSE(step->signed_size);  // 3 new leaves, no time passed
  Accept(2);
  step = sequencer_->Step();
  EXPECT_EQ(step->signed_size, std::optional<uint64_t>(5));
  Accept(1);
  step = sequencer_->Step();
  EXPECT_FALSE(step->signed_size);
  now_us_ += 10'000'000;
  step = sequencer_->Step();
  EXPECT_EQ(step->signed_size, std::optional<uint64_t>(6));
  // Nothing new: no checkpoint, however long it waits.
  now_us_ += 60'000'000;
  step = sequencer_->Step();
  EXPECT_FALSE(step->signed_size);

  auto newest = log_->Checkpoint(0);
  ASSERT_TRUE(newest.ok() && *newest);
  auto opened = evidence::OpenCheckpoint((*newest)->note, signer_->verifier());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->origin, "test.example/log");
  EXPECT_EQ(opened->tree_size, 6u);
  EXPECT_EQ(opened->root_hash, NaiveTree(expected_).Root(0, 6));
  auto older = log_->Checkpoint(5);
  ASSERT_TRUE(older.ok() && *older);
  auto proof = log_->ConsistencyProof(5, 6);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(
      merkle::VerifyConsistency(5, 6, (*older)->root_hash, (*newest)->root_hash, *proof).ok());
  EXPECT_FALSE(*log_->Checkpoint(3));
}

TEST_P(LogTest, NoSecondCheckpointOfASizeAndNoneBeyondTheTree) {
  Accept(4);
  sequencer_ = NewSequencer({.checkpoint_leaves = 4});
  Drain(*sequencer_);
  auto held = log_->Checkpoint(4);
  ASSERT_TRUE(held.ok() && *held);
  // The same checkpoint again changes nothing; another root at that size is refused.
  EXPECT_TRUE(log_->AddCheckpoint(**held).ok());
  StoredCheckpoint forged = **held;
  forged.root_hash = std::string(32, 'f');
  Status refused = log_->AddCheckpoint(forged);
  EXPECT_EQ(refused.code(), Status::Code::kCorruption) << refused.ToString();
  EXPECT_EQ((*log_->Checkpoint(4))->root_hash, (*held)->root_hash);
  StoredCheckpoint ahead = **held;
  ahead.tree_size = 5;
  EXPECT_FALSE(log_->AddCheckpoint(ahead).ok());
  EXPECT_FALSE(*log_->Checkpoint(5));
}

TEST_P(LogTest, TheDatabaseRefusesRewritingTheLog) {
  Accept(3);
  sequencer_ = NewSequencer({.checkpoint_leaves = 1});
  Drain(*sequencer_);
  for (const char* sql : {
           "UPDATE log_leaves SET seq = 9 WHERE leaf_index = 0",
           "DELETE FROM log_leaves WHERE leaf_index = 2",
           "UPDATE log_nodes SET hash = hash WHERE node = 0",
           "DELETE FROM log_nodes WHERE node = 0",
           "UPDATE checkpoints SET note = 'x' WHERE tree_size = 3",
           "DELETE FROM checkpoints WHERE tree_size = 3",
           "INSERT INTO checkpoints (tree_size, root_hash, note, signed_at_us) "
           "VALUES (3, 'x', 'forged', 1)",
           "INSERT INTO checkpoints (tree_size, root_hash, note, signed_at_us) "
           "VALUES (4, 'x', 'ahead', 1)",
           "UPDATE log_state SET tree_size = 2",
           "UPDATE log_state SET origin = 'elsewhere'",
           "DELETE FROM log_state",
       }) {
    EXPECT_FALSE(db_->ExecRaw(sql).ok()) << sql;
  }
  EXPECT_EQ(*log_->TreeSize(), 3u);
  EXPECT_EQ(*log_->RootHash(3), NaiveTree(expected_).Root(0, 3));
}

TEST_P(LogTest, TheFirstStorePinsTheLogsIdentityAndOthersMustMatchIt) {
  auto pinned = log_->Identity();
  ASSERT_TRUE(pinned.ok() && *pinned);
  EXPECT_EQ((*pinned)->origin, "test.example/log");
  EXPECT_EQ((*pinned)->verifier_key, signer_->verifier().ToString());
  EXPECT_TRUE(Open()->Pin(signer_->identity()).ok());
  const LogSigner other_key(*evidence::SigningKey::Generate(), "test.example/log");
  Status refused = Open()->Pin(other_key.identity());
  EXPECT_EQ(refused.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(refused.message().find("same log_key and log_origin"), std::string::npos)
      << refused.ToString();
  const LogSigner other_origin(*evidence::SigningKey::FromSeed(std::string(32, 's')), "elsewhere");
  EXPECT_FALSE(Open()->Pin(other_origin.identity()).ok());
}

TEST_P(LogTest, TwoSequencersOnOneDatabaseNeverMakeARecordTwoLeaves) {
  auto a = NewSequencer({.batch = 8});
  auto b = NewSequencer({.batch = 8});
  for (int round = 0; round < 6; ++round) {
    Accept(11);
    // Interleaved, each from the tree as it last read it.
    for (Sequencer* s : {a.get(), b.get(), a.get(), b.get()}) (void)s->Step();
  }
  for (int i = 0; i < 20; ++i) {
    (void)a->Step();
    (void)b->Step();
  }
  ASSERT_EQ(*log_->TreeSize(), 66u);
  EXPECT_EQ(*log_->RootHash(66), NaiveTree(expected_).Root(0, 66));
  for (uint64_t seq = 1; seq <= 66; ++seq) {
    auto leaf = log_->LeafOf(AgentId(), seq);
    ASSERT_TRUE(leaf.ok() && *leaf) << seq;
  }
}

TEST_P(LogTest, AWitnessIncidentRecordIsKeptAmongTheIncidents) {
  v1::Evidence ev;
  ev.set_kind(v1::LIFECYCLE);
  ev.set_check_id(std::string(kWitnessIncidentCheckId));
  (*ev.mutable_facts()->mutable_fields())["failure"].set_string_value("inconsistent_checkpoint");
  (*ev.mutable_facts()->mutable_fields())["detail"].set_string_value("size 9 does not extend 8");
  Accept(2);
  AcceptRecord(*agent_, ev);
  auto incidents = ledger_->Incidents(AgentId());
  ASSERT_TRUE(incidents.ok());
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_EQ(incidents->at(0).kind, kWitnessIncident);
  EXPECT_EQ(incidents->at(0).seq, 3u);
  EXPECT_EQ(incidents->at(0).detail, "inconsistent_checkpoint: size 9 does not extend 8");
  EXPECT_EQ(incidents->at(0).detected_at_us, 5003);
  v1::Envelope kept;
  ASSERT_TRUE(kept.ParseFromString(incidents->at(0).envelope));
  EXPECT_EQ(evidence::ParseEvidence(kept.payload())->check_id(), kWitnessIncidentCheckId);
  // Other records are no incidents.
  EXPECT_EQ(ledger_->Incidents("")->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, LogTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

// On PostgreSQL the role is an advisory lock: one holder at a time, and the
// next takes it once the holder's connection ends.
TEST(SequencerElectionTest, OneLeaderAtATimeAndTheNextTakesOverWhenItGoes) {
  TempDir dir;
  testing::TestLedgerDb db("postgres", dir.path());
  if (!db.skip_reason().empty()) GTEST_SKIP() << db.skip_reason();
  ASSERT_EQ(db.error(), "");
  ASSERT_TRUE(OpenLedger(db.db()).ok());
  auto first = MerkleLog::Open(db.db());
  auto second = MerkleLog::Open(db.db());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*(*first)->Lead());
  EXPECT_TRUE(*(*first)->Lead());  // still
  EXPECT_FALSE(*(*second)->Lead());
  first->reset();
  EXPECT_TRUE(*(*second)->Lead());
}

}  // namespace
}  // namespace shoko::store
