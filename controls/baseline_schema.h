// What a baseline may hold: for each check, the keys its judgement reads,
// with their types and ranges. The collectors declare them (collectors/
// contract.h) and build the schema; controls/ checks baselines against it
// without knowing any collector (docs/controls.md, "Baseline").
#ifndef SHOKO_CONTROLS_BASELINE_SCHEMA_H_
#define SHOKO_CONTROLS_BASELINE_SCHEMA_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::controls {

class Baseline;

// One key of a check's baseline values: `max_days: 365`.
struct BaselineKey {
  enum class Type {
    kInteger,     // a whole number within [min, max]
    kNumber,      // any number within [min, max]
    kBoolean,     // true or false
    kString,      // a string, one of `one_of` when that is not empty
    kStringList,  // a list of strings, each one of `one_of` when that is not empty
    kNameOrList,  // one string or a list of strings ("root" or [root, shadow])
    kMode,        // an octal file mode as a string, "0640"
    kObjectList,  // a list of mappings whose keys are `fields`
  };
  std::string name;
  Type type = Type::kString;
  std::optional<double> min, max;
  std::vector<std::string> one_of;
  std::vector<BaselineKey> fields;  // kObjectList
  // The value may be {by_distribution: {ID: value, …, default: value}}.
  bool by_distribution = false;
  // The check's values may leave it out (the judgement then does without).
  bool optional = false;

  BaselineKey ByDistribution() const;
  BaselineKey Optional() const;
  // "an integer from 1 to 60", "one of no, yes", … for messages.
  std::string Describe() const;
};

BaselineKey IntegerKey(std::string name, double min, double max);
BaselineKey NumberKey(std::string name, double min, double max);
BaselineKey BooleanKey(std::string name);
BaselineKey StringKey(std::string name, std::vector<std::string> one_of = {});
BaselineKey StringListKey(std::string name, std::vector<std::string> one_of = {});
BaselineKey NameOrListKey(std::string name);
BaselineKey ModeKey(std::string name);
BaselineKey ObjectListKey(std::string name, std::vector<BaselineKey> fields);

// Why `value` (already resolved for a host: no by_distribution left) does not
// fit `key`, e.g. "expected an integer, not \"x\"" or "40000 is above 36500";
// OK when it fits. The validator and the collectors' reader both use it.
Status CheckBaselineValue(const BaselineKey& key, const nlohmann::json& value);

// Every check a build's collectors judge by the baseline, with its keys.
class BaselineSchema {
 public:
  // Declares `check_id` with `keys` (a check may read none).
  void Add(const std::string& check_id, std::vector<BaselineKey> keys);
  // The keys of `check_id`, or null when no collector declares it.
  const std::vector<BaselineKey>* KeysOf(std::string_view check_id) const;

  // Every problem with `baseline`: its values and each host group's, with
  // each by_distribution entry: an unknown check, an unknown key, a wrong
  // type, a value out of range, a missing key. Each is "FILE:LINE: CHECK:
  // what" ("FILE:LINE: group G: CHECK: what" in a group). Empty: it fits.
  std::vector<std::string> Problems(const Baseline& baseline) const;
  // The first problem as InvalidArgument (saying how many more there are).
  Status Validate(const Baseline& baseline) const;

 private:
  std::map<std::string, std::vector<BaselineKey>, std::less<>> checks_;
};

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_BASELINE_SCHEMA_H_
