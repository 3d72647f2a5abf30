// The effective sshd configuration of a host: sshd_config with its Includes,
// first value wins, Match blocks kept apart, OpenSSH's defaults for the rest.
#ifndef SHOKO_COLLECTORS_ACCESS_SSHD_CONFIG_H_
#define SHOKO_COLLECTORS_ACCESS_SSHD_CONFIG_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "platform/env.h"

namespace shoko::collectors::access {

inline constexpr char kSshdConfigPath[] = "/etc/ssh/sshd_config";

struct SshdMatchBlock {
  std::string criteria;  // the Match line's arguments, as written
  std::string file;
  int line = 0;
  nlohmann::json overrides = nlohmann::json::object();  // keyword → value
};

struct SshdConfig {
  // Global settings as `sshd -T` prints them: lower-case keywords; values of
  // keywords that may repeat (AcceptEnv, HostKey…) are arrays, others strings.
  nlohmann::json effective = nlohmann::json::object();
  std::vector<SshdMatchBlock> match_blocks;
  std::vector<std::string> files;  // every file read, in reading order
};

// Reads `path` through `env`, following Include (globs, relative to /etc/ssh,
// at most 16 deep). Errors name the file and line at fault.
Result<SshdConfig> LoadSshdConfig(const platform::Env& env,
                                  const std::string& path = kSshdConfigPath);

// `value` spelled as `sshd -T` prints it for `keyword` (e.g. permitrootlogin
// prohibit-password → without-password, logingracetime 1m → 60).
std::string NormalizeSshdValue(const std::string& keyword, const std::string& value);

}  // namespace shoko::collectors::access

#endif  // SHOKO_COLLECTORS_ACCESS_SSHD_CONFIG_H_
