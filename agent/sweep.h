// One sweep: run the selected collectors against an Env and attach each
// observation's control refs from the mapping. The one place the agent calls
// collectors (selecting, running, the declarative checks, what the build
// emits), so that a change to the collector API lands here.
#ifndef SHOKO_AGENT_SWEEP_H_
#define SHOKO_AGENT_SWEEP_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "collectors/collector.h"
#include "collectors/custom/check_set.h"
#include "controls/baseline.h"
#include "controls/catalog.h"
#include "controls/deployment.h"
#include "controls/mapping.h"
#include "platform/env.h"

namespace shoko::agent {

struct CollectedCheck {
  std::string collector;
  collectors::Observation observation;
  std::vector<std::string> controls;
};

// What a sweep needs besides the collectors: where to read and how to judge.
struct SweepSetup {
  std::unique_ptr<platform::Env> env;
  std::shared_ptr<const controls::Mapping> mapping_data;
  // The baseline resolved for this host (group, distribution).
  std::optional<controls::Baseline> host_baseline;
  std::vector<std::string> collectors;
  // The operator's declarative checks, loaded when the custom collector runs.
  bool runs_custom_checks = false;
  // The catalog their controls were checked against (its version), when they run.
  std::string catalog_version;
  collectors::custom::CheckSet custom_checks;

  const controls::Mapping& mapping() const { return *mapping_data; }
  const controls::Baseline& baseline() const { return *host_baseline; }
};

// The setup `config` describes; every failure is a usage or configuration
// error. The baseline is resolved for this host: its group's overrides and the
// values keyed by its distribution (os-release under the root). Declarative
// checks are checked against the catalog now, so a bad file stops the agent
// at start.
Result<SweepSetup> PrepareSweep(const AgentConfig& config);

// The collectors that `selectors` (names or families) name, in name order:
// the registered ones and "custom" (the declarative checks); all of them when
// `selectors` is empty. InvalidArgument naming the selector that matches nothing.
Result<std::vector<std::string>> SelectCollectors(const std::vector<std::string>& selectors);

// `baseline` (a file, before it is resolved for a host) against what the
// compiled-in collectors declare they read (controls/baseline_schema.h): the
// first problem, "FILE:LINE: CHECK: what", and how many more there are.
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
// The same over a prepared setup.
std::vector<CollectedCheck> RunSweep(const SweepSetup& setup, collectors::SweepMemory* memory,
                                     const collectors::HelperRunner* helpers);

// The checks this build emits (every collector's and the agent's own) and
// the baseline keys they read, as deployment validation sees them.
controls::EmittedChecks EmittedChecks();

// The declarative checks in `dir`, their controls checked against `catalog`.
Result<collectors::custom::CheckSet> LoadDeclarativeChecks(const std::string& dir,
                                                           const controls::Catalog& catalog);

// The sweep memory kept at `path` (JSON); empty when the file does not exist.
// A damaged file is reported and replaced by an empty memory, since it only
// holds what the next sweep can learn again (first-seen times restart).
Result<collectors::SweepMemory> LoadSweepMemory(const std::string& path);
Status SaveSweepMemory(const std::string& path, const collectors::SweepMemory& memory);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_SWEEP_H_
