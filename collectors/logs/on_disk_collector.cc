// logs.on_disk: what /var/log actually keeps. For each rotated log family,
// the oldest rotated file's age and the bytes kept; and log files whose
// modes let anyone write (or, when the baseline says so, read) them (AU-9).
#include <algorithm>
#include <cctype>
#include <map>

#include "collectors/collector.h"
#include "collectors/expected.h"
#include "platform/strings.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.on_disk";
constexpr char kLogDir[] = "/var/log";
constexpr int kMaxDepth = 4;
constexpr size_t kMaxEntries = 20000;

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// "syslog.2.gz" → ("syslog", true); "auth.log-20261101" → ("auth.log", true);
// "syslog" → ("syslog", false).
std::pair<std::string, bool> Family(std::string name) {
  // A compression suffix alone (apt's eipp.log.xz) is a current log that is
  // kept compressed; rotation adds a number or a date.
  for (const char* ext : {".gz", ".xz", ".bz2", ".zst", ".lz4"}) {
    if (name.size() > std::string_view(ext).size() && name.ends_with(ext)) {
      name.resize(name.size() - std::string_view(ext).size());
      break;
    }
  }
  size_t dot = name.rfind('.');
  if (dot != std::string::npos && dot > 0 && AllDigits(std::string_view(name).substr(dot + 1))) {
    return {name.substr(0, dot), true};
  }
  size_t dash = name.rfind('-');
  if (dash != std::string::npos && dash > 0 && name.size() - dash - 1 >= 8 &&
      AllDigits(std::string_view(name).substr(dash + 1))) {
    return {name.substr(0, dash), true};  // dateext
  }
  if (name.ends_with(".old")) return {name.substr(0, name.size() - 4), true};
  return {name, false};
}

struct FamilyStats {
  int rotated_files = 0;
  uint64_t bytes = 0;
  int64_t oldest_rotated_us = 0;
};

const controls::BaselineKey kMinRetentionDays = controls::NumberKey("min_retention_days", 0, 36500);
const controls::BaselineKey kForbidWorldReadable = controls::BooleanKey("forbid_world_readable");
const CollectorDeclaration kDeclaration =
    JudgedObservation(kCheck, {kMinRetentionDays, kForbidWorldReadable});

// What a walk of /var/log finds: rotated families and files open to everyone.
struct LogDirScan {
  std::map<std::string, FamilyStats> families;
  nlohmann::json exposed = nlohmann::json::array();
  size_t entries = 0;
  bool truncated = false;
};

// One regular file of the walk.
void ScanFile(const std::string& dir, const std::string& name, const platform::FileInfo& info,
              bool forbid_world_readable, LogDirScan* scan) {
  const bool world_writable = (info.mode & 0002) != 0;
  const bool world_readable = (info.mode & 0004) != 0;
  if (world_writable || (forbid_world_readable && world_readable)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", info.mode & 07777);
    scan->exposed.push_back({{"path", dir + "/" + name},
                             {"mode", mode},
                             {"problem", world_writable ? "world-writable" : "world-readable"}});
  }
  auto [base, rotated] = Family(name);
  if (!rotated) return;
  FamilyStats& f = scan->families[dir + "/" + base];
  ++f.rotated_files;
  f.bytes += info.size;
  if (f.oldest_rotated_us == 0 || info.mtime_us < f.oldest_rotated_us) {
    f.oldest_rotated_us = info.mtime_us;
  }
}

// /var/log, at most kMaxDepth levels and kMaxEntries entries; links are
// never followed, and an unreadable directory leaves what is readable.
LogDirScan Scan(const platform::Env& env, bool forbid_world_readable) {
  LogDirScan scan;
  std::vector<std::pair<std::string, int>> stack = {{kLogDir, 0}};
  while (!stack.empty() && !scan.truncated) {
    auto [dir, depth] = stack.back();
    stack.pop_back();
    auto names = env.ListDir(dir);
    if (!names.ok()) continue;
    for (const std::string& n : *names) {
      if (++scan.entries > kMaxEntries) {
        scan.truncated = true;
        break;
      }
      const std::string path = dir + "/" + n;
      auto info = env.Stat(path, /*follow=*/false);
      if (!info.ok()) continue;
      if (info->type == platform::FileInfo::Type::kDirectory) {
        if (depth + 1 < kMaxDepth) stack.push_back({path, depth + 1});
      } else if (info->type == platform::FileInfo::Type::kRegular) {
        ScanFile(dir, n, *info, forbid_world_readable, &scan);
      }
    }
  }
  return scan;
}

// Fails on files open to everyone and on families that reach back too briefly.
void Judge(const LogDirScan& scan, const std::vector<std::string>& short_ones, double minimum_days,
           bool forbid_world_readable, Observation* obs) {
  std::vector<std::string> problems;
  if (!scan.exposed.empty()) {
    problems.push_back(std::to_string(scan.exposed.size()) + " log file(s) " +
                       (forbid_world_readable ? "readable or writable" : "writable") +
                       " by anyone, first: " + scan.exposed[0]["path"].get<std::string>());
  }
  if (!short_ones.empty()) {
    problems.push_back(
        std::to_string(short_ones.size()) + " log famil(ies) keep less than " +
        nlohmann::json(minimum_days).dump() +
        " days on disk (a system younger than that cannot), first: " + short_ones.front());
  }
  obs->verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
  obs->message = !problems.empty() ? platform::Join(problems, "; ")
                 : scan.families.empty()
                     ? "no rotated logs on disk yet, so retention cannot be shown from disk; "
                       "no log file is open to everyone"
                     : std::to_string(scan.families.size()) +
                           " rotated log famil(ies), each with history beyond the baseline";
}

class OnDiskCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    auto root_info = ctx.env.Stat(kLogDir);
    if (!root_info.ok() || root_info->type != platform::FileInfo::Type::kDirectory) {
      obs.verdict = Verdict::kNotApplicable;
      obs.message = ctx.env.Describe(kLogDir) + " does not exist";
      return {obs};
    }
    const Expected expected(ctx.baseline, kCheck);
    auto minimum_days = expected.Number(kMinRetentionDays);
    if (!minimum_days.ok()) return {ErrorRecord(kCheck, minimum_days.status())};
    auto forbid_world_readable = expected.Boolean(kForbidWorldReadable);
    if (!forbid_world_readable.ok()) return {ErrorRecord(kCheck, forbid_world_readable.status())};
    const LogDirScan scan = Scan(ctx.env, *forbid_world_readable);
    const int64_t now = ctx.env.NowMicros();
    nlohmann::json list = nlohmann::json::array();
    std::vector<std::string> short_ones;
    for (const auto& [family, f] : scan.families) {
      const double age_days = static_cast<double>(now - f.oldest_rotated_us) / 86'400e6;
      const bool meets = age_days >= *minimum_days;
      list.push_back({{"family", family},
                      {"rotated_files", f.rotated_files},
                      {"bytes", f.bytes},
                      {"oldest_rotated_days", static_cast<int64_t>(age_days)},
                      {"meets_baseline", meets}});
      if (!meets) short_ones.push_back(family);
    }
    obs.facts = {{"families", std::move(list)},
                 {"exposed_files", scan.exposed},
                 {"min_retention_days", *minimum_days}};
    if (scan.truncated) obs.facts["truncated_after_entries"] = kMaxEntries;
    obs.expected = expected.json();
    Judge(scan, short_ones, *minimum_days, *forbid_world_readable, &obs);
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, OnDiskCollector);

}  // namespace shoko::collectors::logs
