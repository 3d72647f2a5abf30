#include "collectors/patch/version_order.h"

#include <climits>

namespace shoko::collectors::patch {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// dpkg's order(): '~' before the end, the end and digits alike, letters, then
// everything else. Bytes are signed chars, as in dpkg.
int DebOrder(int c) {
  if (c >= '0' && c <= '9') return 0;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return c;
  if (c == '~') return -1;
  if (c != 0) return c + 256;
  return 0;
}

// dpkg's verrevcmp() over string_views; the end reads as '\0'.
int VerRevCmp(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) -> int {
    return k < s.size() ? static_cast<signed char>(s[k]) : 0;
  };
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
      int ac = DebOrder(at(a, i));
      int bc = DebOrder(at(b, j));
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && j < b.size() && IsDigit(a[i]) && IsDigit(b[j])) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && IsDigit(a[i])) return 1;
    if (j < b.size() && IsDigit(b[j])) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

bool IsRpmAlnum(char c) { return IsDigit(c) || IsAlpha(c); }

}  // namespace

Result<DebVersion> ParseDebVersion(std::string_view text) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("version '" + std::string(text) + "' has bad syntax: " + why);
  };
  size_t begin = 0;
  while (begin < text.size() && IsBlank(text[begin])) ++begin;
  if (begin == text.size()) return bad("version string is empty");
  size_t end = begin;
  while (end < text.size() && !IsBlank(text[end])) ++end;
  for (size_t k = end; k < text.size(); ++k) {
    if (!IsBlank(text[k])) return bad("version string has embedded spaces");
  }
  std::string_view s = text.substr(begin, end - begin);
  if (s.find('\0') != std::string_view::npos) return bad("version string has a NUL byte");

  DebVersion v;
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    // strtol's view of the epoch: an optional sign, then decimal digits.
    std::string_view e = s.substr(0, colon);
    size_t k = 0;
    bool negative = false;
    if (k < e.size() && (e[k] == '+' || e[k] == '-')) negative = e[k++] == '-';
    // strtol converted nothing ("", "+", "x"): dpkg calls that empty.
    if (k == e.size() || !IsDigit(e[k])) return bad("epoch in version is empty");
    uint64_t epoch = 0;
    for (; k < e.size(); ++k) {
      if (!IsDigit(e[k])) return bad("epoch in version is not number");
      epoch = epoch * 10 + static_cast<uint64_t>(e[k] - '0');
      if (epoch > static_cast<uint64_t>(INT_MAX) + 1) epoch = static_cast<uint64_t>(INT_MAX) + 1;
    }
    if (negative && epoch != 0) return bad("epoch in version is negative");
    if (epoch > static_cast<uint64_t>(INT_MAX)) return bad("epoch in version is too big");
    if (colon + 1 == s.size()) return bad("nothing after colon in version number");
    v.epoch = static_cast<uint32_t>(epoch);
    s.remove_prefix(colon + 1);
  }
  size_t hyphen = s.rfind('-');
  if (hyphen != std::string_view::npos) {
    if (hyphen + 1 == s.size()) return bad("revision number is empty");
    v.revision = std::string(s.substr(hyphen + 1));
    s = s.substr(0, hyphen);
  }
  if (s.empty()) return bad("version number is empty");
  v.upstream = std::string(s);
  return v;
}

int CompareDebVersions(const DebVersion& a, const DebVersion& b) {
  if (a.epoch != b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (int r = VerRevCmp(a.upstream, b.upstream); r != 0) return r;
  return VerRevCmp(a.revision, b.revision);
}

RpmEvr ParseRpmEvr(std::string_view text) {
  RpmEvr evr;
  size_t s = 0;
  while (s < text.size() && IsDigit(text[s])) ++s;
  size_t dash = text.rfind('-');
  if (dash != std::string_view::npos && dash < s) dash = std::string_view::npos;
  size_t version_begin = 0;
  if (s < text.size() && text[s] == ':') {
    evr.epoch = s == 0 ? "0" : std::string(text.substr(0, s));
    version_begin = s + 1;
  }
  size_t version_end = dash == std::string_view::npos ? text.size() : dash;
  if (dash != std::string_view::npos) evr.release = std::string(text.substr(dash + 1));
  evr.version = std::string(text.substr(version_begin, version_end - version_begin));
  return evr;
}

int RpmVerCmp(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  // rpm works on C strings: an embedded NUL ends the version.
  if (size_t z = a.find('\0'); z != std::string_view::npos) a = a.substr(0, z);
  if (size_t z = b.find('\0'); z != std::string_view::npos) b = b.substr(0, z);
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && !IsRpmAlnum(a[i]) && a[i] != '~' && a[i] != '^') ++i;
    while (j < b.size() && !IsRpmAlnum(b[j]) && b[j] != '~' && b[j] != '^') ++j;
    const char ca = at(a, i), cb = at(b, j);
    if (ca == '~' || cb == '~') {
      if (ca != '~') return 1;
      if (cb != '~') return -1;
      ++i;
      ++j;
      continue;
    }
    if (ca == '^' || cb == '^') {
      if (ca == '\0') return -1;
      if (cb == '\0') return 1;
      if (ca != '^') return 1;
      if (cb != '^') return -1;
      ++i;
      ++j;
      continue;
    }
    if (ca == '\0' || cb == '\0') break;
    size_t ei = i, ej = j;
    const bool numeric = IsDigit(ca);
    if (numeric) {
      while (ei < a.size() && IsDigit(a[ei])) ++ei;
      while (ej < b.size() && IsDigit(b[ej])) ++ej;
    } else {
      while (ei < a.size() && IsAlpha(a[ei])) ++ei;
      while (ej < b.size() && IsAlpha(b[ej])) ++ej;
    }
    if (ej == j) return numeric ? 1 : -1;  // a number is newer than letters
    std::string_view sa = a.substr(i, ei - i), sb = b.substr(j, ej - j);
    if (numeric) {
      while (!sa.empty() && sa.front() == '0') sa.remove_prefix(1);
      while (!sb.empty() && sb.front() == '0') sb.remove_prefix(1);
      if (sa.size() != sb.size()) return sa.size() > sb.size() ? 1 : -1;
    }
    if (int r = sa.compare(sb); r != 0) return r < 0 ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.size() && j >= b.size()) return 0;
  return i >= a.size() ? -1 : 1;
}

int CompareRpmEvr(const RpmEvr& a, const RpmEvr& b) {
  int r = RpmVerCmp(a.epoch.value_or("0"), b.epoch.value_or("0"));
  if (r != 0) return r;
  r = RpmVerCmp(a.version, b.version);
  if (r == 0 && a.release && b.release) r = RpmVerCmp(*a.release, *b.release);
  return r;
}

}  // namespace shoko::collectors::patch
