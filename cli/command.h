// How a shokoctl command joins the program (docs/interfaces.md, "shokoctl"):
// the command's own file adds its subcommand, flags and help texts to the
// app and says what runs it; cli/main.cc only lists the commands and runs the
// one parsed. Every command ends through one exit-code table (ExitCodeFor).
#ifndef SHOKO_CLI_COMMAND_H_
#define SHOKO_CLI_COMMAND_H_

#include <functional>
#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "platform/status.h"

namespace CLI {
class App;
}

namespace shoko::cli {

// What runs each subcommand, by the subcommand that chose it.
class Commands {
 public:
  // Runs a command: its output on `out`, messages on `err`; the exit code.
  using Run = std::function<int(std::ostream& out, std::ostream& err)>;

  // `run` runs when `command` is the subcommand parsed.
  void On(CLI::App* command, Run run) { runs_.emplace_back(command, std::move(run)); }
  // Runs the parsed subcommand's Run and returns its exit code.
  int RunParsed(std::ostream& out, std::ostream& err) const;

 private:
  std::vector<std::pair<CLI::App*, Run>> runs_;
};

// Adds one command (or a group of subcommands) to `app`.
using AddCommand = void (*)(CLI::App& app, Commands& commands);

// A text option: its flag, where its value goes, its help, and the name
// --help shows for the value.
struct TextOption {
  const char* flag;
  std::string* value;
  const char* help;
  const char* type_name;
};
void AddTextOptions(CLI::App* command, std::initializer_list<TextOption> options);
// --format FORMAT, "Output format.", one of `formats`.
void AddFormatOption(CLI::App* command, std::string* format, std::vector<std::string> formats);

// Says why a command stopped, "shokoctl: MESSAGE" on `err`, and returns the
// exit code for `status` (ExitCodeFor).
int Fail(const Status& status, std::ostream& err);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_COMMAND_H_
