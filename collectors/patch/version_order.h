// Package version order as the package managers define it: Debian's (dpkg's
// lib/dpkg/version.c, Debian Policy §5.6.12) and RPM's (rpmvercmp and EVR
// comparison). Pure functions over text, shared by the patch collectors and
// the declarative checks.
#ifndef SHOKO_COLLECTORS_PATCH_VERSION_ORDER_H_
#define SHOKO_COLLECTORS_PATCH_VERSION_ORDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace shoko::collectors::patch {

// A Debian version [epoch:]upstream[-revision].
struct DebVersion {
  uint32_t epoch = 0;
  std::string upstream;
  std::string revision;  // empty when the version has none
};

// Parses `text` with dpkg's rules. Errors are the ones dpkg refuses a version
// for (empty, embedded spaces, bad or empty epoch, empty revision); a version
// dpkg only warns about (not starting with a digit, odd characters) parses,
// because dpkg still orders it.
Result<DebVersion> ParseDebVersion(std::string_view text);

// <0, 0 or >0 as dpkg orders a and b: epoch, then upstream, then revision,
// each compared with '~' before everything, then end of string, then letters,
// then other characters, and digit runs numerically.
int CompareDebVersions(const DebVersion& a, const DebVersion& b);

// An RPM version [epoch:]version[-release].
struct RpmEvr {
  std::optional<std::string> epoch;  // absent: 0
  std::string version;
  std::optional<std::string> release;
};

// Splits `text` as rpm does (rpmverParse): epoch before the first ':' when it
// is all digits, release after the last '-'.
RpmEvr ParseRpmEvr(std::string_view text);

// rpmvercmp: <0, 0 or >0 for two version (or release) strings. Separators
// other than '~' and '^' only split segments; '~' sorts before anything,
// including the end; '^' sorts after the end but before anything else.
int RpmVerCmp(std::string_view a, std::string_view b);

// EVR order as rpm's rpmverCmp: epoch, version, then release when both have one.
int CompareRpmEvr(const RpmEvr& a, const RpmEvr& b);

}  // namespace shoko::collectors::patch

#endif  // SHOKO_COLLECTORS_PATCH_VERSION_ORDER_H_
