#include "agent/outbox.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "agent/state_dir.h"

namespace shoko::agent {
namespace {

// Schema migrations, oldest first (see SqliteDb::Migrate).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE chain_head (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  seq    INTEGER NOT NULL,
  digest BLOB NOT NULL
);
CREATE TABLE outbox (
  seq      INTEGER PRIMARY KEY,
  digest   BLOB NOT NULL,
  envelope BLOB NOT NULL
);
)sql";

constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE chain_head ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN observation INTEGER NOT NULL DEFAULT 1;
UPDATE outbox SET size = length(envelope);
CREATE TABLE check_state (
  check_id       TEXT PRIMARY KEY,
  verdict        INTEGER NOT NULL,
  facts_digest   BLOB NOT NULL,
  recorded_at_us INTEGER NOT NULL,
  record_digest  BLOB NOT NULL
);
CREATE TABLE pending_gap (
  check_id TEXT PRIMARY KEY,
  count    INTEGER NOT NULL,
  first_us INTEGER NOT NULL,
  last_us  INTEGER NOT NULL
);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// A record the store acknowledged but whose inclusion in its log is not yet
// verified keeps the time of the ack (NULL: not acknowledged).
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE outbox ADD COLUMN acked_at_us INTEGER;
)sql";

// Opens the database and proves it sound: SQLite's quick_check, then the
// schema migrations. Corruption anywhere is reported as such.
Result<std::unique_ptr<platform::SqliteDb>> OpenChecked(const std::string& path) {
  auto db = platform::SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  auto check = (*db)->Prepare("PRAGMA quick_check");
  if (!check.ok()) return check.status();
  auto row = check->Step();
  if (!row.ok()) return row.status();
  if (!*row || check->Text(0) != "ok") {
    return Status::Corruption(
        path + ": integrity check failed: " + (*row ? check->Text(0) : std::string("no answer")));
  }
  SHOKO_RETURN_IF_ERROR((*db)->Migrate("outbox", {kSchemaV1, kSchemaV2, kSchemaV3}));
  return db;
}

// Renames a corrupt database (and its WAL and shared-memory files) aside.
Result<std::string> MoveAside(const std::string& path) {
  time_t now = ::time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string target = path + ".corrupt-" + stamp;
  if (::access(target.c_str(), F_OK) == 0) target += "-" + std::to_string(::getpid());
  if (::rename(path.c_str(), target.c_str()) != 0) {
    return Status::FromErrno("move " + path + " aside to " + target, errno);
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string from = path + suffix;
    if (::access(from.c_str(), F_OK) == 0) ::rename(from.c_str(), (target + suffix).c_str());
  }
  return target;
}

}  // namespace

// What chain.head says, and whether it could be read.
struct Outbox::SavedHead {
  std::optional<ChainStateFile> file;  // none when missing or unreadable
  Status load;                         // OK, or why the file is unreadable
};

namespace {

// chain.head, which must belong to `agent_id`; a damaged one is not fatal yet
// (an intact outbox is the truth), so its Corruption is kept, not returned.
Result<Outbox::SavedHead> ReadSavedHead(const std::string& path, const std::string& agent_id) {
  Outbox::SavedHead saved;
  auto loaded = LoadChainState(path);
  if (loaded.ok()) {
    saved.file = *loaded;
  } else if (loaded.status().code() != Status::Code::kCorruption) {
    return loaded.status();
  } else {
    saved.load = loaded.status();
  }
  if (saved.file && saved.file->agent_id != agent_id) {
    return Status::InvalidArgument(path + ": the chain of agent " + saved.file->agent_id +
                                   ", not of this agent (" + agent_id + ")");
  }
  return saved;
}

// The database at `db_path`; a corrupt one is moved aside (when chain.head
// says where the chain stands) and a new one made, which `recovery` notes.
Result<std::unique_ptr<platform::SqliteDb>> OpenOrReplace(const std::string& db_path,
                                                          const std::string& state_path,
                                                          const Outbox::SavedHead& saved,
                                                          std::optional<OutboxRecovery>* recovery) {
  auto db = OpenChecked(db_path);
  if (db.ok() || db.status().code() != Status::Code::kCorruption) return db;
  if (!saved.file) {
    return Status::Corruption(db.status().message() + "; and " + state_path +
                              (saved.load.ok() ? " is missing" : " is unreadable") +
                              ", so the chain head is unknown. Restore either file; starting "
                              "a new chain would fork the old one");
  }
  SHOKO_ASSIGN_OR_RETURN(std::string moved, MoveAside(db_path));
  *recovery = OutboxRecovery{"the outbox was corrupt (" + db.status().message() + ")", moved,
                             saved.file->position.head, saved.file->acked_seq};
  return OpenChecked(db_path);
}

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::Open(const std::string& state_dir,
                                             const std::string& agent_id, OutboxLimits limits) {
  const StateDir dir(state_dir);
  const std::string db_path = dir.outbox_file();
  const std::string state_path = dir.chain_head_file();
  SHOKO_ASSIGN_OR_RETURN(const SavedHead saved, ReadSavedHead(state_path, agent_id));
  const bool existed = ::access(db_path.c_str(), F_OK) == 0;
  std::optional<OutboxRecovery> recovery;
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<platform::SqliteDb> db,
                         OpenOrReplace(db_path, state_path, saved, &recovery));
  std::unique_ptr<Outbox> outbox(new Outbox(std::move(db), state_path, agent_id, limits));
  SHOKO_RETURN_IF_ERROR(outbox->SettlePosition(saved, existed, &recovery));
  if (saved.file) outbox->acked_seq_ = saved.file->acked_seq;
  // A recovery noted by an earlier run that ended before reporting it.
  if (!recovery) {
    SHOKO_ASSIGN_OR_RETURN(recovery, outbox->NotedRecovery());
  }
  outbox->recovery_ = std::move(recovery);
  SHOKO_RETURN_IF_ERROR(outbox->LoadCounters());
  return outbox;
}

Status Outbox::SettlePosition(const SavedHead& saved, bool existed,
                              std::optional<OutboxRecovery>* recovery) {
  SHOKO_ASSIGN_OR_RETURN(const std::optional<ChainPosition> position, ReadPosition());
  if (position) {
    position_ = *position;
  } else if (saved.file && saved.file->position.head.seq == 0) {
    // An identity made before the first record (`identity`, `enroll`): the
    // chain is known to be empty, so nothing can have been lost.
    position_ = saved.file->position;
  } else if (saved.file) {
    position_ = saved.file->position;
    if (!*recovery) {
      *recovery =
          OutboxRecovery{existed ? "the outbox had no chain head" : "the outbox was missing", "",
                         saved.file->position.head, saved.file->acked_seq};
    }
    SHOKO_RETURN_IF_ERROR(AdoptHead(**recovery));
  } else if (!saved.load.ok()) {
    return saved.load;  // a corrupt chain.head and an empty outbox: unknown head
  } else {
    is_new_ = true;
  }
  // An outbox from before chain.head existed, or a damaged chain.head: the
  // intact outbox is the truth, so write it down.
  if (!is_new_ && !saved.file) {
    SHOKO_RETURN_IF_ERROR(SaveChainState(state_path_, {agent_id_, position_}));
  }
  return Status::OK();
}

Status Outbox::AdoptHead(const OutboxRecovery& recovery) {
  // From here on the new outbox holds the head, and the recovery until a
  // LIFECYCLE record has reported it.
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  auto note = db_->Prepare("INSERT INTO meta (key, value) VALUES ('pending_recovery', ?)");
  if (!note.ok()) return note.status();
  note->BindText(1, nlohmann::json{{"reason", recovery.reason},
                                   {"moved_to", recovery.moved_to},
                                   {"head_seq", recovery.head.seq},
                                   {"acked_seq", recovery.acked_seq}}
                        .dump());
  SHOKO_RETURN_IF_ERROR(note->Run());
  auto head = db_->Prepare("INSERT INTO chain_head (id, seq, digest, key_id) VALUES (1, ?, ?, ?)");
  if (!head.ok()) return head.status();
  head->Bind(1, static_cast<int64_t>(position_.head.seq))
      .BindBlob(2, position_.head.digest)
      .BindText(3, position_.key_id);
  SHOKO_RETURN_IF_ERROR(head->Run());
  return tx.Commit();
}

Result<std::optional<OutboxRecovery>> Outbox::NotedRecovery() const {
  SHOKO_ASSIGN_OR_RETURN(const std::string noted, Meta("pending_recovery"));
  if (noted.empty()) return std::optional<OutboxRecovery>();
  nlohmann::json j = nlohmann::json::parse(noted, nullptr, false);
  if (!j.is_object()) return std::optional<OutboxRecovery>();
  return std::optional<OutboxRecovery>(OutboxRecovery{j.value("reason", ""),
                                                      j.value("moved_to", ""),
                                                      {j.value("head_seq", uint64_t{0}), ""},
                                                      j.value("acked_seq", uint64_t{0})});
}

Result<std::optional<ChainPosition>> Outbox::ReadPosition() const {
  auto stmt = db_->Prepare("SELECT seq, digest, key_id FROM chain_head WHERE id = 1");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ChainPosition>();
  ChainPosition p;
  p.head.seq = static_cast<uint64_t>(stmt->Int64(0));
  p.head.digest = stmt->Blob(1);
  p.key_id = stmt->Text(2);
  if (p.head.digest.size() != evidence::kDigestBytes) {
    return Status::Corruption(db_->path() + ": chain head digest is not 32 bytes");
  }
  return std::optional<ChainPosition>(std::move(p));
}

Status Outbox::LoadCounters() {
  auto stmt =
      db_->Prepare("SELECT COUNT(*), COALESCE(SUM(size), 0), COUNT(acked_at_us) FROM outbox");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  rows_ = static_cast<uint64_t>(stmt->Int64(0));
  bytes_ = static_cast<uint64_t>(stmt->Int64(1));
  acked_rows_ = static_cast<uint64_t>(stmt->Int64(2));
  return Status::OK();
}

ChainPosition Outbox::Position() const {
  std::lock_guard<std::mutex> lock(mu_);
  return position_;
}

bool Outbox::HasRoom(size_t records, uint64_t bytes) const {
  std::lock_guard<std::mutex> lock(mu_);
  return rows_ + records <= limits_.max_records && bytes_ + bytes <= limits_.max_bytes;
}

Status Outbox::Append(const OutboxBatch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t expect = position_.head.seq + 1;
  for (const OutboxRecord& r : batch.records) {
    if (r.seq != expect) {
      return Status::Internal("outbox append out of order: got seq " + std::to_string(r.seq) +
                              ", expected " + std::to_string(expect));
    }
    ++expect;
  }
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  // The file's head, not just ours: nothing else may have moved it.
  auto on_disk = ReadPosition();
  if (!on_disk.ok()) return on_disk.status();
  if (*on_disk && ((*on_disk)->head.seq != position_.head.seq ||
                   (*on_disk)->head.digest != position_.head.digest)) {
    return Status::Internal(db_->path() + ": chain head moved from seq " +
                            std::to_string(position_.head.seq) + " to " +
                            std::to_string((*on_disk)->head.seq) +
                            " under this process: is another agent using the same state_dir?");
  }
  // chain.head first: it may run ahead of the outbox, never behind it.
  SHOKO_RETURN_IF_ERROR(SaveChainState(state_path_, {agent_id_, batch.after, acked_seq_}));
  uint64_t added_bytes = 0;
  auto insert = db_->Prepare(
      "INSERT INTO outbox (seq, digest, envelope, size, observation) VALUES (?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.status();
  for (const OutboxRecord& r : batch.records) {
    insert->Reset();
    insert->Bind(1, static_cast<int64_t>(r.seq))
        .BindBlob(2, r.digest)
        .BindBlob(3, r.envelope)
        .Bind(4, static_cast<int64_t>(r.envelope.size()))
        .Bind(5, r.observation ? 1 : 0);
    SHOKO_RETURN_IF_ERROR(insert->Run());
    added_bytes += r.envelope.size();
  }
  auto head = db_->Prepare(
      "INSERT INTO chain_head (id, seq, digest, key_id) VALUES (1, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, digest = excluded.digest, "
      "key_id = excluded.key_id");
  if (!head.ok()) return head.status();
  head->Bind(1, static_cast<int64_t>(batch.after.head.seq))
      .BindBlob(2, batch.after.head.digest)
      .BindText(3, batch.after.key_id);
  SHOKO_RETURN_IF_ERROR(head->Run());
  if (!batch.checks.empty()) {
    auto state = db_->Prepare(
        "INSERT INTO check_state (check_id, verdict, facts_digest, recorded_at_us, record_digest) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (check_id) DO UPDATE SET verdict = excluded.verdict, "
        "facts_digest = excluded.facts_digest, recorded_at_us = excluded.recorded_at_us, "
        "record_digest = excluded.record_digest");
    if (!state.ok()) return state.status();
    for (const CheckState& c : batch.checks) {
      state->Reset();
      state->BindText(1, c.check_id)
          .Bind(2, c.verdict)
          .BindBlob(3, c.facts_digest)
          .Bind(4, c.recorded_at_us)
          .BindBlob(5, c.record_digest);
      SHOKO_RETURN_IF_ERROR(state->Run());
    }
  }
  if (batch.clear_pending_gap) SHOKO_RETURN_IF_ERROR(db_->Exec("DELETE FROM pending_gap"));
  if (batch.clear_recovery) {
    SHOKO_RETURN_IF_ERROR(db_->Exec("DELETE FROM meta WHERE key = 'pending_recovery'"));
  }
  SHOKO_RETURN_IF_ERROR(tx.Commit());
  position_ = batch.after;
  if (batch.clear_recovery) recovery_.reset();
  rows_ += batch.records.size();
  bytes_ += added_bytes;
  return Status::OK();
}

namespace {

// The rows a SELECT of (seq, digest, envelope, observation, acked_at_us) yields.
Result<std::vector<OutboxRecord>> ReadRecords(platform::SqliteStatement& stmt) {
  std::vector<OutboxRecord> out;
  for (;;) {
    auto row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({static_cast<uint64_t>(stmt.Int64(0)), stmt.Blob(1), stmt.Blob(2),
                   stmt.Int64(3) != 0, stmt.IsNull(4) ? 0 : stmt.Int64(4)});
  }
}

// Steps `stmt` (an UPDATE … RETURNING) to its end; how many rows it changed.
Result<uint64_t> CountRows(platform::SqliteStatement& stmt) {
  uint64_t count = 0;
  for (;;) {
    auto row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return count;
    ++count;
  }
}

}  // namespace

Result<std::vector<OutboxRecord>> Outbox::ReadAfter(uint64_t after, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT seq, digest, envelope, observation, acked_at_us FROM outbox WHERE seq > ? "
      "ORDER BY seq LIMIT ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(after)).Bind(2, static_cast<int64_t>(limit));
  return ReadRecords(*stmt);
}

Result<std::vector<OutboxRecord>> Outbox::AckedAfter(uint64_t after, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT seq, digest, envelope, observation, acked_at_us FROM outbox WHERE seq > ? AND "
      "acked_at_us IS NOT NULL ORDER BY seq LIMIT ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(after)).Bind(2, static_cast<int64_t>(limit));
  return ReadRecords(*stmt);
}

Result<std::vector<uint64_t>> Outbox::AckedSeqs() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT seq FROM outbox WHERE acked_at_us IS NOT NULL ORDER BY seq");
  if (!stmt.ok()) return stmt.status();
  std::vector<uint64_t> seqs;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return seqs;
    seqs.push_back(static_cast<uint64_t>(stmt->Int64(0)));
  }
}

Status Outbox::DeleteThrough(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  auto gone = db_->Prepare(
      "SELECT COUNT(*), COALESCE(SUM(size), 0), COUNT(acked_at_us) FROM outbox WHERE seq <= ?");
  if (!gone.ok()) return gone.status();
  gone->Bind(1, static_cast<int64_t>(seq));
  auto row = gone->Step();
  if (!row.ok()) return row.status();
  const uint64_t rows = static_cast<uint64_t>(gone->Int64(0));
  const uint64_t bytes = static_cast<uint64_t>(gone->Int64(1));
  const uint64_t acked = static_cast<uint64_t>(gone->Int64(2));
  auto stmt = db_->Prepare("DELETE FROM outbox WHERE seq <= ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(seq));
  SHOKO_RETURN_IF_ERROR(stmt->Run());
  SHOKO_RETURN_IF_ERROR(tx.Commit());
  rows_ -= std::min(rows_, rows);
  bytes_ -= std::min(bytes_, bytes);
  acked_rows_ -= std::min(acked_rows_, acked);
  return Status::OK();
}

Status Outbox::MarkAcked(uint64_t seq, int64_t now_us) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  auto marked = db_->Prepare(
      "UPDATE outbox SET acked_at_us = ? WHERE seq <= ? AND acked_at_us IS NULL RETURNING seq");
  if (!marked.ok()) return marked.status();
  marked->Bind(1, now_us).Bind(2, static_cast<int64_t>(seq));
  SHOKO_ASSIGN_OR_RETURN(const uint64_t count, CountRows(*marked));
  SHOKO_RETURN_IF_ERROR(tx.Commit());
  acked_rows_ += count;
  return Status::OK();
}

Result<uint64_t> Outbox::ForgetAcksAfter(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  auto cleared = db_->Prepare(
      "UPDATE outbox SET acked_at_us = NULL WHERE seq > ? AND acked_at_us IS NOT NULL "
      "RETURNING seq");
  if (!cleared.ok()) return cleared.status();
  cleared->Bind(1, static_cast<int64_t>(seq));
  SHOKO_ASSIGN_OR_RETURN(const uint64_t count, CountRows(*cleared));
  SHOKO_RETURN_IF_ERROR(tx.Commit());
  acked_rows_ -= std::min(acked_rows_, count);
  return count;
}

Status Outbox::Delete(const std::vector<uint64_t>& seqs) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  auto stmt =
      db_->Prepare("DELETE FROM outbox WHERE seq = ? RETURNING size, acked_at_us IS NOT NULL");
  if (!stmt.ok()) return stmt.status();
  uint64_t rows = 0, bytes = 0, acked = 0;
  for (uint64_t seq : seqs) {
    stmt->Reset();
    stmt->Bind(1, static_cast<int64_t>(seq));
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) continue;
    ++rows;
    bytes += static_cast<uint64_t>(stmt->Int64(0));
    acked += stmt->Int64(1) != 0;
    SHOKO_RETURN_IF_ERROR(stmt->Run());  // finishes the statement
  }
  SHOKO_RETURN_IF_ERROR(tx.Commit());
  rows_ -= std::min(rows_, rows);
  bytes_ -= std::min(bytes_, bytes);
  acked_rows_ -= std::min(acked_rows_, acked);
  return Status::OK();
}

Status Outbox::NoteAcked(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  if (seq <= acked_seq_) return Status::OK();
  acked_seq_ = seq;
  return SaveChainState(state_path_, {agent_id_, position_, acked_seq_});
}

uint64_t Outbox::Depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rows_;
}

uint64_t Outbox::Bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

uint64_t Outbox::AwaitingInclusion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_rows_;
}

Result<std::map<std::string, CheckState>> Outbox::CheckStates() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT check_id, verdict, facts_digest, recorded_at_us, record_digest FROM check_state");
  if (!stmt.ok()) return stmt.status();
  std::map<std::string, CheckState> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    CheckState c{stmt->Text(0), static_cast<int>(stmt->Int64(1)), stmt->Blob(2), stmt->Int64(3),
                 stmt->Blob(4)};
    out.emplace(c.check_id, c);
  }
}

Result<PendingGap> Outbox::LoadPendingGap() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT check_id, count, first_us, last_us FROM pending_gap");
  if (!stmt.ok()) return stmt.status();
  PendingGap gap;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return gap;
    gap.checks.insert(stmt->Text(0));
    gap.count += static_cast<uint64_t>(stmt->Int64(1));
    int64_t first = stmt->Int64(2), last = stmt->Int64(3);
    gap.first_us = gap.first_us == 0 ? first : std::min(gap.first_us, first);
    gap.last_us = std::max(gap.last_us, last);
  }
}

Status Outbox::AddToPendingGap(const std::vector<std::string>& check_ids, int64_t at_us) {
  std::lock_guard<std::mutex> lock(mu_);
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  auto stmt = db_->Prepare(
      "INSERT INTO pending_gap (check_id, count, first_us, last_us) VALUES (?, 1, ?, ?) "
      "ON CONFLICT (check_id) DO UPDATE SET count = count + 1, last_us = excluded.last_us");
  if (!stmt.ok()) return stmt.status();
  for (const std::string& id : check_ids) {
    stmt->Reset();
    stmt->BindText(1, id).Bind(2, at_us).Bind(3, at_us);
    SHOKO_RETURN_IF_ERROR(stmt->Run());
  }
  return tx.Commit();
}

Result<std::string> Outbox::Meta(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT value FROM meta WHERE key = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, key);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->Text(0) : std::string();
}

Status Outbox::SetMeta(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
      "excluded.value");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, key).BindText(2, value);
  return stmt->Run();
}

}  // namespace shoko::agent
