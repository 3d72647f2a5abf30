// journald's effective settings and what its journal actually holds.
#ifndef SHOKO_COLLECTORS_LOGS_JOURNALD_H_
#define SHOKO_COLLECTORS_LOGS_JOURNALD_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::logs {

struct JournaldSettings {
  // Key → value after every file, for the keys set anywhere ([Journal] only).
  std::map<std::string, std::string> values;
  // Key → the FILE:LINE that set it last.
  std::map<std::string, std::string> origins;
  std::vector<std::string> files;  // in the order applied
};

// journald.conf as systemd reads it: the first main file of /etc, /run,
// /usr/local/lib and /usr/lib (systemd/journald.conf), then every
// journald.conf.d/*.conf drop-in of those directories, a name in an earlier
// directory hiding the same name in later ones (and /dev/null masking it),
// applied in name order. An empty assignment resets a key. Errors name file
// and line.
Result<JournaldSettings> LoadJournaldSettings(const platform::Env& env);

// systemd's time spans ("1month", "2w", "36h", "0") in seconds; 0 is "no
// limit" for MaxRetentionSec.
std::optional<double> ParseTimespanSeconds(const std::string& text);

// The realtime timestamps (µs since the epoch) of the oldest and newest
// entries in the journal directory `dir` (a real path); nothing when it holds
// no entries. Uses libsystemd's sd-journal.
struct JournalSpan {
  int64_t oldest_us = 0;
  int64_t newest_us = 0;
};
Result<std::optional<JournalSpan>> ReadJournalSpan(const std::string& dir);

}  // namespace shoko::collectors::logs

#endif  // SHOKO_COLLECTORS_LOGS_JOURNALD_H_
