// patch.auto_updates: whether security updates install themselves —
// unattended-upgrades and apt's periodic settings (Debian family;
// rpm_update_state.h for dnf-automatic).
#include <algorithm>

#include "collectors/collector.h"
#include "collectors/patch/apt_conf.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_update_state.h"
#include "platform/strings.h"

namespace shoko::collectors::patch {
namespace {

constexpr const char* kCheck = kAutoUpdatesCheck;
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

bool IsSecurityOrigin(const std::string& pattern) {
  return pattern.find("-security") != std::string::npos ||
         pattern.find("Debian-Security") != std::string::npos;
}

// A timer unit is masked when /etc/systemd/system/UNIT links to /dev/null.
bool Masked(const platform::Env& env, const std::string& unit) {
  auto target = env.ReadLink("/etc/systemd/system/" + unit);
  return target.ok() && *target == "/dev/null";
}

// An APT::Periodic value as apt.systemd.daily reads it: "always", or a number
// of days, or a number with an s/m/h/d suffix; 0 is off.
bool PeriodicOn(const std::string& v) {
  if (v == "always") return true;
  size_t digits = v.find_first_not_of("0123456789");
  std::string number = v.substr(0, digits);
  std::string suffix = digits == std::string::npos ? "" : v.substr(digits);
  if (number.empty() ||
      (suffix != "" && suffix != "s" && suffix != "m" && suffix != "h" && suffix != "d")) {
    return false;
  }
  return number.find_first_not_of('0') != std::string::npos;
}

// What is missing for updates to install themselves (apt.systemd.daily's
// reading: APT::Periodic::Enable "0" turns everything off).
std::vector<std::string> Missing(const nlohmann::json& f) {
  const std::string update_lists = f["update_package_lists"];
  const std::string unattended = f["unattended_upgrade"];
  std::vector<std::string> missing;
  if (!f["installed"].get<bool>()) missing.push_back("unattended-upgrades is not installed");
  if (!PeriodicOn(update_lists)) {
    missing.push_back("APT::Periodic::Update-Package-Lists is " + update_lists);
  }
  if (!PeriodicOn(unattended)) {
    missing.push_back("APT::Periodic::Unattended-Upgrade is " + unattended);
  }
  if (!f["security_origin"].get<bool>()) {
    missing.push_back("no security origin in Unattended-Upgrade::Origins-Pattern");
  }
  if (f["timer_masked"].get<bool>()) missing.push_back("apt's daily timers are masked");
  if (f["periodic_enable"] == "0") missing.push_back("APT::Periodic::Enable is 0");
  return missing;
}

Observation DebianAutoUpdates(const CollectContext& ctx,
                              const std::vector<InstalledPackage>& packages) {
  Observation obs;
  obs.check_id = kCheck;
  const bool installed = std::any_of(packages.begin(), packages.end(), [](const auto& p) {
    return p.name == "unattended-upgrades" && p.state == "installed";
  });
  std::vector<std::string> files;
  auto conf = LoadAptConf(ctx.env, &files);
  if (!conf.ok()) return ErrorRecord(kCheck, conf.status());
  const std::vector<std::string> origins = conf->List("Unattended-Upgrade::Origins-Pattern");
  const std::vector<std::string> allowed = conf->List("Unattended-Upgrade::Allowed-Origins");
  const bool security_origin = std::any_of(origins.begin(), origins.end(), IsSecurityOrigin) ||
                               std::any_of(allowed.begin(), allowed.end(), IsSecurityOrigin);
  obs.facts = {{"tool", "unattended-upgrades"},
               {"installed", installed},
               {"update_package_lists", conf->Get("APT::Periodic::Update-Package-Lists", "0")},
               {"unattended_upgrade", conf->Get("APT::Periodic::Unattended-Upgrade", "0")},
               {"origins_pattern", origins},
               {"allowed_origins", allowed},
               {"security_origin", security_origin},
               {"timer_masked",
                Masked(ctx.env, "apt-daily-upgrade.timer") || Masked(ctx.env, "apt-daily.timer")},
               {"periodic_enable", conf->Get("APT::Periodic::Enable", "1")},
               {"config_files", files}};
  for (const std::string& f : files) {
    if (auto a = ArtifactOf(ctx.env, f); a.ok()) obs.artifacts.push_back(std::move(a).value());
  }
  const std::vector<std::string> missing = Missing(obs.facts);
  obs.verdict = missing.empty() ? Verdict::kPass : Verdict::kFail;
  obs.message = missing.empty() ? "unattended-upgrades installs security updates automatically"
                                : platform::Join(missing, "; ");
  return obs;
}

using AutoUpdatesCollector = DpkgOrRpmCollector<kCheck, DebianAutoUpdates, RpmAutoUpdates>;

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, AutoUpdatesCollector);

}  // namespace shoko::collectors::patch
