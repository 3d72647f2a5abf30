// shoko-agent: collects evidence on a host, signs and chains it, buffers it in
// its outbox and uploads it to the store (design §1, §7).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <iostream>
#include <optional>

#include "agent/config.h"
#include "agent/outbox.h"
#include "agent/output.h"
#include "agent/recorder.h"
#include "agent/sweep.h"
#include "agent/uploader.h"
#include "controls/baseline.h"
#include "controls/mapping.h"
#include "evidence/keys.h"
#include "platform/env.h"
#include "platform/host_identity.h"
#include "platform/local_files.h"
#include "shoko/version.h"

namespace shoko::agent {
namespace {

// Exit codes of design §7.
constexpr int kExitOk = 0;
constexpr int kExitProblems = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr int kExitInternal = 4;

void Log(const std::string& message) { std::cerr << "shoko-agent: " << message << std::endl; }

int Fail(int code, const Status& status) {
  Log("error: " + status.message());
  return code;
}

// What a sweep needs besides the collectors: where to read and how to judge.
struct SweepSetup {
  std::unique_ptr<platform::Env> env;
  std::optional<controls::Mapping> own_mapping;
  std::optional<controls::Baseline> own_baseline;
  std::vector<std::string> collectors;

  const controls::Mapping& mapping() const {
    return own_mapping ? *own_mapping : controls::Mapping::BuiltIn();
  }
  const controls::Baseline& baseline() const {
    return own_baseline ? *own_baseline : controls::Baseline::BuiltIn();
  }
};

// Builds the sweep setup; every failure here is a usage or configuration error.
Result<SweepSetup> PrepareSweep(const std::string& root, const std::string& mapping_file,
                                const std::string& baseline_file,
                                const std::vector<std::string>& selectors) {
  SweepSetup setup;
  auto env = platform::NewRootedEnv(root);
  if (!env.ok()) return env.status();
  setup.env = std::move(env).value();
  if (!mapping_file.empty()) {
    auto m = controls::Mapping::Load(mapping_file);
    if (!m.ok()) return m.status();
    setup.own_mapping = std::move(m).value();
  }
  if (!baseline_file.empty()) {
    auto b = controls::Baseline::Load(baseline_file);
    if (!b.ok()) return b.status();
    setup.own_baseline = std::move(b).value();
  }
  auto names = SelectCollectors(selectors);
  if (!names.ok()) return names.status();
  setup.collectors = std::move(names).value();
  return setup;
}

struct CollectFlags {
  bool once = false;
  std::string root;
  std::vector<std::string> collectors;
  std::string format = "jsonl";
  std::string config;
};

int Collect(const CollectFlags& flags) {
  if (!flags.once) {
    return Fail(kExitUsage, Status::InvalidArgument(
                                "collect needs --once (the daemon is 'shoko-agent run')"));
  }
  AgentConfig config;
  if (!flags.config.empty()) {
    auto loaded = LoadAgentConfig(flags.config);
    if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
    config = std::move(loaded).value();
  }
  auto setup = PrepareSweep(flags.root.empty() ? config.root : flags.root, config.mapping_file,
                            config.baseline_file,
                            flags.collectors.empty() ? config.collectors : flags.collectors);
  if (!setup.ok()) return Fail(kExitUsage, setup.status());
  auto checks = RunSweep(*setup->env, setup->collectors, setup->mapping(), setup->baseline());
  if (flags.format == "table") {
    PrintTable(checks, std::cout);
  } else {
    PrintJsonLines(checks, std::cout);
  }
  std::cout.flush();
  if (!std::cout) return Fail(kExitInternal, Status::IOError("cannot write to standard output"));
  return kExitOk;
}

int ExitCodeForUpload(const Status& s) {
  switch (s.code()) {
    case Status::Code::kUnavailable: return kExitUnreachable;
    case Status::Code::kInvalidArgument:
    case Status::Code::kCorruption:
    case Status::Code::kPermissionDenied: return kExitProblems;
    default: return kExitInternal;
  }
}

int Run(const std::string& config_path, bool once) {
  // Block the stop signals before gRPC starts threads; the main loop waits for
  // them with sigtimedwait, which doubles as the interval timer.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto loaded = LoadAgentConfig(config_path);
  if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
  const AgentConfig config = std::move(loaded).value();
  if (config.store_address.empty()) {
    return Fail(kExitUsage, Status::InvalidArgument(config.source +
                                                    ": 'store' is required for run"));
  }
  auto setup = PrepareSweep(config.root, config.mapping_file, config.baseline_file,
                            config.collectors);
  if (!setup.ok()) return Fail(kExitUsage, setup.status());

  Status dirs = platform::MakeDirs(config.state_dir, 0700);
  if (!dirs.ok()) return Fail(kExitUsage, dirs.WithContext("state_dir"));
  // One agent per state directory: two would fork the chain.
  auto lock = platform::FileLock::Acquire(config.state_dir + "/agent.lock");
  if (!lock.ok()) return Fail(kExitUsage, lock.status());
  auto key = evidence::LoadOrCreateKeyPair(config.state_dir);
  if (!key.ok()) return Fail(kExitUsage, key.status());
  auto outbox = Outbox::Open(config.state_dir + "/outbox.db");
  if (!outbox.ok()) return Fail(kExitInternal, outbox.status());

  // Until key rotation exists the first key is the only key: agent_id = key_id.
  const std::string agent_id = key->public_key().KeyId();
  RecordContext context;
  context.agent_id = agent_id;
  context.host = platform::ReadHostIdentity(*setup->env);
  context.labels.set_service(config.label_service);
  context.labels.set_group(config.label_group);
  context.labels.set_environment(config.label_environment);
  context.baseline_id = setup->baseline().id();
  context.catalog_version = setup->mapping().version();
  context.refresh_seconds = static_cast<uint64_t>(config.refresh.count());
  Recorder recorder(*key, context, outbox->get());

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  auto channel = grpc::CreateCustomChannel(config.store_address,
                                           grpc::InsecureChannelCredentials(), args);
  Uploader uploader(channel, config.store_address, *key, agent_id, outbox->get());
  UploadOptions options;
  options.connect_timeout = config.connect_timeout;
  options.upload_timeout = config.upload_timeout;

  Log("agent " + agent_id.substr(0, 12) + " on " + context.host.hostname + " collecting " +
      std::to_string(setup->collectors.size()) + " collector(s), store " + config.store_address);
  for (;;) {
    auto checks = RunSweep(*setup->env, setup->collectors, setup->mapping(), setup->baseline());
    auto recorded = recorder.Record(checks, setup->env->NowMicros());
    if (!recorded.ok()) return Fail(kExitInternal, recorded.status().WithContext("recording"));
    Log("recorded " + std::to_string(*recorded) + " record(s) through seq " +
        std::to_string((*outbox)->Head().seq));
    auto uploaded = uploader.Drain(options);
    if (uploaded.ok()) {
      Log("store acknowledged " + std::to_string(*uploaded) + " record(s)");
    } else {
      auto depth = (*outbox)->Depth();
      Log("upload failed: " + uploaded.status().message() + "; " +
          (depth.ok() ? std::to_string(*depth) : std::string("?")) +
          " record(s) kept in the outbox");
      if (once) return ExitCodeForUpload(uploaded.status());
    }
    if (once) return kExitOk;
    timespec wait{static_cast<time_t>(config.interval.count()), 0};
    int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig > 0) {
      Log("stopping on signal " + std::to_string(sig));
      return kExitOk;
    }
    if (sig < 0 && errno != EAGAIN && errno != EINTR) {
      return Fail(kExitInternal, Status::FromErrno("sigtimedwait", errno));
    }
  }
}

int Main(int argc, char** argv) {
  CLI::App app{"shoko-agent: collects signed, hash-chained evidence of this host's controls "
               "and uploads it to a shoko store."};
  app.set_version_flag("--version", std::string(kShokoVersion));
  app.require_subcommand(1);

  CollectFlags collect_flags;
  CLI::App* collect = app.add_subcommand(
      "collect", "Run collectors once and print what they observe; signs and sends nothing.");
  collect->add_flag("--once", collect_flags.once, "Collect once and exit (required).");
  collect->add_option("--root", collect_flags.root,
                      "Read every host file under DIR instead of / (default: the config's root).")
      ->type_name("DIR");
  collect->add_option("--collector", collect_flags.collectors,
                      "Run only this collector or family (repeatable; default: all).")
      ->type_name("NAME")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  collect->add_option("--format", collect_flags.format, "Output format.")
      ->check(CLI::IsMember({"jsonl", "table"}))
      ->type_name("FORMAT");
  collect->add_option("--config", collect_flags.config,
                      "Agent config for collectors, mapping, baseline and root.")
      ->type_name("FILE");

  std::string run_config;
  bool run_once = false;
  CLI::App* run = app.add_subcommand(
      "run", "Collect on an interval, sign, chain, buffer and upload to the store.");
  run->add_option("--config", run_config, "Agent config file.")->required()->type_name("FILE");
  run->add_flag("--once", run_once, "One sweep: collect, upload, wait for the acks, exit.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    Log(std::string("usage: ") + e.what() + " (see --help)");
    return kExitUsage;
  }
  if (collect->parsed()) return Collect(collect_flags);
  return Run(run_config, run_once);
}

}  // namespace
}  // namespace shoko::agent

int main(int argc, char** argv) {
  try {
    return shoko::agent::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "shoko-agent: internal error: " << e.what() << std::endl;
    return 4;
  }
}
