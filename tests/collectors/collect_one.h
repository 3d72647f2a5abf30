// Runs one registered collector on a host tree, for the collector tests.
#ifndef SHOKO_TESTS_COLLECTORS_COLLECT_ONE_H_
#define SHOKO_TESTS_COLLECTORS_COLLECT_ONE_H_

#include <gtest/gtest.h>

#include <string>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"

namespace shoko::testing {

// The single observation `collector` makes of the tree at `root`, with the
// built-in baseline, no sweep memory and helpers in this process.
inline collectors::Observation CollectOneAt(const std::string& collector, const std::string& root) {
  auto env = platform::NewRootedEnv(root);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  auto c = collectors::CollectorRegistry::Global().Create(collector);
  EXPECT_NE(c, nullptr) << collector;
  if (!env.ok() || c == nullptr) return {};
  auto obs = c->Collect({**env, controls::Baseline::BuiltIn(), nullptr, nullptr});
  EXPECT_EQ(obs.size(), 1u);
  return obs.empty() ? collectors::Observation{} : obs.front();
}

}  // namespace shoko::testing

#endif  // SHOKO_TESTS_COLLECTORS_COLLECT_ONE_H_
