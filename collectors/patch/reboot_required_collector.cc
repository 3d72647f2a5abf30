// patch.reboot_required: whether installed fixes are running — the running
// kernel against the newest installed one, and the distribution's
// reboot-required marker (Debian family; rpm_update_state.h for RPM).
#include <algorithm>
#include <optional>

#include "collectors/collector.h"
#include "collectors/common/lines.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_update_state.h"
#include "collectors/patch/version_order.h"
#include "platform/strings.h"

namespace shoko::collectors::patch {
namespace {

constexpr const char* kCheck = kRebootRequiredCheck;
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

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

// The installed kernels and the newest of them by package version.
struct Kernels {
  std::map<std::string, std::string> installed;  // release → package version
  std::optional<InstalledPackage> newest;
  std::string NewestRelease() const { return newest ? *KernelRelease(newest->name) : ""; }
};

Kernels InstalledKernels(const std::vector<InstalledPackage>& packages) {
  Kernels k;
  std::optional<DebVersion> newest_version;
  for (const InstalledPackage& p : packages) {
    auto release = KernelRelease(p.name);
    if (!release || p.state != "installed") continue;
    k.installed[*release] = p.version;
    auto v = ParseDebVersion(p.version);
    if (!v.ok()) continue;
    if (!k.newest || CompareDebVersions(*v, *newest_version) > 0) {
      k.newest = p;
      newest_version = *v;
    }
  }
  return k;
}

// The distribution's marker, written by packages' postinst scripts, and the
// packages it names (each once).
std::optional<std::string> Marker(const platform::Env& env, std::vector<std::string>* packages) {
  auto m = env.ReadFile("/run/reboot-required", 65536);
  if (!m.ok()) return std::nullopt;
  if (auto pkgs = env.ReadFile("/run/reboot-required.pkgs", 1 << 20); pkgs.ok()) {
    Lines lines(*pkgs);
    for (std::string_view raw; lines.Next(&raw);) {
      const std::string line(platform::Trim(raw));
      if (!line.empty() && std::find(packages->begin(), packages->end(), line) == packages->end()) {
        packages->push_back(line);
      }
    }
  }
  return std::string(platform::Trim(*m));
}

// Whether `running` is older than the newest installed kernel: by package
// version when the running kernel is still installed, else by the release
// strings themselves (6.1.0-25 < 6.1.0-26).
bool KernelBehind(const Kernels& k, const std::optional<std::string>& running) {
  if (!k.newest || !running || *running == k.NewestRelease()) return false;
  auto it = k.installed.find(*running);
  auto running_version = ParseDebVersion(it != k.installed.end() ? it->second : *running);
  auto newest = ParseDebVersion(it != k.installed.end() ? k.newest->version : k.NewestRelease());
  return !running_version.ok() || !newest.ok() || CompareDebVersions(*running_version, *newest) < 0;
}

void Judge(const Kernels& k, const Result<std::string>& running_text,
           const std::optional<std::string>& running, const std::optional<std::string>& marker,
           Observation* obs) {
  const bool behind = KernelBehind(k, running);
  if (behind || marker) {
    obs->verdict = Verdict::kFail;
    obs->message = behind ? "running kernel " + *running + " is older than the newest installed, " +
                                k.NewestRelease()
                          : "the distribution asks for a reboot (/run/reboot-required)";
    if (behind && marker) obs->message += "; /run/reboot-required is present too";
  } else if (!k.newest) {
    obs->verdict = Verdict::kNotApplicable;
    obs->message =
        "no kernel package installed (a container runs its host's kernel) and no "
        "reboot-required marker";
  } else if (!running) {
    obs->verdict = Verdict::kError;
    obs->message = "cannot read the running kernel: " + running_text.status().message();
  } else {
    obs->verdict = Verdict::kPass;
    obs->message = "running the newest installed kernel, " + *running;
  }
}

Observation DebianRebootRequired(const CollectContext& ctx,
                                 const std::vector<InstalledPackage>& packages) {
  Observation obs;
  obs.check_id = kCheck;
  const Kernels kernels = InstalledKernels(packages);
  auto running_text = ctx.env.ReadFile("/proc/sys/kernel/osrelease", 4096);
  std::optional<std::string> running;
  if (running_text.ok()) running = std::string(platform::Trim(*running_text));
  std::vector<std::string> marker_packages;
  const std::optional<std::string> marker = Marker(ctx.env, &marker_packages);
  obs.facts = {{"running", running ? nlohmann::json(*running) : nlohmann::json(nullptr)},
               {"newest_installed",
                kernels.newest ? nlohmann::json(kernels.NewestRelease()) : nlohmann::json(nullptr)},
               {"installed_kernels", kernels.installed},
               {"marker", marker ? nlohmann::json(*marker) : nlohmann::json(nullptr)},
               {"marker_packages", marker_packages}};
  Judge(kernels, running_text, running, marker, &obs);
  if (auto db = ReadDpkgDatabase(ctx.env); db.ok() && !(*db)->artifact.path.empty()) {
    obs.artifacts.push_back((*db)->artifact);
  }
  if (marker) {
    if (auto a = ArtifactOf(ctx.env, "/run/reboot-required"); a.ok()) {
      obs.artifacts.push_back(std::move(a).value());
    }
  }
  return obs;
}

using RebootRequiredCollector = DpkgOrRpmCollector<kCheck, DebianRebootRequired, RpmRebootRequired>;

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, RebootRequiredCollector);

}  // namespace shoko::collectors::patch
