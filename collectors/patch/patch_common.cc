#include "collectors/patch/patch_common.h"

#include "collectors/patch/dpkg_status.h"

namespace shoko::collectors::patch {

PackageManager DetectPackageManager(const platform::Env& env) {
  if (env.Stat(kDpkgStatusPath).ok()) return PackageManager::kDpkg;
  for (const char* dir : {"/var/lib/rpm", "/usr/lib/sysimage/rpm"}) {
    for (const char* db : {"rpmdb.sqlite", "Packages", "Packages.db"}) {
      if (env.Stat(std::string(dir) + "/" + db).ok()) return PackageManager::kRpm;
    }
  }
  return PackageManager::kNone;
}

std::string NoDpkgReason(const platform::Env& env, PackageManager manager) {
  if (manager == PackageManager::kRpm) {
    return "RPM-family host: this agent reads the dpkg database only so far; no RPM inventory";
  }
  return "no package database: " + env.Describe(kDpkgStatusPath) +
         " does not exist and there is no rpm database";
}

Observation ErrorRecord(const std::string& check_id, const Status& status) {
  Observation obs;
  obs.check_id = check_id;
  obs.verdict = Verdict::kError;
  obs.message = status.message();
  return obs;
}

double BaselineDays(const controls::Baseline& baseline, const std::string& check_id,
                    const std::string& key, double fallback) {
  const nlohmann::json& expected = baseline.ExpectedFor(check_id);
  if (expected.is_object() && expected.contains(key) && expected[key].is_number()) {
    return expected[key].get<double>();
  }
  return fallback;
}

}  // namespace shoko::collectors::patch
