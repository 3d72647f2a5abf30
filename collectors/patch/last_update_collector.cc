// patch.last_update: how fresh the host's packages and package lists are —
// the last package change in apt's history or dpkg's log, and the last
// refresh of apt's lists (Debian family; rpm_update_state.h for RPM).
#include <functional>
#include <optional>

#include "collectors/collector.h"
#include "collectors/common/decompress.h"
#include "collectors/expected.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_update_state.h"
#include "collectors/patch/update_logs.h"
#include "platform/strings.h"
#include "platform/time_format.h"

namespace shoko::collectors::patch {
namespace {

constexpr const char* kCheck = kLastUpdateCheck;
constexpr size_t kMaxLogBytes = 64u << 20;
const controls::BaselineKey kMaxUpdateAgeDays =
    controls::NumberKey("max_update_age_days", 0, 36500);
const controls::BaselineKey kMaxIndexAgeDays = controls::NumberKey("max_index_age_days", 0, 36500);
const CollectorDeclaration kDeclaration =
    JudgedObservation(kCheck, {kMaxUpdateAgeDays, kMaxIndexAgeDays});

Result<UpdateAgeLimits> Limits(const CollectContext& ctx) {
  const Expected expected(ctx.baseline, kCheck);
  UpdateAgeLimits limits;
  SHOKO_ASSIGN_OR_RETURN(limits.max_update_days, expected.Number(kMaxUpdateAgeDays));
  SHOKO_ASSIGN_OR_RETURN(limits.max_index_days, expected.Number(kMaxIndexAgeDays));
  return limits;
}

// The newest modification time among apt's periodic update stamp and the
// index Release files (a stamp can go stale when its writer is removed).
std::optional<std::pair<int64_t, std::string>> IndexRefresh(const platform::Env& env) {
  std::optional<std::pair<int64_t, std::string>> newest;
  const std::string stamp = "/var/lib/apt/periodic/update-success-stamp";
  if (auto info = env.Stat(stamp); info.ok()) newest = {info->mtime_us, stamp};
  auto names = env.ListDir("/var/lib/apt/lists");
  if (!names.ok()) return newest;
  for (const std::string& n : *names) {
    if (!n.ends_with("_InRelease") && !n.ends_with("_Release")) continue;
    const std::string path = "/var/lib/apt/lists/" + n;
    auto info = env.Stat(path);
    if (info.ok() && (!newest || info->mtime_us > newest->first)) newest = {info->mtime_us, path};
  }
  return newest;
}

using LastChangeIn =
    std::function<Result<std::optional<PackageChange>>(const std::string&, const std::string&)>;

// The latest package change in apt's history and dpkg's log (dpkg -i leaves
// no apt history), and the logs read for it.
class LastChange {
 public:
  explicit LastChange(const platform::Env& env) : env_(env) {}

  // The current log `base`, else last month's (logrotate moves them monthly,
  // so right after a rotation the current one can be empty).
  Status Read(const std::string& base, const LastChangeIn& last_change) {
    for (const std::string& path : {base, base + ".1", base + ".1.gz"}) {
      auto raw = env_.ReadFile(path, kMaxLogBytes);
      if (!raw.ok()) {
        if (raw.status().IsNotFound()) continue;
        return raw.status();
      }
      std::string text = std::move(raw).value();
      if (path.ends_with(".gz")) {
        SHOKO_ASSIGN_OR_RETURN(text, Decompress(text, env_.Describe(path), kMaxLogBytes));
      }
      sources_.push_back(path);
      SHOKO_ASSIGN_OR_RETURN(std::optional<PackageChange> last, last_change(text, path));
      if (last) {
        Consider(std::move(*last), path);
        break;
      }
    }
    return Status::OK();
  }

  const std::optional<PackageChange>& change() const { return change_; }
  const std::string& source() const { return source_; }
  const std::vector<std::string>& sources() const { return sources_; }

 private:
  void Consider(PackageChange c, const std::string& path) {
    auto t = LocalTimeToEpoch(c.when);
    if (!change_ || (t && *t > *LocalTimeToEpoch(change_->when))) {
      change_ = std::move(c);
      source_ = path;
    }
  }

  const platform::Env& env_;
  std::optional<PackageChange> change_;
  std::string source_;
  std::vector<std::string> sources_;
};

nlohmann::json Days(std::optional<double> d) {
  return d ? nlohmann::json(static_cast<int64_t>(*d)) : nlohmann::json(nullptr);
}

void Judge(const LastChange& last, const std::optional<std::pair<int64_t, std::string>>& refresh,
           std::optional<double> update_age, std::optional<double> index_age,
           const UpdateAgeLimits& limits, Observation* obs) {
  const std::optional<PackageChange>& change = last.change();
  std::vector<std::string> problems;
  if (!change) {
    problems.push_back("no package change recorded in apt's history or dpkg's log");
  } else if (*update_age > limits.max_update_days) {
    problems.push_back("packages last changed " +
                       std::to_string(static_cast<int64_t>(*update_age)) + " days ago (" +
                       change->when + ", baseline " +
                       nlohmann::json(limits.max_update_days).dump() + ")");
  }
  if (!refresh) {
    problems.push_back("apt's package lists were never downloaded");
  } else if (*index_age > limits.max_index_days) {
    problems.push_back("package lists last refreshed " +
                       std::to_string(static_cast<int64_t>(*index_age)) + " days ago (baseline " +
                       nlohmann::json(limits.max_index_days).dump() + ")");
  }
  obs->verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
  obs->message = problems.empty() ? "packages changed " + change->when + ", lists refreshed " +
                                        platform::FormatRfc3339(refresh->first)
                                  : platform::Join(problems, "; ");
}

Observation DebianLastUpdate(const CollectContext& ctx, const UpdateAgeLimits& limits) {
  Observation obs;
  obs.check_id = kCheck;
  const int64_t now = ctx.env.NowMicros();
  obs.expected = {{"max_update_age_days", limits.max_update_days},
                  {"max_index_age_days", limits.max_index_days}};
  LastChange last(ctx.env);
  Status s =
      last.Read("/var/log/apt/history.log", [&](const std::string& text, const std::string& path) {
        return LastAptChange(text, ctx.env.Describe(path));
      });
  if (s.ok()) {
    s = last.Read("/var/log/dpkg.log", [](const std::string& text, const std::string&) {
      return Result<std::optional<PackageChange>>(LastDpkgChange(text));
    });
  }
  if (!s.ok()) return ErrorRecord(kCheck, s);
  const auto refresh = IndexRefresh(ctx.env);
  const std::optional<PackageChange>& change = last.change();
  std::optional<double> update_age, index_age;
  if (change) {
    update_age = static_cast<double>(now - *LocalTimeToEpoch(change->when) * 1'000'000) /
                 static_cast<double>(kMicrosPerDay);
  }
  if (refresh) {
    index_age = static_cast<double>(now - refresh->first) / static_cast<double>(kMicrosPerDay);
  }
  obs.facts = {
      {"last_package_change", change ? nlohmann::json({{"when_local", change->when},
                                                       {"what", change->summary},
                                                       {"log", last.source()},
                                                       {"line", change->line}})
                                     : nlohmann::json(nullptr)},
      {"package_change_age_days", Days(update_age)},
      {"index_refreshed", refresh ? nlohmann::json({{"at", platform::FormatRfc3339(refresh->first)},
                                                    {"from", refresh->second}})
                                  : nlohmann::json(nullptr)},
      {"index_age_days", Days(index_age)},
      {"logs_read", last.sources()}};
  Judge(last, refresh, update_age, index_age, limits, &obs);
  return obs;
}

class LastUpdateCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    auto limits = Limits(ctx);
    auto rpm = [&](const CollectContext& c) {
      return limits.ok() ? RpmLastUpdate(c, *limits) : ErrorRecord(kCheck, limits.status());
    };
    if (auto other = NotDpkg(ctx, kCheck, rpm)) return {*other};
    if (!limits.ok()) return {ErrorRecord(kCheck, limits.status())};
    return {DebianLastUpdate(ctx, *limits)};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, LastUpdateCollector);

}  // namespace shoko::collectors::patch
