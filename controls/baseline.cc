#include "controls/baseline.h"

#include "controls/builtin_data.h"
#include "platform/local_files.h"
#include "platform/yaml_doc.h"

namespace shoko::controls {

using platform::YamlDoc;
using platform::YamlToJson;

Result<Baseline> Baseline::Parse(std::string_view yaml, std::string_view source) {
  auto doc = YamlDoc::Parse(yaml, std::string(source));
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(root, "baseline", {"id", "version", "values", "groups"}));
  Baseline b;
  b.source_ = std::string(source);
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
    b.lines_["values/" + check_id] = kv.first.Mark().line + 1;
    b.RecordLines(kv.second, "values/" + check_id);
  }
  // Host groups: overrides of some values, each with why and where from.
  if (const YAML::Node groups = root["groups"]) {
    if (!groups.IsMap()) return doc->ErrorAt(groups, "groups: expected a mapping of group name");
    for (const auto& g : groups) {
      const std::string group = g.first.Scalar();
      SHOKO_RETURN_IF_ERROR(doc->CheckMap(g.second, "group " + group, {"values"}));
      const YAML::Node gv = g.second["values"];
      if (!gv || !gv.IsMap())
        return doc->ErrorAt(g.second, "group " + group + ": missing 'values'");
      for (const auto& kv : gv) {
        const std::string check_id = kv.first.Scalar();
        if (!b.values_.contains(check_id)) {
          return doc->ErrorAt(
              kv.first, "group " + group + ": " + check_id + " has no default value to override");
        }
        if (!kv.second.IsMap()) return doc->ErrorAt(kv.second, check_id + ": expected a mapping");
        for (const char* key : {"rationale", "source"}) {
          if (!kv.second[key]) {
            return doc->ErrorAt(kv.first,
                                "group " + group + ": " + check_id + ": missing '" + key + "'");
          }
        }
        nlohmann::json over = YamlToJson(kv.second);
        over.erase("rationale");
        over.erase("source");
        for (const auto& [key, value] : over.items()) {
          if (!b.values_[check_id].contains(key)) {
            return doc->ErrorAt(kv.first, "group " + group + ": " + check_id + ": '" + key +
                                              "' is not one of its values");
          }
        }
        b.groups_[group][check_id] = std::move(over);
        const std::string path = "groups/" + group + "/values/" + check_id;
        b.lines_[path] = kv.first.Mark().line + 1;
        b.RecordLines(kv.second, path);
      }
    }
  }
  return b;
}

void Baseline::RecordLines(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string child = path + "/" + kv.first.Scalar();
      lines_[child] = kv.first.Mark().line + 1;
      RecordLines(kv.second, child);
    }
  } else if (node.IsSequence()) {
    size_t i = 0;
    for (const auto& item : node) {
      const std::string child = path + "/" + std::to_string(i++);
      lines_[child] = item.Mark().line + 1;
      RecordLines(item, child);
    }
  }
}

int Baseline::LineOf(const std::string& path) const {
  auto it = lines_.find(path);
  return it == lines_.end() ? 0 : it->second;
}

void ResolveByDistribution(nlohmann::json& v, const std::vector<std::string>& ids) {
  if (v.is_object() && v.size() == 1 && v.contains("by_distribution") &&
      v["by_distribution"].is_object()) {
    const nlohmann::json& table = v["by_distribution"];
    nlohmann::json chosen = nullptr;
    for (const std::string& id : ids) {
      if (table.contains(id)) {
        chosen = table[id];
        break;
      }
    }
    if (chosen.is_null() && table.contains("default")) chosen = table["default"];
    v = std::move(chosen);
    return;
  }
  if (v.is_object() || v.is_array()) {
    for (auto& child : v) ResolveByDistribution(child, ids);
  }
}

Baseline Baseline::ForHost(std::string_view group,
                           const std::vector<std::string>& distribution) const {
  Baseline out;
  out.id_ = id_;
  out.source_ = source_;
  out.version_ = version_;
  out.values_ = values_;
  if (auto g = groups_.find(group); g != groups_.end()) {
    out.id_ += "/" + std::string(group);
    for (const auto& [check_id, over] : g->second) {
      for (const auto& [key, value] : over.items()) out.values_[check_id][key] = value;
    }
  }
  for (auto& [check_id, v] : out.values_) ResolveByDistribution(v, distribution);
  return out;
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

Result<std::shared_ptr<const Baseline>> Baseline::LoadOrBuiltIn(const std::string& path) {
  if (path.empty()) return std::shared_ptr<const Baseline>(&BuiltIn(), [](const Baseline*) {});
  auto loaded = Load(path);
  if (!loaded.ok()) return loaded.status();
  return std::shared_ptr<const Baseline>(std::make_shared<Baseline>(std::move(loaded).value()));
}

}  // namespace shoko::controls
