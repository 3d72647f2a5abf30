// `shoko-agent enroll`: a TLS certificate for this agent, in exchange for a
// one-time token (agent/enrollment.h).
#include "agent/commands/command.h"
#include "agent/enrollment.h"
#include "agent/log.h"
#include "agent/store_link.h"
#include "evidence/note.h"
#include "platform/grpc_tls.h"
#include "platform/local_files.h"
#include "platform/strings.h"
#include "platform/time_format.h"

namespace shoko::agent {
namespace {

struct EnrollFlags {
  std::string config, state_dir, store, ca, token;
};

// Pins the store's log key as enrollment gave it (docs/agent-state.md, "The
// witness"). A key already pinned is never replaced by another: that is
// the change pinning exists to catch.
Status PinLogKey(const StateDir& dir, const std::string& given) {
  const std::string path = dir.log_key_file();
  if (given.empty()) {
    Log("the store has no log key to pin; the agent will not witness its log");
    return Status::OK();
  }
  auto key = evidence::NoteVerifier::Parse(given);
  if (!key.ok()) return Status::Corruption("the store's log key: " + key.status().message());
  auto pinned = platform::ReadLocalFile(path, 64 << 10);
  if (pinned.ok()) {
    auto old = evidence::NoteVerifier::Parse(*pinned);
    if (old.ok() && old->ToString() == key->ToString()) return Status::OK();
    return Status::InvalidArgument(path + " pins another log key (" +
                                   std::string(platform::Trim(*pinned)) + ") than the store's (" +
                                   key->ToString() +
                                   "); the pin is kept: remove the file to pin the store's key");
  }
  if (!pinned.status().IsNotFound()) return pinned.status();
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(path, key->ToString() + "\n", 0644));
  Log("pinned the store's log key " + key->ToString() + " in " + path);
  return Status::OK();
}

class EnrollCommand final : public Subcommand {
 public:
  explicit EnrollCommand(CLI::App& app);
  int Run() override;

 private:
  EnrollFlags flags_;
};

EnrollCommand::EnrollCommand(CLI::App& app)
    : Subcommand(app, "enroll",
                 "Get this agent's TLS certificate from the store with a one-time token.") {
  command_->add_option("--token", flags_.token, "From `shokoctl enroll create`.")
      ->required()
      ->type_name("TOKEN");
  AddStringOptions(command_,
                   {{"--config", &flags_.config, "Agent config (state_dir, store, ca).", "FILE"},
                    {"--state-dir", &flags_.state_dir, "Overrides the config's state_dir.", "DIR"},
                    {"--store", &flags_.store, "The store, HOST:PORT.", "HOST:PORT"},
                    {"--ca", &flags_.ca, "The deployment CA certificate.", "FILE"}});
}

int EnrollCommand::Run() {
  auto config = LoadConfigOrDefault(flags_.config);
  if (!config.ok()) return Fail(config.status());
  if (!flags_.state_dir.empty()) config->state_dir = flags_.state_dir;
  if (!flags_.store.empty()) config->store_address = flags_.store;
  if (!flags_.ca.empty()) config->store_ca = flags_.ca;
  if (config->store_address.empty() || config->store_ca.empty()) {
    return Fail(
        Status::InvalidArgument("enroll needs the store (--store or the config's store.address) "
                                "and the deployment CA (--ca or store.ca)"));
  }
  auto dir = StateDir::OpenIdentity(config->state_dir);
  if (!dir.ok()) return Fail(dir.status());
  // Server-authenticated TLS: the agent has no certificate yet.
  auto channel =
      platform::OpenChannel(config->store_address, platform::TlsFiles{config->store_ca, "", ""},
                            grpc::ChannelArguments());
  if (!channel.ok()) return Fail(channel.status());
  config->store_insecure_loopback = false;
  const platform::TlsFiles paths = *StoreTls(*config);
  std::string log_key;
  auto not_after =
      Enroll(*channel, dir->identity().key, flags_.token, {paths.cert, paths.key}, &log_key);
  if (!not_after.ok()) return Fail(not_after.status());
  Log("enrolled agent " + dir->identity().agent_id + " with " + config->store_address +
      "; certificate " + paths.cert + " valid until " + platform::FormatRfc3339(*not_after));
  if (Status s = PinLogKey(*dir, log_key); !s.ok()) return Fail(s);
  return PrintAgentId(dir->identity());
}

}  // namespace

std::unique_ptr<Command> AddEnrollCommand(CLI::App& app) {
  return std::make_unique<EnrollCommand>(app);
}

}  // namespace shoko::agent
