// logs.journald: journald's effective settings, and the retention its journal
// actually shows (AU-4, AU-11).
#include "collectors/collector.h"
#include "collectors/expected.h"
#include "collectors/helper.h"
#include "collectors/logs/journald.h"
#include "platform/strings.h"
#include "platform/time_format.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.journald";
constexpr double kDay = 86400;
const controls::BaselineKey kMinRetentionDays = controls::NumberKey("min_retention_days", 0, 36500);
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck, {kMinRetentionDays});

// A setting, or systemd 252's default for it.
std::string Get(const JournaldSettings& s, const std::string& key, const std::string& fallback) {
  auto it = s.values.find(key);
  return it == s.values.end() ? fallback : it->second;
}

nlohmann::json SettingsFacts(const JournaldSettings& s, const std::string& effective_storage) {
  return {{"storage", Get(s, "storage", "auto")},
          {"storage_effective", effective_storage},
          {"max_retention_sec", Get(s, "maxretentionsec", "0")},
          {"max_file_sec", Get(s, "maxfilesec", "1month")},
          {"system_max_use", Get(s, "systemmaxuse", "")},
          {"system_keep_free", Get(s, "systemkeepfree", "")},
          {"compress", Get(s, "compress", "yes")},
          {"forward_to_syslog", Get(s, "forwardtosyslog", "no")},
          {"seal", Get(s, "seal", "yes")},
          {"config_files", s.files},
          {"origins", s.origins}};
}

// How many days the journal on disk reaches back (nothing when it is empty),
// with its oldest and newest entries added to `facts`.
Result<std::optional<double>> ObservedDays(const platform::Env& env, nlohmann::json* facts) {
  const std::string dir = (env.RootDir() == "/" ? "" : env.RootDir()) + "/var/log/journal";
  // sd-journal opens the directory by path: it must not lead out of the root.
  SHOKO_RETURN_IF_ERROR(ResolvesInside(env.RootDir(), dir));
  SHOKO_ASSIGN_OR_RETURN(std::optional<JournalSpan> span, ReadJournalSpan(dir));
  if (!span) return std::optional<double>();
  (*facts)["oldest_entry"] = platform::FormatRfc3339(span->oldest_us);
  (*facts)["newest_entry"] = platform::FormatRfc3339(span->newest_us);
  const double days = static_cast<double>(env.NowMicros() - span->oldest_us) / 1e6 / kDay;
  (*facts)["observed_retention_days"] = static_cast<int64_t>(days);
  return std::optional<double>(days);
}

// Fails when the journal is not kept on disk or a limit keeps it too briefly;
// a journal younger than the baseline passes and says so.
void Judge(const std::string& storage, const std::string& effective_storage,
           const std::string& retention_text, double retention_seconds, double minimum_days,
           std::optional<double> observed_days, Observation* obs) {
  std::vector<std::string> problems;
  if (effective_storage != "persistent") {
    problems.push_back("the journal is not kept on disk (Storage=" + storage +
                       (storage == "auto" ? ", and /var/log/journal does not exist" : "") + ")");
  }
  if (retention_seconds > 0 && retention_seconds < minimum_days * kDay) {
    problems.push_back("MaxRetentionSec=" + retention_text + " keeps less than " +
                       nlohmann::json(minimum_days).dump() + " days");
  }
  obs->verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
  if (!problems.empty()) {
    obs->message = platform::Join(problems, "; ");
  } else if (observed_days && *observed_days < minimum_days) {
    obs->message = "configured to keep the journal; it holds " +
                   std::to_string(static_cast<int64_t>(*observed_days)) +
                   " days so far: the system (or its journal) is younger than the baseline's " +
                   nlohmann::json(minimum_days).dump() + " days";
  } else {
    obs->message = "persistent journal, no retention limit below the baseline";
  }
}

class JournaldCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    auto settings = LoadJournaldSettings(ctx.env);
    if (!settings.ok()) return {ErrorRecord(kCheck, settings.status())};
    auto journal_dir = ctx.env.Stat("/var/log/journal");
    const bool var_journal =
        journal_dir.ok() && journal_dir->type == platform::FileInfo::Type::kDirectory;
    if (settings->files.empty() && !var_journal && !ctx.env.Stat("/run/log/journal").ok()) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message = "no journald here: no journald.conf and no journal directory";
      return {obs};
    }
    const std::string storage = Get(*settings, "storage", "auto");
    const std::string effective_storage =
        storage == "auto" ? (var_journal ? "persistent" : "volatile") : storage;
    const std::string retention_text = Get(*settings, "maxretentionsec", "0");
    auto retention = ParseTimespanSeconds(retention_text);
    if (!retention) {
      return {ErrorRecord(
          kCheck,
          Status::InvalidArgument(ctx.env.Describe(settings->origins["maxretentionsec"]) +
                                  ": MaxRetentionSec=" + retention_text + " is not a time span"))};
    }
    const Expected expected(ctx.baseline, kCheck);
    auto minimum_days = expected.Number(kMinRetentionDays);
    if (!minimum_days.ok()) return {ErrorRecord(kCheck, minimum_days.status())};
    nlohmann::json facts = SettingsFacts(*settings, effective_storage);
    std::optional<double> observed_days;
    if (effective_storage == "persistent" && var_journal) {
      auto days = ObservedDays(ctx.env, &facts);
      if (!days.ok()) return {ErrorRecord(kCheck, days.status())};
      observed_days = *days;
    }
    obs.facts = std::move(facts);
    obs.expected = expected.json();
    Judge(storage, effective_storage, retention_text, *retention, *minimum_days, observed_days,
          &obs);
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, JournaldCollector);

}  // namespace shoko::collectors::logs
