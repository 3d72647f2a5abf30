#include "controls/mapping.h"

#include <set>

#include "controls/builtin_data.h"
#include "controls/control_ref.h"
#include "platform/local_files.h"
#include "platform/yaml_doc.h"

namespace shoko::controls {

using platform::YamlDoc;
using platform::YamlToJson;

Result<Mapping> Mapping::Parse(std::string_view yaml, std::string_view source) {
  auto doc = YamlDoc::Parse(yaml, std::string(source));
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(root, "mapping", {"version", "checks"}));
  Mapping m;
  m.source_ = std::string(source);
  if (!root["version"]) return doc->ErrorAt(root, "mapping: missing 'version'");
  auto version = doc->String(root["version"], "version");
  if (!version.ok()) return version.status();
  m.version_ = *version;
  const YAML::Node checks = root["checks"];
  if (!checks) return Status::InvalidArgument(std::string(source) + ": mapping: missing 'checks'");
  if (!checks.IsMap())
    return doc->ErrorAt(checks, "checks: expected a mapping of check_id to refs");
  for (const auto& kv : checks) {
    const std::string check_id = kv.first.Scalar();
    if (!kv.second.IsSequence() || kv.second.size() == 0) {
      return doc->ErrorAt(kv.first, check_id + ": expected a non-empty list of control refs");
    }
    std::vector<std::string> refs;
    std::vector<int> lines;
    std::set<std::string> seen;
    for (const YAML::Node& ref : kv.second) {
      if (!ref.IsScalar() || !IsValidControlRef(ref.Scalar())) {
        return doc->ErrorAt(ref, "'" + (ref.IsScalar() ? ref.Scalar() : std::string("?")) +
                                     "' is not a control ref (framework:id, e.g. ismap:8.2)");
      }
      if (!seen.insert(ref.Scalar()).second) {
        return doc->ErrorAt(ref, check_id + ": duplicate ref " + ref.Scalar());
      }
      refs.push_back(ref.Scalar());
      lines.push_back(ref.Mark().line + 1);
    }
    if (m.checks_.contains(check_id)) {
      return doc->ErrorAt(kv.first, check_id + ": mapped twice");
    }
    m.checks_[check_id] = std::move(refs);
    m.lines_[check_id] = std::move(lines);
    m.check_lines_[check_id] = kv.first.Mark().line + 1;
  }
  return m;
}

Result<Mapping> Mapping::Load(const std::string& path) {
  auto text = platform::ReadLocalFile(path, 4 << 20);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

const Mapping& Mapping::BuiltIn() {
  static const Mapping* builtin = [] {
    auto m = Parse(kBuiltinMappingYaml, "built-in controls/data/mapping.yaml");
    // The build's own data is tested; failing here is a packaging bug.
    if (!m.ok()) std::abort();
    return new Mapping(std::move(m).value());
  }();
  return *builtin;
}

int Mapping::CheckLine(std::string_view check_id) const {
  auto it = check_lines_.find(check_id);
  return it == check_lines_.end() ? 0 : it->second;
}

const std::vector<int>& Mapping::LinesFor(std::string_view check_id) const {
  static const std::vector<int> kNone;
  auto it = lines_.find(check_id);
  return it == lines_.end() ? kNone : it->second;
}

const std::vector<std::string>& Mapping::RefsFor(std::string_view check_id) const {
  static const std::vector<std::string> kNone;
  auto it = checks_.find(check_id);
  return it == checks_.end() ? kNone : it->second;
}

Result<std::shared_ptr<const Mapping>> Mapping::LoadOrBuiltIn(const std::string& path) {
  if (path.empty()) return std::shared_ptr<const Mapping>(&BuiltIn(), [](const Mapping*) {});
  auto loaded = Load(path);
  if (!loaded.ok()) return loaded.status();
  return std::shared_ptr<const Mapping>(std::make_shared<Mapping>(std::move(loaded).value()));
}

}  // namespace shoko::controls
