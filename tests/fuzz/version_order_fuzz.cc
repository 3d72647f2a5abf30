// Version order: the input is two versions separated by the first newline.
// Checks the properties an order must have: antisymmetry and reflexivity.
#include "collectors/patch/version_order.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoko::collectors::patch;
  std::string_view text = FuzzText(data, size);
  size_t nl = text.find('\n');
  std::string_view a = text.substr(0, nl);
  std::string_view b = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  auto sign = [](int v) { return (v > 0) - (v < 0); };
  auto da = ParseDebVersion(a);
  auto db = ParseDebVersion(b);
  if (da.ok() && db.ok()) {
    if (sign(CompareDebVersions(*da, *db)) != -sign(CompareDebVersions(*db, *da))) __builtin_trap();
    if (CompareDebVersions(*da, *da) != 0) __builtin_trap();
  }
  if (sign(RpmVerCmp(a, b)) != -sign(RpmVerCmp(b, a))) __builtin_trap();
  if (RpmVerCmp(a, a) != 0) __builtin_trap();
  RpmEvr ea = ParseRpmEvr(a), eb = ParseRpmEvr(b);
  if (sign(CompareRpmEvr(ea, eb)) != -sign(CompareRpmEvr(eb, ea))) __builtin_trap();
  return 0;
}
