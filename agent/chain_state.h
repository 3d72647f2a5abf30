// The chain head file (docs/agent-state.md, "chain.head"): the agent's chain
// head in a small file replaced atomically, so that losing the outbox never
// restarts or forks the chain. It is written before each outbox commit, so it
// is never behind a record that may have been sent; while the outbox is
// intact, the outbox's own head is the truth.
#ifndef SHOKO_AGENT_CHAIN_STATE_H_
#define SHOKO_AGENT_CHAIN_STATE_H_

#include <optional>
#include <string>

#include "evidence/chain.h"
#include "platform/status.h"

namespace shoko::agent {

// Where a chain stands: its last record, and the key that signs the next one.
struct ChainPosition {
  evidence::ChainHead head;
  std::string key_id;  // empty: not known yet (a new chain)
};

struct ChainStateFile {
  std::string agent_id;
  ChainPosition position;
  // The highest seq the store had acknowledged when the file was written: after
  // a lost outbox, records after it up to the head may be missing.
  uint64_t acked_seq = 0;
};

// The state file at `path`; nullopt when it does not exist. A file that
// exists but does not parse is Corruption naming the path.
Result<std::optional<ChainStateFile>> LoadChainState(const std::string& path);
// Replaces the file atomically and durably (fsync of file and directory).
Status SaveChainState(const std::string& path, const ChainStateFile& state);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_CHAIN_STATE_H_
