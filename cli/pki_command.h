// `shokoctl pki`: the certificate authority of a shoko deployment
// (docs/wire-protocol.md, "Identities").
#ifndef SHOKO_CLI_PKI_COMMAND_H_
#define SHOKO_CLI_PKI_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "platform/status.h"
#include "platform/x509.h"

namespace shoko::cli {

struct PkiInit {
  std::string dir;
  std::string name = "shoko-ca";
  int days = 3650;
};
struct PkiIssue {
  std::string dir;
  std::string role;
  std::string name;
  std::vector<std::string> hosts;
  int days = 397;
};

// Writes DIR/ca.crt and DIR/ca.key (0600); refuses to overwrite them.
int RunPkiInit(const PkiInit& request, std::ostream& out, std::ostream& err);
// Writes DIR/NAME.crt and DIR/NAME.key (0600), issued by DIR/ca.*.
int RunPkiIssue(const PkiIssue& request, std::ostream& out, std::ostream& err);

// `shokoctl pki init` and `shokoctl pki issue`.
void AddPkiCommands(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_PKI_COMMAND_H_
