#include "cli/soa_command.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "controls/catalog.h"
#include "controls/mapping.h"
#include "controls/soa.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::cli {
namespace {

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

}  // namespace

int RunSoa(const SoaRequest& request, std::ostream& out, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "shokoctl: " << message << std::endl;
    return code;
  };
  auto catalog_data = controls::Catalog::LoadOrBuiltIn(request.catalog_file);
  if (!catalog_data.ok()) return fail(2, catalog_data.status().message());
  auto mapping_data = controls::Mapping::LoadOrBuiltIn(request.mapping_file);
  if (!mapping_data.ok()) return fail(2, mapping_data.status().message());
  const controls::Catalog& catalog = **catalog_data;
  const controls::Mapping& mapping = **mapping_data;
  const std::string today = request.today.empty() ? TodayUtc() : request.today;
  if (!controls::IsIsoDate(today)) return fail(2, "--today: not a date YYYY-MM-DD");
  auto soa = controls::Soa::Load(request.file, catalog);
  if (!soa.ok()) return fail(soa.status().IsNotFound() ? 2 : 1, soa.status().message());
  const std::vector<std::string> expired = soa->Expired(today);
  const controls::CatalogFramework* fw = catalog.Framework(soa->framework());
  const auto checks_of = controls::ChecksByControl(mapping);

  if (!request.export_package) {
    int implemented = 0, excluded = 0, inherited = 0;
    for (const auto& e : soa->entries()) {
      (e.status == "implemented" ? implemented : e.status == "excluded" ? excluded : inherited)++;
    }
    for (const std::string& x : expired) err << "shokoctl: warning: " << x << std::endl;
    out << request.file << ": valid statement of applicability for " << soa->service() << ": "
        << soa->entries().size() << " of " << fw->controls.size() << " " << fw->name
        << " controls declared (" << implemented << " implemented, " << excluded << " excluded, "
        << inherited << " inherited; the rest implemented by default), " << soa->exceptions().size()
        << " exception(s), " << expired.size() << " expired" << std::endl;
    return 0;
  }

  // The pre-review package: scope, exclusions, inheritances, exceptions, and
  // per control its declaration and automated evidence.
  nlohmann::ordered_json pkg;
  pkg["service"] = {
      {"name", soa->service()}, {"sub_services", soa->sub_services()}, {"regions", soa->regions()}};
  pkg["framework"] = {{"name", fw->name},
                      {"status", fw->status},
                      {"catalog", catalog.version()},
                      {"mapping", mapping.version()},
                      {"provisional", fw->provisional}};
  pkg["risk_assessments"] = nlohmann::ordered_json::array();
  for (const auto& r : soa->risk_assessments()) {
    pkg["risk_assessments"].push_back({{"id", r.id}, {"title", r.title}, {"date", r.date}});
  }
  nlohmann::ordered_json controls_json = nlohmann::ordered_json::array();
  nlohmann::ordered_json exclusions = nlohmann::ordered_json::array();
  nlohmann::ordered_json inheritances = nlohmann::ordered_json::array();
  std::vector<std::string> review;  // declarations the evidence questions
  int evidenced = 0, not_evidenced = 0;
  for (const controls::CatalogControl& k : fw->controls) {
    const controls::SoaEntry* e = soa->Find(k.Ref());
    const std::string status = e == nullptr ? "implemented" : e->status;
    const controls::Coverage cov = controls::CoverageOf(catalog, checks_of, k);
    auto it = checks_of.find(k.Ref());
    nlohmann::ordered_json c = {
        {"control", k.Ref()},
        {"oscal_id", controls::OscalId(k.Ref())},
        {"title", k.title_ja.empty() ? k.title_en : k.title_ja},
        {"status", status},
        {"declared", e != nullptr},
        {"automated_evidence", controls::CoverageName(cov)},
        {"checks", it == checks_of.end() ? std::vector<std::string>{} : it->second}};
    controls_json.push_back(c);
    if (status == "implemented") {
      (cov == controls::Coverage::kNone ? not_evidenced : evidenced)++;
    }
    if (e != nullptr && e->status == "excluded") {
      nlohmann::ordered_json x = {{"control", k.Ref()},
                                  {"reason", e->reason},
                                  {"rationale", e->rationale},
                                  {"approved_by", e->approved_by},
                                  {"approved_on", e->approved_on}};
      if (!e->risk_assessment.empty()) x["risk_assessment"] = e->risk_assessment;
      exclusions.push_back(std::move(x));
      if (cov == controls::Coverage::kAutomated && e->reason == "not_reasonably_applicable") {
        review.push_back(k.Ref() +
                         " is excluded as not reasonably applicable, yet host checks "
                         "evidence it (" +
                         Join(c["checks"]) + ")");
      }
    }
    if (e != nullptr && e->status == "inherited") {
      inheritances.push_back({{"control", k.Ref()},
                              {"service", e->provider.service},
                              {"registration", e->provider.registration},
                              {"controls", e->provider.controls}});
    }
  }
  nlohmann::ordered_json exceptions = nlohmann::ordered_json::array();
  for (const auto& x : soa->exceptions()) {
    nlohmann::ordered_json j = {{"control", x.control},
                                {"reason", x.reason},
                                {"approved_by", x.approved_by},
                                {"expires", x.expires},
                                {"expired", x.ExpiredBefore(today)}};
    if (!x.labels.empty()) j["labels"] = x.labels;
    if (!x.agents.empty()) j["agents"] = x.agents;
    exceptions.push_back(std::move(j));
  }
  pkg["exclusions"] = exclusions;
  pkg["inheritances"] = inheritances;
  pkg["exceptions"] = exceptions;
  pkg["summary"] = {{"controls", fw->controls.size()},
                    {"excluded", exclusions.size()},
                    {"inherited", inheritances.size()},
                    {"implemented_with_automated_evidence", evidenced},
                    {"implemented_without_automated_evidence", not_evidenced},
                    {"to_review", review}};
  pkg["controls"] = controls_json;
  if (request.format == "json") {
    out << pkg.dump(2) << std::endl;
  } else {
    out << "# Statement of applicability: " << soa->service() << "\n\n"
        << "事前確認 package, " << fw->name << " (" << fw->status
        << (fw->provisional ? ", provisional" : "") << "), catalog " << catalog.version()
        << ", mapping " << mapping.version() << ", " << today << ".\n\n"
        << "## Scope\n\n- Service: " << soa->service()
        << "\n- Sub-services: " << Join(soa->sub_services())
        << "\n- Regions: " << Join(soa->regions()) << "\n\n## Exclusions\n\n";
    if (exclusions.empty()) out << "None.\n";
    for (const auto& x : exclusions) {
      out << "- **" << x["control"].get<std::string>() << "** — " << x["reason"].get<std::string>()
          << ": " << x["rationale"].get<std::string>() << " (approved by "
          << x["approved_by"].get<std::string>() << ", " << x["approved_on"].get<std::string>()
          << (x.contains("risk_assessment")
                  ? "; risk assessment " + x["risk_assessment"].get<std::string>()
                  : std::string())
          << ")\n";
    }
    out << "\n## Inheritances\n\n";
    if (inheritances.empty()) out << "None.\n";
    for (const auto& x : inheritances) {
      out << "- **" << x["control"].get<std::string>() << "** from "
          << x["service"].get<std::string>() << " (ISMAP registration "
          << x["registration"].get<std::string>() << ")\n";
    }
    out << "\n## Exceptions\n\n";
    if (exceptions.empty()) out << "None.\n";
    for (const auto& x : exceptions) {
      out << "- **" << x["control"].get<std::string>() << "** until "
          << x["expires"].get<std::string>() << (x["expired"] == true ? " (EXPIRED)" : "") << ": "
          << x["reason"].get<std::string>() << " (approved by "
          << x["approved_by"].get<std::string>() << ")\n";
    }
    out << "\n## Evidence\n\n"
        << evidenced << " implemented control(s) have automated host evidence; " << not_evidenced
        << " are shown by documents and the audit instead.\n";
    for (const std::string& r : review) out << "- Review: " << r << "\n";
    out << "\n| control | status | automated evidence | checks |\n|---|---|---|---|\n";
    for (const auto& c : controls_json) {
      out << "| " << c["control"].get<std::string>() << " | " << c["status"].get<std::string>()
          << (c["declared"] == true ? "" : " (undeclared)") << " | "
          << c["automated_evidence"].get<std::string>() << " | "
          << Join(c["checks"].get<std::vector<std::string>>()) << " |\n";
    }
  }
  for (const std::string& x : expired) err << "shokoctl: warning: " << x << std::endl;
  return 0;
}

}  // namespace shoko::cli
