#include "agent/outbox.h"

#include <gtest/gtest.h>

#include "evidence/encoding.h"
#include "platform/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::TempDir;

OutboxRecord Rec(uint64_t seq) {
  return {seq, evidence::Sha256("record " + std::to_string(seq)), "envelope " + std::to_string(seq)};
}

TEST(OutboxTest, AppendsReadsAndDeletesInSeqOrder) {
  TempDir dir;
  auto outbox = Outbox::Open(dir.Path("outbox.db"));
  ASSERT_TRUE(outbox.ok()) << outbox.status().ToString();
  EXPECT_EQ((*outbox)->Head().seq, 0u);
  EXPECT_EQ((*outbox)->Head().digest, std::string(32, '\0'));
  ASSERT_TRUE((*outbox)->Append({Rec(1), Rec(2), Rec(3)}).ok());
  EXPECT_EQ((*outbox)->Head().seq, 3u);
  EXPECT_EQ((*outbox)->Head().digest, Rec(3).digest);
  auto after1 = (*outbox)->ReadAfter(1, 10);
  ASSERT_TRUE(after1.ok());
  ASSERT_EQ(after1->size(), 2u);
  EXPECT_EQ((*after1)[0].seq, 2u);
  EXPECT_EQ((*after1)[0].envelope, "envelope 2");
  EXPECT_EQ((*after1)[1].digest, Rec(3).digest);
  EXPECT_EQ((*outbox)->ReadAfter(0, 1)->size(), 1u);
  ASSERT_TRUE((*outbox)->DeleteThrough(2).ok());
  EXPECT_EQ(*(*outbox)->Depth(), 1u);
  // Deleting acked records never moves the chain head.
  EXPECT_EQ((*outbox)->Head().seq, 3u);
}

TEST(OutboxTest, HeadAndRecordsSurviveReopening) {
  TempDir dir;
  {
    auto outbox = Outbox::Open(dir.Path("outbox.db"));
    ASSERT_TRUE(outbox.ok());
    ASSERT_TRUE((*outbox)->Append({Rec(1), Rec(2)}).ok());
    ASSERT_TRUE((*outbox)->DeleteThrough(2).ok());
  }
  auto outbox = Outbox::Open(dir.Path("outbox.db"));
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ((*outbox)->Head().seq, 2u);
  EXPECT_EQ((*outbox)->Head().digest, Rec(2).digest);
  EXPECT_EQ(*(*outbox)->Depth(), 0u);
  EXPECT_TRUE((*outbox)->Append({Rec(3)}).ok());
}

TEST(OutboxTest, RefusesRecordsThatDoNotContinueTheChain) {
  TempDir dir;
  auto outbox = Outbox::Open(dir.Path("outbox.db"));
  ASSERT_TRUE(outbox.ok());
  ASSERT_TRUE((*outbox)->Append({Rec(1)}).ok());
  EXPECT_FALSE((*outbox)->Append({Rec(3)}).ok());
  EXPECT_FALSE((*outbox)->Append({Rec(2), Rec(2)}).ok());
  EXPECT_FALSE((*outbox)->Append({Rec(1)}).ok());
  // Nothing of a refused batch was written.
  EXPECT_EQ((*outbox)->Head().seq, 1u);
  EXPECT_EQ(*(*outbox)->Depth(), 1u);
}

TEST(OutboxTest, RefusesANewerSchema) {
  TempDir dir;
  {
    auto db = platform::SqliteDb::Open(dir.Path("outbox.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  auto outbox = Outbox::Open(dir.Path("outbox.db"));
  ASSERT_FALSE(outbox.ok());
  EXPECT_NE(outbox.status().message().find("outbox schema version 99 is newer than this program"), std::string::npos);
}

TEST(OutboxTest, AFileThatIsNotADatabaseIsCorruption) {
  TempDir dir;
  dir.Write("outbox.db", std::string(8192, 'x'));
  auto outbox = Outbox::Open(dir.Path("outbox.db"));
  ASSERT_FALSE(outbox.ok());
  EXPECT_EQ(outbox.status().code(), Status::Code::kCorruption) << outbox.status().ToString();
  EXPECT_NE(outbox.status().message().find("outbox.db"), std::string::npos);
}

}  // namespace
}  // namespace shoko::agent
