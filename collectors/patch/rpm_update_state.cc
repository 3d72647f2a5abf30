#include "collectors/patch/rpm_update_state.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "collectors/common/ini.h"
#include "collectors/patch/dnf_metadata.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_packages.h"
#include "collectors/patch/version_order.h"
#include "platform/strings.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::collectors::patch {
namespace {

// The installed packages, through the rpm-packages helper, remembered under
// `check_id` while the database file is unchanged.
Result<std::vector<RpmPackage>> InstalledRpms(const CollectContext& ctx,
                                              const std::string& check_id) {
  auto where = FindRpmDatabase(ctx.env);
  if (!where) return Status::NotFound("no rpm database");
  std::string inputs =
      FileIdentity(ctx.env, where->file) + FileIdentity(ctx.env, where->file + "-wal");
  auto answer = CachedHelperAnswer(ctx, check_id, "rpm-packages", inputs);
  if (!answer.ok()) return answer.status().WithContext("rpm");
  auto packages = ParseRpmPackagesJson(*answer);
  if (!packages.ok()) ForgetHelperAnswer(ctx, check_id);
  return packages;
}

// The newest dt_end of a finished transaction in dnf's history database, and
// its command line; read-only and immutable, so nothing is written or locked.
struct DnfTransaction {
  int64_t end = 0;
  std::string cmdline;
};
Result<std::optional<DnfTransaction>> LastDnfTransaction(const platform::Env& env) {
  const std::string path = "/var/lib/dnf/history.sqlite";
  if (auto info = env.Stat(path); !info.ok() && info.status().IsNotFound()) {
    return std::optional<DnfTransaction>();
  }
  // Read through the Env (bounded, never out of the root) and opened from
  // memory: nothing is written, locked or resolved by path.
  auto content = env.ReadFile(path, 256u << 20);
  if (!content.ok()) return content.status();
  sqlite3* db = nullptr;
  auto fail = [&](const std::string& what) {
    std::string message = env.Describe(path) + ": " + what + ": " +
                          (db != nullptr ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return Status::Corruption(message);
  };
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return fail("cannot open");
  }
  const auto size = static_cast<sqlite3_int64>(content->size());
  auto* buffer = static_cast<unsigned char*>(sqlite3_malloc64(content->size() + 1));
  if (buffer == nullptr) return fail("out of memory");
  std::memcpy(buffer, content->data(), content->size());
  if (sqlite3_deserialize(db, "main", buffer, size, size,
                          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) !=
      SQLITE_OK) {
    return fail("not an SQLite database");
  }
  sqlite3_stmt* stmt = nullptr;
  // state 1 is libdnf's TransactionState::DONE.
  if (sqlite3_prepare_v2(db,
                         "SELECT dt_end, cmdline FROM trans WHERE state = 1 AND dt_end IS NOT NULL "
                         "ORDER BY dt_end DESC LIMIT 1",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return fail("not dnf's history database");
  }
  std::optional<DnfTransaction> last;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* cmd = sqlite3_column_text(stmt, 1);
    const int64_t end = sqlite3_column_int64(stmt, 0);
    if (end < 0 || end > 253402300799) {  // beyond 9999-12-31
      sqlite3_finalize(stmt);
      return fail("trans.dt_end " + std::to_string(end) + " is not a time");
    }
    last = DnfTransaction{end, cmd == nullptr ? "" : reinterpret_cast<const char*>(cmd)};
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return last;
}

// Kernel packages whose files include /boot/vmlinuz-$(uname -r): RHEL 7's
// kernel, RHEL 8+'s kernel-core and its flavours (rt, 64k, debug), Oracle's UEK.
bool IsKernelPackage(const std::string& name) {
  static const char* const kNames[] = {"kernel",          "kernel-core",       "kernel-rt-core",
                                       "kernel-64k-core", "kernel-debug-core", "kernel-uek",
                                       "kernel-uek-core"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

bool Yes(const std::string& v) {
  std::string l = platform::ToLower(v);
  return l == "yes" || l == "true" || l == "1" || l == "on";
}

}  // namespace

Observation RpmRebootRequired(const CollectContext& ctx) {
  const char* check = kRebootRequiredCheck;
  Observation obs;
  obs.check_id = check;
  auto packages = InstalledRpms(ctx, check);
  if (!packages.ok()) return ErrorRecord(check, packages.status());
  // kernel-core (RHEL 8+) or kernel (RHEL 7); uname -r is V-R.ARCH.
  struct Kernel {
    std::string package;  // kernel-core, kernel-uek, ...
    RpmEvr evr;
  };
  std::map<std::string, Kernel> kernels;  // by release, as uname -r prints it
  for (const RpmPackage& p : *packages) {
    if (!IsKernelPackage(p.name)) continue;
    kernels[p.version + "-" + p.release + "." + p.arch] = {p.name, {p.epoch, p.version, p.release}};
  }
  auto running_text = ctx.env.ReadFile("/proc/sys/kernel/osrelease", 4096);
  std::optional<std::string> running;
  if (running_text.ok()) running = std::string(platform::Trim(*running_text));
  // The newest kernel of the running one's flavour (UEK against UEK, the
  // stock kernel against the stock kernel); of any, when it is not installed.
  auto running_it = running ? kernels.find(*running) : kernels.end();
  std::optional<std::pair<std::string, RpmEvr>> newest;
  for (const auto& [release, k] : kernels) {
    if (running_it != kernels.end() && k.package != running_it->second.package) continue;
    if (!newest || CompareRpmEvr(k.evr, newest->second) > 0) newest = {release, k.evr};
  }
  std::vector<std::string> installed;
  for (const auto& [release, evr] : kernels) installed.push_back(release);
  obs.facts = {
      {"running", running ? nlohmann::json(*running) : nlohmann::json(nullptr)},
      {"newest_installed", newest ? nlohmann::json(newest->first) : nlohmann::json(nullptr)},
      {"installed_kernels", installed},
      {"marker", nullptr}};
  if (!newest) {
    obs.verdict = Verdict::kNotApplicable;
    obs.message = "no kernel package installed (a container runs its host's kernel)";
    return obs;
  }
  if (!running) {
    obs.verdict = Verdict::kError;
    obs.message = "cannot read the running kernel: " + running_text.status().message();
    return obs;
  }
  bool behind = false;
  if (*running != newest->first) {
    behind = running_it == kernels.end()
                 ? RpmVerCmp(*running, newest->first) < 0
                 : CompareRpmEvr(running_it->second.evr, newest->second) < 0;
  }
  obs.verdict = behind ? Verdict::kFail : Verdict::kPass;
  obs.message = behind ? "running kernel " + *running + " is older than the newest installed, " +
                             newest->first
                       : "running the newest installed kernel, " + *running;
  if (auto where = FindRpmDatabase(ctx.env)) {
    if (auto a = ArtifactOf(ctx.env, where->file); a.ok())
      obs.artifacts.push_back(std::move(a).value());
  }
  return obs;
}

Observation RpmLastUpdate(const CollectContext& ctx, const UpdateAgeLimits& limits) {
  const char* check = kLastUpdateCheck;
  Observation obs;
  obs.check_id = check;
  const int64_t now = ctx.env.NowMicros();
  const double max_update_days = limits.max_update_days;
  const double max_index_days = limits.max_index_days;
  obs.expected = {{"max_update_age_days", max_update_days}, {"max_index_age_days", max_index_days}};
  auto packages = InstalledRpms(ctx, check);
  if (!packages.ok()) return ErrorRecord(check, packages.status());
  // rpm records when each package was installed: the newest is the last change.
  const RpmPackage* last = nullptr;
  for (const RpmPackage& p : *packages) {
    if (last == nullptr || p.install_time > last->install_time) last = &p;
  }
  auto history = LastDnfTransaction(ctx.env);
  if (!history.ok()) return ErrorRecord(check, history.status());
  // Metadata refresh: the newest cached repomd.xml of an enabled repository.
  std::optional<int64_t> refreshed;
  if (auto repos = LoadDnfRepos(ctx.env); repos.ok()) {
    for (const DnfRepo& r : *repos) {
      if (!r.enabled || r.cache_dir.empty()) continue;
      auto info = ctx.env.Stat(r.cache_dir + "/repodata/repomd.xml");
      if (info.ok() && (!refreshed || info->mtime_us > *refreshed)) refreshed = info->mtime_us;
    }
  } else {
    return ErrorRecord(check, repos.status());
  }
  std::optional<int64_t> changed_us;
  if (last != nullptr && last->install_time > 0) changed_us = last->install_time * 1'000'000;
  if (*history && (!changed_us || (*history)->end * 1'000'000 > *changed_us)) {
    changed_us = (*history)->end * 1'000'000;
  }
  auto days = [&](std::optional<int64_t> t) {
    return t ? nlohmann::json((now - *t) / kMicrosPerDay) : nlohmann::json(nullptr);
  };
  obs.facts = {
      {"last_package_change",
       changed_us ? nlohmann::json({{"at", platform::FormatRfc3339(*changed_us)},
                                    {"newest_package", last ? last->name + "-" + last->Evr() : ""},
                                    {"dnf_command", *history ? (*history)->cmdline : ""}})
                  : nlohmann::json(nullptr)},
      {"package_change_age_days", days(changed_us)},
      {"index_refreshed", refreshed
                              ? nlohmann::json({{"at", platform::FormatRfc3339(*refreshed)},
                                                {"from", "/var/cache/dnf/*/repodata/repomd.xml"}})
                              : nlohmann::json(nullptr)},
      {"index_age_days", days(refreshed)}};
  std::vector<std::string> problems;
  auto age = [&](int64_t t) {
    return static_cast<double>(now - t) / static_cast<double>(kMicrosPerDay);
  };
  if (!changed_us) {
    problems.push_back("no package install time in the rpm database");
  } else if (age(*changed_us) > max_update_days) {
    problems.push_back("packages last changed " +
                       std::to_string(static_cast<int64_t>(age(*changed_us))) +
                       " days ago (baseline " + nlohmann::json(max_update_days).dump() + ")");
  }
  if (!refreshed) {
    problems.push_back("no cached dnf metadata: the repositories were never refreshed");
  } else if (age(*refreshed) > max_index_days) {
    problems.push_back("repository metadata last refreshed " +
                       std::to_string(static_cast<int64_t>(age(*refreshed))) +
                       " days ago (baseline " + nlohmann::json(max_index_days).dump() + ")");
  }
  obs.verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
  for (const std::string& p : problems) obs.message += (obs.message.empty() ? "" : "; ") + p;
  if (problems.empty()) {
    obs.message = "packages changed " + platform::FormatRfc3339(*changed_us) +
                  ", metadata refreshed " + platform::FormatRfc3339(*refreshed);
  }
  return obs;
}

Observation RpmAutoUpdates(const CollectContext& ctx) {
  const char* check = kAutoUpdatesCheck;
  Observation obs;
  obs.check_id = check;
  auto packages = InstalledRpms(ctx, check);
  if (!packages.ok()) return ErrorRecord(check, packages.status());
  bool installed = std::any_of(packages->begin(), packages->end(),
                               [](const RpmPackage& p) { return p.name == "dnf-automatic"; });
  const std::string conf_path = "/etc/dnf/automatic.conf";
  std::map<std::string, std::string> commands;
  if (auto text = ctx.env.ReadFile(conf_path, 1 << 20); text.ok()) {
    auto sections = ParseIni(*text, ctx.env.Describe(conf_path));
    if (!sections.ok()) return ErrorRecord(check, sections.status());
    for (const IniSection& section : *sections) {
      if (section.name != "commands") continue;
      for (const auto& [k, v] : section.values) commands[k] = v;
    }
    if (auto a = ArtifactOf(ctx.env, conf_path, *text); a.ok())
      obs.artifacts.push_back(std::move(a).value());
  } else if (!text.status().IsNotFound()) {
    return ErrorRecord(check, text.status());
  }
  auto enabled = [&](const std::string& unit) {
    const bool wanted =
        ctx.env.Stat("/etc/systemd/system/timers.target.wants/" + unit, /*follow=*/false).ok();
    auto mask = ctx.env.ReadLink("/etc/systemd/system/" + unit);
    return wanted && !(mask.ok() && *mask == "/dev/null");
  };
  const bool timer = enabled("dnf-automatic.timer");
  const bool install_timer = enabled("dnf-automatic-install.timer");
  const std::string upgrade_type =
      commands.count("upgrade_type") ? commands["upgrade_type"] : "default";
  const bool apply = commands.count("apply_updates") ? Yes(commands["apply_updates"]) : false;
  obs.facts = {{"tool", "dnf-automatic"},      {"installed", installed},
               {"timer_enabled", timer},       {"install_timer_enabled", install_timer},
               {"upgrade_type", upgrade_type}, {"apply_updates", apply},
               {"config_file", conf_path}};
  std::vector<std::string> missing;
  if (!installed) missing.push_back("dnf-automatic is not installed");
  if (!timer && !install_timer)
    missing.push_back("neither dnf-automatic.timer nor dnf-automatic-install.timer is enabled");
  if (!apply && !install_timer) missing.push_back("apply_updates is off in " + conf_path);
  if (upgrade_type != "security" && upgrade_type != "default") {
    missing.push_back("upgrade_type is " + upgrade_type);
  }
  obs.verdict = missing.empty() ? Verdict::kPass : Verdict::kFail;
  obs.message = missing.empty() ? "dnf-automatic installs " +
                                      std::string(upgrade_type == "security" ? "security" : "all") +
                                      " updates automatically"
                                : "";
  for (const std::string& m : missing) obs.message += (obs.message.empty() ? "" : "; ") + m;
  return obs;
}

}  // namespace shoko::collectors::patch
