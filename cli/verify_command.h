// `shokoctl verify`: checks DSSE JSON-lines files offline
// (docs/evidence-format.md, "Verifying records").
#ifndef SHOKO_CLI_VERIFY_COMMAND_H_
#define SHOKO_CLI_VERIFY_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "evidence/chain_verifier.h"
#include "platform/status.h"

namespace shoko::cli {

// The longest line read as one record (docs/interfaces.md, "Reading DSSE JSON
// lines"); a longer one is a malformed record, skipped without being read
// into memory.
inline constexpr size_t kMaxDsseLineBytes = size_t{16} << 20;

// The records of DSSE JSON-lines files, in order, as verifier inputs, with the
// file and 1-based line of each (blank lines are skipped).
struct DsseRecords {
  std::vector<evidence::VerifyInput> inputs;
  std::vector<std::pair<std::string, size_t>> where;
  // Files that gave no record, one line each: "FILE: no records", or "FILE:
  // not DSSE JSON lines: line N is not a JSON object" (the file's lines are
  // not read one by one), or a bundle.
  std::vector<std::string> file_problems;
};
// Errors name the file that cannot be opened or read.
Result<DsseRecords> ReadDsseFiles(const std::vector<std::string>& files);

// Public keys from PEM files; errors name the file.
Result<std::vector<evidence::PublicKey>> LoadPublicKeys(const std::vector<std::string>& files);

// "FILE: line N seq S: REASON[: detail]" for a finding on records.inputs[i].
std::string FormatFinding(const DsseRecords& records, size_t i, const evidence::Finding& finding);

// Verifies `files` (in order, as one sequence) against the public keys in the
// PEM files `key_files`. Prints one line per problem, "FILE: line N seq S:
// REASON[: detail]", then a summary, to `out`. Returns 0 when every record is
// valid, 1 when any is not, else ExitCodeFor the failure (2 for usage errors:
// no key, a missing file).
int RunVerify(const std::vector<std::string>& key_files, const std::vector<std::string>& files,
              std::ostream& out, std::ostream& err);

// `shokoctl verify`.
void AddVerifyCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_VERIFY_COMMAND_H_
