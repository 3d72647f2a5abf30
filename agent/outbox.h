// The agent's durable buffer of signed records (docs/agent-state.md,
// "outbox.db"). A record counts as recorded once its transaction commits; it
// leaves the outbox only after the store has acknowledged it, and, when the
// agent witnesses the store's log, only once the log is proven to include it
// (docs/agent-state.md, "Acknowledged, then included"). When full,
// the outbox takes no more observations (it never drops what it holds) and
// remembers what it did not take, for one GAP record later.
//
// Thread-safe: the uploader's ack reader deletes while its writer reads.
#ifndef SHOKO_AGENT_OUTBOX_H_
#define SHOKO_AGENT_OUTBOX_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/chain_state.h"
#include "platform/sqlite_db.h"
#include "platform/status.h"

namespace shoko::agent {

struct OutboxRecord {
  uint64_t seq = 0;
  std::string digest;        // record digest (32 bytes)
  std::string envelope;      // serialized shoko.v1.Envelope
  bool observation = false;  // observations are what a full outbox stops taking
  int64_t acked_at_us = 0;   // when the store acknowledged it; 0: not yet
};

// What change detection remembers of a check's last record.
struct CheckState {
  std::string check_id;
  int verdict = 0;
  std::string facts_digest;
  int64_t recorded_at_us = 0;
  std::string record_digest;  // of the record that last reported it
};

// Observations not recorded because the outbox was full.
struct PendingGap {
  uint64_t count = 0;
  int64_t first_us = 0;
  int64_t last_us = 0;
  std::set<std::string> checks;
  bool empty() const { return count == 0; }
};

struct OutboxLimits {
  uint64_t max_records = 1'000'000;
  uint64_t max_bytes = uint64_t{1} << 30;
};

// How Open found the outbox when it could not simply continue it. Kept in the
// outbox until a LIFECYCLE record has said so (OutboxBatch::clear_recovery).
struct OutboxRecovery {
  std::string reason;        // what happened, for logs and the LIFECYCLE record
  std::string moved_to;      // where a corrupt outbox was kept; empty if none
  evidence::ChainHead head;  // where the chain continues from
  uint64_t acked_seq = 0;    // records after this, up to head.seq, may be missing
};

// Everything one transaction writes.
struct OutboxBatch {
  std::vector<OutboxRecord> records;  // must continue the chain
  ChainPosition after;                // the position once they are written
  std::vector<CheckState> checks;     // change-detection state to store
  bool clear_pending_gap = false;     // the batch carries the GAP record
  bool clear_recovery = false;        // the batch carries the outbox_recovered record
};

class Outbox {
 public:
  struct SavedHead;  // what chain.head says (outbox.cc)

  // Opens STATE_DIR/outbox.db and STATE_DIR/chain.head for `agent_id`. An
  // outbox that fails SQLite's integrity check is renamed to
  // outbox.db.corrupt-<UTC time> (kept, never deleted) and a new one continues
  // the chain from chain.head; recovery() says so. Refuses to start a new
  // chain over an unknown head: that would fork it.
  static Result<std::unique_ptr<Outbox>> Open(const std::string& state_dir,
                                              const std::string& agent_id, OutboxLimits limits);

  // Where the chain stands: the last record ever appended, acked or not.
  ChainPosition Position() const;
  // True when neither an outbox nor chain.head existed: where the chain
  // stands is unknown unless the identity is new too.
  bool IsNew() const { return is_new_; }
  const std::optional<OutboxRecovery>& recovery() const { return recovery_; }

  // Whether `records` more observations totalling `bytes` fit the limits.
  // Lifecycle, GAP and health records are always taken: they are few, and they
  // are how the agent says that it is full.
  bool HasRoom(size_t records, uint64_t bytes) const;

  // Writes `batch` in one durable transaction, and chain.head before it.
  // Nothing is written on failure.
  Status Append(const OutboxBatch& batch);

  // Up to `limit` records with seq > `after`, in seq order.
  Result<std::vector<OutboxRecord>> ReadAfter(uint64_t after, size_t limit) const;
  // Removes every record with seq ≤ `seq` (the store acked them).
  Status DeleteThrough(uint64_t seq);

  // Between the store's ack and the log's inclusion (docs/agent-state.md,
  // "Acknowledged, then included"). Marks every record with seq ≤ `seq` not
  // marked before as acknowledged at `now_us`; they stay in the outbox.
  Status MarkAcked(uint64_t seq, int64_t now_us);
  // Clears the mark of records after `seq`: a store that acknowledged them
  // no longer holds them, so they are sent again. Returns how many.
  Result<uint64_t> ForgetAcksAfter(uint64_t seq);
  // Up to `limit` acknowledged records with seq > `after`, in seq order.
  Result<std::vector<OutboxRecord>> AckedAfter(uint64_t after, size_t limit) const;
  // The seqs of every acknowledged record, in order.
  Result<std::vector<uint64_t>> AckedSeqs() const;
  // Removes the records `seqs` (their inclusion in the log was verified).
  Status Delete(const std::vector<uint64_t>& seqs);
  // Notes in chain.head how far the store has acknowledged (once per upload).
  Status NoteAcked(uint64_t seq);

  uint64_t Depth() const;              // records held, acknowledged or not
  uint64_t Bytes() const;              // their envelope bytes
  uint64_t AwaitingInclusion() const;  // records held that the store acknowledged
  const OutboxLimits& limits() const { return limits_; }

  Result<std::map<std::string, CheckState>> CheckStates() const;
  Result<PendingGap> LoadPendingGap() const;
  // Notes observations that could not be recorded at `at_us`.
  Status AddToPendingGap(const std::vector<std::string>& check_ids, int64_t at_us);

  // Small named values the agent keeps between runs (e.g. its config digest).
  Result<std::string> Meta(const std::string& key) const;
  Status SetMeta(const std::string& key, const std::string& value);

 private:
  Outbox(std::unique_ptr<platform::SqliteDb> db, std::string state_path, std::string agent_id,
         OutboxLimits limits)
      : db_(std::move(db)),
        state_path_(std::move(state_path)),
        agent_id_(std::move(agent_id)),
        limits_(limits) {}
  Result<std::optional<ChainPosition>> ReadPosition() const;
  Status LoadCounters();
  // Open's steps: where the chain stands, given chain.head (`saved`) and
  // whether outbox.db existed; a head taken from chain.head into a new
  // outbox, with the recovery that says so; a recovery an earlier run noted.
  Status SettlePosition(const SavedHead& saved, bool existed,
                        std::optional<OutboxRecovery>* recovery);
  Status AdoptHead(const OutboxRecovery& recovery);
  Result<std::optional<OutboxRecovery>> NotedRecovery() const;

  mutable std::mutex mu_;
  std::unique_ptr<platform::SqliteDb> db_;
  const std::string state_path_;
  const std::string agent_id_;
  const OutboxLimits limits_;
  ChainPosition position_;
  uint64_t acked_seq_ = 0;
  bool is_new_ = false;
  std::optional<OutboxRecovery> recovery_;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
  uint64_t acked_rows_ = 0;
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_OUTBOX_H_
