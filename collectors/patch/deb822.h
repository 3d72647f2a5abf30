// Debian control-file syntax (deb822), as in /var/lib/dpkg/status, apt's
// history.log and Release files: stanzas separated by blank lines, "Field:
// value" lines, and continuation lines that start with a space or a tab.
#ifndef SHOKO_COLLECTORS_PATCH_DEB822_H_
#define SHOKO_COLLECTORS_PATCH_DEB822_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/status.h"

namespace shoko::collectors::patch {

struct Deb822Stanza {
  int line = 0;  // 1-based line of the stanza's first field
  // Fields in file order; continuation lines are joined to the value with '\n'.
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of `name` (field names are case-insensitive), or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
};

// Parses `text`; `file` names it in errors, which give the line, e.g.
// "/var/lib/dpkg/status:12: line is neither a field nor a continuation".
// Comment lines starting with '#' are skipped, as in Release-style files.
Result<std::vector<Deb822Stanza>> ParseDeb822(std::string_view text, std::string_view file);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_DEB822_H_
