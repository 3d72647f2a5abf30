// The dpkg database's list of packages (/var/lib/dpkg/status).
#ifndef SHOKO_COLLECTORS_PATCH_DPKG_STATUS_H_
#define SHOKO_COLLECTORS_PATCH_DPKG_STATUS_H_

#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::collectors::patch {

inline constexpr char kDpkgStatusPath[] = "/var/lib/dpkg/status";

struct InstalledPackage {
  std::string name;
  std::string version;
  std::string arch;
  std::string source;          // the source package; the package's own name when dpkg has none
  std::string source_version;  // empty when it equals `version`
  std::string state;           // dpkg's state: installed, unpacked, half-configured, ...
  int line = 0;                // where its stanza starts in the status file
};

// The packages whose files are on disk (every state but not-installed and
// config-files, which dpkg-query also lists), in file order. Errors name
// `file` and the line.
Result<std::vector<InstalledPackage>> ParseDpkgStatus(std::string_view text, std::string_view file);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_DPKG_STATUS_H_
