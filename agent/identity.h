// The agent's identity in its state directory (docs/agent-state.md, "State
// directory"): its agent_id (the key_id of its first key, for good), the key
// that signs its records now, a key being rotated in (only during a rotation),
// and its first public key and every key rotated out.
#ifndef SHOKO_AGENT_IDENTITY_H_
#define SHOKO_AGENT_IDENTITY_H_

#include <string>

#include "evidence/keys.h"

namespace shoko::agent {

class StateDir;

struct AgentIdentity {
  std::string agent_id;
  evidence::SigningKey key;
  bool created = false;  // this call made the first key
};

// Reads the identity in `dir`, making the first key when the directory
// holds none. A directory from before agent.id existed gets one (its key is its
// first key).
Result<AgentIdentity> LoadIdentity(const StateDir& dir);

// Settles which key signs next, given the chain's word for it
// (`signing_key_id`, empty when the chain does not say): completes a rotation
// that was recorded but not yet swapped in, drops a prepared key whose
// rotation was never recorded, and refuses a chain whose key is missing.
Status SettleKey(const StateDir& dir, const std::string& signing_key_id, AgentIdentity* identity);

// The agent's first public key (its id is the agent_id): the current one until
// a rotation, then the copy kept in keys/.
Result<evidence::PublicKey> FirstPublicKey(const StateDir& dir, const AgentIdentity& identity);

// Rotation, step 1: a new key written as the next key (0600).
Result<evidence::SigningKey> PrepareRotation(const StateDir& dir);
// Rotation, step 3 (after the rotation record is recorded): the next key
// becomes the signing key, the old public key is kept among the kept keys.
Status CompleteRotation(const StateDir& dir, AgentIdentity* identity);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_IDENTITY_H_
