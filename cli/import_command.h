// `shokoctl import`: sends DSSE JSON-lines files collected offline
// (`shoko-agent collect --once --sign`) to a store, which verifies them exactly
// as a live upload.
#ifndef SHOKO_CLI_IMPORT_COMMAND_H_
#define SHOKO_CLI_IMPORT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

struct ImportRequest {
  StoreFlags connection;               // see ConnectToStore
  std::vector<std::string> key_files;  // --key: agents' public keys (optional)
  std::vector<std::string> files;
};

// Verifies the files first (keys from --key, else each agent's own start
// records, whose key must be its first); refuses to send anything if a record
// has a problem other than a gap. Then, per agent, one upload
// (evidence::Upload) of all its records in seq order: those the store holds
// go again, so that another record at a held seq (a fork) cannot pass
// unnoticed. Returns 0 when all were acknowledged, 1 for evidence the files
// or the store refused, else ExitCodeFor the failure (2 usage or refused
// credentials, 3 store unreachable or not answering in time).
int RunImport(const ImportRequest& request, std::ostream& out, std::ostream& err);

// `shokoctl import`.
void AddImportCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_IMPORT_COMMAND_H_
