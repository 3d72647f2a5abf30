#include "cli/compliance_command.h"

#include <CLI/CLI.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "platform/exit_code.h"
#include "platform/text_table.h"
#include "platform/time_format.h"
#include "shoko/v1/audit.grpc.pb.h"

namespace shoko::cli {
namespace {

bool Failing(const std::string& status) {
  return status == "fail" || status == "error" || status == "stale";
}

bool Declared(const std::string& status) {
  return status == "excluded" || status == "inherited" || status == "excepted";
}

// "2 pass, 1 fail" in the order statuses first appear.
std::string Counts(const v1::ComplianceControl& c) {
  std::vector<std::pair<std::string, int>> counts;
  for (const v1::ComplianceCell& cell : c.cells()) {
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& p) { return p.first == cell.status(); });
    if (it == counts.end())
      counts.emplace_back(cell.status(), 1);
    else
      ++it->second;
  }
  std::string out;
  for (const auto& [status, n] : counts) {
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  }
  return out.empty() ? "-" : out;
}

std::string List(const std::set<std::string>& items, size_t at_most) {
  std::string out;
  size_t n = 0;
  for (const std::string& s : items) {
    if (n++ == at_most) return out + " +" + std::to_string(items.size() - at_most) + " more";
    out += (out.empty() ? "" : ", ") + s;
  }
  return out;
}

// The statement's notes, and what the evidence says beneath a declaration:
// an excluded control with failing evidence stays excluded, its evidence in
// view.
std::string Note(const v1::ComplianceControl& c) {
  std::set<std::string> notes, failing, hidden_failing;
  int hidden = 0;
  for (const v1::ComplianceCell& cell : c.cells()) {
    if (!cell.note().empty()) notes.insert(cell.note());
    if (Failing(cell.status()))
      failing.insert(cell.failing_checks().begin(), cell.failing_checks().end());
    if (Declared(cell.status()) && Failing(cell.evidence_status())) {
      ++hidden;
      hidden_failing.insert(cell.failing_checks().begin(), cell.failing_checks().end());
    }
  }
  std::string out = List(notes, 2);
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (!failing.empty()) add("failing: " + List(failing, 3));
  if (hidden > 0) {
    add("evidence: failing on " + std::to_string(hidden) + (hidden == 1 ? " host" : " hosts") +
        (hidden_failing.empty() ? "" : " (" + List(hidden_failing, 3) + ")"));
  }
  return out;
}

nlohmann::ordered_json ToJson(const v1::ComplianceReport& r) {
  nlohmann::ordered_json j;
  j["framework"] = r.framework();
  j["catalog_version"] = r.catalog_version();
  j["mapping_version"] = r.mapping_version();
  j["generated_at"] = platform::FormatRfc3339(r.generated_at_us());
  std::map<std::string, std::string> hostname;
  j["hosts"] = nlohmann::ordered_json::array();
  for (const v1::ComplianceHost& h : r.hosts()) {
    hostname[h.agent_id()] = h.hostname();
    j["hosts"].push_back({{"agent_id", h.agent_id()},
                          {"hostname", h.hostname()},
                          {"service", h.service()},
                          {"group", h.group()},
                          {"environment", h.environment()},
                          {"last_collected_at", platform::FormatRfc3339(h.last_collected_at_us())},
                          {"statement", h.statement()}});
  }
  std::map<std::string, int> summary;
  j["controls"] = nlohmann::ordered_json::array();
  for (const v1::ComplianceControl& c : r.controls()) {
    ++summary[c.status()];
    nlohmann::ordered_json cells = nlohmann::ordered_json::array();
    for (const v1::ComplianceCell& cell : c.cells()) {
      cells.push_back({{"agent_id", cell.agent_id()},
                       {"hostname", hostname[cell.agent_id()]},
                       {"status", cell.status()},
                       {"evidence_status", cell.evidence_status()},
                       {"failing_checks", std::vector<std::string>(cell.failing_checks().begin(),
                                                                   cell.failing_checks().end())},
                       {"note", cell.note()}});
    }
    j["controls"].push_back(
        {{"ref", c.ref()},
         {"oscal_id", c.oscal_id()},
         {"kind", c.kind()},
         {"parent", c.parent()},
         {"title_en", c.title_en()},
         {"title_ja", c.title_ja()},
         {"theme", c.theme()},
         {"importance", c.importance()},
         {"threats", std::vector<std::string>(c.threats().begin(), c.threats().end())},
         {"provisional", c.provisional()},
         {"checks", std::vector<std::string>(c.checks().begin(), c.checks().end())},
         {"status", c.status()},
         {"cells", std::move(cells)}});
  }
  j["summary"] = summary;
  j["alerts"] = nlohmann::ordered_json::array();
  for (const v1::ComplianceAlert& a : r.alerts()) {
    j["alerts"].push_back(
        {{"kind", a.kind()},
         {"control", a.control()},
         {"agent_ids", std::vector<std::string>(a.agent_ids().begin(), a.agent_ids().end())},
         {"detail", a.detail()}});
  }
  j["warnings"] = std::vector<std::string>(r.warnings().begin(), r.warnings().end());
  return j;
}

void PrintTable(const v1::ComplianceReport& r, std::ostream& out) {
  bool importance = false;
  for (const v1::ComplianceControl& c : r.controls()) importance |= !c.importance().empty();
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"CONTROL", "STATUS", "HOSTS", "TITLE", "NOTE"});
  if (importance) rows[0].insert(rows[0].begin() + 1, "IMPORTANCE");
  std::map<std::string, int> summary;
  for (const v1::ComplianceControl& c : r.controls()) {
    ++summary[c.status()];
    std::vector<std::string> row = {c.ref(), c.status(), Counts(c),
                                    c.title_en().empty() ? c.title_ja() : c.title_en(), Note(c)};
    if (importance) row.insert(row.begin() + 1, c.importance().empty() ? "-" : c.importance());
    rows.push_back(std::move(row));
  }
  platform::PrintAligned(rows, out);
  out << "\n"
      << r.controls_size() << " " << r.framework() << " controls over " << r.hosts_size()
      << (r.hosts_size() == 1 ? " host" : " hosts") << " (catalog " << r.catalog_version()
      << ", mapping " << r.mapping_version() << ", " << platform::FormatRfc3339(r.generated_at_us())
      << "):";
  std::string sep = " ";
  for (const auto& [status, n] : summary) {
    out << sep << n << " " << status;
    sep = ", ";
  }
  out << ".\n";
  if (summary.contains("no_evidence")) {
    out << "no_evidence: no host check evidences the control on these hosts. Organizational, "
           "people and physical controls are shown by documents, not by host checks.\n";
  }
}

// The report the store builds for `query`.
Result<v1::ComplianceReport> FetchReport(const ComplianceQuery& query) {
  SHOKO_ASSIGN_OR_RETURN(StoreChannel store, ConnectToStore(query.connection));
  auto stub = v1::AuditQuery::NewStub(store.channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::ComplianceRequest request;
  request.set_framework(query.framework);
  request.set_service(query.service);
  request.set_agent_id(query.agent);
  request.set_importance(query.importance);
  request.set_threat(query.threat);
  request.set_sort(query.sort);
  request.set_status(query.status);
  v1::ComplianceReport report;
  grpc::Status status = stub->Compliance(&ctx, request, &report);
  if (!status.ok()) return store.CallFailed(status);
  return report;
}

}  // namespace

int RunCompliance(const ComplianceQuery& query, std::ostream& out, std::ostream& err) {
  if (query.format != "table" && query.format != "json") {
    return Fail(Status::InvalidArgument("--format: '" + query.format + "' is not table or json"),
                err);
  }
  auto report = FetchReport(query);
  if (!report.ok()) return Fail(report.status(), err);
  if (query.format == "json")
    out << ToJson(*report).dump(2) << "\n";
  else
    PrintTable(*report, out);
  for (const v1::ComplianceAlert& a : report->alerts()) {
    err << "shokoctl: ALERT " << a.kind() << ": " << a.detail();
    if (a.agent_ids_size() > 0) {
      err << " (on " << a.agent_ids_size() << (a.agent_ids_size() == 1 ? " host" : " hosts") << ")";
    }
    err << "\n";
  }
  for (const std::string& w : report->warnings()) err << "shokoctl: warning: " << w << "\n";
  return kExitOk;
}

void AddComplianceCommand(CLI::App& app, Commands& commands) {
  auto query = std::make_shared<ComplianceQuery>();
  CLI::App* compliance = AddStoreCommand(
      app, "compliance",
      "The compliance matrix: per control, each host's status from its latest evidence, with "
      "the statements of applicability and exceptions applied.",
      &query->connection);
  AddTextOptions(compliance,
                 {{"--framework", &query->framework,
                   "ismap (default), ismap-legacy, iso27002, nist80053r5, or one of the store "
                   "catalog's.",
                   "NAME"},
                  {"--service", &query->service, "Only hosts of this service label.", "NAME"},
                  {"--agent", &query->agent, "Only this agent (its id or a prefix).", "ID"},
                  {"--importance", &query->importance,
                   "Only controls of this importance (high, medium, low).", "LEVEL"},
                  {"--threat", &query->threat, "Only controls addressing this threat.", "THREAT"}});
  compliance
      ->add_option("--status", query->status, "Only controls whose status over the hosts is this.")
      ->check(CLI::IsMember({"fail", "error", "stale", "pass", "info", "not_applicable",
                             "no_evidence", "excepted", "inherited", "excluded"}))
      ->type_name("STATUS");
  compliance
      ->add_option("--sort", query->sort,
                   "control (catalog order), importance (high first) or status (failing first).")
      ->check(CLI::IsMember({"control", "importance", "status"}))
      ->type_name("ORDER");
  AddFormatOption(compliance, &query->format, {"table", "json"});
  commands.On(compliance, [query](std::ostream& out, std::ostream& err) {
    return RunCompliance(*query, out, err);
  });
}

}  // namespace shoko::cli
