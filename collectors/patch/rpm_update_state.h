// patch.reboot_required, patch.last_update and patch.auto_updates for
// RPM-family roots: kernels from the rpm database, dnf's history and cache,
// and dnf-automatic's configuration.
#ifndef SHOKO_COLLECTORS_PATCH_RPM_UPDATE_STATE_H_
#define SHOKO_COLLECTORS_PATCH_RPM_UPDATE_STATE_H_

#include "collectors/collector.h"

namespace shoko::collectors::patch {

Observation RpmRebootRequired(const CollectContext& ctx);
Observation RpmLastUpdate(const CollectContext& ctx);
Observation RpmAutoUpdates(const CollectContext& ctx);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_RPM_UPDATE_STATE_H_
