#include "controls/soa.h"

#include <algorithm>
#include <set>

#include "platform/digest.h"
#include "platform/local_files.h"
#include "platform/yaml_doc.h"

namespace shoko::controls {

using platform::YamlDoc;
using platform::YamlToJson;

bool IsIsoDate(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  const int year = std::stoi(std::string(t.substr(0, 4)));
  const int month = std::stoi(std::string(t.substr(5, 2)));
  const int day = std::stoi(std::string(t.substr(8, 2)));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

namespace {

// Reads one statement's YAML against the catalog; each error names the file
// and line.
class SoaReader {
 public:
  SoaReader(const YamlDoc& doc, const Catalog& catalog) : doc_(doc), catalog_(catalog) {}

  // The scope: the service's name, sub-services and regions.
  Status ReadService(std::string* name, std::vector<std::string>* subs,
                     std::vector<std::string>* regions) const;
  Result<std::string> ReadFramework() const;
  Result<std::vector<SoaRiskAssessment>> ReadRiskAssessments();
  Result<std::vector<SoaEntry>> ReadControls() const;
  Result<std::vector<SoaException>> ReadExceptions() const;

 private:
  Result<std::string> Text(const YAML::Node& n, const char* key, bool required) const {
    if (!n[key]) {
      if (required) return doc_.ErrorAt(n, std::string("missing '") + key + "'");
      return std::string();
    }
    return doc_.String(n[key], key);
  }
  Result<std::vector<std::string>> List(const YAML::Node& n, const char* key) const {
    if (!n[key]) return std::vector<std::string>{};
    return doc_.StringList(n[key], key);
  }
  Result<std::string> Date(const YAML::Node& n, const char* key) const {
    SHOKO_ASSIGN_OR_RETURN(std::string d, Text(n, key, true));
    if (!IsIsoDate(d)) return doc_.ErrorAt(n[key], std::string(key) + ": not a date YYYY-MM-DD");
    return d;
  }
  Status Known(const YAML::Node& at, const std::string& ref) const {
    if (catalog_.Find(ref) == nullptr) {
      return doc_.ErrorAt(at, ref + " is not in the catalog (version " + catalog_.version() + ")");
    }
    return Status::OK();
  }
  // One control's declaration; `declared` holds the refs declared before it.
  // The items of the list at the root's `key` (none when it is absent), each
  // read by `read`.
  template <typename T, typename Read>
  Result<std::vector<T>> ReadEach(const char* key, Read read) const {
    std::vector<T> out;
    const YAML::Node list = doc_.root()[key];
    if (!list) return out;
    if (!list.IsSequence()) return doc_.ErrorAt(list, std::string(key) + ": expected a list");
    for (const YAML::Node& n : list) {
      SHOKO_ASSIGN_OR_RETURN(T item, read(n));
      out.push_back(std::move(item));
    }
    return out;
  }
  Result<SoaRiskAssessment> ReadRiskAssessment(const YAML::Node& ra);
  Result<SoaEntry> ReadEntry(const YAML::Node& c, std::set<std::string>& declared) const;
  Status ReadExclusion(const YAML::Node& c, SoaEntry& e) const;
  Status ReadInheritance(const YAML::Node& c, SoaEntry& e) const;
  Result<SoaException> ReadException(const YAML::Node& x) const;

  const YamlDoc& doc_;
  const Catalog& catalog_;
  std::set<std::string> assessments_;  // the ids of the risk assessments read
};

// The first error among `statuses`, or OK.
Status FirstError(std::initializer_list<Status> statuses) {
  for (const Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status SoaReader::ReadService(std::string* name, std::vector<std::string>* subs,
                              std::vector<std::string>* regions) const {
  const YAML::Node& root = doc_.root();
  const YAML::Node service = root["service"];
  if (!service) return doc_.ErrorAt(root, "missing 'service' (the cloud service's scope)");
  SHOKO_RETURN_IF_ERROR(doc_.CheckMap(service, "service", {"name", "sub_services", "regions"}));
  auto n = Text(service, "name", true);
  auto s = List(service, "sub_services");
  auto r = List(service, "regions");
  SHOKO_RETURN_IF_ERROR(FirstError({n.status(), s.status(), r.status()}));
  *name = *n;
  *subs = *s;
  *regions = *r;
  return Status::OK();
}

Result<std::string> SoaReader::ReadFramework() const {
  const YAML::Node& root = doc_.root();
  SHOKO_ASSIGN_OR_RETURN(std::string fw, Text(root, "framework", false));
  if (fw.empty()) fw = "ismap";
  if (catalog_.Framework(fw) == nullptr) {
    return doc_.ErrorAt(root["framework"] ? root["framework"] : root,
                        "framework: no framework '" + fw + "' in the catalog");
  }
  return fw;
}

Result<SoaRiskAssessment> SoaReader::ReadRiskAssessment(const YAML::Node& ra) {
  SHOKO_RETURN_IF_ERROR(doc_.CheckMap(ra, "risk assessment", {"id", "title", "date"}));
  auto id = Text(ra, "id", true);
  auto title = Text(ra, "title", false);
  auto d = Date(ra, "date");
  SHOKO_RETURN_IF_ERROR(FirstError({id.status(), title.status(), d.status()}));
  if (!assessments_.insert(*id).second) {
    return doc_.ErrorAt(ra, "risk assessment " + *id + " is listed twice");
  }
  return SoaRiskAssessment{*id, *title, *d};
}

Result<std::vector<SoaRiskAssessment>> SoaReader::ReadRiskAssessments() {
  return ReadEach<SoaRiskAssessment>(
      "risk_assessments", [this](const YAML::Node& ra) { return ReadRiskAssessment(ra); });
}

Status SoaReader::ReadExclusion(const YAML::Node& c, SoaEntry& e) const {
  auto reason = Text(c, "reason", true);
  auto rationale = Text(c, "rationale", true);
  auto by = Text(c, "approved_by", true);
  auto on = Date(c, "approved_on");
  if (Status s = FirstError({reason.status(), rationale.status(), by.status(), on.status()});
      !s.ok()) {
    return Status::InvalidArgument(s.message() + " (" + e.control + " is excluded)");
  }
  e.reason = *reason;
  e.rationale = *rationale;
  e.approved_by = *by;
  e.approved_on = *on;
  if (e.reason != "not_reasonably_applicable" && e.reason != "risk_assessed_unnecessary") {
    return doc_.ErrorAt(c["reason"],
                        "reason: expected not_reasonably_applicable or risk_assessed_unnecessary");
  }
  if (e.reason != "risk_assessed_unnecessary") return Status::OK();
  auto ra = Text(c, "risk_assessment", true);
  if (!ra.ok()) {
    return doc_.ErrorAt(c, e.control + ": a risk-analysis exclusion names its risk_assessment");
  }
  if (!assessments_.contains(*ra)) {
    return doc_.ErrorAt(c["risk_assessment"],
                        "risk_assessment " + *ra + " is not in risk_assessments");
  }
  e.risk_assessment = *ra;
  return Status::OK();
}

Status SoaReader::ReadInheritance(const YAML::Node& c, SoaEntry& e) const {
  const YAML::Node p = c["provider"];
  if (!p) return doc_.ErrorAt(c, e.control + ": an inherited control names its provider");
  SHOKO_RETURN_IF_ERROR(doc_.CheckMap(p, "provider", {"service", "registration", "controls"}));
  auto svc = Text(p, "service", true);
  auto reg = Text(p, "registration", true);
  auto provided = List(p, "controls");
  SHOKO_RETURN_IF_ERROR(FirstError({svc.status(), reg.status(), provided.status()}));
  e.provider = {*svc, *reg, provided->empty() ? std::vector<std::string>{e.control} : *provided};
  for (const std::string& r : e.provider.controls) SHOKO_RETURN_IF_ERROR(Known(p, r));
  return Status::OK();
}

Result<SoaEntry> SoaReader::ReadEntry(const YAML::Node& c, std::set<std::string>& declared) const {
  SHOKO_RETURN_IF_ERROR(
      doc_.CheckMap(c, "control",
                    {"control", "status", "reason", "rationale", "risk_assessment", "approved_by",
                     "approved_on", "provider"}));
  SoaEntry e;
  e.line = c.Mark().line + 1;
  SHOKO_ASSIGN_OR_RETURN(e.control, Text(c, "control", true));
  SHOKO_RETURN_IF_ERROR(Known(c["control"], e.control));
  if (!declared.insert(e.control).second) return doc_.ErrorAt(c, e.control + " is declared twice");
  SHOKO_ASSIGN_OR_RETURN(e.status, Text(c, "status", true));
  if (e.status == "implemented") {
    for (const char* key : {"reason", "risk_assessment", "provider"}) {
      if (c[key]) return doc_.ErrorAt(c[key], e.control + ": an implemented control has no " + key);
    }
  } else if (e.status == "excluded") {
    SHOKO_RETURN_IF_ERROR(ReadExclusion(c, e));
  } else if (e.status == "inherited") {
    SHOKO_RETURN_IF_ERROR(ReadInheritance(c, e));
  } else {
    return doc_.ErrorAt(c["status"], "status: expected implemented, excluded or inherited");
  }
  return e;
}

Result<std::vector<SoaEntry>> SoaReader::ReadControls() const {
  std::set<std::string> declared;
  return ReadEach<SoaEntry>("controls",
                            [&](const YAML::Node& c) { return ReadEntry(c, declared); });
}

Result<SoaException> SoaReader::ReadException(const YAML::Node& x) const {
  SHOKO_RETURN_IF_ERROR(doc_.CheckMap(
      x, "exception", {"control", "labels", "agents", "reason", "approved_by", "expires"}));
  SoaException e;
  e.line = x.Mark().line + 1;
  auto ref = Text(x, "control", true);
  auto reason = Text(x, "reason", true);
  auto by = Text(x, "approved_by", true);
  auto expires = Date(x, "expires");
  auto agents = List(x, "agents");
  SHOKO_RETURN_IF_ERROR(
      FirstError({ref.status(), reason.status(), by.status(), expires.status(), agents.status()}));
  e.control = *ref;
  SHOKO_RETURN_IF_ERROR(Known(x["control"], e.control));
  e.reason = *reason;
  e.approved_by = *by;
  e.expires = *expires;
  e.agents = *agents;
  // Full ids only: a prefix could come to name a host enrolled later.
  for (size_t i = 0; i < e.agents.size(); ++i) {
    if (!platform::IsHexSha256(e.agents[i])) {
      return doc_.ErrorAt(x["agents"][i], "agents: '" + e.agents[i] +
                                              "' is not an agent id (64 lowercase hex digits, "
                                              "as shokoctl evidence shows it)");
    }
  }
  if (const YAML::Node labels = x["labels"]) {
    SHOKO_RETURN_IF_ERROR(doc_.CheckMap(labels, "labels", {"service", "group", "environment"}));
    for (const auto& kv : labels) {
      SHOKO_ASSIGN_OR_RETURN(e.labels[kv.first.Scalar()],
                             doc_.String(kv.second, kv.first.Scalar()));
    }
  }
  if (e.labels.empty() == e.agents.empty()) {
    return doc_.ErrorAt(
        x, e.control + ": an exception names its hosts by labels or by agents (one of them)");
  }
  return e;
}

Result<std::vector<SoaException>> SoaReader::ReadExceptions() const {
  return ReadEach<SoaException>("exceptions",
                                [this](const YAML::Node& x) { return ReadException(x); });
}

}  // namespace

Result<Soa> Soa::Parse(std::string_view yaml, std::string_view source, const Catalog& catalog) {
  SHOKO_ASSIGN_OR_RETURN(YamlDoc doc, YamlDoc::Parse(yaml, std::string(source)));
  SHOKO_RETURN_IF_ERROR(doc.CheckMap(
      doc.root(), "statement of applicability",
      {"version", "service", "framework", "risk_assessments", "controls", "exceptions"}));
  SoaReader reader(doc, catalog);
  Soa soa;
  soa.source_ = std::string(source);
  SHOKO_RETURN_IF_ERROR(reader.ReadService(&soa.service_, &soa.sub_services_, &soa.regions_));
  SHOKO_ASSIGN_OR_RETURN(soa.framework_, reader.ReadFramework());
  SHOKO_ASSIGN_OR_RETURN(soa.risk_assessments_, reader.ReadRiskAssessments());
  SHOKO_ASSIGN_OR_RETURN(soa.entries_, reader.ReadControls());
  SHOKO_ASSIGN_OR_RETURN(soa.exceptions_, reader.ReadExceptions());
  return soa;
}

Result<Soa> Soa::Load(const std::string& path, const Catalog& catalog) {
  auto text = platform::ReadLocalFile(path, 16 << 20);
  if (!text.ok()) return text.status();
  return Parse(*text, path, catalog);
}

bool SoaException::Covers(const std::map<std::string, std::string>& host_labels,
                          std::string_view agent_id) const {
  if (!agents.empty()) return std::find(agents.begin(), agents.end(), agent_id) != agents.end();
  for (const auto& [key, value] : labels) {
    auto it = host_labels.find(key);
    if (it == host_labels.end() || it->second != value) return false;
  }
  return !labels.empty();
}

const SoaEntry* Soa::Find(std::string_view control) const {
  for (const SoaEntry& e : entries_) {
    if (e.control == control) return &e;
  }
  return nullptr;
}

std::vector<std::string> Soa::Expired(std::string_view today) const {
  std::vector<std::string> out;
  for (const SoaException& e : exceptions_) {
    if (e.ExpiredBefore(today)) out.push_back(ExpiredNotice(e));
  }
  return out;
}

std::string Soa::ExpiredNotice(const SoaException& e) const {
  return source_ + ":" + std::to_string(e.line) + ": the exception for " + e.control +
         " expired on " + e.expires + " (approved by " + e.approved_by +
         "): it counts as failing again";
}

}  // namespace shoko::controls
