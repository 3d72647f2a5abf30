// Crash test (label `fault`): a child recorder is SIGKILLed at random moments,
// at least 200 times. After each kill the outbox must hold one unbroken,
// verifying chain from seq 1, including every record the child reported as
// recorded, and chain.head must never be behind the outbox.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "agent/chain_state.h"
#include "agent/outbox.h"
#include "evidence/chain.h"
#include "evidence/chain_verifier.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko {
namespace {

using testing::Subprocess;
using testing::TempDir;

constexpr int kKills = 200;

// Burns a few hundred microseconds without sleeping, so that kills land at
// varied points of a transaction rather than right after a line arrives.
void Spin(std::chrono::microseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(CrashTest, KilledRecorderNeverLosesOrForksItsChain) {
  uint32_t seed = 20261125;
  if (const char* s = std::getenv("SHOKO_FAULT_SEED")) seed = static_cast<uint32_t>(std::atoi(s));
  std::mt19937 rng(seed);
  SCOPED_TRACE("SHOKO_FAULT_SEED=" + std::to_string(seed));
  TempDir dir;
  const std::string state = dir.Path("state");

  std::optional<evidence::PublicKey> key;
  std::string agent_id;
  evidence::ChainHead verified;  // everything up to here was checked before
  uint64_t max_reported = 0;
  uint64_t mid_transaction_kills = 0;

  for (int kill = 0; kill < kKills; ++kill) {
    auto child = Subprocess::Start({SHOKO_CRASH_CHILD_BIN, state}, dir.Path("child.err"));
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    // Let it record 0 to 15 sweeps, then kill it somewhere in the next.
    const int lines = std::uniform_int_distribution<int>(0, 15)(rng);
    for (int i = 0; i < lines; ++i) {
      auto line = (*child)->WaitForLine("recorded ", std::chrono::seconds(30));
      ASSERT_TRUE(line.ok()) << line.status().ToString() << "\n"
                             << testing::ReadFileOrEmpty(dir.Path("child.err"));
      max_reported = std::max<uint64_t>(max_reported, std::stoull(line->substr(9)));
    }
    Spin(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
    auto code = (*child)->Stop(SIGKILL, std::chrono::seconds(30));
    ASSERT_TRUE(code.ok());
    if (*code != -1) {
      FAIL() << "the child exited by itself (" << *code
             << "): " << testing::ReadFileOrEmpty(dir.Path("child.err"));
    }

    if (!key) {
      auto id = testing::ReadFileOrEmpty(state + "/agent.id");
      if (id.empty()) continue;  // killed before it made its identity
      agent_id = id.substr(0, 64);
      auto pub = evidence::PublicKey::FromPem(testing::ReadFileOrEmpty(state + "/agent.pub"));
      ASSERT_TRUE(pub.ok());
      key = *pub;
    }
    auto outbox = agent::Outbox::Open(state, agent_id, {});
    ASSERT_TRUE(outbox.ok()) << "kill " << kill << ": " << outbox.status().ToString();
    ASSERT_FALSE((*outbox)->recovery()) << "kill " << kill << ": " << (*outbox)->recovery()->reason;
    const uint64_t head = (*outbox)->Position().head.seq;
    EXPECT_GE(head, max_reported) << "kill " << kill << ": a reported record is missing";
    auto file = agent::LoadChainState(state + "/chain.head");
    ASSERT_TRUE(file.ok());
    if (*file) {
      EXPECT_GE((*file)->position.head.seq, head) << "kill " << kill << ": chain.head is behind";
      if ((*file)->position.head.seq > head) ++mid_transaction_kills;
    }
    // The new records continue the verified chain, one by one.
    auto records = (*outbox)->ReadAfter(verified.seq, 1 << 20);
    ASSERT_TRUE(records.ok());
    ASSERT_EQ(records->size(), head - verified.seq) << "kill " << kill << ": holes in the outbox";
    for (const agent::OutboxRecord& r : *records) {
      v1::Envelope env;
      ASSERT_TRUE(env.ParseFromString(r.envelope));
      ASSERT_TRUE(evidence::VerifyEvidenceEnvelope(env, *key).ok()) << "seq " << r.seq;
      auto ev = evidence::ParseEvidence(env.payload());
      ASSERT_TRUE(ev.ok());
      ASSERT_EQ(evidence::Classify(verified, *ev), evidence::Link::kNext) << "seq " << r.seq;
      verified = {ev->seq(), evidence::RecordDigest(env.payload())};
    }
  }
  ASSERT_TRUE(key);
  // Finally the whole outbox, as an auditor would check it.
  auto outbox = agent::Outbox::Open(state, agent_id, {});
  ASSERT_TRUE(outbox.ok());
  std::vector<evidence::VerifyInput> inputs;
  for (const agent::OutboxRecord& r : *(*outbox)->ReadAfter(0, 1 << 22)) {
    v1::Envelope env;
    env.ParseFromString(r.envelope);
    inputs.push_back({env, ""});
  }
  auto report = evidence::VerifyChains(inputs, {*key});
  EXPECT_EQ(report.valid, inputs.size());
  EXPECT_EQ(inputs.size(), verified.seq);
  EXPECT_GT(verified.seq, static_cast<uint64_t>(kKills));  // it did record, a lot
  // The interesting window was hit: chain.head written, commit not yet.
  EXPECT_GT(mid_transaction_kills, 0u);
  std::printf("crash test: %d kills, %llu records, %llu kills between chain.head and commit\n",
              kKills, static_cast<unsigned long long>(verified.seq),
              static_cast<unsigned long long>(mid_transaction_kills));
}

}  // namespace
}  // namespace shoko
