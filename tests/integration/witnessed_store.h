// A store whose log its agents witness (docs/agent-state.md, "The witness"),
// for the integration tests of the witness and of completeness: a real
// shoko-store with TLS and enrollment on one ledger backend (the test's
// parameter), signing a checkpoint every second, and agents that enroll with
// it and so pin its log key.
#ifndef SHOKO_TESTS_INTEGRATION_WITNESSED_STORE_H_
#define SHOKO_TESTS_INTEGRATION_WITNESSED_STORE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evidence/chain.h"
#include "platform/sqlite_db.h"
#include "shoko/v1/evidence.pb.h"
#include "store/ledger.h"
#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko {

// One stored record as a test reads it back from the ledger.
struct StoredRecord {
  uint64_t seq = 0;
  v1::Evidence evidence;
};

// The records of `agent_id` that the ledger `db` holds, in seq order.
inline std::vector<StoredRecord> StoredRecords(const std::string& db, const std::string& agent_id) {
  std::vector<StoredRecord> out;
  auto ledger = store::OpenLedger(db);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  if (!ledger.ok()) return out;
  store::EvidenceFilter filter;
  filter.agent_id = agent_id;
  Status listed = (*ledger)->List(filter, [&](const store::LedgerRecord& r) {
    v1::Envelope envelope;
    EXPECT_TRUE(envelope.ParseFromString(r.envelope));
    auto ev = evidence::ParseEvidence(envelope.payload());
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    if (ev.ok()) out.push_back({r.seq, std::move(ev).value()});
    return true;
  });
  EXPECT_TRUE(listed.ok()) << listed.ToString();
  return out;
}

// Rows an agent's outbox holds (of `state_dir`).
inline int64_t OutboxRows(const std::string& state_dir) {
  auto db = platform::SqliteDb::Open(state_dir + "/outbox.db");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return -1;
  auto rows = (*db)->Query("SELECT COUNT(*) FROM outbox");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? rows->Int(0, 0) : -1;
}

class WitnessedStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestLedgerDb>(GetParam(), dir_.Path("store"));
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_EQ(db_->error(), "");
    pki_ = dir_.Path("pki");
    ASSERT_EQ(testing::RunCommand({SHOKOCTL_BIN, "pki", "init", "--dir", pki_}).exit_code, 0);
    for (const auto& [role, name] :
         {std::pair{"store", "store1"}, std::pair{"auditor", "alice"}, std::pair{"admin", "ops"}}) {
      testing::CommandResult r = testing::RunCommand(
          {SHOKOCTL_BIN, "pki", "issue", "--dir", pki_, "--role", role, "--name", name});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    // A checkpoint a second after new leaves, so that agents wait little.
    store_config_ = dir_.Write("store.yaml", "checkpoint_interval: 1s\n");
    StartStore(db_->db());
    ASSERT_FALSE(store_->address().empty());
    testing::CommandResult vkey = testing::RunCommand(
        {SHOKO_STORE_BIN, "log-key", "--public", "--db", db_->db(), "--log-key", LogKeyFile()});
    ASSERT_EQ(vkey.exit_code, 0) << vkey.err;
    log_vkey_ = vkey.out;
    log_vkey_file_ = dir_.Write("log.vkey", vkey.out);
  }
  void TearDown() override {
    if (store_) {
      EXPECT_EQ(store_->Stop(), 0) << store_->Log();
    }
  }

  // Serves `db` with the one log key, on `listen`.
  void StartStore(const std::string& db, const std::string& listen = "127.0.0.1:0") {
    store_ = std::make_unique<StoreProcess>(
        dir_, listen,
        std::vector<std::string>{"--tls-cert", pki_ + "/store1.crt", "--tls-key",
                                 pki_ + "/store1.key", "--tls-ca", pki_ + "/ca.crt", "--tls-ca-key",
                                 pki_ + "/ca.key", "--config", store_config_, "--log-key",
                                 LogKeyFile()},
        /*watch_log=*/false, db);
  }
  void StopStore() {
    ASSERT_EQ(store_->Stop(), 0) << store_->Log();
    store_.reset();
  }
  std::string LogKeyFile() const { return dir_.Path("log.key"); }

  // An agent enrolled with a token an admin made: its state in `name/`, the
  // host it collects from `root`, `extra` appended to its config. Returns
  // the config file; `*agent_id` is its id.
  std::string Enroll(const std::string& name, const std::string& root, std::string* agent_id,
                     const std::string& extra = "") {
    testing::CommandResult token =
        Shokoctl({"enroll", "create", "--ttl", "10m", "--note", name}, "ops");
    EXPECT_EQ(token.exit_code, 0) << token.err;
    const std::string config = dir_.Write(
        name + ".yaml", "state_dir: " + State(name) + "\ncollectors: [access.sshd]\nroot: " + root +
                            "\n" + extra + "store:\n  address: " + store_->address() +
                            "\n  ca: " + pki_ + "/ca.crt\n  connect_timeout: 2s\n");
    testing::CommandResult enrolled =
        testing::RunCommand({SHOKO_AGENT_BIN, "enroll", "--config", config, "--token",
                             token.out.substr(0, token.out.find('\n'))});
    EXPECT_EQ(enrolled.exit_code, 0) << enrolled.err;
    *agent_id = enrolled.out.substr(0, 64);
    return config;
  }
  std::string State(const std::string& name) const { return dir_.Path(name); }

  // shokoctl `args` against the store, as `who` (a name the PKI issued).
  testing::CommandResult Shokoctl(std::vector<std::string> args,
                                  const std::string& who = "alice") const {
    std::vector<std::string> argv = {SHOKOCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& a : {std::string("--store"), store_->address(), std::string("--ca"),
                                 pki_ + "/ca.crt", std::string("--cert"), pki_ + "/" + who + ".crt",
                                 std::string("--key"), pki_ + "/" + who + ".key"}) {
      argv.push_back(a);
    }
    return testing::RunCommand(argv);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestLedgerDb> db_;
  std::string pki_;
  std::string store_config_;
  std::unique_ptr<StoreProcess> store_;
  std::string log_vkey_;       // the log key as the store prints it for auditors
  std::string log_vkey_file_;  // that line, in a file, as shokoctl's --log-key takes it
};

}  // namespace shoko

#endif  // SHOKO_TESTS_INTEGRATION_WITNESSED_STORE_H_
