// When packages last changed, from apt's history.log and dpkg's dpkg.log.
#ifndef SHOKO_COLLECTORS_PATCH_UPDATE_LOGS_H_
#define SHOKO_COLLECTORS_PATCH_UPDATE_LOGS_H_

#include <optional>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace shoko::collectors::patch {

// One package change: when (as the log writes it, the host's local time),
// and what.
struct PackageChange {
  std::string when;     // "YYYY-MM-DD HH:MM:SS"
  std::string summary;  // apt's Commandline, or dpkg's "upgrade NAME OLD NEW"
  int line = 0;
};

// The last apt run in `text` (history.log) that installed, upgraded,
// reinstalled or downgraded packages; nothing when there is none. Errors name
// `file` and the line.
Result<std::optional<PackageChange>> LastAptChange(std::string_view text, std::string_view file);

// The last "install" or "upgrade" action in dpkg.log `text`. Lines that are
// not dpkg's are skipped, so a damaged log still yields its good part.
std::optional<PackageChange> LastDpkgChange(std::string_view text);

// Seconds since the epoch of "YYYY-MM-DD HH:MM:SS" read as local time, or
// nothing when it is not such a time.
std::optional<int64_t> LocalTimeToEpoch(std::string_view when);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_UPDATE_LOGS_H_
