// patch.packages: every installed package, from the package manager's own
// database (CM-8 inventory).
#include <algorithm>

#include "collectors/collector.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_packages.h"
#include "platform/digest.h"

namespace shoko::collectors::patch {
namespace {

constexpr char kCheck[] = "patch.packages";

// "openssl-3.0.7-24.el9.src.rpm" → "openssl".
std::string SourceName(const std::string& source_rpm) {
  std::string s = source_rpm;
  for (const char* suffix : {".src.rpm", ".nosrc.rpm"}) {
    if (s.ends_with(suffix)) s.resize(s.size() - std::string_view(suffix).size());
  }
  for (int dash = 0; dash < 2; ++dash) {
    size_t at = s.rfind('-');
    if (at == std::string::npos || at == 0) return "";
    s.resize(at);
  }
  return s;
}

Observation CollectRpm(const CollectContext& ctx) {
  Observation obs;
  obs.check_id = kCheck;
  auto where = FindRpmDatabase(ctx.env);
  if (!where) return ErrorRecord(kCheck, Status::NotFound("the rpm database disappeared"));
  // In sqlite's WAL mode recent changes live in the -wal file.
  std::string inputs =
      FileIdentity(ctx.env, where->file) + FileIdentity(ctx.env, where->file + "-wal");
  auto answer = CachedHelperAnswer(ctx, kCheck, "rpm-packages", inputs);
  if (!answer.ok()) return ErrorRecord(kCheck, answer.status().WithContext("rpm"));
  auto packages = ParseRpmPackagesJson(*answer);
  if (!packages.ok()) {
    ForgetHelperAnswer(ctx, kCheck);
    return ErrorRecord(kCheck, packages.status());
  }
  std::sort(packages->begin(), packages->end(), [](const RpmPackage& a, const RpmPackage& b) {
    return std::tie(a.name, a.arch, a.version, a.release) <
           std::tie(b.name, b.arch, b.version, b.release);
  });
  nlohmann::json list = nlohmann::json::array();
  std::string canonical;
  for (const RpmPackage& p : *packages) {
    nlohmann::json entry = {{"name", p.name},
                            {"version", p.Evr()},
                            {"arch", p.arch},
                            {"source", SourceName(p.source_rpm)},
                            {"source_rpm", p.source_rpm}};
    list.push_back(std::move(entry));
    canonical += p.name + ' ' + p.arch + ' ' + p.Evr() + '\n';
  }
  obs.verdict = Verdict::kInfo;
  obs.message = std::to_string(packages->size()) + " packages installed (rpm)";
  obs.facts = {{"manager", "rpm"},
               {"database", where->file},
               {"count", packages->size()},
               {"digest", platform::Sha256Hex(canonical)},
               {"packages", std::move(list)}};
  if (auto a = ArtifactOf(ctx.env, where->file); a.ok())
    obs.artifacts.push_back(std::move(a).value());
  return obs;
}

const CollectorDeclaration kDeclaration = InfoObservation(kCheck);

class PackagesCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    PackageManager manager = DetectPackageManager(ctx.env);
    if (manager == PackageManager::kRpm) return {CollectRpm(ctx)};
    if (manager != PackageManager::kDpkg) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message = NoDpkgReason(ctx.env, manager);
      return {obs};
    }
    auto db = ReadDpkgDatabase(ctx.env);
    if (!db.ok()) return {ErrorRecord(kCheck, db.status())};
    std::vector<const InstalledPackage*> packages;
    for (const InstalledPackage& p : (*db)->packages) packages.push_back(&p);
    std::sort(packages.begin(), packages.end(), [](const auto* a, const auto* b) {
      return std::tie(a->name, a->arch) < std::tie(b->name, b->arch);
    });
    nlohmann::json list = nlohmann::json::array();
    std::string canonical;  // what the digest covers: one "name arch version" line each
    for (const InstalledPackage* pp : packages) {
      const InstalledPackage& p = *pp;
      nlohmann::json entry = {
          {"name", p.name}, {"version", p.version}, {"arch", p.arch}, {"source", p.source}};
      if (!p.source_version.empty()) entry["source_version"] = p.source_version;
      if (p.state != "installed") entry["state"] = p.state;
      list.push_back(std::move(entry));
      canonical += p.name + ' ' + p.arch + ' ' + p.version + '\n';
    }
    obs.verdict = Verdict::kInfo;
    obs.message = std::to_string(packages.size()) + " packages installed (dpkg)";
    obs.facts = {{"manager", "dpkg"},
                 {"count", packages.size()},
                 {"digest", platform::Sha256Hex(canonical)},
                 {"packages", std::move(list)}};
    if (!(*db)->artifact.path.empty()) obs.artifacts.push_back((*db)->artifact);
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, PackagesCollector);

}  // namespace shoko::collectors::patch
