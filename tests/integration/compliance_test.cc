// The compliance matrix end to end: an agent uploads to a real store whose
// config names a statement of applicability; `shokoctl compliance` shows an
// excluded control as excluded with its failing evidence, an expired
// exception as failing with an alert (in the report and the store's log),
// and filters; a bad statement stops the store with file and line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::TempDir;

const char kStatement[] = R"(service: {name: demo-service}
risk_assessments:
  - {id: RA-1, title: Annual, date: 2026-04-01}
controls:
  - {control: ismap:8.24, status: excluded, reason: risk_assessed_unnecessary,
     rationale: Legacy MACs are accepted on the management network, risk_assessment: RA-1,
     approved_by: CISO, approved_on: 2026-04-10}
exceptions:
  - {control: ismap:8.5, labels: {service: demo-service}, reason: migration,
     approved_by: Ops, expires: 2020-01-31}
)";

const nlohmann::json& Row(const nlohmann::json& report, const std::string& ref) {
  for (const auto& c : report["controls"]) {
    if (c["ref"] == ref) return c;
  }
  ADD_FAILURE() << "no row " << ref;
  static const nlohmann::json none = nlohmann::json::object();
  return none;
}

// On both ledgers: the matrix reads every stored record.
class ComplianceOnLedgerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ComplianceOnLedgerTest, TheStoreAppliesTheStatementToStoredEvidence) {
  TempDir dir;
  testing::TestLedgerDb db(GetParam(), dir.Path("store"));
  if (!db.skip_reason().empty()) GTEST_SKIP() << db.skip_reason();
  ASSERT_EQ(db.error(), "");
  const std::string soa = dir.Write("soa.yaml", kStatement);
  const std::string config = dir.Write("store.yaml", "soa: [" + soa + "]\n");
  StoreProcess store(dir, "127.0.0.1:0", {"--insecure-loopback", "--config", config},
                     /*watch_log=*/true, db.db());
  // Expired before the store started: alerted at once.
  EXPECT_TRUE(store.WaitForLog("shoko-store: ALERT exception-expired: " + soa +
                               ":9: the exception for ismap:8.5 expired on 2020-01-31"))
      << store.Log();
  CommandResult run = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config",
                                  AgentConfig(dir, store.address(), FixturePath("debian12-sshd"))});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  CommandResult r =
      RunCommand({SHOKOCTL_BIN, "compliance", "--store", store.address(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  ASSERT_EQ(report["hosts"].size(), 1u);
  EXPECT_EQ(report["hosts"][0]["service"], "demo-service");
  EXPECT_EQ(report["hosts"][0]["statement"], soa);
  EXPECT_EQ(report["controls"].size(), 94u);
  // access.sshd.macs fails on this root; the exclusion holds and shows it.
  const nlohmann::json& excluded = Row(report, "ismap:8.24")["cells"][0];
  EXPECT_EQ(excluded["status"], "excluded");
  EXPECT_EQ(excluded["evidence_status"], "fail");
  EXPECT_EQ(excluded["failing_checks"], nlohmann::json::array({"access.sshd.macs"}));
  EXPECT_NE(excluded["note"].get<std::string>().find("risk_assessed_unnecessary"),
            std::string::npos);
  // The expired exception: failing again, and an alert.
  const nlohmann::json& expired = Row(report, "ismap:8.5");
  EXPECT_EQ(expired["status"], "fail");
  EXPECT_NE(expired["cells"][0]["note"].get<std::string>().find("exception expired on 2020-01-31"),
            std::string::npos);
  ASSERT_EQ(report["alerts"].size(), 1u);
  EXPECT_EQ(report["alerts"][0]["agent_ids"].size(), 1u);
  EXPECT_NE(r.err.find("shokoctl: ALERT exception-expired: " + soa + ":9:"), std::string::npos)
      << r.err;
  EXPECT_EQ(Row(report, "ismap:8.2")["status"], "pass");  // permit_root_login holds
  EXPECT_EQ(Row(report, "ismap:5.1")["status"], "no_evidence");
  EXPECT_EQ(report["warnings"].size(), 0u);

  // The table, only what is excluded.
  CommandResult table =
      RunCommand({SHOKOCTL_BIN, "compliance", "--store", store.address(), "--status", "excluded"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("ismap:8.24  excluded  1 excluded"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("evidence: failing on 1 host (access.sshd.macs)"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("1 ismap controls over 1 host"), std::string::npos) << table.out;

  // Another framework through the store's mapping; another service has no host.
  CommandResult nist = RunCommand({SHOKOCTL_BIN, "compliance", "--store", store.address(),
                                   "--framework", "nist80053r5", "--format", "json"});
  ASSERT_EQ(nist.exit_code, 0) << nist.err;
  EXPECT_EQ(Row(nlohmann::json::parse(nist.out), "nist80053r5:SC-8")["status"], "fail");
  CommandResult none = RunCommand({SHOKOCTL_BIN, "compliance", "--store", store.address(),
                                   "--service", "other", "--format", "json"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(nlohmann::json::parse(none.out)["hosts"].size(), 0u);

  // A retired host leaves the matrix; its evidence stays.
  const std::string agent_id = report["hosts"][0]["agent_id"];
  CommandResult retire =
      RunCommand({SHOKOCTL_BIN, "agent", "retire", agent_id, "--store", store.address()});
  ASSERT_EQ(retire.exit_code, 0) << retire.err;
  CommandResult after =
      RunCommand({SHOKOCTL_BIN, "compliance", "--store", store.address(), "--format", "json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const nlohmann::json gone = nlohmann::json::parse(after.out);
  EXPECT_EQ(gone["hosts"].size(), 0u);
  EXPECT_EQ(
      gone["warnings"],
      nlohmann::json::array({"1 retired host left out (their evidence stays in the ledger)"}));

  CommandResult bad =
      RunCommand({SHOKOCTL_BIN, "compliance", "--store", store.address(), "--framework", "nope"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("framework: no 'nope' in the store's catalog"), std::string::npos)
      << bad.err;
  EXPECT_EQ(store.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ComplianceOnLedgerTest,
                         ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

TEST(ComplianceTest, ABadStatementStopsTheStoreWithFileAndLine) {
  TempDir dir;
  const std::string good = dir.Write("a.yaml", "service: {name: svc}\n");
  const std::string twin = dir.Write("b.yaml", "service: {name: svc}\n");
  const std::string unknown =
      dir.Write("c.yaml",
                "service: {name: x}\ncontrols:\n  - {control: ismap:9.9, status: "
                "implemented}\n");
  const std::string config = dir.Write("store.yaml", "soa: " + good + "\n");
  const std::string grace = dir.Write("grace.yaml", "soa: [" + good + "]\nstale_grace: soon\n");
  struct Case {
    std::vector<std::string> extra;
    std::string message;
  } cases[] = {
      {{"--soa", good, "--soa", twin}, twin + " and " + good + " both state service 'svc'"},
      {{"--soa", unknown}, unknown + ":3: "},
      {{"--soa", dir.Path("missing.yaml")}, "missing.yaml"},
      {{"--config", config}, config + ":1: soa: expected a list"},
      {{"--config", grace}, grace + ":2: stale_grace: "},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {SHOKO_STORE_BIN,       "serve", "--listen",      "127.0.0.1:0",
                                     "--insecure-loopback", "--db",  dir.Path("s.db")};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    CommandResult r = RunCommand(argv, std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_EQ(Lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace shoko
