// patch.reboot_required, patch.last_update and patch.auto_updates for
// RPM-family roots: kernels from the rpm database, dnf's history and cache,
// and dnf-automatic's configuration.
#ifndef SHOKO_COLLECTORS_PATCH_RPM_UPDATE_STATE_H_
#define SHOKO_COLLECTORS_PATCH_RPM_UPDATE_STATE_H_

#include "collectors/collector.h"

namespace shoko::collectors::patch {

// patch.last_update's baseline values (last_update_collector.cc declares them):
// how many days ago packages may last have changed and lists been refreshed.
struct UpdateAgeLimits {
  double max_update_days = 0;
  double max_index_days = 0;
};

Observation RpmRebootRequired(const CollectContext& ctx);
Observation RpmLastUpdate(const CollectContext& ctx, const UpdateAgeLimits& limits);
Observation RpmAutoUpdates(const CollectContext& ctx);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_RPM_UPDATE_STATE_H_
