// The store's Merkle log and its sequencer, on both backends (docs/ledger.md,
// "The Merkle log"): every accepted record becomes one leaf, the stored nodes
// give the proofs a naive RFC 6962 reference gives, the tree survives a
// restart, checkpoints come when due and never twice for one size, and the
// schema refuses rewriting any of it.
#include "store/merkle_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "evidence/note.h"
#include "store/sql_ledger.h"
#include "tests/store/log_fixture.h"
#include "tests/support/wait_until.h"

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
  Accept(16);  // a stored node: the subtree of the first 16 leaves (node 15)
  sequencer_ = NewSequencer({.checkpoint_leaves = 1});
  Drain(*sequencer_);
  for (const char* sql : {
           "UPDATE log_leaves SET seq = 9 WHERE leaf_index = 0",
           "DELETE FROM log_leaves WHERE leaf_index = 2",
           "UPDATE log_nodes SET hash = hash WHERE node = 15",
           "DELETE FROM log_nodes WHERE node = 15",
           "UPDATE checkpoints SET note = 'x' WHERE tree_size = 16",
           "DELETE FROM checkpoints WHERE tree_size = 16",
           "INSERT INTO checkpoints (tree_size, root_hash, note, signed_at_us) "
           "VALUES (16, 'x', 'forged', 1)",
           "INSERT INTO checkpoints (tree_size, root_hash, note, signed_at_us) "
           "VALUES (17, 'x', 'ahead', 1)",
           "UPDATE log_state SET tree_size = 2",
           "UPDATE log_state SET origin = 'elsewhere'",
           "DELETE FROM log_state",
       }) {
    EXPECT_FALSE(db_->ExecRaw(sql).ok()) << sql;
  }
  EXPECT_EQ(*log_->TreeSize(), 16u);
  EXPECT_EQ(*log_->RootHash(16), NaiveTree(expected_).Root(0, 16));
}

// One batch of several hundred leaves: written in multi-row INSERTs on
// PostgreSQL (256, 256, 64, 16, 8 rows), subtrees of fewer than 16 leaves
// computed from the leaves; each proof is still the reference's.
TEST_P(LogTest, ALargeBatchIsOneTreeWithTheReferencesProofs) {
  constexpr size_t kLeaves = 600;
  Accept(kLeaves);
  sequencer_ = NewSequencer();
  auto step = sequencer_->Step();
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->integrated, kLeaves);
  const NaiveTree naive(expected_);
  for (size_t size : {kLeaves, kLeaves - 1, size_t{513}, size_t{17}, size_t{16}, size_t{15}}) {
    SCOPED_TRACE("size " + std::to_string(size));
    ASSERT_EQ(*log_->RootHash(size), naive.Root(0, size));
    for (size_t m : {size_t{0}, size / 2, size - 1}) {
      ASSERT_EQ(*log_->InclusionProof(m, size), naive.Path(m, 0, size)) << "leaf " << m;
    }
    ASSERT_EQ(*log_->ConsistencyProof(7, size), naive.Subproof(7, 0, size, true));
  }
  // The next sequencer (the store restarted) reads the edge back and
  // continues it.
  sequencer_.reset();
  Accept(5);
  sequencer_ = NewSequencer();
  Drain(*sequencer_);
  EXPECT_EQ(*log_->RootHash(kLeaves + 5), NaiveTree(expected_).Root(0, kLeaves + 5));
  auto by_seq = log_->LeafOf(AgentId(), kLeaves + 5);
  ASSERT_TRUE(by_seq.ok() && *by_seq);
  EXPECT_EQ((*by_seq)->index, kLeaves + 4);
  auto range = log_->LeavesOf(AgentId(), 10, 20, kLeaves, 100);
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 11u);
  EXPECT_EQ(range->front().fields.seq, 10u);
  EXPECT_EQ(range->back().index, 19u);
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

// A record appended without its signature digest (a caller other than
// ingest) has it computed from its envelope by the ledger, and its leaf is
// the record's.
TEST_P(LogTest, ALedgerRecordWithoutItsSignatureDigestGetsItFromItsEnvelope) {
  Accept(2);
  v1::Evidence ev;
  ev.set_check_id("access.sshd");
  AcceptRecord(*agent_, ev, 0, /*digest_given=*/false);
  sequencer_ = NewSequencer();
  Drain(*sequencer_);
  ASSERT_EQ(*log_->TreeSize(), 3u);
  EXPECT_EQ(*log_->RootHash(3), NaiveTree(expected_).Root(0, 3));
}

// The migration that took the foreign keys off the queue and the leaves
// (SQLite v6, which rebuilds both tables; PostgreSQL v3) keeps every leaf,
// the queue and the tables' triggers, and records accepted before it (with
// no signature digest kept) become leaves from their envelopes. Here the
// database is set back to the version before and opened again.
TEST_P(LogTest, TheMigrationWithoutKeysToTheRecordsKeepsTheLog) {
  Accept(20);
  sequencer_ = NewSequencer({.batch = 16});
  ASSERT_TRUE(sequencer_->Step().ok());  // 16 leaves, 4 records queued
  sequencer_.reset();
  log_.reset();
  const std::vector<std::string> back =
      GetParam() == "sqlite"
          ? std::vector<std::string>{"ALTER TABLE evidence DROP COLUMN signature_digest",
                                     "PRAGMA user_version = 5"}
          : std::vector<std::string>{
                "ALTER TABLE evidence DROP COLUMN signature_digest",
                "ALTER TABLE log_queue ADD CONSTRAINT log_queue_evidence_id_fkey "
                "FOREIGN KEY (evidence_id) REFERENCES evidence (id)",
                "ALTER TABLE log_leaves ADD CONSTRAINT log_leaves_evidence_id_fkey "
                "FOREIGN KEY (evidence_id) REFERENCES evidence (id)",
                "ALTER TABLE log_leaves ADD CONSTRAINT log_leaves_agent_id_seq_key "
                "UNIQUE (agent_id, seq)",
                "DELETE FROM shoko_schema WHERE version = 3"};
  for (const std::string& sql : back) ASSERT_TRUE(db_->ExecRaw(sql).ok()) << sql;
  log_ = Open();
  ASSERT_NE(log_, nullptr);
  EXPECT_EQ(*log_->TreeSize(), 16u);
  EXPECT_EQ(*log_->RootHash(16), NaiveTree(expected_).Root(0, 16));
  EXPECT_FALSE(db_->ExecRaw("DELETE FROM log_leaves WHERE leaf_index = 2").ok());
  // The queue kept its records and still takes new ones.
  Accept(3);
  sequencer_ = NewSequencer();
  Drain(*sequencer_);
  EXPECT_EQ(*log_->TreeSize(), 23u);
  EXPECT_EQ(*log_->RootHash(23), NaiveTree(expected_).Root(0, 23));
  // No key to the records: the queue takes an id no record has (the
  // sequencer only ever reads ids with their record, so this one waits).
  EXPECT_TRUE(db_->ExecRaw("INSERT INTO log_queue (evidence_id) VALUES (999999)").ok());
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
  // The server ends the session, and frees its lock, after the client
  // has closed: the next takes the role within seconds.
  first->reset();
  EXPECT_TRUE(testing::WaitUntil([&] { return *(*second)->Lead(); }, std::chrono::seconds(10),
                                 std::chrono::milliseconds(20)));
}

// SQLite connections of one process to one file take turns at writing through
// one lock (SqlConnection::writer), held for the whole of a transaction,
// committed or rolled back; another file has its own; PostgreSQL has none.
TEST(SqliteWriterTest, ConnectionsToOneFileTakeTurnsAtWriting) {
  TempDir dir;
  auto a = ConnectSqliteLedger(dir.Path("a.db"));
  auto b = ConnectSqliteLedger(dir.Path(".") + "/./a.db");
  auto c = ConnectSqliteLedger(dir.Path("c.db"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_NE(a->writer, nullptr);
  EXPECT_EQ(a->writer, b->writer);
  EXPECT_NE(a->writer, c->writer);
  // Whether another thread could take the lock now.
  auto free = [&] {
    return std::async(std::launch::async,
                      [&] {
                        if (!b->writer->try_lock()) return false;
                        b->writer->unlock();
                        return true;
                      })
        .get();
  };
  {
    SqlTransaction tx(a->db.get(), a->dialect->begin, a->writer.get());
    ASSERT_TRUE(tx.Begin().ok());
    EXPECT_FALSE(free());
    ASSERT_TRUE(tx.Commit().ok());
    EXPECT_TRUE(free());
  }
  {
    SqlTransaction tx(a->db.get(), a->dialect->begin, a->writer.get());
    ASSERT_TRUE(tx.Begin().ok());
    EXPECT_FALSE(tx.CommitAfter({{"INSERT INTO no_such_table VALUES (1)", {}}}).ok());
    EXPECT_FALSE(free());  // until it is rolled back
  }
  EXPECT_TRUE(free());

  testing::TestLedgerDb pg("postgres", dir.path());
  if (!pg.skip_reason().empty() || !pg.error().empty()) return;
  auto server = ConnectPostgresLedger(pg.db());
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->writer, nullptr);
}

}  // namespace
}  // namespace shoko::store
