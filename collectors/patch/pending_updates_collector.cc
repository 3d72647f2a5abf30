// patch.pending_updates: what apt would upgrade, which of it is security,
// and since when the agent has known (SI-2, RA-5).
//
// apt's answer costs a cache build over every index file (~0.6 s and ~50 MB
// here), so it runs in a helper process and is kept, with the identity (path,
// size, mtime) of every file it read, in the sweep memory: while none of them
// changes, a sweep costs a few stat calls.
#include <algorithm>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/expected.h"
#include "collectors/helper.h"
#include "collectors/patch/apt_upgradable.h"
#include "collectors/patch/dnf_metadata.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_packages.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::collectors::patch {
namespace {

constexpr char kCheck[] = "patch.pending_updates";

// The files and directories whose content decides apt's answer.
constexpr const char* kAptInputFiles[] = {kDpkgStatusPath,         "/var/lib/dpkg/arch",
                                          "/etc/apt/sources.list", "/etc/apt/preferences",
                                          "/etc/apt/apt.conf",     "/etc/machine-id"};
constexpr const char* kAptInputDirs[] = {"/var/lib/apt/lists", "/etc/apt/sources.list.d",
                                         "/etc/apt/preferences.d", "/etc/apt/apt.conf.d"};

// "path size mtime" for every input that exists, one per line.
std::string InputIdentity(const platform::Env& env) {
  std::string identity;
  auto add = [&](const std::string& path) {
    auto info = env.Stat(path);
    if (!info.ok() || info->type != platform::FileInfo::Type::kRegular) return;
    identity +=
        path + ' ' + std::to_string(info->size) + ' ' + std::to_string(info->mtime_us) + '\n';
  };
  for (const char* f : kAptInputFiles) add(f);
  for (const char* d : kAptInputDirs) {
    auto names = env.ListDir(d);
    if (!names.ok()) continue;
    for (const std::string& n : *names) add(std::string(d) + "/" + n);
  }
  return identity;
}

// The rpm database, dnf's repository definitions and every cached repomd.xml
// (which pins its primary and updateinfo files by checksum).
std::string DnfInputIdentity(const platform::Env& env) {
  std::string identity = FileIdentity(env, "/etc/dnf/dnf.conf");
  if (auto where = FindRpmDatabase(env)) {
    identity += FileIdentity(env, where->file) + FileIdentity(env, where->file + "-wal");
  }
  for (const char* dir : {"/etc/yum.repos.d", "/var/cache/dnf", "/etc/dnf/modules.d"}) {
    auto names = env.ListDir(dir);
    if (!names.ok()) continue;
    for (const std::string& n : *names) {
      identity += FileIdentity(env, std::string(dir) + "/" + n);
      identity += FileIdentity(env, std::string(dir) + "/" + n + "/repodata/repomd.xml");
    }
  }
  return identity;
}

// Each enabled repository's repomd.xml, which pins its metadata by checksum.
std::vector<Artifact> RepomdArtifacts(const platform::Env& env) {
  std::vector<Artifact> artifacts;
  auto repos = LoadDnfRepos(env);
  if (!repos.ok()) return artifacts;
  for (const DnfRepo& r : *repos) {
    if (!r.enabled || r.cache_dir.empty()) continue;
    if (auto a = ArtifactOf(env, r.cache_dir + "/repodata/repomd.xml"); a.ok()) {
      artifacts.push_back(std::move(a).value());
    }
  }
  return artifacts;
}

bool HasDnfCache(const platform::Env& env) {
  auto repos = LoadDnfRepos(env);
  if (!repos.ok()) return true;  // let the helper report the broken file
  for (const DnfRepo& r : *repos) {
    if (r.enabled && !r.cache_dir.empty()) return true;
  }
  return false;
}

// Release files pin the index files by hash: they are the artifacts that
// show which indexes the answer came from (the indexes themselves are MBs).
std::vector<Artifact> ReleaseArtifacts(const platform::Env& env) {
  std::vector<Artifact> artifacts;
  auto names = env.ListDir("/var/lib/apt/lists");
  if (!names.ok()) return artifacts;
  for (const std::string& n : *names) {
    bool release = n.size() > 8 && (n.ends_with("_InRelease") || n.ends_with("_Release"));
    if (!release) continue;
    if (auto a = ArtifactOf(env, "/var/lib/apt/lists/" + n); a.ok()) {
      artifacts.push_back(std::move(a).value());
    }
  }
  return artifacts;
}

const controls::BaselineKey kGraceDays = controls::NumberKey("security_grace_days", 0, 36500);
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck, {kGraceDays});

// Why no candidate versions are known here, when none are.
std::optional<std::string> NoCandidates(const platform::Env& env, PackageManager manager) {
  if (manager == PackageManager::kRpm) {
    if (HasDnfCache(env)) return std::nullopt;
    return "no cached dnf metadata under " + env.Describe("/var/cache/dnf") +
           " for an enabled repository, so no candidate versions are known";
  }
  if (manager != PackageManager::kDpkg) return NoDpkgReason(env, manager);
  if (env.Stat("/var/lib/apt/lists").ok()) return std::nullopt;
  return "dpkg without apt: " + env.Describe("/var/lib/apt/lists") +
         " does not exist, so no candidate versions are known";
}

// The pending updates as facts, with since when each installed (package,
// arch, version) has had one pending: entries no longer pending are
// forgotten. Security updates pending longer than `grace_days` go to `overdue`.
nlohmann::json Pending(const std::vector<PendingUpdate>& updates, int64_t now, double grace_days,
                       nlohmann::json& memory, std::vector<std::string>* overdue,
                       size_t* security) {
  const int64_t grace_us = static_cast<int64_t>(grace_days * static_cast<double>(kMicrosPerDay));
  nlohmann::json old_seen = memory.value("first_seen", nlohmann::json::object());
  nlohmann::json seen = nlohmann::json::object();
  nlohmann::json list = nlohmann::json::array();
  for (const PendingUpdate& u : updates) {
    // Keyed by what is installed, not by the candidate: a newer security
    // release of a package left unpatched must not restart its clock.
    const std::string key = u.name + ":" + u.arch + "@" + u.installed;
    int64_t since = old_seen.contains(key) && old_seen[key].is_number_integer()
                        ? old_seen[key].get<int64_t>()
                        : now;
    since = std::clamp<int64_t>(since, 0, now);  // a damaged memory cannot overflow
    seen[key] = since;
    nlohmann::json entry = {{"name", u.name},
                            {"arch", u.arch},
                            {"installed", u.installed},
                            {"candidate", u.candidate},
                            {"security", u.security},
                            {"suites", u.suites},
                            {"pending_since", platform::FormatRfc3339(since)}};
    if (!u.advisories.empty()) entry["advisories"] = u.advisories;
    list.push_back(std::move(entry));
    if (u.security) {
      ++*security;
      if (now - since > grace_us) overdue->push_back(u.name + ":" + u.arch);
    }
  }
  memory["first_seen"] = std::move(seen);
  return list;
}

class PendingUpdatesCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    const PackageManager manager = DetectPackageManager(ctx.env);
    if (auto why = NoCandidates(ctx.env, manager)) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message = *why;
      return {obs};
    }
    const bool dnf = manager == PackageManager::kRpm;
    const std::string tool = dnf ? "dnf" : "apt";
    auto answer = dnf ? CachedHelperAnswer(ctx, kCheck, "dnf-upgradable", DnfInputIdentity(ctx.env))
                      : CachedHelperAnswer(ctx, kCheck, "apt-upgradable", InputIdentity(ctx.env));
    if (!answer.ok()) return {ErrorRecord(kCheck, answer.status().WithContext(tool))};
    std::vector<std::string> warnings;
    auto updates = ParseAptUpgradable(*answer, &warnings);
    if (!updates.ok()) {
      ForgetHelperAnswer(ctx, kCheck);
      return {ErrorRecord(kCheck, updates.status())};
    }
    auto grace_days = Expected(ctx.baseline, kCheck).Number(kGraceDays);
    if (!grace_days.ok()) return {ErrorRecord(kCheck, grace_days.status())};
    SweepMemory scratch;
    nlohmann::json& memory = (ctx.memory != nullptr ? ctx.memory : &scratch)->For(kCheck);
    std::vector<std::string> overdue;
    size_t security = 0;
    nlohmann::json list =
        Pending(*updates, ctx.env.NowMicros(), *grace_days, memory, &overdue, &security);
    obs.facts = {{"manager", tool},
                 {"count", updates->size()},
                 {"security_count", security},
                 {"updates", std::move(list)},
                 {"overdue_security", overdue}};
    if (!warnings.empty()) obs.facts["warnings"] = warnings;
    obs.expected = {{"security_grace_days", *grace_days}};
    obs.artifacts = dnf ? RepomdArtifacts(ctx.env) : ReleaseArtifacts(ctx.env);
    obs.verdict = overdue.empty() ? Verdict::kPass : Verdict::kFail;
    obs.message = overdue.empty()
                      ? std::to_string(updates->size()) + " update(s) pending, " +
                            std::to_string(security) + " security, none beyond the grace period"
                      : std::to_string(overdue.size()) +
                            " security update(s) pending longer than " +
                            nlohmann::json(*grace_days).dump() + " days, first: " + overdue.front();
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, PendingUpdatesCollector);

}  // namespace shoko::collectors::patch
