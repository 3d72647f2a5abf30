// dpkg's status file, apt's history.log and dpkg.log.
#include "collectors/patch/deb822.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/update_logs.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoko::collectors::patch;
  std::string_view text = FuzzText(data, size);
  auto stanzas = ParseDeb822(text, "fuzz");
  if (!stanzas.ok() && stanzas.status().message().rfind("fuzz:", 0) != 0) __builtin_trap();
  auto packages = ParseDpkgStatus(text, "fuzz");
  if (packages.ok()) {
    for (const auto& p : *packages) {
      if (p.name.empty() || p.version.empty()) __builtin_trap();
    }
  }
  (void)LastAptChange(text, "fuzz");
  (void)LastDpkgChange(text);
  return 0;
}
