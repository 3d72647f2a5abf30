// shokoctl's store-facing commands end through one exit-code table: the same
// failure gives the same code from each; and each command's file registers
// the subcommand it runs.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <sstream>

#include "cli/admin_command.h"
#include "cli/checkpoint_command.h"
#include "cli/command.h"
#include "cli/compliance_command.h"
#include "cli/evidence_command.h"
#include "cli/export_command.h"
#include "cli/incidents_command.h"
#include "cli/proof_command.h"
#include "shoko/v1/audit.grpc.pb.h"

namespace shoko::cli {
namespace {

// A loopback address whose listener has gone: connections are refused.
std::string ClosedAddress() {
  v1::AuditQuery::Service unused;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&unused);
  builder.BuildAndStart()->Shutdown();
  return "127.0.0.1:" + std::to_string(port);
}

struct Outcome {
  int code;
  std::string err;
};

template <typename Request, typename Run>
Outcome RunAgainst(const std::string& store, Request request, Run run) {
  request.connection.store = store;
  std::ostringstream out, err;
  const int code = run(request, out, err);
  return {code, err.str()};
}

TEST(StoreCommandsTest, AnUnreachableStoreIsExit3FromEveryCommand) {
  const std::string store = ClosedAddress();
  AgentAction revoke;
  revoke.action = "revoke";
  revoke.agent_id = std::string(64, 'a');
  ExportRequest bundle;
  bundle.format = "bundle";
  bundle.output = "/nonexistent/bundle.json";
  ExportRequest dsse = bundle;
  dsse.format = "dsse";
  ProofQuery consistency;
  consistency.from = 1;
  const std::map<std::string, Outcome> outcomes = {
      {"evidence", RunAgainst(store, EvidenceQuery{}, RunEvidence)},
      {"incidents", RunAgainst(store, IncidentsQuery{}, RunIncidents)},
      {"checkpoint", RunAgainst(store, CheckpointQuery{}, RunCheckpoint)},
      {"proof consistency", RunAgainst(store, consistency, RunConsistencyProof)},
      {"export bundle", RunAgainst(store, bundle, RunExport)},
      {"export dsse", RunAgainst(store, dsse, RunExport)},
      {"compliance", RunAgainst(store, ComplianceQuery{}, RunCompliance)},
      {"enroll create", RunAgainst(store, EnrollCreate{}, RunEnrollCreate)},
      {"agent revoke", RunAgainst(store, revoke, RunAgentAction)},
  };
  for (const auto& [command, outcome] : outcomes) {
    EXPECT_EQ(outcome.code, 3) << command << ": " << outcome.err;
    // One line naming the store.
    EXPECT_EQ(outcome.err.rfind("shokoctl: store " + store + ": ", 0), 0u)
        << command << ": " << outcome.err;
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
  }
}

TEST(StoreCommandsTest, AMalformedStoreAddressIsAUsageError) {
  for (const std::string store : {"no-port", "127.0.0.1:99999"}) {
    EXPECT_EQ(RunAgainst(store, EvidenceQuery{}, RunEvidence).code, 2) << store;
    EXPECT_EQ(RunAgainst(store, ComplianceQuery{}, RunCompliance).code, 2) << store;
  }
}

// Parses `argv` with the commands `adds` register, then runs the one parsed.
Outcome ParseAndRun(std::initializer_list<AddCommand> adds, std::vector<const char*> argv) {
  CLI::App app;
  app.require_subcommand(1);
  Commands commands;
  for (AddCommand add : adds) add(app, commands);
  app.parse(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
  std::ostringstream out, err;
  const int code = commands.RunParsed(out, err);
  return {code, err.str()};
}

TEST(CommandsTest, RunsTheSubcommandThatWasParsedWithItsFlags) {
  const auto adds = {AddEvidenceCommand, AddComplianceCommand, AddAgentCommands};
  // A malformed --control is refused before any store is dialled: the
  // evidence command ran, with the flag it registered.
  Outcome evidence = ParseAndRun(
      adds, {"shokoctl", "evidence", "--store", "127.0.0.1:1", "--control", "not-a-ref"});
  EXPECT_EQ(evidence.code, 2);
  EXPECT_EQ(evidence.err,
            "shokoctl: --control: 'not-a-ref' is not a control ref (framework:id, e.g. "
            "ismap:8.2)\n");
  // A group's leaf runs as itself: `agent retire` checks its AGENT_ID.
  Outcome retire =
      ParseAndRun(adds, {"shokoctl", "agent", "retire", "--store", "127.0.0.1:1", "short"});
  EXPECT_EQ(retire.code, 2);
  EXPECT_EQ(retire.err, "shokoctl: AGENT_ID must be 64 lowercase hex digits\n");
}

}  // namespace
}  // namespace shoko::cli
