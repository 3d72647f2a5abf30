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

Result<Soa> Soa::Parse(std::string_view yaml, std::string_view source, const Catalog& catalog) {
  auto doc = YamlDoc::Parse(yaml, std::string(source));
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(
      root, "statement of applicability",
      {"version", "service", "framework", "risk_assessments", "controls", "exceptions"}));
  Soa soa;
  soa.source_ = std::string(source);
  auto text = [&](const YAML::Node& n, const char* key, bool required) -> Result<std::string> {
    if (!n[key]) {
      if (required) return doc->ErrorAt(n, std::string("missing '") + key + "'");
      return std::string();
    }
    return doc->String(n[key], key);
  };
  auto list = [&](const YAML::Node& n, const char* key) -> Result<std::vector<std::string>> {
    if (!n[key]) return std::vector<std::string>{};
    return doc->StringList(n[key], key);
  };
  auto date = [&](const YAML::Node& n, const char* key) -> Result<std::string> {
    auto d = text(n, key, true);
    if (!d.ok()) return d.status();
    if (!IsIsoDate(*d)) return doc->ErrorAt(n[key], std::string(key) + ": not a date YYYY-MM-DD");
    return d;
  };

  const YAML::Node service = root["service"];
  if (!service) return doc->ErrorAt(root, "missing 'service' (the cloud service's scope)");
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(service, "service", {"name", "sub_services", "regions"}));
  auto name = text(service, "name", true);
  auto subs = list(service, "sub_services");
  auto regions = list(service, "regions");
  for (const Status& s : {name.status(), subs.status(), regions.status()}) {
    if (!s.ok()) return s;
  }
  soa.service_ = *name;
  soa.sub_services_ = *subs;
  soa.regions_ = *regions;
  auto fw = text(root, "framework", false);
  if (!fw.ok()) return fw.status();
  soa.framework_ = fw->empty() ? "ismap" : *fw;
  if (catalog.Framework(soa.framework_) == nullptr) {
    return doc->ErrorAt(root["framework"] ? root["framework"] : root,
                        "framework: no framework '" + soa.framework_ + "' in the catalog");
  }
  auto known = [&](const YAML::Node& at, const std::string& ref) -> Status {
    if (catalog.Find(ref) == nullptr) {
      return doc->ErrorAt(at, ref + " is not in the catalog (version " + catalog.version() + ")");
    }
    return Status::OK();
  };

  std::set<std::string> assessments;
  if (const YAML::Node ras = root["risk_assessments"]) {
    if (!ras.IsSequence()) return doc->ErrorAt(ras, "risk_assessments: expected a list");
    for (const YAML::Node& ra : ras) {
      SHOKO_RETURN_IF_ERROR(doc->CheckMap(ra, "risk assessment", {"id", "title", "date"}));
      SoaRiskAssessment r;
      auto id = text(ra, "id", true);
      auto title = text(ra, "title", false);
      auto d = date(ra, "date");
      for (const Status& s : {id.status(), title.status(), d.status()}) {
        if (!s.ok()) return s;
      }
      if (!assessments.insert(*id).second) {
        return doc->ErrorAt(ra, "risk assessment " + *id + " is listed twice");
      }
      soa.risk_assessments_.push_back({*id, *title, *d});
    }
  }

  std::set<std::string> declared;
  if (const YAML::Node controls = root["controls"]) {
    if (!controls.IsSequence()) return doc->ErrorAt(controls, "controls: expected a list");
    for (const YAML::Node& c : controls) {
      SHOKO_RETURN_IF_ERROR(
          doc->CheckMap(c, "control",
                        {"control", "status", "reason", "rationale", "risk_assessment",
                         "approved_by", "approved_on", "provider"}));
      SoaEntry e;
      e.line = c.Mark().line + 1;
      auto ref = text(c, "control", true);
      if (!ref.ok()) return ref.status();
      e.control = *ref;
      SHOKO_RETURN_IF_ERROR(known(c["control"], e.control));
      if (!declared.insert(e.control).second) {
        return doc->ErrorAt(c, e.control + " is declared twice");
      }
      auto status = text(c, "status", true);
      if (!status.ok()) return status.status();
      e.status = *status;
      if (e.status == "implemented") {
        for (const char* key : {"reason", "risk_assessment", "provider"}) {
          if (c[key])
            return doc->ErrorAt(c[key], e.control + ": an implemented control has no " + key);
        }
      } else if (e.status == "excluded") {
        auto reason = text(c, "reason", true);
        auto rationale = text(c, "rationale", true);
        auto by = text(c, "approved_by", true);
        auto on = date(c, "approved_on");
        for (const Status& s : {reason.status(), rationale.status(), by.status(), on.status()}) {
          if (!s.ok())
            return Status::InvalidArgument(s.message() + " (" + e.control + " is excluded)");
        }
        e.reason = *reason;
        e.rationale = *rationale;
        e.approved_by = *by;
        e.approved_on = *on;
        if (e.reason != "not_reasonably_applicable" && e.reason != "risk_assessed_unnecessary") {
          return doc->ErrorAt(c["reason"],
                              "reason: expected not_reasonably_applicable or "
                              "risk_assessed_unnecessary");
        }
        if (e.reason == "risk_assessed_unnecessary") {
          auto ra = text(c, "risk_assessment", true);
          if (!ra.ok()) {
            return doc->ErrorAt(
                c, e.control + ": a risk-analysis exclusion names its risk_assessment");
          }
          if (!assessments.contains(*ra)) {
            return doc->ErrorAt(c["risk_assessment"],
                                "risk_assessment " + *ra + " is not in risk_assessments");
          }
          e.risk_assessment = *ra;
        }
      } else if (e.status == "inherited") {
        const YAML::Node p = c["provider"];
        if (!p) return doc->ErrorAt(c, e.control + ": an inherited control names its provider");
        SHOKO_RETURN_IF_ERROR(
            doc->CheckMap(p, "provider", {"service", "registration", "controls"}));
        auto svc = text(p, "service", true);
        auto reg = text(p, "registration", true);
        auto provided = list(p, "controls");
        for (const Status& s : {svc.status(), reg.status(), provided.status()}) {
          if (!s.ok()) return s;
        }
        e.provider = {*svc, *reg,
                      provided->empty() ? std::vector<std::string>{e.control} : *provided};
        for (const std::string& r : e.provider.controls) SHOKO_RETURN_IF_ERROR(known(p, r));
      } else {
        return doc->ErrorAt(c["status"], "status: expected implemented, excluded or inherited");
      }
      soa.entries_.push_back(std::move(e));
    }
  }

  if (const YAML::Node exceptions = root["exceptions"]) {
    if (!exceptions.IsSequence()) return doc->ErrorAt(exceptions, "exceptions: expected a list");
    for (const YAML::Node& x : exceptions) {
      SHOKO_RETURN_IF_ERROR(doc->CheckMap(
          x, "exception", {"control", "labels", "agents", "reason", "approved_by", "expires"}));
      SoaException e;
      e.line = x.Mark().line + 1;
      auto ref = text(x, "control", true);
      auto reason = text(x, "reason", true);
      auto by = text(x, "approved_by", true);
      auto expires = date(x, "expires");
      auto agents = list(x, "agents");
      for (const Status& s :
           {ref.status(), reason.status(), by.status(), expires.status(), agents.status()}) {
        if (!s.ok()) return s;
      }
      e.control = *ref;
      SHOKO_RETURN_IF_ERROR(known(x["control"], e.control));
      e.reason = *reason;
      e.approved_by = *by;
      e.expires = *expires;
      e.agents = *agents;
      // Full ids only: a prefix could come to name a host enrolled later.
      for (size_t i = 0; i < e.agents.size(); ++i) {
        if (!platform::IsHexSha256(e.agents[i])) {
          return doc->ErrorAt(x["agents"][i], "agents: '" + e.agents[i] +
                                                  "' is not an agent id (64 lowercase hex "
                                                  "digits, as shokoctl evidence shows it)");
        }
      }
      if (const YAML::Node labels = x["labels"]) {
        SHOKO_RETURN_IF_ERROR(doc->CheckMap(labels, "labels", {"service", "group", "environment"}));
        for (const auto& kv : labels) {
          auto v = doc->String(kv.second, kv.first.Scalar());
          if (!v.ok()) return v.status();
          e.labels[kv.first.Scalar()] = *v;
        }
      }
      if (e.labels.empty() == e.agents.empty()) {
        return doc->ErrorAt(x, e.control +
                                   ": an exception names its hosts by labels or by "
                                   "agents (one of them)");
      }
      soa.exceptions_.push_back(std::move(e));
    }
  }
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
