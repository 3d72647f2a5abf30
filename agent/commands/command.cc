#include "agent/commands/command.h"

#include <iostream>

#include "agent/log.h"
#include "agent/output.h"

namespace shoko::agent {

int Fail(const Status& status) {
  Log("error: " + status.message());
  return ExitCodeFor(status);
}

void AddStringOptions(CLI::App* command, std::initializer_list<StringOption> options) {
  for (const StringOption& o : options) {
    command->add_option(o.name, *o.value, o.help)->type_name(o.type_name);
  }
}

Result<OnlineAgent> OpenOnlineAgent(const std::string& config_path) {
  SHOKO_ASSIGN_OR_RETURN(AgentConfig config, LoadAgentConfig(config_path));
  SHOKO_ASSIGN_OR_RETURN(SweepSetup setup, PrepareSweep(config));
  SHOKO_ASSIGN_OR_RETURN(
      StateDir dir,
      StateDir::OpenOnline(config.state_dir, {config.outbox_max_records, config.outbox_max_bytes}));
  return OnlineAgent{std::move(config), std::move(setup), std::move(dir)};
}

Result<AgentConfig> LoadConfigOrDefault(const std::string& path) {
  if (path.empty()) return AgentConfig();
  return LoadAgentConfig(path);
}

Status ReportRecovery(StateDir& dir, Recorder& recorder, int64_t now_us) {
  const auto& recovery = dir.outbox().recovery();
  if (!recovery) return Status::OK();
  const OutboxRecovery r = *recovery;
  Log("WARNING: " + r.reason + (r.moved_to.empty() ? "" : "; kept as " + r.moved_to) +
      "; the chain continues after seq " + std::to_string(r.head.seq) +
      (r.head.seq > r.acked_seq ? "; seq " + std::to_string(r.acked_seq + 1) + "-" +
                                      std::to_string(r.head.seq) + " may never reach the store"
                                : ""));
  return recorder.RecordRecovery(r, dir.identity().key, now_us).status();
}

int PrintAgentId(const AgentIdentity& identity) {
  std::cout << identity.agent_id << std::endl;
  return kExitOk;
}

Status PublishOffline(StateDir& dir, const ChainPosition& after,
                      const std::vector<OutboxRecord>& records) {
  SHOKO_RETURN_IF_ERROR(dir.AdvanceOfflineHead(after));
  if (PrintDsseLines(records, std::cout)) return Status::OK();
  return Status::IOError("cannot write to standard output: records seq " +
                         std::to_string(records.front().seq) + "-" +
                         std::to_string(records.back().seq) + " are lost and will show as a gap");
}

}  // namespace shoko::agent
