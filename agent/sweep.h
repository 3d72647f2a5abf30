// One sweep: run the selected collectors against an Env and attach each
// observation's control refs from the mapping.
#ifndef SHOKO_AGENT_SWEEP_H_
#define SHOKO_AGENT_SWEEP_H_

#include <string>
#include <vector>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "controls/mapping.h"
#include "platform/env.h"

namespace shoko::agent {

struct CollectedCheck {
  std::string collector;
  collectors::Observation observation;
  std::vector<std::string> controls;
};

// The registered collectors that `selectors` (names or families) name, in
// registry order; all of them when `selectors` is empty. InvalidArgument naming
// the selector that matches nothing.
Result<std::vector<std::string>> SelectCollectors(const std::vector<std::string>& selectors);

// Runs `collector_names` in order. A collector that throws yields one kError
// observation instead of ending the sweep.
std::vector<CollectedCheck> RunSweep(const platform::Env& env,
                                     const std::vector<std::string>& collector_names,
                                     const controls::Mapping& mapping,
                                     const controls::Baseline& baseline);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_SWEEP_H_
