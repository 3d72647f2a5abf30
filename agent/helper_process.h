// Runs collector helpers (collectors/helper.h) in a child process: this very
// binary, re-executed as `shoko-agent helper NAME --root DIR`
// (agent/commands/helper.cc). What a helper allocates (libapt-pkg's cache:
// ~50 MB) leaves with the child, so the daemon's resident memory stays where
// it was.
#ifndef SHOKO_AGENT_HELPER_PROCESS_H_
#define SHOKO_AGENT_HELPER_PROCESS_H_

#include <chrono>
#include <string>

#include "collectors/collector.h"

namespace shoko::agent {

class ChildHelperRunner final : public collectors::HelperRunner {
 public:
  // `self` is the agent's executable (normally /proc/self/exe).
  explicit ChildHelperRunner(std::string self = "/proc/self/exe",
                             std::chrono::seconds timeout = std::chrono::seconds(300))
      : self_(std::move(self)), timeout_(timeout) {}

  // The child's stdout. Errors carry its stderr's last line, or how it ended
  // (timeout, signal, output beyond 64 MiB).
  Result<std::string> Run(const std::string& helper, const std::string& root) const override;

 private:
  std::string self_;
  std::chrono::seconds timeout_;
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_HELPER_PROCESS_H_
