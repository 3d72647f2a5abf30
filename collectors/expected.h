// The baseline values one check is judged by, read one way: through the key
// its declaration names (collectors/contract.h), with that key's type and
// range. There is no default in C++: the shipped baseline holds them all
// (controls/data/baseline.yaml). A value that is missing or does not fit
// (a baseline nobody validated) is an InvalidArgument naming the check and
// key, which the collector records as an error verdict, never a silent default.
#ifndef SHOKO_COLLECTORS_EXPECTED_H_
#define SHOKO_COLLECTORS_EXPECTED_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controls/baseline.h"
#include "controls/baseline_schema.h"
#include "platform/status.h"

namespace shoko::collectors {

class Expected {
 public:
  Expected(const controls::Baseline& baseline, std::string check_id);

  const std::string& check_id() const { return check_id_; }
  // The check's values as the baseline holds them, for a record's `expected`
  // (null when the baseline has none).
  const nlohmann::json& json() const { return values_; }
  // Whether the baseline sets `key` (for keys declared optional).
  bool Has(const controls::BaselineKey& key) const;

  // The value of `key` as its type reads it; InvalidArgument naming the check
  // and key when the baseline lacks it or holds something else.
  Result<int64_t> Integer(const controls::BaselineKey& key) const;
  Result<double> Number(const controls::BaselineKey& key) const;
  Result<bool> Boolean(const controls::BaselineKey& key) const;
  Result<std::string> String(const controls::BaselineKey& key) const;
  // A string list, or a name or a list of names.
  Result<std::vector<std::string>> Strings(const controls::BaselineKey& key) const;
  // Any value that fits `key` (object lists).
  Result<nlohmann::json> Value(const controls::BaselineKey& key) const;

 private:
  std::string check_id_;
  const nlohmann::json& values_;
};

}  // namespace shoko::collectors

#endif  // SHOKO_COLLECTORS_EXPECTED_H_
