// A collector's contract: what it declares about itself, once, as data in its
// own file, and registers with it (SHOKO_REGISTER_COLLECTOR): the check ids
// it emits (its observation and the rule records judging it) and the
// baseline keys each one's verdict reads, with their types and ranges. The
// registry answers from these declarations which checks carry verdicts (each
// must be mapped to controls) and what a baseline may hold, so that a check id
// or a baseline key is written in one place (docs/evidence-format.md, "Check
// and rule records"; docs/controls.md, "Baseline").
#ifndef SHOKO_COLLECTORS_CONTRACT_H_
#define SHOKO_COLLECTORS_CONTRACT_H_

#include <string>
#include <vector>

#include "controls/baseline_schema.h"

namespace shoko::collectors {

// One check_id a collector emits, and the baseline keys its verdict reads.
struct CheckDeclaration {
  std::string id;
  std::vector<controls::BaselineKey> baseline;
};

struct CollectorDeclaration {
  // The observation; its check_id is the collector's name ("access.sshd").
  CheckDeclaration observation;
  // False when the observation is an info record and its rule records carry
  // the verdicts.
  bool observation_verdict = true;
  // The rule records judging the observation ("access.sshd.permit_root_login").
  std::vector<CheckDeclaration> rules;

  const std::string& name() const { return observation.id; }
  std::vector<std::string> RuleIds() const;
  // The check_ids whose records carry a verdict: the rules, and the
  // observation when it carries one.
  std::vector<std::string> VerdictChecks() const;
  // The observation's check_id, then every rule's.
  std::vector<std::string> CheckIds() const;
};

// An info observation `name`, judged by `rules` when it has any.
CollectorDeclaration InfoObservation(std::string name, std::vector<CheckDeclaration> rules = {});
// An observation `name` that carries its own verdict, judged by `baseline`.
CollectorDeclaration JudgedObservation(std::string name,
                                       std::vector<controls::BaselineKey> baseline = {});

}  // namespace shoko::collectors

#endif  // SHOKO_COLLECTORS_CONTRACT_H_
