// The "custom" collector: evaluates the operator's declarative checks
// (check_set.h) against the host tree, one record custom.<id> per check, with
// each rule's result. It is not in the collector registry: its checks come
// from configuration, so whoever loads them constructs it with them (the
// agent's sweep, agent/sweep.h) and checks their controls where they load.
#ifndef SHOKO_COLLECTORS_CUSTOM_CUSTOM_COLLECTOR_H_
#define SHOKO_COLLECTORS_CUSTOM_CUSTOM_COLLECTOR_H_

#include "collectors/collector.h"
#include "collectors/custom/check_set.h"

namespace shoko::collectors::custom {

// The name `--collector` selects it by, beside the registered collectors.
inline constexpr char kCollectorName[] = "custom";

class CustomCollector final : public Collector {
 public:
  // `checks` must outlive the collector.
  explicit CustomCollector(const CheckSet& checks) : checks_(checks) {}
  std::vector<Observation> Collect(const CollectContext& ctx) const override;

 private:
  const CheckSet& checks_;
};

}  // namespace shoko::collectors::custom

#endif  // SHOKO_COLLECTORS_CUSTOM_CUSTOM_COLLECTOR_H_
