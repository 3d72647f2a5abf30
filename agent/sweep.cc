#include "agent/sweep.h"

#include <algorithm>
#include <exception>

namespace shoko::agent {

Result<std::vector<std::string>> SelectCollectors(const std::vector<std::string>& selectors) {
  const auto& registry = collectors::CollectorRegistry::Global();
  if (selectors.empty()) return registry.Names();
  std::vector<std::string> chosen;
  for (const std::string& selector : selectors) {
    auto names = registry.Select(selector);
    if (names.empty()) {
      std::string known;
      for (const std::string& n : registry.Names()) known += (known.empty() ? "" : ", ") + n;
      return Status::InvalidArgument("unknown collector '" + selector + "' (known: " + known + ")");
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
                                     const controls::Baseline& baseline) {
  const auto& registry = collectors::CollectorRegistry::Global();
  collectors::CollectContext ctx{env, baseline};
  std::vector<CollectedCheck> out;
  for (const std::string& name : collector_names) {
    std::vector<collectors::Observation> observations;
    try {
      observations = registry.Create(name)->Collect(ctx);
    } catch (const std::exception& e) {
      collectors::Observation failed;
      failed.check_id = name;
      failed.verdict = collectors::Verdict::kError;
      failed.message = "collector " + name + " failed: " + e.what();
      observations = {std::move(failed)};
    }
    for (auto& obs : observations) {
      std::vector<std::string> refs = mapping.RefsFor(obs.check_id);
      out.push_back({name, std::move(obs), std::move(refs)});
    }
  }
  return out;
}

}  // namespace shoko::agent
