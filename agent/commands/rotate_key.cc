// `shoko-agent rotate-key`: replaces the signing key; the agent keeps its
// agent_id (docs/agent-state.md, "Key rotation"). With --config the rotation
// record goes to the outbox; with --state-dir (offline) it is printed as a
// DSSE line to keep with the collected files.
#include "agent/commands/command.h"
#include "agent/log.h"
#include "agent/sweep.h"
#include "platform/time_format.h"

namespace shoko::agent {
namespace {

void LogRotation(const StateDir::Rotation& rotation, const StateDir& dir, const std::string& then) {
  Log("rotated the signing key from " + rotation.old_key_id + " to " +
      dir.identity().key.public_key().KeyId() + " at seq " + std::to_string(rotation.seq) + "; " +
      then);
}

class RotateKeyCommand final : public Subcommand {
 public:
  explicit RotateKeyCommand(CLI::App& app)
      : Subcommand(app, "rotate-key",
                   "Replace the signing key; the agent keeps its agent_id. Stop the daemon "
                   "first.") {
    auto* config =
        command_->add_option("--config", config_path_, "Agent config file (an agent that uploads).")
            ->type_name("FILE");
    command_
        ->add_option("--state-dir", state_dir_,
                     "An offline state directory (collect --sign); prints the rotation record.")
        ->type_name("DIR")
        ->excludes(config);
    command_->require_option(1);
  }
  int Run() override { return config_path_.empty() ? RotateOffline() : RotateOnline(); }

 private:
  int RotateOnline();
  int RotateOffline();

  std::string config_path_, state_dir_;
};

int RotateKeyCommand::RotateOnline() {
  auto agent = OpenOnlineAgent(config_path_);
  if (!agent.ok()) return Fail(agent.status());
  StateDir& dir = agent->dir;
  Recorder recorder(MakeRecordContext(dir.identity().agent_id, agent->config, &agent->setup),
                    &dir.outbox());
  const int64_t now = agent->setup.env->NowMicros();
  if (Status s = ReportRecovery(dir, recorder, now); !s.ok()) return Fail(s);
  auto rotation =
      dir.RotateKey([&](const evidence::SigningKey& current, const evidence::PublicKey& next) {
        return recorder.RecordRotation(current, next, now);
      });
  if (!rotation.ok()) return Fail(rotation.status());
  LogRotation(*rotation, dir, "agent_id stays " + dir.identity().agent_id);
  return kExitOk;
}

int RotateKeyCommand::RotateOffline() {
  auto dir = StateDir::OpenOffline(state_dir_);
  if (!dir.ok()) return Fail(dir.status());
  // An offline rotation has no config: the record names the agent and keys.
  const RecordContext context = MakeRecordContext(dir->identity().agent_id, AgentConfig(), nullptr);
  auto rotation = dir->RotateKey([&](const evidence::SigningKey& current,
                                     const evidence::PublicKey& next) -> Result<uint64_t> {
    ChainSigner signer(context.agent_id, dir->position());
    SHOKO_ASSIGN_OR_RETURN(
        const OutboxRecord record,
        signer.Sign(BuildRotation(context, current, next, platform::WallClockMicros()), current));
    signer.HandOver(next.KeyId());
    SHOKO_RETURN_IF_ERROR(PublishOffline(*dir, signer.position(), {record}));
    return record.seq;
  });
  if (!rotation.ok()) return Fail(rotation.status());
  LogRotation(*rotation, *dir, "keep the printed record with the collected files");
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> AddRotateKeyCommand(CLI::App& app) {
  return std::make_unique<RotateKeyCommand>(app);
}

}  // namespace shoko::agent
