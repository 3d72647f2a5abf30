#include "controls/deployment.h"

#include <algorithm>

namespace shoko::controls {
namespace {

std::string At(const Mapping& mapping, std::string_view check_id) {
  return mapping.source() + ":" + std::to_string(mapping.CheckLine(check_id)) + ": ";
}

// Each check with a verdict is mapped, into every required framework.
void CheckVerdictsMapped(const Mapping& mapping, const EmittedChecks& emitted,
                         std::vector<std::string>* problems) {
  for (const std::string& id : emitted.verdict_checks) {
    const std::vector<std::string>& refs = mapping.RefsFor(id);
    if (refs.empty()) {
      problems->push_back(mapping.source() + ": " + id + " is not mapped to any control");
      continue;
    }
    for (std::string_view framework : kRequiredFrameworks) {
      const std::string prefix = std::string(framework) + ":";
      if (std::none_of(refs.begin(), refs.end(),
                       [&](const std::string& r) { return r.starts_with(prefix); })) {
        problems->push_back(At(mapping, id) + id + " has no " + std::string(framework) + " ref");
      }
    }
  }
}

// Each mapped check is one the build emits: otherwise a typo, or a collector
// this build does not have.
void CheckMappedEmitted(const Mapping& mapping, const EmittedChecks& emitted,
                        std::vector<std::string>* problems) {
  for (const auto& [id, refs] : mapping.checks()) {
    const bool emits = emitted.verdict_checks.contains(id) || emitted.info_checks.contains(id) ||
                       std::any_of(emitted.prefixes.begin(), emitted.prefixes.end(),
                                   [&](const std::string& p) { return id.starts_with(p); });
    if (!emits) problems->push_back(At(mapping, id) + id + " is not a check of this build");
  }
}

}  // namespace

std::vector<std::string> CheckDeployment(const Deployment& deployment,
                                         const EmittedChecks& emitted) {
  std::vector<std::string> problems;
  auto note = [&](const Status& s) {
    if (!s.ok()) problems.push_back(s.message());
  };
  note(deployment.mapping.status());
  note(deployment.baseline.status());
  note(deployment.catalog.status());
  if (deployment.mapping.ok() && deployment.catalog.ok()) {
    std::vector<std::string> refs = (*deployment.catalog)->Check(**deployment.mapping);
    problems.insert(problems.end(), refs.begin(), refs.end());
  }
  if (deployment.baseline.ok() && emitted.baseline_schema) {
    std::vector<std::string> values = emitted.baseline_schema->Problems(**deployment.baseline);
    problems.insert(problems.end(), values.begin(), values.end());
  }
  note(deployment.declarative_checks);
  if (deployment.mapping.ok()) {
    CheckVerdictsMapped(**deployment.mapping, emitted, &problems);
    CheckMappedEmitted(**deployment.mapping, emitted, &problems);
  }
  return problems;
}

}  // namespace shoko::controls
