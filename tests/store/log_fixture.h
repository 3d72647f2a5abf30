// What the log's tests share: a ledger on either backend with agents that
// have records accepted, the log over it with a pinned identity, and
// sequencers over their own connections (docs/ledger.md, "The Merkle log").
#ifndef SHOKO_TESTS_STORE_LOG_FIXTURE_H_
#define SHOKO_TESTS_STORE_LOG_FIXTURE_H_

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "store/ledger.h"
#include "store/log_key.h"
#include "store/merkle_log.h"
#include "store/sequencer.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko::store {

// An agent whose records the tests hand to the ledger, as ingest would.
struct TestAgent {
  evidence::SigningKey key = *evidence::SigningKey::Generate();
  evidence::ChainHead head;
  std::string id() const { return key.public_key().KeyId(); }
};

class LogFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestLedgerDb>(GetParam(), dir_.path());
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_EQ(db_->error(), "");
    auto ledger = OpenLedger(db_->db());
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    signer_ = std::make_unique<LogSigner>(*evidence::SigningKey::Generate(), "test.example/log");
    log_ = Open();
    ASSERT_TRUE(log_->Pin(signer_->identity()).ok());
  }
  void TearDown() override {
    sequencer_.reset();
    log_.reset();
    ledger_.reset();  // before the database is dropped
  }

  std::unique_ptr<MerkleLog> Open() {
    auto log = MerkleLog::Open(db_->db());
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  // A new sequencer over its own connection, as a store starts one.
  std::unique_ptr<Sequencer> NewSequencer(SequencerOptions options = {}) {
    return std::make_unique<Sequencer>(Open(), signer_.get(), options,
                                       [this] { return now_us_.load(); });
  }
  // A new agent, registered.
  TestAgent& NewAgent() {
    TestAgent& a = agents_.emplace_back();
    EXPECT_TRUE(ledger_->RegisterAgent(a.id(), a.key.public_key().raw(), 1).ok());
    return a;
  }
  // Appends the agent's next `n` records to the ledger, the first of them
  // `skip` seqs beyond its head (a gap), and notes their leaf hashes.
  void Accept(TestAgent& a, int n, uint64_t skip = 0) {
    for (int i = 0; i < n; ++i) {
      v1::Evidence ev;
      ev.set_check_id("access.sshd");
      AcceptRecord(a, ev, i == 0 ? skip : 0);
    }
  }
  // Appends `ev` as the agent's next record (`skip` seqs beyond its head),
  // received at 5000 + its seq.
  void AcceptRecord(TestAgent& a, v1::Evidence ev, uint64_t skip = 0) {
    ev.set_agent_id(a.id());
    ev.set_key_id(a.id());
    ev.set_seq(a.head.seq + 1 + skip);
    ev.set_prev_digest(a.head.digest);
    auto envelope = evidence::Sign(a.key, ev.SerializeAsString());
    ASSERT_TRUE(envelope.ok());
    LedgerRecord r{a.id(),
                   ev.seq(),
                   evidence::RecordDigest(envelope->payload()),
                   envelope->SerializeAsString(),
                   5000 + static_cast<int64_t>(ev.seq()),
                   a.key.public_key().raw()};
    ASSERT_TRUE(ledger_->Append(r, ev, std::nullopt).ok());
    a.head = {ev.seq(), r.record_digest};
    expected_.push_back(evidence::merkle::LeafHash(
        *evidence::LeafInput({a.id(), ev.seq(), r.record_digest,
                              evidence::SignatureDigest(*envelope), r.received_at_us})));
  }
  // Steps `sequencer` until nothing is queued.
  void Drain(Sequencer& sequencer) {
    for (;;) {
      auto step = sequencer.Step();
      ASSERT_TRUE(step.ok()) << step.status().ToString();
      ASSERT_TRUE(step->leading);
      if (step->integrated == 0) return;
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestLedgerDb> db_;
  std::unique_ptr<Ledger> ledger_;
  std::deque<TestAgent> agents_;  // stable addresses
  std::unique_ptr<LogSigner> signer_;
  std::unique_ptr<MerkleLog> log_;
  std::unique_ptr<Sequencer> sequencer_;
  std::atomic<int64_t> now_us_{1'800'000'000'000'000};
  std::vector<std::string> expected_;  // the leaf hashes, in acceptance order
};

}  // namespace shoko::store

#endif  // SHOKO_TESTS_STORE_LOG_FIXTURE_H_
