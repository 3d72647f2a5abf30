// `shokoctl incidents`: what the store holds as incidents, oldest first
// (docs/interfaces.md, "Incidents"): gaps in agents' chains, forks it refused,
// and the witness incidents agents recorded against its log.
#ifndef SHOKO_CLI_INCIDENTS_COMMAND_H_
#define SHOKO_CLI_INCIDENTS_COMMAND_H_

#include <chrono>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

// How long `shokoctl incidents` waits for its listing (docs/wire-protocol.md,
// "Channel settings").
inline constexpr std::chrono::seconds kIncidentsDeadline{30};

struct IncidentsQuery {
  StoreFlags connection;
  std::string agent;  // --agent ID (or a prefix)
  std::string kind;   // --kind gap|fork|witness; empty: all
  std::string format = "table";
};

// Lists the incidents. Returns 0 whatever they are, else ExitCodeFor the
// failure.
int RunIncidents(const IncidentsQuery& query, std::ostream& out, std::ostream& err);

// `shokoctl incidents`.
void AddIncidentsCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_INCIDENTS_COMMAND_H_
