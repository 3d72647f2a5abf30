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
// `memory` carries collectors' state to the next sweep (null: none kept);
// `helpers` runs their heavy helpers (null: in this process); `custom_checks`
// are the operator's declarative checks the "custom" collector evaluates.
std::vector<CollectedCheck> RunSweep(const platform::Env& env,
                                     const std::vector<std::string>& collector_names,
                                     const controls::Mapping& mapping,
                                     const controls::Baseline& baseline,
                                     collectors::SweepMemory* memory = nullptr,
                                     const collectors::HelperRunner* helpers = nullptr,
                                     const collectors::custom::CheckSet* custom_checks = nullptr);

// The sweep memory kept at `path` (JSON); empty when the file does not exist.
// A damaged file is reported and replaced by an empty memory, since it only
// holds what the next sweep can learn again (first-seen times restart).
Result<collectors::SweepMemory> LoadSweepMemory(const std::string& path);
Status SaveSweepMemory(const std::string& path, const collectors::SweepMemory& memory);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_SWEEP_H_
