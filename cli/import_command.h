// `shokoctl import`: sends DSSE JSON-lines files collected offline
// (`shoko-agent collect --once --sign`) to a store, which verifies them exactly
// as a live upload.
#ifndef SHOKO_CLI_IMPORT_COMMAND_H_
#define SHOKO_CLI_IMPORT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "cli/store_client.h"

namespace shoko::cli {

struct ImportRequest {
  StoreFlags connection;               // see ConnectToStore
  std::vector<std::string> key_files;  // --key: agents' public keys (optional)
  std::vector<std::string> files;
};

// Verifies the files first (keys from --key, else each agent's own start
// records, whose key must be its first); refuses to send anything if a record
// has a problem other than a gap. Then, per agent: Hello, the records the store
// does not hold yet, in seq order, and the acks. Returns 0 when all were
// acknowledged, 1 for refused evidence, 2 usage, 3 store unreachable.
int RunImport(const ImportRequest& request, std::ostream& out, std::ostream& err);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_IMPORT_COMMAND_H_
