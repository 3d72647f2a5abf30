#include "collectors/patch/patch_common.h"

#include <map>
#include <mutex>

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

Result<std::shared_ptr<const DpkgSnapshot>> ReadDpkgDatabase(const platform::Env& env) {
  static std::mutex mu;
  static std::map<std::string, std::pair<std::string, std::shared_ptr<const DpkgSnapshot>>> cache;
  auto info = env.Stat(kDpkgStatusPath);
  if (!info.ok()) return info.status();
  const std::string identity = std::to_string(info->size) + ":" + std::to_string(info->mtime_us);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(env.RootDir());
    if (it != cache.end() && it->second.first == identity) return it->second.second;
  }
  auto text = env.ReadFile(kDpkgStatusPath, kMaxDpkgStatusBytes);
  if (!text.ok()) return text.status();
  auto packages = ParseDpkgStatus(*text, env.Describe(kDpkgStatusPath));
  if (!packages.ok()) return packages.status();
  auto snapshot = std::make_shared<DpkgSnapshot>();
  snapshot->packages = std::move(packages).value();
  auto artifact = ArtifactOf(env, kDpkgStatusPath, *text);
  if (artifact.ok()) snapshot->artifact = std::move(artifact).value();
  std::lock_guard<std::mutex> lock(mu);
  cache[env.RootDir()] = {identity, snapshot};
  return std::shared_ptr<const DpkgSnapshot>(snapshot);
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
