// logs.on_disk: what /var/log actually keeps. For each rotated log family,
// the oldest rotated file's age and the bytes kept; and log files whose
// modes let anyone write (or, when the baseline says so, read) them (AU-9).
#include <algorithm>
#include <cctype>
#include <map>

#include "collectors/collector.h"

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

const CollectorDeclaration kDeclaration =
    JudgedObservation(kCheck, {controls::NumberKey("min_retention_days", 0, 36500),
                               controls::BooleanKey("forbid_world_readable")});

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
    const nlohmann::json& expected = ctx.baseline.ExpectedFor(kCheck);
    const double minimum_days = expected.is_object() && expected.contains("min_retention_days") &&
                                        expected["min_retention_days"].is_number()
                                    ? expected["min_retention_days"].get<double>()
                                    : 365;
    const bool forbid_world_readable =
        expected.is_object() && expected.value("forbid_world_readable", false);
    std::map<std::string, FamilyStats> families;
    nlohmann::json exposed = nlohmann::json::array();
    size_t entries = 0;
    bool truncated = false;
    std::vector<std::pair<std::string, int>> stack = {{kLogDir, 0}};
    while (!stack.empty()) {
      auto [dir, depth] = stack.back();
      stack.pop_back();
      auto names = ctx.env.ListDir(dir);
      if (!names.ok()) continue;  // unreadable directory: what is readable still counts
      for (const std::string& n : *names) {
        if (++entries > kMaxEntries) {
          truncated = true;
          break;
        }
        const std::string path = dir + "/" + n;
        auto info = ctx.env.Stat(path, /*follow=*/false);
        if (!info.ok()) continue;
        if (info->type == platform::FileInfo::Type::kDirectory) {
          if (depth + 1 < kMaxDepth) stack.push_back({path, depth + 1});
          continue;
        }
        if (info->type != platform::FileInfo::Type::kRegular) continue;  // links never followed
        const bool world_writable = (info->mode & 0002) != 0;
        const bool world_readable = (info->mode & 0004) != 0;
        if (world_writable || (forbid_world_readable && world_readable)) {
          char mode[8];
          std::snprintf(mode, sizeof mode, "%04o", info->mode & 07777);
          exposed.push_back({{"path", path},
                             {"mode", mode},
                             {"problem", world_writable ? "world-writable" : "world-readable"}});
        }
        auto [base, rotated] = Family(n);
        if (!rotated) continue;
        FamilyStats& f = families[dir + "/" + base];
        ++f.rotated_files;
        f.bytes += info->size;
        if (f.oldest_rotated_us == 0 || info->mtime_us < f.oldest_rotated_us) {
          f.oldest_rotated_us = info->mtime_us;
        }
      }
      if (truncated) break;
    }
    const int64_t now = ctx.env.NowMicros();
    nlohmann::json list = nlohmann::json::array();
    std::vector<std::string> short_ones;
    for (const auto& [family, f] : families) {
      const double age_days = static_cast<double>(now - f.oldest_rotated_us) / 86'400e6;
      const bool meets = age_days >= minimum_days;
      list.push_back({{"family", family},
                      {"rotated_files", f.rotated_files},
                      {"bytes", f.bytes},
                      {"oldest_rotated_days", static_cast<int64_t>(age_days)},
                      {"meets_baseline", meets}});
      if (!meets) short_ones.push_back(family);
    }
    obs.facts = {{"families", std::move(list)},
                 {"exposed_files", exposed},
                 {"min_retention_days", minimum_days}};
    if (truncated) obs.facts["truncated_after_entries"] = kMaxEntries;
    obs.expected = expected;
    std::vector<std::string> problems;
    if (!exposed.empty()) {
      problems.push_back(std::to_string(exposed.size()) + " log file(s) " +
                         (forbid_world_readable ? "readable or writable" : "writable") +
                         " by anyone, first: " + exposed[0]["path"].get<std::string>());
    }
    if (!short_ones.empty()) {
      problems.push_back(
          std::to_string(short_ones.size()) + " log famil(ies) keep less than " +
          nlohmann::json(minimum_days).dump() +
          " days on disk (a system younger than that cannot), first: " + short_ones.front());
    }
    obs.verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
    for (const std::string& p : problems) obs.message += (obs.message.empty() ? "" : "; ") + p;
    if (problems.empty()) {
      obs.message = families.empty()
                        ? "no rotated logs on disk yet, so retention cannot be shown from disk; "
                          "no log file is open to everyone"
                        : std::to_string(families.size()) +
                              " rotated log famil(ies), each with history beyond the baseline";
    }
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, OnDiskCollector);

}  // namespace shoko::collectors::logs
