#include "collectors/custom/check_set.h"

#include <dirent.h>

#include <algorithm>
#include <set>

#include "platform/local_files.h"
#include "platform/yaml_doc.h"

namespace shoko::collectors::custom {
namespace {

using platform::YamlDoc;

const char* const kTypes[] = {"line", "keyvalue", "sysctl", "package", "unit", "port", "file"};

// The keys each rule type accepts (besides its own and "description").
std::initializer_list<std::string_view> KeysOf(std::string_view type) {
  static const std::initializer_list<std::string_view> kFile = {"file",  "exists", "mode_max",
                                                                "owner", "group",  "description"};
  static const std::initializer_list<std::string_view> kLine = {"file", "line", "expect", "compare",
                                                                "description"};
  static const std::initializer_list<std::string_view> kKeyValue = {
      "keyvalue", "format", "key", "section", "expect", "compare", "description"};
  static const std::initializer_list<std::string_view> kSysctl = {"sysctl", "compare",
                                                                  "description"};
  static const std::initializer_list<std::string_view> kPackage = {"package", "installed",
                                                                   "version", "description"};
  static const std::initializer_list<std::string_view> kUnit = {"unit", "enabled", "running",
                                                                "description"};
  static const std::initializer_list<std::string_view> kPort = {"port", "proto", "listening",
                                                                "description"};
  if (type == "file") return kFile;
  if (type == "line") return kLine;
  if (type == "keyvalue") return kKeyValue;
  if (type == "sysctl") return kSysctl;
  if (type == "package") return kPackage;
  if (type == "unit") return kUnit;
  return kPort;
}

Result<Compare> ParseCompare(const YamlDoc& doc, const YAML::Node& n, std::string_view what,
                             bool version_default) {
  SHOKO_RETURN_IF_ERROR(doc.CheckMap(n, what, {"op", "value", "values", "as"}));
  Compare c;
  if (version_default) c.as = "version";
  if (n["as"]) {
    auto as = doc.String(n["as"], "as");
    if (!as.ok()) return as.status();
    c.as = *as;
    if (c.as != "number" && c.as != "string" && c.as != "version") {
      return doc.ErrorAt(n["as"], "as: expected number, string or version");
    }
  }
  if (n["op"]) {
    auto op = doc.String(n["op"], "op");
    if (!op.ok()) return op.status();
    c.op = *op;
  }
  static const std::set<std::string> kOps = {"eq", "ne", "lt", "le", "gt", "ge", "in"};
  if (!kOps.contains(c.op))
    return doc.ErrorAt(n["op"], "op: expected eq, ne, lt, le, gt, ge or in");
  if (c.op == "in") {
    if (!n["values"] || !n["values"].IsSequence() || n["values"].size() == 0) {
      return doc.ErrorAt(n, "op in: expects 'values', a non-empty list");
    }
    for (const YAML::Node& v : n["values"]) {
      if (!v.IsScalar()) return doc.ErrorAt(v, "values: expected scalars");
      c.values.push_back(v.Scalar());
    }
  } else {
    if (!n["value"] || !n["value"].IsScalar()) return doc.ErrorAt(n, "compare: expects 'value'");
    c.values.push_back(n["value"].Scalar());
  }
  if (c.as == "number") {
    for (const std::string& v : c.values) {
      char* end = nullptr;
      std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0') return doc.ErrorAt(n, "'" + v + "' is not a number");
    }
  }
  return c;
}

Result<std::optional<bool>> OptBool(const YamlDoc& doc, const YAML::Node& n, const char* key) {
  if (!n[key]) return std::optional<bool>();
  auto b = doc.Bool(n[key], key);
  if (!b.ok()) return b.status();
  return std::optional<bool>(*b);
}

// The rule's type (the one key naming it) and its target: a path, a key, a
// name or a port.
Status ParseTarget(const YamlDoc& doc, const YAML::Node& n, Rule* r) {
  for (const char* t : kTypes) {
    if (n[t]) {
      r->type = t;
      break;
    }
  }
  if (r->type.empty()) {
    return doc.ErrorAt(n,
                       "a rule names one of file, line (with file), keyvalue, sysctl, "
                       "package, unit or port");
  }
  SHOKO_RETURN_IF_ERROR(doc.CheckMap(n, r->type + " rule", KeysOf(r->type)));
  if (r->type == "port") {
    SHOKO_ASSIGN_OR_RETURN(uint64_t port, doc.Count(n["port"], "port"));
    if (port > 65535) return doc.ErrorAt(n["port"], "port: at most 65535");
    r->port = static_cast<int>(port);
    r->target = std::to_string(r->port);
    return Status::OK();
  }
  const std::string target_key = r->type == "line" ? "file" : r->type;
  if (!n[target_key]) return doc.ErrorAt(n, r->type + " rule without '" + target_key + "'");
  SHOKO_ASSIGN_OR_RETURN(r->target, doc.String(n[target_key], target_key));
  if ((r->type == "file" || r->type == "line" || r->type == "keyvalue") &&
      (r->target.empty() || r->target[0] != '/')) {
    return doc.ErrorAt(n[target_key], target_key + ": an absolute path");
  }
  return Status::OK();
}

// The scalar fields any rule type may carry (CheckMap has refused the ones
// its type does not take).
Status ParseFields(const YamlDoc& doc, const YAML::Node& n, Rule* r) {
  for (auto [key, out] : {std::pair{"exists", &r->exists},
                          {"installed", &r->installed},
                          {"enabled", &r->enabled},
                          {"running", &r->running},
                          {"listening", &r->listening}}) {
    SHOKO_ASSIGN_OR_RETURN(*out, OptBool(doc, n, key));
  }
  if (n["mode_max"]) {
    SHOKO_ASSIGN_OR_RETURN(std::string m, doc.String(n["mode_max"], "mode_max"));
    char* end = nullptr;
    const unsigned long mode = std::strtoul(m.c_str(), &end, 8);
    if (m.empty() || *end != '\0' || mode > 07777) {
      return doc.ErrorAt(n["mode_max"], "mode_max: an octal mode such as \"0644\"");
    }
    r->mode_max = static_cast<uint32_t>(mode);
  }
  for (auto [key, out] : {std::pair{"description", &r->description},
                          {"owner", &r->owner},
                          {"group", &r->group},
                          {"format", &r->format},
                          {"key", &r->key},
                          {"section", &r->section},
                          {"proto", &r->proto}}) {
    if (!n[key]) continue;
    SHOKO_ASSIGN_OR_RETURN(*out, doc.String(n[key], key));
  }
  if (n["expect"]) {
    SHOKO_ASSIGN_OR_RETURN(std::string e, doc.String(n["expect"], "expect"));
    if (e != "present" && e != "absent")
      return doc.ErrorAt(n["expect"], "expect: present or absent");
    r->expect_absent = e == "absent";
  }
  return Status::OK();
}

// line: the regular expression (RE2: linear time on any file).
Status ParseLineRegex(const YamlDoc& doc, const YAML::Node& n, Rule* r) {
  SHOKO_ASSIGN_OR_RETURN(std::string re, doc.String(n["line"], "line"));
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(8 << 20);
  auto regex = std::make_shared<re2::RE2>(re, options);
  if (!regex->ok())
    return doc.ErrorAt(n["line"], "line: bad regular expression: " + regex->error());
  if (n["compare"] && regex->NumberOfCapturingGroups() < 1) {
    return doc.ErrorAt(n["line"], "line: a compare needs a capture group ( … ) in the expression");
  }
  r->regex = std::move(regex);
  return Status::OK();
}

// What each type needs besides its target, and the defaults it has.
Status CheckTypeFields(const YamlDoc& doc, const YAML::Node& n, Rule* r) {
  if (r->type == "keyvalue") {
    static const std::set<std::string> kFormats = {"sshd", "space", "equals", "ini", "shell"};
    if (!kFormats.contains(r->format)) {
      return doc.ErrorAt(n["format"] ? n["format"] : n,
                         "format: expected sshd, space, equals, ini or shell");
    }
    if (r->key.empty()) return doc.ErrorAt(n, "keyvalue rule without 'key'");
    if (!r->section.empty() && r->format != "ini") {
      return doc.ErrorAt(n["section"], "section: only for format ini");
    }
  }
  if (r->type == "port") {
    if (r->proto.empty()) r->proto = "tcp";
    if (r->proto != "tcp" && r->proto != "udp") return doc.ErrorAt(n["proto"], "proto: tcp or udp");
    if (!r->listening) return doc.ErrorAt(n, "port rule without 'listening'");
  }
  if (r->type == "unit" && !r->enabled && !r->running) {
    return doc.ErrorAt(n, "unit rule without 'enabled' or 'running'");
  }
  if (r->type == "package" && !r->installed) r->installed = true;
  if (r->type == "file" && !r->exists && !r->mode_max && r->owner.empty() && r->group.empty()) {
    return doc.ErrorAt(n, "file rule without exists, mode_max, owner or group");
  }
  return Status::OK();
}

Result<Rule> ParseRule(const YamlDoc& doc, const YAML::Node& n) {
  if (!n.IsMap()) return doc.ErrorAt(n, "a rule is a mapping");
  Rule r;
  r.line = n.Mark().line + 1;
  SHOKO_RETURN_IF_ERROR(ParseTarget(doc, n, &r));
  SHOKO_RETURN_IF_ERROR(ParseFields(doc, n, &r));
  if (r.type == "line") SHOKO_RETURN_IF_ERROR(ParseLineRegex(doc, n, &r));
  SHOKO_RETURN_IF_ERROR(CheckTypeFields(doc, n, &r));
  if (n["compare"]) {
    SHOKO_ASSIGN_OR_RETURN(r.compare, ParseCompare(doc, n["compare"], "compare", false));
  }
  if (n["version"]) {
    SHOKO_ASSIGN_OR_RETURN(r.compare, ParseCompare(doc, n["version"], "version", true));
  }
  if (r.type == "sysctl" && !r.compare) return doc.ErrorAt(n, "sysctl rule without 'compare'");
  return r;
}

}  // namespace

Result<CheckSet> CheckSet::Parse(std::string_view yaml, const std::string& source,
                                 const controls::Catalog& catalog) {
  auto doc = YamlDoc::Parse(yaml, source);
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(root, "checks file", {"checks"}));
  CheckSet set;
  const YAML::Node checks = root["checks"];
  if (!checks || !checks.IsSequence()) return doc->ErrorAt(root, "checks: expected a list");
  std::set<std::string> ids;
  for (const YAML::Node& n : checks) {
    SHOKO_RETURN_IF_ERROR(
        doc->CheckMap(n, "check", {"id", "title", "rationale", "controls", "condition", "rules"}));
    CustomCheck c;
    c.file = source;
    c.line = n.Mark().line + 1;
    for (auto [key, out] :
         {std::pair{"id", &c.id}, {"title", &c.title}, {"rationale", &c.rationale}}) {
      if (!n[key]) return doc->ErrorAt(n, std::string("check without '") + key + "'");
      auto v = doc->String(n[key], key);
      if (!v.ok()) return v.status();
      *out = *v;
    }
    if (c.id.empty() || !std::all_of(c.id.begin(), c.id.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ||
                 ch == '.';
        })) {
      return doc->ErrorAt(n["id"], "id: letters, digits, '_', '-' and '.' only");
    }
    if (!ids.insert(c.id).second)
      return doc->ErrorAt(n["id"], "check " + c.id + " is listed twice");
    if (n["condition"]) {
      auto v = doc->String(n["condition"], "condition");
      if (!v.ok()) return v.status();
      c.condition = *v;
      if (c.condition != "all" && c.condition != "any" && c.condition != "none") {
        return doc->ErrorAt(n["condition"], "condition: all, any or none");
      }
    }
    const YAML::Node controls = n["controls"];
    if (!controls || !controls.IsSequence() || controls.size() == 0) {
      return doc->ErrorAt(n, c.id + ": 'controls' must list at least one control ref");
    }
    for (const YAML::Node& ref : controls) {
      auto v = doc->String(ref, "controls");
      if (!v.ok()) return v.status();
      if (catalog.Find(*v) == nullptr) {
        return doc->ErrorAt(
            ref, c.id + ": " + *v + " is not in the catalog (version " + catalog.version() + ")");
      }
      c.controls.push_back(*v);
    }
    const YAML::Node rules = n["rules"];
    if (!rules || !rules.IsSequence() || rules.size() == 0) {
      return doc->ErrorAt(n, c.id + ": 'rules' must list at least one rule");
    }
    for (const YAML::Node& rn : rules) {
      auto r = ParseRule(*doc, rn);
      if (!r.ok()) return r.status();
      c.rules.push_back(std::move(r).value());
    }
    set.checks_.push_back(std::move(c));
  }
  return set;
}

Result<CheckSet> CheckSet::LoadDir(const std::string& dir, const controls::Catalog& catalog) {
  CheckSet set;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return set;
    return Status::FromErrno(dir, errno);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.size() > 5 && n.ends_with(".yaml") && n[0] != '.') names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::map<std::string, std::string> seen;  // id → file:line
  for (const std::string& n : names) {
    const std::string path = dir + "/" + n;
    auto text = platform::ReadLocalFile(path, 4 << 20);
    if (!text.ok()) return text.status();
    auto one = Parse(*text, path, catalog);
    if (!one.ok()) return one.status();
    for (CustomCheck& c : one->checks_) {
      const std::string where = c.file + ":" + std::to_string(c.line);
      if (auto it = seen.find(c.id); it != seen.end()) {
        return Status::InvalidArgument(where + ": check " + c.id + " is also defined at " +
                                       it->second);
      }
      seen[c.id] = where;
      set.checks_.push_back(std::move(c));
    }
  }
  return set;
}

}  // namespace shoko::collectors::custom
