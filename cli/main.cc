// shokoctl: the command line for ops teams and auditors (docs/interfaces.md,
// "shokoctl"). Each command's file adds its own subcommand and flags; this
// file only lists them, parses, and runs the one chosen.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/admin_command.h"
#include "cli/catalog_command.h"
#include "cli/checkpoint_command.h"
#include "cli/command.h"
#include "cli/compliance_command.h"
#include "cli/controls_command.h"
#include "cli/evidence_command.h"
#include "cli/export_command.h"
#include "cli/import_command.h"
#include "cli/incidents_command.h"
#include "cli/monitor_command.h"
#include "cli/pki_command.h"
#include "cli/proof_command.h"
#include "cli/soa_command.h"
#include "cli/verify_command.h"
#include "platform/exit_code.h"
#include "shoko/version.h"

namespace shoko::cli {
namespace {

// In the order --help lists them.
constexpr AddCommand kCommands[] = {
    AddEvidenceCommand,  AddComplianceCommand, AddCheckpointCommand, AddProofCommands,
    AddExportCommand,    AddVerifyCommand,     AddMonitorCommand,    AddIncidentsCommand,
    AddImportCommand,    AddPkiCommands,       AddEnrollCommands,    AddAgentCommands,
    AddControlsCommands, AddCatalogCommands,   AddSoaCommands,
};

int Main(int argc, char** argv) {
  CLI::App app{"shokoctl: query and verify the evidence a shoko store holds."};
  app.set_version_flag("--version", std::string(kShokoVersion));
  app.require_subcommand(1);
  Commands commands;
  for (AddCommand add : kCommands) add(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "shokoctl: usage: " << e.what() << " (see --help)" << std::endl;
    return kExitUsage;
  }
  return commands.RunParsed(std::cout, std::cerr);
}

}  // namespace
}  // namespace shoko::cli

int main(int argc, char** argv) {
  try {
    return shoko::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "shokoctl: internal error: " << e.what() << std::endl;
    return shoko::kExitInternal;
  }
}
