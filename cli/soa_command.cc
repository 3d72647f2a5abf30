#include "cli/soa_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/controls_command.h"
#include "controls/catalog.h"
#include "controls/mapping.h"
#include "controls/soa.h"
#include "platform/exit_code.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::cli {
namespace {

using nlohmann::ordered_json;

std::string TodayUtc() {
  return platform::FormatUtcDate(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// What validate and export read: the statement, the catalog and mapping it is
// judged against, and the day.
struct SoaInputs {
  ControlData data;
  controls::Soa soa;
  std::string today;
  const controls::CatalogFramework* framework;
};

Result<SoaInputs> LoadInputs(const SoaRequest& request) {
  SHOKO_ASSIGN_OR_RETURN(ControlData data,
                         LoadControlData(request.catalog_file, request.mapping_file));
  const std::string today = request.today.empty() ? TodayUtc() : request.today;
  if (!controls::IsIsoDate(today)) {
    return Status::InvalidArgument("--today: not a date YYYY-MM-DD");
  }
  auto soa = controls::Soa::Load(request.file, *data.catalog);
  // A statement that does not validate is a finding (exit 1).
  if (!soa.ok() && !soa.status().IsNotFound()) return Status::Corruption(soa.status().message());
  if (!soa.ok()) return soa.status();
  const controls::CatalogFramework* fw = data.catalog->Framework(soa->framework());
  return SoaInputs{std::move(data), std::move(soa).value(), today, fw};
}

void PrintSummary(const SoaRequest& request, const SoaInputs& in, std::ostream& out) {
  int implemented = 0, excluded = 0, inherited = 0;
  for (const auto& e : in.soa.entries()) {
    (e.status == "implemented" ? implemented : e.status == "excluded" ? excluded : inherited)++;
  }
  out << request.file << ": valid statement of applicability for " << in.soa.service() << ": "
      << in.soa.entries().size() << " of " << in.framework->controls.size() << " "
      << in.framework->name << " controls declared (" << implemented << " implemented, " << excluded
      << " excluded, " << inherited << " inherited; the rest implemented by default), "
      << in.soa.exceptions().size() << " exception(s), " << in.soa.Expired(in.today).size()
      << " expired" << std::endl;
}

// The pre-review package's sections, built control by control.
struct Package {
  ordered_json controls = ordered_json::array();
  ordered_json exclusions = ordered_json::array();
  ordered_json inheritances = ordered_json::array();
  ordered_json exceptions = ordered_json::array();
  std::vector<std::string> review;  // declarations the evidence questions
  int evidenced = 0, not_evidenced = 0;
};

// One control's declaration and automated evidence, into `pkg`.
void AddControl(const SoaInputs& in,
                const std::map<std::string, std::vector<std::string>>& checks_of,
                const controls::CatalogControl& k, Package& pkg) {
  const controls::SoaEntry* e = in.soa.Find(k.Ref());
  const std::string status = e == nullptr ? "implemented" : e->status;
  const controls::Coverage cov = controls::CoverageOf(*in.data.catalog, checks_of, k);
  auto it = checks_of.find(k.Ref());
  const std::vector<std::string> checks =
      it == checks_of.end() ? std::vector<std::string>{} : it->second;
  pkg.controls.push_back({{"control", k.Ref()},
                          {"oscal_id", controls::OscalId(k.Ref())},
                          {"title", k.title_ja.empty() ? k.title_en : k.title_ja},
                          {"status", status},
                          {"declared", e != nullptr},
                          {"automated_evidence", controls::CoverageName(cov)},
                          {"checks", checks}});
  if (status == "implemented") {
    (cov == controls::Coverage::kNone ? pkg.not_evidenced : pkg.evidenced)++;
  }
  if (e != nullptr && e->status == "excluded") {
    ordered_json x = {{"control", k.Ref()},
                      {"reason", e->reason},
                      {"rationale", e->rationale},
                      {"approved_by", e->approved_by},
                      {"approved_on", e->approved_on}};
    if (!e->risk_assessment.empty()) x["risk_assessment"] = e->risk_assessment;
    pkg.exclusions.push_back(std::move(x));
    if (cov == controls::Coverage::kAutomated && e->reason == "not_reasonably_applicable") {
      pkg.review.push_back(k.Ref() +
                           " is excluded as not reasonably applicable, yet host checks "
                           "evidence it (" +
                           Join(checks) + ")");
    }
  }
  if (e != nullptr && e->status == "inherited") {
    pkg.inheritances.push_back({{"control", k.Ref()},
                                {"service", e->provider.service},
                                {"registration", e->provider.registration},
                                {"controls", e->provider.controls}});
  }
}

Package BuildPackage(const SoaInputs& in) {
  Package pkg;
  const auto checks_of = controls::ChecksByControl(*in.data.mapping);
  for (const controls::CatalogControl& k : in.framework->controls) {
    AddControl(in, checks_of, k, pkg);
  }
  for (const auto& x : in.soa.exceptions()) {
    ordered_json j = {{"control", x.control},
                      {"reason", x.reason},
                      {"approved_by", x.approved_by},
                      {"expires", x.expires},
                      {"expired", x.ExpiredBefore(in.today)}};
    if (!x.labels.empty()) j["labels"] = x.labels;
    if (!x.agents.empty()) j["agents"] = x.agents;
    pkg.exceptions.push_back(std::move(j));
  }
  return pkg;
}

ordered_json PackageJson(const SoaInputs& in, const Package& pkg) {
  const controls::CatalogFramework& fw = *in.framework;
  ordered_json j;
  j["service"] = {{"name", in.soa.service()},
                  {"sub_services", in.soa.sub_services()},
                  {"regions", in.soa.regions()}};
  j["framework"] = {{"name", fw.name},
                    {"status", fw.status},
                    {"catalog", in.data.catalog->version()},
                    {"mapping", in.data.mapping->version()},
                    {"provisional", fw.provisional}};
  j["risk_assessments"] = ordered_json::array();
  for (const auto& r : in.soa.risk_assessments()) {
    j["risk_assessments"].push_back({{"id", r.id}, {"title", r.title}, {"date", r.date}});
  }
  j["exclusions"] = pkg.exclusions;
  j["inheritances"] = pkg.inheritances;
  j["exceptions"] = pkg.exceptions;
  j["summary"] = {{"controls", fw.controls.size()},
                  {"excluded", pkg.exclusions.size()},
                  {"inherited", pkg.inheritances.size()},
                  {"implemented_with_automated_evidence", pkg.evidenced},
                  {"implemented_without_automated_evidence", pkg.not_evidenced},
                  {"to_review", pkg.review}};
  j["controls"] = pkg.controls;
  return j;
}

// The declarations: scope, exclusions, inheritances and exceptions.
void PrintDeclarations(const SoaInputs& in, const Package& pkg, std::ostream& out) {
  const controls::CatalogFramework& fw = *in.framework;
  out << "# Statement of applicability: " << in.soa.service() << "\n\n"
      << "事前確認 package, " << fw.name << " (" << fw.status
      << (fw.provisional ? ", provisional" : "") << "), catalog " << in.data.catalog->version()
      << ", mapping " << in.data.mapping->version() << ", " << in.today << ".\n\n"
      << "## Scope\n\n- Service: " << in.soa.service()
      << "\n- Sub-services: " << Join(in.soa.sub_services())
      << "\n- Regions: " << Join(in.soa.regions()) << "\n\n## Exclusions\n\n";
  if (pkg.exclusions.empty()) out << "None.\n";
  for (const auto& x : pkg.exclusions) {
    out << "- **" << x["control"].get<std::string>() << "** — " << x["reason"].get<std::string>()
        << ": " << x["rationale"].get<std::string>() << " (approved by "
        << x["approved_by"].get<std::string>() << ", " << x["approved_on"].get<std::string>()
        << (x.contains("risk_assessment")
                ? "; risk assessment " + x["risk_assessment"].get<std::string>()
                : std::string())
        << ")\n";
  }
  out << "\n## Inheritances\n\n";
  if (pkg.inheritances.empty()) out << "None.\n";
  for (const auto& x : pkg.inheritances) {
    out << "- **" << x["control"].get<std::string>() << "** from "
        << x["service"].get<std::string>() << " (ISMAP registration "
        << x["registration"].get<std::string>() << ")\n";
  }
  out << "\n## Exceptions\n\n";
  if (pkg.exceptions.empty()) out << "None.\n";
  for (const auto& x : pkg.exceptions) {
    out << "- **" << x["control"].get<std::string>() << "** until "
        << x["expires"].get<std::string>() << (x["expired"] == true ? " (EXPIRED)" : "") << ": "
        << x["reason"].get<std::string>() << " (approved by " << x["approved_by"].get<std::string>()
        << ")\n";
  }
}

void PrintEvidence(const Package& pkg, std::ostream& out) {
  out << "\n## Evidence\n\n"
      << pkg.evidenced << " implemented control(s) have automated host evidence; "
      << pkg.not_evidenced << " are shown by documents and the audit instead.\n";
  for (const std::string& r : pkg.review) out << "- Review: " << r << "\n";
  out << "\n| control | status | automated evidence | checks |\n|---|---|---|---|\n";
  for (const auto& c : pkg.controls) {
    out << "| " << c["control"].get<std::string>() << " | " << c["status"].get<std::string>()
        << (c["declared"] == true ? "" : " (undeclared)") << " | "
        << c["automated_evidence"].get<std::string>() << " | "
        << Join(c["checks"].get<std::vector<std::string>>()) << " |\n";
  }
}

}  // namespace

int RunSoa(const SoaRequest& request, std::ostream& out, std::ostream& err) {
  auto in = LoadInputs(request);
  if (!in.ok()) return Fail(in.status(), err);
  const std::vector<std::string> expired = in->soa.Expired(in->today);
  if (!request.export_package) {
    for (const std::string& x : expired) err << "shokoctl: warning: " << x << std::endl;
    PrintSummary(request, *in, out);
    return kExitOk;
  }
  // The pre-review package: scope, exclusions, inheritances, exceptions, and
  // per control its declaration and automated evidence.
  const Package pkg = BuildPackage(*in);
  if (request.format == "json") {
    out << PackageJson(*in, pkg).dump(2) << std::endl;
  } else {
    PrintDeclarations(*in, pkg, out);
    PrintEvidence(pkg, out);
  }
  for (const std::string& x : expired) err << "shokoctl: warning: " << x << std::endl;
  return kExitOk;
}

void AddSoaCommands(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<SoaRequest>();
  CLI::App* soa = app.add_subcommand("soa", "A cloud service's statement of applicability.");
  soa->require_subcommand(1);
  CLI::App* validate =
      soa->add_subcommand("validate", "Check a statement of applicability against the catalog.");
  CLI::App* export_package = soa->add_subcommand(
      "export",
      "The pre-review (事前確認) package: scope, exclusions, inheritances, exceptions "
      "and each control's automated evidence.");
  for (CLI::App* c : {validate, export_package}) {
    c->add_option("file", request->file, "The statement (YAML).")->required()->type_name("FILE");
    AddTextOptions(
        c, {{"--catalog", &request->catalog_file, "A catalog (default: the built-in one).", "FILE"},
            {"--mapping", &request->mapping_file, "A mapping (default: the built-in one).", "FILE"},
            {"--today", &request->today, "The date expiries are judged on (YYYY-MM-DD).", "DATE"}});
  }
  export_package->add_option("--format", request->format, "markdown (default) or json.")
      ->check(CLI::IsMember({"markdown", "json"}));
  for (CLI::App* c : {validate, export_package}) {
    commands.On(c, [request, c](std::ostream& out, std::ostream& err) {
      request->export_package = c->get_name() == "export";
      return RunSoa(*request, out, err);
    });
  }
}

}  // namespace shoko::cli
