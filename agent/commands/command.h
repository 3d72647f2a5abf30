// The commands of shoko-agent (docs/interfaces.md, "shoko-agent"), one file
// each. A command registers its own flags on the program's CLI::App; main
// asks each in turn whether the command line chose it and runs that one.
#ifndef SHOKO_AGENT_COMMANDS_COMMAND_H_
#define SHOKO_AGENT_COMMANDS_COMMAND_H_

#include <CLI/CLI.hpp>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/outbox.h"
#include "agent/recorder.h"
#include "agent/state_dir.h"
#include "agent/sweep.h"
#include "platform/exit_code.h"
#include "platform/status.h"

namespace shoko::agent {

// One command: its flags registered on construction, run if chosen.
class Command {
 public:
  virtual ~Command() = default;
  // Whether the parsed command line chose this command.
  virtual bool Chosen() const = 0;
  // Runs it; returns the exit code (platform/exit_code.h).
  virtual int Run() = 0;
};

// A command that is a subcommand (`shoko-agent NAME …`).
class Subcommand : public Command {
 public:
  Subcommand(CLI::App& app, const std::string& name, const std::string& description)
      : command_(app.add_subcommand(name, description)) {}
  bool Chosen() const override { return command_->parsed(); }

 protected:
  CLI::App* const command_;
};

// A subcommand that runs with an agent config: `--config FILE`, required.
class ConfiguredSubcommand : public Subcommand {
 public:
  ConfiguredSubcommand(CLI::App& app, const std::string& name, const std::string& description)
      : Subcommand(app, name, description) {
    command_->add_option("--config", config_path_, "Agent config file.")
        ->required()
        ->type_name("FILE");
  }

 protected:
  std::string config_path_;
};

// In the order main asks them: --check-config stands alone and comes first.
std::unique_ptr<Command> AddCheckConfigCommand(CLI::App& app);
std::unique_ptr<Command> AddCollectCommand(CLI::App& app);
std::unique_ptr<Command> AddRunCommand(CLI::App& app);
std::unique_ptr<Command> AddEnrollCommand(CLI::App& app);
std::unique_ptr<Command> AddIdentityCommand(CLI::App& app);
std::unique_ptr<Command> AddRotateKeyCommand(CLI::App& app);
std::unique_ptr<Command> AddHelperCommand(CLI::App& app);

// What the commands share.

// A string option of a command: --NAME VALUE.
struct StringOption {
  const char* name;
  std::string* value;
  const char* help;
  const char* type_name;  // DIR, FILE…
};
void AddStringOptions(CLI::App* command, std::initializer_list<StringOption> options);

// What `run` and `rotate-key --config` work on: the config, its sweep setup,
// and the state directory opened online.
struct OnlineAgent {
  AgentConfig config;
  SweepSetup setup;
  StateDir dir;
};
Result<OnlineAgent> OpenOnlineAgent(const std::string& config_path);

// Logs "error: MESSAGE" and returns the exit code for `status`.
int Fail(const Status& status);

// The config at `path`, or the defaults when no file is named.
Result<AgentConfig> LoadConfigOrDefault(const std::string& path);

// Says loudly, and in a LIFECYCLE record, that the outbox was lost or corrupt
// and where the chain continues; every command that writes to an online chain
// calls this first, so the notice cannot be skipped.
Status ReportRecovery(StateDir& dir, Recorder& recorder, int64_t now_us);

// Prints the agent_id on stdout, what `identity` and `enroll` answer (for
// scripts); kExitOk.
int PrintAgentId(const AgentIdentity& identity);

// Offline: publishes `records` on stdout as DSSE JSON lines once chain.head
// has moved past them (to `after`), so a failed write leaves a gap an auditor
// sees, never a reused seq.
Status PublishOffline(StateDir& dir, const ChainPosition& after,
                      const std::vector<OutboxRecord>& records);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_COMMANDS_COMMAND_H_
