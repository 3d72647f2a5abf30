#include "store/ledger.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "platform/sqlite_db.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko::store {
namespace {

using testing::TempDir;

const std::string kAgent(64, 'a');
const std::string kRawKey(32, 'k');
std::string KeyIdOf(const std::string& raw) { return evidence::PublicKey::FromRaw(raw)->KeyId(); }

struct Made {
  LedgerRecord record;
  v1::Evidence evidence;
};

Made Make(uint64_t seq, const std::string& prev, std::vector<std::string> controls) {
  Made m;
  m.evidence.set_agent_id(kAgent);
  m.evidence.set_key_id(KeyIdOf(kRawKey));
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

class LedgerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestLedgerDb>(GetParam(), dir_.path());
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_EQ(db_->error(), "");
    auto ledger = OpenLedger(db_->db());
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    ASSERT_TRUE(ledger_->RegisterAgent(kAgent, kRawKey, 1).ok());
  }
  // Appends seq 1..n with the given controls, chained.
  void AppendChain(const std::vector<std::vector<std::string>>& controls) {
    std::string prev(32, '\0');
    for (size_t i = 0; i < controls.size(); ++i) {
      Made m = Make(i + 1, prev, controls[i]);
      ASSERT_TRUE(ledger_->Append(m.record, m.evidence, std::nullopt).ok());
      prev = m.record.record_digest;
    }
  }
  TempDir dir_;
  std::unique_ptr<testing::TestLedgerDb> db_;
  std::unique_ptr<Ledger> ledger_;
  void TearDown() override { ledger_.reset(); }  // before the database is dropped
};

TEST_P(LedgerTest, AppendMovesTheHead) {
  AppendChain({{"ismap:8.2"}, {"ismap:8.5"}});
  auto agent = ledger_->FindAgent(kAgent);
  ASSERT_TRUE(agent.ok() && *agent);
  EXPECT_EQ((*agent)->head.seq, 2u);
  auto digest = ledger_->DigestAt(kAgent, 1);
  ASSERT_TRUE(digest.ok() && *digest);
  EXPECT_EQ(**digest, Make(1, std::string(32, '\0'), {"ismap:8.2"}).record.record_digest);
  EXPECT_FALSE(*ledger_->DigestAt(kAgent, 3));
}

TEST_P(LedgerTest, RefusesReplaysAndBrokenLinksButKeepsGaps) {
  AppendChain({{}});
  Made replay = Make(1, std::string(32, '\0'), {});
  EXPECT_FALSE(ledger_->Append(replay.record, replay.evidence, std::nullopt).ok());
  Made broken = Make(2, std::string(32, 'x'), {});
  EXPECT_FALSE(ledger_->Append(broken.record, broken.evidence, std::nullopt).ok());
  EXPECT_EQ(Seqs(*ledger_, {}).size(), 1u);
  // Records beyond a hole are kept, and so is the hole.
  Made after_hole = Make(5, std::string(32, '?'), {});
  ASSERT_TRUE(ledger_->Append(after_hole.record, after_hole.evidence, std::nullopt).ok());
  EXPECT_EQ(Seqs(*ledger_, {}), (std::vector<uint64_t>{1, 5}));
  auto gaps = ledger_->Gaps(kAgent);
  ASSERT_TRUE(gaps.ok());
  ASSERT_EQ(gaps->size(), 1u);
  EXPECT_EQ((*gaps)[0].first_seq, 2u);
  EXPECT_EQ((*gaps)[0].last_seq, 4u);
  EXPECT_EQ((*gaps)[0].detected_at_us, 1005);
}

TEST_P(LedgerTest, RotationHandsOverTheKey) {
  AppendChain({{}});
  auto next = *evidence::SigningKey::Generate();
  Made rotation = Make(2, *ledger_->DigestAt(kAgent, 1).value(), {});
  ASSERT_TRUE(ledger_->Append(rotation.record, rotation.evidence, next.public_key()).ok());
  auto agent = ledger_->FindAgent(kAgent);
  ASSERT_TRUE(agent.ok() && *agent);
  ASSERT_EQ((*agent)->keys.size(), 2u);
  const AgentKey* old_key = (*agent)->Key(KeyIdOf(kRawKey));
  ASSERT_NE(old_key, nullptr);
  EXPECT_EQ(old_key->until_seq, 2u);
  const AgentKey* new_key = (*agent)->Key(next.public_key().KeyId());
  ASSERT_NE(new_key, nullptr);
  EXPECT_EQ(new_key->from_seq, 3u);
  EXPECT_EQ(new_key->until_seq, UINT64_MAX);
}

TEST_P(LedgerTest, RegisteringTwiceFails) {
  EXPECT_FALSE(ledger_->RegisterAgent(kAgent, kRawKey, 2).ok());
}

TEST_P(LedgerTest, FiltersByControlAndItsChildrenAndByAgentPrefix) {
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

TEST_P(LedgerTest, TheStoresMappingDecidesForTheChecksItNames) {
  // Every record here is access.sshd.permit_root_login (see Make).
  AppendChain({{"ismap:8.2"}, {"ismap:5.15"}});
  EvidenceFilter remapped{"ismap:5.15", "", 0};
  remapped.checks_under = R"(["access.sshd.permit_root_login"])";
  remapped.mapped_checks = R"(["access.sshd.permit_root_login", "x.y"])";
  EXPECT_EQ(Seqs(*ledger_, remapped), (std::vector<uint64_t>{1, 2}));  // whatever they carry
  EvidenceFilter away{"ismap:8.2", "", 0};
  away.checks_under = "[]";
  away.mapped_checks = R"(["access.sshd.permit_root_login"])";
  EXPECT_EQ(Seqs(*ledger_, away), (std::vector<uint64_t>{}));  // mapped elsewhere now
  EvidenceFilter unmapped{"ismap:8.2", "", 0};
  unmapped.mapped_checks = R"(["x.y"])";
  EXPECT_EQ(Seqs(*ledger_, unmapped), (std::vector<uint64_t>{1}));  // by its own refs
}

TEST_P(LedgerTest, ReadersDoNotHoldTheLedgerWhileTheyWork) {
  AppendChain({{}, {}});
  // Appending from inside the callback would deadlock if List held the lock
  // while a (possibly slow) reader consumed its rows.
  std::string prev = *ledger_->DigestAt(kAgent, 2).value();
  int seen = 0;
  Status s = ledger_->List({}, [&](const LedgerRecord& r) {
    if (r.seq == 1) {
      Made next = Make(3, prev, {});
      EXPECT_TRUE(ledger_->Append(next.record, next.evidence, std::nullopt).ok());
    }
    ++seen;
    return true;
  });
  ASSERT_TRUE(s.ok());
  EXPECT_GE(seen, 2);
  EXPECT_EQ(Seqs(*ledger_, {}).size(), 3u);
}

TEST_P(LedgerTest, ListsMoreThanOnePage) {
  std::vector<std::vector<std::string>> controls(600, std::vector<std::string>{"ismap:8.2"});
  AppendChain(controls);
  EXPECT_EQ(Seqs(*ledger_, {"ismap:8.2", "", 0}).size(), 600u);
  EXPECT_EQ(Seqs(*ledger_, {"", "", 300}).size(), 300u);
  std::vector<uint64_t> all = Seqs(*ledger_, {});
  ASSERT_EQ(all.size(), 600u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i + 1);
}

TEST_P(LedgerTest, EvidenceIsAppendOnly) {
  AppendChain({{}});
  Status update = db_->ExecRaw("UPDATE evidence SET check_id = 'forged'");
  ASSERT_FALSE(update.ok());
  EXPECT_NE(update.message().find("append-only"), std::string::npos) << update.message();
  EXPECT_FALSE(db_->ExecRaw("DELETE FROM evidence").ok());
}

TEST_P(LedgerTest, ReopensWithItsData) {
  AppendChain({{"ismap:8.2"}});
  ledger_.reset();
  auto again = OpenLedger(db_->db());
  ASSERT_TRUE(again.ok());
  auto agent = (*again)->FindAgent(kAgent);
  ASSERT_TRUE(agent.ok() && *agent);
  EXPECT_EQ((*agent)->head.seq, 1u);
}

TEST_P(LedgerTest, ABatchKeepsItsGoodRecordsWhenTheDatabaseRefusesOne) {
  // A row the ledger did not write takes seq 2's place, so the database
  // refuses seq 2 although the chain checks pass; seq 1 must still land.
  ASSERT_TRUE(db_->ExecRaw("INSERT INTO evidence (agent_id, seq, record_digest, envelope, "
                           "check_id, verdict, collected_at_us, received_at_us, key_id) VALUES ('" +
                           kAgent + "', 2, 'd', 'e', 'c', 0, 0, 0, '" + KeyIdOf(kRawKey) + "')")
                  .ok());
  Made one = Make(1, std::string(32, '\0'), {"ismap:8.2"});
  Made two = Make(2, one.record.record_digest, {"ismap:8.2"});
  auto results = ledger_->AppendBatch(
      {{one.record, one.evidence, std::nullopt}, {two.record, two.evidence, std::nullopt}});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_TRUE((*results)[0].ok()) << (*results)[0].ToString();
  EXPECT_FALSE((*results)[1].ok());
  EXPECT_EQ(Seqs(*ledger_, {"ismap:8.2", "", 0}), (std::vector<uint64_t>{1}));
  auto agent = ledger_->FindAgent(kAgent);
  ASSERT_TRUE(agent.ok() && *agent);
  EXPECT_EQ((*agent)->head.seq, 1u);
}

// PostgreSQL only: a server that drops the store's connection (restart,
// failover) costs one failed call, not the store.
TEST_P(LedgerTest, OutlivesTheServerDroppingItsConnection) {
  if (GetParam() != "postgres") GTEST_SKIP() << "a SQLite ledger has no connection to lose";
  AppendChain({{"ismap:8.2"}});
  ASSERT_TRUE(db_->ExecRaw("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  auto first = ledger_->FindAgent(kAgent);
  if (!first.ok()) {
    EXPECT_EQ(first.status().code(), Status::Code::kUnavailable) << first.status().ToString();
  }
  Made next = Make(2, *ledger_->DigestAt(kAgent, 1).value(), {});
  Status appended = ledger_->Append(next.record, next.evidence, std::nullopt);
  EXPECT_TRUE(appended.ok()) << appended.ToString();
  EXPECT_EQ(Seqs(*ledger_, {}), (std::vector<uint64_t>{1, 2}));
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko::store
