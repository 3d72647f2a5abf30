// `shokoctl verify --log-key PUB BUNDLE`: a bundle checked offline against
// the pinned log key alone (docs/interfaces.md, "Verifying a bundle").
#ifndef SHOKO_CLI_BUNDLE_VERIFY_H_
#define SHOKO_CLI_BUNDLE_VERIFY_H_

#include <cstddef>
#include <ostream>
#include <string>

namespace shoko::cli {

// The largest bundle read (docs/interfaces.md, "Verifying a bundle"): it is
// one JSON document, read whole.
inline constexpr size_t kMaxBundleBytes = size_t{1} << 30;

struct BundleVerifyRequest {
  std::string file;
  std::string log_key;   // --log-key FILE (else shokoctl.yaml's log_key)
  std::string previous;  // --previous CHECKPOINT_FILE
  size_t witnesses = 0;  // --witnesses K
};

// Whether the file at `path` starts as a bundle does ({"format":
// "shoko-bundle/…), read from its first few KiB only: a bundle is one long
// line. False when it cannot be read.
bool LooksLikeBundle(const std::string& path);

// Prints one line per finding ("FILE: " and evidence::DescribeFinding), a line
// per agent with its stated range, then a summary, on `out`. Returns 0 when
// the bundle has no finding, 1 when it has any or is not a bundle, else
// ExitCodeFor the failure (2: no log key, a file that cannot be read).
int RunVerifyBundle(const BundleVerifyRequest& request, std::ostream& out, std::ostream& err);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_BUNDLE_VERIFY_H_
