// `shokoctl evidence`: list stored evidence, re-verifying every signature.
#ifndef SHOKO_CLI_EVIDENCE_COMMAND_H_
#define SHOKO_CLI_EVIDENCE_COMMAND_H_

#include <ostream>
#include <string>

namespace shoko::cli {

struct EvidenceQuery {
  std::string store;    // --store, may be empty (see ResolveStoreAddress)
  std::string control;  // --control REF
  std::string agent;    // --agent ID (or a prefix)
  std::string format = "table";
  unsigned limit = 0;
};

// Returns the process exit code: 0 all listed records verify, 1 some do not,
// 2 usage, 3 store unreachable, 4 internal error.
int RunEvidence(const EvidenceQuery& query, std::ostream& out, std::ostream& err);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_EVIDENCE_COMMAND_H_
