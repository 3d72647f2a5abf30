// `shoko-agent identity`: the agent's id, making its first key (and an empty
// chain) if needed, so that an operator can have its certificate issued
// before it runs.
#include <iostream>

#include "agent/commands/command.h"

namespace shoko::agent {
namespace {

class IdentityCommand final : public Command {
 public:
  explicit IdentityCommand(CLI::App& app) {
    command_ = app.add_subcommand(
        "identity", "Print the agent_id (making the agent's first key if it has none).");
    command_->add_option("--config", config_path_, "Agent config file.")
        ->required()
        ->type_name("FILE");
  }
  bool Chosen() const override { return command_->parsed(); }

  int Run() override {
    auto config = LoadAgentConfig(config_path_);
    if (!config.ok()) return Fail(config.status());
    auto dir = StateDir::OpenIdentity(config->state_dir);
    if (!dir.ok()) return Fail(dir.status());
    std::cout << dir->identity().agent_id << std::endl;
    return kExitOk;
  }

 private:
  CLI::App* command_;
  std::string config_path_;
};

}  // namespace

std::unique_ptr<Command> AddIdentityCommand(CLI::App& app) {
  return std::make_unique<IdentityCommand>(app);
}

}  // namespace shoko::agent
