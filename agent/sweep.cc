#include "agent/sweep.h"

#include <algorithm>
#include <exception>

#include "agent/recorder.h"
#include "collectors/custom/custom_collector.h"
#include "platform/host_identity.h"
#include "platform/local_files.h"
#include "platform/strings.h"

namespace shoko::agent {
namespace {

// The prefix of the declarative checks' ids.
constexpr char kCustomPrefix[] = "custom.";

// The registered collectors and the declarative checks' one, in name order.
std::vector<std::string> AllCollectors() {
  std::vector<std::string> names = collectors::CollectorRegistry::Global().Names();
  names.insert(std::upper_bound(names.begin(), names.end(), collectors::custom::kCollectorName),
               collectors::custom::kCollectorName);
  return names;
}

std::vector<std::string> Select(std::string_view selector) {
  std::vector<std::string> names = collectors::CollectorRegistry::Global().Select(selector);
  if (selector == collectors::custom::kCollectorName) names.push_back(std::string(selector));
  return names;
}

// The collector `name` names; the declarative checks' one evaluates `custom_checks`.
std::unique_ptr<collectors::Collector> Instance(const std::string& name,
                                                const collectors::custom::CheckSet& custom_checks) {
  if (name == collectors::custom::kCollectorName) {
    return std::make_unique<collectors::custom::CustomCollector>(custom_checks);
  }
  return collectors::CollectorRegistry::Global().Create(name);
}

}  // namespace

Result<SweepSetup> PrepareSweep(const AgentConfig& config) {
  SweepSetup setup;
  SHOKO_ASSIGN_OR_RETURN(setup.env, platform::NewRootedEnv(config.root));
  SHOKO_ASSIGN_OR_RETURN(setup.mapping_data, controls::Mapping::LoadOrBuiltIn(config.mapping_file));
  SHOKO_ASSIGN_OR_RETURN(const std::shared_ptr<const controls::Baseline> baseline,
                         controls::Baseline::LoadOrBuiltIn(config.baseline_file));
  SHOKO_RETURN_IF_ERROR(ValidateBaseline(*baseline));
  setup.host_baseline = baseline->ForHost(
      config.label_group, platform::DistributionIds(platform::ReadHostIdentity(*setup.env)));
  SHOKO_ASSIGN_OR_RETURN(setup.collectors, SelectCollectors(config.collectors));
  setup.runs_custom_checks =
      std::find(setup.collectors.begin(), setup.collectors.end(),
                collectors::custom::kCollectorName) != setup.collectors.end();
  if (setup.runs_custom_checks) {
    SHOKO_ASSIGN_OR_RETURN(const std::shared_ptr<const controls::Catalog> catalog,
                           controls::Catalog::LoadOrBuiltIn(config.catalog_file));
    SHOKO_ASSIGN_OR_RETURN(setup.custom_checks, LoadDeclarativeChecks(config.checks_dir, *catalog));
    setup.catalog_version = catalog->version();
  }
  return setup;
}

Result<std::vector<std::string>> SelectCollectors(const std::vector<std::string>& selectors) {
  if (selectors.empty()) return AllCollectors();
  std::vector<std::string> chosen;
  for (const std::string& selector : selectors) {
    auto names = Select(selector);
    if (names.empty()) {
      return Status::InvalidArgument("unknown collector '" + selector +
                                     "' (known: " + platform::Join(AllCollectors(), ", ") + ")");
    }
    for (std::string& n : names) {
      if (std::find(chosen.begin(), chosen.end(), n) == chosen.end())
        chosen.push_back(std::move(n));
    }
  }
  return chosen;
}

std::vector<CollectedCheck> RunSweep(const platform::Env& env,
                                     const std::vector<std::string>& collector_names,
                                     const controls::Mapping& mapping,
                                     const controls::Baseline& baseline,
                                     collectors::SweepMemory* memory,
                                     const collectors::HelperRunner* helpers,
                                     const collectors::custom::CheckSet* custom_checks) {
  collectors::SweepMemory scratch;
  collectors::CollectContext ctx{env, baseline, memory != nullptr ? memory : &scratch, helpers};
  const collectors::custom::CheckSet no_checks;
  std::vector<CollectedCheck> out;
  for (const std::string& name : collector_names) {
    std::vector<collectors::Observation> observations;
    try {
      observations =
          Instance(name, custom_checks != nullptr ? *custom_checks : no_checks)->Collect(ctx);
    } catch (const std::exception& e) {
      collectors::Observation failed;
      failed.check_id = name;
      failed.verdict = collectors::Verdict::kError;
      failed.message = "collector " + name + " failed: " + e.what();
      observations = {std::move(failed)};
    }
    for (auto& obs : observations) {
      std::vector<std::string> refs = mapping.RefsFor(obs.check_id);
      if (refs.empty()) refs = obs.controls;
      out.push_back({name, std::move(obs), std::move(refs)});
    }
  }
  return out;
}

std::vector<CollectedCheck> RunSweep(const SweepSetup& setup, collectors::SweepMemory* memory,
                                     const collectors::HelperRunner* helpers) {
  return RunSweep(*setup.env, setup.collectors, setup.mapping(), setup.baseline(), memory, helpers,
                  &setup.custom_checks);
}

controls::EmittedChecks EmittedChecks() {
  const auto& registry = collectors::CollectorRegistry::Global();
  controls::EmittedChecks emitted;
  for (std::string& id : registry.VerdictChecks()) emitted.verdict_checks.insert(std::move(id));
  // The agent's own records with a verdict (agent/recorder.h): mapped like any check.
  emitted.verdict_checks.insert(kHealthCheckId);
  emitted.verdict_checks.insert(kGapCheckId);
  // Every check id a collector declares, observations without a verdict too.
  for (std::string& id : registry.CheckIds()) emitted.info_checks.insert(std::move(id));
  // The heartbeat has no verdict to judge; an operator may still map it.
  emitted.info_checks.insert(kHeartbeatCheckId);
  emitted.prefixes = {kLifecyclePrefix, kCustomPrefix};
  emitted.baseline_schema = registry.BaselineSchema();
  return emitted;
}

Status ValidateBaseline(const controls::Baseline& baseline) {
  return collectors::CollectorRegistry::Global().BaselineSchema().Validate(baseline);
}

Result<collectors::custom::CheckSet> LoadDeclarativeChecks(const std::string& dir,
                                                           const controls::Catalog& catalog) {
  return collectors::custom::CheckSet::LoadDir(dir, catalog);
}

Result<collectors::SweepMemory> LoadSweepMemory(const std::string& path) {
  collectors::SweepMemory memory;
  auto text = platform::ReadLocalFile(path, 256u << 20);
  if (!text.ok()) {
    if (text.status().IsNotFound()) return memory;
    return text.status().WithContext("sweep memory");
  }
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return Status::Corruption(path + ": not a JSON object (sweep memory)");
  }
  memory.Replace(std::move(doc));
  return memory;
}

Status SaveSweepMemory(const std::string& path, const collectors::SweepMemory& memory) {
  return platform::WriteFileAtomic(path, memory.All().dump(), 0600);
}

}  // namespace shoko::agent
