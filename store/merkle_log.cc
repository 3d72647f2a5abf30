#include "store/merkle_log.h"

#include <nlohmann/json.hpp>

#include "shoko/v1/evidence.pb.h"

namespace shoko::store {
namespace {

namespace merkle = evidence::merkle;
using platform::SqlParam;
using platform::SqlRows;
using platform::SqlStatement;

SqlParam Int(int64_t v) { return SqlParam::Int(v); }
SqlParam Size(uint64_t v) { return SqlParam::Int(static_cast<int64_t>(v)); }

// A stored node's key: its position in the in-order numbering of a complete
// binary tree (leaves 0, 2, 4, …; their parents 1, 5, 9, …), one integer for
// (level, index) that both databases index as their primary key.
int64_t NodeId(int level, uint64_t index) {
  return static_cast<int64_t>(((index << 1 | 1) << level) - 1);
}

// Leaves are read in pages of this many, under the lock, and handed out
// after it is released.
constexpr int64_t kLeafPage = 4096;

// The columns every leaf query selects, in LeafRows' order.
constexpr std::string_view kLeafColumns =
    "SELECT leaf_index, agent_id, seq, record_digest, signature_digest, received_at_us "
    "FROM log_leaves ";

}  // namespace

// The statements the log runs, each written once for both dialects.
struct MerkleLog::Statements {
  explicit Statements(const SqlDialect& d)
      : begin(d.begin),
        lock_state("SELECT tree_size FROM log_state WHERE id = 1" + std::string(d.lock_rows)),
        nodes("SELECT node, hash FROM log_nodes WHERE node IN (SELECT CAST(value AS BIGINT) FROM " +
              std::string(d.json_strings_open) + "$1" + std::string(d.json_strings_close) + ")"),
        lead(d.lead) {}

  const std::string begin;
  const std::string lock_state;
  const std::string nodes;
  const std::string lead;
  const std::string tree_size = "SELECT tree_size FROM log_state WHERE id = 1";
  const std::string identity = "SELECT origin, verifier_key FROM log_state WHERE id = 1";
  const std::string pin =
      "UPDATE log_state SET origin = $1, verifier_key = $2 WHERE id = 1 AND origin IS NULL";
  const std::string checkpoint =
      "SELECT tree_size, root_hash, note, signed_at_us FROM checkpoints WHERE tree_size = $1";
  const std::string latest_checkpoint =
      "SELECT tree_size, root_hash, note, signed_at_us FROM checkpoints "
      "ORDER BY tree_size DESC LIMIT 1";
  const std::string cosignatures =
      "SELECT line FROM cosignatures WHERE tree_size = $1 ORDER BY added_at_us, cosigner";
  const std::string add_cosignature =
      "INSERT INTO cosignatures (tree_size, cosigner, line, cosigned_at, added_at_us) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size, cosigner) DO NOTHING";
  const std::string add_checkpoint =
      "INSERT INTO checkpoints (tree_size, root_hash, note, signed_at_us) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING";
  const std::string leaf = std::string(kLeafColumns) + "WHERE leaf_index = $1";
  const std::string leaf_of = std::string(kLeafColumns) + "WHERE agent_id = $1 AND seq = $2";
  const std::string leaves_of = std::string(kLeafColumns) +
                                "WHERE agent_id = $1 AND seq >= $2 AND seq <= $3 AND "
                                "leaf_index < $4 ORDER BY seq LIMIT $5";
  const std::string leaves = std::string(kLeafColumns) +
                             "WHERE leaf_index >= $1 AND leaf_index < $2 "
                             "ORDER BY leaf_index LIMIT $3";
  const std::string queued =
      "SELECT q.evidence_id, e.agent_id, e.seq, e.record_digest, e.envelope, e.received_at_us "
      "FROM log_queue q JOIN evidence e ON e.id = q.evidence_id ORDER BY q.evidence_id LIMIT $1";
  const std::string insert_leaf =
      "INSERT INTO log_leaves (leaf_index, evidence_id, agent_id, seq, record_digest, "
      "signature_digest, received_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)";
  const std::string insert_node = "INSERT INTO log_nodes (node, hash) VALUES ($1, $2)";
  const std::string dequeue =
      "DELETE FROM log_queue WHERE evidence_id IN "
      "(SELECT evidence_id FROM log_leaves WHERE leaf_index >= $1)";
  const std::string grow = "UPDATE log_state SET tree_size = $1 WHERE id = 1";
};

std::string StoredCheckpoint::CosignedNote() const {
  std::string out = note;
  for (const std::string& line : cosignatures) out += line + "\n";
  return out;
}

Result<std::unique_ptr<MerkleLog>> MerkleLog::Open(const std::string& db) {
  SHOKO_ASSIGN_OR_RETURN(SqlConnection connection, ConnectLedger(db));
  return std::make_unique<MerkleLog>(std::move(connection));
}

MerkleLog::MerkleLog(SqlConnection connection)
    : connection_(std::move(connection)),
      sql_(std::make_unique<const Statements>(*connection_.dialect)) {}

MerkleLog::~MerkleLog() = default;

Status MerkleLog::Pin(const LogIdentity& identity) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqlDb* db = connection_.db.get();
  SHOKO_RETURN_IF_ERROR(RunSql(
      db, sql_->pin, {SqlParam::Text(identity.origin), SqlParam::Text(identity.verifier_key)}));
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, db->Query(sql_->identity));
  const std::string& origin = rows.Bytes(0, 0);
  const std::string& key = rows.Bytes(0, 1);
  if (origin == identity.origin && key == identity.verifier_key) return Status::OK();
  return Status::InvalidArgument("the database holds the log of origin '" + origin + "', key " +
                                 key + "; this store would sign as origin '" + identity.origin +
                                 "', key " + identity.verifier_key +
                                 " (every store of one database needs the same log_key and "
                                 "log_origin)");
}

Result<std::optional<LogIdentity>> MerkleLog::Identity() {
  std::lock_guard<std::mutex> lock(mu_);
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, connection_.db->Query(sql_->identity));
  if (rows.empty() || rows.IsNull(0, 0)) return std::optional<LogIdentity>();
  return std::optional<LogIdentity>(LogIdentity{rows.Bytes(0, 0), rows.Bytes(0, 1)});
}

Result<uint64_t> MerkleLog::TreeSizeLocked() {
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, connection_.db->Query(sql_->tree_size));
  if (rows.empty()) return Status::Corruption("the log's state row is missing");
  return static_cast<uint64_t>(rows.Int(0, 0));
}

Result<uint64_t> MerkleLog::TreeSize() {
  std::lock_guard<std::mutex> lock(mu_);
  return TreeSizeLocked();
}

Result<std::optional<StoredCheckpoint>> MerkleLog::Checkpoint(uint64_t tree_size) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqlDb* db = connection_.db.get();
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, tree_size == 0
                                           ? db->Query(sql_->latest_checkpoint)
                                           : db->Query(sql_->checkpoint, {Size(tree_size)}));
  if (rows.empty()) return std::optional<StoredCheckpoint>();
  StoredCheckpoint cp{static_cast<uint64_t>(rows.Int(0, 0)),
                      rows.Bytes(0, 1),
                      rows.Bytes(0, 2),
                      rows.Int(0, 3),
                      {}};
  SHOKO_ASSIGN_OR_RETURN(SqlRows lines, db->Query(sql_->cosignatures, {Size(cp.tree_size)}));
  for (size_t i = 0; i < lines.size(); ++i) cp.cosignatures.push_back(lines.Bytes(i, 0));
  return std::optional<StoredCheckpoint>(std::move(cp));
}

Result<std::vector<LogLeaf>> MerkleLog::LeafRows(std::string_view sql,
                                                 const std::vector<SqlParam>& params) {
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, connection_.db->Query(sql, params));
  std::vector<LogLeaf> leaves;
  leaves.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    leaves.push_back({static_cast<uint64_t>(rows.Int(i, 0)),
                      {rows.TakeBytes(i, 1), static_cast<uint64_t>(rows.Int(i, 2)),
                       rows.TakeBytes(i, 3), rows.TakeBytes(i, 4), rows.Int(i, 5)}});
  }
  return leaves;
}

Result<std::optional<LogLeaf>> MerkleLog::Leaf(uint64_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  SHOKO_ASSIGN_OR_RETURN(std::vector<LogLeaf> found, LeafRows(sql_->leaf, {Size(index)}));
  if (found.empty()) return std::optional<LogLeaf>();
  return std::optional<LogLeaf>(std::move(found.front()));
}

Result<std::optional<LogLeaf>> MerkleLog::LeafOf(const std::string& agent_id, uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  SHOKO_ASSIGN_OR_RETURN(std::vector<LogLeaf> found,
                         LeafRows(sql_->leaf_of, {SqlParam::Text(agent_id), Size(seq)}));
  if (found.empty()) return std::optional<LogLeaf>();
  return std::optional<LogLeaf>(std::move(found.front()));
}

Result<std::vector<LogLeaf>> MerkleLog::LeavesOf(const std::string& agent_id, uint64_t first_seq,
                                                 uint64_t last_seq, uint64_t tree_size,
                                                 size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  // Seqs and sizes are stored as signed 64-bit integers.
  const uint64_t top = static_cast<uint64_t>(INT64_MAX);
  return LeafRows(sql_->leaves_of, {SqlParam::Text(agent_id), Size(std::min(first_seq, top)),
                                    Size(std::min(last_seq, top)), Size(std::min(tree_size, top)),
                                    Size(std::min<uint64_t>(limit, top))});
}

Status MerkleLog::Leaves(uint64_t start, uint64_t end,
                         const std::function<bool(const LogLeaf&)>& each) {
  while (start < end) {
    std::vector<LogLeaf> page;
    {
      std::lock_guard<std::mutex> lock(mu_);
      SHOKO_ASSIGN_OR_RETURN(page,
                             LeafRows(sql_->leaves, {Size(start), Size(end), Int(kLeafPage)}));
    }
    if (page.empty()) {
      return Status::Corruption("the log has no leaf " + std::to_string(start) +
                                " though its tree holds it");
    }
    for (const LogLeaf& leaf : page) {
      if (leaf.index != start) {
        return Status::Corruption("the log has no leaf " + std::to_string(start) +
                                  " though its tree holds it");
      }
      if (!each(leaf)) return Status::OK();
      ++start;
    }
  }
  return Status::OK();
}

Result<MerkleLog::NodeHashes> MerkleLog::ReadNodes(const std::set<int64_t>& ids) {
  nlohmann::json wanted = nlohmann::json::array();
  for (int64_t id : ids) wanted.push_back(std::to_string(id));
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows,
                         connection_.db->Query(sql_->nodes, {SqlParam::Text(wanted.dump())}));
  NodeHashes nodes;
  for (size_t i = 0; i < rows.size(); ++i) nodes.emplace(rows.Int(i, 0), rows.TakeBytes(i, 1));
  return nodes;
}

// Proofs and roots choose their nodes by position alone, never by what the
// nodes hold: a first run with placeholder hashes learns which nodes
// `compute` reads, one query reads them, a second run computes.
template <typename T>
Result<T> MerkleLog::OverNodes(const std::function<Result<T>(const merkle::NodeReader&)>& compute) {
  std::set<int64_t> wanted;
  const merkle::NodeReader probe = [&](int level, uint64_t index) -> Result<std::string> {
    wanted.insert(NodeId(level, index));
    return std::string(32, '\0');
  };
  SHOKO_RETURN_IF_ERROR(compute(probe).status());
  NodeHashes nodes;
  if (!wanted.empty()) {
    SHOKO_ASSIGN_OR_RETURN(nodes, ReadNodes(wanted));
  }
  const merkle::NodeReader stored = [&](int level, uint64_t index) -> Result<std::string> {
    auto it = nodes.find(NodeId(level, index));
    if (it == nodes.end()) {
      return Status::Corruption("the log has no node at level " + std::to_string(level) +
                                ", index " + std::to_string(index) + " though its tree holds it");
    }
    return it->second;
  };
  return compute(stored);
}

Result<std::string> MerkleLog::RootHash(uint64_t tree_size) {
  std::lock_guard<std::mutex> lock(mu_);
  return OverNodes<std::string>(
      [&](const merkle::NodeReader& nodes) { return merkle::RootHash(tree_size, nodes); });
}

Result<std::vector<std::string>> MerkleLog::InclusionProof(uint64_t index, uint64_t tree_size) {
  std::lock_guard<std::mutex> lock(mu_);
  return OverNodes<std::vector<std::string>>([&](const merkle::NodeReader& nodes) {
    return merkle::InclusionProof(index, tree_size, nodes);
  });
}

Result<std::vector<std::string>> MerkleLog::ConsistencyProof(uint64_t size1, uint64_t size2) {
  std::lock_guard<std::mutex> lock(mu_);
  return OverNodes<std::vector<std::string>>([&](const merkle::NodeReader& nodes) {
    return merkle::ConsistencyProof(size1, size2, nodes);
  });
}

Status MerkleLog::AddCosignature(uint64_t tree_size, const std::string& cosigner,
                                 const std::string& line, uint64_t cosigned_at, int64_t now_us) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqlDb* db = connection_.db.get();
  SHOKO_ASSIGN_OR_RETURN(SqlRows held, db->Query(sql_->checkpoint, {Size(tree_size)}));
  if (held.empty()) {
    return Status::NotFound("no checkpoint of tree size " + std::to_string(tree_size));
  }
  return RunSql(db, sql_->add_cosignature,
                {Size(tree_size), SqlParam::Text(cosigner), SqlParam::Text(line),
                 Size(std::min<uint64_t>(cosigned_at, INT64_MAX)), Int(now_us)});
}

Result<bool> MerkleLog::Lead() {
  std::lock_guard<std::mutex> lock(mu_);
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, connection_.db->Query(sql_->lead));
  return !rows.empty() && rows.Int(0, 0) == 1;
}

Result<merkle::CompactRange> MerkleLog::Edge() {
  std::lock_guard<std::mutex> lock(mu_);
  SHOKO_ASSIGN_OR_RETURN(const uint64_t size, TreeSizeLocked());
  return OverNodes<merkle::CompactRange>([&](const merkle::NodeReader& nodes) {
    return merkle::CompactRange::FromNodes(size, nodes);
  });
}

Result<std::vector<QueuedRecord>> MerkleLog::Queued(size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, connection_.db->Query(sql_->queued, {Size(limit)}));
  std::vector<QueuedRecord> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    v1::Envelope envelope;
    if (!envelope.ParseFromString(rows.Bytes(i, 4))) {
      return Status::Corruption("stored envelope of agent " + rows.Bytes(i, 1) + " seq " +
                                std::to_string(rows.Int(i, 2)) + " does not parse");
    }
    out.push_back({rows.Int(i, 0),
                   {rows.TakeBytes(i, 1), static_cast<uint64_t>(rows.Int(i, 2)),
                    rows.TakeBytes(i, 3), evidence::SignatureDigest(envelope), rows.Int(i, 5)}});
  }
  return out;
}

Result<bool> MerkleLog::Append(uint64_t from_size, const std::vector<QueuedRecord>& records,
                               const std::vector<merkle::CompactRange::Node>& nodes) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqlDb* db = connection_.db.get();
  SqlTransaction tx(db, sql_->begin);
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  // Locked until commit: another sequencer waits, then finds the tree moved.
  SHOKO_ASSIGN_OR_RETURN(SqlRows state, db->Query(sql_->lock_state));
  if (state.empty() || static_cast<uint64_t>(state.Int(0, 0)) != from_size) return false;
  std::vector<SqlStatement> writes;
  writes.reserve(records.size() + nodes.size() + 2);
  uint64_t index = from_size;
  for (const QueuedRecord& r : records) {
    const evidence::LogLeafFields& f = r.fields;
    writes.push_back({sql_->insert_leaf,
                      {Size(index++), Int(r.evidence_id), SqlParam::Text(f.agent_id), Size(f.seq),
                       SqlParam::Bytes(f.record_digest), SqlParam::Bytes(f.signature_digest),
                       Int(f.received_at_us)}});
  }
  for (const merkle::CompactRange::Node& n : nodes) {
    writes.push_back({sql_->insert_node, {Int(NodeId(n.level, n.index)), SqlParam::Bytes(n.hash)}});
  }
  writes.push_back({sql_->dequeue, {Size(from_size)}});
  writes.push_back({sql_->grow, {Size(index)}});
  SHOKO_RETURN_IF_ERROR(tx.CommitAfter(std::move(writes)));
  return true;
}

Status MerkleLog::AddCheckpoint(const StoredCheckpoint& cp) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqlDb* db = connection_.db.get();
  SqlTransaction tx(db, sql_->begin);
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  SHOKO_RETURN_IF_ERROR(RunSql(db, sql_->lock_state));
  SHOKO_RETURN_IF_ERROR(RunSql(db, sql_->add_checkpoint,
                               {Size(cp.tree_size), SqlParam::Bytes(cp.root_hash),
                                SqlParam::Text(cp.note), Int(cp.signed_at_us)}));
  SHOKO_ASSIGN_OR_RETURN(SqlRows held, db->Query(sql_->checkpoint, {Size(cp.tree_size)}));
  if (held.empty() || held.Bytes(0, 1) != cp.root_hash) {
    return Status::Corruption("the log holds another checkpoint of tree size " +
                              std::to_string(cp.tree_size) + " with another root");
  }
  return tx.Commit();
}

}  // namespace shoko::store
