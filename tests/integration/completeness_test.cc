// Issue 15's "done when", end to end on both ledger backends: agents upload
// to a store; the store is stopped and a copy of its database is altered as a
// dishonest operator would, one of an agent's `fail` records deleted; the
// same binary serves the copy, with the same log key; and each reader catches
// it: `shokoctl evidence --log-key`, `shokoctl monitor` with the state it kept
// from before, and the agents' own witness checks (docs/agent-state.md,
// "Witness incidents").
//
// The alteration is the strongest one with the database and the log key in
// hand: the record is deleted from the ledger (its append-only trigger
// dropped) and the whole Merkle log is rebuilt without it: leaves, nodes,
// checkpoints and cosignatures deleted, every remaining record queued again,
// so that the store's own sequencer integrates them and signs fresh
// checkpoints with the same key. What the copy serves is then a history that
// is complete and signed on its own terms; only a reader who kept something
// from before (a checkpoint, a mirror, the agent's chain) can tell, and
// each one here does. Deleting the record alone, leaving its leaf, would be
// caught by any inclusion check and by the chain check alike.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "platform/pg_db.h"
#include "tests/integration/witnessed_store.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::FixturePath;

// What the operator drops so that the ledger and the log can shrink: per
// dialect, since the triggers are named after their dialect
// (store/sqlite_ledger.cc, store/pg_ledger.cc).
constexpr char kSqliteDropGuards[] = R"sql(
DROP TRIGGER evidence_append_only_delete;
DROP TRIGGER log_leaves_append_only_delete;
DROP TRIGGER log_nodes_append_only_delete;
DROP TRIGGER checkpoints_append_only_delete;
DROP TRIGGER cosignatures_append_only_delete;
DROP TRIGGER log_state_only_grows;
)sql";
constexpr char kPostgresDropGuards[] = R"sql(
DROP TRIGGER evidence_append_only ON evidence;
DROP TRIGGER log_leaves_append_only ON log_leaves;
DROP TRIGGER log_nodes_append_only ON log_nodes;
DROP TRIGGER checkpoints_append_only ON checkpoints;
DROP TRIGGER cosignatures_append_only ON cosignatures;
DROP TRIGGER log_state_only_grows ON log_state;
)sql";

// The record of `agent_id` at `seq` deleted, and the log rebuilt without it
// under the pinned origin and key, which log_state keeps.
std::string DeleteAndRebuildTheLog(const std::string& agent_id, uint64_t seq) {
  const std::string record = "agent_id = '" + agent_id + "' AND seq = " + std::to_string(seq);
  return "BEGIN;\n"
         "DELETE FROM evidence_controls WHERE evidence_id IN (SELECT id FROM evidence WHERE " +
         record +
         ");\n"
         "DELETE FROM log_queue;\n"
         "DELETE FROM cosignatures;\n"
         "DELETE FROM checkpoints;\n"
         "DELETE FROM log_nodes;\n"
         "DELETE FROM log_leaves;\n"
         "DELETE FROM evidence WHERE " +
         record +
         ";\n"
         "UPDATE log_state SET tree_size = 0;\n"
         "INSERT INTO log_queue (evidence_id) SELECT id FROM evidence ORDER BY id;\n"
         "COMMIT;\n";
}

// Runs `sql`, statements each ending a line with ';', on the database `db`.
Status ExecScript(const std::string& backend, const std::string& db, const std::string& sql) {
  std::unique_ptr<platform::SqlDb> conn;
  if (backend == "sqlite") {
    SHOKO_ASSIGN_OR_RETURN(conn, platform::SqliteDb::Open(db));
  } else {
    SHOKO_ASSIGN_OR_RETURN(conn, platform::PgDb::Connect(db));
  }
  for (size_t begin = 0, end; (end = sql.find(";\n", begin)) != std::string::npos;
       begin = end + 2) {
    const std::string statement = sql.substr(begin, end - begin);
    auto done = conn->Query(statement);
    if (!done.ok()) return done.status().WithContext(statement);
  }
  return Status::OK();
}

// A PostgreSQL URL's database name.
std::string DatabaseName(const std::string& url) {
  const size_t query = url.find('?');
  const size_t slash = url.rfind('/', query);
  return url.substr(slash + 1, query == std::string::npos ? query : query - slash - 1);
}

class CompletenessTest : public WitnessedStoreTest {
 protected:
  // A copy of the stopped store's database, in a database of its own.
  std::unique_ptr<testing::TestLedgerDb> CopyDatabase() {
    auto copy = std::make_unique<testing::TestLedgerDb>(GetParam(), dir_.Path("copy"));
    if (GetParam() == "sqlite") {
      std::filesystem::create_directories(dir_.Path("copy"));
      for (const char* suffix : {"", "-wal", "-shm"}) {
        const std::string from = db_->db() + suffix;
        if (!std::filesystem::exists(from)) continue;
        std::filesystem::copy_file(from, copy->db() + suffix);
      }
      return copy;
    }
    // The test's cluster: a second database made from the first.
    auto admin = platform::PgDb::Connect(std::getenv("SHOKO_TEST_PG_URL"));
    EXPECT_TRUE(admin.ok()) << admin.status().ToString();
    if (!admin.ok()) return copy;
    const std::string name = DatabaseName(copy->db());
    for (const std::string& sql :
         {"DROP DATABASE " + name,
          "CREATE DATABASE " + name + " TEMPLATE " + DatabaseName(db_->db())}) {
      auto done = (*admin)->Query(sql);
      EXPECT_TRUE(done.ok()) << sql << ": " << done.status().ToString();
    }
    return copy;
  }

  // `run --once` of the agent of `config`.
  CommandResult RunOnce(const std::string& config) const {
    return testing::RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  }
};

TEST_P(CompletenessTest, ARecordDeletedFromACopyOfTheDatabaseIsCaughtByEveryReader) {
  std::string a, b;
  const std::string host_a = Enroll("host-a", FixturePath("sshd-defaults"), &a);
  const std::string host_b = Enroll("host-b", FixturePath("debian12-sshd"), &b);
  for (const std::string& config : {host_a, host_b}) {
    CommandResult run = RunOnce(config);
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  // The honest store passes every check; the monitor keeps what it saw.
  const std::string monitor_state = dir_.Path("monitor.state");
  const std::vector<std::string> monitor = {"monitor", "--state", monitor_state, "--log-key",
                                            log_vkey_file_};
  const std::vector<std::string> evidence_of_a = {"evidence", "--agent", a, "--log-key",
                                                  log_vkey_file_};
  CommandResult honest = Shokoctl(evidence_of_a);
  ASSERT_EQ(honest.exit_code, 0) << honest.out << honest.err;
  CommandResult mirrored = Shokoctl(monitor);
  ASSERT_EQ(mirrored.exit_code, 0) << mirrored.out << mirrored.err;

  // Host A's first `fail`, not its newest record.
  uint64_t deleted = 0;
  for (const StoredRecord& r : StoredRecords(db_->db(), a)) {
    if (r.evidence.verdict() == v1::FAIL) {
      deleted = r.seq;
      break;
    }
  }
  ASSERT_GT(deleted, 1u);
  const std::string checkpoint_a = testing::ReadFileOrEmpty(State("host-a") + "/log.checkpoint");
  ASSERT_FALSE(checkpoint_a.empty());

  const std::string address = store_->address();
  StopStore();
  std::unique_ptr<testing::TestLedgerDb> copy = CopyDatabase();
  ASSERT_EQ(copy->error(), "");
  Status tampered = ExecScript(GetParam(), copy->db(),
                               (GetParam() == "sqlite" ? kSqliteDropGuards : kPostgresDropGuards) +
                                   DeleteAndRebuildTheLog(a, deleted));
  ASSERT_TRUE(tampered.ok()) << tampered.ToString();
  // The same binary and log key serve the copy where the store was.
  StartStore(copy->db(), address);
  ASSERT_EQ(store_->address(), address);

  // Host B's records are all there: its witness catches the log it was shown
  // before being replaced, as host A's does.
  for (const std::string& config : {host_b, host_a}) {
    CommandResult witness = RunOnce(config);
    EXPECT_EQ(witness.exit_code, 1) << witness.err;
    EXPECT_NE(witness.err.find("WITNESS INCIDENT inconsistent_checkpoint"), std::string::npos)
        << witness.err;
    EXPECT_NE(witness.err.find("kept in the outbox"), std::string::npos) << witness.err;
    EXPECT_NE(witness.err.find("no checkpoint of the store's log verified this round"),
              std::string::npos)
        << witness.err;
  }
  // Host A keeps the checkpoint it verified, and the records it uploaded.
  EXPECT_EQ(testing::ReadFileOrEmpty(State("host-a") + "/log.checkpoint"), checkpoint_a);
  EXPECT_GT(OutboxRows(State("host-a")), 0);

  CommandResult listed = Shokoctl(evidence_of_a);
  EXPECT_EQ(listed.exit_code, 1) << listed.out << listed.err;
  EXPECT_NE(listed.out.find("agent " + a + " seq " + std::to_string(deleted) + ": missing"),
            std::string::npos)
      << listed.out << listed.err;
  // The rebuilt log verifies under the pinned key: only what readers kept
  // from before tells it from the honest one.
  EXPECT_NE(listed.out.find("signed by the pinned key"), std::string::npos) << listed.out;

  CommandResult watched = Shokoctl(monitor);
  EXPECT_EQ(watched.exit_code, 1) << watched.out << watched.err;
  EXPECT_NE(watched.out.find("is not consistent with the checkpoint of"), std::string::npos)
      << watched.out << watched.err;

  // Host A's next run delivers its incident record: the store keeps it among
  // its incidents (what `ListIncidents` serves). The same failure is not
  // recorded twice.
  CommandResult again = RunOnce(host_a);
  EXPECT_EQ(again.exit_code, 1) << again.err;
  StopStore();
  auto ledger = store::OpenLedger(copy->db());
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  auto incidents = (*ledger)->Incidents(a);
  ASSERT_TRUE(incidents.ok()) << incidents.status().ToString();
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_EQ(incidents->front().kind, store::kWitnessIncident);
  EXPECT_TRUE(incidents->front().detail.starts_with("inconsistent_checkpoint: "))
      << incidents->front().detail;
}

INSTANTIATE_TEST_SUITE_P(Backends, CompletenessTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko
