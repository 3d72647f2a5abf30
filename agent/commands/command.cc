#include "agent/commands/command.h"

#include <iostream>

#include "agent/log.h"
#include "agent/output.h"

namespace shoko::agent {

int Fail(const Status& status) {
  Log("error: " + status.message());
  return ExitCodeFor(status);
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

Status PublishOffline(StateDir& dir, const ChainPosition& after,
                      const std::vector<OutboxRecord>& records) {
  SHOKO_RETURN_IF_ERROR(dir.AdvanceOfflineHead(after));
  if (PrintDsseLines(records, std::cout)) return Status::OK();
  return Status::IOError("cannot write to standard output: records seq " +
                         std::to_string(records.front().seq) + "-" +
                         std::to_string(records.back().seq) + " are lost and will show as a gap");
}

}  // namespace shoko::agent
