// Every agent a witness (docs/agent-state.md, "The witness"), with real
// processes on both ledger backends: an enrolled agent pins the store's log
// key, proves what it uploaded included before deleting it, keeps the
// checkpoint it verified and cosigns it; and a daemon records heartbeats
// when nothing else changes.
#include <gtest/gtest.h>
#include <signal.h>

#include "evidence/keys.h"
#include "evidence/note.h"
#include "store/merkle_log.h"
#include "tests/integration/witnessed_store.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::Subprocess;

class WitnessTest : public WitnessedStoreTest {};

TEST_P(WitnessTest, AnEnrolledAgentProvesItsRecordsIncludedDeletesThemAndCosignsTheCheckpoint) {
  std::string agent_id;
  const std::string config = Enroll("host-a", FixturePath("sshd-defaults"), &agent_id);
  const std::string state = State("host-a");
  // Enrollment pinned the key the store prints for auditors.
  EXPECT_EQ(ReadFileOrEmpty(state + "/log.vkey"), log_vkey_);

  CommandResult run = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("verified and cosigned"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(" 0 awaiting inclusion"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("WITNESS INCIDENT"), std::string::npos) << run.err;
  EXPECT_EQ(OutboxRows(state), 0);

  // The checkpoint it kept is the store's, signed by the pinned key, and
  // covers every record (this agent is the store's only one).
  const std::vector<StoredRecord> records = StoredRecords(db_->db(), agent_id);
  ASSERT_EQ(records.size(), kSshdRecords + 3);
  auto log_key = evidence::NoteVerifier::Parse(log_vkey_);
  ASSERT_TRUE(log_key.ok()) << log_key.status().ToString();
  auto kept = evidence::OpenCheckpoint(ReadFileOrEmpty(state + "/log.checkpoint"), *log_key);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->tree_size, records.size());

  // The store holds the agent's cosignature of that checkpoint, verifiable
  // with the agent's key.
  auto log = store::MerkleLog::Open(db_->db());
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto stored = (*log)->Checkpoint(kept->tree_size);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->root_hash, kept->root_hash);
  auto note = evidence::ParseNote((*stored)->CosignedNote());
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  auto agent_key = evidence::PublicKey::FromPem(ReadFileOrEmpty(state + "/agent.pub"));
  ASSERT_TRUE(agent_key.ok());
  const evidence::NoteVerifier cosigner = evidence::AgentCosigner(agent_id, *agent_key);
  int cosigned = 0;
  for (const evidence::NoteSignature& s : note->signatures) {
    if (s.name != cosigner.name()) continue;
    ++cosigned;
    auto verified = evidence::VerifyCosignature(note->body, s, cosigner);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();
  }
  EXPECT_EQ(cosigned, 1) << (*stored)->CosignedNote();
}

// With an hour between sweeps nothing else is recorded: the heartbeats come
// on their own schedule and the store gets each.
TEST_P(WitnessTest, ADaemonRecordsHeartbeatsWhenNothingChanged) {
  std::string agent_id;
  const std::string config =
      Enroll("host-b", FixturePath("debian12-sshd"), &agent_id, "interval: 1h\nheartbeat: 1s\n");
  auto agent = Subprocess::Start({SHOKO_AGENT_BIN, "run", "--config", config},
                                 dir_.Path("host-b.out"), Subprocess::Watch::kStderr);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  // The sweep's records, then two uploads of one record each: heartbeats.
  ASSERT_TRUE((*agent)->WaitForLine("shoko-agent: store acknowledged", kStartTimeout).ok());
  for (int i = 0; i < 2; ++i) {
    auto heartbeat =
        (*agent)->WaitForLine("shoko-agent: store acknowledged 1 record(s)", kStartTimeout);
    ASSERT_TRUE(heartbeat.ok()) << heartbeat.status().ToString()
                                << ReadFileOrEmpty(dir_.Path("host-b.out"));
  }
  auto code = (*agent)->Stop(SIGTERM, std::chrono::seconds(30));
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 0);

  const std::vector<StoredRecord> records = StoredRecords(db_->db(), agent_id);
  std::vector<const StoredRecord*> heartbeats;
  for (const StoredRecord& r : records) {
    if (r.evidence.check_id() == "agent.heartbeat") heartbeats.push_back(&r);
  }
  ASSERT_GE(heartbeats.size(), 2u);
  // Nothing but heartbeats from the first one on, until the stop record.
  ASSERT_EQ(records.back().evidence.check_id(), "agent.lifecycle.stop");
  for (const StoredRecord& r : records) {
    if (r.seq > heartbeats.front()->seq && r.seq < records.back().seq) {
      EXPECT_EQ(r.evidence.check_id(), "agent.heartbeat") << "seq " << r.seq;
    }
  }
  for (const StoredRecord* h : heartbeats) {
    const auto& facts = h->evidence.facts().fields();
    EXPECT_EQ(facts.at("heartbeat_seconds").number_value(), 1) << "seq " << h->seq;
    EXPECT_FALSE(facts.at("last_sweep_at").string_value().empty()) << "seq " << h->seq;
    // An enrolled agent's certificate, whose expiry it reports.
    EXPECT_FALSE(facts.at("certificate_expires_at").string_value().empty()) << "seq " << h->seq;
    EXPECT_TRUE(facts.at("outbox").struct_value().fields().contains("records"));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, WitnessTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko
