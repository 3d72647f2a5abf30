// sshd_config(5) text → directives. Pure: no file access, so it can be fuzzed.
//
// Follows OpenSSH 9.2's reader: a keyword (case-insensitive) is separated from
// its arguments by whitespace or one '='; arguments are split like argv_split()
// with double or single quotes and backslash escapes, and an argument starting
// with '#' ends the line.
#ifndef SHOKO_COLLECTORS_ACCESS_SSHD_CONFIG_PARSER_H_
#define SHOKO_COLLECTORS_ACCESS_SSHD_CONFIG_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::collectors::access {

struct SshdDirective {
  std::string keyword;  // lower-case
  std::vector<std::string> args;
  int line = 0;  // 1-based
};

// The directives of one file's text. Errors are InvalidArgument
// "FILE:LINE: what", as sshd itself would refuse to start on them.
Result<std::vector<SshdDirective>> ParseSshdConfigText(std::string_view text,
                                                       std::string_view file);

// Refuses what sshd itself refuses for the keywords shoko judges: a value
// outside the keyword's set, a bad number or time, extra arguments. Other
// keywords pass unchecked. Errors are "FILE:LINE: what".
Status CheckSshdArguments(const SshdDirective& directive, std::string_view file);

// An OpenSSH time value ("90", "1m30s", "2h") in seconds; InvalidArgument otherwise.
Result<long long> ParseSshdTime(std::string_view text);

}  // namespace shoko::collectors::access

#endif  // SHOKO_COLLECTORS_ACCESS_SSHD_CONFIG_PARSER_H_
