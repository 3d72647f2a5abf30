// `shokoctl compliance`: the compliance matrix the store builds
// (docs/controls.md, "Compliance roll-up"), with the statements of
// applicability and exceptions applied.
#ifndef SHOKO_CLI_COMPLIANCE_COMMAND_H_
#define SHOKO_CLI_COMPLIANCE_COMMAND_H_

#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

struct ComplianceQuery {
  StoreFlags connection;           // see ConnectToStore
  std::string framework;           // --framework (the store's default: ismap)
  std::string service;             // --service NAME: hosts with this service label
  std::string agent;               // --agent ID (or a prefix)
  std::string importance, threat;  // --importance, --threat: controls with these
  std::string status;              // --status: controls with this status
  std::string sort = "control";    // control | importance | status
  std::string format = "table";    // table | json
};

// Prints the matrix; alerts (an expired exception) and warnings also go to
// `err`. Returns 0 whatever the controls' status (a report that shows
// failures succeeded), else ExitCodeFor the failure (2 usage or refused
// credentials, 3 store unreachable or not answering in time).
int RunCompliance(const ComplianceQuery& query, std::ostream& out, std::ostream& err);

// `shokoctl compliance`.
void AddComplianceCommand(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_COMPLIANCE_COMMAND_H_
