// The store's Merkle log over the ledger's database (docs/ledger.md, "The
// Merkle log"), written once for both dialects: the leaves, the subtree nodes
// of 16 leaves or more they complete (smaller subtrees are computed from
// their leaves), the signed checkpoints with the witnesses' cosignatures, and
// the proofs, computed from the stored nodes and leaves. The sequencer
// (store/sequencer.h) writes through one; the services read through another.
//
// Each MerkleLog holds its own connection behind a mutex: thread-safe.
#ifndef SHOKO_STORE_MERKLE_LOG_H_
#define SHOKO_STORE_MERKLE_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "platform/status.h"
#include "store/sql_ledger.h"

namespace shoko::store {

// One leaf: its index and the values of its leaf input.
struct LogLeaf {
  uint64_t index = 0;
  evidence::LogLeafFields fields;
};

// An accepted record that is not a leaf yet.
struct QueuedRecord {
  int64_t evidence_id = 0;
  evidence::LogLeafFields fields;
};

// A checkpoint as the log keeps it.
struct StoredCheckpoint {
  uint64_t tree_size = 0;
  std::string root_hash;  // 32 raw bytes
  std::string note;       // the signed note, exactly as signed
  int64_t signed_at_us = 0;
  std::vector<std::string> cosignatures;  // the witnesses' lines, in the order they came

  // The note followed by the cosignature lines: what GetCheckpoint answers.
  std::string CosignedNote() const;
};

// What names the log: the origin its checkpoints carry and the C2SP verifier
// key of the log key that signs them.
struct LogIdentity {
  std::string origin;
  std::string verifier_key;
};

class MerkleLog {
 public:
  // A log over its own connection to the ledger database `db`.
  static Result<std::unique_ptr<MerkleLog>> Open(const std::string& db);
  explicit MerkleLog(SqlConnection connection);
  ~MerkleLog();
  MerkleLog(const MerkleLog&) = delete;
  MerkleLog& operator=(const MerkleLog&) = delete;

  // The database keeps the first identity a store pins; a store with another
  // origin or key is refused (InvalidArgument, naming both), so that no
  // checkpoint of this log is ever signed under another name or key.
  Status Pin(const LogIdentity& identity);
  // The identity pinned, if any.
  Result<std::optional<LogIdentity>> Identity();

  // Leaves in the tree: every one has its nodes stored.
  Result<uint64_t> TreeSize();
  // The checkpoint of `tree_size` (0: the latest), if there is one.
  Result<std::optional<StoredCheckpoint>> Checkpoint(uint64_t tree_size);
  // The newest checkpoint's tree size, if there is one: what every proof is
  // served within, in one query.
  Result<std::optional<uint64_t>> NewestCheckpointSize();

  Result<std::optional<LogLeaf>> Leaf(uint64_t index);
  // The leaf of an agent's record, if the tree holds it.
  Result<std::optional<LogLeaf>> LeafOf(const std::string& agent_id, uint64_t seq);
  // Up to `limit` leaves of `agent_id` with a seq in [first_seq, last_seq]
  // and an index below `tree_size`, in seq order.
  Result<std::vector<LogLeaf>> LeavesOf(const std::string& agent_id, uint64_t first_seq,
                                        uint64_t last_seq, uint64_t tree_size, size_t limit);
  // Calls `each` for the leaves [start, end) in index order, until it
  // returns false; it runs without the lock held, a page at a time.
  Status Leaves(uint64_t start, uint64_t end, const std::function<bool(const LogLeaf&)>& each);

  // From the stored nodes, each reading its nodes in one query. The tree of
  // `tree_size` must be within TreeSize().
  Result<std::string> RootHash(uint64_t tree_size);
  Result<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t tree_size);
  Result<std::vector<std::string>> ConsistencyProof(uint64_t size1, uint64_t size2);

  // Keeps a witness's cosignature line of the checkpoint of `tree_size`,
  // made at `cosigned_at` (seconds): the first one per cosigner and
  // checkpoint, a later one changes nothing. NotFound without that
  // checkpoint.
  Status AddCosignature(uint64_t tree_size, const std::string& cosigner, const std::string& line,
                        uint64_t cosigned_at, int64_t now_us);

  // The sequencer's side (docs/ledger.md, "The sequencer").
  //
  // Whether this connection is the sequencer, taking the role when it is free.
  Result<bool> Lead();
  // The right edge of the tree as stored.
  Result<evidence::merkle::CompactRange> Edge();
  // Up to `limit` accepted records not yet leaves, oldest first, with their
  // leaf input values (the signature digest computed from the envelope).
  Result<std::vector<QueuedRecord>> Queued(size_t limit);
  // Makes `records` the leaves from index `from_size` on, with the `nodes`
  // they complete (those of 16 leaves or more are kept), in one transaction
  // that also takes them off the queue.
  // False, and nothing written, when the tree is no longer of `from_size`
  // leaves (another sequencer moved it).
  Result<bool> Append(uint64_t from_size, const std::vector<QueuedRecord>& records,
                      const std::vector<evidence::merkle::CompactRange::Node>& nodes);
  // Keeps a signed checkpoint. The same checkpoint again changes nothing;
  // one of its size with another root is Corruption (and the database would
  // refuse it too).
  Status AddCheckpoint(const StoredCheckpoint& checkpoint);

 private:
  // What a proof reads: stored node hashes by node id, and leaf hashes by
  // leaf index for the subtrees too small to be stored.
  struct Subtrees {
    std::map<int64_t, std::string> nodes;
    std::map<uint64_t, std::string> leaves;
  };
  Result<Subtrees> ReadSubtrees(const std::set<int64_t>& node_ids,
                                const std::set<int64_t>& leaf_indexes);
  // Runs `compute` over the stored nodes and leaves, read in one query.
  template <typename T>
  Result<T> OverNodes(const std::function<Result<T>(const evidence::merkle::NodeReader&)>& compute);
  Result<std::vector<LogLeaf>> LeafRows(std::string_view sql,
                                        const std::vector<platform::SqlParam>& params);
  Result<uint64_t> TreeSizeLocked();

  struct Statements;
  std::mutex mu_;  // serializes use of the connection
  SqlConnection connection_;
  std::unique_ptr<const Statements> sql_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_MERKLE_LOG_H_
