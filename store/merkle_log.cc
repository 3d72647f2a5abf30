#include "store/merkle_log.h"

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

// Subtrees of fewer leaves than 2^kStoredLevel are not stored: a proof
// computes them from their leaves (at most 15 of them, read in one query).
// A leaf then costs the sequencer one leaf row and 1/8 of a node row on
// average, not one leaf row and two node rows.
constexpr int kStoredLevel = 4;

// Leaves are read in pages of this many, under the lock, and handed out
// after it is released.
constexpr int64_t kLeafPage = 4096;

// "INSERT INTO TABLE (COLUMNS) VALUES ($1, …), …" of `width` values a row,
// for each power of two up to `most` rows (index k: 2^k rows). A batch's
// leaves and nodes go in INSERTs of the largest that fit, then smaller ones
// (a statement per power of two, so that a connection prepares few).
std::vector<std::string> MultiRowInserts(std::string_view head, size_t width, size_t most) {
  std::vector<std::string> by_power;
  for (size_t rows = 1; rows <= most; rows *= 2) {
    std::string sql(head);
    for (size_t r = 0, p = 1; r < rows; ++r) {
      sql += r == 0 ? " (" : ", (";
      for (size_t c = 0; c < width; ++c, ++p) sql += (c == 0 ? "$" : ", $") + std::to_string(p);
      sql += ")";
    }
    by_power.push_back(std::move(sql));
  }
  return by_power;
}

// Adds to `writes` the INSERTs of the rows in `values` (`width` a row, in
// order), the largest statements first.
void AddInserts(const std::vector<std::string>& by_power, size_t width,
                std::vector<SqlParam>&& values, std::vector<SqlStatement>* writes) {
  size_t row = 0;
  const size_t rows = values.size() / width;
  while (row < rows) {
    size_t k = by_power.size() - 1;
    while ((size_t{1} << k) > rows - row) --k;
    const size_t n = size_t{1} << k;
    std::vector<SqlParam> params(std::make_move_iterator(values.begin() + row * width),
                                 std::make_move_iterator(values.begin() + (row + n) * width));
    writes->push_back({by_power[k], std::move(params)});
    row += n;
  }
}

// The columns every leaf query selects, in LeafRows' order.
constexpr std::string_view kLeafColumns =
    "SELECT leaf_index, agent_id, seq, record_digest, signature_digest, received_at_us "
    "FROM log_leaves ";
// The same for an agent's leaves, found through the records' index by agent
// and seq (the leaves have none of their own).
constexpr std::string_view kAgentLeafColumns =
    "SELECT l.leaf_index, l.agent_id, l.seq, l.record_digest, l.signature_digest, "
    "l.received_at_us FROM evidence e JOIN log_leaves l ON l.evidence_id = e.id ";

// The numbers of a JSON array of strings in `param`, as a table.
std::string IdsIn(const SqlDialect& d, std::string_view param) {
  return "(SELECT CAST(value AS BIGINT) FROM " + std::string(d.json_strings_open) +
         std::string(param) + std::string(d.json_strings_close) + ")";
}

}  // namespace

// The statements the log runs, each written once for both dialects.
struct MerkleLog::Statements {
  explicit Statements(const SqlDialect& d)
      : begin(d.begin),
        lock_state("SELECT tree_size FROM log_state WHERE id = 1" + std::string(d.lock_rows)),
        ids_in_param(IdsIn(d, "$1")),
        subtrees(std::string(kLeafColumns) + "WHERE leaf_index IN " + ids_in_param +
                 " UNION ALL SELECT -1 - node, NULL, NULL, hash, NULL, NULL FROM log_nodes "
                 "WHERE node IN " +
                 IdsIn(d, "$2")),
        lead(d.lead),
        rows_per_insert(d.rows_per_insert) {}

  const std::string begin;
  const std::string lock_state;
  // The numbers of a JSON array of strings in $1 (JsonIds), as a table.
  // Statements that read or delete rows by such a list have one plan that
  // holds whatever the statistics say: an index lookup per id.
  const std::string ids_in_param;
  // What a proof reads, in one round trip: the leaves $1 lists, and the
  // nodes $2 lists as rows whose first column is -1 - the node's id.
  const std::string subtrees;
  const std::string lead;
  const size_t rows_per_insert;
  const std::string tree_size = "SELECT tree_size FROM log_state WHERE id = 1";
  const std::string identity = "SELECT origin, verifier_key FROM log_state WHERE id = 1";
  const std::string pin =
      "UPDATE log_state SET origin = $1, verifier_key = $2 WHERE id = 1 AND origin IS NULL";
  const std::string checkpoint =
      "SELECT tree_size, root_hash, note, signed_at_us FROM checkpoints WHERE tree_size = $1";
  const std::string newest_size = "SELECT MAX(tree_size) FROM checkpoints";
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
  const std::string leaf_of =
      std::string(kAgentLeafColumns) + "WHERE e.agent_id = $1 AND e.seq = $2";
  const std::string leaves_of = std::string(kAgentLeafColumns) +
                                "WHERE e.agent_id = $1 AND e.seq >= $2 AND e.seq <= $3 AND "
                                "l.leaf_index < $4 ORDER BY e.seq LIMIT $5";
  const std::string leaves = std::string(kLeafColumns) +
                             "WHERE leaf_index >= $1 AND leaf_index < $2 "
                             "ORDER BY leaf_index LIMIT $3";
  // The page is chosen from the queue alone, then joined: joined first,
  // PostgreSQL walked every record from the oldest, integrated or not,
  // looking each up in the queue (1.6 s a batch at 600,000 leaves).
  // The queue's oldest, then their records by id, the envelope only for
  // those accepted before their signature digest was kept. As one join,
  // PostgreSQL's generic plan read every record ever accepted at each step.
  const std::string queue_page = "SELECT evidence_id FROM log_queue ORDER BY evidence_id LIMIT $1";
  const std::string queued =
      "SELECT id, agent_id, seq, record_digest, signature_digest, "
      "CASE WHEN signature_digest IS NULL THEN envelope END, received_at_us "
      "FROM evidence WHERE id IN " +
      ids_in_param + " ORDER BY id";
  const std::vector<std::string> insert_leaves = MultiRowInserts(
      "INSERT INTO log_leaves (leaf_index, evidence_id, agent_id, seq, record_digest, "
      "signature_digest, received_at_us) VALUES",
      7, rows_per_insert);
  const std::vector<std::string> insert_nodes =
      MultiRowInserts("INSERT INTO log_nodes (node, hash) VALUES", 2, rows_per_insert);
  const std::string dequeue = "DELETE FROM log_queue WHERE evidence_id IN " + ids_in_param;
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

Result<std::optional<uint64_t>> MerkleLog::NewestCheckpointSize() {
  std::lock_guard<std::mutex> lock(mu_);
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows, connection_.db->Query(sql_->newest_size));
  if (rows.empty() || rows.IsNull(0, 0)) return std::optional<uint64_t>();
  return std::optional<uint64_t>(static_cast<uint64_t>(rows.Int(0, 0)));
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

namespace {

// A JSON array of the numbers in `ids`, as strings: what the dialects'
// json_strings read.
std::string JsonIds(const std::set<int64_t>& ids) {
  std::string list = "[";
  for (int64_t id : ids) list += (list.size() == 1 ? "\"" : ",\"") + std::to_string(id) + "\"";
  return list + "]";
}

// The hash of the subtree at (`level`, `index`) from the leaf hashes under it.
Result<std::string> FromLeaves(const std::map<uint64_t, std::string>& leaves, int level,
                               uint64_t index) {
  if (level == 0) {
    auto it = leaves.find(index);
    if (it == leaves.end()) {
      return Status::Corruption("the log has no leaf " + std::to_string(index) +
                                " though its tree holds it");
    }
    return it->second;
  }
  SHOKO_ASSIGN_OR_RETURN(std::string left, FromLeaves(leaves, level - 1, index * 2));
  SHOKO_ASSIGN_OR_RETURN(std::string right, FromLeaves(leaves, level - 1, index * 2 + 1));
  return merkle::NodeHash(left, right);
}

}  // namespace

Result<MerkleLog::Subtrees> MerkleLog::ReadSubtrees(const std::set<int64_t>& node_ids,
                                                    const std::set<int64_t>& leaf_indexes) {
  Subtrees read;
  if (node_ids.empty() && leaf_indexes.empty()) return read;
  SHOKO_ASSIGN_OR_RETURN(
      SqlRows rows, connection_.db->Query(sql_->subtrees, {SqlParam::Text(JsonIds(leaf_indexes)),
                                                           SqlParam::Text(JsonIds(node_ids))}));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows.Int(i, 0) < 0) {
      read.nodes.emplace(-1 - rows.Int(i, 0), rows.TakeBytes(i, 3));
      continue;
    }
    const LogLeaf leaf{static_cast<uint64_t>(rows.Int(i, 0)),
                       {rows.TakeBytes(i, 1), static_cast<uint64_t>(rows.Int(i, 2)),
                        rows.TakeBytes(i, 3), rows.TakeBytes(i, 4), rows.Int(i, 5)}};
    SHOKO_ASSIGN_OR_RETURN(std::string input, evidence::LeafInput(leaf.fields));
    read.leaves.emplace(leaf.index, merkle::LeafHash(input));
  }
  return read;
}

// Proofs and roots choose their nodes by position alone, never by what the
// nodes hold: a first run with placeholder hashes learns which subtrees
// `compute` reads, the stored ones and the leaves of the others are read
// (in one query), a second run computes.
template <typename T>
Result<T> MerkleLog::OverNodes(const std::function<Result<T>(const merkle::NodeReader&)>& compute) {
  std::set<int64_t> node_ids, leaf_indexes;
  const merkle::NodeReader probe = [&](int level, uint64_t index) -> Result<std::string> {
    if (level >= kStoredLevel) {
      node_ids.insert(NodeId(level, index));
    } else {
      for (uint64_t leaf = index << level; leaf < (index + 1) << level; ++leaf) {
        leaf_indexes.insert(static_cast<int64_t>(leaf));
      }
    }
    return std::string(32, '\0');
  };
  SHOKO_RETURN_IF_ERROR(compute(probe).status());
  SHOKO_ASSIGN_OR_RETURN(const Subtrees read, ReadSubtrees(node_ids, leaf_indexes));
  const merkle::NodeReader stored = [&](int level, uint64_t index) -> Result<std::string> {
    if (level < kStoredLevel) return FromLeaves(read.leaves, level, index);
    auto it = read.nodes.find(NodeId(level, index));
    if (it == read.nodes.end()) {
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
  SHOKO_ASSIGN_OR_RETURN(SqlRows page, connection_.db->Query(sql_->queue_page, {Size(limit)}));
  std::set<int64_t> ids;
  for (size_t i = 0; i < page.size(); ++i) ids.insert(page.Int(i, 0));
  if (ids.empty()) return std::vector<QueuedRecord>();
  SHOKO_ASSIGN_OR_RETURN(SqlRows rows,
                         connection_.db->Query(sql_->queued, {SqlParam::Text(JsonIds(ids))}));
  std::vector<QueuedRecord> out;
  out.reserve(rows.size());
  v1::Envelope envelope;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string signature_digest = rows.TakeBytes(i, 4);
    if (rows.IsNull(i, 4)) {
      if (!envelope.ParseFromString(rows.Bytes(i, 5))) {
        return Status::Corruption("stored envelope of agent " + rows.Bytes(i, 1) + " seq " +
                                  std::to_string(rows.Int(i, 2)) + " does not parse");
      }
      signature_digest = evidence::SignatureDigest(envelope);
    }
    out.push_back({rows.Int(i, 0),
                   {rows.TakeBytes(i, 1), static_cast<uint64_t>(rows.Int(i, 2)),
                    rows.TakeBytes(i, 3), std::move(signature_digest), rows.Int(i, 6)}});
  }
  return out;
}

Result<bool> MerkleLog::Append(uint64_t from_size, const std::vector<QueuedRecord>& records,
                               const std::vector<merkle::CompactRange::Node>& nodes) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqlDb* db = connection_.db.get();
  SqlTransaction tx(db, sql_->begin, connection_.writer.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  // Locked until commit: another sequencer waits, then finds the tree moved.
  SHOKO_ASSIGN_OR_RETURN(SqlRows state, db->Query(sql_->lock_state));
  if (state.empty() || static_cast<uint64_t>(state.Int(0, 0)) != from_size) return false;
  std::vector<SqlParam> leaves, node_rows;
  leaves.reserve(records.size() * 7);
  uint64_t index = from_size;
  for (const QueuedRecord& r : records) {
    const evidence::LogLeafFields& f = r.fields;
    leaves.push_back(Size(index++));
    leaves.push_back(Int(r.evidence_id));
    leaves.push_back(SqlParam::Text(f.agent_id));
    leaves.push_back(Size(f.seq));
    leaves.push_back(SqlParam::Bytes(f.record_digest));
    leaves.push_back(SqlParam::Bytes(f.signature_digest));
    leaves.push_back(Int(f.received_at_us));
  }
  node_rows.reserve(nodes.size() * 2);
  for (const merkle::CompactRange::Node& n : nodes) {
    if (n.level < kStoredLevel) continue;  // computed from the leaves
    node_rows.push_back(Int(NodeId(n.level, n.index)));
    node_rows.push_back(SqlParam::Bytes(n.hash));
  }
  std::vector<SqlStatement> writes;
  AddInserts(sql_->insert_leaves, 7, std::move(leaves), &writes);
  AddInserts(sql_->insert_nodes, 2, std::move(node_rows), &writes);
  std::set<int64_t> integrated;
  for (const QueuedRecord& r : records) integrated.insert(r.evidence_id);
  writes.push_back({sql_->dequeue, {SqlParam::Text(JsonIds(integrated))}});
  writes.push_back({sql_->grow, {Size(index)}});
  SHOKO_RETURN_IF_ERROR(tx.CommitAfter(std::move(writes)));
  return true;
}

Status MerkleLog::AddCheckpoint(const StoredCheckpoint& cp) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqlDb* db = connection_.db.get();
  SqlTransaction tx(db, sql_->begin, connection_.writer.get());
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
