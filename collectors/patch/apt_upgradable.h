// What `apt list --upgradable` would list for a host tree, computed with
// libapt-pkg itself (apt's own library), so that pinning, backports suites
// (NotAutomatic/ButAutomaticUpgrades), phased updates, multi-arch and
// compressed index files are decided exactly as apt decides them.
#ifndef SHOKO_COLLECTORS_PATCH_APT_UPGRADABLE_H_
#define SHOKO_COLLECTORS_PATCH_APT_UPGRADABLE_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collectors/helper.h"
#include "platform/status.h"

namespace shoko::collectors::patch {

struct PendingUpdate {
  std::string name;
  std::string arch;
  std::string installed;
  std::string candidate;
  // The candidate comes from a security suite (suite or codename ending in
  // "-security", or label "Debian-Security").
  bool security = false;
  std::vector<std::string> suites;      // as `apt list` prints them; dnf: repository ids
  std::vector<std::string> advisories;  // dnf: the advisories the update fixes
};

// Helper "apt-upgradable" (collectors/helper.h): the upgradable packages of the
// tree at `root` as JSON {"upgradable": [...], "warnings": [...]}, sorted like
// apt's listing. For a root other than "/", the root's own apt configuration
// (ROOT/etc/apt/apt.conf.d) and its dpkg architectures apply. Builds apt's cache
// in memory and writes nothing: no pkgcache.bin, no lock. For a foreign root
// the native architecture is its dpkg package's.
Result<std::string> AptUpgradableJson(const collectors::HelperRoot& root);

// The list in `AptUpgradableJson`'s answer.
Result<std::vector<PendingUpdate>> ParseAptUpgradable(const std::string& json,
                                                      std::vector<std::string>* warnings);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_APT_UPGRADABLE_H_
