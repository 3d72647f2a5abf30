// The agent's state directory (docs/agent-state.md, "State directory"): its
// layout, spelled here and nowhere else, and the directory opened for one
// command, which holds its lock and the agent's identity.
#ifndef SHOKO_AGENT_STATE_DIR_H_
#define SHOKO_AGENT_STATE_DIR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/chain_state.h"
#include "agent/identity.h"
#include "agent/outbox.h"
#include "platform/local_files.h"
#include "platform/status.h"

namespace shoko::agent {

// A state directory. Made by its constructor it only names the files (nothing
// is touched); the Open functions return one that is created (0700), locked
// for this process (one agent per directory: two would fork the chain) and
// holds the agent's identity.
//
// Online (`run`, `rotate-key --config`): the chain lives in outbox.db, with
// chain.head beside it. Offline (`collect --sign`, `rotate-key --state-dir`):
// chain.head alone, and no outbox.db, since two writers of one chain would
// fork it.
class StateDir {
 public:
  explicit StateDir(std::string path);
  StateDir(StateDir&&) noexcept;
  StateDir& operator=(StateDir&&) = delete;
  ~StateDir();

  // The lock and the identity: enough for `identity` and `enroll`. Every
  // Open function makes a missing identity, with an empty chain.
  static Result<StateDir> OpenIdentity(const std::string& path);
  // The lock, the identity and the outbox.
  static Result<StateDir> OpenOnline(const std::string& path, OutboxLimits limits);
  // The lock, the identity and chain.head. `path` comes from --state-dir.
  static Result<StateDir> OpenOffline(const std::string& path);

  // The layout.
  const std::string& path() const { return path_; }
  std::string lock_file() const;
  std::string key_file() const;         // agent.key: the key that signs now
  std::string public_key_file() const;  // agent.pub
  std::string next_key_file() const;    // agent.key.next: a key being rotated in
  std::string agent_id_file() const;    // agent.id
  std::string kept_keys_dir() const;    // keys/
  std::string kept_key_file(const std::string& key_id) const;  // keys/ID.pub
  std::string chain_head_file() const;
  std::string outbox_file() const;
  std::string sweep_memory_file() const;
  // Where `enroll` writes the TLS certificate and key, unless the config says.
  std::string tls_cert_file() const;
  std::string tls_key_file() const;
  // The store's log key `enroll` pinned (its C2SP verifier key line), and the
  // last checkpoint the witness verified (the signed note as the store sent
  // it): docs/agent-state.md, "The witness".
  std::string log_key_file() const;
  std::string checkpoint_file() const;

  // What an opened directory holds.
  AgentIdentity& identity() { return *identity_; }
  const AgentIdentity& identity() const { return *identity_; }
  // Online only.
  Outbox& outbox() { return *outbox_; }
  // Where the chain stands: the outbox's head online, chain.head's offline.
  ChainPosition position() const;

  // Offline: moves chain.head past records about to be published, before they
  // are (a failed write then leaves a gap an auditor sees, never a reused seq).
  Status AdvanceOfflineHead(const ChainPosition& after);

  // Replaces the signing key; the agent keeps its agent_id. `record` records
  // the key_rotation record (signed by `current`, naming `next`) and returns
  // its seq. 1. the new key on disk; 2. the record; 3. the swap. A crash
  // between any two steps resolves on the next open.
  struct Rotation {
    std::string old_key_id;
    uint64_t seq = 0;
  };
  using RotationRecorder = std::function<Result<uint64_t>(const evidence::SigningKey& current,
                                                          const evidence::PublicKey& next)>;
  Result<Rotation> RotateKey(const RotationRecorder& record);

 private:
  // The directory made and locked; `named_by` is the setting that named it.
  static Result<StateDir> Lock(const std::string& path, const std::string& named_by);
  Status LoadOwnIdentity();
  // Refuses a known key with an unknown chain head (`where` names what is
  // missing), then settles which key signs next.
  Status SettleIdentity(bool head_unknown, const std::string& where,
                        const std::string& signing_key_id);

  std::string path_;
  std::optional<platform::FileLock> lock_;
  std::optional<AgentIdentity> identity_;
  std::unique_ptr<Outbox> outbox_;
  ChainPosition offline_position_;
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_STATE_DIR_H_
