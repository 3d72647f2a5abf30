#include "collectors/patch/apt_upgradable.h"

#include <apt-pkg/aptconfiguration.h>
#include <apt-pkg/cachefile.h>
#include <apt-pkg/configuration.h>
#include <apt-pkg/depcache.h>
#include <apt-pkg/error.h>
#include <apt-pkg/init.h>
#include <apt-pkg/pkgcache.h>
#include <apt-pkg/pkgsystem.h>
#include <apt-pkg/strutl.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "collectors/helper.h"
#include "collectors/patch/dpkg_status.h"

namespace shoko::collectors::patch {
namespace {

std::string Str(const char* s) { return s == nullptr ? "" : s; }

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool FromSecuritySuite(pkgCache::VerIterator version) {
  for (auto vf = version.FileList(); !vf.end(); ++vf) {
    pkgCache::PkgFileIterator file = vf.File();
    if (file.end() || file.Flagged(pkgCache::Flag::NotSource)) continue;  // dpkg's status file
    if (EndsWith(Str(file.Archive()), "-security") || EndsWith(Str(file.Codename()), "-security") ||
        Str(file.Label()) == "Debian-Security") {
      return true;
    }
  }
  return false;
}

// apt's GetArchiveSuite(): each file's suite, "unknown" without a Release file.
std::vector<std::string> Suites(pkgCache::VerIterator version) {
  std::vector<std::string> suites;
  for (auto vf = version.FileList(); !vf.end(); ++vf) {
    pkgCache::PkgFileIterator file = vf.File();
    suites.push_back(file.end() || file.Archive() == nullptr ? "unknown" : file.Archive());
  }
  return suites;
}

// Drains libapt's error stack into `out`; true if any of them was an error.
bool TakeMessages(std::vector<std::string>* out) {
  bool had_error = false;
  while (!_error->empty()) {
    std::string message;
    bool is_error = _error->PopMessage(message);
    had_error = had_error || is_error;
    out->push_back(message);
  }
  return had_error;
}

std::string JoinMessages(const std::vector<std::string>& messages) {
  std::string text;
  for (const std::string& m : messages) text += (text.empty() ? "" : "; ") + m;
  return text.empty() ? "unknown libapt-pkg error" : text;
}

// The root's native architecture: that of its dpkg package (an image need not
// be of this machine's architecture); empty when the status file does not say.
std::string NativeArchitecture(const std::string& status_path) {
  std::ifstream in(status_path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto packages = ParseDpkgStatus(text, status_path);
  if (!packages.ok()) return "";
  for (const InstalledPackage& p : *packages) {
    if (p.name == "dpkg" && !p.arch.empty() && p.arch != "all") return p.arch;
  }
  return "";
}

// Every path in `paths` (that is set) resolves inside `root`.
Status AllInside(const std::string& root, const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (p.empty()) continue;
    if (Status s = collectors::ResolvesInside(root, p); !s.ok()) {
      return s.WithContext("apt-upgradable");
    }
  }
  return Status::OK();
}

// What pkgInitConfig reads first, in a foreign tree: apt.conf and apt.conf.d.
Status CheckConfigPaths(const std::string& root, const std::string& prefix) {
  std::vector<std::string> paths = {prefix + "/etc/apt", prefix + "/etc/apt/apt.conf",
                                    prefix + "/etc/apt/apt.conf.d"};
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(prefix + "/etc/apt/apt.conf.d", ec)) {
    paths.push_back(e.path().string());
  }
  return AllInside(root, paths);
}

// libapt-pkg opens these by path, following symlinks with the kernel's
// lookup, and an apt.conf.d entry may name absolute paths: everything it
// will read must stay inside a foreign tree.
Status CheckStatePaths(const std::string& root) {
  std::vector<std::string> paths = {_config->FindFile("Dir::State::status"),
                                    _config->FindFile("Dir::Etc::sourcelist"),
                                    _config->FindFile("Dir::Etc::preferences")};
  for (const char* dir : {"Dir::State::Lists", "Dir::Etc::sourceparts",
                          "Dir::Etc::preferencesparts", "Dir::Etc::parts"}) {
    const std::string d = _config->FindDir(dir);
    paths.push_back(d);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(d, ec)) {
      paths.push_back(entry.path().string());
    }
  }
  return AllInside(root, paths);
}

// A foreign tree's own architectures (else apt asks the running system's dpkg).
void SetForeignArchitectures(const std::string& prefix) {
  if (_config->Exists("APT::Architectures")) return;
  if (std::string native = NativeArchitecture(prefix + "/var/lib/dpkg/status"); !native.empty()) {
    _config->Set("APT::Architecture", native);
  }
  std::vector<std::string> archs = {_config->Find("APT::Architecture")};
  std::ifstream arch_file(prefix + "/var/lib/dpkg/arch");
  for (std::string line; std::getline(arch_file, line);) {
    if (!line.empty() && line != archs.front()) archs.push_back(line);
  }
  for (const std::string& a : archs) _config->Set("APT::Architectures::", a);
}

// libapt-pkg's configuration and system for the tree at `where`.
Status InitApt(const collectors::HelperRoot& where, std::vector<std::string>* messages) {
  const std::string& root = where.path;
  const std::string prefix = root == "/" ? "" : root;
  // libapt-pkg keeps its configuration in globals: start from a clean one, so
  // that a second call in one process (tests) sees only its own root.
  delete _config;
  _config = new Configuration();
  _error->Discard();
  if (where.foreign) SHOKO_RETURN_IF_ERROR(CheckConfigPaths(root, prefix));
  if (root != "/")
    _config->Set("Dir", root);  // before pkgInitConfig: the root's apt.conf.d applies
  if (!pkgInitConfig(*_config)) {
    TakeMessages(messages);
    return Status::Internal("libapt-pkg configuration: " + JoinMessages(*messages));
  }
  // Build the cache in memory: never write pkgcache.bin into a host or a root.
  _config->Set("Dir::Cache::pkgcache", "");
  _config->Set("Dir::Cache::srcpkgcache", "");
  if (where.foreign) SetForeignArchitectures(prefix);
  if (!pkgInitSystem(*_config, _system)) {
    TakeMessages(messages);
    return Status::Internal("libapt-pkg system: " + JoinMessages(*messages));
  }
  APT::Configuration::getArchitectures(false);  // refresh libapt's cached list
  if (where.foreign) SHOKO_RETURN_IF_ERROR(CheckStatePaths(root));
  return Status::OK();
}

}  // namespace

Result<std::string> AptUpgradableJson(const collectors::HelperRoot& where) {
  const std::string& root = where.path;
  if (root.empty() || root[0] != '/') {
    return Status::InvalidArgument("apt-upgradable: root must be an absolute path, not '" + root +
                                   "'");
  }
  std::vector<std::string> messages;
  SHOKO_RETURN_IF_ERROR(InitApt(where, &messages));
  pkgCacheFile cache;
  pkgDepCache* depcache = cache.GetDepCache();
  if (depcache == nullptr || _error->PendingError()) {
    TakeMessages(&messages);
    return Status::Unavailable("cannot read apt's package lists and dpkg status under " + root +
                               ": " + JoinMessages(messages));
  }
  // apt list --upgradable: installed packages whose candidate is newer
  // (apt-private/private-cacheset.cc), listed by full name.
  std::map<std::string, nlohmann::json> listed;
  for (auto pkg = cache->PkgBegin(); !pkg.end(); ++pkg) {
    if (pkg->VersionList == 0 || pkg->CurrentVer == 0) continue;
    pkgDepCache::StateCache& state = (*depcache)[pkg];
    if (!state.Upgradable()) continue;
    pkgCache::VerIterator candidate = state.CandidateVerIter(*depcache);
    pkgCache::VerIterator current = pkg.CurrentVer();
    listed[pkg.FullName()] = {{"name", pkg.Name()},
                              {"arch", Str(current.Arch())},
                              {"installed", Str(current.VerStr())},
                              {"candidate", Str(candidate.VerStr())},
                              {"security", FromSecuritySuite(candidate)},
                              {"suites", Suites(candidate)}};
  }
  TakeMessages(&messages);
  nlohmann::json out = {{"upgradable", nlohmann::json::array()}, {"warnings", messages}};
  for (auto& [full_name, entry] : listed) out["upgradable"].push_back(std::move(entry));
  return out.dump();
}

Result<std::vector<PendingUpdate>> ParseAptUpgradable(const std::string& json,
                                                      std::vector<std::string>* warnings) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("upgradable") || !doc["upgradable"].is_array()) {
    return Status::Corruption("the apt-upgradable helper's answer is not its JSON document");
  }
  std::vector<PendingUpdate> updates;
  for (const auto& e : doc["upgradable"]) {
    if (!e.is_object()) return Status::Corruption("apt-upgradable: entry is not an object");
    PendingUpdate u;
    u.name = e.value("name", "");
    u.arch = e.value("arch", "");
    u.installed = e.value("installed", "");
    u.candidate = e.value("candidate", "");
    u.security = e.value("security", false);
    if (e.contains("suites") && e["suites"].is_array()) {
      for (const auto& s : e["suites"]) {
        if (s.is_string()) u.suites.push_back(s.get<std::string>());
      }
    }
    if (e.contains("advisories") && e["advisories"].is_array()) {
      for (const auto& a : e["advisories"]) {
        if (a.is_object() && a.contains("id") && a["id"].is_string()) {
          u.advisories.push_back(a["id"].get<std::string>());
        }
      }
    }
    if (u.name.empty() || u.candidate.empty()) {
      return Status::Corruption("apt-upgradable: entry without name or candidate");
    }
    updates.push_back(std::move(u));
  }
  if (warnings != nullptr && doc.contains("warnings") && doc["warnings"].is_array()) {
    for (const auto& w : doc["warnings"]) {
      if (w.is_string()) warnings->push_back(w.get<std::string>());
    }
  }
  return updates;
}

SHOKO_REGISTER_HELPER("apt-upgradable", AptUpgradableJson);

}  // namespace shoko::collectors::patch
