// `shokoctl checkpoint`: the store's signed checkpoint, checked against the
// pinned log key (docs/interfaces.md, "Checkpoints and proofs").
#ifndef SHOKO_CLI_CHECKPOINT_COMMAND_H_
#define SHOKO_CLI_CHECKPOINT_COMMAND_H_

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

// How long the log commands wait for one answer (docs/wire-protocol.md,
// "Channel settings").
inline constexpr std::chrono::seconds kLogCallDeadline{30};

struct CheckpointQuery {
  StoreFlags connection;
  std::string log_key;           // --log-key FILE
  uint64_t size = 0;             // --size N; 0: the latest
  std::string format = "table";  // table, json, note (the note verbatim, to keep)
};

// Prints the checkpoint. Returns 0, or 1 when a pinned key does not verify
// it (with what is wrong on `err`), else ExitCodeFor the failure.
int RunCheckpoint(const CheckpointQuery& query, std::ostream& out, std::ostream& err);

// `shokoctl checkpoint`.
void AddCheckpointCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_CHECKPOINT_COMMAND_H_
