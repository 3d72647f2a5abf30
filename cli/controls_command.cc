#include "cli/controls_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "platform/exit_code.h"

namespace shoko::cli {
namespace {

using controls::CatalogControl;
using controls::Coverage;
using controls::CoverageName;

std::string Join(const std::vector<std::string>& v, size_t max_items = 0) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (max_items != 0 && i == max_items) return out + ", …";
    out += (out.empty() ? "" : ", ") + v[i];
  }
  return out;
}

// What the listing and the coverage summary are built from.
struct ControlsView {
  const controls::Catalog& catalog;
  const controls::Mapping& mapping;
  const controls::CatalogFramework& framework;
  // Filtered by importance and threat, the important ones first (high,
  // medium, low, then those without a level), else in catalog order.
  std::vector<const CatalogControl*> shown;
  std::map<std::string, std::vector<std::string>> checks_of;

  Coverage CoverageOf(const CatalogControl& k) const {
    return controls::CoverageOf(catalog, checks_of, k);
  }
  std::vector<std::string> ChecksOf(const CatalogControl& k) const {
    auto it = checks_of.find(k.Ref());
    return it == checks_of.end() ? std::vector<std::string>{} : it->second;
  }
};

void PrintListJson(const ControlsView& view, std::ostream& out) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const CatalogControl* kp : view.shown) {
    const CatalogControl& k = *kp;
    list.push_back(
        {{"ref", k.Ref()},
         {"oscal_id", controls::OscalId(k.Ref())},
         {"kind", k.kind},
         {"parent", k.parent.empty() ? nlohmann::ordered_json(nullptr)
                                     : nlohmann::ordered_json(k.framework + ":" + k.parent)},
         {"title_en", k.title_en},
         {"title_ja", k.title_ja},
         {"provisional", k.provisional},
         {"importance", k.importance},
         {"threats", k.threats},
         {"coverage", CoverageName(view.CoverageOf(k))},
         {"checks", view.ChecksOf(k)}});
  }
  out << list.dump(2) << std::endl;
}

void PrintListTable(const ControlsView& view, std::ostream& out) {
  const controls::CatalogFramework& fw = view.framework;
  out << std::left << std::setw(24) << "CONTROL" << std::setw(12) << "KIND" << std::setw(10)
      << "COVERAGE"
      << "TITLE / CHECKS"
      << "\n";
  for (const CatalogControl* kp : view.shown) {
    const CatalogControl& k = *kp;
    const std::string title = k.title_en.empty() ? k.title_ja : k.title_en;
    out << std::setw(24) << k.Ref() << std::setw(12) << k.kind << std::setw(10)
        << CoverageName(view.CoverageOf(k)) << title
        << (k.provisional && !fw.provisional ? " (provisional)" : "") << "\n";
    if (view.checks_of.contains(k.Ref())) {
      out << std::setw(46) << ""
          << "← " << Join(view.ChecksOf(k)) << "\n";
    }
  }
  out << view.shown.size() << " control(s) of " << fw.name << " (" << fw.title << "; status "
      << fw.status << (fw.provisional ? ", provisional" : "") << "), catalog "
      << view.catalog.version() << ", mapping " << view.mapping.version() << std::endl;
}

// How many controls have automated host evidence, partial or none.
struct Tally {
  int automated = 0, partial = 0, none = 0;
  int total() const { return automated + partial + none; }
  void Count(Coverage c) {
    (c == Coverage::kAutomated ? automated : c == Coverage::kPartial ? partial : none)++;
  }
  nlohmann::ordered_json Json() const {
    return {{"total", total()}, {"automated", automated}, {"partial", partial}, {"none", none}};
  }
};

// Per theme (5 organizational … 8 technological) and kind.
struct CoverageTallies {
  std::map<std::string, Tally> by_theme;
  Tally objectives, detailed;
};

CoverageTallies TallyCoverage(const ControlsView& view) {
  CoverageTallies t;
  for (const CatalogControl* k : view.shown) {
    const Coverage c = view.CoverageOf(*k);
    t.by_theme[k->theme.empty() ? "(no theme)" : k->theme].Count(c);
    (k->kind == "detailed" ? t.detailed : t.objectives).Count(c);
  }
  return t;
}

void PrintCoverageTable(const ControlsView& view, const CoverageTallies& t, std::ostream& out) {
  const std::string& name = view.framework.name;
  auto line = [&](const std::string& what, const Tally& tally) {
    out << std::left << std::setw(30) << what << std::right << std::setw(6) << tally.total()
        << std::setw(11) << tally.automated << std::setw(9) << tally.partial << std::setw(6)
        << tally.none << "\n";
  };
  out << std::left << std::setw(30) << name + " coverage" << std::right << std::setw(6) << "TOTAL"
      << std::setw(11) << "AUTOMATED" << std::setw(9) << "PARTIAL" << std::setw(6) << "NONE"
      << "\n";
  line(name == "ismap" || name == "ismap-legacy" ? "objectives" : "controls", t.objectives);
  line("detailed controls", t.detailed);
  for (const auto& [theme, tally] : t.by_theme) line("  " + theme, tally);
  out << std::left;
  if (t.detailed.total() < t.objectives.total()) {
    out << "The catalog has " << t.detailed.total()
        << " detailed control(s) for this framework; import the official tables "
           "(shokoctl catalog import) for the full list.\n";
  }
  out << "Organizational, people and physical controls are evidenced by documents, records "
         "and the auditor's own testing, not by host checks: shoko counts them as 'none' "
         "rather than leaving them out.\n"
         "automated: a check maps to the control; partial: only to its objective or to "
         "one of its detailed controls.\n";
}

void PrintCoverage(const ControlsView& view, const std::string& format, std::ostream& out) {
  const CoverageTallies t = TallyCoverage(view);
  if (format != "json") return PrintCoverageTable(view, t, out);
  nlohmann::ordered_json j = {{"framework", view.framework.name},
                              {"catalog", view.catalog.version()},
                              {"mapping", view.mapping.version()}};
  j["objectives"] = t.objectives.Json();
  j["detailed"] = t.detailed.Json();
  for (const auto& [theme, tally] : t.by_theme) j["themes"][theme] = tally.Json();
  out << j.dump(2) << std::endl;
}

Status UnknownFramework(const controls::Catalog& catalog, const std::string& name) {
  std::string names;
  for (const auto& f : catalog.frameworks()) names += (names.empty() ? "" : ", ") + f.name;
  return Status::InvalidArgument("--framework: no framework '" + name + "' in the catalog (" +
                                 names + ")");
}

}  // namespace

Result<ControlData> LoadControlData(const std::string& catalog_file,
                                    const std::string& mapping_file) {
  ControlData data;
  SHOKO_ASSIGN_OR_RETURN(data.catalog, controls::Catalog::LoadOrBuiltIn(catalog_file));
  SHOKO_ASSIGN_OR_RETURN(data.mapping, controls::Mapping::LoadOrBuiltIn(mapping_file));
  return data;
}

int RunControls(const ControlsRequest& request, std::ostream& out, std::ostream& err) {
  auto data = LoadControlData(request.catalog_file, request.mapping_file);
  if (!data.ok()) return Fail(data.status(), err);
  const controls::Catalog& catalog = *data->catalog;
  const controls::CatalogFramework* fw = catalog.Framework(request.framework);
  if (fw == nullptr) return Fail(UnknownFramework(catalog, request.framework), err);
  ControlsView view{catalog, *data->mapping, *fw,
                    controls::SelectControls(*fw, request.importance, request.threat),
                    controls::ChecksByControl(*data->mapping)};
  std::stable_sort(view.shown.begin(), view.shown.end(), [](const auto* a, const auto* b) {
    return controls::ImportanceRank(a->importance) < controls::ImportanceRank(b->importance);
  });
  if (request.coverage) {
    PrintCoverage(view, request.format, out);
  } else if (request.format == "json") {
    PrintListJson(view, out);
  } else {
    PrintListTable(view, out);
  }
  const std::vector<std::string> problems = catalog.Check(*data->mapping);
  for (const std::string& p : problems) err << "shokoctl: " << p << std::endl;
  return problems.empty() ? kExitOk : kExitProblems;
}

void AddControlsCommands(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<ControlsRequest>();
  CLI::App* controls = app.add_subcommand(
      "controls", "The control catalog and, per control, the checks that evidence it.");
  CLI::App* coverage = controls->add_subcommand(
      "coverage", "How many controls have automated host evidence, partial, or none.");
  for (CLI::App* c : {controls, coverage}) {
    AddTextOptions(
        c, {{"--catalog", &request->catalog_file, "A catalog YAML (default: the built-in one).",
             "FILE"},
            {"--mapping", &request->mapping_file,
             "A check → control mapping YAML (default: the built-in one).", "FILE"},
            {"--framework", &request->framework,
             "ismap (default), ismap-legacy, iso27002, nist80053r5, or one of the catalog's.",
             "NAME"}});
    AddFormatOption(c, &request->format, {"table", "json"});
    AddTextOptions(
        c, {{"--importance", &request->importance,
             "Only controls of this importance (high, medium, low).", "LEVEL"},
            {"--threat", &request->threat, "Only controls addressing this threat.", "THREAT"}});
  }
  commands.On(controls, [request, coverage](std::ostream& out, std::ostream& err) {
    request->coverage = coverage->parsed();
    return RunControls(*request, out, err);
  });
}

}  // namespace shoko::cli
