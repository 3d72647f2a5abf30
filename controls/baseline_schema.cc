#include "controls/baseline_schema.h"

#include <algorithm>
#include <cmath>

#include "controls/baseline.h"
#include "platform/strings.h"

namespace shoko::controls {
namespace {

using Type = BaselineKey::Type;

// 36500, not 36500.0; 0.5 as it is.
std::string Number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return nlohmann::json(v).dump();
}

std::string Range(const BaselineKey& key) {
  if (!key.min || !key.max) return "";
  return " from " + Number(*key.min) + " to " + Number(*key.max);
}

Status Wrong(const BaselineKey& key, const nlohmann::json& value) {
  return Status::InvalidArgument("expected " + key.Describe() + ", not " + value.dump());
}

Status CheckInSet(const BaselineKey& key, const nlohmann::json& item) {
  if (key.one_of.empty()) return Status::OK();
  const std::string s = item.get<std::string>();
  if (std::find(key.one_of.begin(), key.one_of.end(), s) != key.one_of.end()) return Status::OK();
  return Status::InvalidArgument(item.dump() + " is not one of " +
                                 platform::Join(key.one_of, ", "));
}

Status CheckNumber(const BaselineKey& key, const nlohmann::json& value) {
  const bool whole = value.is_number_integer() || value.is_number_unsigned();
  if (!value.is_number() || (key.type == Type::kInteger && !whole) ||
      !std::isfinite(value.get<double>())) {
    return Wrong(key, value);
  }
  const double v = value.get<double>();
  if (key.min && v < *key.min) {
    return Status::InvalidArgument(value.dump() + " is below " + Number(*key.min));
  }
  if (key.max && v > *key.max) {
    return Status::InvalidArgument(value.dump() + " is above " + Number(*key.max));
  }
  return Status::OK();
}

Status CheckObject(const BaselineKey& key, const nlohmann::json& item);

Status CheckList(const BaselineKey& key, const nlohmann::json& value) {
  if (!value.is_array()) return Wrong(key, value);
  for (size_t i = 0; i < value.size(); ++i) {
    const nlohmann::json& item = value[i];
    Status s = key.type == Type::kObjectList ? CheckObject(key, item)
               : item.is_string()            ? CheckInSet(key, item)
                                             : Wrong(key, value);
    if (!s.ok()) return Status::InvalidArgument("[" + std::to_string(i) + "]: " + s.message());
  }
  return Status::OK();
}

// One item of an object list: known fields of the right types, the required ones present.
Status CheckObject(const BaselineKey& key, const nlohmann::json& item) {
  if (!item.is_object()) return Status::InvalidArgument("expected a mapping, not " + item.dump());
  for (const auto& [name, value] : item.items()) {
    auto field = std::find_if(key.fields.begin(), key.fields.end(),
                              [&](const BaselineKey& f) { return f.name == name; });
    if (field == key.fields.end()) return Status::InvalidArgument("unknown field '" + name + "'");
    if (Status s = CheckBaselineValue(*field, value); !s.ok()) {
      return Status::InvalidArgument(name + ": " + s.message());
    }
  }
  for (const BaselineKey& f : key.fields) {
    if (!f.optional && !item.contains(f.name)) {
      return Status::InvalidArgument("missing field '" + f.name + "'");
    }
  }
  return Status::OK();
}

bool IsByDistribution(const nlohmann::json& v) {
  return v.is_object() && v.size() == 1 && v.contains("by_distribution");
}

// Checks the values of one check (of the defaults or of a host group) and
// adds a "FILE:LINE: PREFIX CHECK: what" for each problem.
class ValuesCheck {
 public:
  ValuesCheck(const Baseline& baseline, std::string prefix, std::string path,
              std::vector<std::pair<int, std::string>>* problems)
      : baseline_(baseline),
        prefix_(std::move(prefix)),
        path_(std::move(path)),
        problems_(problems) {}

  void Run(const std::string& check_id, const nlohmann::json& values,
           const std::vector<BaselineKey>* keys, bool partial) {
    const std::string where = path_ + "/" + check_id;
    if (keys == nullptr) {
      Add(where, "unknown check '" + check_id + "' (no collector of this build judges it)");
      return;
    }
    bool unknown = false;
    for (const auto& [name, value] : values.items()) {
      auto key = std::find_if(keys->begin(), keys->end(),
                              [&](const BaselineKey& k) { return k.name == name; });
      if (key == keys->end()) {
        unknown = true;
        std::vector<std::string> known;
        for (const BaselineKey& k : *keys) known.push_back(k.name);
        Add(where + "/" + name,
            check_id + ": unknown key '" + name + "'" +
                (known.empty() ? " (it reads no baseline values)"
                               : " (known: " + platform::Join(known, ", ") + ")"));
        continue;
      }
      Value(check_id, *key, value, where + "/" + name);
    }
    // A group overrides some keys only; a misspelled key is reported once, as unknown.
    if (partial || unknown) return;
    for (const BaselineKey& k : *keys) {
      if (!k.optional && !values.contains(k.name)) {
        Add(where, check_id + ": missing key '" + k.name + "'");
      }
    }
  }

 private:
  void Value(const std::string& check_id, const BaselineKey& key, const nlohmann::json& value,
             const std::string& at) {
    if (IsByDistribution(value)) {
      const nlohmann::json& table = value["by_distribution"];
      if (!key.by_distribution) {
        Add(at, check_id + ": " + key.name + ": {by_distribution: …} is not allowed here");
      } else if (!table.is_object() || table.empty()) {
        Add(at,
            check_id + ": " + key.name + ": by_distribution: expected a mapping of ID to value");
      } else {
        for (const auto& [id, entry] : table.items()) {
          if (Status s = CheckBaselineValue(key, entry); !s.ok()) {
            Add(at + "/by_distribution/" + id,
                check_id + ": " + key.name + ": by_distribution: " + id + ": " + s.message());
          }
        }
      }
      return;
    }
    if (Status s = CheckBaselineValue(key, value); !s.ok()) {
      // A list item's problem points at the item's own line.
      std::string item_at = at;
      if (s.message().starts_with("[")) {
        item_at += "/" + s.message().substr(1, s.message().find(']') - 1);
      }
      Add(item_at,
          check_id + ": " + key.name + (s.message().starts_with("[") ? "" : ": ") + s.message());
    }
  }

  void Add(const std::string& at, const std::string& what) {
    const int line = Line(at);
    problems_->push_back(
        {line, baseline_.source() + ":" + std::to_string(line) + ": " + prefix_ + what});
  }

  // The line of `at`, or of the nearest enclosing node that has one.
  int Line(std::string at) const {
    for (;;) {
      if (int line = baseline_.LineOf(at); line > 0) return line;
      const size_t slash = at.rfind('/');
      if (slash == std::string::npos) return 0;
      at.resize(slash);
    }
  }

  const Baseline& baseline_;
  const std::string prefix_;
  const std::string path_;
  std::vector<std::pair<int, std::string>>* problems_;  // by line
};

BaselineKey Key(std::string name, Type type) {
  BaselineKey k;
  k.name = std::move(name);
  k.type = type;
  return k;
}

BaselineKey Ranged(std::string name, Type type, double min, double max) {
  BaselineKey k = Key(std::move(name), type);
  k.min = min;
  k.max = max;
  return k;
}

BaselineKey OneOf(std::string name, Type type, std::vector<std::string> one_of) {
  BaselineKey k = Key(std::move(name), type);
  k.one_of = std::move(one_of);
  return k;
}

}  // namespace

BaselineKey BaselineKey::ByDistribution() const {
  BaselineKey k = *this;
  k.by_distribution = true;
  return k;
}

BaselineKey BaselineKey::Optional() const {
  BaselineKey k = *this;
  k.optional = true;
  return k;
}

std::string BaselineKey::Describe() const {
  if (type == Type::kInteger || type == Type::kNumber) {
    return (type == Type::kInteger ? "an integer" : "a number") + Range(*this);
  }
  if (type == Type::kString && !one_of.empty()) return "one of " + platform::Join(one_of, ", ");
  if (type == Type::kStringList && !one_of.empty()) {
    return "a list of values from " + platform::Join(one_of, ", ");
  }
  static const std::map<Type, const char*> kPlain = {
      {Type::kBoolean, "true or false"},
      {Type::kString, "a string"},
      {Type::kStringList, "a list of strings"},
      {Type::kNameOrList, "a name or a list of names"},
      {Type::kMode, "an octal mode such as \"0640\""},
      {Type::kObjectList, "a list of mappings"}};
  auto it = kPlain.find(type);
  return it == kPlain.end() ? "a value" : it->second;
}

BaselineKey IntegerKey(std::string name, double min, double max) {
  return Ranged(std::move(name), Type::kInteger, min, max);
}
BaselineKey NumberKey(std::string name, double min, double max) {
  return Ranged(std::move(name), Type::kNumber, min, max);
}
BaselineKey BooleanKey(std::string name) { return Key(std::move(name), Type::kBoolean); }
BaselineKey StringKey(std::string name, std::vector<std::string> one_of) {
  return OneOf(std::move(name), Type::kString, std::move(one_of));
}
BaselineKey StringListKey(std::string name, std::vector<std::string> one_of) {
  return OneOf(std::move(name), Type::kStringList, std::move(one_of));
}
BaselineKey NameOrListKey(std::string name) { return Key(std::move(name), Type::kNameOrList); }
BaselineKey ModeKey(std::string name) { return Key(std::move(name), Type::kMode); }
BaselineKey ObjectListKey(std::string name, std::vector<BaselineKey> fields) {
  BaselineKey k = Key(std::move(name), Type::kObjectList);
  k.fields = std::move(fields);
  return k;
}

Status CheckBaselineValue(const BaselineKey& key, const nlohmann::json& value) {
  switch (key.type) {
    case Type::kInteger:
    case Type::kNumber:
      return CheckNumber(key, value);
    case Type::kBoolean:
      return value.is_boolean() ? Status::OK() : Wrong(key, value);
    case Type::kString:
      return value.is_string() ? CheckInSet(key, value) : Wrong(key, value);
    case Type::kNameOrList:
      if (value.is_string()) return Status::OK();
      [[fallthrough]];
    case Type::kStringList:
    case Type::kObjectList:
      return CheckList(key, value);
    case Type::kMode: {
      if (!value.is_string()) return Wrong(key, value);
      const std::string s = value.get<std::string>();
      const bool octal = !s.empty() && s.size() <= 5 && s.find_first_not_of("01234567") == s.npos;
      if (!octal || std::stoul(s, nullptr, 8) > 07777) return Wrong(key, value);
      return Status::OK();
    }
  }
  return Wrong(key, value);
}

void BaselineSchema::Add(const std::string& check_id, std::vector<BaselineKey> keys) {
  checks_[check_id] = std::move(keys);
}

const std::vector<BaselineKey>* BaselineSchema::KeysOf(std::string_view check_id) const {
  auto it = checks_.find(check_id);
  return it == checks_.end() ? nullptr : &it->second;
}

std::vector<std::string> BaselineSchema::Problems(const Baseline& baseline) const {
  std::vector<std::pair<int, std::string>> problems;
  ValuesCheck defaults(baseline, "", "values", &problems);
  for (const auto& [check_id, values] : baseline.values_) {
    defaults.Run(check_id, values, KeysOf(check_id), /*partial=*/false);
  }
  for (const auto& [group, checks] : baseline.groups_) {
    ValuesCheck in_group(baseline, "group " + group + ": ", "groups/" + group + "/values",
                         &problems);
    for (const auto& [check_id, values] : checks) {
      in_group.Run(check_id, values, KeysOf(check_id), /*partial=*/true);
    }
  }
  // In the order of the file, as a reader goes through it.
  std::stable_sort(problems.begin(), problems.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [line, text] : problems) out.push_back(std::move(text));
  return out;
}

Status BaselineSchema::Validate(const Baseline& baseline) const {
  const std::vector<std::string> problems = Problems(baseline);
  if (problems.empty()) return Status::OK();
  std::string message = problems.front();
  if (problems.size() > 1) {
    message += " (and " + std::to_string(problems.size() - 1) +
               " more problem(s): shoko-agent --check-config lists them)";
  }
  return Status::InvalidArgument(message);
}

}  // namespace shoko::controls
