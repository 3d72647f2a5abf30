#include "store/ledger.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "platform/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace shoko::store {
namespace {

using testing::TempDir;

const std::string kAgent(64, 'a');

struct Made {
  LedgerRecord record;
  v1::Evidence evidence;
};

Made Make(uint64_t seq, const std::string& prev, std::vector<std::string> controls) {
  Made m;
  m.evidence.set_agent_id(kAgent);
  m.evidence.set_seq(seq);
  m.evidence.set_prev_digest(prev);
  m.evidence.set_check_id("access.sshd.permit_root_login");
  for (auto& c : controls) m.evidence.add_controls(c);
  std::string payload = m.evidence.SerializeAsString();
  m.record.agent_id = kAgent;
  m.record.seq = seq;
  m.record.record_digest = evidence::RecordDigest(payload);
  m.record.envelope = "envelope of " + std::to_string(seq);
  m.record.received_at_us = 1000 + static_cast<int64_t>(seq);
  return m;
}

std::vector<uint64_t> Seqs(Ledger& ledger, const EvidenceFilter& filter) {
  std::vector<uint64_t> seqs;
  Status s = ledger.List(filter, [&](const LedgerRecord& r) {
    seqs.push_back(r.seq);
    EXPECT_EQ(r.public_key, std::string(32, 'k'));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return seqs;
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = OpenSqliteLedger(dir_.Path("store.db"));
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    ASSERT_TRUE(ledger_->RegisterAgent(kAgent, std::string(32, 'k'), 1).ok());
  }
  // Appends seq 1..n with the given controls, chained.
  void AppendChain(const std::vector<std::vector<std::string>>& controls) {
    std::string prev(32, '\0');
    for (size_t i = 0; i < controls.size(); ++i) {
      Made m = Make(i + 1, prev, controls[i]);
      ASSERT_TRUE(ledger_->Append(m.record, m.evidence).ok());
      prev = m.record.record_digest;
    }
  }
  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, AppendMovesTheHead) {
  AppendChain({{"ismap:8.2"}, {"ismap:8.5"}});
  auto agent = ledger_->FindAgent(kAgent);
  ASSERT_TRUE(agent.ok() && *agent);
  EXPECT_EQ((*agent)->head.seq, 2u);
  auto digest = ledger_->DigestAt(kAgent, 1);
  ASSERT_TRUE(digest.ok() && *digest);
  EXPECT_EQ(**digest, Make(1, std::string(32, '\0'), {"ismap:8.2"}).record.record_digest);
  EXPECT_FALSE(*ledger_->DigestAt(kAgent, 3));
}

TEST_F(LedgerTest, RefusesWhatDoesNotContinueTheChain) {
  AppendChain({{}});
  Made replay = Make(1, std::string(32, '\0'), {});
  EXPECT_FALSE(ledger_->Append(replay.record, replay.evidence).ok());
  Made skip = Make(3, std::string(32, '\0'), {});
  EXPECT_FALSE(ledger_->Append(skip.record, skip.evidence).ok());
  Made broken = Make(2, std::string(32, 'x'), {});
  EXPECT_FALSE(ledger_->Append(broken.record, broken.evidence).ok());
  EXPECT_EQ(Seqs(*ledger_, {}).size(), 1u);
}

TEST_F(LedgerTest, RegisteringTwiceFails) {
  EXPECT_FALSE(ledger_->RegisterAgent(kAgent, std::string(32, 'k'), 2).ok());
}

TEST_F(LedgerTest, FiltersByControlAndItsChildrenAndByAgentPrefix) {
  AppendChain({{"ismap:8.2"}, {"ismap:8.21"}, {"ismap:8.2.1", "nist80053r5:AC-6(2)"}, {}});
  EXPECT_EQ(Seqs(*ledger_, {}), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Seqs(*ledger_, {"ismap:8.2", "", 0}), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(Seqs(*ledger_, {"ismap:8.2.1", "", 0}), (std::vector<uint64_t>{3}));
  EXPECT_EQ(Seqs(*ledger_, {"nist80053r5:AC-6", "", 0}), (std::vector<uint64_t>{3}));
  EXPECT_EQ(Seqs(*ledger_, {"ISMAP:8.2", "", 0}), (std::vector<uint64_t>{}));
  EXPECT_EQ(Seqs(*ledger_, {"", "aaaa", 0}).size(), 4u);
  EXPECT_EQ(Seqs(*ledger_, {"", "ab", 0}).size(), 0u);
  EXPECT_EQ(Seqs(*ledger_, {"", "", 2}), (std::vector<uint64_t>{1, 2}));
}

TEST_F(LedgerTest, ReadersDoNotHoldTheLedgerWhileTheyWork) {
  AppendChain({{}, {}});
  // Appending from inside the callback would deadlock if List held the lock
  // while a (possibly slow) reader consumed its rows.
  std::string prev = *ledger_->DigestAt(kAgent, 2).value();
  int seen = 0;
  Status s = ledger_->List({}, [&](const LedgerRecord& r) {
    if (r.seq == 1) {
      Made next = Make(3, prev, {});
      EXPECT_TRUE(ledger_->Append(next.record, next.evidence).ok());
    }
    ++seen;
    return true;
  });
  ASSERT_TRUE(s.ok());
  EXPECT_GE(seen, 2);
  EXPECT_EQ(Seqs(*ledger_, {}).size(), 3u);
}

TEST_F(LedgerTest, ListsMoreThanOnePage) {
  std::vector<std::vector<std::string>> controls(600, std::vector<std::string>{"ismap:8.2"});
  AppendChain(controls);
  EXPECT_EQ(Seqs(*ledger_, {"ismap:8.2", "", 0}).size(), 600u);
  EXPECT_EQ(Seqs(*ledger_, {"", "", 300}).size(), 300u);
  std::vector<uint64_t> all = Seqs(*ledger_, {});
  ASSERT_EQ(all.size(), 600u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i + 1);
}

TEST_F(LedgerTest, EvidenceIsAppendOnly) {
  AppendChain({{}});
  auto db = platform::SqliteDb::Open(dir_.Path("store.db"));
  ASSERT_TRUE(db.ok());
  Status update = (*db)->Exec("UPDATE evidence SET check_id = 'forged'");
  ASSERT_FALSE(update.ok());
  EXPECT_NE(update.message().find("append-only"), std::string::npos);
  EXPECT_FALSE((*db)->Exec("DELETE FROM evidence").ok());
}

TEST_F(LedgerTest, ReopensWithItsData) {
  AppendChain({{"ismap:8.2"}});
  ledger_.reset();
  auto again = OpenSqliteLedger(dir_.Path("store.db"));
  ASSERT_TRUE(again.ok());
  auto agent = (*again)->FindAgent(kAgent);
  ASSERT_TRUE(agent.ok() && *agent);
  EXPECT_EQ((*agent)->head.seq, 1u);
}

}  // namespace
}  // namespace shoko::store
