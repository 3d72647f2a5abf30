// What the patch collectors share: which package manager a root has, and
// record helpers.
#ifndef SHOKO_COLLECTORS_PATCH_PATCH_COMMON_H_
#define SHOKO_COLLECTORS_PATCH_PATCH_COMMON_H_

#include <memory>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/patch/dpkg_status.h"

namespace shoko::collectors::patch {

// dpkg's status file of a large host is a few MB; refuse absurd ones.
inline constexpr size_t kMaxDpkgStatusBytes = 256u << 20;

enum class PackageManager { kNone, kDpkg, kRpm };

// kDpkg when /var/lib/dpkg/status exists, kRpm when an rpm database does
// (/var/lib/rpm or /usr/lib/sysimage/rpm), else kNone.
PackageManager DetectPackageManager(const platform::Env& env);

// Why a dpkg-only check does not apply to this root.
std::string NoDpkgReason(const platform::Env& env, PackageManager manager);

// The dpkg database as read once: its packages and the status file's artifact.
struct DpkgSnapshot {
  std::vector<InstalledPackage> packages;
  Artifact artifact;
};

// The dpkg database of `env`'s root. Three checks read it each sweep; it is
// parsed again only when the status file's size or mtime changes.
Result<std::shared_ptr<const DpkgSnapshot>> ReadDpkgDatabase(const platform::Env& env);

// The answer of helper `helper` for the context's root, remembered in the
// sweep memory under `check_id` with `inputs` (the identity of every file the
// helper reads): the helper runs only when `inputs` changed since the last
// answer. `reused` says whether it ran.
Result<std::string> CachedHelperAnswer(const CollectContext& ctx, const std::string& check_id,
                                       const std::string& helper, const std::string& inputs,
                                       bool* reused = nullptr);

// Forgets the remembered answer (it could not be used).
void ForgetHelperAnswer(const CollectContext& ctx, const std::string& check_id);

// "path size mtime" of `path` when it is a regular file, else "".
std::string FileIdentity(const platform::Env& env, const std::string& path);

// A kError record for `check_id` carrying `status`'s message.
Observation ErrorRecord(const std::string& check_id, const Status& status);

// A day count from the baseline entry of `check_id` (`key`), or `fallback`
// when unset; InvalidArgument naming the key when it is not a number of days
// from 0 to 36500.
Result<double> BaselineDays(const controls::Baseline& baseline, const std::string& check_id,
                            const std::string& key, double fallback);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_PATCH_COMMON_H_
