// sshd_config syntax and the argument checks of the keywords shoko judges.
#include "collectors/access/sshd_config_parser.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoko::collectors::access;
  auto directives = ParseSshdConfigText(FuzzText(data, size), "fuzz");
  if (!directives.ok()) {
    if (directives.status().message().rfind("fuzz:", 0) != 0) __builtin_trap();
    return 0;
  }
  for (const SshdDirective& d : *directives) (void)CheckSshdArguments(d, "fuzz");
  (void)ParseSshdTime(FuzzText(data, size));
  return 0;
}
