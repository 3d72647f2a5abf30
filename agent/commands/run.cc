// `shoko-agent run`: the daemon (agent/daemon.h) over the online state
// directory, uploading to the config's store.
#include <unistd.h>

#include "agent/commands/command.h"
#include "agent/config_fingerprint.h"
#include "agent/daemon.h"
#include "agent/helper_process.h"
#include "agent/log.h"
#include "agent/store_link.h"
#include "agent/sweep.h"
#include "evidence/encoding.h"

namespace shoko::agent {
namespace {

// The start record's facts besides the config's digest and files.
nlohmann::json StartFacts(const AgentConfig& config, const SweepSetup& setup,
                          const evidence::SigningKey& key, bool once) {
  return {{"mode", once ? "once" : "daemon"},
          {"pid", ::getpid()},
          {"config_file", config.source},
          {"collectors", setup.collectors},
          {"key_id", key.public_key().KeyId()},
          {"public_key", evidence::Base64Encode(key.public_key().raw())},
          {"interval_seconds", config.interval.count()},
          {"refresh_seconds", config.refresh.count()},
          {"heartbeat_seconds", config.heartbeat.count()}};
}

class RunCommand final : public ConfiguredSubcommand {
 public:
  explicit RunCommand(CLI::App& app)
      : ConfiguredSubcommand(
            app, "run", "Collect on an interval, sign, chain, buffer and upload to the store.") {
    command_->add_flag("--once", once_, "One sweep: collect, upload, wait for the acks, exit.");
  }
  int Run() override;

 private:
  bool once_ = false;
};

int RunCommand::Run() {
  // Before gRPC starts threads, so that none of them takes a stop signal.
  SignalClock clock;
  auto agent = OpenOnlineAgent(config_path_);
  if (!agent.ok()) return Fail(agent.status());
  const AgentConfig& config = agent->config;
  const SweepSetup& setup = agent->setup;
  StateDir& dir = agent->dir;
  const AgentIdentity& identity = dir.identity();
  Recorder recorder(MakeRecordContext(identity.agent_id, config, &setup), &dir.outbox());
  auto link = StoreLink::Open(config, &dir, &recorder);
  if (!link.ok()) return Fail(link.status());
  if (Status s = ReportRecovery(dir, recorder, clock.WallMicros()); !s.ok()) return Fail(s);

  DaemonOptions options;
  options.once = once_;
  options.interval = config.interval;
  options.heartbeat = config.heartbeat;
  if (const auto tls = StoreTls(config)) options.certificate_file = tls->cert;
  options.retry = {config.retry_initial, config.retry_max};
  options.sweep_memory_file = dir.sweep_memory_file();
  ChildHelperRunner helpers;
  Daemon daemon(
      options, &recorder, &dir.outbox(), identity.key, &clock,
      [&](collectors::SweepMemory* memory) { return RunSweep(setup, memory, &helpers); },
      [&] { return (*link)->Upload(); });
  if (Status s = daemon.Start(StartFacts(config, setup, identity.key, once_),
                              FingerprintConfig(config, setup));
      !s.ok()) {
    return Fail(s);
  }
  Log("agent " + identity.agent_id.substr(0, 12) + " on " + recorder.context().host.hostname +
      " collecting " + std::to_string(setup.collectors.size()) + " collector(s), store " +
      config.store_address);
  if (Status s = daemon.Run(); !s.ok()) return Fail(s);
  // The daemon's last upload failing is the next run's to retry; --once says so.
  return once_ ? ExitCodeFor(daemon.last_upload()) : kExitOk;
}

}  // namespace

std::unique_ptr<Command> AddRunCommand(CLI::App& app) { return std::make_unique<RunCommand>(app); }

}  // namespace shoko::agent
