// What the patch collectors share: which package manager a root has, and
// record helpers.
#ifndef SHOKO_COLLECTORS_PATCH_PATCH_COMMON_H_
#define SHOKO_COLLECTORS_PATCH_PATCH_COMMON_H_

#include <functional>
#include <memory>
#include <optional>
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

// The installed packages of a dpkg root (ReadDpkgDatabase's).
Result<std::vector<InstalledPackage>> DpkgPackages(const platform::Env& env);

// For a check that reads dpkg's files: nothing on a dpkg root; `rpm_variant`'s
// record on an RPM-family root; not_applicable without a package database.
// With `packages`, a dpkg root's installed packages go there, and a database
// that cannot be read is an error record.
std::optional<Observation> NotDpkg(
    const CollectContext& ctx, const char* check,
    const std::function<Observation(const CollectContext&)>& rpm_variant,
    std::vector<InstalledPackage>* packages = nullptr);

// Checks with a dpkg half (in their collector's file) and an rpm half
// (rpm_update_state.cc): their ids, written once for both.
inline constexpr char kRebootRequiredCheck[] = "patch.reboot_required";
inline constexpr char kLastUpdateCheck[] = "patch.last_update";
inline constexpr char kAutoUpdatesCheck[] = "patch.auto_updates";

// A check judged from dpkg's files on Debian-family roots (`kDebian`, given
// the installed packages) and by `kRpm` on RPM-family roots.
template <const char* kCheck,
          Observation (*kDebian)(const CollectContext&, const std::vector<InstalledPackage>&),
          Observation (*kRpm)(const CollectContext&)>
class DpkgOrRpmCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    std::vector<InstalledPackage> packages;
    if (auto other = NotDpkg(ctx, kCheck, kRpm, &packages)) return {*other};
    return {kDebian(ctx, packages)};
  }
};

// Forgets the remembered answer (it could not be used).
void ForgetHelperAnswer(const CollectContext& ctx, const std::string& check_id);

// "path size mtime" of `path` when it is a regular file, else "".
std::string FileIdentity(const platform::Env& env, const std::string& path);

// Days, as the patch checks' baseline keys count them.
inline constexpr int64_t kMicrosPerDay = 86'400'000'000;

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_PATCH_COMMON_H_
