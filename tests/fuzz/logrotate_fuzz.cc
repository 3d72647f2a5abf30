// logrotate's configuration syntax, through the real loader: the input is
// written as /etc/logrotate.conf of a scratch root (includes then resolve in
// that root, which has nothing else).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "collectors/logs/logrotate_config.h"
#include "platform/env.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string root = [] {
    char dir[] = "/tmp/shoko-logrotate-fuzz-XXXXXX";
    std::string made = ::mkdtemp(dir) ? dir : "/tmp";
    ::mkdir((made + "/etc").c_str(), 0700);
    return made;
  }();
  const std::string path = root + "/etc/logrotate.conf";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  auto env = shoko::platform::NewRootedEnv(root);
  if (!env.ok()) return 0;
  auto config = shoko::collectors::logs::LoadLogrotateConfig(**env, "/etc/logrotate.conf");
  if (config.ok()) {
    for (const auto& p : config->policies) {
      if (p.patterns.empty()) __builtin_trap();
      std::string why;
      (void)shoko::collectors::logs::RetentionDays(p, &why);
    }
  }
  return 0;
}
