// `shokoctl enroll` and `shokoctl agent`: the admin's side of enrollment and
// of agent states (docs/wire-protocol.md, "Enrollment and renewal" and
// "Administration").
#ifndef SHOKO_CLI_ADMIN_COMMAND_H_
#define SHOKO_CLI_ADMIN_COMMAND_H_

#include <chrono>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/store_client.h"

namespace shoko::cli {

struct EnrollCreate {
  StoreFlags connection;
  std::string ttl = "1h";
  std::string note;
};
// Prints a one-time bootstrap token for `shoko-agent enroll`.
int RunEnrollCreate(const EnrollCreate& request, std::ostream& out, std::ostream& err);

struct AgentAction {
  StoreFlags connection;
  std::string action;    // register, revoke, retire
  std::string pub_file;  // register: the agent's first public key (PEM)
  std::string agent_id;  // revoke, retire
  std::string reason;
};
int RunAgentAction(const AgentAction& request, std::ostream& out, std::ostream& err);

// `shokoctl enroll create`.
void AddEnrollCommands(CLI::App& app, Commands& commands);
// `shokoctl agent register|revoke|retire`.
void AddAgentCommands(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_ADMIN_COMMAND_H_
