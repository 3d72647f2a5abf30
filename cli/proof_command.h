// `shokoctl proof inclusion` and `shokoctl proof consistency`: the log's
// proofs, verified against checkpoints signed by the pinned log key
// (docs/interfaces.md, "Checkpoints and proofs").
#ifndef SHOKO_CLI_PROOF_COMMAND_H_
#define SHOKO_CLI_PROOF_COMMAND_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

struct ProofQuery {
  StoreFlags connection;
  std::string log_key;  // --log-key FILE
  std::string format = "table";
  // inclusion: --leaf N, or --agent ID --seq S; --size N (0: the latest)
  std::optional<uint64_t> leaf;
  std::string agent;
  uint64_t seq = 0;
  uint64_t size = 0;
  // consistency: --from N [--to M] (0: the latest)
  uint64_t from = 0;
  uint64_t to = 0;
};

// Print the proof; with a pinned key, verify it: 0 when it holds (or no key
// is pinned, which they say), 1 when it does not, else ExitCodeFor the
// failure.
int RunInclusionProof(const ProofQuery& query, std::ostream& out, std::ostream& err);
int RunConsistencyProof(const ProofQuery& query, std::ostream& out, std::ostream& err);

// `shokoctl proof inclusion|consistency`.
void AddProofCommands(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_PROOF_COMMAND_H_
