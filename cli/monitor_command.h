// `shokoctl monitor`: an auditor's monitor of the store's log
// (docs/interfaces.md, "The monitor"). Each run mirrors the leaves added since
// the last, checks the new checkpoint against the pinned key, against the
// checkpoint seen before (a split view) and against the mirrored leaves
// themselves (a dropped or altered leaf), checks each agent's leaves form one
// gap-free sequence, and names the agents that have gone silent.
#ifndef SHOKO_CLI_MONITOR_COMMAND_H_
#define SHOKO_CLI_MONITOR_COMMAND_H_

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

// Leaves asked for in one call, and saved (resumable) after each such call.
inline constexpr uint64_t kMirrorChunk = 65536;
// How long one call for a chunk of leaves may take (docs/wire-protocol.md,
// "Channel settings").
inline constexpr std::chrono::seconds kMirrorCallDeadline{600};
// An agent records a heartbeat at least this often unless configured
// otherwise (its `heartbeat` setting); the monitor allows twice as long.
inline constexpr const char* kDefaultHeartbeat = "15m";

struct MonitorRequest {
  StoreFlags connection;
  std::string log_key;  // --log-key FILE (required, here or in the config)
  std::string state;    // --state FILE
  std::string heartbeat = kDefaultHeartbeat;
};

// Prints each problem the mirrored log holds (those found in earlier runs
// too), each silent agent, then a summary. Returns 0 when there are none, 1
// when there are, else ExitCodeFor the failure.
int RunMonitor(const MonitorRequest& request, std::ostream& out, std::ostream& err);

// `shokoctl monitor`.
void AddMonitorCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_MONITOR_COMMAND_H_
