#include "cli/monitor_command.h"

#include <CLI/CLI.hpp>

#include "cli/checkpoint_command.h"
#include "cli/log_client.h"
#include "cli/log_key.h"
#include "cli/log_mirror.h"
#include "evidence/merkle.h"
#include "platform/exit_code.h"
#include "platform/time_format.h"
#include "platform/yaml_doc.h"

namespace shoko::cli {
namespace {

std::string Leaves(uint64_t n) { return std::to_string(n) + " leaves"; }

// One run of the monitor over an open mirror.
class MonitorRun {
 public:
  MonitorRun(LogMirror& mirror, LogClient& log, const evidence::NoteVerifier& key)
      : mirror_(mirror), log_(log), key_(key) {}

  // Brings the mirror up to the log's latest checkpoint. A problem with the
  // log is kept in the mirror (OK is returned); an error is a failure to
  // find out (the store unreachable, the state not writable).
  Status Run();
  uint64_t added() const { return added_; }

 private:
  // Whether `latest` extends the checkpoint the mirror holds; a problem
  // (kept) when it does not.
  Result<bool> Extends(const evidence::Checkpoint& latest);
  // Mirrors the leaves up to `size`, a chunk at a time; false when the store
  // served leaves that are not the log's (a problem, kept).
  Result<bool> Mirror(uint64_t size);
  Status Problem(std::string problem) {
    mirror_.AddProblem(std::move(problem));
    return mirror_.DiscardPending();
  }

  LogMirror& mirror_;
  LogClient& log_;
  const evidence::NoteVerifier& key_;
  uint64_t added_ = 0;
};

Status MonitorRun::Run() {
  SHOKO_ASSIGN_OR_RETURN(v1::Checkpoint served, log_.Checkpoint(0));
  auto latest = OpenServedCheckpoint(served, key_);
  if (!latest.ok()) {
    return Problem("checkpoint of " + Leaves(served.tree_size()) + ": " +
                   latest.status().message());
  }
  const auto& seen = mirror_.checkpoint();
  if (seen && seen->tree_size == latest->tree_size && seen->root_hash == latest->root_hash) {
    return Status::OK();  // nothing new
  }
  SHOKO_ASSIGN_OR_RETURN(bool extends, Extends(*latest));
  if (!extends) return Status::OK();
  if (mirror_.mirrored_size() > latest->tree_size) SHOKO_RETURN_IF_ERROR(mirror_.DiscardPending());
  const uint64_t before = mirror_.verified_size();
  SHOKO_ASSIGN_OR_RETURN(bool mirrored, Mirror(latest->tree_size));
  if (!mirrored) return Status::OK();
  if (mirror_.MirroredRoot() != latest->root_hash) {
    return Problem("checkpoint of " + Leaves(latest->tree_size) +
                   ": the leaves the store serves do not hash to its root (a leaf was dropped, "
                   "altered or added)");
  }
  added_ = latest->tree_size - before;
  return mirror_.Verify(
      {served.note(), latest->tree_size, latest->root_hash, served.signed_at_us()});
}

Result<bool> MonitorRun::Extends(const evidence::Checkpoint& latest) {
  const auto& seen = mirror_.checkpoint();
  if (!seen) return true;
  const std::string against = "checkpoint of " + Leaves(latest.tree_size) +
                              " is not consistent with the checkpoint of " +
                              Leaves(seen->tree_size) + " seen before (signed at " +
                              platform::FormatRfc3339(seen->signed_at_us) + ")";
  if (latest.tree_size < seen->tree_size) {
    SHOKO_RETURN_IF_ERROR(Problem(against + ": the log shrank (a split view or a rollback)"));
    return false;
  }
  if (latest.tree_size == seen->tree_size) {
    SHOKO_RETURN_IF_ERROR(Problem(against + ": same size, another root (a split view)"));
    return false;
  }
  SHOKO_ASSIGN_OR_RETURN(v1::ConsistencyProof proof,
                         log_.ConsistencyProof(seen->tree_size, latest.tree_size));
  Status consistent = evidence::merkle::VerifyConsistency(
      seen->tree_size, latest.tree_size, seen->root_hash, latest.root_hash, Hashes(proof.hashes()));
  if (consistent.ok()) return true;
  SHOKO_RETURN_IF_ERROR(Problem(against + ": " + consistent.message() + " (a split view)"));
  return false;
}

Result<bool> MonitorRun::Mirror(uint64_t size) {
  while (mirror_.mirrored_size() < size) {
    const uint64_t start = mirror_.mirrored_size();
    const uint64_t end = std::min(size, start + kMirrorChunk);
    Status bad_leaf;
    SHOKO_RETURN_IF_ERROR(log_.Leaves(start, end, [&](const v1::LogLeaf& leaf) {
      auto appended = mirror_.Append(leaf);
      if (!appended.ok()) bad_leaf = appended.status();
      return appended.status();
    }));
    if (!bad_leaf.ok() || mirror_.mirrored_size() != end) {
      SHOKO_RETURN_IF_ERROR(Problem(
          "the store's leaves " + std::to_string(start) + "-" + std::to_string(end - 1) + ": " +
          (bad_leaf.ok() ? "it sent " + std::to_string(mirror_.mirrored_size() - start) + " of them"
                         : bad_leaf.message())));
      return false;
    }
    SHOKO_RETURN_IF_ERROR(mirror_.SavePending());
  }
  return true;
}

// The agents whose newest leaf is older than the allowance at the
// checkpoint's time: what a host that stopped recording looks like.
std::vector<std::string> SilentAgents(const LogMirror& mirror, std::chrono::seconds allowance) {
  std::vector<std::string> silent;
  const auto& cp = mirror.checkpoint();
  if (!cp) return silent;
  const int64_t allowed_us = static_cast<int64_t>(allowance.count()) * 1'000'000;
  std::vector<std::pair<std::string, const MirroredAgent*>> agents;
  for (const auto& [id, agent] : mirror.verified_agents()) agents.emplace_back(id, &agent);
  std::sort(agents.begin(), agents.end());
  for (const auto& [id, agent] : agents) {
    if (cp->signed_at_us - agent->last_received_at_us <= allowed_us) continue;
    silent.push_back("agent " + id + ": silent: its newest leaf (seq " +
                     std::to_string(agent->last_seq) + ") was received at " +
                     platform::FormatRfc3339(agent->last_received_at_us) +
                     ", more than the allowed " + std::to_string(allowance.count()) +
                     " s before the checkpoint of " + Leaves(cp->tree_size) + " (signed at " +
                     platform::FormatRfc3339(cp->signed_at_us) + ")");
  }
  return silent;
}

}  // namespace

int RunMonitor(const MonitorRequest& request, std::ostream& out, std::ostream& err) {
  if (request.state.empty())
    return Fail(Status::InvalidArgument("monitor needs --state FILE"), err);
  auto heartbeat = platform::ParseDuration(request.heartbeat);
  if (!heartbeat.ok()) return Fail(heartbeat.status().WithContext("--heartbeat"), err);
  auto key = RequiredLogKey(request.log_key, "monitor");
  if (!key.ok()) return Fail(key.status(), err);
  auto mirror = LogMirror::Open(request.state, key->ToString());
  if (!mirror.ok()) return Fail(mirror.status(), err);
  auto store = ConnectToStore(request.connection);
  if (!store.ok()) return Fail(store.status(), err);
  LogClient log(*store, kMirrorCallDeadline);
  MonitorRun run(*mirror, log, *key);
  if (Status ran = run.Run(); !ran.ok()) return Fail(ran, err);
  const std::vector<std::string> silent = SilentAgents(*mirror, 2 * *heartbeat);
  for (const std::string& p : mirror->problems()) out << p << "\n";
  for (const std::string& s : silent) out << s << "\n";
  const auto& cp = mirror->checkpoint();
  out << "log of " << Leaves(mirror->verified_size()) << " (" << run.added() << " new)";
  if (cp) out << ", checkpoint signed at " << platform::FormatRfc3339(cp->signed_at_us);
  out << ", " << mirror->verified_agents().size() << " agent(s): " << mirror->problems().size()
      << " problem(s), " << silent.size() << " silent agent(s)\n";
  return mirror->problems().empty() && silent.empty() ? kExitOk : kExitProblems;
}

void AddMonitorCommand(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<MonitorRequest>();
  CLI::App* monitor = AddStoreCommand(
      app, "monitor",
      "Mirror the store's log and check it: signed, consistent, each agent's sequence whole, "
      "no agent silent.",
      &request->connection);
  monitor->add_option("--state", request->state, "The mirror, kept between runs.")
      ->required()
      ->type_name("FILE");
  monitor
      ->add_option("--heartbeat", request->heartbeat,
                   "The agents' heartbeat interval; silent after twice as long (default 15m).")
      ->type_name("DURATION");
  AddLogKeyOption(monitor, &request->log_key);
  commands.On(monitor, [request](std::ostream& out, std::ostream& err) {
    return RunMonitor(*request, out, err);
  });
}

}  // namespace shoko::cli
