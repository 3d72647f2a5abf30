#include "agent/outbox.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "evidence/encoding.h"
#include "platform/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::TempDir;

const std::string kAgent(64, 'a');

OutboxRecord Rec(uint64_t seq, size_t size = 10, bool observation = true) {
  return {seq, platform::Sha256("record " + std::to_string(seq)), std::string(size, 'e'),
          observation};
}

// Appends records seq from..to as one batch.
Status AppendRange(Outbox& outbox, uint64_t from, uint64_t to, size_t size = 10) {
  OutboxBatch batch;
  for (uint64_t s = from; s <= to; ++s) batch.records.push_back(Rec(s, size));
  batch.after = {{to, Rec(to).digest}, "key-1"};
  return outbox.Append(batch);
}

std::unique_ptr<Outbox> OpenOrDie(const TempDir& dir, OutboxLimits limits = {}) {
  auto outbox = Outbox::Open(dir.path(), kAgent, limits);
  EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
  return outbox.ok() ? std::move(outbox).value() : nullptr;
}

TEST(OutboxTest, AppendsReadsAndDeletesInSeqOrder) {
  TempDir dir;
  auto outbox = OpenOrDie(dir);
  EXPECT_TRUE(outbox->IsNew());
  EXPECT_EQ(outbox->Position().head.seq, 0u);
  ASSERT_TRUE(AppendRange(*outbox, 1, 3).ok());
  EXPECT_EQ(outbox->Position().head.seq, 3u);
  EXPECT_EQ(outbox->Position().key_id, "key-1");
  EXPECT_EQ(outbox->Depth(), 3u);
  EXPECT_EQ(outbox->Bytes(), 30u);
  auto after1 = outbox->ReadAfter(1, 10);
  ASSERT_TRUE(after1.ok());
  ASSERT_EQ(after1->size(), 2u);
  EXPECT_EQ((*after1)[0].seq, 2u);
  EXPECT_TRUE((*after1)[0].observation);
  ASSERT_TRUE(outbox->DeleteThrough(2).ok());
  EXPECT_EQ(outbox->Depth(), 1u);
  EXPECT_EQ(outbox->Bytes(), 10u);
  EXPECT_EQ(outbox->Position().head.seq, 3u);  // acks never move the head
}

TEST(OutboxTest, ChainHeadFileFollowsEveryAppend) {
  TempDir dir;
  auto outbox = OpenOrDie(dir);
  ASSERT_TRUE(AppendRange(*outbox, 1, 2).ok());
  auto state = LoadChainState(dir.Path("chain.head"));
  ASSERT_TRUE(state.ok() && *state);
  EXPECT_EQ((*state)->agent_id, kAgent);
  EXPECT_EQ((*state)->position.head.seq, 2u);
  EXPECT_EQ((*state)->position.head.digest, Rec(2).digest);
  struct stat st {};
  ASSERT_EQ(::stat(dir.Path("chain.head").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(OutboxTest, HeadAndRecordsSurviveReopening) {
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir);
    ASSERT_TRUE(AppendRange(*outbox, 1, 2).ok());
    ASSERT_TRUE(outbox->DeleteThrough(1).ok());
  }
  auto outbox = OpenOrDie(dir);
  EXPECT_FALSE(outbox->IsNew());
  EXPECT_FALSE(outbox->recovery());
  EXPECT_EQ(outbox->Position().head.seq, 2u);
  EXPECT_EQ(outbox->Depth(), 1u);
  EXPECT_EQ(outbox->Bytes(), 10u);
  EXPECT_TRUE(AppendRange(*outbox, 3, 3).ok());
}

TEST(OutboxTest, RefusesRecordsThatDoNotContinueTheChain) {
  TempDir dir;
  auto outbox = OpenOrDie(dir);
  ASSERT_TRUE(AppendRange(*outbox, 1, 1).ok());
  EXPECT_FALSE(AppendRange(*outbox, 3, 3).ok());
  EXPECT_FALSE(AppendRange(*outbox, 1, 1).ok());
  EXPECT_EQ(outbox->Position().head.seq, 1u);
  EXPECT_EQ(outbox->Depth(), 1u);
}

TEST(OutboxTest, AnOutboxHeadBehindChainHeadWins) {
  // A crash after chain.head was written but before the commit: those seqs
  // were never committed nor sent, so the outbox's head is the truth.
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir);
    ASSERT_TRUE(AppendRange(*outbox, 1, 2).ok());
  }
  ASSERT_TRUE(
      SaveChainState(dir.Path("chain.head"), {kAgent, {{9, std::string(32, '9')}, "k"}}).ok());
  auto outbox = OpenOrDie(dir);
  EXPECT_EQ(outbox->Position().head.seq, 2u);
}

TEST(OutboxTest, MissingOutboxContinuesFromChainHead) {
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir);
    ASSERT_TRUE(AppendRange(*outbox, 1, 4).ok());
  }
  std::filesystem::remove(dir.Path("outbox.db"));
  std::filesystem::remove(dir.Path("outbox.db-wal"));
  std::filesystem::remove(dir.Path("outbox.db-shm"));
  auto outbox = OpenOrDie(dir);
  ASSERT_TRUE(outbox->recovery());
  EXPECT_EQ(outbox->recovery()->reason, "the outbox was missing");
  EXPECT_EQ(outbox->Position().head.seq, 4u);
  EXPECT_EQ(outbox->Position().head.digest, Rec(4).digest);
  EXPECT_TRUE(AppendRange(*outbox, 5, 5).ok());
}

TEST(OutboxTest, CorruptOutboxIsKeptAsideAndTheChainContinues) {
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir);
    ASSERT_TRUE(AppendRange(*outbox, 1, 3).ok());
  }
  std::filesystem::remove(dir.Path("outbox.db-wal"));
  std::filesystem::remove(dir.Path("outbox.db-shm"));
  dir.Write("outbox.db", std::string(8192, 'x'));
  auto outbox = OpenOrDie(dir);
  ASSERT_TRUE(outbox->recovery());
  EXPECT_NE(outbox->recovery()->reason.find("the outbox was corrupt"), std::string::npos);
  const std::string moved = outbox->recovery()->moved_to;
  EXPECT_NE(moved.find("outbox.db.corrupt-"), std::string::npos);
  EXPECT_EQ(testing::ReadFileOrEmpty(moved), std::string(8192, 'x'));  // kept, never deleted
  EXPECT_EQ(outbox->Position().head.seq, 3u);
  EXPECT_TRUE(AppendRange(*outbox, 4, 4).ok());
}

TEST(OutboxTest, CorruptOutboxWithoutChainHeadRefusesToGuess) {
  TempDir dir;
  dir.Write("outbox.db", std::string(8192, 'x'));
  auto outbox = Outbox::Open(dir.path(), kAgent, {});
  ASSERT_FALSE(outbox.ok());
  EXPECT_EQ(outbox.status().code(), Status::Code::kCorruption);
  EXPECT_NE(outbox.status().message().find("the chain head is unknown"), std::string::npos);
  EXPECT_EQ(testing::ReadFileOrEmpty(dir.Path("outbox.db")), std::string(8192, 'x'));
}

TEST(OutboxTest, AChainHeadOfAnotherAgentIsRefused) {
  TempDir dir;
  ASSERT_TRUE(SaveChainState(dir.Path("chain.head"), {std::string(64, 'b'), {}}).ok());
  auto outbox = Outbox::Open(dir.path(), kAgent, {});
  ASSERT_FALSE(outbox.ok());
  EXPECT_NE(outbox.status().message().find("not of this agent"), std::string::npos);
}

TEST(OutboxTest, RefusesANewerSchema) {
  TempDir dir;
  {
    auto db = platform::SqliteDb::Open(dir.Path("outbox.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  auto outbox = Outbox::Open(dir.path(), kAgent, {});
  ASSERT_FALSE(outbox.ok());
  EXPECT_NE(outbox.status().message().find("outbox schema version 99 is newer than this program"),
            std::string::npos);
}

TEST(OutboxTest, MigratesAVersion1Outbox) {
  TempDir dir;
  {
    auto db = platform::SqliteDb::Open(dir.Path("outbox.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec(R"sql(
      CREATE TABLE chain_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, digest BLOB NOT NULL);
      CREATE TABLE outbox (seq INTEGER PRIMARY KEY, digest BLOB NOT NULL, envelope BLOB NOT NULL);
      INSERT INTO outbox VALUES (7, zeroblob(32), 'twelve bytes');
      INSERT INTO chain_head VALUES (1, 7, zeroblob(32));
      PRAGMA user_version = 1;)sql")
                    .ok());
  }
  auto outbox = OpenOrDie(dir);
  EXPECT_FALSE(outbox->IsNew());
  EXPECT_EQ(outbox->Position().head.seq, 7u);
  EXPECT_EQ(outbox->Depth(), 1u);
  EXPECT_EQ(outbox->Bytes(), 12u);
  // The intact outbox is written down as chain.head.
  auto state = LoadChainState(dir.Path("chain.head"));
  ASSERT_TRUE(state.ok() && *state);
  EXPECT_EQ((*state)->position.head.seq, 7u);
}

TEST(OutboxTest, QuotasCountRowsAndBytes) {
  TempDir dir;
  auto outbox = OpenOrDie(dir, {/*max_records=*/10, /*max_bytes=*/1000});
  ASSERT_TRUE(AppendRange(*outbox, 1, 9, 100).ok());
  EXPECT_TRUE(outbox->HasRoom(1, 100));
  EXPECT_FALSE(outbox->HasRoom(2, 10));   // rows
  EXPECT_FALSE(outbox->HasRoom(1, 101));  // bytes
  ASSERT_TRUE(outbox->DeleteThrough(5).ok());
  EXPECT_TRUE(outbox->HasRoom(6, 500));
}

TEST(OutboxTest, AcknowledgedRecordsStayCountedUntilDeletedAndSurviveACrash) {
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir, {/*max_records=*/10, /*max_bytes=*/1000});
    ASSERT_TRUE(AppendRange(*outbox, 1, 6, 100).ok());
    ASSERT_TRUE(outbox->MarkAcked(3, 1000).ok());
    ASSERT_TRUE(outbox->MarkAcked(4, 2000).ok());
    // A later ack never moves an earlier record's time.
    ASSERT_TRUE(outbox->MarkAcked(4, 3000).ok());
    EXPECT_EQ(outbox->AwaitingInclusion(), 4u);
    // The quota counts what awaits inclusion: it is still held.
    EXPECT_EQ(outbox->Depth(), 6u);
    EXPECT_FALSE(outbox->HasRoom(5, 10));
  }  // a crash between the ack and the inclusion check: nothing is lost
  auto outbox = OpenOrDie(dir, {10, 1000});
  EXPECT_EQ(outbox->AwaitingInclusion(), 4u);
  auto acked = outbox->AckedAfter(0, 10);
  ASSERT_TRUE(acked.ok());
  ASSERT_EQ(acked->size(), 4u);
  EXPECT_EQ((*acked)[2].seq, 3u);
  EXPECT_EQ((*acked)[2].acked_at_us, 1000);
  EXPECT_EQ((*acked)[3].acked_at_us, 2000);
  EXPECT_EQ(*outbox->AckedSeqs(), (std::vector<uint64_t>{1, 2, 3, 4}));
  // Unacknowledged records read as such.
  EXPECT_EQ((*outbox->ReadAfter(4, 1)).front().acked_at_us, 0);

  // The witness deletes what it proved included, and only that.
  ASSERT_TRUE(outbox->Delete({1, 3, 99}).ok());
  EXPECT_EQ(outbox->Depth(), 4u);
  EXPECT_EQ(outbox->Bytes(), 400u);
  EXPECT_EQ(outbox->AwaitingInclusion(), 2u);
  EXPECT_EQ(*outbox->AckedSeqs(), (std::vector<uint64_t>{2, 4}));

  // A store that lost what it acked after seq 2: seq 4 is sent again.
  auto forgotten = outbox->ForgetAcksAfter(2);
  ASSERT_TRUE(forgotten.ok());
  EXPECT_EQ(*forgotten, 1u);
  EXPECT_EQ(*outbox->AckedSeqs(), (std::vector<uint64_t>{2}));
  // Deleting on ack (no witness) takes acknowledged rows with the rest.
  ASSERT_TRUE(outbox->DeleteThrough(5).ok());
  EXPECT_EQ(outbox->AwaitingInclusion(), 0u);
  EXPECT_EQ(outbox->Depth(), 1u);
}

TEST(OutboxTest, MigratesAVersion2OutboxWithNothingAcknowledged) {
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir);
    ASSERT_TRUE(AppendRange(*outbox, 1, 2).ok());
  }
  {
    // Back to version 2, as the release before the witness left it.
    auto db = platform::SqliteDb::Open(dir.Path("outbox.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("ALTER TABLE outbox DROP COLUMN acked_at_us; "
                           "PRAGMA user_version = 2")
                    .ok());
  }
  auto outbox = OpenOrDie(dir);
  EXPECT_EQ(outbox->Depth(), 2u);
  EXPECT_EQ(outbox->AwaitingInclusion(), 0u);
  ASSERT_TRUE(outbox->MarkAcked(1, 5).ok());
  EXPECT_EQ(outbox->AwaitingInclusion(), 1u);
}

TEST(OutboxTest, ARecoveryStaysPendingUntilReported) {
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir);
    ASSERT_TRUE(AppendRange(*outbox, 1, 4).ok());
    ASSERT_TRUE(outbox->NoteAcked(2).ok());
  }
  std::filesystem::remove(dir.Path("outbox.db-wal"));
  std::filesystem::remove(dir.Path("outbox.db-shm"));
  dir.Write("outbox.db", std::string(8192, 'x'));
  std::string moved;
  {
    auto outbox = OpenOrDie(dir);
    ASSERT_TRUE(outbox->recovery());
    moved = outbox->recovery()->moved_to;
    EXPECT_EQ(outbox->recovery()->acked_seq, 2u);  // seq 3-4 may be missing
    // Closed before anything reported it (a crash, or another command).
  }
  auto outbox = OpenOrDie(dir);
  ASSERT_TRUE(outbox->recovery());
  EXPECT_EQ(outbox->recovery()->moved_to, moved);
  EXPECT_EQ(outbox->recovery()->head.seq, 4u);
  OutboxBatch report;
  report.records.push_back(Rec(5));
  report.after = {{5, Rec(5).digest}, "k"};
  report.clear_recovery = true;
  ASSERT_TRUE(outbox->Append(report).ok());
  EXPECT_FALSE(outbox->recovery());
  EXPECT_FALSE(OpenOrDie(dir)->recovery());
}

TEST(OutboxTest, PendingGapAccumulatesAndClears) {
  TempDir dir;
  auto outbox = OpenOrDie(dir);
  ASSERT_TRUE(outbox->AddToPendingGap({"a.b", "c.d"}, 100).ok());
  ASSERT_TRUE(outbox->AddToPendingGap({"a.b"}, 300).ok());
  auto gap = outbox->LoadPendingGap();
  ASSERT_TRUE(gap.ok());
  EXPECT_EQ(gap->count, 3u);
  EXPECT_EQ(gap->first_us, 100);
  EXPECT_EQ(gap->last_us, 300);
  EXPECT_EQ(gap->checks, (std::set<std::string>{"a.b", "c.d"}));
  OutboxBatch batch;
  batch.records.push_back(Rec(1));
  batch.after = {{1, Rec(1).digest}, "k"};
  batch.clear_pending_gap = true;
  batch.checks.push_back({"a.b", 2, "digest", 400, Rec(1).digest});
  ASSERT_TRUE(outbox->Append(batch).ok());
  EXPECT_TRUE(outbox->LoadPendingGap()->empty());
  auto states = outbox->CheckStates();
  ASSERT_TRUE(states.ok());
  EXPECT_EQ(states->at("a.b").recorded_at_us, 400);
  EXPECT_EQ(states->at("a.b").record_digest, Rec(1).digest);
}

TEST(OutboxTest, MetaValuesPersist) {
  TempDir dir;
  {
    auto outbox = OpenOrDie(dir);
    EXPECT_EQ(*outbox->Meta("config_digest"), "");
    ASSERT_TRUE(outbox->SetMeta("config_digest", "abc").ok());
    ASSERT_TRUE(AppendRange(*outbox, 1, 1).ok());
  }
  EXPECT_EQ(*OpenOrDie(dir)->Meta("config_digest"), "abc");
}

}  // namespace
}  // namespace shoko::agent
