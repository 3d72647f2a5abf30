// apt.conf syntax.
#include "collectors/patch/apt_conf.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shoko::collectors::patch::AptConf conf;
  shoko::Status s = conf.Parse(FuzzText(data, size), "fuzz");
  if (!s.ok() && s.message().rfind("fuzz", 0) != 0) __builtin_trap();
  (void)conf.Get("APT::Periodic::Unattended-Upgrade");
  (void)conf.List("Unattended-Upgrade::Origins-Pattern");
  return 0;
}
