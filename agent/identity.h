// The agent's identity in its state directory (design §3):
//   agent.id        its agent_id: the key_id of its first key, for good
//   agent.key/.pub  the key that signs its records now
//   agent.key.next  a key being rotated in (exists only during a rotation)
//   keys/ID.pub     its first public key (ID = agent_id) and every key rotated out
#ifndef SHOKO_AGENT_IDENTITY_H_
#define SHOKO_AGENT_IDENTITY_H_

#include <string>

#include "evidence/keys.h"

namespace shoko::agent {

struct AgentIdentity {
  std::string agent_id;
  evidence::SigningKey key;
  bool created = false;  // this call made the first key
};

// Reads the identity in `state_dir`, making the first key when the directory
// holds none. A directory from before agent.id existed gets one (its key is its
// first key).
Result<AgentIdentity> LoadIdentity(const std::string& state_dir);

// Settles which key signs next, given the chain's word for it
// (`signing_key_id`, empty when the chain does not say): completes a rotation
// that was recorded but not yet swapped in, drops a prepared key whose
// rotation was never recorded, and refuses a chain whose key is missing.
Status SettleKey(const std::string& state_dir, const std::string& signing_key_id,
                 AgentIdentity* identity);

// The agent's first public key (its id is the agent_id): the current one until
// a rotation, then the copy kept in keys/.
Result<evidence::PublicKey> FirstPublicKey(const std::string& state_dir,
                                           const AgentIdentity& identity);

// Rotation, step 1: a new key written to agent.key.next (0600).
Result<evidence::SigningKey> PrepareRotation(const std::string& state_dir);
// Rotation, step 3 (after the rotation record is recorded): agent.key.next
// becomes agent.key, the old public key is kept as keys/OLD_ID.pub.
Status CompleteRotation(const std::string& state_dir, AgentIdentity* identity);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_IDENTITY_H_
