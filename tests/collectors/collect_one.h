// Runs one registered collector on a host tree, for the collector tests.
#ifndef SHOKO_TESTS_COLLECTORS_COLLECT_ONE_H_
#define SHOKO_TESTS_COLLECTORS_COLLECT_ONE_H_

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "platform/host_identity.h"

namespace shoko::testing {

// What `collector` records of the tree at `root`, with the built-in baseline
// resolved for the tree's distribution (no host group) as the agent resolves
// it, no sweep memory and helpers in this process.
inline std::vector<collectors::Observation> CollectAt(const std::string& collector,
                                                      const std::string& root) {
  auto env = platform::NewRootedEnv(root);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  auto c = collectors::CollectorRegistry::Global().Create(collector);
  EXPECT_NE(c, nullptr) << collector;
  if (!env.ok() || c == nullptr) return {};
  const controls::Baseline baseline = controls::Baseline::BuiltIn().ForHost(
      "", platform::DistributionIds(platform::ReadHostIdentity(**env)));
  return c->Collect({**env, baseline, nullptr, nullptr});
}

// Every record of CollectAt, by check_id.
inline std::map<std::string, collectors::Observation> CollectAllAt(const std::string& collector,
                                                                   const std::string& root) {
  std::map<std::string, collectors::Observation> out;
  for (collectors::Observation& o : CollectAt(collector, root)) out[o.check_id] = std::move(o);
  return out;
}

// The single observation of CollectAt.
inline collectors::Observation CollectOneAt(const std::string& collector, const std::string& root) {
  auto obs = CollectAt(collector, root);
  EXPECT_EQ(obs.size(), 1u);
  return obs.empty() ? collectors::Observation{} : obs.front();
}

}  // namespace shoko::testing

#endif  // SHOKO_TESTS_COLLECTORS_COLLECT_ONE_H_
