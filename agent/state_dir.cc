#include "agent/state_dir.h"

#include <unistd.h>

namespace shoko::agent {

StateDir::StateDir(std::string path) : path_(std::move(path)) {}
StateDir::StateDir(StateDir&&) noexcept = default;
StateDir::~StateDir() = default;

std::string StateDir::lock_file() const { return path_ + "/agent.lock"; }
std::string StateDir::key_file() const { return path_ + "/agent.key"; }
std::string StateDir::public_key_file() const { return path_ + "/agent.pub"; }
std::string StateDir::next_key_file() const { return path_ + "/agent.key.next"; }
std::string StateDir::agent_id_file() const { return path_ + "/agent.id"; }
std::string StateDir::kept_keys_dir() const { return path_ + "/keys"; }
std::string StateDir::kept_key_file(const std::string& key_id) const {
  return kept_keys_dir() + "/" + key_id + ".pub";
}
std::string StateDir::chain_head_file() const { return path_ + "/chain.head"; }
std::string StateDir::outbox_file() const { return path_ + "/outbox.db"; }
std::string StateDir::sweep_memory_file() const { return path_ + "/sweep-memory.json"; }
std::string StateDir::tls_cert_file() const { return path_ + "/tls.crt"; }
std::string StateDir::tls_key_file() const { return path_ + "/tls.key"; }
std::string StateDir::log_key_file() const { return path_ + "/log.vkey"; }
std::string StateDir::checkpoint_file() const { return path_ + "/log.checkpoint"; }

Result<StateDir> StateDir::Lock(const std::string& path, const std::string& named_by) {
  StateDir dir(path);
  SHOKO_RETURN_IF_ERROR(platform::MakeDirs(path, 0700).WithContext(named_by));
  auto lock = platform::FileLock::Acquire(dir.lock_file());
  if (!lock.ok()) {
    // Another agent holds the directory: a setup error, not an unreachable service.
    return lock.status().code() == Status::Code::kUnavailable
               ? Status::InvalidArgument(lock.status().message())
               : lock.status();
  }
  dir.lock_.emplace(std::move(lock).value());
  return dir;
}

Status StateDir::LoadOwnIdentity() {
  SHOKO_ASSIGN_OR_RETURN(AgentIdentity identity, LoadIdentity(*this));
  identity_.emplace(std::move(identity));
  if (!identity_->created) return Status::OK();
  // The chain of a new identity is known to be empty; saying so at once keeps
  // a command that stops before the first record from leaving a key with an
  // unknown chain head behind.
  const std::string key_id = identity_->key.public_key().KeyId();
  return SaveChainState(chain_head_file(), {identity_->agent_id, {{}, key_id}});
}

Result<StateDir> StateDir::OpenIdentity(const std::string& path) {
  SHOKO_ASSIGN_OR_RETURN(StateDir dir, Lock(path, "state_dir"));
  SHOKO_RETURN_IF_ERROR(dir.LoadOwnIdentity());
  return dir;
}

Result<StateDir> StateDir::OpenOnline(const std::string& path, OutboxLimits limits) {
  SHOKO_ASSIGN_OR_RETURN(StateDir dir, Lock(path, "state_dir"));
  SHOKO_RETURN_IF_ERROR(dir.LoadOwnIdentity());
  SHOKO_ASSIGN_OR_RETURN(dir.outbox_, Outbox::Open(path, dir.identity_->agent_id, limits));
  SHOKO_RETURN_IF_ERROR(dir.SettleIdentity(dir.outbox_->IsNew(), "neither outbox.db nor chain.head",
                                           dir.outbox_->Position().key_id));
  return dir;
}

Result<StateDir> StateDir::OpenOffline(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("--state-dir DIR is required");
  SHOKO_ASSIGN_OR_RETURN(StateDir dir, Lock(path, "--state-dir"));
  if (::access(dir.outbox_file().c_str(), F_OK) == 0) {
    return Status::InvalidArgument(path +
                                   " is the state directory of an agent that uploads (it has "
                                   "outbox.db); give offline collection a directory of its own");
  }
  SHOKO_RETURN_IF_ERROR(dir.LoadOwnIdentity());
  const std::string head_path = dir.chain_head_file();
  SHOKO_ASSIGN_OR_RETURN(const std::optional<ChainStateFile> saved, LoadChainState(head_path));
  if (saved) {
    if (saved->agent_id != dir.identity_->agent_id) {
      return Status::InvalidArgument(head_path + ": the chain of another agent");
    }
    dir.offline_position_ = saved->position;
  }
  SHOKO_RETURN_IF_ERROR(dir.SettleIdentity(!saved, "no chain.head", dir.offline_position_.key_id));
  return dir;
}

Status StateDir::SettleIdentity(bool head_unknown, const std::string& where,
                                const std::string& signing_key_id) {
  if (head_unknown && !identity_->created) {
    return Status::InvalidArgument(
        path_ + " holds the agent's key but " + where +
        ", so where its chain stands is unknown and a new chain would fork it. Restore "
        "chain.head, or move agent.key, agent.pub and agent.id aside to start as a new agent");
  }
  return SettleKey(*this, signing_key_id, &*identity_);
}

ChainPosition StateDir::position() const {
  return outbox_ != nullptr ? outbox_->Position() : offline_position_;
}

Status StateDir::AdvanceOfflineHead(const ChainPosition& after) {
  SHOKO_RETURN_IF_ERROR(SaveChainState(chain_head_file(), {identity_->agent_id, after}));
  offline_position_ = after;
  return Status::OK();
}

Result<StateDir::Rotation> StateDir::RotateKey(const RotationRecorder& record) {
  Rotation rotation{identity_->key.public_key().KeyId(), 0};
  SHOKO_ASSIGN_OR_RETURN(const evidence::SigningKey next, PrepareRotation(*this));
  SHOKO_ASSIGN_OR_RETURN(rotation.seq, record(identity_->key, next.public_key()));
  SHOKO_RETURN_IF_ERROR(CompleteRotation(*this, &*identity_));
  return rotation;
}

}  // namespace shoko::agent
