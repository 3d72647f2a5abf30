#include "cli/command.h"

#include <CLI/CLI.hpp>

#include "platform/exit_code.h"

namespace shoko::cli {

int Commands::RunParsed(std::ostream& out, std::ostream& err) const {
  for (const auto& [command, run] : runs_) {
    if (command->parsed()) return run(out, err);
  }
  // The parser requires a subcommand of every group: not reached.
  return Fail(Status::Internal("no command to run"), err);
}

int Fail(const Status& status, std::ostream& err) {
  err << "shokoctl: " << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace shoko::cli
