// logrotate's configuration as logrotate 3.21 reads it: /etc/logrotate.conf,
// `include` of files and directories, global directives that later blocks
// inherit, and per-path blocks that override them.
#ifndef SHOKO_COLLECTORS_LOGS_LOGROTATE_CONFIG_H_
#define SHOKO_COLLECTORS_LOGS_LOGROTATE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::logs {

// The effective policy of one block.
struct LogrotatePolicy {
  std::vector<std::string> patterns;  // paths or globs, unquoted
  // hourly, daily, weekly, monthly, yearly; or "size" when rotation is by size
  // only (logrotate's default without a frequency is 1 MiB).
  std::string frequency = "size";
  int rotate = 0;
  std::optional<uint64_t> size;     // rotate when larger (replaces the frequency)
  std::optional<uint64_t> maxsize;  // also rotate when larger, before the time
  std::optional<uint64_t> minsize;
  std::optional<int> maxage;  // days
  bool compress = false;
  bool missingok = false;
  std::string olddir;
  std::string file;  // where the block is
  int line = 0;
};

struct LogrotateConfig {
  std::vector<LogrotatePolicy> policies;
  std::vector<std::string> files;     // every file read, in order
  std::vector<std::string> warnings;  // what logrotate would warn about and ignore
};

// Parses `main` (normally /etc/logrotate.conf) and what it includes, through
// `env`. Errors are the ones logrotate refuses a configuration for, naming
// file and line: a bad count or size, an unclosed block or script, an
// include loop.
Result<LogrotateConfig> LoadLogrotateConfig(const platform::Env& env, const std::string& main);

// Days of history the policy guarantees: rotate × the period (hourly 1/24,
// daily 1, weekly 7, monthly 28 — the shortest month — and yearly 365),
// capped by maxage. Nothing when rotation is by size, which makes it depend
// on how fast the log grows; `why` says so.
std::optional<double> RetentionDays(const LogrotatePolicy& p, std::string* why);

}  // namespace shoko::collectors::logs

#endif  // SHOKO_COLLECTORS_LOGS_LOGROTATE_CONFIG_H_
