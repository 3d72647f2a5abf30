// logs.journald: journald's effective settings, and the retention its journal
// actually shows (AU-4, AU-11).
#include "collectors/collector.h"
#include "collectors/helper.h"
#include "collectors/logs/journald.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.journald";
constexpr double kDay = 86400;

std::string Get(const JournaldSettings& s, const std::string& key, const std::string& fallback) {
  auto it = s.values.find(key);
  return it == s.values.end() ? fallback : it->second;
}

const CollectorDeclaration kDeclaration =
    JudgedObservation(kCheck, {controls::NumberKey("min_retention_days", 0, 36500)});

class JournaldCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    auto settings = LoadJournaldSettings(ctx.env);
    if (!settings.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = settings.status().message();
      return {obs};
    }
    const bool var_journal = [&] {
      auto info = ctx.env.Stat("/var/log/journal");
      return info.ok() && info->type == platform::FileInfo::Type::kDirectory;
    }();
    if (settings->files.empty() && !var_journal && !ctx.env.Stat("/run/log/journal").ok()) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message = "no journald here: no journald.conf and no journal directory";
      return {obs};
    }
    // systemd 252's defaults for what is not set.
    const std::string storage = Get(*settings, "storage", "auto");
    const std::string effective_storage =
        storage == "auto" ? (var_journal ? "persistent" : "volatile") : storage;
    const std::string retention_text = Get(*settings, "maxretentionsec", "0");
    auto retention = ParseTimespanSeconds(retention_text);
    if (!retention) {
      obs.verdict = Verdict::kError;
      obs.message = ctx.env.Describe(settings->origins["maxretentionsec"]) +
                    ": MaxRetentionSec=" + retention_text + " is not a time span";
      return {obs};
    }
    const nlohmann::json& expected = ctx.baseline.ExpectedFor(kCheck);
    const double minimum_days = expected.is_object() && expected.contains("min_retention_days") &&
                                        expected["min_retention_days"].is_number()
                                    ? expected["min_retention_days"].get<double>()
                                    : 365;
    nlohmann::json facts = {{"storage", storage},
                            {"storage_effective", effective_storage},
                            {"max_retention_sec", retention_text},
                            {"max_file_sec", Get(*settings, "maxfilesec", "1month")},
                            {"system_max_use", Get(*settings, "systemmaxuse", "")},
                            {"system_keep_free", Get(*settings, "systemkeepfree", "")},
                            {"compress", Get(*settings, "compress", "yes")},
                            {"forward_to_syslog", Get(*settings, "forwardtosyslog", "no")},
                            {"seal", Get(*settings, "seal", "yes")},
                            {"config_files", settings->files},
                            {"origins", settings->origins}};

    std::optional<double> observed_days;
    if (effective_storage == "persistent" && var_journal) {
      const std::string dir =
          (ctx.env.RootDir() == "/" ? "" : ctx.env.RootDir()) + "/var/log/journal";
      // sd-journal opens the directory by path: it must not lead out of the root.
      if (Status inside = ResolvesInside(ctx.env.RootDir(), dir); !inside.ok()) {
        obs.verdict = Verdict::kError;
        obs.message = inside.message();
        return {obs};
      }
      auto span = ReadJournalSpan(dir);
      if (!span.ok()) {
        obs.verdict = Verdict::kError;
        obs.message = span.status().message();
        return {obs};
      }
      if (*span) {
        facts["oldest_entry"] = platform_time((*span)->oldest_us);
        facts["newest_entry"] = platform_time((*span)->newest_us);
        observed_days = static_cast<double>(ctx.env.NowMicros() - (*span)->oldest_us) / 1e6 / kDay;
        facts["observed_retention_days"] = static_cast<int64_t>(*observed_days);
      }
    }
    obs.facts = std::move(facts);
    obs.expected = expected;
    std::vector<std::string> problems;
    if (effective_storage != "persistent") {
      problems.push_back("the journal is not kept on disk (Storage=" + storage +
                         (storage == "auto" ? ", and /var/log/journal does not exist" : "") + ")");
    }
    if (*retention > 0 && *retention < minimum_days * kDay) {
      problems.push_back("MaxRetentionSec=" + retention_text + " keeps less than " +
                         nlohmann::json(minimum_days).dump() + " days");
    }
    if (!problems.empty()) {
      obs.verdict = Verdict::kFail;
      for (const std::string& p : problems) obs.message += (obs.message.empty() ? "" : "; ") + p;
    } else if (observed_days && *observed_days < minimum_days) {
      obs.verdict = Verdict::kPass;
      obs.message = "configured to keep the journal; it holds " +
                    std::to_string(static_cast<int64_t>(*observed_days)) +
                    " days so far: the system (or its journal) is younger than the baseline's " +
                    nlohmann::json(minimum_days).dump() + " days";
    } else {
      obs.verdict = Verdict::kPass;
      obs.message = "persistent journal, no retention limit below the baseline";
    }
    return {obs};
  }

 private:
  static std::string platform_time(int64_t us) { return platform::FormatRfc3339(us); }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, JournaldCollector);

}  // namespace shoko::collectors::logs
