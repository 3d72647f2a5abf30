// The agent's durable buffer of signed records (design §1, §3; schema in
// agent/OUTBOX.md). A record counts as recorded once its transaction commits;
// it leaves the outbox only after the store has acknowledged it.
//
// Thread-safe: the uploader's ack reader deletes while its writer reads.
#ifndef SHOKO_AGENT_OUTBOX_H_
#define SHOKO_AGENT_OUTBOX_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "evidence/chain.h"
#include "platform/sqlite_db.h"
#include "platform/status.h"

namespace shoko::agent {

struct OutboxRecord {
  uint64_t seq = 0;
  std::string digest;    // record digest (32 bytes)
  std::string envelope;  // serialized shoko.v1.Envelope
};

class Outbox {
 public:
  // Opens or creates the outbox database at `path`, migrating its schema.
  static Result<std::unique_ptr<Outbox>> Open(const std::string& path);

  // The last record ever appended (seq 0 before the first), acked or not.
  evidence::ChainHead Head() const;

  // Appends `records` in one durable transaction. They must continue the chain:
  // seqs Head()+1, Head()+2, … Nothing is written on failure.
  Status Append(const std::vector<OutboxRecord>& records);

  // Up to `limit` records with seq > `after`, in seq order.
  Result<std::vector<OutboxRecord>> ReadAfter(uint64_t after, size_t limit) const;

  // Removes every record with seq ≤ `seq` (the store acked them).
  Status DeleteThrough(uint64_t seq);

  // Records not yet acknowledged.
  Result<uint64_t> Depth() const;

 private:
  explicit Outbox(std::unique_ptr<platform::SqliteDb> db) : db_(std::move(db)) {}
  Status LoadHead();

  mutable std::mutex mu_;
  std::unique_ptr<platform::SqliteDb> db_;
  evidence::ChainHead head_;
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_OUTBOX_H_
