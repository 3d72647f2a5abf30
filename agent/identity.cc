#include "agent/identity.h"

#include <unistd.h>

#include <cerrno>

#include "platform/digest.h"
#include "platform/local_files.h"
#include "platform/strings.h"

namespace shoko::agent {
namespace {}  // namespace

Result<AgentIdentity> LoadIdentity(const std::string& state_dir) {
  const std::string id_path = state_dir + "/agent.id";
  auto stored_id = platform::ReadLocalFile(id_path, 1024);
  if (!stored_id.ok() && !stored_id.status().IsNotFound()) return stored_id.status();
  // A rotation interrupted between writing agent.pub and agent.key: finish it.
  const std::string next_path = state_dir + "/agent.key.next";
  if (::access(next_path.c_str(), F_OK) == 0) {
    auto next = evidence::LoadPrivateKeyFile(next_path);
    auto pub = platform::ReadLocalFile(state_dir + "/agent.pub", 64 * 1024);
    if (next.ok() && pub.ok() && *pub == next->public_key().ToPem()) {
      SHOKO_RETURN_IF_ERROR(
          platform::WriteFileAtomic(state_dir + "/agent.key", next->ToPem(), 0600));
      if (::unlink(next_path.c_str()) != 0) return Status::FromErrno(next_path, errno);
    }
  }
  bool created = false;
  if (stored_id.ok() && ::access((state_dir + "/agent.key").c_str(), F_OK) != 0) {
    return Status::InvalidArgument(state_dir + "/agent.key is missing but " + id_path +
                                   " exists: refusing to give this agent a new key");
  }
  auto key = evidence::LoadOrCreateKeyPair(state_dir, &created);
  if (!key.ok()) return key.status();
  AgentIdentity id{"", std::move(key).value(), created};
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
  // keys/AGENT_ID.pub is always the first key: what an auditor trusts.
  const std::string first = state_dir + "/keys/" + id.agent_id + ".pub";
  if (::access(first.c_str(), F_OK) != 0 && id.key.public_key().KeyId() == id.agent_id) {
    SHOKO_RETURN_IF_ERROR(platform::MakeDirs(state_dir + "/keys", 0700));
    SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(first, id.key.public_key().ToPem(), 0644));
  }
  return id;
}

Status SettleKey(const std::string& state_dir, const std::string& signing_key_id,
                 AgentIdentity* identity) {
  const std::string next_path = state_dir + "/agent.key.next";
  const bool has_next = ::access(next_path.c_str(), F_OK) == 0;
  const std::string current = identity->key.public_key().KeyId();
  if (signing_key_id.empty() || signing_key_id == current) {
    // A prepared key whose rotation never reached the chain, or one already
    // swapped in before a crash: either way it goes.
    if (has_next && ::unlink(next_path.c_str()) != 0) return Status::FromErrno(next_path, errno);
    return Status::OK();
  }
  if (has_next) {
    auto next = evidence::LoadPrivateKeyFile(next_path);
    if (!next.ok()) return next.status();
    if (next->public_key().KeyId() == signing_key_id) return CompleteRotation(state_dir, identity);
  }
  return Status::InvalidArgument("the agent's chain continues with key " + signing_key_id +
                                 " but " + state_dir + " holds only key " + current);
}

Result<evidence::PublicKey> FirstPublicKey(const std::string& state_dir,
                                           const AgentIdentity& identity) {
  if (identity.key.public_key().KeyId() == identity.agent_id) return identity.key.public_key();
  const std::string path = state_dir + "/keys/" + identity.agent_id + ".pub";
  auto pem = platform::ReadLocalFile(path, 64 * 1024);
  if (!pem.ok()) return pem.status();
  auto key = evidence::PublicKey::FromPem(*pem);
  if (!key.ok()) return key.status().WithContext(path);
  if (key->KeyId() != identity.agent_id) {
    return Status::Corruption(path + ": is not the key of agent " + identity.agent_id);
  }
  return key;
}

Result<evidence::SigningKey> PrepareRotation(const std::string& state_dir) {
  auto key = evidence::SigningKey::Generate();
  if (!key.ok()) return key.status();
  SHOKO_RETURN_IF_ERROR(
      platform::WriteFileAtomic(state_dir + "/agent.key.next", key->ToPem(), 0600));
  return key;
}

Status CompleteRotation(const std::string& state_dir, AgentIdentity* identity) {
  const std::string next_path = state_dir + "/agent.key.next";
  auto next = evidence::LoadPrivateKeyFile(next_path);
  if (!next.ok()) return next.status();
  SHOKO_RETURN_IF_ERROR(platform::MakeDirs(state_dir + "/keys", 0700));
  const evidence::PublicKey& old = identity->key.public_key();
  SHOKO_RETURN_IF_ERROR(
      platform::WriteFileAtomic(state_dir + "/keys/" + old.KeyId() + ".pub", old.ToPem(), 0644));
  // The public half first: LoadIdentity recognises a crash between the two
  // writes by agent.pub matching agent.key.next, and finishes the swap.
  SHOKO_RETURN_IF_ERROR(
      platform::WriteFileAtomic(state_dir + "/agent.pub", next->public_key().ToPem(), 0644));
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(state_dir + "/agent.key", next->ToPem(), 0600));
  if (::unlink(next_path.c_str()) != 0) return Status::FromErrno(next_path, errno);
  identity->key = std::move(next).value();
  return Status::OK();
}

}  // namespace shoko::agent
