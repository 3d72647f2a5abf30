// `shokoctl monitor` and `shokoctl evidence --log-key` against a log that
// serves what the test says: a gap in an agent's sequence, leaves that are not
// the signed ones, a split view, a silent agent and a record the log left out
// are each a problem, exit 1; a mirror resumes where it stopped.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/evidence_command.h"
#include "cli/monitor_command.h"
#include "platform/digest.h"
#include "tests/cli/captured.h"
#include "tests/cli/fake_log.h"
#include "tests/cli/fake_store.h"
#include "tests/support/temp_dir.h"

namespace shoko::cli {
namespace {

constexpr int64_t kReceivedAt = 1'700'000'000'000'000;
constexpr int64_t kMinute = 60'000'000;

// A leaf of `agent`'s record `seq`, received at kReceivedAt + seq µs.
v1::LogLeaf Leaf(const std::string& agent, uint64_t seq) {
  v1::LogLeaf leaf;
  leaf.set_agent_id(agent);
  leaf.set_seq(seq);
  leaf.set_record_digest(platform::Sha256(agent + "record" + std::to_string(seq)));
  leaf.set_signature_digest(platform::Sha256(agent + "signature" + std::to_string(seq)));
  leaf.set_received_at_us(kReceivedAt + static_cast<int64_t>(seq));
  return leaf;
}

std::vector<v1::LogLeaf> Leaves(const std::string& agent, std::vector<uint64_t> seqs) {
  std::vector<v1::LogLeaf> leaves;
  for (uint64_t seq : seqs) leaves.push_back(Leaf(agent, seq));
  return leaves;
}

class MonitorTest : public ::testing::Test {
 protected:
  int Monitor(std::string heartbeat = "15m") {
    MonitorRequest request;
    request.connection.store = store_.address();
    request.log_key = log_key_;
    request.state = dir_.Path("monitor.json");
    request.heartbeat = std::move(heartbeat);
    return printed_.Run(RunMonitor, request);
  }
  bool Says(const std::string& text) const { return printed_.Says(text); }

  shoko::testing::TempDir dir_;
  std::string agent_ = std::string(64, 'a');
  testing::FakeLog log_;
  testing::FakeStore store_{{&log_}};
  std::string log_key_ = dir_.Write("log.vkey", log_.VerifierKey() + "\n");
  testing::Captured printed_;
  const std::string& out_ = printed_.out;
  const std::string& err_ = printed_.err;
};

TEST_F(MonitorTest, MirrorsTheNewLeavesOnlyAndResumes) {
  log_.Append(Leaves(agent_, {1, 2, 3, 4, 5}));
  log_.Sign(kReceivedAt + kMinute);
  EXPECT_EQ(Monitor(), 0) << out_ << err_;
  EXPECT_TRUE(Says("log of 5 leaves (5 new)")) << out_;
  EXPECT_TRUE(Says("1 agent(s): 0 problem(s), 0 silent agent(s)")) << out_;

  log_.Append(Leaves(agent_, {6, 7, 8}));
  log_.Sign(kReceivedAt + 2 * kMinute);
  EXPECT_EQ(Monitor(), 0) << out_ << err_;
  EXPECT_TRUE(Says("log of 8 leaves (3 new)")) << out_;
  EXPECT_EQ(log_.leaves_asked(), 8u);
  EXPECT_EQ(Monitor(), 0);
  EXPECT_TRUE(Says("log of 8 leaves (0 new)")) << out_;
  EXPECT_EQ(log_.leaves_asked(), 8u);
}

TEST_F(MonitorTest, AGapInAnAgentsSequenceIsAProblemOnEveryRun) {
  log_.Append(Leaves(agent_, {1, 2, 4}));
  log_.Sign(kReceivedAt + kMinute);
  EXPECT_EQ(Monitor(), 1) << out_;
  const std::string gap = "agent " + agent_ + " seq 3: missing (leaf 2 jumps to seq 4)\n";
  EXPECT_TRUE(Says(gap)) << out_;
  EXPECT_EQ(Monitor(), 1);
  EXPECT_TRUE(Says(gap)) << out_;
}

TEST_F(MonitorTest, LeavesThatAreNotTheSignedOnesAreCaught) {
  log_.Append(Leaves(agent_, {1, 2, 3}));
  log_.Sign(kReceivedAt + kMinute);
  std::vector<v1::LogLeaf> altered = Leaves(agent_, {1, 2, 3});
  for (size_t i = 0; i < altered.size(); ++i) altered[i].set_leaf_index(i);
  altered[1].set_received_at_us(altered[1].received_at_us() + 1);
  log_.ServeLeaves(altered);
  EXPECT_EQ(Monitor(), 1) << out_;
  EXPECT_TRUE(Says("do not hash to its root")) << out_;
  EXPECT_TRUE(Says("log of 0 leaves")) << out_;
}

TEST_F(MonitorTest, ACheckpointInconsistentWithTheOneSeenIsASplitView) {
  log_.Append(Leaves(agent_, {1, 2, 3}));
  log_.Sign(kReceivedAt + kMinute);
  ASSERT_EQ(Monitor(), 0) << out_;
  std::vector<v1::LogLeaf> fork = Leaves(agent_, {1, 2, 3, 4});
  fork[0].set_record_digest(platform::Sha256("another first record"));
  for (size_t i = 0; i < fork.size(); ++i) fork[i].set_leaf_index(i);
  log_.SignFork(fork, kReceivedAt + 2 * kMinute);
  EXPECT_EQ(Monitor(), 1) << out_;
  EXPECT_TRUE(Says("is not consistent with the checkpoint of 3 leaves seen before")) << out_;
  EXPECT_TRUE(Says("(a split view)")) << out_;
}

TEST_F(MonitorTest, ACheckpointByAnotherKeyIsAProblem) {
  log_.Append(Leaves(agent_, {1}));
  const evidence::SigningKey other = *evidence::SigningKey::Generate();
  log_.Sign(kReceivedAt + kMinute, &other);
  EXPECT_EQ(Monitor(), 1) << out_;
  EXPECT_TRUE(Says("checkpoint of 1 leaves: ")) << out_;
}

TEST_F(MonitorTest, AnAgentSilentBeyondTwiceItsHeartbeatIsNamed) {
  const std::string quiet = std::string(64, 'b');
  log_.Append(Leaves(agent_, {1, 2}));
  log_.Append({Leaf(quiet, 1)});
  std::vector<v1::LogLeaf> late = Leaves(agent_, {3});
  late[0].set_received_at_us(kReceivedAt + 10 * kMinute);
  log_.Append(late);
  log_.Sign(kReceivedAt + 10 * kMinute);
  EXPECT_EQ(Monitor("5m"), 0) << out_;
  EXPECT_EQ(Monitor("2m"), 1) << out_;
  EXPECT_TRUE(Says("agent " + quiet + ": silent: its newest leaf (seq 1)")) << out_;
  EXPECT_FALSE(Says("agent " + agent_ + ": silent")) << out_;
  EXPECT_TRUE(Says("1 silent agent(s)")) << out_;
}

// `shokoctl evidence --log-key`: each record proven in the latest checkpoint.
class EvidenceInclusionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_.SetRecords(chain_);
    audit_.prove = [this](uint64_t size, v1::StoredEvidence* s) { log_.Prove(size, s); };
  }
  // The log holds the first `n` records, signed at `signed_at_us`.
  void LogHolds(size_t n, int64_t signed_at_us) {
    std::vector<v1::LogLeaf> leaves;
    for (size_t i = 0; i < n; ++i) leaves.push_back(testing::LeafOf(chain_[i], i));
    log_.Append(leaves);
    log_.Sign(signed_at_us);
  }
  int Run() {
    EvidenceQuery query;
    query.connection.store = store_.address();
    query.log_key = dir_.Write("log.vkey", log_.VerifierKey());
    return printed_.Run(RunEvidence, query);
  }
  bool Says(const std::string& text) const { return printed_.Says(text); }

  shoko::testing::TempDir dir_;
  evidence::SigningKey key_ = *evidence::SigningKey::Generate();
  std::vector<v1::StoredEvidence> chain_ = testing::SignedChain(key_, 6, kReceivedAt);
  testing::FakeLog log_;
  testing::FakeAuditQuery audit_;
  testing::FakeStore store_{{&audit_, &log_}};
  testing::Captured printed_;
  const std::string& out_ = printed_.out;
  const std::string& err_ = printed_.err;
};

TEST_F(EvidenceInclusionTest, EveryRecordProvenInTheLatestCheckpoint) {
  LogHolds(6, kReceivedAt + kMinute);
  EXPECT_EQ(Run(), 0) << out_ << err_;
  EXPECT_TRUE(Says("inclusion: 6 record(s) proven in the checkpoint of 6 leaves")) << out_;
  EXPECT_EQ(audit_.last_request().proof_tree_size(), 6u);
}

TEST_F(EvidenceInclusionTest, ARecordReceivedJustBeforeTheCheckpointIsPending) {
  LogHolds(5, kReceivedAt + kMinute);
  EXPECT_EQ(Run(), 0) << out_ << err_;
  EXPECT_TRUE(Says("1 received since, not yet in a checkpoint")) << out_;
}

TEST_F(EvidenceInclusionTest, ARecordLeftOutBeyondTheBoundIsAProblem) {
  LogHolds(5, kReceivedAt + 20 * kMinute);
  EXPECT_EQ(Run(), 1) << out_;
  EXPECT_TRUE(Says("agent " + key_.public_key().KeyId() +
                   " seq 6: not included in the checkpoint of 5 leaves"))
      << out_;
  EXPECT_NE(err_.find("1 problem(s) with the records' inclusion in the log"), std::string::npos)
      << err_;
}

TEST_F(EvidenceInclusionTest, ACheckpointByAnotherKeyIsAProblemAndNothingIsProven) {
  log_.Append({testing::LeafOf(chain_[0], 0)});
  const evidence::SigningKey other = *evidence::SigningKey::Generate();
  log_.Sign(kReceivedAt + kMinute, &other);
  EXPECT_EQ(Run(), 1) << out_;
  EXPECT_TRUE(Says("checkpoint of 1 leaves: ")) << out_;
  EXPECT_TRUE(Says("(inclusion not checked)")) << out_;
}

}  // namespace
}  // namespace shoko::cli
