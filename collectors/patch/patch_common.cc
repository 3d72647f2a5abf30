#include "collectors/patch/patch_common.h"

#include <map>
#include <mutex>

#include "collectors/helper.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/rpm_packages.h"
#include "platform/digest.h"

namespace shoko::collectors::patch {

PackageManager DetectPackageManager(const platform::Env& env) {
  if (env.Stat(kDpkgStatusPath).ok()) return PackageManager::kDpkg;
  if (FindRpmDatabase(env)) return PackageManager::kRpm;
  return PackageManager::kNone;
}

std::string FileIdentity(const platform::Env& env, const std::string& path) {
  auto info = env.Stat(path);
  if (!info.ok() || info->type != platform::FileInfo::Type::kRegular) return "";
  return path + ' ' + std::to_string(info->size) + ' ' + std::to_string(info->mtime_us) + '\n';
}

Result<std::string> CachedHelperAnswer(const CollectContext& ctx, const std::string& check_id,
                                       const std::string& helper, const std::string& inputs,
                                       bool* reused) {
  SweepMemory scratch;
  nlohmann::json& memory = (ctx.memory != nullptr ? ctx.memory : &scratch)->For(check_id);
  const std::string digest = platform::Sha256Hex(inputs);
  if (memory.value("inputs", "") == digest && memory.contains("answer") &&
      memory["answer"].is_string()) {
    if (reused != nullptr) *reused = true;
    return memory["answer"].get<std::string>();
  }
  if (reused != nullptr) *reused = false;
  auto answer = RunHelper(ctx.helpers, helper, ctx.env.RootDir());
  if (!answer.ok()) return answer.status();
  memory["inputs"] = digest;
  memory["answer"] = *answer;
  return answer;
}

void ForgetHelperAnswer(const CollectContext& ctx, const std::string& check_id) {
  if (ctx.memory != nullptr) ctx.memory->For(check_id).erase("answer");
}

std::string NoDpkgReason(const platform::Env& env, PackageManager manager) {
  if (manager == PackageManager::kRpm) {
    return "RPM-family host: this check reads dpkg's and apt's files only";
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

Result<std::vector<InstalledPackage>> DpkgPackages(const platform::Env& env) {
  auto db = ReadDpkgDatabase(env);
  if (!db.ok()) return db.status();
  return (*db)->packages;
}

std::optional<Observation> NotDpkg(
    const CollectContext& ctx, const char* check,
    const std::function<Observation(const CollectContext&)>& rpm_variant,
    std::vector<InstalledPackage>* packages) {
  PackageManager manager = DetectPackageManager(ctx.env);
  if (manager == PackageManager::kDpkg) {
    if (packages == nullptr) return std::nullopt;
    auto installed = DpkgPackages(ctx.env);
    if (!installed.ok()) return ErrorRecord(check, installed.status());
    *packages = std::move(installed).value();
    return std::nullopt;
  }
  if (manager == PackageManager::kRpm) return rpm_variant(ctx);
  Observation obs;
  obs.check_id = check;
  obs.verdict = Verdict::kNotApplicable;
  obs.message = NoDpkgReason(ctx.env, manager);
  return obs;
}

}  // namespace shoko::collectors::patch
