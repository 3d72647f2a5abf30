// `shokoctl verify`: checks DSSE JSON-lines files offline (design §7).
#ifndef SHOKO_CLI_VERIFY_COMMAND_H_
#define SHOKO_CLI_VERIFY_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "evidence/chain_verifier.h"
#include "platform/status.h"

namespace shoko::cli {

// The lines of a DSSE JSON-lines file as verifier inputs (blank lines skipped;
// `line_numbers` gets each input's 1-based line).
Result<std::vector<evidence::VerifyInput>> ReadDsseLines(const std::string& path,
                                                         std::vector<size_t>* line_numbers);

// Verifies `files` (in order, as one sequence) against the public keys in the
// PEM files `key_files`. Prints one line per problem, "FILE: line N seq S:
// REASON[: detail]", then a summary, to `out`. Returns 0 when every record is
// valid, 1 when any is not, 2 for usage errors (no key, unreadable file).
int RunVerify(const std::vector<std::string>& key_files, const std::vector<std::string>& files,
              std::ostream& out, std::ostream& err);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_VERIFY_COMMAND_H_
