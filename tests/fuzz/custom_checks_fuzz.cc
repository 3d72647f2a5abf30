// The declarative check loader: any input either loads (every check with an
// id, controls from the catalog and at least one rule of a known type) or
// fails naming the file.
#include <string>

#include "collectors/custom/check_set.h"
#include "controls/catalog.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using shoko::collectors::custom::CheckSet;
  auto set = CheckSet::Parse(FuzzText(data, size), "f", shoko::controls::Catalog::BuiltIn());
  if (!set.ok()) {
    if (set.status().message().rfind("f", 0) != 0) __builtin_trap();
    return 0;
  }
  for (const auto& c : set->checks()) {
    if (c.id.empty() || c.controls.empty() || c.rules.empty()) __builtin_trap();
    for (const auto& r : c.rules) {
      if (r.type.empty() || (r.type == "line" && r.regex == nullptr)) __builtin_trap();
    }
  }
  return 0;
}
