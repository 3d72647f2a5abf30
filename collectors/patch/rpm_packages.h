// The rpm database's list of packages, read with librpm itself (Debian's
// librpm-dev), so that every database format rpm reads is read the same way:
// sqlite (RHEL 9, Fedora) and Berkeley DB, read-only (RHEL 7 and 8).
#ifndef SHOKO_COLLECTORS_PATCH_RPM_PACKAGES_H_
#define SHOKO_COLLECTORS_PATCH_RPM_PACKAGES_H_

#include <optional>
#include <string>
#include <vector>

#include "collectors/helper.h"
#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::patch {

struct RpmPackage {
  std::string name;
  std::optional<std::string> epoch;  // absent when the header has none
  std::string version;
  std::string release;
  std::string arch;
  std::string source_rpm;    // e.g. openssl-3.0.7-24.el9.src.rpm
  int64_t install_time = 0;  // seconds since the epoch

  // "[E:]V-R" as rpm prints it with %{EVR}.
  std::string Evr() const;
};

// Where a root keeps its rpm database ("/var/lib/rpm" or
// "/usr/lib/sysimage/rpm") and which backend reads it; nothing when none.
struct RpmDbLocation {
  std::string dbpath;
  std::string backend;  // "sqlite", "bdb_ro" or "ndb"
  std::string file;     // the database file, for its identity and artifact
};
std::optional<RpmDbLocation> FindRpmDatabase(const platform::Env& env);

// Helper "rpm-packages" (collectors/helper.h): JSON {"packages": [...]} for
// the rpm database under `root`. librpm keeps global state and its own
// caches, hence a helper.
Result<std::string> RpmPackagesJson(const collectors::HelperRoot& root);

// librpm's own configuration, read once from the running system.
void InitRpmConfiguration();

Result<std::vector<RpmPackage>> ParseRpmPackagesJson(const std::string& json);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_RPM_PACKAGES_H_
