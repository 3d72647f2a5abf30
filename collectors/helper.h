// Helpers: the heavy part of a collector as a plain function of a root
// directory, registered by name so that the agent can run it in a child
// process (`shoko-agent helper NAME --root DIR`) and tests can call it
// directly. libapt-pkg's cache build, for one, costs ~50 MB of heap that a
// long-running daemon would otherwise keep.
#ifndef SHOKO_COLLECTORS_HELPER_H_
#define SHOKO_COLLECTORS_HELPER_H_

#include <string>
#include <string_view>

#include "collectors/collector.h"

namespace shoko::collectors {

// Computes an answer (usually JSON) for the host tree at `root`.
using HelperFunction = Result<std::string> (*)(const std::string& root);

// Registers `fn` under `name` during static initialisation.
bool RegisterHelper(std::string name, HelperFunction fn);
// The helper named `name`, or null.
HelperFunction FindHelper(std::string_view name);

// Runs helpers in the calling process.
class InProcessHelperRunner final : public HelperRunner {
 public:
  Result<std::string> Run(const std::string& helper, const std::string& root) const override;
};

// Runs `helper` through `runner`, or in this process when `runner` is null.
Result<std::string> RunHelper(const HelperRunner* runner, const std::string& helper,
                              const std::string& root);

}  // namespace shoko::collectors

#define SHOKO_REGISTER_HELPER(name, fn)                                          \
  static const bool SHOKO_COLLECTOR_CONCAT(shoko_registered_helper_, __LINE__) = \
      ::shoko::collectors::RegisterHelper(name, fn)

#endif  // SHOKO_COLLECTORS_HELPER_H_
