// patch.pending_updates: what apt would upgrade, which of it is security,
// and since when the agent has known (design §3; SI-2, RA-5).
//
// apt's answer costs a cache build over every index file (~0.6 s and ~50 MB
// here), so it runs in a helper process and is kept, with the identity (path,
// size, mtime) of every file it read, in the sweep memory: while none of them
// changes, a sweep costs a few stat calls.
#include <algorithm>
#include <string>
#include <vector>

#include "collectors/collector.h"
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
constexpr int64_t kMicrosPerDay = 86'400'000'000;

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

const CollectorDeclaration kDeclaration =
    JudgedObservation(kCheck, {controls::NumberKey("security_grace_days", 0, 36500)});

class PendingUpdatesCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    PackageManager manager = DetectPackageManager(ctx.env);
    std::string tool = "apt";
    Result<std::string> answer = std::string();
    if (manager == PackageManager::kRpm) {
      tool = "dnf";
      if (!HasDnfCache(ctx.env)) {
        obs.verdict = Verdict::kNotApplicable;
        obs.message = "no cached dnf metadata under " + ctx.env.Describe("/var/cache/dnf") +
                      " for an enabled repository, so no candidate versions are known";
        return {obs};
      }
      answer = CachedHelperAnswer(ctx, kCheck, "dnf-upgradable", DnfInputIdentity(ctx.env));
    } else if (manager != PackageManager::kDpkg) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message = NoDpkgReason(ctx.env, manager);
      return {obs};
    } else if (!ctx.env.Stat("/var/lib/apt/lists").ok()) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message = "dpkg without apt: " + ctx.env.Describe("/var/lib/apt/lists") +
                    " does not exist, so no candidate versions are known";
      return {obs};
    } else {
      answer = CachedHelperAnswer(ctx, kCheck, "apt-upgradable", InputIdentity(ctx.env));
    }
    if (!answer.ok()) return {ErrorRecord(kCheck, answer.status().WithContext(tool))};
    std::vector<std::string> warnings;
    auto updates = ParseAptUpgradable(*answer, &warnings);
    if (!updates.ok()) {
      ForgetHelperAnswer(ctx, kCheck);
      return {ErrorRecord(kCheck, updates.status())};
    }
    SweepMemory scratch;
    nlohmann::json& memory = (ctx.memory != nullptr ? ctx.memory : &scratch)->For(kCheck);

    // Since when each installed (package, arch, version) has had an update
    // pending; entries no longer pending are forgotten.
    const int64_t now = ctx.env.NowMicros();
    nlohmann::json old_seen = memory.value("first_seen", nlohmann::json::object());
    nlohmann::json seen = nlohmann::json::object();
    auto grace = BaselineDays(ctx.baseline, kCheck, "security_grace_days", 14);
    if (!grace.ok()) return {ErrorRecord(kCheck, grace.status())};
    const double grace_days = *grace;
    const int64_t grace_us = static_cast<int64_t>(grace_days * static_cast<double>(kMicrosPerDay));
    nlohmann::json list = nlohmann::json::array();
    std::vector<std::string> overdue;
    size_t security = 0;
    for (const PendingUpdate& u : *updates) {
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
        ++security;
        if (now - since > grace_us) overdue.push_back(u.name + ":" + u.arch);
      }
    }
    memory["first_seen"] = std::move(seen);

    obs.facts = {{"manager", tool},
                 {"count", updates->size()},
                 {"security_count", security},
                 {"updates", std::move(list)},
                 {"overdue_security", overdue}};
    if (!warnings.empty()) obs.facts["warnings"] = warnings;
    obs.expected = {{"security_grace_days", grace_days}};
    obs.artifacts = tool == "dnf" ? RepomdArtifacts(ctx.env) : ReleaseArtifacts(ctx.env);
    if (!overdue.empty()) {
      obs.verdict = Verdict::kFail;
      obs.message = std::to_string(overdue.size()) + " security update(s) pending longer than " +
                    nlohmann::json(grace_days).dump() + " days, first: " + overdue.front();
    } else {
      obs.verdict = Verdict::kPass;
      obs.message = std::to_string(updates->size()) + " update(s) pending, " +
                    std::to_string(security) + " security, none beyond the grace period";
    }
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, PendingUpdatesCollector);

}  // namespace shoko::collectors::patch
