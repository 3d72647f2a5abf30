// `shokoctl export`: the store's evidence in a form an auditor verifies
// offline (docs/interfaces.md, "Exports"): DSSE JSON lines, as `shokoctl
// verify --key` reads them, or a bundle that also carries the log's proofs.
#ifndef SHOKO_CLI_EXPORT_COMMAND_H_
#define SHOKO_CLI_EXPORT_COMMAND_H_

#include <chrono>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

// How long an export waits for its listing (docs/wire-protocol.md, "Channel
// settings").
inline constexpr std::chrono::seconds kExportDeadline{600};

struct ExportRequest {
  StoreFlags connection;
  std::string format;    // bundle, dsse
  std::string agent;     // --agent ID (or a prefix)
  std::string control;   // --control REF
  std::string output;    // -o FILE
  std::string previous;  // --previous CHECKPOINT_FILE (bundle)
};

// Writes the export to request.output (replacing it whole, or not at all);
// says what it wrote on `out`. Returns 0, or ExitCodeFor the failure.
int RunExport(const ExportRequest& request, std::ostream& out, std::ostream& err);

// `shokoctl export`.
void AddExportCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_EXPORT_COMMAND_H_
