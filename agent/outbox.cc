#include "agent/outbox.h"

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

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::Open(const std::string& path) {
  auto db = platform::SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<Outbox> outbox(new Outbox(std::move(db).value()));
  SHOKO_RETURN_IF_ERROR(outbox->db_->Migrate("outbox", {kSchemaV1}));
  SHOKO_RETURN_IF_ERROR(outbox->LoadHead());
  return outbox;
}

Status Outbox::LoadHead() {
  auto stmt = db_->Prepare("SELECT seq, digest FROM chain_head WHERE id = 1");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    head_.seq = static_cast<uint64_t>(stmt->Int64(0));
    head_.digest = stmt->Blob(1);
    if (head_.digest.size() != evidence::kDigestBytes) {
      return Status::Corruption(db_->path() + ": chain head digest is not 32 bytes");
    }
  }
  return Status::OK();
}

evidence::ChainHead Outbox::Head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_;
}

Status Outbox::Append(const std::vector<OutboxRecord>& records) {
  if (records.empty()) return Status::OK();
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t expect = head_.seq + 1;
  for (const OutboxRecord& r : records) {
    if (r.seq != expect++) {
      return Status::Internal("outbox append out of order: got seq " + std::to_string(r.seq) +
                              ", expected " + std::to_string(expect - 1));
    }
  }
  platform::SqliteTransaction tx(db_.get());
  SHOKO_RETURN_IF_ERROR(tx.Begin());
  // The file's head, not just ours: nothing else may have moved it.
  evidence::ChainHead before = head_;
  SHOKO_RETURN_IF_ERROR(LoadHead());
  if (head_.seq != before.seq || head_.digest != before.digest) {
    return Status::Internal(db_->path() + ": chain head moved from seq " +
                            std::to_string(before.seq) + " to " + std::to_string(head_.seq) +
                            " under this process: is another agent using the same state_dir?");
  }
  auto insert = db_->Prepare("INSERT INTO outbox (seq, digest, envelope) VALUES (?, ?, ?)");
  if (!insert.ok()) return insert.status();
  for (const OutboxRecord& r : records) {
    insert->Reset();
    insert->Bind(1, static_cast<int64_t>(r.seq)).BindBlob(2, r.digest).BindBlob(3, r.envelope);
    SHOKO_RETURN_IF_ERROR(insert->Run());
  }
  auto head = db_->Prepare(
      "INSERT INTO chain_head (id, seq, digest) VALUES (1, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, digest = excluded.digest");
  if (!head.ok()) return head.status();
  head->Bind(1, static_cast<int64_t>(records.back().seq)).BindBlob(2, records.back().digest);
  SHOKO_RETURN_IF_ERROR(head->Run());
  SHOKO_RETURN_IF_ERROR(tx.Commit());
  head_.seq = records.back().seq;
  head_.digest = records.back().digest;
  return Status::OK();
}

Result<std::vector<OutboxRecord>> Outbox::ReadAfter(uint64_t after, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT seq, digest, envelope FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(after)).Bind(2, static_cast<int64_t>(limit));
  std::vector<OutboxRecord> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({static_cast<uint64_t>(stmt->Int64(0)), stmt->Blob(1), stmt->Blob(2)});
  }
  return out;
}

Status Outbox::DeleteThrough(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("DELETE FROM outbox WHERE seq <= ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(seq));
  return stmt->Run();
}

Result<uint64_t> Outbox::Depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT COUNT(*) FROM outbox");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return static_cast<uint64_t>(stmt->Int64(0));
}

}  // namespace shoko::agent
