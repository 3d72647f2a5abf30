// The store's append-only evidence ledger (docs/ledger.md, "One ledger, two
// dialects"), behind one interface so that SQLite (the default) and
// PostgreSQL (fleets) can both serve it. Both are the one SqlLedger
// (store/sql_ledger.h) over their own database.
//
// Implementations are thread-safe.
#ifndef SHOKO_STORE_LEDGER_H_
#define SHOKO_STORE_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/chain.h"
#include "evidence/keys.h"
#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::store {

// An agent's states: "active" agents may upload and renew; "revoked" and
// "retired" ones may not, and a retired host leaves the compliance matrix.
inline constexpr std::string_view kAgentActive = "active";
inline constexpr std::string_view kAgentRevoked = "revoked";
inline constexpr std::string_view kAgentRetired = "retired";

// The check id of an agent's witness incident (docs/ledger.md, "Forks and
// incidents"): its log check failed. The ledger keeps each such record among
// the incidents too, with kind kWitnessIncident; a fork is kFork.
inline constexpr std::string_view kWitnessIncidentCheckId = "agent.lifecycle.witness_incident";
inline constexpr std::string_view kForkIncident = "fork";
inline constexpr std::string_view kWitnessIncident = "witness";

// One of an agent's evidence keys and the seqs it may sign (a rotation record
// hands the chain to the next key: docs/evidence-format.md, "Key rotation
// records").
struct AgentKey {
  std::string key_id;
  std::string public_key;  // raw 32-byte Ed25519
  uint64_t from_seq = 1;
  uint64_t until_seq = UINT64_MAX;  // the rotation record's seq once rotated out
};

// An agent the store knows: its keys, its durable chain head, and whether it
// may still upload ("active", "revoked", "retired").
struct AgentEntry {
  std::string agent_id;
  std::vector<AgentKey> keys;  // oldest first
  evidence::ChainHead head;
  std::string state = std::string(kAgentActive);
  std::string state_reason;
  // The key with `key_id`, if the agent has one.
  const AgentKey* Key(const std::string& key_id) const;
  // Whether `ev` may join the chain, as the ledger checks it inside its
  // transaction: its key's window holds its seq, and it is the next link
  // (kNext) or lies beyond the head (kGap). InvalidArgument otherwise.
  Result<evidence::Link> CheckAppend(const v1::Evidence& ev) const;
  // A rotation record at `seq`, signed by `key_id`: that key signs nothing
  // after it, and `next` signs from seq + 1.
  void HandOver(const std::string& key_id, uint64_t seq, const evidence::PublicKey& next);
};

// A hole in an agent's chain: records the store never received.
struct ChainGap {
  std::string agent_id;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  int64_t detected_at_us = 0;
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

// One record to append, as Append takes it.
struct LedgerAppend {
  LedgerRecord record;
  v1::Evidence evidence;
  std::optional<evidence::PublicKey> next_key;
};

// Evidence of an incident, kept so that auditors can see it: a fork is
// another validly signed record at a seq the store holds; a witness incident
// is an agent's record that the log failed its check.
struct Incident {
  std::string agent_id;
  uint64_t seq = 0;
  std::string kind;  // kForkIncident, kWitnessIncident
  std::string detail;
  int64_t detected_at_us = 0;
  std::string envelope;  // the refused serialized shoko.v1.Envelope
};

struct EvidenceFilter {
  std::string control_ref;  // empty: any; else the ref or any ref below it
  std::string agent_id;     // empty: any; else an agent_id or a prefix of one
  uint32_t limit = 0;       // 0: no limit
  // With control_ref, the store's own mapping (reports re-map history:
  // docs/controls.md, "Mapping"): records of these check_ids match (a JSON
  // array of strings); records of checks the mapping has (`mapped_checks`)
  // match only that way; the others by the refs they carry.
  std::string checks_under = "[]";
  std::string mapped_checks = "[]";
};

class Ledger {
 public:
  virtual ~Ledger() = default;

  virtual Result<std::optional<AgentEntry>> FindAgent(const std::string& agent_id) = 0;
  // Records a new agent with its key and an empty chain; InvalidArgument if known.
  virtual Status RegisterAgent(const std::string& agent_id, const std::string& public_key,
                               int64_t now_us) = 0;
  // Durably appends `record`, whose parsed payload is `evidence`. It must be
  // the next link of the agent's chain, or lie beyond it: then the hole is
  // kept as a ChainGap. Checked again inside the transaction so that two
  // streams for one agent cannot both append. When `next_key` is set (a
  // rotation record), the record's key signs no later seq and `next_key` signs
  // from the next one.
  virtual Status Append(const LedgerRecord& record, const v1::Evidence& evidence,
                        const std::optional<evidence::PublicKey>& next_key) = 0;
  // Appends in order in one durable transaction (group commit): each append
  // succeeds or fails on its own, as Append would; the whole fails only when
  // the transaction does.
  virtual Result<std::vector<Status>> AppendBatch(const std::vector<LedgerAppend>& appends) = 0;
  // The serialized envelopes of the agent's accepted records with the
  // key-rotation check_id, in seq order.
  virtual Result<std::vector<std::string>> RotationEnvelopes(const std::string& agent_id) = 0;
  // Marks a known agent "active", "revoked" or "retired" (NotFound if unknown).
  virtual Status SetAgentState(const std::string& agent_id, const std::string& state,
                               const std::string& reason, int64_t now_us) = 0;
  // Keeps a bootstrap token (by its SHA-256 only) until `expires_at_us`.
  virtual Status AddEnrollmentToken(const std::string& token_sha256, int64_t expires_at_us,
                                    const std::string& note, const std::string& created_by,
                                    int64_t now_us) = 0;
  // Uses a token once, for `agent_id`, and in the same transaction registers
  // the agent with `public_key` if it is new. PermissionDenied for an unknown,
  // expired or used token, or a known agent with another key or not active.
  virtual Status Enroll(const std::string& token_sha256, const std::string& agent_id,
                        const std::string& public_key, int64_t now_us) = 0;
  // Keeps `incident`.
  virtual Status RecordIncident(const Incident& incident) = 0;
  // Incidents of `agent_id` (all when empty), oldest first.
  virtual Result<std::vector<Incident>> Incidents(const std::string& agent_id) = 0;
  // Every gap recorded for `agent_id` (all agents when empty), oldest first.
  virtual Result<std::vector<ChainGap>> Gaps(const std::string& agent_id) = 0;
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
// The PostgreSQL ledger at `url` (postgresql://…), its schema migrated.
Result<std::unique_ptr<Ledger>> OpenPostgresLedger(const std::string& url);
// Whether `db` names a PostgreSQL database (a postgresql:// or postgres:// URL)
// rather than a SQLite file.
bool IsPostgresUrl(const std::string& db);
// PostgreSQL for a postgresql:// or postgres:// URL, else SQLite at the path.
Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& db);

}  // namespace shoko::store

#endif  // SHOKO_STORE_LEDGER_H_
