// `shoko-agent identity`: the agent's id, making its first key (and an empty
// chain) if needed, so that an operator can have its certificate issued
// before it runs.
#include "agent/commands/command.h"

namespace shoko::agent {
namespace {

class IdentityCommand final : public ConfiguredSubcommand {
 public:
  explicit IdentityCommand(CLI::App& app)
      : ConfiguredSubcommand(app, "identity",
                             "Print the agent_id (making the agent's first key if it has none).") {}

  int Run() override {
    auto config = LoadAgentConfig(config_path_);
    if (!config.ok()) return Fail(config.status());
    auto dir = StateDir::OpenIdentity(config->state_dir);
    if (!dir.ok()) return Fail(dir.status());
    return PrintAgentId(dir->identity());
  }
};

}  // namespace

std::unique_ptr<Command> AddIdentityCommand(CLI::App& app) {
  return std::make_unique<IdentityCommand>(app);
}

}  // namespace shoko::agent
