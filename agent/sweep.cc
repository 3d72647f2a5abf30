#include "agent/sweep.h"

#include <algorithm>
#include <exception>

#include "platform/local_files.h"

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
                                     const controls::Baseline& baseline,
                                     collectors::SweepMemory* memory,
                                     const collectors::HelperRunner* helpers,
                                     const collectors::custom::CheckSet* custom_checks) {
  const auto& registry = collectors::CollectorRegistry::Global();
  collectors::SweepMemory scratch;
  collectors::CollectContext ctx{env, baseline, memory != nullptr ? memory : &scratch, helpers,
                                 custom_checks};
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
      if (refs.empty()) refs = obs.controls;
      out.push_back({name, std::move(obs), std::move(refs)});
    }
  }
  return out;
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
