// INI files as dnf and systemd read them (.repo files, dnf.conf,
// automatic.conf, timesyncd.conf, journal-upload.conf, declarative checks'
// `format: ini`): [section] headers, key = value lines, '#' and ';' comments,
// and indented continuation lines of a multi-line value.
#ifndef SHOKO_COLLECTORS_COMMON_INI_H_
#define SHOKO_COLLECTORS_COMMON_INI_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/status.h"

namespace shoko::collectors {

struct IniSection {
  std::string name;
  int line = 0;                                             // of its [header]
  std::vector<std::pair<std::string, std::string>> values;  // keys lower-cased
  std::vector<int> value_lines;                             // the line of each value

  // The last value of `key` (lower case), or `fallback`.
  std::string Get(std::string_view key, std::string_view fallback = "") const;
};

// Errors name `file` and the line: a bad [header], a line that is neither a
// header, a key = value pair, a continuation nor a comment, or a key before
// any section.
Result<std::vector<IniSection>> ParseIni(std::string_view text, std::string_view file);

}  // namespace shoko::collectors

#endif  // SHOKO_COLLECTORS_COMMON_INI_H_
