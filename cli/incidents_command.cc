#include "cli/incidents_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "platform/exit_code.h"
#include "platform/text_table.h"
#include "platform/time_format.h"
#include "shoko/v1/audit.grpc.pb.h"

namespace shoko::cli {
namespace {

// The incidents the store lists for `query`, oldest first.
Result<std::vector<v1::StoreIncident>> ListIncidents(const StoreChannel& store,
                                                     const IncidentsQuery& query) {
  auto stub = v1::AuditQuery::NewStub(store.channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kIncidentsDeadline);
  v1::ListIncidentsRequest request;
  request.set_agent_id(query.agent);
  auto reader = stub->ListIncidents(&ctx, request);
  std::vector<v1::StoreIncident> incidents;
  v1::StoreIncident incident;
  while (reader->Read(&incident)) {
    if (query.kind.empty() || incident.kind() == query.kind) incidents.push_back(incident);
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return store.CallFailed(status);
  return incidents;
}

std::string Seqs(const v1::StoreIncident& incident) {
  std::string seqs = std::to_string(incident.first_seq());
  if (incident.last_seq() != incident.first_seq()) {
    seqs += "-" + std::to_string(incident.last_seq());
  }
  return seqs;
}

void Print(const IncidentsQuery& query, const std::vector<v1::StoreIncident>& incidents,
           std::ostream& out, std::ostream& err) {
  const std::string count = std::to_string(incidents.size()) + " incident(s)";
  if (query.format == "jsonl") {
    for (const v1::StoreIncident& i : incidents) {
      nlohmann::ordered_json j;
      j["detected_at"] = platform::FormatRfc3339(i.detected_at_us());
      j["agent_id"] = i.agent_id();
      j["kind"] = i.kind();
      j["first_seq"] = i.first_seq();
      j["last_seq"] = i.last_seq();
      j["detail"] = i.detail();
      out << j.dump() << "\n";
    }
    err << "shokoctl: " << count << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"DETECTED", "AGENT", "KIND", "SEQ", "DETAIL"}};
  for (const v1::StoreIncident& i : incidents) {
    rows.push_back({platform::FormatRfc3339(i.detected_at_us()), i.agent_id().substr(0, 12),
                    i.kind(), Seqs(i), i.detail()});
  }
  platform::PrintAligned(rows, out);
  out << count << "\n";
}

}  // namespace

int RunIncidents(const IncidentsQuery& query, std::ostream& out, std::ostream& err) {
  auto store = ConnectToStore(query.connection);
  if (!store.ok()) return Fail(store.status(), err);
  auto incidents = ListIncidents(*store, query);
  if (!incidents.ok()) return Fail(incidents.status(), err);
  Print(query, *incidents, out, err);
  return kExitOk;
}

void AddIncidentsCommand(CLI::App& app, Commands& commands) {
  auto query = std::make_shared<IncidentsQuery>();
  CLI::App* incidents = AddStoreCommand(
      app, "incidents",
      "List the store's incidents: gaps in agents' chains, refused forks, and the witness "
      "incidents agents recorded against its log.",
      &query->connection);
  AddTextOptions(incidents,
                 {{"--agent", &query->agent, "Only this agent (its id or a prefix of it).", "ID"}});
  incidents->add_option("--kind", query->kind, "Only incidents of this kind.")
      ->check(CLI::IsMember({"gap", "fork", "witness"}))
      ->type_name("KIND");
  AddFormatOption(incidents, &query->format, {"table", "jsonl"});
  commands.On(incidents, [query](std::ostream& out, std::ostream& err) {
    return RunIncidents(*query, out, err);
  });
}

}  // namespace shoko::cli
