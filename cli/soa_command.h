// `shokoctl soa validate` and `shokoctl soa export`: a cloud service's
// statement of applicability checked against the catalog, and the package a
// CSP hands in for the scheme's pre-review of its choices (事前確認).
#ifndef SHOKO_CLI_SOA_COMMAND_H_
#define SHOKO_CLI_SOA_COMMAND_H_

#include <ostream>
#include <string>

#include "cli/command.h"

namespace shoko::cli {

struct SoaRequest {
  std::string file;
  std::string catalog_file;         // empty: the built-in catalog
  std::string mapping_file;         // empty: the built-in mapping
  std::string format = "markdown";  // export: markdown | json
  std::string today;                // YYYY-MM-DD; empty: today (UTC)
  bool export_package = false;
};

// validate: one line per problem "FILE:LINE: what" (exit 1), warnings for
// expired exceptions, and a summary (exit 0). export: the package on `out`.
// Other failures: ExitCodeFor them (2 for usage errors and missing files).
int RunSoa(const SoaRequest& request, std::ostream& out, std::ostream& err);

// `shokoctl soa validate` and `shokoctl soa export`.
void AddSoaCommands(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_SOA_COMMAND_H_
