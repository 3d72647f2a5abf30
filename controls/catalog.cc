#include "controls/catalog.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "controls/builtin_data.h"
#include "controls/control_ref.h"
#include "platform/local_files.h"
#include "platform/yaml_doc.h"

namespace shoko::controls {

using platform::YamlDoc;
using platform::YamlToJson;
namespace {

const std::set<std::string, std::less<>> kKinds = {"objective", "detailed", "control",
                                                   "enhancement"};
const std::set<std::string, std::less<>> kThemes = {"organizational", "people", "physical",
                                                    "technological"};

}  // namespace

namespace {

// Reads catalog YAML; each error names the file and line.
class CatalogReader {
 public:
  explicit CatalogReader(const YamlDoc& doc) : doc_(doc) {}

  // One framework's header and controls; `name` as the catalog keys it.
  Result<CatalogFramework> ReadFramework(const YAML::Node& name, const YAML::Node& body) const;

 private:
  Result<std::string> Text(const YAML::Node& n, const char* key) const {
    if (!n[key]) return std::string();
    return doc_.String(n[key], key);
  }
  Result<bool> Flag(const YAML::Node& n, const char* key) const {
    if (!n[key]) return false;
    return doc_.Bool(n[key], key);
  }
  // `ids`: the framework's ids listed before this control.
  Result<CatalogControl> ReadControl(const CatalogFramework& f, const YAML::Node& n,
                                     std::set<std::string>& ids) const;
  Status ReadFields(const YAML::Node& n, CatalogControl& k) const;
  Status CheckControl(const CatalogFramework& f, const YAML::Node& n, const CatalogControl& k,
                      const std::set<std::string>& ids) const;

  const YamlDoc& doc_;
};

// The text fields, the flag and the lists of one control.
Status CatalogReader::ReadFields(const YAML::Node& n, CatalogControl& k) const {
  for (auto [key, out] : {std::pair{"kind", &k.kind},
                          {"parent", &k.parent},
                          {"title_en", &k.title_en},
                          {"title_ja", &k.title_ja},
                          {"theme", &k.theme},
                          {"status", &k.status},
                          {"importance", &k.importance},
                          {"reference_ja", &k.reference_ja},
                          {"guidance_ja", &k.guidance_ja}}) {
    SHOKO_ASSIGN_OR_RETURN(*out, Text(n, key));
  }
  if (!kKinds.contains(k.kind)) {
    return doc_.ErrorAt(n["kind"] ? n["kind"] : n,
                        "kind: expected objective, detailed, control or enhancement");
  }
  if (!k.theme.empty() && !kThemes.contains(k.theme)) {
    return doc_.ErrorAt(n["theme"],
                        "theme: expected organizational, people, physical or technological");
  }
  if (k.title_en.empty() && k.title_ja.empty()) {
    return doc_.ErrorAt(n, k.Ref() + " has no title_en or title_ja");
  }
  SHOKO_ASSIGN_OR_RETURN(k.provisional, Flag(n, "provisional"));
  for (auto [key, out] : {std::pair{"threats", &k.threats}, {"replaces_2013", &k.replaces_2013}}) {
    if (!n[key]) continue;
    if (!n[key].IsSequence()) return doc_.ErrorAt(n[key], std::string(key) + ": expected a list");
    for (const YAML::Node& v : n[key]) {
      SHOKO_ASSIGN_OR_RETURN(std::string item, doc_.String(v, key));
      out->push_back(std::move(item));
    }
  }
  return Status::OK();
}

// Detailed controls and enhancements hang under a parent listed before them.
Status CatalogReader::CheckControl(const CatalogFramework& f, const YAML::Node& n,
                                   const CatalogControl& k,
                                   const std::set<std::string>& ids) const {
  if ((k.kind == "detailed" || k.kind == "enhancement") && k.parent.empty()) {
    return doc_.ErrorAt(n, k.Ref() + " is " + k.kind + " but has no parent");
  }
  if (!k.parent.empty() && !ids.contains(k.parent)) {
    return doc_.ErrorAt(n["parent"],
                        "parent " + k.parent + " is not listed before " + f.name + ":" + k.id);
  }
  return Status::OK();
}

Result<CatalogControl> CatalogReader::ReadControl(const CatalogFramework& f, const YAML::Node& n,
                                                  std::set<std::string>& ids) const {
  SHOKO_RETURN_IF_ERROR(doc_.CheckMap(
      n, f.name + " control",
      {"id", "kind", "parent", "title_en", "title_ja", "theme", "status", "provisional",
       "importance", "threats", "replaces_2013", "reference_ja", "guidance_ja"}));
  CatalogControl k;
  k.framework = f.name;
  k.line = n.Mark().line + 1;
  if (!n["id"]) return doc_.ErrorAt(n, "a control without an 'id'");
  SHOKO_ASSIGN_OR_RETURN(k.id, doc_.String(n["id"], "id"));
  if (!IsValidControlRef(f.name + ":" + k.id)) {
    return doc_.ErrorAt(n["id"], "'" + k.id + "' is not a control id ([A-Za-z0-9.()-]+)");
  }
  if (!ids.insert(k.id).second) {
    return doc_.ErrorAt(n["id"], f.name + ":" + k.id + " is listed twice");
  }
  SHOKO_RETURN_IF_ERROR(ReadFields(n, k));
  k.provisional = k.provisional || f.provisional;
  SHOKO_RETURN_IF_ERROR(CheckControl(f, n, k, ids));
  return k;
}

Result<CatalogFramework> CatalogReader::ReadFramework(const YAML::Node& name,
                                                      const YAML::Node& body) const {
  CatalogFramework f;
  f.name = name.Scalar();
  SHOKO_RETURN_IF_ERROR(
      doc_.CheckMap(body, f.name, {"title", "status", "source", "provisional", "controls"}));
  auto title = Text(body, "title");
  auto status = Text(body, "status");
  auto src = Text(body, "source");
  auto provisional = Flag(body, "provisional");
  for (const Status& s : {title.status(), status.status(), src.status(), provisional.status()}) {
    if (!s.ok()) return s;
  }
  f.title = *title;
  f.status = *status;
  f.source = *src;
  f.provisional = *provisional;
  const YAML::Node controls = body["controls"];
  if (!controls || !controls.IsSequence()) {
    return doc_.ErrorAt(body, f.name + ": 'controls' must be a list");
  }
  std::set<std::string> ids;
  for (const YAML::Node& n : controls) {
    SHOKO_ASSIGN_OR_RETURN(CatalogControl k, ReadControl(f, n, ids));
    f.controls.push_back(std::move(k));
  }
  return f;
}

}  // namespace

Result<Catalog> Catalog::Parse(std::string_view yaml, std::string_view source) {
  SHOKO_ASSIGN_OR_RETURN(YamlDoc doc, YamlDoc::Parse(yaml, std::string(source)));
  const YAML::Node& root = doc.root();
  SHOKO_RETURN_IF_ERROR(doc.CheckMap(root, "catalog", {"version", "frameworks"}));
  Catalog c;
  if (!root["version"]) return doc.ErrorAt(root, "catalog: missing 'version'");
  SHOKO_ASSIGN_OR_RETURN(c.version_, doc.String(root["version"], "version"));
  const YAML::Node frameworks = root["frameworks"];
  if (!frameworks || !frameworks.IsMap()) {
    return doc.ErrorAt(frameworks ? frameworks : root,
                       "frameworks: expected a mapping of framework name to its controls");
  }
  CatalogReader reader(doc);
  for (const auto& fw : frameworks) {
    const std::string name = fw.first.Scalar();
    if (!IsValidControlRef(name + ":x")) {
      return doc.ErrorAt(fw.first, "'" + name + "' is not a framework name ([a-z0-9-]+)");
    }
    if (c.Framework(name) != nullptr) {
      return doc.ErrorAt(fw.first, "framework " + name + " is listed twice");
    }
    SHOKO_ASSIGN_OR_RETURN(CatalogFramework f, reader.ReadFramework(fw.first, fw.second));
    const size_t fi = c.frameworks_.size();
    for (size_t i = 0; i < f.controls.size(); ++i) c.index_[f.controls[i].Ref()] = {fi, i};
    c.frameworks_.push_back(std::move(f));
  }
  return c;
}

Result<Catalog> Catalog::Load(const std::string& path) {
  auto text = platform::ReadLocalFile(path, 16 << 20);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

const Catalog& Catalog::BuiltIn() {
  static const Catalog* builtin = [] {
    auto c = Parse(kBuiltinCatalogYaml, "built-in controls/data/catalog.yaml");
    if (!c.ok()) std::abort();  // the build's own data is tested
    return new Catalog(std::move(c).value());
  }();
  return *builtin;
}

const CatalogControl* Catalog::Find(std::string_view ref) const {
  auto it = index_.find(ref);
  if (it == index_.end()) return nullptr;
  return &frameworks_[it->second.first].controls[it->second.second];
}

const CatalogFramework* Catalog::Framework(std::string_view name) const {
  for (const CatalogFramework& f : frameworks_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<const CatalogControl*> Catalog::Children(std::string_view ref) const {
  std::vector<const CatalogControl*> out;
  const CatalogControl* parent = Find(ref);
  if (parent == nullptr) return out;
  for (const CatalogControl& k : Framework(parent->framework)->controls) {
    if (k.parent == parent->id) out.push_back(&k);
  }
  return out;
}

std::vector<std::string> Catalog::Check(const Mapping& mapping) const {
  std::vector<std::string> problems;
  for (const auto& [check, refs] : mapping.checks()) {
    const std::vector<int>& lines = mapping.LinesFor(check);
    for (size_t i = 0; i < refs.size(); ++i) {
      if (Find(refs[i]) != nullptr) continue;
      const std::string fw = refs[i].substr(0, refs[i].find(':'));
      const std::string where =
          mapping.source() + ":" + (i < lines.size() ? std::to_string(lines[i]) : "?");
      problems.push_back(where + ": " + check + ": " +
                         (Framework(fw) == nullptr
                              ? "no framework '" + fw + "' in the catalog"
                              : refs[i] + " is not in the catalog (version " + version_ + ")"));
    }
  }
  return problems;
}

std::map<std::string, std::vector<std::string>> ChecksByControl(const Mapping& mapping) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [check, refs] : mapping.checks()) {
    for (const std::string& r : refs) out[r].push_back(check);
  }
  return out;
}

Coverage CoverageOf(const Catalog& catalog,
                    const std::map<std::string, std::vector<std::string>>& checks_by_control,
                    const CatalogControl& control) {
  if (checks_by_control.contains(control.Ref())) return Coverage::kAutomated;
  for (const CatalogControl* child : catalog.Children(control.Ref())) {
    if (checks_by_control.contains(child->Ref())) return Coverage::kPartial;
  }
  if (!control.parent.empty() &&
      checks_by_control.contains(control.framework + ":" + control.parent)) {
    return Coverage::kPartial;  // evidence for the objective, not this item
  }
  return Coverage::kNone;
}

const char* CoverageName(Coverage c) {
  return c == Coverage::kAutomated ? "automated" : c == Coverage::kPartial ? "partial" : "none";
}

std::vector<const CatalogControl*> SelectControls(const CatalogFramework& framework,
                                                  std::string_view importance,
                                                  std::string_view threat) {
  std::vector<const CatalogControl*> out;
  for (const CatalogControl& k : framework.controls) {
    if (!importance.empty() && k.importance != importance) continue;
    if (!threat.empty() && std::find(k.threats.begin(), k.threats.end(), threat) == k.threats.end())
      continue;
    out.push_back(&k);
  }
  return out;
}

int ImportanceRank(std::string_view importance) {
  return importance == "high" ? 0 : importance == "medium" ? 1 : importance == "low" ? 2 : 3;
}

std::string OscalId(std::string_view ref) {
  std::string out;
  for (char c : ref) {
    if (c == ':') {
      out += '-';
    } else if (c == '(') {
      out += '.';
    } else if (c == ')') {
      continue;
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "c-" + out;
  return out;
}

Result<std::shared_ptr<const Catalog>> Catalog::LoadOrBuiltIn(const std::string& path) {
  if (path.empty()) return std::shared_ptr<const Catalog>(&BuiltIn(), [](const Catalog*) {});
  auto loaded = Load(path);
  if (!loaded.ok()) return loaded.status();
  return std::shared_ptr<const Catalog>(std::make_shared<Catalog>(std::move(loaded).value()));
}

}  // namespace shoko::controls
