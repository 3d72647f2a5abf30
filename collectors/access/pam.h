// PAM stacks (pam.d(5)) and the configuration files of the modules shoko
// judges: pwquality.conf, faillock.conf. Pure text parsers, fuzzed.
#ifndef SHOKO_COLLECTORS_ACCESS_PAM_H_
#define SHOKO_COLLECTORS_ACCESS_PAM_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::access {

struct PamLine {
  std::string type;     // auth, account, password, session (without a leading '-')
  std::string control;  // required, [success=1 default=ignore], include…
  std::string module;   // pam_unix.so, or the included service for include/substack
  std::vector<std::string> args;
  std::string file;
  int line = 0;
};

// One pam.d file's lines; "@include SERVICE" becomes a line of type
// "@include". Errors name the line: a bracketed control never closed, a
// line with no module.
Result<std::vector<PamLine>> ParsePamText(std::string_view text, const std::string& file);

// The stack of `service` (a name under /etc/pam.d) with @include, include
// and substack expanded in place, at most 16 deep; an include loop is an
// error naming the include line.
Result<std::vector<PamLine>> LoadPamStack(const platform::Env& env, const std::string& service);

// "key = value" files (pwquality.conf, faillock.conf): keys as written; a
// bare key (a flag) maps to "". Later lines win, as libpwquality reads them.
std::map<std::string, std::string> ParseKeyValueConf(std::string_view text);

}  // namespace shoko::collectors::access

#endif  // SHOKO_COLLECTORS_ACCESS_PAM_H_
