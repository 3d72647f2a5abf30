// The walking skeleton end to end: a real shoko-store on a free loopback port,
// a real shoko-agent run against a fixture host, and shokoctl reading back.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "evidence/keys.h"
#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::Subprocess;
using testing::TempDir;

TEST(EndToEndTest, RecordTravelsFromAgentToStoreToAuditor) {
  TempDir dir;
  StoreProcess store(dir);
  ASSERT_FALSE(store.address().empty());
  std::string config = AgentConfig(dir, store.address(), FixturePath("debian12-sshd"));

  CommandResult agent = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(agent.exit_code, 0) << agent.err;
  // start, the sshd observation and its rules, the agent's health, stop.
  EXPECT_NE(agent.err.find("store acknowledged " + std::to_string(kSshdRecords + 3) + " record(s)"),
            std::string::npos)
      << agent.err;

  CommandResult query = RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(),
                                    "--control", "ismap:8.2", "--format", "jsonl"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  auto records = JsonLines(query.out);
  ASSERT_EQ(records.size(), 1u) << query.out;
  const nlohmann::json& r = records[0];
  EXPECT_EQ(r["check_id"], "access.sshd.permit_root_login");
  EXPECT_EQ(r["verdict"], "pass");
  EXPECT_EQ(r["signature"], "valid");
  EXPECT_EQ(r["hostname"], "fixture-debian12");
  EXPECT_EQ(r["seq"], 3);
  EXPECT_EQ(r["facts"]["permitrootlogin"], "no");
  // The record is the agent's: its id is the key_id of the key it made.
  auto pub =
      evidence::PublicKey::FromPem(testing::ReadFileOrEmpty(dir.Path("agent-state/agent.pub")));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(r["agent_id"], pub->KeyId());

  CommandResult table = RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address()});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const std::string all = std::to_string(kSshdRecords + 3);
  EXPECT_NE(table.out.find(all + " record(s), " + all + " with a valid signature"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("agent.lifecycle.start"), std::string::npos);
  EXPECT_NE(table.out.find("access.sshd.permit_root_login"), std::string::npos);

  EXPECT_EQ(store.Stop(), 0) << store.Log();
  EXPECT_NE(store.Log().find("registered new agent " + pub->KeyId()), std::string::npos);
}

TEST(EndToEndTest, NothingIsLostWhileTheStoreIsDown) {
  TempDir dir;
  std::string dead_address = DeadAddress();
  std::string config = AgentConfig(dir, dead_address, FixturePath("sshd-defaults"));
  CommandResult offline = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  EXPECT_EQ(offline.exit_code, 3) << offline.err;
  EXPECT_NE(offline.err.find("cannot connect to store at " + dead_address), std::string::npos)
      << offline.err;
  EXPECT_NE(offline.err.find(std::to_string(kSshdRecords + 3) + " record(s) kept in the outbox"),
            std::string::npos)
      << offline.err;

  StoreProcess store(dir);
  config = AgentConfig(dir, store.address(), FixturePath("sshd-defaults"));
  CommandResult online = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(online.exit_code, 0) << online.err;
  // The five kept; start; config_change (the store address in the config
  // changed); stop: the checks themselves have not changed.
  EXPECT_NE(
      online.err.find("store acknowledged " + std::to_string(kSshdRecords + 6) + " record(s)"),
      std::string::npos)
      << online.err;

  CommandResult query =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  auto records = JsonLines(query.out);
  ASSERT_EQ(records.size(), kSshdRecords + 6);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i]["seq"], i + 1);
    EXPECT_EQ(records[i]["signature"], "valid");
  }
  EXPECT_EQ(records[2]["check_id"], "access.sshd.permit_root_login");
  EXPECT_EQ(records[2]["verdict"], "fail");
  EXPECT_EQ(records[kSshdRecords + 4]["check_id"], "agent.lifecycle.config_change");
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, DaemonUploadsEachSweepAndStopsOnSigterm) {
  TempDir dir;
  StoreProcess store(dir);
  std::string config = AgentConfig(dir, store.address(), FixturePath("debian12-sshd"));
  auto agent = Subprocess::Start({SHOKO_AGENT_BIN, "run", "--config", config},
                                 dir.Path("agent.out"), Subprocess::Watch::kStderr);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  auto acked = (*agent)->WaitForLine(
      "shoko-agent: store acknowledged " + std::to_string(kSshdRecords + 2) + " record(s)",
      kStartTimeout);
  ASSERT_TRUE(acked.ok()) << acked.status().ToString();
  // A second agent on the same state directory would fork the chain.
  CommandResult second = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("agent.lock: locked by another process"), std::string::npos)
      << second.err;
  auto code = (*agent)->Stop(SIGTERM, std::chrono::seconds(30));
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE((*agent)->WaitForLine("shoko-agent: stopping on signal 15", kStartTimeout).ok());
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, ASecondStoreCannotTakeABusyPort) {
  TempDir dir;
  StoreProcess store(dir);
  CommandResult second = RunCommand({SHOKO_STORE_BIN, "serve", "--listen", store.address(), "--db",
                                     dir.Path("second.db"), "--insecure-loopback"});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("cannot listen on " + store.address()), std::string::npos)
      << second.err;
  EXPECT_TRUE(second.out.empty()) << second.out;
  EXPECT_EQ(store.Stop(), 0);
}

// Editing a declarative check between two runs changes what the agent
// records, so it is itself evidence: a config_change record naming the file.
TEST(EndToEndTest, EditingACheckFileIsAConfigChangeNamingIt) {
  TempDir dir;
  StoreProcess store(dir);
  const std::string check =
      "checks:\n  - id: site.motd\n    title: A login banner is set\n    rationale: r\n"
      "    controls: [ismap:8.5, nist80053r5:AC-8]\n"
      "    rules: [{file: /etc/motd, exists: true}]\n";
  const std::string site = dir.Write("checks.d/site.yaml", check);
  const std::string other = dir.Write("checks.d/other.yaml", "checks: []\n");
  dir.Write("root/etc/motd", "Authorised use only.\n");
  const std::string config =
      dir.Write("agent.yaml", "state_dir: " + dir.Path("agent-state") +
                                  "\ncollectors: [custom]\nroot: " + dir.Path("root") +
                                  "\nchecks_dir: " + dir.Path("checks.d") +
                                  "\nstore:\n  address: " + store.address() +
                                  "\n  insecure_loopback: true\n  connect_timeout: 2s\n");
  auto run_once = [&] {
    CommandResult r = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  run_once();
  dir.Write("checks.d/site.yaml", check +
                                      "  - id: site.issue\n    title: t\n    rationale: r\n"
                                      "    controls: [ismap:8.5, nist80053r5:AC-8]\n"
                                      "    rules: [{file: /etc/issue, exists: true}]\n");
  run_once();
  const std::string records =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"}).out;
  std::vector<nlohmann::json> starts, changes;
  for (const auto& r : JsonLines(records)) {
    if (r["check_id"] == "agent.lifecycle.start") starts.push_back(r["facts"]);
    if (r["check_id"] == "agent.lifecycle.config_change") changes.push_back(r["facts"]);
  }
  ASSERT_EQ(starts.size(), 2u) << records;
  std::vector<std::string> named;
  for (const auto& f : starts[0]["files"]) named.push_back(f["path"]);
  EXPECT_EQ(named, (std::vector<std::string>{config, other, site}));
  ASSERT_EQ(changes.size(), 1u) << records;
  const nlohmann::json& change = changes[0];
  ASSERT_EQ(change["files_changed"].size(), 1u) << change.dump();
  EXPECT_EQ(change["files_changed"][0]["path"], site);
  EXPECT_EQ(change["files_changed"][0]["previous_sha256"], starts[0]["files"][2]["sha256"]);
  EXPECT_EQ(change["files_changed"][0]["sha256"], starts[1]["files"][2]["sha256"]);
  EXPECT_NE(change["previous_config_digest"], change["config_digest"]);
  EXPECT_TRUE(change["files_added"].empty()) << change.dump();
  EXPECT_TRUE(change["files_removed"].empty()) << change.dump();
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, AnAgentThatLostItsOutboxContinuesItsChain) {
  TempDir dir;
  StoreProcess store(dir);
  std::string config = AgentConfig(dir, store.address(), FixturePath("debian12-sshd"));
  ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config}).exit_code, 0);
  // The outbox is lost; chain.head says where the chain stands.
  ASSERT_EQ(::unlink(dir.Path("agent-state/outbox.db").c_str()), 0);
  ::unlink(dir.Path("agent-state/outbox.db-wal").c_str());
  ::unlink(dir.Path("agent-state/outbox.db-shm").c_str());
  CommandResult again = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("WARNING: the outbox was missing"), std::string::npos) << again.err;
  CommandResult query =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"});
  auto records = JsonLines(query.out);
  // The first run's, then outbox_recovered, start, every sshd record and
  // health again (their change-detection state went with the outbox), stop:
  // one chain, no fork.
  ASSERT_EQ(records.size(), 2 * kSshdRecords + 7) << query.out;
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i]["seq"], i + 1);
  EXPECT_EQ(records[kSshdRecords + 3]["check_id"], "agent.lifecycle.outbox_recovered");
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, AnAgentThatLostItsChainHeadRefusesToFork) {
  TempDir dir;
  StoreProcess store(dir);
  std::string config = AgentConfig(dir, store.address(), FixturePath("debian12-sshd"));
  ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config}).exit_code, 0);
  for (const char* f : {"outbox.db", "outbox.db-wal", "outbox.db-shm", "chain.head"}) {
    ::unlink(dir.Path(std::string("agent-state/") + f).c_str());
  }
  CommandResult again = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("neither outbox.db nor chain.head"), std::string::npos) << again.err;
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, OfflineCollectionVerifiesAndImports) {
  TempDir dir;
  const std::string state = dir.Path("offline-state");
  std::vector<std::string> collect = {SHOKO_AGENT_BIN, "collect",     "--once",
                                      "--collector",   "access.sshd", "--sign",
                                      "--state-dir",   state,         "--format",
                                      "dsse",          "--root",      FixturePath("debian12-sshd")};
  CommandResult first = RunCommand(collect);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  CommandResult second = RunCommand(collect);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const size_t run = kSshdRecords + 1;  // start, the sshd observation, its rules
  EXPECT_EQ(Lines(first.out), static_cast<int>(run));
  auto n = [](size_t v) { return std::to_string(v); };
  const std::string file1 = dir.Write("day1.jsonl", first.out);
  const std::string file2 = dir.Write("day2.jsonl", second.out);
  const std::string pub = state + "/agent.pub";

  CommandResult verify = RunCommand({SHOKOCTL_BIN, "verify", "--key", pub, file1, file2});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find(n(2 * run) + " record(s) in 2 file(s) from 1 agent(s): " + n(2 * run) +
                            " valid, 0 with problems"),
            std::string::npos)
      << verify.out;
  CommandResult partial = RunCommand({SHOKOCTL_BIN, "verify", "--key", pub, file2});
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_NE(partial.out.find(file2 + ": line 1 seq " + n(run + 1) + ": gap: seq 1-" + n(run) +
                             " missing"),
            std::string::npos)
      << partial.out;
  // A deleted line, through the real command line.
  std::string cut = first.out.substr(first.out.find('\n') + 1) + second.out;
  CommandResult tampered =
      RunCommand({SHOKOCTL_BIN, "verify", "--key", pub, dir.Write("cut.jsonl", cut)});
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_NE(tampered.out.find("line 1 seq 2: gap: seq 1 missing"), std::string::npos)
      << tampered.out;

  StoreProcess store(dir);
  CommandResult imported =
      RunCommand({SHOKOCTL_BIN, "import", "--store", store.address(), file1, file2});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(
      imported.out.find("sent " + n(2 * run) +
                        " record(s) (0 already held), the store holds through seq " + n(2 * run)),
      std::string::npos)
      << imported.out;
  CommandResult again =
      RunCommand({SHOKOCTL_BIN, "import", "--store", store.address(), file1, file2});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("sent " + n(2 * run) + " record(s) (" + n(2 * run) +
                           " already held), the store holds through seq " + n(2 * run)),
            std::string::npos)
      << again.out;
  CommandResult query =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"});
  auto records = JsonLines(query.out);
  ASSERT_EQ(records.size(), 2 * run);
  for (const auto& r : records) EXPECT_EQ(r["signature"], "valid");
  // The offline chain continues across runs and a later file imports alone.
  CommandResult third = RunCommand(collect);
  ASSERT_EQ(third.exit_code, 0);
  CommandResult later = RunCommand(
      {SHOKOCTL_BIN, "import", "--store", store.address(), dir.Write("day3.jsonl", third.out)});
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_NE(
      later.out.find("sent " + n(run) +
                     " record(s) (0 already held), the store holds through seq " + n(3 * run)),
      std::string::npos)
      << later.out;
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, OfflineKeysRotateAndForksAreRefused) {
  TempDir dir;
  const std::string state = dir.Path("offline");
  auto collect = [&] {
    CommandResult r = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--collector",
                                  "access.sshd", "--sign", "--state-dir", state, "--format", "dsse",
                                  "--root", FixturePath("sshd-defaults")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  const std::string day1 = dir.Write("1.jsonl", collect());
  const std::string agent_id = testing::ReadFileOrEmpty(state + "/agent.id").substr(0, 64);
  const std::string first_key = state + "/keys/" + agent_id + ".pub";
  CommandResult rotate = RunCommand({SHOKO_AGENT_BIN, "rotate-key", "--state-dir", state});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  const std::string rotation = dir.Write("rotation.jsonl", rotate.out);
  const std::string saved_head = testing::ReadFileOrEmpty(state + "/chain.head");
  const std::string day2 = dir.Write("2.jsonl", collect());
  CommandResult verify =
      RunCommand({SHOKOCTL_BIN, "verify", "--key", first_key, day1, rotation, day2});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  const std::string both = std::to_string(2 * (kSshdRecords + 1) + 1);  // two runs, a rotation
  EXPECT_NE(verify.out.find(both + " record(s) in 3 file(s) from 1 agent(s): " + both + " valid"),
            std::string::npos)
      << verify.out;

  StoreProcess store(dir);
  CommandResult imported =
      RunCommand({SHOKOCTL_BIN, "import", "--store", store.address(), day1, rotation, day2});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  // A restored, older chain.head makes the agent sign other records at the
  // seqs day 2 holds, from the first after the rotation.
  dir.Write("offline/chain.head", saved_head);
  const std::string forked = dir.Write("forked.jsonl", collect());
  CommandResult refused =
      RunCommand({SHOKOCTL_BIN, "import", "--store", store.address(), day1, rotation, forked});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("seq " + std::to_string(kSshdRecords + 3) + ": fork"),
            std::string::npos)
      << refused.err;
  // An agent that uploads keeps its own state directory.
  std::string config = AgentConfig(dir, store.address(), FixturePath("sshd-defaults"));
  ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config}).exit_code, 0);
  CommandResult mixed =
      RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--collector", "access.sshd", "--sign",
                  "--state-dir", dir.Path("agent-state"), "--format", "dsse"});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("give offline collection a directory of its own"), std::string::npos)
      << mixed.err;
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, AFullOutboxNeverLocksTheAgentOut) {
  TempDir dir;
  const std::string dead = DeadAddress();
  auto config_for = [&](const std::string& address) {
    return dir.Write("agent.yaml",
                     "state_dir: " + dir.Path("agent-state") +
                         "\ncollectors: [access.sshd]\nroot: " + FixturePath("debian12-sshd") +
                         "\nstore:\n  address: " + address +
                         "\n  insecure_loopback: true\n  connect_timeout: 1s\n"
                         "outbox:\n  max_records: 3\n");
  };
  // Lifecycle and health records are taken over the quota, so restarts while
  // the store is away keep failing for the right reason (3), never with a
  // full outbox (4).
  std::string config = config_for(dead);
  for (int run = 0; run < 4; ++run) {
    CommandResult r = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
    EXPECT_EQ(r.exit_code, 3) << "run " << run << ": " << r.err;
  }
  StoreProcess store(dir);
  config = config_for(store.address());
  CommandResult online = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(online.exit_code, 0) << online.err;
  CommandResult query =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"});
  int full = 0;
  for (const auto& r : JsonLines(query.out)) {
    if (r["check_id"] == "agent.health" && r["facts"]["outbox"]["state"] == "full") {
      ++full;
      EXPECT_EQ(r["verdict"], "fail");
    }
  }
  EXPECT_EQ(full, 1) << query.out;  // said once, when it became full
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, ARotatedKeyKeepsTheAgentAndItsChain) {
  TempDir dir;
  StoreProcess store(dir);
  std::string config = AgentConfig(dir, store.address(), FixturePath("debian12-sshd"));
  ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config}).exit_code, 0);
  const std::string agent_id = testing::ReadFileOrEmpty(dir.Path("agent-state/agent.id"));
  CommandResult rotate = RunCommand({SHOKO_AGENT_BIN, "rotate-key", "--config", config});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_NE(rotate.err.find("rotated the signing key"), std::string::npos);
  EXPECT_EQ(testing::ReadFileOrEmpty(dir.Path("agent-state/agent.id")), agent_id);
  EXPECT_FALSE(
      testing::ReadFileOrEmpty(dir.Path("agent-state/keys/" + agent_id.substr(0, 64) + ".pub"))
          .empty());
  CommandResult after = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  CommandResult query =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  auto records = JsonLines(query.out);
  // The first run's, key_rotation, start, stop.
  ASSERT_EQ(records.size(), kSshdRecords + 6);
  EXPECT_EQ(records[kSshdRecords + 3]["check_id"], "agent.lifecycle.key_rotation");
  for (const auto& r : records) {
    EXPECT_EQ(r["agent_id"], agent_id.substr(0, 64));
    EXPECT_EQ(r["signature"], "valid") << r.dump();
  }
  EXPECT_EQ(store.Stop(), 0);
}

TEST(EndToEndTest, ACorruptOutboxIsKeptAsideAndTheStoreSeesAGapNotAFork) {
  TempDir dir;
  const std::string dead = DeadAddress();
  std::string config = AgentConfig(dir, dead, FixturePath("debian12-sshd"));
  ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config}).exit_code, 3);
  for (const char* f : {"outbox.db-wal", "outbox.db-shm"}) {
    ::unlink(dir.Path(std::string("agent-state/") + f).c_str());
  }
  dir.Write("agent-state/outbox.db", std::string(16384, 'x'));
  StoreProcess store(dir);
  config = AgentConfig(dir, store.address(), FixturePath("debian12-sshd"));
  CommandResult run = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("WARNING: the outbox was corrupt"), std::string::npos) << run.err;
  CommandResult query =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"});
  auto records = JsonLines(query.out);
  ASSERT_FALSE(records.empty());
  // The first run's records were lost with the outbox; the chain continues.
  EXPECT_EQ(records[0]["seq"], kSshdRecords + 4);
  EXPECT_EQ(records[0]["check_id"], "agent.lifecycle.outbox_recovered");
  const std::string moved = records[0]["facts"]["moved_to"];
  EXPECT_EQ(testing::ReadFileOrEmpty(moved), std::string(16384, 'x'));
  EXPECT_NE(store.Log().find("gap, seq 1-" + std::to_string(kSshdRecords + 3) + " never arrived"),
            std::string::npos)
      << store.Log();
  EXPECT_EQ(store.Stop(), 0);
}

struct BadRun {
  std::vector<std::string> argv;
  int exit_code;
  std::string message;  // must appear in the one line on stderr
};

TEST(EndToEndTest, BadInputGivesOneLineAndTheRightExitCode) {
  TempDir dir;
  std::string malformed = dir.Write("malformed.yaml", "store:\n  adress: 127.0.0.1:1\n");
  const std::string dead = DeadAddress();
  std::string good = AgentConfig(dir, dead, "/");
  std::string bad_root = dir.Write("badroot.yaml", "root: " + dir.Path("no-such-root") + "\n");
  const BadRun cases[] = {
      {{SHOKO_AGENT_BIN, "run", "--once", "--config", dir.Path("missing.yaml")},
       2,
       dir.Path("missing.yaml") + ": No such file or directory"},
      {{SHOKO_AGENT_BIN, "run", "--once", "--config", malformed},
       2,
       malformed + ":2: unknown key 'adress' in store"},
      {{SHOKO_AGENT_BIN, "collect", "--once", "--bogus"}, 2, "--bogus"},
      {{SHOKO_AGENT_BIN, "collect", "--once", "--root", dir.Path("no-such-root")},
       2,
       "root directory " + dir.Path("no-such-root") + ": No such file or directory"},
      {{SHOKO_AGENT_BIN, "collect", "--once", "--config", bad_root}, 2, "no-such-root"},
      {{SHOKO_AGENT_BIN, "collect", "--once", "--collector", "nope"},
       2,
       "unknown collector 'nope'"},
      {{SHOKO_AGENT_BIN, "collect"}, 2, "collect needs --once"},
      {{SHOKO_AGENT_BIN, "collect", "--once", "--format", "xml"}, 2, "--format"},
      {{SHOKO_AGENT_BIN}, 2, "subcommand"},
      {{SHOKO_STORE_BIN, "serve", "--listen", "0.0.0.0:0", "--insecure-loopback", "--db",
        dir.Path("s.db")},
       2,
       "plaintext is allowed only on a loopback address, not '0.0.0.0'"},
      {{SHOKO_STORE_BIN, "serve", "--listen", "127.0.0.1:0", "--db", dir.Path("s.db")},
       2,
       "--insecure-loopback"},
      {{SHOKO_STORE_BIN, "serve", "--config", dir.Path("missing.yaml")}, 2, "missing.yaml"},
      {{SHOKO_STORE_BIN, "serve", "--insecure-loopback", "--db", ""}, 2, "--db: must not be empty"},
      // The password stays out of the message; where it failed does not.
      {{SHOKO_STORE_BIN, "serve", "--insecure-loopback", "--db",
        "postgresql://shoko:hunter2@" + dead + "/shoko"},
       3,
       "cannot connect to postgresql shoko@" + dead + ": "},
      {{SHOKOCTL_BIN, "evidence", "--store", dead}, 3, "store " + dead},
      {{SHOKOCTL_BIN, "evidence", "--store", "10.0.0.1:7443"}, 2, "loopback"},
      {{SHOKOCTL_BIN, "evidence", "--store", dead, "--control", "ismap 8.2"},
       2,
       "'ismap 8.2' is not a control ref"},
  };
  for (const BadRun& c : cases) {
    std::string cmd;
    for (const std::string& a : c.argv) cmd += a + " ";
    CommandResult r = RunCommand(c.argv, std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, c.exit_code) << cmd << "\n" << r.err;
    EXPECT_EQ(Lines(r.err), 1) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << cmd << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << cmd << "\n" << r.out;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << cmd << "\n" << r.err;
  }
  // A store that is not listening: one line from the failed upload, exit 3,
  // and the records stay in the outbox for the next run.
  CommandResult unreachable = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", good});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.err;
  EXPECT_NE(unreachable.err.find("kept in the outbox"), std::string::npos);
}

TEST(EndToEndTest, CollectPrintsJsonLinesWithoutSigning) {
  CommandResult r = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--root",
                                FixturePath("sshd-match"), "--collector", "access.sshd"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  // Unsigned collection has no lifecycle or health records.
  ASSERT_EQ(lines.size(), kSshdRecords);
  for (const auto& line : lines) {
    for (const char* field :
         {"check_id", "collector", "controls", "verdict", "facts", "artifacts", "message"}) {
      EXPECT_TRUE(line.contains(field)) << field;
    }
  }
  EXPECT_EQ(lines[0]["facts"]["match_blocks"][0]["overrides"]["permitrootlogin"], "yes");
  EXPECT_EQ(lines[1]["check_id"], "access.sshd.permit_root_login");
  EXPECT_EQ(lines[1]["verdict"], "fail");  // the Match block permits root
  EXPECT_EQ(lines[1]["controls"][0], "ismap:8.2");
}

}  // namespace
}  // namespace shoko

namespace shoko {
namespace {

// The daemon runs apt's lookup in a child (`shoko-agent helper`), remembers
// when it first saw each update, and re-sends nothing while nothing changed.
TEST(EndToEndTest, PatchSweepsRememberWhatTheyLearned) {
  TempDir dir;
  const std::string root = dir.Path("root");
  ASSERT_EQ(testing::RunCommand({"cp", "-a", FixturePath("debian12-patch"), root}).exit_code, 0);
  StoreProcess store(dir);
  ASSERT_FALSE(store.address().empty());
  std::string config =
      dir.Write("agent.yaml", "state_dir: " + dir.Path("agent-state") +
                                  "\ncollectors: [patch]\nroot: " + root +
                                  "\nstore:\n  address: " + store.address() +
                                  "\n  insecure_loopback: true\n  connect_timeout: 2s\n");
  CommandResult first = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string memory_path = dir.Path("agent-state/sweep-memory.json");
  auto memory = nlohmann::json::parse(testing::ReadFileOrEmpty(memory_path), nullptr, false);
  ASSERT_TRUE(memory.is_object()) << memory_path;
  const auto& seen = memory["patch.pending_updates"]["first_seen"];
  ASSERT_TRUE(seen.contains("sec-pkg:amd64@1.0-1")) << memory.dump();

  CommandResult second = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("(5 check(s) unchanged)"), std::string::npos) << second.err;
  auto again = nlohmann::json::parse(testing::ReadFileOrEmpty(memory_path), nullptr, false);
  EXPECT_EQ(again["patch.pending_updates"]["first_seen"], seen);

  CommandResult query = RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(),
                                    "--control", "nist80053r5:SI-2(2)", "--format", "jsonl"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  auto records = JsonLines(query.out);
  ASSERT_EQ(records.size(), 1u) << query.out;
  EXPECT_EQ(records[0]["check_id"], "patch.pending_updates");
  EXPECT_EQ(records[0]["facts"]["count"], 9);
  EXPECT_EQ(records[0]["signature"], "valid");
  EXPECT_EQ(store.Stop(), 0) << store.Log();
}

}  // namespace
}  // namespace shoko

namespace shoko {
namespace {

// libapt-pkg opens paths with the kernel's lookup, which follows an image's
// absolute symlinks out of it: the helper refuses those, and follows the ones
// that stay inside.
TEST(EndToEndTest, HelpersReadNothingOutsideTheRoot) {
  TempDir dir;
  const std::string root = dir.Path("root");
  ASSERT_EQ(testing::RunCommand({"cp", "-a", FixturePath("debian12-patch"), root}).exit_code, 0);
  ASSERT_EQ(RunCommand({"mkdir", "-p", root + "/srv"}).exit_code, 0);
  ASSERT_EQ(RunCommand({"mv", root + "/var/lib/apt/lists", root + "/srv/lists"}).exit_code, 0);
  auto collect = [&] {
    CommandResult r = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--collector",
                                  "patch.pending_updates", "--root", root, "--format", "jsonl"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto records = JsonLines(r.out);
    EXPECT_EQ(records.size(), 1u) << r.out;
    return records.empty() ? nlohmann::json() : records[0];
  };
  // Inside the image, /srv/lists is the image's; outside, it would be ours.
  ASSERT_EQ(::symlink("/srv/lists", (root + "/var/lib/apt/lists").c_str()), 0);
  nlohmann::json out = collect();
  EXPECT_EQ(out["verdict"], "error") << out.dump();
  EXPECT_NE(out["message"].get<std::string>().find(root + "/var/lib/apt/lists"), std::string::npos)
      << out.dump();
  EXPECT_NE(out["message"].get<std::string>().find("outside the root"), std::string::npos);

  ASSERT_EQ(::unlink((root + "/var/lib/apt/lists").c_str()), 0);
  ASSERT_EQ(::symlink("../../../srv/lists", (root + "/var/lib/apt/lists").c_str()), 0);
  nlohmann::json in = collect();
  EXPECT_EQ(in["verdict"], "pass") << in.dump();
  EXPECT_EQ(in["facts"]["count"], 9) << in.dump();
}

}  // namespace
}  // namespace shoko
