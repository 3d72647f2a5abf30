// access.sshd: the effective sshd configuration, and one rule record per
// baseline question about it (design §3).
#include <string>
#include <vector>

#include "collectors/access/sshd_config.h"
#include "collectors/collector.h"

namespace shoko::collectors::access {
namespace {

constexpr char kObservation[] = "access.sshd";
constexpr char kPermitRootLogin[] = "access.sshd.permit_root_login";

Observation RuleRecord(const char* check_id, Verdict verdict, std::string message) {
  Observation rule;
  rule.check_id = check_id;
  rule.observation_check_id = kObservation;
  rule.verdict = verdict;
  rule.message = std::move(message);
  return rule;
}

// PermitRootLogin must be one of the baseline's allowed values.
Observation JudgePermitRootLogin(const SshdConfig& config, const controls::Baseline& baseline,
                                 const std::vector<Artifact>& artifacts) {
  const nlohmann::json& expected = baseline.ExpectedFor(kPermitRootLogin);
  std::vector<std::string> allowed;
  if (expected.contains("allowed") && expected["allowed"].is_array()) {
    for (const auto& v : expected["allowed"]) {
      if (v.is_string())
        allowed.push_back(NormalizeSshdValue("permitrootlogin", v.get<std::string>()));
    }
  }
  if (allowed.empty()) {
    Observation rule =
        RuleRecord(kPermitRootLogin, Verdict::kError,
                   "baseline has no 'allowed' values for " + std::string(kPermitRootLogin));
    return rule;
  }
  const std::string actual = config.effective.value("permitrootlogin", "");
  bool ok = std::find(allowed.begin(), allowed.end(), actual) != allowed.end();
  std::string allowed_text;
  for (const std::string& a : allowed) allowed_text += (allowed_text.empty() ? "" : ", ") + a;
  Observation rule =
      RuleRecord(kPermitRootLogin, ok ? Verdict::kPass : Verdict::kFail,
                 "PermitRootLogin is " + actual + (ok ? "" : "; baseline allows " + allowed_text));
  rule.facts = {{"permitrootlogin", actual}, {"allowed", allowed}};
  rule.expected = expected;
  rule.artifacts = artifacts;
  return rule;
}

class SshdCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kObservation;
    auto config = LoadSshdConfig(ctx.env, kSshdConfigPath);
    if (!config.ok()) {
      // Without a readable sshd_config nothing can be judged: every record says why.
      bool absent =
          config.status().IsNotFound() && !ctx.env.Stat(kSshdConfigPath, /*follow=*/false).ok();
      Verdict verdict = absent ? Verdict::kNotApplicable : Verdict::kError;
      std::string message =
          absent ? "sshd is not installed: " + ctx.env.Describe(kSshdConfigPath) + " does not exist"
                 : config.status().message();
      obs.verdict = verdict;
      obs.message = message;
      return {obs, RuleRecord(kPermitRootLogin, verdict, message)};
    }
    std::vector<Artifact> artifacts;
    for (const std::string& file : config->files) {
      auto artifact = ArtifactOf(ctx.env, file);
      if (artifact.ok()) artifacts.push_back(std::move(artifact).value());
    }
    obs.verdict = Verdict::kInfo;
    obs.message =
        "effective sshd configuration from " + std::to_string(config->files.size()) + " file(s)";
    nlohmann::json blocks = nlohmann::json::array();
    for (const SshdMatchBlock& b : config->match_blocks) {
      blocks.push_back({{"criteria", b.criteria},
                        {"file", b.file},
                        {"line", b.line},
                        {"overrides", b.overrides}});
    }
    obs.facts = {{"config_file", kSshdConfigPath},
                 {"files", config->files},
                 {"effective", config->effective},
                 {"match_blocks", blocks}};
    obs.artifacts = artifacts;
    return {obs, JudgePermitRootLogin(*config, ctx.baseline, artifacts)};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR("access.sshd", SshdCollector);

}  // namespace shoko::collectors::access
