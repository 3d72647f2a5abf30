// An auditor's commands against a real shoko-store on both ledger backends
// (docs/interfaces.md, "Checkpoints and proofs", "Exports", "Verifying a
// bundle", "The monitor"): agents upload, the auditor pins the log key the
// store prints, reads checkpoints and proofs, exports a bundle and verifies
// it offline; and each way of tampering with a bundle, a checkpoint from a
// forked log among them, is caught by `shokoctl verify`, exit 1, naming it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "evidence/bundle.h"
#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"
#include "tests/support/wait_until.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::RunCommand;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class AuditorTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestLedgerDb>(GetParam(), dir_.path());
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_EQ(db_->error(), "");
    config_ = dir_.Write("store.yaml",
                         "log_key: " + dir_.Path("log.key") + "\ncheckpoint_interval: 1s\n");
    // What the auditor pins, obtained on the store's host, not from the store.
    CommandResult key = RunCommand(
        {SHOKO_STORE_BIN, "log-key", "--public", "--config", config_, "--db", db_->db()});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    log_key_ = dir_.Write("log.vkey", key.out);
    store_ = Serve(db_->db());
    ASSERT_FALSE(store_->address().empty());
  }
  void TearDown() override {
    for (auto* store : {&store_, &fork_}) {
      if (*store) {
        EXPECT_EQ((*store)->Stop(), 0) << (*store)->Log();
      }
    }
  }

  // A store on `db` signing with the one log key.
  std::unique_ptr<StoreProcess> Serve(const std::string& db) {
    return std::make_unique<StoreProcess>(
        dir_, "127.0.0.1:0", std::vector<std::string>{"--insecure-loopback", "--config", config_},
        false, db);
  }

  // shokoctl ARGS against `store` (default: the store under test), with the
  // pinned log key for the commands that check the log.
  CommandResult Ctl(std::vector<std::string> args, const StoreProcess* store = nullptr) {
    const std::string command = args[0];
    args.insert(args.begin(), SHOKOCTL_BIN);
    if (command != "verify") {
      args.insert(args.end(), {"--store", (store ? store : store_.get())->address()});
    }
    if (command != "export" && command != "incidents") {
      args.insert(args.end(), {"--log-key", log_key_});
    }
    return RunCommand(args);
  }

  // Agents uploading pre-signed chains to `store`; then waits until its log's
  // latest checkpoint holds `leaves` leaves.
  void Load(int agents, int records, uint64_t leaves, const StoreProcess* store = nullptr) {
    CommandResult load =
        RunCommand({SHOKO_LOAD_AGENTS_BIN, "--store", (store ? store : store_.get())->address(),
                    "--agents", std::to_string(agents), "--records", std::to_string(records)});
    ASSERT_EQ(load.exit_code, 0) << load.err;
    WaitForCheckpoint(leaves, store);
  }

  // Waits (bounded) for a checkpoint of at least `leaves` leaves; its size.
  uint64_t WaitForCheckpoint(uint64_t leaves, const StoreProcess* store = nullptr) {
    uint64_t size = 0;
    const bool reached = testing::WaitUntil(
        [&] {
          CommandResult cp = Ctl({"checkpoint", "--format", "json"}, store);
          if (cp.exit_code == 0) size = nlohmann::json::parse(cp.out)["tree_size"].get<uint64_t>();
          return size >= leaves;
        },
        std::chrono::seconds(30), std::chrono::milliseconds(100));
    if (!reached) {
      ADD_FAILURE() << "no checkpoint of " << leaves << " leaves within 30 s (latest: " << size
                    << ")";
    }
    return size;
  }

  // The bundle at `path`, changed by `change`, written to `name`.
  template <typename Change>
  std::string Tampered(const std::string& path, const std::string& name, Change change) {
    auto bundle = evidence::DecodeBundle(testing::ReadFileOrEmpty(path));
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    if (!bundle.ok()) return "";
    change(*bundle);
    return dir_.Write(name, evidence::EncodeBundle(*bundle));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestLedgerDb> db_;
  std::string config_, log_key_;
  std::unique_ptr<StoreProcess> store_, fork_;
};

// Where agent `agent_id`'s record of `seq` is in a bundle's records.
size_t RecordAt(const evidence::Bundle& bundle, const std::string& agent_id, uint64_t seq) {
  for (size_t i = 0; i < bundle.records.size(); ++i) {
    v1::Evidence ev;
    ev.ParseFromString(bundle.records[i].envelope.payload());
    if (ev.agent_id() == agent_id && ev.seq() == seq) return i;
  }
  ADD_FAILURE() << "no record of agent " << agent_id << " seq " << seq;
  return 0;
}

TEST_P(AuditorTest, CheckpointsProofsAnExportAndTheMonitorHoldAgainstTheStore) {
  Load(3, 40, 120);
  CommandResult kept = Ctl({"checkpoint", "--format", "note"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  const std::string kept_note = dir_.Write("kept.note", kept.out);
  CommandResult first_monitor = Ctl({"monitor", "--state", dir_.Path("monitor.json")});
  EXPECT_EQ(first_monitor.exit_code, 0) << first_monitor.out << first_monitor.err;
  EXPECT_TRUE(Has(first_monitor.out, "log of 120 leaves (120 new)")) << first_monitor.out;
  Load(2, 30, 180);

  CommandResult checkpoint = Ctl({"checkpoint"});
  ASSERT_EQ(checkpoint.exit_code, 0) << checkpoint.err;
  EXPECT_TRUE(Has(checkpoint.out, "tree size    180\n")) << checkpoint.out;
  EXPECT_TRUE(Has(checkpoint.out, "verified with ")) << checkpoint.out;
  CommandResult by_leaf = Ctl({"proof", "inclusion", "--leaf", "7"});
  EXPECT_EQ(by_leaf.exit_code, 0) << by_leaf.out << by_leaf.err;
  EXPECT_TRUE(Has(by_leaf.out, "inclusion of leaf 7 in the checkpoint of 180 leaves: verified"))
      << by_leaf.out;
  const std::string agent = nlohmann::json::parse(
      Ctl({"proof", "inclusion", "--leaf", "150", "--format", "json"}).out)["agent_id"];
  CommandResult by_record = Ctl({"proof", "inclusion", "--agent", agent, "--seq", "30"});
  EXPECT_EQ(by_record.exit_code, 0) << by_record.out << by_record.err;
  CommandResult consistency = Ctl({"proof", "consistency", "--from", "120"});
  EXPECT_EQ(consistency.exit_code, 0) << consistency.out << consistency.err;
  EXPECT_TRUE(Has(consistency.out,
                  "consistency of the checkpoint of 120 leaves with that of 180: "
                  "verified"))
      << consistency.out;

  CommandResult evidence = Ctl({"evidence"});
  EXPECT_EQ(evidence.exit_code, 0) << evidence.err;
  EXPECT_TRUE(Has(evidence.out, "inclusion: 180 record(s) proven in the checkpoint of 180 leaves"))
      << evidence.out;

  const std::string bundle = dir_.Path("export.json");
  CommandResult exported =
      Ctl({"export", "--format", "bundle", "--previous", kept_note, "-o", bundle});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(Has(exported.out, "wrote 180 record(s) of 5 agent(s)")) << exported.out;
  EXPECT_TRUE(Has(exported.out, "agent " + agent + ": seq 1-30\n")) << exported.out;
  CommandResult verified = Ctl({"verify", "--previous", kept_note, bundle});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_TRUE(Has(verified.out, ": 180 record(s) of 5 agent(s) in the checkpoint of 180 leaves"))
      << verified.out;
  // No agent cosigned: the load generator is no witness.
  CommandResult witnessed = Ctl({"verify", "--witnesses", "1", bundle});
  EXPECT_EQ(witnessed.exit_code, 1) << witnessed.out;
  EXPECT_TRUE(Has(witnessed.out, "too-few-witnesses")) << witnessed.out;

  CommandResult monitor = Ctl({"monitor", "--state", dir_.Path("monitor.json")});
  EXPECT_EQ(monitor.exit_code, 0) << monitor.out << monitor.err;
  EXPECT_TRUE(Has(monitor.out, "log of 180 leaves (60 new)")) << monitor.out;
  EXPECT_TRUE(Has(monitor.out, "5 agent(s): 0 problem(s), 0 silent agent(s)")) << monitor.out;
  CommandResult incidents = Ctl({"incidents"});
  EXPECT_EQ(incidents.exit_code, 0) << incidents.err;
  EXPECT_TRUE(Has(incidents.out, "0 incident(s)")) << incidents.out;
}

TEST_P(AuditorTest, VerifyNamesEachTamperingWithABundle) {
  Load(2, 40, 80);
  const std::string bundle = dir_.Path("export.json");
  ASSERT_EQ(Ctl({"export", "--format", "bundle", "-o", bundle}).exit_code, 0);
  ASSERT_EQ(Ctl({"verify", bundle}).exit_code, 0);
  auto decoded = evidence::DecodeBundle(testing::ReadFileOrEmpty(bundle));
  ASSERT_TRUE(decoded.ok());
  const std::string agent = decoded->agents[0].agent_id;
  const std::string named = "agent " + agent.substr(0, 16) + "… seq ";

  const std::string flipped = Tampered(bundle, "flipped.json", [&](evidence::Bundle& b) {
    std::string* sig =
        b.records[RecordAt(b, agent, 5)].envelope.mutable_signatures(0)->mutable_sig();
    (*sig)[10] ^= 0x01;
  });
  CommandResult r = Ctl({"verify", flipped});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, named + "5: bad-signature")) << r.out;

  const std::string removed = Tampered(bundle, "removed.json", [&](evidence::Bundle& b) {
    b.records.erase(b.records.begin() + static_cast<std::ptrdiff_t>(RecordAt(b, agent, 12)));
  });
  r = Ctl({"verify", removed});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, named + "12: missing-record")) << r.out;

  const std::string overclaimed = Tampered(bundle, "overclaimed.json", [&](evidence::Bundle& b) {
    b.agents[0].last_seq = 45;  // it holds 40
  });
  r = Ctl({"verify", overclaimed});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, named + "41: missing-record")) << r.out;

  // A second store with another history, signing with the same key: its
  // checkpoint verifies as the key's, and proves none of these records.
  fork_ = Serve(dir_.Path("fork.db"));
  Load(1, 50, 50, fork_.get());
  CommandResult fork_note = Ctl({"checkpoint", "--format", "note"}, fork_.get());
  ASSERT_EQ(fork_note.exit_code, 0) << fork_note.err;
  const std::string forked =
      Tampered(bundle, "forked.json", [&](evidence::Bundle& b) { b.checkpoint = fork_note.out; });
  r = Ctl({"verify", forked});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, named + "1: bad-proof")) << r.out;
  EXPECT_FALSE(Has(r.out, "bad-checkpoint")) << r.out;
  // An auditor who kept the fork's checkpoint is not shown this log extends it.
  r = Ctl({"verify", "--previous", dir_.Write("fork.note", fork_note.out), bundle});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, "inconsistent-checkpoint")) << r.out;
  // The monitor that mirrored one log sees the other as a split view.
  ASSERT_EQ(Ctl({"monitor", "--state", dir_.Path("monitor.json")}).exit_code, 0);
  r = Ctl({"monitor", "--state", dir_.Path("monitor.json")}, fork_.get());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "split view")) << r.out;
}

TEST_P(AuditorTest, AnAgentThatCosignedCountsAsAWitness) {
  dir_.Write("agent-state/log.vkey", testing::ReadFileOrEmpty(log_key_));
  const std::string config =
      dir_.Write("agent.yaml",
                 "state_dir: " + dir_.Path("agent-state") +
                     "\ncollectors: [access.sshd]\nroot: " + testing::FixturePath("debian12-sshd") +
                     "\nstore:\n  address: " + store_->address() +
                     "\n  insecure_loopback: true\n  connect_timeout: 2s\n  log_key: " +
                     dir_.Path("agent-state/log.vkey") + "\n");
  CommandResult run = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(Has(run.err, "verified and cosigned")) << run.err;

  const std::string bundle = dir_.Path("export.json");
  CommandResult exported = Ctl({"export", "--format", "bundle", "-o", bundle});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  CommandResult one = Ctl({"verify", "--witnesses", "1", bundle});
  EXPECT_EQ(one.exit_code, 0) << one.out;
  EXPECT_TRUE(Has(one.out, "1 witness(es) of 1 required")) << one.out;
  CommandResult two = Ctl({"verify", "--witnesses", "2", bundle});
  EXPECT_EQ(two.exit_code, 1) << two.out;
  EXPECT_TRUE(Has(two.out, "too-few-witnesses")) << two.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditorTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko
