// apt's configuration syntax (apt.conf(5)): `Name "value";`, scopes
// `Name { ... };`, list items `"value";` inside a scope, `::` paths, and
// `//`, `#` and `/* */` comments, `#clear NAME;` and `#include FILE;`.
// Enough to read the APT::Periodic and Unattended-Upgrade settings the patch
// collectors judge.
#ifndef SHOKO_COLLECTORS_PATCH_APT_CONF_H_
#define SHOKO_COLLECTORS_PATCH_APT_CONF_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::patch {

// Settings by full name, compared case-insensitively as apt does (names are
// kept as first written). A later assignment replaces an earlier one; list
// items (a value without a name, or `Name:: "v";`) accumulate under the scope.
class AptConf {
 public:
  // Adds the settings in `text`. Errors name `file` and the line.
  Status Parse(std::string_view text, std::string_view file);

  // The value of `name`, or `fallback`.
  std::string Get(std::string_view name, std::string_view fallback = "") const;
  // The list under `name`.
  std::vector<std::string> List(std::string_view name) const;
  // Where `name` was last set ("FILE:LINE"), or "".
  std::string Origin(std::string_view name) const;

 private:
  static std::string Key(std::string_view name);
  // `#clear NAME`: drops NAME and everything under it.
  void Clear(const std::string& name);
  // `Full "value";`, or an item of the list `Full` when it ends in "::".
  void Assign(const std::string& full, const std::string& value, const std::string& origin);
  // A value without a name: an item of the list `list`.
  void AddItem(const std::string& list, const std::string& item, const std::string& origin);
  struct Value {
    std::string name;
    std::string value;
    std::vector<std::string> items;
    std::string origin;
  };
  std::map<std::string, Value> values_;
  std::vector<std::string> includes_;  // #include arguments of the last Parse
  friend Result<AptConf> LoadAptConf(const platform::Env&, std::vector<std::string>*);
};

// Reads the configuration as apt does for a root: every file in
// /etc/apt/apt.conf.d whose name apt accepts (letters, digits, '_', '-', '.',
// no extension or ".conf"), in lexical order, then /etc/apt/apt.conf.
// `files` receives the files read.
Result<AptConf> LoadAptConf(const platform::Env& env, std::vector<std::string>* files);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_APT_CONF_H_
