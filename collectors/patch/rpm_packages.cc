#include "collectors/patch/rpm_packages.h"

#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "collectors/helper.h"

namespace shoko::collectors::patch {
namespace {

// Where rpm keeps its database, newest convention first, and which backend
// each file name belongs to.
constexpr const char* kDbPaths[] = {"/usr/lib/sysimage/rpm", "/var/lib/rpm"};
struct Backend {
  const char* file;
  const char* backend;
};
constexpr Backend kBackends[] = {
    {"rpmdb.sqlite", "sqlite"}, {"Packages", "bdb_ro"}, {"Packages.db", "ndb"}};

std::string Str(const char* s) { return s == nullptr ? "" : s; }

}  // namespace

std::string RpmPackage::Evr() const {
  return (epoch ? *epoch + ":" : "") + version + "-" + release;
}

std::optional<RpmDbLocation> FindRpmDatabase(const platform::Env& env) {
  for (const char* dir : kDbPaths) {
    for (const Backend& b : kBackends) {
      const std::string file = std::string(dir) + "/" + b.file;
      auto info = env.Stat(file);
      if (info.ok() && info->type == platform::FileInfo::Type::kRegular) {
        return RpmDbLocation{dir, b.backend, file};
      }
    }
  }
  return std::nullopt;
}

void InitRpmConfiguration() {
  static const bool done = [] {
    rpmlogSetMask(RPMLOG_UPTO(RPMLOG_ERR));
    return rpmReadConfigFiles(nullptr, nullptr) == 0;
  }();
  (void)done;
}

Result<std::string> RpmPackagesJson(const collectors::HelperRoot& tree) {
  const std::string& root = tree.path;
  auto env = platform::NewRootedEnv(root);
  if (!env.ok()) return env.status();
  auto where = FindRpmDatabase(**env);
  if (!where) return Status::NotFound("no rpm database under " + root);
  if (where->backend == "ndb") {
    return Status::NotSupported(where->file +
                                ": rpm's ndb format, which Debian's librpm cannot read");
  }
  if (tree.foreign) {
    // librpm opens the database by path: it must not lead out of the tree.
    for (const std::string& p : {where->dbpath, where->file}) {
      if (Status s = collectors::ResolvesInside(root, root + p); !s.ok()) return s;
    }
  }
  InitRpmConfiguration();
  // The root's database, whatever this host's rpm would use (Debian's rpm
  // keeps a per-user ~/.rpmdb).
  rpmPushMacro(nullptr, "_dbpath", nullptr, where->dbpath.c_str(), RMIL_CMDLINE);
  rpmPushMacro(nullptr, "_db_backend", nullptr, where->backend.c_str(), RMIL_CMDLINE);
  rpmts ts = rpmtsCreate();
  if (rpmtsSetRootDir(ts, root == "/" ? nullptr : root.c_str()) != 0) {
    rpmtsFree(ts);
    return Status::InvalidArgument("librpm refuses root " + root);
  }
  rpmdbMatchIterator it = rpmtsInitIterator(ts, RPMDBI_PACKAGES, nullptr, 0);
  if (it == nullptr) {
    rpmtsFree(ts);
    return Status::Unavailable("cannot open the rpm database " + where->file + " under " + root);
  }
  nlohmann::json packages = nlohmann::json::array();
  while (Header h = rpmdbNextIterator(it)) {
    const std::string name = Str(headerGetString(h, RPMTAG_NAME));
    if (name == "gpg-pubkey") continue;  // imported signing keys, not software
    nlohmann::json p = {{"name", name},
                        {"version", Str(headerGetString(h, RPMTAG_VERSION))},
                        {"release", Str(headerGetString(h, RPMTAG_RELEASE))},
                        {"arch", Str(headerGetString(h, RPMTAG_ARCH))},
                        {"source_rpm", Str(headerGetString(h, RPMTAG_SOURCERPM))},
                        {"install_time", headerGetNumber(h, RPMTAG_INSTALLTIME)}};
    if (headerIsEntry(h, RPMTAG_EPOCH))
      p["epoch"] = std::to_string(headerGetNumber(h, RPMTAG_EPOCH));
    packages.push_back(std::move(p));
  }
  rpmdbFreeIterator(it);
  rpmtsFree(ts);
  return nlohmann::json({{"packages", std::move(packages)}, {"database", where->file}}).dump();
}

Result<std::vector<RpmPackage>> ParseRpmPackagesJson(const std::string& json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("packages") || !doc["packages"].is_array()) {
    return Status::Corruption("the rpm-packages helper's answer is not its JSON document");
  }
  std::vector<RpmPackage> out;
  for (const auto& p : doc["packages"]) {
    if (!p.is_object()) return Status::Corruption("rpm-packages: entry is not an object");
    RpmPackage r;
    r.name = p.value("name", "");
    if (p.contains("epoch") && p["epoch"].is_string()) r.epoch = p["epoch"].get<std::string>();
    r.version = p.value("version", "");
    r.release = p.value("release", "");
    r.arch = p.value("arch", "");
    r.source_rpm = p.value("source_rpm", "");
    r.install_time = p.value("install_time", int64_t{0});
    if (r.name.empty() || r.version.empty()) {
      return Status::Corruption("rpm-packages: entry without name or version");
    }
    out.push_back(std::move(r));
  }
  return out;
}

SHOKO_REGISTER_HELPER("rpm-packages", RpmPackagesJson);

}  // namespace shoko::collectors::patch
