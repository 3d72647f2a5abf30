// The store's append-only evidence ledger (design §1, §6), behind one interface
// so that SQLite (the default) and PostgreSQL (fleets) can both serve it.
//
// Implementations are thread-safe.
#ifndef SHOKO_STORE_LEDGER_H_
#define SHOKO_STORE_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "evidence/chain.h"
#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::store {

// An agent the store knows: its evidence key and its durable chain head.
struct AgentEntry {
  std::string agent_id;
  std::string public_key;  // raw 32-byte Ed25519
  evidence::ChainHead head;
};

// One accepted record as stored.
struct LedgerRecord {
  std::string agent_id;
  uint64_t seq = 0;
  std::string record_digest;
  std::string envelope;  // serialized shoko.v1.Envelope, exactly as received
  int64_t received_at_us = 0;
  std::string public_key;  // the key it was verified with
};

struct EvidenceFilter {
  std::string control_ref;  // empty: any; else the ref or any ref below it
  std::string agent_id;     // empty: any; else an agent_id or a prefix of one
  uint32_t limit = 0;       // 0: no limit
};

class Ledger {
 public:
  virtual ~Ledger() = default;

  virtual Result<std::optional<AgentEntry>> FindAgent(const std::string& agent_id) = 0;
  // Records a new agent with its key and an empty chain; InvalidArgument if known.
  virtual Status RegisterAgent(const std::string& agent_id, const std::string& public_key,
                               int64_t now_us) = 0;
  // Durably appends `record`, whose parsed payload is `evidence`. It must be
  // the next link of the agent's chain; this is checked again inside the
  // transaction so that two streams for one agent cannot both append.
  virtual Status Append(const LedgerRecord& record, const v1::Evidence& evidence) = 0;
  // The record digest stored at (agent, seq), if any.
  virtual Result<std::optional<std::string>> DigestAt(const std::string& agent_id,
                                                      uint64_t seq) = 0;
  // Calls `each` for matching records in the order they were accepted, until it
  // returns false. `each` runs without the ledger's lock held (it may even
  // append), so a slow reader never holds up ingest.
  virtual Status List(const EvidenceFilter& filter,
                      const std::function<bool(const LedgerRecord&)>& each) = 0;
};

// The SQLite ledger at `path` (created when absent; WAL, synchronous=FULL).
Result<std::unique_ptr<Ledger>> OpenSqliteLedger(const std::string& path);

}  // namespace shoko::store

#endif  // SHOKO_STORE_LEDGER_H_
