// One sweep: run the selected collectors against an Env and attach each
// observation's control refs from the mapping. The one place the agent calls
// collectors: the registered ones, and the declarative checks' collector
// built from the checks the agent loaded.
#ifndef SHOKO_AGENT_SWEEP_H_
#define SHOKO_AGENT_SWEEP_H_

#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/custom/check_set.h"
#include "controls/baseline.h"
#include "controls/mapping.h"
#include "platform/env.h"

namespace shoko::agent {

struct CollectedCheck {
  std::string collector;
  collectors::Observation observation;
  std::vector<std::string> controls;
};

// The collectors that `selectors` (names or families) name, in name order:
// the registered ones and "custom" (the declarative checks); all of them when
// `selectors` is empty. InvalidArgument naming the selector that matches nothing.
Result<std::vector<std::string>> SelectCollectors(const std::vector<std::string>& selectors);

// Every problem of `baseline` (a file, before it is resolved for a host)
// against what the compiled-in collectors declare they read: "FILE:LINE:
// CHECK: what", for its values and every host group (controls/baseline_schema.h).
std::vector<std::string> BaselineProblems(const controls::Baseline& baseline);
// The same as a Status: the first problem, and how many more there are.
Status ValidateBaseline(const controls::Baseline& baseline);

// Runs `collector_names` in order. A collector that throws yields one kError
// observation instead of ending the sweep.
// `memory` carries collectors' state to the next sweep (null: none kept);
// `helpers` runs their heavy helpers (null: in this process); `custom_checks`
// are the operator's declarative checks the "custom" collector evaluates
// (null: none).
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
