// dnf's INI files and repository metadata: repomd.xml, primary.xml,
// updateinfo.xml, and the decompression in front of them.
#include "collectors/common/decompress.h"
#include "collectors/common/ini.h"
#include "collectors/patch/dnf_metadata.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoko::collectors;
  using namespace shoko::collectors::patch;
  std::string_view text = FuzzText(data, size);
  auto ini = ParseIni(text, "fuzz");
  if (!ini.ok() && ini.status().message().rfind("fuzz:", 0) != 0) __builtin_trap();
  (void)ParseRepomd(text, "fuzz");
  (void)ParsePrimary(text, "fuzz", [](const std::string&) { return true; });
  (void)ParseUpdateinfo(text, "fuzz");
  ModuleIndex modules;
  (void)ParseModulesYaml(text, "fuzz", &modules);
  auto plain = Decompress(text, "fuzz", 64u << 20);
  if (plain.ok() && plain->size() > (64u << 20)) __builtin_trap();
  return 0;
}
