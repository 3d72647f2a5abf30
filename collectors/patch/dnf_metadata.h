// dnf's cached repository metadata (RHEL family): which enabled repositories
// a root has, and for each the primary package list and the updateinfo
// advisories that dnf downloaded into /var/cache/dnf. Read with expat as a
// stream, so a 30 MB primary.xml costs no more memory than the installed
// packages it is matched against.
#ifndef SHOKO_COLLECTORS_PATCH_DNF_METADATA_H_
#define SHOKO_COLLECTORS_PATCH_DNF_METADATA_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/helper.h"
#include "collectors/patch/version_order.h"
#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::patch {

// A repository from /etc/yum.repos.d/*.repo and where its metadata is cached.
struct DnfRepo {
  std::string id;
  bool enabled = true;
  std::string defined_in;  // FILE:LINE of its [id] section
  std::string cache_dir;   // /var/cache/dnf/ID-HASH, or "" when never downloaded
  // Package name globs dnf hides from this repository: its excludepkgs (or
  // exclude) with dnf.conf's [main] ones; and, when set, the only names it shows.
  std::vector<std::string> exclude;
  std::vector<std::string> include;

  // Whether dnf would consider package `name` from this repository.
  bool Offers(const std::string& name) const;
};

// The repositories defined under /etc/yum.repos.d, in file order, with
// /etc/dnf/dnf.conf's global excludes. Errors name
// the file and line of a line that is neither a section, a key = value pair,
// a comment nor blank.
Result<std::vector<DnfRepo>> LoadDnfRepos(const platform::Env& env);

// What repomd.xml points at: "primary", "updateinfo" → location href.
Result<std::map<std::string, std::string>> ParseRepomd(std::string_view xml, std::string_view file);

// A package entry of primary.xml.
struct RepoPackage {
  std::string name;
  std::string arch;
  RpmEvr evr;
};
// The parsers below take the file as stored: XML, or XML compressed with gzip,
// xz or zstd, decompressed as it is parsed.
//
// Calls `keep` for each package of primary.xml `xml` and collects those it
// accepts. Errors name `file` and the line where the XML breaks.
Result<std::vector<RepoPackage>> ParsePrimary(std::string_view xml, std::string_view file,
                                              const std::function<bool(const std::string&)>& keep);

// One advisory of updateinfo.xml and the packages it fixes.
struct Advisory {
  std::string id;
  std::string type;      // security, bugfix, enhancement, newpackage
  std::string severity;  // Critical, Important, Moderate, Low, or ""
  std::vector<RepoPackage> packages;
};
Result<std::vector<Advisory>> ParseUpdateinfo(std::string_view xml, std::string_view file);

// Module streams from modules.yaml: each stream's rpm artifacts (NEVRAs,
// NAME-EPOCH:VERSION-RELEASE.ARCH) and each module's default stream.
struct ModuleIndex {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> artifacts;
  std::map<std::string, std::string> defaults;
};
// Adds the modulemd and modulemd-defaults documents of `yaml`; errors name
// `file` and the line.
Status ParseModulesYaml(std::string_view yaml, std::string_view file, ModuleIndex* index);

// dnf's modular filtering: a package of a module stream is offered only when
// that stream is active (enabled in /etc/dnf/modules.d, or the module's
// default when it has no state); a package outside modules is hidden when an
// active stream ships a package of the same name.
class ModuleFilter {
 public:
  static Result<ModuleFilter> For(const ModuleIndex& index, const platform::Env& env);
  bool Allows(const RepoPackage& p) const;

 private:
  std::set<std::string> modular_, active_, active_names_;
};

// Helper "dnf-upgradable" (collectors/helper.h): the packages installed under
// `root` (read with librpm) for which an enabled repository's cached metadata
// holds a newer version of the same name and architecture, as JSON in the
// apt-upgradable helper's format plus each update's advisories. A candidate is
// a security update when a security advisory lists a version of it newer than
// the installed one and no newer than the candidate.
Result<std::string> DnfUpgradableJson(const collectors::HelperRoot& root);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_DNF_METADATA_H_
