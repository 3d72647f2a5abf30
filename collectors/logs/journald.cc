#include "collectors/logs/journald.h"

#include <systemd/sd-journal.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "collectors/common/ini.h"

namespace shoko::collectors::logs {
namespace {

constexpr const char* kConfigDirs[] = {"/etc/systemd", "/run/systemd", "/usr/local/lib/systemd",
                                       "/usr/lib/systemd"};
constexpr size_t kMaxConfigBytes = 1u << 20;

}  // namespace

Result<JournaldSettings> LoadJournaldSettings(const platform::Env& env) {
  JournaldSettings settings;
  std::vector<std::string> files;
  for (const char* dir : kConfigDirs) {
    const std::string main = std::string(dir) + "/journald.conf";
    if (env.Stat(main).ok()) {
      files.push_back(main);
      break;
    }
  }
  std::map<std::string, std::string> dropins;  // name → path, first directory wins
  for (const char* dir : kConfigDirs) {
    const std::string d = std::string(dir) + "/journald.conf.d";
    auto names = env.ListDir(d);
    if (!names.ok()) continue;
    for (const std::string& n : *names) {
      if (n.ends_with(".conf") && dropins.count(n) == 0) dropins[n] = d + "/" + n;
    }
  }
  for (const auto& [name, path] : dropins) {
    auto link = env.ReadLink(path);
    if (link.ok() && *link == "/dev/null") continue;  // masked
    files.push_back(path);
  }
  for (const std::string& path : files) {
    auto text = env.ReadFile(path, kMaxConfigBytes);
    // A dangling drop-in link (or a file gone since it was listed) is
    // skipped, as systemd skips it.
    if (!text.ok() && text.status().IsNotFound()) continue;
    if (!text.ok()) return text.status();
    auto sections = ParseIni(*text, env.Describe(path));
    if (!sections.ok()) return sections.status();
    settings.files.push_back(path);
    for (const IniSection& s : *sections) {
      if (s.name != "Journal") continue;
      for (size_t i = 0; i < s.values.size(); ++i) {
        const auto& [key, value] = s.values[i];
        if (value.empty()) {
          settings.values.erase(key);
          settings.origins.erase(key);
        } else {
          settings.values[key] = value;
          settings.origins[key] = path + ":" + std::to_string(s.value_lines[i]);
        }
      }
    }
  }
  return settings;
}

std::optional<double> ParseTimespanSeconds(const std::string& text) {
  static const std::pair<const char*, double> kUnits[] = {
      {"usec", 1e-6},   {"us", 1e-6},        {"msec", 1e-3},      {"ms", 1e-3},
      {"seconds", 1},   {"second", 1},       {"sec", 1},          {"s", 1},
      {"minutes", 60},  {"minute", 60},      {"min", 60},         {"m", 60},
      {"hours", 3600},  {"hour", 3600},      {"hr", 3600},        {"h", 3600},
      {"days", 86400},  {"day", 86400},      {"d", 86400},        {"weeks", 604800},
      {"week", 604800}, {"w", 604800},       {"months", 2629800}, {"month", 2629800},
      {"M", 2629800},   {"years", 31557600}, {"year", 31557600},  {"y", 31557600}};
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i) return std::nullopt;
    const double number = std::strtod(text.substr(start, i - start).c_str(), nullptr);
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string unit = text.substr(unit_start, i - unit_start);
    double mult = unit.empty() ? 1 : 0;  // a bare number is seconds
    for (const auto& [name, seconds] : kUnits) {
      if (unit == name) mult = seconds;
    }
    if (mult == 0 || !std::isfinite(number)) return std::nullopt;
    total += number * mult;
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

Result<std::optional<JournalSpan>> ReadJournalSpan(const std::string& dir) {
  sd_journal* j = nullptr;
  int r = sd_journal_open_directory(&j, dir.c_str(), 0);
  if (r < 0) return Status::FromErrno("sd_journal_open_directory " + dir, -r);
  std::optional<JournalSpan> span;
  uint64_t t = 0;
  if (sd_journal_seek_head(j) >= 0 && sd_journal_next(j) > 0 &&
      sd_journal_get_realtime_usec(j, &t) >= 0) {
    span = JournalSpan{static_cast<int64_t>(t), static_cast<int64_t>(t)};
    if (sd_journal_seek_tail(j) >= 0 && sd_journal_previous(j) > 0 &&
        sd_journal_get_realtime_usec(j, &t) >= 0) {
      span->newest_us = static_cast<int64_t>(t);
    }
  }
  sd_journal_close(j);
  return span;
}

}  // namespace shoko::collectors::logs
