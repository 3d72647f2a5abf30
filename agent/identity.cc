#include "agent/identity.h"

#include <unistd.h>

#include <cerrno>

#include "agent/state_dir.h"
#include "platform/digest.h"
#include "platform/local_files.h"
#include "platform/strings.h"

namespace shoko::agent {
namespace {

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Status Remove(const std::string& path) {
  return ::unlink(path.c_str()) == 0 ? Status::OK() : Status::FromErrno(path, errno);
}

// A rotation interrupted between writing the public and the private key:
// finish it.
Status FinishInterruptedSwap(const StateDir& dir) {
  const std::string next_path = dir.next_key_file();
  if (!Exists(next_path)) return Status::OK();
  auto next = evidence::LoadPrivateKeyFile(next_path);
  auto pub = platform::ReadLocalFile(dir.public_key_file(), 64 * 1024);
  if (next.ok() && pub.ok() && *pub == next->public_key().ToPem()) {
    SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(dir.key_file(), next->ToPem(), 0600));
    return Remove(next_path);
  }
  return Status::OK();
}

}  // namespace

Result<AgentIdentity> LoadIdentity(const StateDir& dir) {
  const std::string id_path = dir.agent_id_file();
  auto stored_id = platform::ReadLocalFile(id_path, 1024);
  if (!stored_id.ok() && !stored_id.status().IsNotFound()) return stored_id.status();
  SHOKO_RETURN_IF_ERROR(FinishInterruptedSwap(dir));
  bool created = false;
  if (stored_id.ok() && !Exists(dir.key_file())) {
    return Status::InvalidArgument(dir.key_file() + " is missing but " + id_path +
                                   " exists: refusing to give this agent a new key");
  }
  SHOKO_ASSIGN_OR_RETURN(
      evidence::SigningKey key,
      evidence::LoadOrCreateKeyPair(dir.key_file(), dir.public_key_file(), &created));
  AgentIdentity id{"", std::move(key), created};
  if (stored_id.ok()) {
    id.agent_id = std::string(platform::Trim(*stored_id));
    if (!platform::IsHexSha256(id.agent_id)) {
      return Status::Corruption(id_path + ": not an agent id (64 lowercase hex digits)");
    }
  } else {
    // A new agent, or a state directory from before agent.id: either way the
    // current key is the first one.
    id.agent_id = id.key.public_key().KeyId();
    SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(id_path, id.agent_id + "\n", 0644));
  }
  // The first key is always kept: it is what an auditor trusts.
  const std::string first = dir.kept_key_file(id.agent_id);
  if (!Exists(first) && id.key.public_key().KeyId() == id.agent_id) {
    SHOKO_RETURN_IF_ERROR(platform::MakeDirs(dir.kept_keys_dir(), 0700));
    SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(first, id.key.public_key().ToPem(), 0644));
  }
  return id;
}

Status SettleKey(const StateDir& dir, const std::string& signing_key_id, AgentIdentity* identity) {
  const std::string next_path = dir.next_key_file();
  const bool has_next = Exists(next_path);
  const std::string current = identity->key.public_key().KeyId();
  if (signing_key_id.empty() || signing_key_id == current) {
    // A prepared key whose rotation never reached the chain, or one already
    // swapped in before a crash: either way it goes.
    return has_next ? Remove(next_path) : Status::OK();
  }
  if (has_next) {
    auto next = evidence::LoadPrivateKeyFile(next_path);
    if (!next.ok()) return next.status();
    if (next->public_key().KeyId() == signing_key_id) return CompleteRotation(dir, identity);
  }
  return Status::InvalidArgument("the agent's chain continues with key " + signing_key_id +
                                 " but " + dir.path() + " holds only key " + current);
}

Result<evidence::PublicKey> FirstPublicKey(const StateDir& dir, const AgentIdentity& identity) {
  if (identity.key.public_key().KeyId() == identity.agent_id) return identity.key.public_key();
  const std::string path = dir.kept_key_file(identity.agent_id);
  auto pem = platform::ReadLocalFile(path, 64 * 1024);
  if (!pem.ok()) return pem.status();
  auto key = evidence::PublicKey::FromPem(*pem);
  if (!key.ok()) return key.status().WithContext(path);
  if (key->KeyId() != identity.agent_id) {
    return Status::Corruption(path + ": is not the key of agent " + identity.agent_id);
  }
  return key;
}

Result<evidence::SigningKey> PrepareRotation(const StateDir& dir) {
  auto key = evidence::SigningKey::Generate();
  if (!key.ok()) return key.status();
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(dir.next_key_file(), key->ToPem(), 0600));
  return key;
}

Status CompleteRotation(const StateDir& dir, AgentIdentity* identity) {
  auto next = evidence::LoadPrivateKeyFile(dir.next_key_file());
  if (!next.ok()) return next.status();
  SHOKO_RETURN_IF_ERROR(platform::MakeDirs(dir.kept_keys_dir(), 0700));
  const evidence::PublicKey& old = identity->key.public_key();
  SHOKO_RETURN_IF_ERROR(
      platform::WriteFileAtomic(dir.kept_key_file(old.KeyId()), old.ToPem(), 0644));
  // The public half first: LoadIdentity recognises a crash between the two
  // writes by the public key matching the next key, and finishes the swap.
  SHOKO_RETURN_IF_ERROR(
      platform::WriteFileAtomic(dir.public_key_file(), next->public_key().ToPem(), 0644));
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(dir.key_file(), next->ToPem(), 0600));
  SHOKO_RETURN_IF_ERROR(Remove(dir.next_key_file()));
  identity->key = std::move(next).value();
  return Status::OK();
}

}  // namespace shoko::agent
