// 200 agents × 1,000 records each, uploading at once to one store: every
// record present exactly once, every chain intact.
#include <gtest/gtest.h>

#include <map>

#include "evidence/chain.h"
#include "store/ledger.h"
#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko {
namespace {

class FleetTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FleetTest, TwoHundredAgentsAtOnceEachChainWholeAndStoredOnce) {
  constexpr int kAgents = 200, kRecords = 1000;
  testing::TempDir dir;
  testing::TestLedgerDb db(GetParam(), dir.Path("store"));
  if (!db.skip_reason().empty()) GTEST_SKIP() << db.skip_reason();
  ASSERT_EQ(db.error(), "");
  StoreProcess store(dir, "127.0.0.1:0", {}, false, db.db());
  auto load = testing::RunCommand({SHOKO_LOAD_AGENTS_BIN, "--store", store.address(), "--agents",
                                   std::to_string(kAgents), "--records", std::to_string(kRecords)},
                                  std::chrono::minutes(15));
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  std::printf("%s", load.out.c_str());
  ASSERT_EQ(store.Stop(), 0);

  auto ledger = store::OpenLedger(db.db());
  ASSERT_TRUE(ledger.ok());
  std::map<std::string, evidence::ChainHead> heads;
  std::map<std::string, int> counts;
  bool intact = true;
  ASSERT_TRUE((*ledger)
                  ->List({},
                         [&](const store::LedgerRecord& r) {
                           v1::Envelope env;
                           env.ParseFromString(r.envelope);
                           auto ev = evidence::ParseEvidence(env.payload());
                           evidence::ChainHead& head = heads[r.agent_id];
                           // Records of one agent come back in the order they were accepted.
                           if (!ev.ok() || evidence::Classify(head, *ev) != evidence::Link::kNext)
                             intact = false;
                           head = {ev->seq(), evidence::RecordDigest(env.payload())};
                           ++counts[r.agent_id];
                           return true;
                         })
                  .ok());
  EXPECT_TRUE(intact);
  ASSERT_EQ(counts.size(), static_cast<size_t>(kAgents));
  for (const auto& [agent, n] : counts) EXPECT_EQ(n, kRecords) << agent;
  auto gaps = (*ledger)->Gaps("");
  ASSERT_TRUE(gaps.ok());
  EXPECT_TRUE(gaps->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, FleetTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko
