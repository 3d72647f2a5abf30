// `shoko-agent collect --once`: runs the collectors and prints what they
// observe; with --sign, signed and chained DSSE lines for a host that cannot
// reach a store (the chain continues in STATE_DIR/chain.head).
#include <iostream>

#include "agent/commands/command.h"
#include "agent/helper_process.h"
#include "agent/log.h"
#include "agent/output.h"
#include "agent/sweep.h"
#include "evidence/encoding.h"

namespace shoko::agent {
namespace {

struct CollectFlags {
  bool once = false;
  bool sign = false;
  std::string state_dir;
  std::string root;
  std::vector<std::string> collectors;
  std::string format = "jsonl";
  std::string config;
};

class CollectCommand final : public Subcommand {
 public:
  explicit CollectCommand(CLI::App& app);
  int Run() override;

 private:
  std::vector<CollectedCheck> Sweep(const SweepSetup& setup) const;
  int PrintSigned(const AgentConfig& config, const SweepSetup& setup,
                  const std::vector<CollectedCheck>& checks) const;

  CollectFlags flags_;
};

CollectCommand::CollectCommand(CLI::App& app)
    : Subcommand(app, "collect",
                 "Run collectors once and print what they observe; signs and sends nothing.") {
  // In the order --help has always listed them.
  command_->add_flag("--once", flags_.once, "Collect once and exit (required).");
  AddStringOptions(
      command_,
      {{"--root", &flags_.root,
        "Read every host file under DIR instead of / (default: the config's root).", "DIR"}});
  command_
      ->add_option("--collector", flags_.collectors,
                   "Run only this collector or family (repeatable; default: all).")
      ->type_name("NAME")
      ->allow_extra_args(false);  // one value per occurrence: positionals stay positional
  command_->add_flag(
      "--sign", flags_.sign,
      "Sign and chain the records with the key in --state-dir (with --format dsse).");
  AddStringOptions(command_, {{"--state-dir", &flags_.state_dir,
                               "Where the key pair and chain head live for --sign, and what "
                               "collectors remember between runs.",
                               "DIR"}});
  command_->add_option("--format", flags_.format, "Output format.")
      ->check(CLI::IsMember({"jsonl", "table", "dsse"}))
      ->type_name("FORMAT");
  AddStringOptions(command_,
                   {{"--config", &flags_.config,
                     "Agent config for collectors, mapping, baseline and root.", "FILE"}});
}

int CollectCommand::Run() {
  if (!flags_.once) {
    return Fail(Status::InvalidArgument("collect needs --once (the daemon is 'shoko-agent run')"));
  }
  auto config = LoadConfigOrDefault(flags_.config);
  if (!config.ok()) return Fail(config.status());
  if (!flags_.root.empty()) config->root = flags_.root;
  if (!flags_.collectors.empty()) config->collectors = flags_.collectors;
  auto setup = PrepareSweep(*config);
  if (!setup.ok()) return Fail(setup.status());
  if (flags_.sign != (flags_.format == "dsse")) {
    return Fail(Status::InvalidArgument(
        "--sign and --format dsse go together (signed records print as DSSE)"));
  }
  if (!flags_.state_dir.empty()) {
    if (Status s = platform::MakeDirs(flags_.state_dir, 0700); !s.ok()) {
      return Fail(s.WithContext("--state-dir"));
    }
  }
  const std::vector<CollectedCheck> checks = Sweep(*setup);
  if (flags_.sign) return PrintSigned(*config, *setup, checks);
  if (flags_.format == "table") {
    PrintTable(checks, std::cout);
  } else {
    PrintJsonLines(checks, std::cout);
  }
  std::cout.flush();
  if (!std::cout) return Fail(Status::IOError("cannot write to standard output"));
  return kExitOk;
}

// One sweep, its helpers in a child confined to the root as in the daemon.
// With a state directory, what collectors learned (first-seen times, apt's
// answer) carries over to the next run, as in the daemon.
std::vector<CollectedCheck> CollectCommand::Sweep(const SweepSetup& setup) const {
  ChildHelperRunner helpers;
  if (flags_.state_dir.empty()) return RunSweep(setup, nullptr, &helpers);
  const std::string memory_path = StateDir(flags_.state_dir).sweep_memory_file();
  collectors::SweepMemory memory;
  if (auto loaded = LoadSweepMemory(memory_path); loaded.ok()) {
    memory = std::move(loaded).value();
  } else {
    Log("WARNING: " + loaded.status().message() + "; starting with an empty sweep memory");
  }
  std::vector<CollectedCheck> checks = RunSweep(setup, &memory, &helpers);
  if (Status s = SaveSweepMemory(memory_path, memory); !s.ok()) {
    Log("WARNING: cannot keep the sweep memory: " + s.message());
  }
  return checks;
}

// A start record carrying the public key, then every check: an offline agent
// has no outbox, so no change detection.
int CollectCommand::PrintSigned(const AgentConfig& config, const SweepSetup& setup,
                                const std::vector<CollectedCheck>& checks) const {
  auto dir = StateDir::OpenOffline(flags_.state_dir);
  if (!dir.ok()) return Fail(dir.status());
  const AgentIdentity& identity = dir->identity();
  const evidence::SigningKey& key = identity.key;
  const RecordContext context = MakeRecordContext(identity.agent_id, config, &setup);
  const int64_t now = setup.env->NowMicros();
  RecordBatch batch(ChainSigner(identity.agent_id, dir->position(), config.signing_threads));
  const nlohmann::json start = {{"mode", "offline"},
                                {"key_id", key.public_key().KeyId()},
                                {"public_key", evidence::Base64Encode(key.public_key().raw())},
                                {"collectors", setup.collectors}};
  Status linked = batch.Link(BuildLifecycle(context, "start", start, now), key).status();
  for (const CollectedCheck& check : checks) {
    if (!linked.ok()) break;
    linked = batch.Link(batch.BuildCheck(context, check, now), key).status();
  }
  if (!linked.ok()) return Fail(linked);
  const ChainPosition after = batch.signer().position();
  auto records = batch.signer().Finish(key);
  if (!records.ok()) return Fail(records.status());
  if (Status s = PublishOffline(*dir, after, *records); !s.ok()) return Fail(s);
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> AddCollectCommand(CLI::App& app) {
  return std::make_unique<CollectCommand>(app);
}

}  // namespace shoko::agent
