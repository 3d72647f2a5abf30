// Declarative checks (collectors/custom): operators' YAML files in a checks.d
// directory, each check tied to control refs, with a condition (all, any,
// none) over rules of a fixed set of types. No shell: a rule that needs a
// command is a missing rule type. The loader refuses unknown keys, bad
// regular expressions and unknown controls with file and line.
#ifndef SHOKO_COLLECTORS_CUSTOM_CHECK_SET_H_
#define SHOKO_COLLECTORS_CUSTOM_CHECK_SET_H_

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controls/catalog.h"
#include "platform/status.h"

namespace shoko::collectors::custom {

// A value comparison: the observed value `as` a number, a string or a
// package version, against `value` (or one of `values` for op "in").
struct Compare {
  std::string as = "string";  // number | string | version
  std::string op = "eq";      // eq ne lt le gt ge in
  std::vector<std::string> values;
};

struct Rule {
  // file | line | keyvalue | sysctl | package | unit | port
  std::string type;
  std::string target;  // a path, sysctl key, package or unit name
  std::string description;
  int line = 0;  // in the check file
  // file
  std::optional<bool> exists;
  std::optional<uint32_t> mode_max;
  std::string owner, group;
  // line and keyvalue
  std::shared_ptr<const re2::RE2> regex;
  bool expect_absent = false;
  std::string format;  // keyvalue: sshd | space | equals | ini | shell
  std::string key, section;
  // package, unit, port
  std::optional<bool> installed, enabled, running, listening;
  std::string proto;  // tcp | udp
  int port = 0;
  std::optional<Compare> compare;  // line (capture 1), keyvalue, sysctl, package version
};

struct CustomCheck {
  std::string id;  // check_id custom.<id>
  std::string title;
  std::string rationale;
  std::vector<std::string> controls;
  std::string condition = "all";  // all | any | none
  std::vector<Rule> rules;
  std::string file;
  int line = 0;

  std::string CheckId() const { return "custom." + id; }
};

class CheckSet {
 public:
  // One check file's YAML; controls must be in `catalog`.
  static Result<CheckSet> Parse(std::string_view yaml, const std::string& source,
                                const controls::Catalog& catalog);
  // Every *.yaml of `dir` in name order; an id used twice is an error. A
  // missing directory is an empty set.
  static Result<CheckSet> LoadDir(const std::string& dir, const controls::Catalog& catalog);

  const std::vector<CustomCheck>& checks() const { return checks_; }

 private:
  std::vector<CustomCheck> checks_;
};

}  // namespace shoko::collectors::custom

#endif  // SHOKO_COLLECTORS_CUSTOM_CHECK_SET_H_
