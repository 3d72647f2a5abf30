// shoko-agent: collects evidence on a host, signs and chains it, buffers it in
// its outbox and uploads it to the store (docs/architecture.md, "agent/").
// This file only wires the command line to the commands in agent/commands/.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <vector>

#include "agent/commands/command.h"
#include "agent/log.h"
#include "platform/exit_code.h"
#include "shoko/version.h"

namespace shoko::agent {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{
      "shoko-agent: collects signed, hash-chained evidence of this host's controls "
      "and uploads it to a shoko store."};
  app.set_version_flag("--version", std::string(kShokoVersion));
  // --check-config stands alone; otherwise one subcommand is required.
  app.require_subcommand(0, 1);
  std::vector<std::unique_ptr<Command>> commands;
  for (auto add : {AddCheckConfigCommand, AddCollectCommand, AddRunCommand, AddEnrollCommand,
                   AddIdentityCommand, AddRotateKeyCommand, AddHelperCommand}) {
    commands.push_back(add(app));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    Log(std::string("usage: ") + e.what() + " (see --help)");
    return kExitUsage;
  }
  for (const auto& command : commands) {
    if (command->Chosen()) return command->Run();
  }
  Log("usage: a subcommand (or --check-config) is required (see --help)");
  return kExitUsage;
}

}  // namespace
}  // namespace shoko::agent

int main(int argc, char** argv) {
  try {
    return shoko::agent::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "shoko-agent: internal error: " << e.what() << std::endl;
    return shoko::kExitInternal;
  }
}
