// Table-driven rules: a collector parses the host into facts once, then each
// rule is a small function judging those facts by its baseline values. The
// table is also the collector's declaration of its rule ids and the baseline
// keys each reads (collectors/contract.h), so neither is written twice.
#ifndef SHOKO_COLLECTORS_RULES_H_
#define SHOKO_COLLECTORS_RULES_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/contract.h"
#include "collectors/expected.h"

namespace shoko::collectors {

// What one rule concludes about the facts.
struct Judgement {
  Verdict verdict = Verdict::kPass;
  std::string message;
  nlohmann::json facts = nlohmann::json::object();
};

// Pass with `pass_message` when `problems` is empty; else fail, the problems
// joined by "; ".
Judgement PassUnless(const std::vector<std::string>& problems, std::string pass_message);

// One rule of a collector over facts of type `Facts`.
template <typename Facts>
struct Rule {
  // The rule record's check_id and the baseline keys `judge` reads.
  CheckDeclaration declaration;
  std::function<Result<Judgement>(const Facts&, const Expected&)> judge;
};

template <typename Facts>
std::vector<CheckDeclaration> DeclarationsOf(const std::vector<Rule<Facts>>& rules) {
  std::vector<CheckDeclaration> out;
  for (const Rule<Facts>& r : rules) out.push_back(r.declaration);
  return out;
}

// The rule record for `judged` (a rule's conclusion, or why its baseline
// values could not be read, which makes the record an error): judging
// `observation`, with its artifacts, and the values it was judged by.
Observation RuleRecordFor(const CheckDeclaration& rule, const Observation& observation,
                          const Expected& expected, Result<Judgement> judged);

// `observation`, then one record per rule of `rules`, each judging `facts`
// by the baseline.
template <typename Facts>
std::vector<Observation> JudgeAll(const std::vector<Rule<Facts>>& rules, const Facts& facts,
                                  Observation observation, const controls::Baseline& baseline) {
  std::vector<Observation> out = {std::move(observation)};
  for (const Rule<Facts>& r : rules) {
    const Expected expected(baseline, r.declaration.id);
    out.push_back(RuleRecordFor(r.declaration, out.front(), expected, r.judge(facts, expected)));
  }
  return out;
}

// What a collector records, for its observation and every rule, when
// `status` kept it from reading `config`, the configuration of `software`:
// not_applicable when the software is not installed (`config` does not
// exist), error otherwise.
std::vector<Observation> Unobserved(const CollectContext& ctx,
                                    const CollectorDeclaration& declaration, const Status& status,
                                    const std::string& config, const std::string& software);

}  // namespace shoko::collectors

#endif  // SHOKO_COLLECTORS_RULES_H_
