#include "collectors/contract.h"

namespace shoko::collectors {

std::vector<std::string> CollectorDeclaration::RuleIds() const {
  std::vector<std::string> ids;
  for (const CheckDeclaration& r : rules) ids.push_back(r.id);
  return ids;
}

std::vector<std::string> CollectorDeclaration::VerdictChecks() const {
  std::vector<std::string> ids = RuleIds();
  if (observation_verdict) ids.insert(ids.begin(), observation.id);
  return ids;
}

std::vector<std::string> CollectorDeclaration::CheckIds() const {
  std::vector<std::string> ids = RuleIds();
  ids.insert(ids.begin(), observation.id);
  return ids;
}

CollectorDeclaration InfoObservation(std::string name, std::vector<CheckDeclaration> rules) {
  CollectorDeclaration d;
  d.observation.id = std::move(name);
  d.observation_verdict = false;
  d.rules = std::move(rules);
  return d;
}

CollectorDeclaration JudgedObservation(std::string name,
                                       std::vector<controls::BaselineKey> baseline) {
  CollectorDeclaration d;
  d.observation = {std::move(name), std::move(baseline)};
  return d;
}

}  // namespace shoko::collectors
