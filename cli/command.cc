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

void AddTextOptions(CLI::App* command, std::initializer_list<TextOption> options) {
  for (const TextOption& o : options) {
    command->add_option(o.flag, *o.value, o.help)->type_name(o.type_name);
  }
}

void AddFormatOption(CLI::App* command, std::string* format, std::vector<std::string> formats) {
  command->add_option("--format", *format, "Output format.")
      ->check(CLI::IsMember(std::move(formats)))
      ->type_name("FORMAT");
}

int Fail(const Status& status, std::ostream& err) {
  err << "shokoctl: " << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace shoko::cli
