#include "cli/controls_command.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "controls/catalog.h"
#include "controls/mapping.h"

namespace shoko::cli {
namespace {

std::string Join(const std::vector<std::string>& v, size_t max_items = 0) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (max_items != 0 && i == max_items) return out + ", …";
    out += (out.empty() ? "" : ", ") + v[i];
  }
  return out;
}

}  // namespace

int RunControls(const ControlsRequest& request, std::ostream& out, std::ostream& err) {
  auto catalog_data = controls::Catalog::LoadOrBuiltIn(request.catalog_file);
  if (!catalog_data.ok()) {
    err << "shokoctl: " << catalog_data.status().message() << std::endl;
    return 2;
  }
  auto mapping_data = controls::Mapping::LoadOrBuiltIn(request.mapping_file);
  if (!mapping_data.ok()) {
    err << "shokoctl: " << mapping_data.status().message() << std::endl;
    return 2;
  }
  const controls::Catalog& catalog = **catalog_data;
  const controls::Mapping& mapping = **mapping_data;
  const controls::CatalogFramework* fw = catalog.Framework(request.framework);
  if (fw == nullptr) {
    std::string names;
    for (const auto& f : catalog.frameworks()) names += (names.empty() ? "" : ", ") + f.name;
    err << "shokoctl: --framework: no framework '" << request.framework << "' in the catalog ("
        << names << ")" << std::endl;
    return 2;
  }
  const std::vector<std::string> problems = catalog.Check(mapping);
  // The controls to show: filtered by importance and threat, the important
  // ones first (high, medium, low, then those without a level), else in
  // catalog order.
  std::vector<const controls::CatalogControl*> shown =
      controls::SelectControls(*fw, request.importance, request.threat);
  std::stable_sort(shown.begin(), shown.end(), [](const auto* a, const auto* b) {
    return controls::ImportanceRank(a->importance) < controls::ImportanceRank(b->importance);
  });
  auto checks_of = controls::ChecksByControl(mapping);
  auto coverage_of = [&](const controls::CatalogControl& k) {
    return controls::CoverageOf(catalog, checks_of, k);
  };
  using controls::Coverage;
  using controls::CoverageName;

  if (!request.coverage) {
    if (request.format == "json") {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const controls::CatalogControl* kp : shown) {
        const controls::CatalogControl& k = *kp;
        nlohmann::ordered_json j = {
            {"ref", k.Ref()},
            {"oscal_id", controls::OscalId(k.Ref())},
            {"kind", k.kind},
            {"parent", k.parent.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(k.framework + ":" + k.parent)},
            {"title_en", k.title_en},
            {"title_ja", k.title_ja},
            {"provisional", k.provisional},
            {"importance", k.importance},
            {"threats", k.threats},
            {"coverage", CoverageName(coverage_of(k))},
            {"checks", checks_of[k.Ref()]}};
        list.push_back(std::move(j));
      }
      out << list.dump(2) << std::endl;
    } else {
      out << std::left << std::setw(24) << "CONTROL" << std::setw(12) << "KIND" << std::setw(10)
          << "COVERAGE"
          << "TITLE / CHECKS"
          << "\n";
      for (const controls::CatalogControl* kp : shown) {
        const controls::CatalogControl& k = *kp;
        const std::string title = k.title_en.empty() ? k.title_ja : k.title_en;
        out << std::setw(24) << k.Ref() << std::setw(12) << k.kind << std::setw(10)
            << CoverageName(coverage_of(k)) << title
            << (k.provisional && !fw->provisional ? " (provisional)" : "") << "\n";
        if (checks_of.contains(k.Ref())) {
          out << std::setw(46) << ""
              << "← " << Join(checks_of[k.Ref()]) << "\n";
        }
      }
      out << shown.size() << " control(s) of " << fw->name << " (" << fw->title << "; status "
          << fw->status << (fw->provisional ? ", provisional" : "") << "), catalog "
          << catalog.version() << ", mapping " << mapping.version() << std::endl;
    }
  } else {
    // Per theme (5 organizational … 8 technological) and kind.
    struct Tally {
      int automated = 0, partial = 0, none = 0;
      int total() const { return automated + partial + none; }
    };
    std::map<std::string, Tally> by_theme;
    Tally objectives, detailed;
    for (const controls::CatalogControl* kp : shown) {
      const controls::CatalogControl& k = *kp;
      const Coverage c = coverage_of(k);
      for (Tally* t : {&by_theme[k.theme.empty() ? "(no theme)" : k.theme],
                       k.kind == "detailed" ? &detailed : &objectives}) {
        (c == Coverage::kAutomated ? t->automated
         : c == Coverage::kPartial ? t->partial
                                   : t->none)++;
      }
    }
    auto line = [&](const std::string& what, const Tally& t) {
      out << std::left << std::setw(30) << what << std::right << std::setw(6) << t.total()
          << std::setw(11) << t.automated << std::setw(9) << t.partial << std::setw(6) << t.none
          << "\n";
    };
    if (request.format == "json") {
      nlohmann::ordered_json j = {
          {"framework", fw->name}, {"catalog", catalog.version()}, {"mapping", mapping.version()}};
      auto tally = [](const Tally& t) {
        return nlohmann::ordered_json{{"total", t.total()},
                                      {"automated", t.automated},
                                      {"partial", t.partial},
                                      {"none", t.none}};
      };
      j["objectives"] = tally(objectives);
      j["detailed"] = tally(detailed);
      for (const auto& [theme, t] : by_theme) j["themes"][theme] = tally(t);
      out << j.dump(2) << std::endl;
    } else {
      out << std::left << std::setw(30) << fw->name + " coverage" << std::right << std::setw(6)
          << "TOTAL" << std::setw(11) << "AUTOMATED" << std::setw(9) << "PARTIAL" << std::setw(6)
          << "NONE"
          << "\n";
      line(fw->name == "ismap" || fw->name == "ismap-legacy" ? "objectives" : "controls",
           objectives);
      line("detailed controls", detailed);
      for (const auto& [theme, t] : by_theme) line("  " + theme, t);
      out << std::left;
      if (detailed.total() < objectives.total()) {
        out << "The catalog has " << detailed.total()
            << " detailed control(s) for this framework; import the official tables "
               "(shokoctl catalog import) for the full list.\n";
      }
      out << "Organizational, people and physical controls are evidenced by documents, records "
             "and the auditor's own testing, not by host checks: shoko counts them as 'none' "
             "rather than leaving them out.\n"
             "automated: a check maps to the control; partial: only to its objective or to "
             "one of its detailed controls.\n";
    }
  }
  for (const std::string& p : problems) err << "shokoctl: " << p << std::endl;
  return problems.empty() ? 0 : 1;
}

}  // namespace shoko::cli
