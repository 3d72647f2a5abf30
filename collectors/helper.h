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

// Where a helper reads: `path`, the tree's directory; `foreign` when the tree
// is not the running system (an image, a fixture), so that its own settings
// (architectures, configuration) count rather than the running system's.
// Helpers hand paths to libraries that resolve them with the kernel's usual
// lookup, so before reading a foreign tree they check (ResolvesInside) that
// no symlink leads out of it.
struct HelperRoot {
  std::string path = "/";
  bool foreign = false;
};

// Computes an answer (usually JSON) for the tree at `root`.
using HelperFunction = Result<std::string> (*)(const HelperRoot& root);

struct Helper {
  HelperFunction run = nullptr;
};

// Registers `fn` under `name` during static initialisation.
bool RegisterHelper(std::string name, HelperFunction fn);
// The helper named `name`, or null.
const Helper* FindHelper(std::string_view name);

// OK when `path` (a path under `root`, as this system names it) does not
// exist or resolves to a place inside `root`; InvalidArgument naming both
// where it leads otherwise (an absolute symlink in an image, say).
Status ResolvesInside(const std::string& root, const std::string& path);

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
