// patch.packages: every installed package, from the package manager's own
// database (design §3; CM-8 inventory).
#include <algorithm>

#include "collectors/collector.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/patch_common.h"

namespace shoko::collectors::patch {
namespace {

constexpr char kCheck[] = "patch.packages";

class PackagesCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    PackageManager manager = DetectPackageManager(ctx.env);
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
                 {"digest", Sha256Hex(canonical)},
                 {"packages", std::move(list)}};
    if (!(*db)->artifact.path.empty()) obs.artifacts.push_back((*db)->artifact);
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kCheck, PackagesCollector);

}  // namespace shoko::collectors::patch
