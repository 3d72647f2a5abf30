// `shokoctl evidence`: list stored evidence, re-verifying every signature.
#ifndef SHOKO_CLI_EVIDENCE_COMMAND_H_
#define SHOKO_CLI_EVIDENCE_COMMAND_H_

#include <chrono>
#include <functional>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"
#include "shoko/v1/audit.pb.h"

namespace shoko::cli {

struct EvidenceQuery {
  StoreFlags connection;  // see ConnectToStore
  std::string control;    // --control REF
  std::string agent;      // --agent ID (or a prefix)
  std::string format = "table";
  unsigned limit = 0;
  std::string log_key;  // --log-key FILE (else shokoctl.yaml's log_key)
};

// How long `shokoctl evidence` waits for its listing
// (docs/wire-protocol.md, "Channel settings").
inline constexpr std::chrono::seconds kEvidenceDeadline{30};

// Streams the records the store lists for `request` to `each`, stopping at
// the first error `each` returns; `deadline` bounds the whole call. A failed
// call names the store.
Status ListStoredEvidence(const StoreChannel& store, const v1::ListEvidenceRequest& request,
                          std::chrono::seconds deadline,
                          const std::function<Status(const v1::StoredEvidence&)>& each);

// Checks one record the store returned, without trusting the store: the
// signature under the key the store supplied, that key's binding to the
// record's key_id and agent_id, and the record digest. Returns "" when all
// hold, else the problem; fills `parsed` when the payload parses.
std::string VerifyStoredEvidence(const v1::StoredEvidence& stored, v1::Evidence* parsed);

// Lists the records, verifies each, checks each agent's chain over the range
// received and, with a pinned log key, each record's inclusion in the latest
// checkpoint (docs/interfaces.md, "Completeness"). Returns the process exit
// code: 0 when everything holds, 1 when anything does not, else ExitCodeFor
// the failure (2 usage or refused credentials, 3 store
// unreachable or not answering in time).
int RunEvidence(const EvidenceQuery& query, std::ostream& out, std::ostream& err);

// `shokoctl evidence`.
void AddEvidenceCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_EVIDENCE_COMMAND_H_
