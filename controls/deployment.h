// Deployment validation (docs/controls.md, "Deployment validation"): whether
// an operator's mapping, baseline, catalog and declarative checks fit the
// checks a build emits. Pure: the caller loads the files and lists the
// checks; this judges them, and reports every problem rather than the first.
#ifndef SHOKO_CONTROLS_DEPLOYMENT_H_
#define SHOKO_CONTROLS_DEPLOYMENT_H_

#include <array>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controls/baseline.h"
#include "controls/baseline_schema.h"
#include "controls/catalog.h"
#include "controls/mapping.h"
#include "platform/status.h"

namespace shoko::controls {

// The frameworks every check with a verdict must be mapped into.
inline constexpr std::array<std::string_view, 2> kRequiredFrameworks = {"ismap", "nist80053r5"};

// The checks a build emits.
struct EmittedChecks {
  // Checks with a verdict: each must be mapped into every required framework.
  std::set<std::string> verdict_checks;
  // Checks recorded without a verdict (observations): they may be mapped.
  std::set<std::string> info_checks;
  // Families whose ids are known only at run time (lifecycle events, the
  // operator's declarative checks): ids under them may be mapped.
  std::vector<std::string> prefixes;
  // The baseline keys each check reads, as the collectors declare them
  // (unset: the baseline is not checked against them).
  std::optional<BaselineSchema> baseline_schema;
};

// A deployment as loaded: each file, or why it did not load.
struct Deployment {
  Result<std::shared_ptr<const Mapping>> mapping;
  Result<std::shared_ptr<const Baseline>> baseline;
  Result<std::shared_ptr<const Catalog>> catalog;
  // How loading the declarative checks (against the catalog) went.
  Status declarative_checks;
};

// Every problem with `deployment` for a build that emits `emitted`, one line
// each, "FILE:LINE: what" (or "FILE: what" where no line applies): a file
// that did not load, a ref outside the catalog, a check with a verdict that
// is unmapped or misses a required framework, a mapping for a check the
// build does not emit, a baseline value its checks do not declare or that
// does not fit its declaration. Empty when the deployment fits.
std::vector<std::string> CheckDeployment(const Deployment& deployment,
                                         const EmittedChecks& emitted);

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_DEPLOYMENT_H_
