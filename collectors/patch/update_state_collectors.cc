// patch.reboot_required, patch.last_update and patch.auto_updates: whether
// installed fixes are running, how fresh the host's knowledge and packages
// are, and whether security updates install themselves (Debian family).
#include <algorithm>
#include <functional>
#include <optional>

#include "collectors/collector.h"
#include "collectors/common/decompress.h"
#include "collectors/patch/apt_conf.h"
#include "collectors/patch/dnf_metadata.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_update_state.h"
#include "collectors/patch/update_logs.h"
#include "collectors/patch/version_order.h"
#include "platform/strings.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::collectors::patch {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;
constexpr size_t kMaxLogBytes = 64u << 20;

Result<std::vector<InstalledPackage>> DpkgPackages(const platform::Env& env) {
  auto db = ReadDpkgDatabase(env);
  if (!db.ok()) return db.status();
  return (*db)->packages;
}

// Not a dpkg root: the RPM-family variant of `check`, or not_applicable.
std::optional<Observation> NotDpkg(const CollectContext& ctx, const char* check,
                                   Observation (*rpm_variant)(const CollectContext&)) {
  const platform::Env& env = ctx.env;
  PackageManager manager = DetectPackageManager(env);
  if (manager == PackageManager::kDpkg) return std::nullopt;
  if (manager == PackageManager::kRpm) return rpm_variant(ctx);
  Observation obs;
  obs.check_id = check;
  obs.verdict = Verdict::kNotApplicable;
  obs.message = NoDpkgReason(env, manager);
  return obs;
}

// --- patch.reboot_required -------------------------------------------------

constexpr char kReboot[] = "patch.reboot_required";

// "linux-image-6.1.0-26-amd64" → "6.1.0-26-amd64"; meta packages
// (linux-image-amd64) name no kernel release and give nothing.
std::optional<std::string> KernelRelease(const std::string& package) {
  for (std::string_view prefix : {"linux-image-unsigned-", "linux-image-"}) {
    if (package.rfind(prefix, 0) == 0) {
      std::string release = package.substr(prefix.size());
      if (!release.empty() && release[0] >= '0' && release[0] <= '9') return release;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

class RebootRequiredCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    if (auto other = NotDpkg(ctx, kReboot, RpmRebootRequired)) return {*other};
    Observation obs;
    obs.check_id = kReboot;
    auto packages = DpkgPackages(ctx.env);
    if (!packages.ok()) return {ErrorRecord(kReboot, packages.status())};

    // Newest installed kernel by package version.
    const InstalledPackage* newest = nullptr;
    std::optional<DebVersion> newest_version;
    std::map<std::string, std::string> installed;  // release → package version
    for (const InstalledPackage& p : *packages) {
      auto release = KernelRelease(p.name);
      if (!release || p.state != "installed") continue;
      installed[*release] = p.version;
      auto v = ParseDebVersion(p.version);
      if (!v.ok()) continue;
      if (newest == nullptr || CompareDebVersions(*v, *newest_version) > 0) {
        newest = &p;
        newest_version = *v;
      }
    }
    auto running_text = ctx.env.ReadFile("/proc/sys/kernel/osrelease", 4096);
    std::optional<std::string> running;
    if (running_text.ok()) running = std::string(platform::Trim(*running_text));

    // The distribution's marker, written by packages' postinst scripts.
    std::optional<std::string> marker;
    std::vector<std::string> marker_packages;
    if (auto m = ctx.env.ReadFile("/run/reboot-required", 65536); m.ok()) {
      marker = std::string(platform::Trim(*m));
      if (auto pkgs = ctx.env.ReadFile("/run/reboot-required.pkgs", 1 << 20); pkgs.ok()) {
        std::string_view rest = *pkgs;
        while (!rest.empty()) {
          size_t nl = rest.find('\n');
          std::string line = std::string(platform::Trim(std::string(rest.substr(0, nl))));
          if (!line.empty() && std::find(marker_packages.begin(), marker_packages.end(), line) ==
                                   marker_packages.end()) {
            marker_packages.push_back(line);
          }
          rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        }
      }
    }
    obs.facts = {{"running", running ? nlohmann::json(*running) : nlohmann::json(nullptr)},
                 {"newest_installed",
                  newest ? nlohmann::json(*KernelRelease(newest->name)) : nlohmann::json(nullptr)},
                 {"installed_kernels", installed},
                 {"marker", marker ? nlohmann::json(*marker) : nlohmann::json(nullptr)},
                 {"marker_packages", marker_packages}};

    bool kernel_behind = false;
    if (newest != nullptr && running) {
      const std::string newest_release = *KernelRelease(newest->name);
      if (*running != newest_release) {
        // Compare package versions when the running kernel is still installed,
        // else the release strings themselves (6.1.0-25 < 6.1.0-26).
        auto it = installed.find(*running);
        auto running_version = ParseDebVersion(it != installed.end() ? it->second : *running);
        auto newest_cmp = ParseDebVersion(it != installed.end() ? newest->version : newest_release);
        kernel_behind = !running_version.ok() || !newest_cmp.ok() ||
                        CompareDebVersions(*running_version, *newest_cmp) < 0;
      }
    }
    if (kernel_behind || marker) {
      obs.verdict = Verdict::kFail;
      obs.message = kernel_behind
                        ? "running kernel " + *running + " is older than the newest installed, " +
                              *KernelRelease(newest->name)
                        : "the distribution asks for a reboot (/run/reboot-required)";
      if (kernel_behind && marker) obs.message += "; /run/reboot-required is present too";
    } else if (newest == nullptr) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message =
          "no kernel package installed (a container runs its host's kernel) and no "
          "reboot-required marker";
    } else if (!running) {
      obs.verdict = Verdict::kError;
      obs.message = "cannot read the running kernel: " + running_text.status().message();
    } else {
      obs.verdict = Verdict::kPass;
      obs.message = "running the newest installed kernel, " + *running;
    }
    if (auto db = ReadDpkgDatabase(ctx.env); db.ok() && !(*db)->artifact.path.empty()) {
      obs.artifacts.push_back((*db)->artifact);
    }
    if (marker) {
      if (auto a = ArtifactOf(ctx.env, "/run/reboot-required"); a.ok()) {
        obs.artifacts.push_back(std::move(a).value());
      }
    }
    return {obs};
  }
};

// --- patch.last_update -----------------------------------------------------

constexpr char kLastUpdate[] = "patch.last_update";

// The newest modification time among apt's periodic update stamp and the
// index Release files (a stamp can go stale when its writer is removed).
std::optional<std::pair<int64_t, std::string>> IndexRefresh(const platform::Env& env) {
  std::optional<std::pair<int64_t, std::string>> newest;
  const std::string stamp = "/var/lib/apt/periodic/update-success-stamp";
  if (auto info = env.Stat(stamp); info.ok()) newest = {info->mtime_us, stamp};
  auto names = env.ListDir("/var/lib/apt/lists");
  if (!names.ok()) return newest;
  for (const std::string& n : *names) {
    if (!n.ends_with("_InRelease") && !n.ends_with("_Release")) continue;
    const std::string path = "/var/lib/apt/lists/" + n;
    auto info = env.Stat(path);
    if (info.ok() && (!newest || info->mtime_us > newest->first)) newest = {info->mtime_us, path};
  }
  return newest;
}

class LastUpdateCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    if (auto other = NotDpkg(ctx, kLastUpdate, RpmLastUpdate)) return {*other};
    Observation obs;
    obs.check_id = kLastUpdate;
    const int64_t now = ctx.env.NowMicros();
    auto update_limit = BaselineDays(ctx.baseline, kLastUpdate, "max_update_age_days", 30);
    auto index_limit = BaselineDays(ctx.baseline, kLastUpdate, "max_index_age_days", 30);
    if (!update_limit.ok()) return {ErrorRecord(kLastUpdate, update_limit.status())};
    if (!index_limit.ok()) return {ErrorRecord(kLastUpdate, index_limit.status())};
    const double max_update_days = *update_limit;
    const double max_index_days = *index_limit;
    obs.expected = {{"max_update_age_days", max_update_days},
                    {"max_index_age_days", max_index_days}};

    // Package changes: apt's history first (it says which command), dpkg's log
    // as well (dpkg -i leaves no apt history); the later one wins.
    std::optional<PackageChange> change;
    std::string change_source;
    std::vector<std::string> sources;
    auto consider = [&](std::optional<PackageChange> c, const std::string& path) {
      if (!c) return;
      auto t = LocalTimeToEpoch(c->when);
      if (!change || (t && *t > *LocalTimeToEpoch(change->when))) {
        change = std::move(c);
        change_source = path;
      }
    };
    // The current log, else last month's (logrotate moves them monthly, so
    // right after a rotation the current one can be empty).
    auto read_log = [&](const std::string& base,
                        const std::function<Result<std::optional<PackageChange>>(
                            const std::string&, const std::string&)>& last_change) -> Status {
      for (const std::string& path : {base, base + ".1", base + ".1.gz"}) {
        auto raw = ctx.env.ReadFile(path, kMaxLogBytes);
        if (!raw.ok()) {
          if (raw.status().IsNotFound()) continue;
          return raw.status();
        }
        std::string text = std::move(raw).value();
        if (path.ends_with(".gz")) {
          auto plain = Decompress(text, ctx.env.Describe(path), kMaxLogBytes);
          if (!plain.ok()) return plain.status();
          text = std::move(plain).value();
        }
        sources.push_back(path);
        auto last = last_change(text, path);
        if (!last.ok()) return last.status();
        if (*last) {
          consider(*last, path);
          break;
        }
      }
      return Status::OK();
    };
    Status apt_log =
        read_log("/var/log/apt/history.log", [&](const std::string& text, const std::string& path) {
          return LastAptChange(text, ctx.env.Describe(path));
        });
    if (!apt_log.ok()) return {ErrorRecord(kLastUpdate, apt_log)};
    Status dpkg_log =
        read_log("/var/log/dpkg.log", [](const std::string& text, const std::string&) {
          return Result<std::optional<PackageChange>>(LastDpkgChange(text));
        });
    if (!dpkg_log.ok()) return {ErrorRecord(kLastUpdate, dpkg_log)};
    auto refresh = IndexRefresh(ctx.env);

    std::optional<double> update_age, index_age;
    if (change) {
      update_age = static_cast<double>(now - *LocalTimeToEpoch(change->when) * 1'000'000) /
                   static_cast<double>(kMicrosPerDay);
    }
    if (refresh)
      index_age = static_cast<double>(now - refresh->first) / static_cast<double>(kMicrosPerDay);
    auto days = [](std::optional<double> d) {
      return d ? nlohmann::json(static_cast<int64_t>(*d)) : nlohmann::json(nullptr);
    };
    obs.facts = {{"last_package_change", change ? nlohmann::json({{"when_local", change->when},
                                                                  {"what", change->summary},
                                                                  {"log", change_source},
                                                                  {"line", change->line}})
                                                : nlohmann::json(nullptr)},
                 {"package_change_age_days", days(update_age)},
                 {"index_refreshed",
                  refresh ? nlohmann::json({{"at", platform::FormatRfc3339(refresh->first)},
                                            {"from", refresh->second}})
                          : nlohmann::json(nullptr)},
                 {"index_age_days", days(index_age)},
                 {"logs_read", sources}};

    std::vector<std::string> problems;
    if (!change) {
      problems.push_back("no package change recorded in apt's history or dpkg's log");
    } else if (*update_age > max_update_days) {
      problems.push_back("packages last changed " +
                         std::to_string(static_cast<int64_t>(*update_age)) + " days ago (" +
                         change->when + ", baseline " + nlohmann::json(max_update_days).dump() +
                         ")");
    }
    if (!refresh) {
      problems.push_back("apt's package lists were never downloaded");
    } else if (*index_age > max_index_days) {
      problems.push_back("package lists last refreshed " +
                         std::to_string(static_cast<int64_t>(*index_age)) + " days ago (baseline " +
                         nlohmann::json(max_index_days).dump() + ")");
    }
    if (problems.empty()) {
      obs.verdict = Verdict::kPass;
      obs.message = "packages changed " + change->when + ", lists refreshed " +
                    platform::FormatRfc3339(refresh->first);
    } else {
      obs.verdict = Verdict::kFail;
      for (const std::string& p : problems) obs.message += (obs.message.empty() ? "" : "; ") + p;
    }
    return {obs};
  }
};

// --- patch.auto_updates ----------------------------------------------------

constexpr char kAutoUpdates[] = "patch.auto_updates";

bool IsSecurityOrigin(const std::string& pattern) {
  return pattern.find("-security") != std::string::npos ||
         pattern.find("Debian-Security") != std::string::npos;
}

// A timer unit is masked when /etc/systemd/system/UNIT links to /dev/null.
bool Masked(const platform::Env& env, const std::string& unit) {
  auto target = env.ReadLink("/etc/systemd/system/" + unit);
  return target.ok() && *target == "/dev/null";
}

class AutoUpdatesCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    if (auto other = NotDpkg(ctx, kAutoUpdates, RpmAutoUpdates)) return {*other};
    Observation obs;
    obs.check_id = kAutoUpdates;
    auto packages = DpkgPackages(ctx.env);
    if (!packages.ok()) return {ErrorRecord(kAutoUpdates, packages.status())};
    bool installed = std::any_of(packages->begin(), packages->end(), [](const auto& p) {
      return p.name == "unattended-upgrades" && p.state == "installed";
    });
    std::vector<std::string> files;
    auto conf = LoadAptConf(ctx.env, &files);
    if (!conf.ok()) return {ErrorRecord(kAutoUpdates, conf.status())};
    const std::string update_lists = conf->Get("APT::Periodic::Update-Package-Lists", "0");
    const std::string unattended = conf->Get("APT::Periodic::Unattended-Upgrade", "0");
    std::vector<std::string> origins = conf->List("Unattended-Upgrade::Origins-Pattern");
    std::vector<std::string> allowed = conf->List("Unattended-Upgrade::Allowed-Origins");
    bool security_origin = std::any_of(origins.begin(), origins.end(), IsSecurityOrigin) ||
                           std::any_of(allowed.begin(), allowed.end(), IsSecurityOrigin);
    bool timer_masked =
        Masked(ctx.env, "apt-daily-upgrade.timer") || Masked(ctx.env, "apt-daily.timer");
    // As apt.systemd.daily reads them: "always", or a number of days, or a
    // number with an s/m/h/d suffix; 0 is off; APT::Periodic::Enable "0"
    // turns everything off.
    auto enabled = [](const std::string& v) {
      if (v == "always") return true;
      size_t digits = v.find_first_not_of("0123456789");
      std::string number = v.substr(0, digits);
      std::string suffix = digits == std::string::npos ? "" : v.substr(digits);
      if (number.empty() ||
          (suffix != "" && suffix != "s" && suffix != "m" && suffix != "h" && suffix != "d")) {
        return false;
      }
      return number.find_first_not_of('0') != std::string::npos;
    };
    const std::string periodic_enable = conf->Get("APT::Periodic::Enable", "1");
    obs.facts = {{"tool", "unattended-upgrades"},        {"installed", installed},
                 {"update_package_lists", update_lists}, {"unattended_upgrade", unattended},
                 {"origins_pattern", origins},           {"allowed_origins", allowed},
                 {"security_origin", security_origin},   {"timer_masked", timer_masked},
                 {"periodic_enable", periodic_enable},   {"config_files", files}};
    for (const std::string& f : files) {
      if (auto a = ArtifactOf(ctx.env, f); a.ok()) obs.artifacts.push_back(std::move(a).value());
    }
    std::vector<std::string> missing;
    if (!installed) missing.push_back("unattended-upgrades is not installed");
    if (!enabled(update_lists))
      missing.push_back("APT::Periodic::Update-Package-Lists is " + update_lists);
    if (!enabled(unattended))
      missing.push_back("APT::Periodic::Unattended-Upgrade is " + unattended);
    if (!security_origin)
      missing.push_back("no security origin in Unattended-Upgrade::Origins-Pattern");
    if (timer_masked) missing.push_back("apt's daily timers are masked");
    if (periodic_enable == "0") missing.push_back("APT::Periodic::Enable is 0");
    if (missing.empty()) {
      obs.verdict = Verdict::kPass;
      obs.message = "unattended-upgrades installs security updates automatically";
    } else {
      obs.verdict = Verdict::kFail;
      for (const std::string& m : missing) obs.message += (obs.message.empty() ? "" : "; ") + m;
    }
    return {obs};
  }
};

}  // namespace

const CollectorDeclaration kRebootDeclaration = JudgedObservation(kReboot);
const CollectorDeclaration kLastUpdateDeclaration =
    JudgedObservation(kLastUpdate, {controls::NumberKey("max_update_age_days", 0, 36500),
                                    controls::NumberKey("max_index_age_days", 0, 36500)});
const CollectorDeclaration kAutoUpdatesDeclaration = JudgedObservation(kAutoUpdates);

SHOKO_REGISTER_COLLECTOR(kRebootDeclaration, RebootRequiredCollector);
SHOKO_REGISTER_COLLECTOR(kLastUpdateDeclaration, LastUpdateCollector);
SHOKO_REGISTER_COLLECTOR(kAutoUpdatesDeclaration, AutoUpdatesCollector);

}  // namespace shoko::collectors::patch
