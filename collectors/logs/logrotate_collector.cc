// logs.logrotate: how long each log is kept by logrotate's effective policy,
// judged against the baseline's minimum retention (AU-11).
#include <fnmatch.h>

#include "collectors/collector.h"
#include "collectors/expected.h"
#include "collectors/logs/logrotate_config.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.logrotate";
constexpr char kMainConfig[] = "/etc/logrotate.conf";

const controls::BaselineKey kMinRetentionDays = controls::NumberKey("min_retention_days", 0, 36500);
const controls::BaselineKey kOverrides =
    controls::ObjectListKey("overrides", {controls::StringKey("pattern"), kMinRetentionDays})
        .Optional();
const CollectorDeclaration kDeclaration =
    JudgedObservation(kCheck, {kMinRetentionDays, kOverrides});

// The baseline's minimum for each log path: the first override whose glob
// matches, else min_retention_days.
class Minimums {
 public:
  static Result<Minimums> From(const Expected& expected) {
    Minimums m;
    SHOKO_ASSIGN_OR_RETURN(m.days_, expected.Number(kMinRetentionDays));
    if (expected.Has(kOverrides)) {
      SHOKO_ASSIGN_OR_RETURN(m.overrides_, expected.Value(kOverrides));
    }
    return m;
  }
  double For(const std::string& path) const {
    for (const auto& o : overrides_) {
      if (::fnmatch(o["pattern"].get<std::string>().c_str(), path.c_str(), 0) == 0) {
        return o["min_retention_days"].get<double>();
      }
    }
    return days_;
  }

 private:
  double days_ = 0;
  nlohmann::json overrides_ = nlohmann::json::array();
};

// One log path's facts; `short_ones` gains it when it is kept too briefly.
nlohmann::json LogEntry(const LogrotatePolicy& p, const std::string& path, double minimum,
                        std::vector<std::string>* short_ones) {
  std::string why;
  auto days = RetentionDays(p, &why);
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
    short_ones->push_back(path + (days ? " keeps " + nlohmann::json(*days).dump() + " days"
                                       : " has no guaranteed retention"));
  }
  return entry;
}

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
    if (!config.ok()) return {ErrorRecord(kCheck, config.status())};
    const Expected expected(ctx.baseline, kCheck);
    auto minimums = Minimums::From(expected);
    if (!minimums.ok()) return {ErrorRecord(kCheck, minimums.status())};
    nlohmann::json logs = nlohmann::json::array();
    std::vector<std::string> short_ones;
    for (const LogrotatePolicy& p : config->policies) {
      for (const std::string& path : p.patterns) {
        logs.push_back(LogEntry(p, path, minimums->For(path), &short_ones));
      }
    }
    const size_t count = logs.size();
    obs.facts = {{"logs", std::move(logs)}, {"config_files", config->files}};
    if (!config->warnings.empty()) obs.facts["warnings"] = config->warnings;
    obs.expected = expected.json();
    for (const std::string& f : config->files) {
      if (auto a = ArtifactOf(ctx.env, f); a.ok()) obs.artifacts.push_back(std::move(a).value());
    }
    obs.verdict = short_ones.empty() ? Verdict::kPass : Verdict::kFail;
    obs.message = short_ones.empty()
                      ? std::to_string(count) +
                            " log path(s), each kept at least as long as the baseline asks"
                      : std::to_string(short_ones.size()) +
                            " log path(s) kept too briefly, first: " + short_ones.front();
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, LogrotateCollector);

}  // namespace shoko::collectors::logs
