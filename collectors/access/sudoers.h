// sudoers(5): who may run what as whom. The text parser is pure (fuzzed);
// the loader follows #include/@include and #includedir/@includedir through
// the Env, as sudo 1.9 does.
#ifndef SHOKO_COLLECTORS_ACCESS_SUDOERS_H_
#define SHOKO_COLLECTORS_ACCESS_SUDOERS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::access {

// One command of a user specification, with the Runas and tags in force
// for it (both carry over to the following commands until changed).
struct SudoCommand {
  std::string command;             // as written: "ALL", "/usr/bin/apt update", an alias
  std::string runas;               // the "(user : group)" list, "" for the default (root)
  std::vector<std::string> tags;   // NOPASSWD, SETENV…
  std::vector<std::string> hosts;  // the host list it applies on
};

struct SudoRule {
  std::vector<std::string> users;  // as written: alice, %sudo, ADMINS, #1000, ALL
  std::vector<SudoCommand> commands;
  std::string file;
  int line = 0;
};

struct SudoDefault {
  std::string scope;  // "" (global), ":users", "@hosts", "!commands", ">runas"
  std::string name;   // use_pty, logfile, timestamp_timeout…
  std::string value;  // "" for a flag
  bool negated = false;
  std::string file;
  int line = 0;
};

struct SudoInclude {
  std::string path;
  bool directory = false;
  int line = 0;
};

// One file's statements.
struct SudoersText {
  std::vector<SudoRule> rules;
  std::vector<SudoDefault> defaults;
  std::map<std::string, std::vector<std::string>> aliases;  // "User_Alias ADMINS" → members
  std::vector<SudoInclude> includes;                        // in order
};

// Errors, as sudo's own "parse error in FILE near line N", are
// "FILE:LINE: what": an unterminated quote in Defaults, a Runas list never
// closed, a specification with no '=', an empty command.
Result<SudoersText> ParseSudoersText(std::string_view text, const std::string& file);

struct SudoersPolicy {
  std::vector<std::string> files;  // read, in order
  std::vector<SudoRule> rules;     // in order
  std::vector<SudoDefault> defaults;
  std::map<std::string, std::vector<std::string>> aliases;
};

// /etc/sudoers and what it includes (relative paths from the including
// file's directory; includedir skips names ending in '~' or containing '.').
// An include loop or nesting beyond 32 is an error naming the include line.
Result<SudoersPolicy> LoadSudoers(const platform::Env& env,
                                  const std::string& path = "/etc/sudoers");

}  // namespace shoko::collectors::access

#endif  // SHOKO_COLLECTORS_ACCESS_SUDOERS_H_
