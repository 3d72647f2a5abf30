#include "collectors/rules.h"

#include "platform/strings.h"

namespace shoko::collectors {

Judgement PassUnless(const std::vector<std::string>& problems, std::string pass_message) {
  if (problems.empty()) return {Verdict::kPass, std::move(pass_message)};
  return {Verdict::kFail, platform::Join(problems, "; ")};
}

Observation RuleRecordFor(const CheckDeclaration& rule, const Observation& observation,
                          const Expected& expected, Result<Judgement> judged) {
  Observation record =
      judged.ok()
          ? RuleRecord(rule.id, observation.check_id, judged->verdict, judged->message)
          : RuleRecord(rule.id, observation.check_id, Verdict::kError, judged.status().message());
  if (judged.ok()) record.facts = std::move(judged->facts);
  record.expected = expected.json();
  record.artifacts = observation.artifacts;
  return record;
}

std::vector<Observation> Unobserved(const CollectContext& ctx,
                                    const CollectorDeclaration& declaration, const Status& status,
                                    const std::string& config, const std::string& software) {
  Observation obs;
  obs.check_id = declaration.name();
  const bool absent = status.IsNotFound() && !ctx.env.Stat(config, /*follow=*/false).ok();
  return SameForAll(
      obs, declaration.RuleIds(), absent ? Verdict::kNotApplicable : Verdict::kError,
      absent ? software + " is not installed: " + ctx.env.Describe(config) + " does not exist"
             : status.message());
}

}  // namespace shoko::collectors
