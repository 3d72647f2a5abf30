#include "collectors/expected.h"

namespace shoko::collectors {

Expected::Expected(const controls::Baseline& baseline, std::string check_id)
    : check_id_(std::move(check_id)), values_(baseline.ExpectedFor(check_id_)) {}

bool Expected::Has(const controls::BaselineKey& key) const {
  return values_.is_object() && values_.contains(key.name) && !values_[key.name].is_null();
}

Result<nlohmann::json> Expected::Value(const controls::BaselineKey& key) const {
  if (!Has(key)) {
    return Status::InvalidArgument("baseline has no value '" + key.name + "' for " + check_id_);
  }
  const nlohmann::json& v = values_[key.name];
  if (Status s = controls::CheckBaselineValue(key, v); !s.ok()) {
    return Status::InvalidArgument("baseline " + check_id_ + ": " + key.name +
                                   (s.message().starts_with("[") ? "" : ": ") + s.message());
  }
  return v;
}

Result<int64_t> Expected::Integer(const controls::BaselineKey& key) const {
  SHOKO_ASSIGN_OR_RETURN(nlohmann::json v, Value(key));
  return v.get<int64_t>();
}

Result<double> Expected::Number(const controls::BaselineKey& key) const {
  SHOKO_ASSIGN_OR_RETURN(nlohmann::json v, Value(key));
  return v.get<double>();
}

Result<bool> Expected::Boolean(const controls::BaselineKey& key) const {
  SHOKO_ASSIGN_OR_RETURN(nlohmann::json v, Value(key));
  return v.get<bool>();
}

Result<std::string> Expected::String(const controls::BaselineKey& key) const {
  SHOKO_ASSIGN_OR_RETURN(nlohmann::json v, Value(key));
  return v.get<std::string>();
}

Result<std::vector<std::string>> Expected::Strings(const controls::BaselineKey& key) const {
  SHOKO_ASSIGN_OR_RETURN(nlohmann::json v, Value(key));
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  return v.get<std::vector<std::string>>();
}

}  // namespace shoko::collectors
