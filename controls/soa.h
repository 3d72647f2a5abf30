// The statement of applicability (docs/controls.md, "Statement of applicability"): one cloud service's scope and,
// per control, implemented, excluded (with the scheme's two reasons) or
// inherited from a service on the ISMAP list; and exceptions, narrower and
// expiring. Loaded from YAML and validated against the catalog.
#ifndef SHOKO_CONTROLS_SOA_H_
#define SHOKO_CONTROLS_SOA_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "controls/catalog.h"
#include "platform/status.h"

namespace shoko::controls {

struct SoaProvider {
  std::string service;                // the underlying cloud service
  std::string registration;           // its ISMAP registration number
  std::vector<std::string> controls;  // what it provides (default: the control itself)
};

struct SoaEntry {
  std::string control;  // a catalog ref
  std::string status;   // implemented | excluded | inherited
  std::string reason;   // not_reasonably_applicable | risk_assessed_unnecessary
  std::string rationale;
  std::string risk_assessment;  // an id in risk_assessments (risk_assessed_unnecessary)
  std::string approved_by, approved_on;
  SoaProvider provider;
  int line = 0;
};

struct SoaException {
  std::string control;
  std::map<std::string, std::string> labels;  // hosts whose labels all match
  std::vector<std::string> agents;            // or these agent ids
  // expires: YYYY-MM-DD, the last valid day (ISO dates order as strings).
  std::string reason, approved_by, expires;
  int line = 0;

  // Whether its last day is before `today` (YYYY-MM-DD): it counts as failing again.
  bool ExpiredBefore(std::string_view today) const { return expires < today; }
  // Whether it names the host with these labels (each listed label equal) or
  // this agent id.
  bool Covers(const std::map<std::string, std::string>& host_labels,
              std::string_view agent_id) const;
};

struct SoaRiskAssessment {
  std::string id, title, date;
};

class Soa {
 public:
  // Parses and validates against `catalog`. Errors name `source` and the
  // line: unknown keys, a control the catalog lacks, a control declared
  // twice, an exclusion without reason, rationale, approver and date, a
  // risk-analysis exclusion without a known risk assessment, an inheritance
  // without service and registration, a bad date.
  static Result<Soa> Parse(std::string_view yaml, std::string_view source, const Catalog& catalog);
  static Result<Soa> Load(const std::string& path, const Catalog& catalog);

  const std::string& service() const { return service_; }
  const std::vector<std::string>& sub_services() const { return sub_services_; }
  const std::vector<std::string>& regions() const { return regions_; }
  const std::string& framework() const { return framework_; }
  const std::vector<SoaEntry>& entries() const { return entries_; }
  const std::vector<SoaException>& exceptions() const { return exceptions_; }
  const std::vector<SoaRiskAssessment>& risk_assessments() const { return risk_assessments_; }
  const std::string& source() const { return source_; }

  // The entry for `control`, or null (undeclared: implemented by default,
  // since every control must in principle be implemented).
  const SoaEntry* Find(std::string_view control) const;
  // "FILE:LINE: …" for each exception whose last day is before `today`
  // (YYYY-MM-DD): it counts as failing again.
  std::vector<std::string> Expired(std::string_view today) const;
  // That notice for one of its exceptions.
  std::string ExpiredNotice(const SoaException& exception) const;

 private:
  std::string source_, service_, framework_;
  std::vector<std::string> sub_services_, regions_;
  std::vector<SoaEntry> entries_;
  std::vector<SoaException> exceptions_;
  std::vector<SoaRiskAssessment> risk_assessments_;
};

// Whether `text` is a calendar date YYYY-MM-DD.
bool IsIsoDate(std::string_view text);

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_SOA_H_
