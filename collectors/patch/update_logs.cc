#include "collectors/patch/update_logs.h"

#include <cstdio>
#include <ctime>

#include "collectors/patch/deb822.h"

namespace shoko::collectors::patch {
namespace {

// "2026-11-25  23:04:29" (apt pads with two spaces) → "2026-11-25 23:04:29".
std::string Normalize(std::string_view when) {
  std::string out;
  for (char c : when) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

}  // namespace

std::optional<int64_t> LocalTimeToEpoch(std::string_view when) {
  std::string text(when);
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      static_cast<size_t>(consumed) != text.size()) {
    return std::nullopt;
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(t);
}

Result<std::optional<PackageChange>> LastAptChange(std::string_view text, std::string_view file) {
  auto stanzas = ParseDeb822(text, file);
  if (!stanzas.ok()) return stanzas.status();
  std::optional<PackageChange> last;
  for (const Deb822Stanza& s : *stanzas) {
    bool changed = s.Has("Install") || s.Has("Upgrade") || s.Has("Reinstall") || s.Has("Downgrade");
    if (!changed) continue;
    std::string when = Normalize(s.Has("End-Date") ? s.Get("End-Date") : s.Get("Start-Date"));
    if (!LocalTimeToEpoch(when)) {
      return Status::Corruption(std::string(file) + ":" + std::to_string(s.line) +
                                ": no valid Start-Date/End-Date");
    }
    last = PackageChange{when, std::string(s.Get("Commandline")), s.line};
  }
  return last;
}

std::optional<PackageChange> LastDpkgChange(std::string_view text) {
  std::optional<PackageChange> last;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    // "2026-11-25 23:07:47 upgrade libpcre2-8-0:amd64 10.42-1 10.42-1+deb12u2"
    if (line.size() < 28) continue;
    std::string_view rest = line.substr(20);
    if (rest.rfind("install ", 0) != 0 && rest.rfind("upgrade ", 0) != 0) continue;
    std::string when(line.substr(0, 19));
    if (!LocalTimeToEpoch(when)) continue;
    last = PackageChange{when, std::string(rest), line_no};
  }
  return last;
}

}  // namespace shoko::collectors::patch
