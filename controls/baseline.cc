#include "controls/baseline.h"

#include "controls/builtin_data.h"
#include "controls/yaml_doc.h"
#include "platform/local_files.h"

namespace shoko::controls {

Result<Baseline> Baseline::Parse(std::string_view yaml, std::string_view source) {
  auto doc = YamlDoc::Parse(yaml, std::string(source));
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(root, "baseline", {"id", "version", "values"}));
  Baseline b;
  for (const char* key : {"id", "version"}) {
    if (!root[key]) return doc->ErrorAt(root, std::string("baseline: missing '") + key + "'");
    auto v = doc->String(root[key], key);
    if (!v.ok()) return v.status();
    (std::string_view(key) == "id" ? b.id_ : b.version_) = *v;
  }
  const YAML::Node values = root["values"];
  if (!values) return doc->ErrorAt(root, "baseline: missing 'values'");
  if (!values.IsMap())
    return doc->ErrorAt(values, "values: expected a mapping of check_id to values");
  for (const auto& kv : values) {
    const std::string check_id = kv.first.Scalar();
    if (!kv.second.IsMap()) return doc->ErrorAt(kv.second, check_id + ": expected a mapping");
    // Every value carries why and where from, so an auditor can read the baseline.
    for (const char* key : {"rationale", "source"}) {
      if (!kv.second[key]) {
        return doc->ErrorAt(kv.first, check_id + ": missing '" + key + "'");
      }
    }
    nlohmann::json expected = YamlToJson(kv.second);
    expected.erase("rationale");
    expected.erase("source");
    if (expected.empty()) return doc->ErrorAt(kv.first, check_id + ": no expected values");
    b.values_[check_id] = std::move(expected);
  }
  return b;
}

Result<Baseline> Baseline::Load(const std::string& path) {
  auto text = platform::ReadLocalFile(path, 4 << 20);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

const Baseline& Baseline::BuiltIn() {
  static const Baseline* builtin = [] {
    auto b = Parse(kBuiltinBaselineYaml, "built-in controls/data/baseline.yaml");
    if (!b.ok()) std::abort();  // the build's own data is tested
    return new Baseline(std::move(b).value());
  }();
  return *builtin;
}

const nlohmann::json& Baseline::ExpectedFor(std::string_view check_id) const {
  static const nlohmann::json kNull;
  auto it = values_.find(check_id);
  return it == values_.end() ? kNull : it->second;
}

}  // namespace shoko::controls
