// logs.logrotate: how long each log is kept by logrotate's effective policy,
// judged against the baseline's minimum retention (AU-11).
#include <fnmatch.h>

#include "collectors/collector.h"
#include "collectors/logs/logrotate_config.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.logrotate";
constexpr char kMainConfig[] = "/etc/logrotate.conf";

// The baseline's minimum for `path`: the first override whose glob matches,
// else min_retention_days (365 when unset).
double MinimumFor(const nlohmann::json& expected, const std::string& path) {
  if (expected.is_object() && expected.contains("overrides") && expected["overrides"].is_array()) {
    for (const auto& o : expected["overrides"]) {
      if (o.is_object() && o.value("pattern", "") != "" && o.contains("min_retention_days") &&
          o["min_retention_days"].is_number() &&
          ::fnmatch(o["pattern"].get<std::string>().c_str(), path.c_str(), 0) == 0) {
        return o["min_retention_days"].get<double>();
      }
    }
  }
  if (expected.is_object() && expected.contains("min_retention_days") &&
      expected["min_retention_days"].is_number()) {
    return expected["min_retention_days"].get<double>();
  }
  return 365;
}

const CollectorDeclaration kDeclaration = JudgedObservation(
    kCheck,
    {controls::NumberKey("min_retention_days", 0, 36500),
     controls::ObjectListKey("overrides", {controls::StringKey("pattern"),
                                           controls::NumberKey("min_retention_days", 0, 36500)})
         .Optional()});

class LogrotateCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    if (!ctx.env.Stat(kMainConfig).ok()) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message =
          "logrotate is not configured: " + ctx.env.Describe(kMainConfig) + " does not exist";
      return {obs};
    }
    auto config = LoadLogrotateConfig(ctx.env, kMainConfig);
    if (!config.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = config.status().message();
      return {obs};
    }
    const nlohmann::json& expected = ctx.baseline.ExpectedFor(kCheck);
    nlohmann::json logs = nlohmann::json::array();
    std::vector<std::string> short_ones;
    for (const LogrotatePolicy& p : config->policies) {
      std::string why;
      auto days = RetentionDays(p, &why);
      for (const std::string& path : p.patterns) {
        const double minimum = MinimumFor(expected, path);
        nlohmann::json entry = {{"path", path},
                                {"rotate", p.rotate},
                                {"frequency", p.frequency},
                                {"maxage", p.maxage ? nlohmann::json(*p.maxage) : nlohmann::json()},
                                {"retention_days", days ? nlohmann::json(*days) : nlohmann::json()},
                                {"min_retention_days", minimum},
                                {"compress", p.compress},
                                {"defined_in", p.file + ":" + std::to_string(p.line)}};
        if (p.size) entry["size"] = *p.size;
        if (p.maxsize) entry["maxsize"] = *p.maxsize;
        if (!p.olddir.empty()) entry["olddir"] = p.olddir;
        if (!days) entry["retention_unknown"] = why;
        if (!days || *days < minimum) {
          short_ones.push_back(path + (days ? " keeps " + nlohmann::json(*days).dump() + " days"
                                            : " has no guaranteed retention"));
        }
        logs.push_back(std::move(entry));
      }
    }
    obs.facts = {{"logs", std::move(logs)}, {"config_files", config->files}};
    if (!config->warnings.empty()) obs.facts["warnings"] = config->warnings;
    obs.expected = expected;
    for (const std::string& f : config->files) {
      if (auto a = ArtifactOf(ctx.env, f); a.ok()) obs.artifacts.push_back(std::move(a).value());
    }
    if (short_ones.empty()) {
      obs.verdict = Verdict::kPass;
      obs.message = std::to_string(obs.facts["logs"].size()) +
                    " log path(s), each kept at least as long as the baseline asks";
    } else {
      obs.verdict = Verdict::kFail;
      obs.message = std::to_string(short_ones.size()) +
                    " log path(s) kept too briefly, first: " + short_ones.front();
    }
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, LogrotateCollector);

}  // namespace shoko::collectors::logs
