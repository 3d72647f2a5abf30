// shoko-agent: collects evidence on a host, signs and chains it, buffers it in
// its outbox and uploads it to the store (design §1, §7).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <variant>

#include "agent/chain_state.h"
#include "agent/config.h"
#include "agent/enrollment.h"
#include "agent/helper_process.h"
#include "agent/identity.h"
#include "agent/outbox.h"
#include "agent/output.h"
#include "agent/recorder.h"
#include "agent/sweep.h"
#include "agent/uploader.h"
#include "collectors/custom/check_set.h"
#include "controls/baseline.h"
#include "controls/catalog.h"
#include "controls/mapping.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/rotation.h"
#include "platform/env.h"
#include "platform/grpc_tls.h"
#include "platform/host_identity.h"
#include "platform/local_files.h"
#include "platform/text_table.h"
#include "platform/time_format.h"
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
  std::shared_ptr<const controls::Mapping> mapping_data;
  // The baseline resolved for this host (group, distribution).
  std::optional<controls::Baseline> host_baseline;
  std::vector<std::string> collectors;
  collectors::custom::CheckSet custom_checks;

  const controls::Mapping& mapping() const { return *mapping_data; }
  const controls::Baseline& baseline() const { return *host_baseline; }
};

// Builds the sweep setup; every failure here is a usage or configuration error.
// The baseline is resolved for this host: its group's overrides and the
// values keyed by its distribution (os-release under the root).
Result<SweepSetup> PrepareSweep(const std::string& root, const std::string& mapping_file,
                                const std::string& baseline_file,
                                const std::vector<std::string>& selectors, const std::string& group,
                                const std::string& catalog_file, const std::string& checks_dir) {
  SweepSetup setup;
  auto env = platform::NewRootedEnv(root);
  if (!env.ok()) return env.status();
  setup.env = std::move(env).value();
  auto mapping = controls::Mapping::LoadOrBuiltIn(mapping_file);
  if (!mapping.ok()) return mapping.status();
  setup.mapping_data = std::move(mapping).value();
  auto base = controls::Baseline::LoadOrBuiltIn(baseline_file);
  if (!base.ok()) return base.status();
  SHOKO_RETURN_IF_ERROR(ValidateBaseline(**base));
  setup.host_baseline =
      (*base)->ForHost(group, platform::DistributionIds(platform::ReadHostIdentity(*setup.env)));
  auto names = SelectCollectors(selectors);
  if (!names.ok()) return names.status();
  setup.collectors = std::move(names).value();
  // Declarative checks, when the custom collector runs: their controls are
  // checked against the catalog now, so a bad file stops the agent at start.
  if (std::find(setup.collectors.begin(), setup.collectors.end(), "custom") !=
      setup.collectors.end()) {
    auto catalog = controls::Catalog::LoadOrBuiltIn(catalog_file);
    if (!catalog.ok()) return catalog.status();
    auto checks = collectors::custom::CheckSet::LoadDir(checks_dir, **catalog);
    if (!checks.ok()) return checks.status();
    setup.custom_checks = std::move(checks).value();
  }
  return setup;
}

struct CollectFlags {
  bool once = false;
  bool sign = false;
  std::string state_dir;
  std::string root;
  std::vector<std::string> collectors;
  std::string format = "jsonl";
  std::string config;
};

int CollectSigned(const CollectFlags& flags, const AgentConfig& config, const SweepSetup& setup,
                  const std::vector<CollectedCheck>& checks);

int Collect(const CollectFlags& flags) {
  if (!flags.once) {
    return Fail(kExitUsage,
                Status::InvalidArgument("collect needs --once (the daemon is 'shoko-agent run')"));
  }
  AgentConfig config;
  if (!flags.config.empty()) {
    auto loaded = LoadAgentConfig(flags.config);
    if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
    config = std::move(loaded).value();
  }
  auto setup = PrepareSweep(flags.root.empty() ? config.root : flags.root, config.mapping_file,
                            config.baseline_file,
                            flags.collectors.empty() ? config.collectors : flags.collectors,
                            config.label_group, config.catalog_file, config.checks_dir);
  if (!setup.ok()) return Fail(kExitUsage, setup.status());
  if (flags.sign != (flags.format == "dsse")) {
    return Fail(kExitUsage,
                Status::InvalidArgument(
                    "--sign and --format dsse go together (signed records print as DSSE)"));
  }
  // With a state directory, what collectors learned (first-seen times, apt's
  // answer) carries over to the next run, as in the daemon.
  collectors::SweepMemory memory;
  const std::string memory_path =
      flags.state_dir.empty() ? "" : flags.state_dir + "/sweep-memory.json";
  if (!memory_path.empty()) {
    if (Status s = platform::MakeDirs(flags.state_dir, 0700); !s.ok()) {
      return Fail(kExitUsage, s.WithContext("--state-dir"));
    }
    auto loaded = LoadSweepMemory(memory_path);
    if (loaded.ok()) {
      memory = std::move(loaded).value();
    } else {
      Log("WARNING: " + loaded.status().message() + "; starting with an empty sweep memory");
    }
  }
  // Helpers run as in the daemon: in a child confined to the root.
  ChildHelperRunner helpers;
  auto checks = RunSweep(*setup->env, setup->collectors, setup->mapping(), setup->baseline(),
                         &memory, &helpers, &setup->custom_checks);
  if (!memory_path.empty()) {
    if (Status s = SaveSweepMemory(memory_path, memory); !s.ok()) {
      Log("WARNING: cannot keep the sweep memory: " + s.message());
    }
  }
  if (flags.sign) return CollectSigned(flags, config, *setup, checks);
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
    case Status::Code::kUnavailable:
      return kExitUnreachable;
    case Status::Code::kInvalidArgument:
    case Status::Code::kCorruption:
    case Status::Code::kPermissionDenied:
      return kExitProblems;
    default:
      return kExitInternal;
  }
}

// The exit code for a failure to open the agent's state.
int ExitCodeForState(const Status& s) {
  return s.code() == Status::Code::kInternal || s.code() == Status::Code::kIOError ? kExitInternal
                                                                                   : kExitUsage;
}

// SHA-256 (hex) over the files that decide what the agent records, so that a
// change to any of them is itself evidence.
std::string ConfigDigest(const AgentConfig& config, const SweepSetup& setup) {
  std::string material;
  for (const std::string& path : {config.source, config.mapping_file, config.baseline_file}) {
    if (path.empty()) continue;
    auto text = platform::ReadLocalFile(path);
    material += path + "\n" + (text.ok() ? *text : "(unreadable)") + "\n";
  }
  material += "mapping " + setup.mapping().version() + "\nbaseline " + setup.baseline().id() + " " +
              setup.baseline().version() + "\ncollectors";
  for (const std::string& c : setup.collectors) material += " " + c;
  return platform::HexEncode(platform::Sha256(material));
}

// How the agent talks to the store: gzip (evidence compresses well), keepalive
// pings so that a dead link is noticed, bounded messages.
grpc::ChannelArguments UploadChannelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // A peer that accepts the connection but never completes the handshake
  // costs at most this long per attempt.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  return args;
}

// The TLS files for the store, nothing for plaintext to a loopback store.
std::optional<platform::TlsFiles> StoreTls(const AgentConfig& config) {
  if (config.store_insecure_loopback) return std::nullopt;
  return platform::TlsFiles{
      config.store_ca,
      config.store_cert.empty() ? config.state_dir + "/tls.crt" : config.store_cert,
      config.store_key.empty() ? config.state_dir + "/tls.key" : config.store_key};
}

// What `run` and `rotate-key` share: the config, the locked state directory,
// the identity and the outbox.
struct AgentState {
  AgentConfig config;
  SweepSetup setup;
  std::optional<platform::FileLock> lock;
  std::optional<AgentIdentity> identity;
  std::unique_ptr<Outbox> outbox;
};

// Opens everything in order: config, lock, identity, outbox, signing key.
// Returns the exit code on failure (after logging why).
std::variant<AgentState, int> OpenAgentState(const std::string& config_path) {
  AgentState state;
  auto loaded = LoadAgentConfig(config_path);
  if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
  state.config = std::move(loaded).value();
  const AgentConfig& config = state.config;
  auto setup =
      PrepareSweep(config.root, config.mapping_file, config.baseline_file, config.collectors,
                   config.label_group, config.catalog_file, config.checks_dir);
  if (!setup.ok()) return Fail(kExitUsage, setup.status());
  state.setup = std::move(setup).value();
  Status dirs = platform::MakeDirs(config.state_dir, 0700);
  if (!dirs.ok()) return Fail(kExitUsage, dirs.WithContext("state_dir"));
  // One agent per state directory: two would fork the chain.
  auto lock = platform::FileLock::Acquire(config.state_dir + "/agent.lock");
  if (!lock.ok()) return Fail(kExitUsage, lock.status());
  state.lock.emplace(std::move(lock).value());
  auto identity = LoadIdentity(config.state_dir);
  if (!identity.ok()) return Fail(kExitUsage, identity.status());
  state.identity.emplace(std::move(identity).value());
  auto outbox = Outbox::Open(config.state_dir, state.identity->agent_id,
                             {config.outbox_max_records, config.outbox_max_bytes});
  if (!outbox.ok()) return Fail(ExitCodeForState(outbox.status()), outbox.status());
  state.outbox = std::move(outbox).value();
  if (state.outbox->IsNew() && !state.identity->created) {
    return Fail(kExitUsage,
                Status::InvalidArgument(
                    config.state_dir +
                    " holds the agent's key but neither outbox.db nor "
                    "chain.head, so where its chain stands is unknown and a new chain would fork "
                    "it. Restore chain.head, or move agent.key, agent.pub and agent.id aside to "
                    "start as a new agent"));
  }
  Status settled = SettleKey(config.state_dir, state.outbox->Position().key_id, &*state.identity);
  if (!settled.ok()) return Fail(kExitUsage, settled);
  return state;
}

// Says loudly, and in a LIFECYCLE record, that the outbox was lost or corrupt
// and where the chain continues; every command that writes to the chain calls
// this first, so the notice cannot be skipped.
Status ReportRecovery(AgentState& state, Recorder& recorder) {
  const auto& recovery = state.outbox->recovery();
  if (!recovery) return Status::OK();
  const OutboxRecovery r = *recovery;
  Log("WARNING: " + r.reason + (r.moved_to.empty() ? "" : "; kept as " + r.moved_to) +
      "; the chain continues after seq " + std::to_string(r.head.seq) +
      (r.head.seq > r.acked_seq ? "; seq " + std::to_string(r.acked_seq + 1) + "-" +
                                      std::to_string(r.head.seq) + " may never reach the store"
                                : ""));
  auto seq = recorder.RecordRecovery(r, state.identity->key, state.setup.env->NowMicros());
  return seq.ok() ? Status::OK() : seq.status();
}

RecordContext MakeContext(const AgentState& state) {
  RecordContext context;
  context.agent_id = state.identity->agent_id;
  context.host = platform::ReadHostIdentity(*state.setup.env);
  context.labels.set_service(state.config.label_service);
  context.labels.set_group(state.config.label_group);
  context.labels.set_environment(state.config.label_environment);
  context.baseline_id = state.setup.baseline().id();
  context.catalog_version = state.setup.mapping().version();
  context.refresh_seconds = static_cast<uint64_t>(state.config.refresh.count());
  context.signing_threads = state.config.signing_threads;
  context.mapping = &state.setup.mapping();
  return context;
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

  auto opened = OpenAgentState(config_path);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  AgentState& state = std::get<AgentState>(opened);
  const AgentConfig& config = state.config;
  if (config.store_address.empty()) {
    return Fail(kExitUsage,
                Status::InvalidArgument(config.source + ": 'store' is required for run"));
  }
  const evidence::SigningKey& key = state.identity->key;
  Outbox& outbox = *state.outbox;
  Recorder recorder(MakeContext(state), &outbox);
  const platform::Env& env = *state.setup.env;

  // Everything that can be wrong with the config is found before any record.
  grpc::ChannelArguments args = UploadChannelArguments();
  auto channel = platform::OpenChannel(config.store_address, StoreTls(config), args);
  if (!channel.ok()) return Fail(kExitUsage, channel.status());
  auto first_key = FirstPublicKey(config.state_dir, *state.identity);
  if (!first_key.ok()) return Fail(kExitUsage, first_key.status());
  if (Status s = ReportRecovery(state, recorder); !s.ok()) return Fail(kExitInternal, s);
  const std::string config_digest = ConfigDigest(config, state.setup);
  auto start =
      recorder.RecordLifecycle("start",
                               {{"mode", once ? "once" : "daemon"},
                                {"pid", ::getpid()},
                                {"config_file", config.source},
                                {"config_digest", config_digest},
                                {"collectors", state.setup.collectors},
                                {"key_id", key.public_key().KeyId()},
                                {"public_key", evidence::Base64Encode(key.public_key().raw())},
                                {"interval_seconds", config.interval.count()},
                                {"refresh_seconds", config.refresh.count()}},
                               key, env.NowMicros());
  if (!start.ok()) return Fail(kExitInternal, start.status());
  auto previous_digest = outbox.Meta("config_digest");
  if (!previous_digest.ok()) return Fail(kExitInternal, previous_digest.status());
  if (!previous_digest->empty() && *previous_digest != config_digest) {
    auto changed = recorder.RecordLifecycle(
        "config_change",
        {{"previous_config_digest", *previous_digest}, {"config_digest", config_digest}}, key,
        env.NowMicros());
    if (!changed.ok()) return Fail(kExitInternal, changed.status());
  }
  if (Status s = outbox.SetMeta("config_digest", config_digest); !s.ok()) {
    return Fail(kExitInternal, s);
  }

  std::shared_ptr<grpc::Channel> store_channel = *channel;
  auto uploader = std::make_unique<Uploader>(store_channel, config.store_address, *first_key,
                                             state.identity->agent_id, &outbox);
  const std::optional<platform::TlsFiles> tls = StoreTls(config);
  UploadOptions options;
  options.connect_timeout = config.connect_timeout;
  options.upload_timeout = config.upload_timeout;
  options.max_records_per_second = config.drain_rate;
  auto upload = [&]() -> Status {
    // An enrolled agent renews its certificate before it runs out, then
    // reconnects with the new one.
    if (tls) {
      auto renewed = RenewIfDue(store_channel, {tls->cert, tls->key}, env.NowMicros());
      if (!renewed.ok()) {
        Log("certificate renewal failed: " + renewed.status().message());
      } else if (*renewed) {
        Log("renewed the TLS certificate " + tls->cert);
        auto fresh = platform::OpenChannel(config.store_address, tls, args);
        if (fresh.ok()) {
          store_channel = *fresh;
          uploader = std::make_unique<Uploader>(store_channel, config.store_address, *first_key,
                                                state.identity->agent_id, &outbox);
        }
      }
    }
    auto uploaded = uploader->Drain(options);
    if (uploaded.ok()) {
      Log("store acknowledged " + std::to_string(*uploaded) + " record(s)");
      return Status::OK();
    }
    Log("upload failed: " + uploaded.status().message() + "; " + std::to_string(outbox.Depth()) +
        " record(s) kept in the outbox");
    return uploaded.status();
  };

  Log("agent " + state.identity->agent_id.substr(0, 12) + " on " +
      recorder.context().host.hostname + " collecting " +
      std::to_string(state.setup.collectors.size()) + " collector(s), store " +
      config.store_address);
  std::string stop_reason = "once";
  // Collectors' memory between sweeps (first-seen times, cached answers).
  const std::string memory_path = config.state_dir + "/sweep-memory.json";
  collectors::SweepMemory memory;
  if (auto loaded = LoadSweepMemory(memory_path); loaded.ok()) {
    memory = std::move(loaded).value();
  } else {
    Log("WARNING: " + loaded.status().message() + "; starting with an empty sweep memory");
  }
  nlohmann::json memory_saved = memory.All();
  ChildHelperRunner helpers;
  std::mt19937_64 jitter(std::random_device{}());
  auto next_sweep = std::chrono::steady_clock::now();
  int failures = 0;  // uploads failed in a row
  for (;;) {
    // Between sweeps only retries happen: the sweep's records wait in the outbox.
    if (once || std::chrono::steady_clock::now() >= next_sweep) {
      next_sweep = std::chrono::steady_clock::now() + config.interval;
      auto checks = RunSweep(env, state.setup.collectors, state.setup.mapping(),
                             state.setup.baseline(), &memory, &helpers, &state.setup.custom_checks);
      if (memory.All() != memory_saved) {
        if (Status s = SaveSweepMemory(memory_path, memory); !s.ok()) {
          Log("WARNING: cannot keep the sweep memory: " + s.message());
        }
        memory_saved = memory.All();
      }
      auto stats = recorder.RecordSweep(checks, key, env.NowMicros());
      if (!stats.ok()) return Fail(kExitInternal, stats.status().WithContext("recording"));
      Log("recorded " + std::to_string(stats->recorded) + " record(s) through seq " +
          std::to_string(outbox.Position().head.seq) + " (" + std::to_string(stats->unchanged) +
          " check(s) unchanged)");
      if (stats->not_recorded > 0) {
        Log("WARNING: outbox full (" + std::to_string(outbox.Depth()) + " records, " +
            std::to_string(outbox.Bytes()) + " bytes): " + std::to_string(stats->not_recorded) +
            " observation(s) not recorded; a GAP record will say so once there is room");
      }
      if (once) break;
    }
    // After a failure, retry after a random delay up to retry_initial·2^n
    // (capped at retry_max): full jitter, so a fleet does not return at once.
    auto wake = next_sweep;
    if (upload().ok()) {
      failures = 0;
    } else {
      const auto ceiling = std::min<std::chrono::milliseconds>(
          config.retry_max, config.retry_initial * (int64_t{1} << std::min(failures, 20)));
      ++failures;
      std::uniform_int_distribution<int64_t> pick(0, ceiling.count());
      wake = std::min(wake,
                      std::chrono::steady_clock::now() + std::chrono::milliseconds(pick(jitter)));
    }
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::max(wake - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration(0)));
    timespec wait{static_cast<time_t>(left.count() / 1000000000),
                  static_cast<long>(left.count() % 1000000000)};
    int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig > 0) {
      Log("stopping on signal " + std::to_string(sig));
      stop_reason = "signal " + std::to_string(sig);
      break;
    }
    if (sig < 0 && errno != EAGAIN && errno != EINTR) {
      return Fail(kExitInternal, Status::FromErrno("sigtimedwait", errno));
    }
  }
  auto stop = recorder.RecordLifecycle("stop", {{"reason", stop_reason}}, key, env.NowMicros());
  if (!stop.ok()) return Fail(kExitInternal, stop.status());
  Status last = upload();
  if (once && !last.ok()) return ExitCodeForUpload(last);
  return kExitOk;
}

// `identity`: the agent's id, making its first key (and an empty chain) if
// needed, so that an operator can have its certificate issued before it runs.
// `enroll`: a TLS certificate for this agent, in exchange for a one-time token.
struct EnrollFlags {
  std::string config, state_dir, store, ca, token;
};

int EnrollAgent(const EnrollFlags& flags) {
  AgentConfig config;
  if (!flags.config.empty()) {
    auto loaded = LoadAgentConfig(flags.config);
    if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
    config = std::move(loaded).value();
  }
  if (!flags.state_dir.empty()) config.state_dir = flags.state_dir;
  if (!flags.store.empty()) config.store_address = flags.store;
  if (!flags.ca.empty()) config.store_ca = flags.ca;
  if (config.store_address.empty() || config.store_ca.empty()) {
    return Fail(kExitUsage, Status::InvalidArgument(
                                "enroll needs the store (--store or the config's store.address) "
                                "and the deployment CA (--ca or store.ca)"));
  }
  if (Status s = platform::MakeDirs(config.state_dir, 0700); !s.ok()) {
    return Fail(kExitUsage, s.WithContext("state_dir"));
  }
  auto lock = platform::FileLock::Acquire(config.state_dir + "/agent.lock");
  if (!lock.ok()) return Fail(kExitUsage, lock.status());
  auto identity = LoadIdentity(config.state_dir);
  if (!identity.ok()) return Fail(kExitUsage, identity.status());
  if (identity->created) {
    Status s = SaveChainState(config.state_dir + "/chain.head",
                              {identity->agent_id, {{}, identity->key.public_key().KeyId()}});
    if (!s.ok()) return Fail(kExitInternal, s);
  }
  // Server-authenticated TLS: the agent has no certificate yet.
  grpc::ChannelArguments args;
  auto channel = platform::OpenChannel(config.store_address,
                                       platform::TlsFiles{config.store_ca, "", ""}, args);
  if (!channel.ok()) return Fail(kExitUsage, channel.status());
  config.store_insecure_loopback = false;
  const platform::TlsFiles paths = *StoreTls(config);
  auto not_after = Enroll(*channel, identity->key, flags.token, {paths.cert, paths.key});
  if (!not_after.ok()) {
    int code = not_after.status().code() == Status::Code::kUnavailable        ? kExitUnreachable
               : not_after.status().code() == Status::Code::kPermissionDenied ? kExitUsage
                                                                              : kExitInternal;
    return Fail(code, not_after.status());
  }
  Log("enrolled agent " + identity->agent_id + " with " + config.store_address + "; certificate " +
      paths.cert + " valid until " + platform::FormatRfc3339(*not_after));
  std::cout << identity->agent_id << std::endl;
  return kExitOk;
}

int PrintIdentity(const std::string& config_path) {
  auto loaded = LoadAgentConfig(config_path);
  if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
  const AgentConfig& config = *loaded;
  if (Status s = platform::MakeDirs(config.state_dir, 0700); !s.ok()) {
    return Fail(kExitUsage, s.WithContext("state_dir"));
  }
  auto lock = platform::FileLock::Acquire(config.state_dir + "/agent.lock");
  if (!lock.ok()) return Fail(kExitUsage, lock.status());
  auto identity = LoadIdentity(config.state_dir);
  if (!identity.ok()) return Fail(kExitUsage, identity.status());
  if (identity->created) {
    Status s = SaveChainState(config.state_dir + "/chain.head",
                              {identity->agent_id, {{}, identity->key.public_key().KeyId()}});
    if (!s.ok()) return Fail(kExitInternal, s);
  }
  std::cout << identity->agent_id << std::endl;
  return kExitOk;
}

int RotateKey(const std::string& config_path) {
  auto opened = OpenAgentState(config_path);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  AgentState& state = std::get<AgentState>(opened);
  const std::string& dir = state.config.state_dir;
  Recorder recorder(MakeContext(state), state.outbox.get());
  if (Status s = ReportRecovery(state, recorder); !s.ok()) return Fail(kExitInternal, s);
  const std::string old_id = state.identity->key.public_key().KeyId();
  // 1. the new key on disk; 2. the rotation record, signed by the old key;
  // 3. the swap. A crash between any two steps resolves on the next start.
  auto next = PrepareRotation(dir);
  if (!next.ok()) return Fail(kExitInternal, next.status());
  auto seq = recorder.RecordRotation(state.identity->key, next->public_key(),
                                     state.setup.env->NowMicros());
  if (!seq.ok()) return Fail(kExitInternal, seq.status());
  if (Status s = CompleteRotation(dir, &*state.identity); !s.ok()) return Fail(kExitInternal, s);
  Log("rotated the signing key from " + old_id + " to " + state.identity->key.public_key().KeyId() +
      " at seq " + std::to_string(*seq) + "; agent_id stays " + state.identity->agent_id);
  return kExitOk;
}

// `collect --once --sign`: signed, chained DSSE lines for hosts that cannot
// reach a store; the chain continues in STATE_DIR/chain.head.
// An offline agent's state directory: key pair and chain.head, no outbox.
struct OfflineState {
  std::string dir;
  std::optional<platform::FileLock> lock;
  std::optional<AgentIdentity> identity;
  ChainPosition position;
};

// Opens (creating if needed) an offline state directory. Refuses one that
// belongs to an agent with an outbox: two writers would fork its chain.
std::variant<OfflineState, int> OpenOfflineState(const std::string& dir) {
  OfflineState state;
  state.dir = dir;
  if (dir.empty()) return Fail(kExitUsage, Status::InvalidArgument("--state-dir DIR is required"));
  if (Status s = platform::MakeDirs(dir, 0700); !s.ok())
    return Fail(kExitUsage, s.WithContext("--state-dir"));
  auto lock = platform::FileLock::Acquire(dir + "/agent.lock");
  if (!lock.ok()) return Fail(kExitUsage, lock.status());
  state.lock.emplace(std::move(lock).value());
  if (::access((dir + "/outbox.db").c_str(), F_OK) == 0) {
    return Fail(kExitUsage,
                Status::InvalidArgument(
                    dir + " is the state directory of an agent that uploads (it has "
                          "outbox.db); give offline collection a directory of its own"));
  }
  auto identity = LoadIdentity(dir);
  if (!identity.ok()) return Fail(kExitUsage, identity.status());
  state.identity.emplace(std::move(identity).value());
  const std::string state_path = dir + "/chain.head";
  auto saved = LoadChainState(state_path);
  if (!saved.ok()) return Fail(kExitUsage, saved.status());
  if (*saved) {
    if ((*saved)->agent_id != state.identity->agent_id) {
      return Fail(kExitUsage, Status::InvalidArgument(state_path + ": the chain of another agent"));
    }
    state.position = (*saved)->position;
  } else if (!state.identity->created) {
    return Fail(kExitUsage,
                Status::InvalidArgument(dir + " holds the agent's key but no chain.head: a new "
                                              "chain would fork the old one. Restore chain.head"));
  }
  if (Status s = SettleKey(dir, state.position.key_id, &*state.identity); !s.ok()) {
    return Fail(kExitUsage, s);
  }
  return state;
}

// Prints `records` as DSSE JSON lines, after chain.head has moved past them:
// a failed write leaves a gap an auditor sees, never a reused seq.
int PrintSigned(const OfflineState& state, const ChainPosition& after,
                const std::vector<OutboxRecord>& records) {
  if (Status s = SaveChainState(state.dir + "/chain.head", {state.identity->agent_id, after});
      !s.ok()) {
    return Fail(kExitInternal, s);
  }
  for (const OutboxRecord& r : records) {
    v1::Envelope envelope;
    envelope.ParseFromString(r.envelope);
    std::cout << evidence::ToDsseJson(envelope) << '\n';
  }
  std::cout.flush();
  if (!std::cout) {
    return Fail(kExitInternal, Status::IOError("cannot write to standard output: records seq " +
                                               std::to_string(records.front().seq) + "-" +
                                               std::to_string(records.back().seq) +
                                               " are lost and will show as a gap"));
  }
  return kExitOk;
}

int CollectSigned(const CollectFlags& flags, const AgentConfig& config, const SweepSetup& setup,
                  const std::vector<CollectedCheck>& checks) {
  auto opened = OpenOfflineState(flags.state_dir);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  OfflineState& offline = std::get<OfflineState>(opened);
  const AgentIdentity* identity = &*offline.identity;
  const ChainPosition position = offline.position;
  RecordContext context;
  context.agent_id = identity->agent_id;
  context.host = platform::ReadHostIdentity(*setup.env);
  context.labels.set_service(config.label_service);
  context.labels.set_group(config.label_group);
  context.labels.set_environment(config.label_environment);
  context.baseline_id = setup.baseline().id();
  context.catalog_version = setup.mapping().version();
  context.mapping = &setup.mapping();
  context.refresh_seconds = static_cast<uint64_t>(config.refresh.count());

  const evidence::SigningKey& key = identity->key;
  const int64_t now = setup.env->NowMicros();
  ChainSigner signer(identity->agent_id, position);
  std::vector<OutboxRecord> records;  // signed one by one: an offline sweep is small
  std::map<std::string, std::string> digests;
  auto start =
      signer.Sign(BuildLifecycle(context, "start",
                                 {{"mode", "offline"},
                                  {"key_id", key.public_key().KeyId()},
                                  {"public_key", evidence::Base64Encode(key.public_key().raw())},
                                  {"collectors", setup.collectors}},
                                 now),
                  key);
  if (!start.ok()) return Fail(kExitInternal, start.status());
  records.push_back(std::move(start).value());
  for (const CollectedCheck& check : checks) {
    v1::Evidence ev = BuildRecord(context, check, now);
    const std::string& parent = check.observation.observation_check_id;
    if (!parent.empty() && digests.contains(parent)) {
      (*ev.mutable_facts()->mutable_fields())["observation_digest"].set_string_value(
          digests[parent]);
    }
    auto record = signer.Sign(std::move(ev), key);
    if (!record.ok()) return Fail(kExitInternal, record.status());
    digests[check.observation.check_id] = platform::HexEncode(record->digest);
    records.push_back(std::move(record).value());
  }
  return PrintSigned(offline, signer.position(), records);
}

// `rotate-key --state-dir DIR`: the offline form, which prints the rotation
// record as a DSSE line to keep with the collected files.
int RotateOfflineKey(const std::string& dir) {
  auto opened = OpenOfflineState(dir);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  OfflineState& offline = std::get<OfflineState>(opened);
  AgentIdentity& identity = *offline.identity;
  RecordContext context;
  context.agent_id = identity.agent_id;
  auto next = PrepareRotation(dir);
  if (!next.ok()) return Fail(kExitInternal, next.status());
  v1::Evidence ev =
      BuildLifecycle(context, "key_rotation", {{"old_key_id", identity.key.public_key().KeyId()}},
                     std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  evidence::SetRotationFacts(next->public_key(), &ev);
  ChainSigner signer(identity.agent_id, offline.position);
  auto record = signer.Sign(std::move(ev), identity.key);
  if (!record.ok()) return Fail(kExitInternal, record.status());
  signer.HandOver(next->public_key().KeyId());
  const std::string old_id = identity.key.public_key().KeyId();
  if (int code = PrintSigned(offline, signer.position(), {*record}); code != kExitOk) return code;
  if (Status s = CompleteRotation(dir, &identity); !s.ok()) return Fail(kExitInternal, s);
  Log("rotated the signing key from " + old_id + " to " + identity.key.public_key().KeyId() +
      " at seq " + std::to_string(record->seq) +
      "; keep the printed record with the collected files");
  return kExitOk;
}

// The agent's own records with a verdict (agent/recorder): mapped like any check.
constexpr const char* kAgentVerdictChecks[] = {"agent.health", "agent.gap"};

// --check-config: the agent config (when given), its mapping, baseline and
// catalog, and whether they fit the compiled-in collectors: every check with
// a verdict mapped to at least one ismap and one nist80053r5 control, no
// mapping for a check nobody emits, every ref in the catalog. Problems go to
// stderr as "FILE:LINE: what"; exit 1 when there are any.
int CheckConfig(const std::string& config_path) {
  AgentConfig config;
  if (!config_path.empty()) {
    auto loaded = LoadAgentConfig(config_path);
    if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
    config = std::move(loaded).value();
  }
  auto mapping_data = controls::Mapping::LoadOrBuiltIn(config.mapping_file);
  if (!mapping_data.ok()) return Fail(kExitProblems, mapping_data.status());
  auto baseline = controls::Baseline::LoadOrBuiltIn(config.baseline_file);
  if (!baseline.ok()) return Fail(kExitProblems, baseline.status());
  auto catalog_data = controls::Catalog::LoadOrBuiltIn(config.catalog_file);
  if (!catalog_data.ok()) return Fail(kExitProblems, catalog_data.status());
  const controls::Mapping& mapping = **mapping_data;
  const controls::Catalog& catalog = **catalog_data;
  std::vector<std::string> problems = catalog.Check(mapping);
  for (std::string& p : BaselineProblems(**baseline)) problems.push_back(std::move(p));
  // The declarative checks: their files load and their controls are known.
  size_t custom_count = 0;
  if (auto custom = collectors::custom::CheckSet::LoadDir(config.checks_dir, catalog);
      !custom.ok()) {
    problems.push_back(custom.status().message());
  } else {
    custom_count = custom->checks().size();
  }
  std::set<std::string> known;
  for (const std::string& id : collectors::CollectorRegistry::Global().VerdictChecks()) {
    known.insert(id);
  }
  known.insert(std::begin(kAgentVerdictChecks), std::end(kAgentVerdictChecks));
  for (const std::string& id : known) {
    const std::vector<std::string>& refs = mapping.RefsFor(id);
    if (refs.empty()) {
      problems.push_back(mapping.source() + ": " + id + " is not mapped to any control");
      continue;
    }
    for (const char* fw : {"ismap", "nist80053r5"}) {
      const bool has = std::any_of(refs.begin(), refs.end(), [&](const std::string& r) {
        return r.starts_with(std::string(fw) + ":");
      });
      if (!has) {
        problems.push_back(mapping.source() + ":" + std::to_string(mapping.CheckLine(id)) + ": " +
                           id + " has no " + fw + " ref");
      }
    }
  }
  for (const auto& [id, refs] : mapping.checks()) {
    // Checks nobody emits: a typo, or a collector this build does not have.
    // Info records (observations, lifecycle) may be mapped without a verdict.
    const bool emitted = known.contains(id) ||
                         collectors::CollectorRegistry::Global().Create(id) != nullptr ||
                         id.starts_with("agent.lifecycle.") || id.starts_with("custom.");
    if (!emitted) {
      problems.push_back(mapping.source() + ":" + std::to_string(mapping.CheckLine(id)) + ": " +
                         id + " is not a check of this build");
    }
  }
  for (const std::string& p : problems) Log(p);
  if (!problems.empty()) {
    Log(std::to_string(problems.size()) + " problem(s) in the configuration");
    return kExitProblems;
  }
  size_t controls_count = 0;
  for (const auto& f : catalog.frameworks()) controls_count += f.controls.size();
  std::cout << "configuration OK: " << known.size() << " checks with verdicts, each mapped; "
            << mapping.checks().size() << " mapped (mapping " << mapping.version() << ", "
            << mapping.source() << "); catalog " << catalog.version() << " with " << controls_count
            << " controls; " << custom_count << " declarative check(s) in " << config.checks_dir
            << std::endl;
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "shoko-agent: collects signed, hash-chained evidence of this host's controls "
      "and uploads it to a shoko store."};
  app.set_version_flag("--version", std::string(kShokoVersion));
  // --check-config stands alone; otherwise one subcommand is required.
  app.require_subcommand(0, 1);
  bool check_config = false;
  std::string check_config_file;
  app.add_flag("--check-config", check_config,
               "Validate the configuration, mapping, baseline and catalog against the "
               "compiled-in collectors; exit 1 on problems.");
  app.add_option("--config", check_config_file, "With --check-config: the agent config to check.")
      ->type_name("FILE");

  CollectFlags collect_flags;
  CLI::App* collect = app.add_subcommand(
      "collect", "Run collectors once and print what they observe; signs and sends nothing.");
  collect->add_flag("--once", collect_flags.once, "Collect once and exit (required).");
  collect
      ->add_option("--root", collect_flags.root,
                   "Read every host file under DIR instead of / (default: the config's root).")
      ->type_name("DIR");
  collect
      ->add_option("--collector", collect_flags.collectors,
                   "Run only this collector or family (repeatable; default: all).")
      ->type_name("NAME")
      ->allow_extra_args(false);  // one value per occurrence: positionals stay positional
  collect->add_flag("--sign", collect_flags.sign,
                    "Sign and chain the records with the key in --state-dir (with --format dsse).");
  collect
      ->add_option("--state-dir", collect_flags.state_dir,
                   "Where the key pair and chain head live for --sign, and what collectors "
                   "remember between runs.")
      ->type_name("DIR");
  collect->add_option("--format", collect_flags.format, "Output format.")
      ->check(CLI::IsMember({"jsonl", "table", "dsse"}))
      ->type_name("FORMAT");
  collect
      ->add_option("--config", collect_flags.config,
                   "Agent config for collectors, mapping, baseline and root.")
      ->type_name("FILE");

  std::string run_config;
  bool run_once = false;
  CLI::App* run = app.add_subcommand(
      "run", "Collect on an interval, sign, chain, buffer and upload to the store.");
  run->add_option("--config", run_config, "Agent config file.")->required()->type_name("FILE");
  run->add_flag("--once", run_once, "One sweep: collect, upload, wait for the acks, exit.");

  EnrollFlags enroll_flags;
  CLI::App* enroll = app.add_subcommand(
      "enroll", "Get this agent's TLS certificate from the store with a one-time token.");
  enroll->add_option("--token", enroll_flags.token, "From `shokoctl enroll create`.")
      ->required()
      ->type_name("TOKEN");
  enroll->add_option("--config", enroll_flags.config, "Agent config (state_dir, store, ca).")
      ->type_name("FILE");
  enroll->add_option("--state-dir", enroll_flags.state_dir, "Overrides the config's state_dir.")
      ->type_name("DIR");
  enroll->add_option("--store", enroll_flags.store, "The store, HOST:PORT.")
      ->type_name("HOST:PORT");
  enroll->add_option("--ca", enroll_flags.ca, "The deployment CA certificate.")->type_name("FILE");

  std::string identity_config;
  CLI::App* identity_cmd = app.add_subcommand(
      "identity", "Print the agent_id (making the agent's first key if it has none).");
  identity_cmd->add_option("--config", identity_config, "Agent config file.")
      ->required()
      ->type_name("FILE");

  std::string rotate_config, rotate_state_dir;
  CLI::App* rotate = app.add_subcommand(
      "rotate-key",
      "Replace the signing key; the agent keeps its agent_id. Stop the daemon first.");
  auto* rotate_config_opt =
      rotate->add_option("--config", rotate_config, "Agent config file (an agent that uploads).")
          ->type_name("FILE");
  rotate
      ->add_option("--state-dir", rotate_state_dir,
                   "An offline state directory (collect --sign); prints the rotation record.")
      ->type_name("DIR")
      ->excludes(rotate_config_opt);
  rotate->require_option(1);

  // Internal: the daemon re-executes itself to run a collector's heavy helper
  // (agent/helper_process.h), so it is left out of --help.
  std::string helper_name, helper_root = "/";
  CLI::App* helper = app.add_subcommand("helper", "");
  helper->add_option("name", helper_name)->required();
  helper->add_option("--root", helper_root);
  helper->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    Log(std::string("usage: ") + e.what() + " (see --help)");
    return kExitUsage;
  }
  if (check_config) return CheckConfig(check_config_file);
  if (app.get_subcommands().empty()) {
    Log("usage: a subcommand (or --check-config) is required (see --help)");
    return kExitUsage;
  }
  if (helper->parsed()) return RunHelperCommand(helper_name, helper_root);
  if (collect->parsed()) return Collect(collect_flags);
  if (identity_cmd->parsed()) return PrintIdentity(identity_config);
  if (enroll->parsed()) return EnrollAgent(enroll_flags);
  if (rotate->parsed()) {
    return rotate_config.empty() ? RotateOfflineKey(rotate_state_dir) : RotateKey(rotate_config);
  }
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
