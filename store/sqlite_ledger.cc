#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "evidence/rotation.h"
#include "platform/sqlite_db.h"
#include "store/ledger.h"

namespace shoko::store {
namespace {

// Schema migrations, oldest first (see SqliteDb::Migrate).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE agents (
  agent_id         TEXT PRIMARY KEY,
  public_key       BLOB NOT NULL,
  registered_at_us INTEGER NOT NULL,
  head_seq         INTEGER NOT NULL DEFAULT 0,
  head_digest      BLOB NOT NULL
);
CREATE TABLE evidence (
  id              INTEGER PRIMARY KEY,
  agent_id        TEXT NOT NULL REFERENCES agents (agent_id),
  seq             INTEGER NOT NULL,
  record_digest   BLOB NOT NULL,
  envelope        BLOB NOT NULL,
  check_id        TEXT NOT NULL,
  verdict         INTEGER NOT NULL,
  collected_at_us INTEGER NOT NULL,
  received_at_us  INTEGER NOT NULL,
  UNIQUE (agent_id, seq)
);
CREATE TABLE evidence_controls (
  control_ref TEXT NOT NULL,
  evidence_id INTEGER NOT NULL REFERENCES evidence (id),
  PRIMARY KEY (control_ref, evidence_id)
) WITHOUT ROWID;
-- Normal operation never changes or removes evidence (design §6).
CREATE TRIGGER evidence_append_only_update BEFORE UPDATE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_append_only_delete BEFORE DELETE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
)sql";

// v2: agents may rotate keys (design §3), and holes in a chain are kept.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE agent_keys (
  agent_id   TEXT NOT NULL REFERENCES agents (agent_id),
  key_id     TEXT NOT NULL,
  public_key BLOB NOT NULL,
  from_seq   INTEGER NOT NULL,
  until_seq  INTEGER,
  PRIMARY KEY (agent_id, key_id)
);
INSERT INTO agent_keys (agent_id, key_id, public_key, from_seq)
  SELECT agent_id, agent_id, public_key, 1 FROM agents;
ALTER TABLE evidence ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
DROP TRIGGER evidence_append_only_update;
UPDATE evidence SET key_id = agent_id;
CREATE TRIGGER evidence_append_only_update BEFORE UPDATE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TABLE chain_gaps (
  agent_id       TEXT NOT NULL REFERENCES agents (agent_id),
  first_seq      INTEGER NOT NULL,
  last_seq       INTEGER NOT NULL,
  detected_at_us INTEGER NOT NULL,
  PRIMARY KEY (agent_id, first_seq)
);
)sql";

// v3: agents can be revoked or retired; enrollment tokens (kept as hashes).
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE agents ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE agents ADD COLUMN state_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN state_changed_at_us INTEGER NOT NULL DEFAULT 0;
CREATE TABLE enrollment_tokens (
  token_sha256  BLOB PRIMARY KEY,
  created_at_us INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL,
  note          TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  used_at_us    INTEGER,
  used_by       TEXT
);
)sql";

// v4: incidents (forks) are kept with the refused envelope.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE incidents (
  id             INTEGER PRIMARY KEY,
  agent_id       TEXT NOT NULL,
  seq            INTEGER NOT NULL,
  kind           TEXT NOT NULL,
  envelope       BLOB NOT NULL,
  detail         TEXT NOT NULL,
  detected_at_us INTEGER NOT NULL
);
)sql";

class SqliteLedger final : public Ledger {
 public:
  explicit SqliteLedger(std::unique_ptr<platform::SqliteDb> db) : db_(std::move(db)) {}

  Status Migrate() { return db_->Migrate("ledger", {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4}); }

  Result<std::optional<AgentEntry>> FindAgent(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return FindAgentLocked(agent_id);
  }

  Status RegisterAgent(const std::string& agent_id, const std::string& public_key,
                       int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    platform::SqliteTransaction tx(db_.get());
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    SHOKO_RETURN_IF_ERROR(RegisterLocked(agent_id, public_key, now_us));
    return tx.Commit();
  }

  Status SetAgentState(const std::string& agent_id, const std::string& state,
                       const std::string& reason, int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "UPDATE agents SET state = ?, state_reason = ?, state_changed_at_us = ? WHERE agent_id = "
        "?");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, state).BindText(2, reason).Bind(3, now_us).BindText(4, agent_id);
    SHOKO_RETURN_IF_ERROR(stmt->Run());
    auto changed = db_->Prepare("SELECT changes()");
    if (!changed.ok()) return changed.status();
    auto row = changed->Step();
    if (!row.ok()) return row.status();
    if (changed->Int64(0) == 0)
      return Status::NotFound("agent " + agent_id + " is not known to this store");
    return Status::OK();
  }

  Status AddEnrollmentToken(const std::string& token_sha256, int64_t expires_at_us,
                            const std::string& note, const std::string& created_by,
                            int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "INSERT INTO enrollment_tokens (token_sha256, created_at_us, expires_at_us, note, "
        "created_by) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindBlob(1, token_sha256)
        .Bind(2, now_us)
        .Bind(3, expires_at_us)
        .BindText(4, note)
        .BindText(5, created_by);
    return stmt->Run();
  }

  Status Enroll(const std::string& token_sha256, const std::string& agent_id,
                const std::string& public_key, int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    platform::SqliteTransaction tx(db_.get());
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    auto token = db_->Prepare(
        "SELECT expires_at_us, used_at_us FROM enrollment_tokens WHERE token_sha256 = ?");
    if (!token.ok()) return token.status();
    token->BindBlob(1, token_sha256);
    auto row = token->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::PermissionDenied("unknown enrollment token");
    if (!token->IsNull(1)) return Status::PermissionDenied("enrollment token already used");
    if (token->Int64(0) < now_us) return Status::PermissionDenied("enrollment token expired");
    auto agent = FindAgentLocked(agent_id);
    if (!agent.ok()) return agent.status();
    if (*agent) {
      const AgentKey* first = (*agent)->Key(agent_id);
      if (first == nullptr || first->public_key != public_key) {
        return Status::PermissionDenied("agent " + agent_id + " is registered with another key");
      }
      if ((*agent)->state != "active") {
        return Status::PermissionDenied("agent " + agent_id + " is " + (*agent)->state);
      }
    } else {
      SHOKO_RETURN_IF_ERROR(RegisterLocked(agent_id, public_key, now_us));
    }
    auto use = db_->Prepare(
        "UPDATE enrollment_tokens SET used_at_us = ?, used_by = ? WHERE token_sha256 = ?");
    if (!use.ok()) return use.status();
    use->Bind(1, now_us).BindText(2, agent_id).BindBlob(3, token_sha256);
    SHOKO_RETURN_IF_ERROR(use->Run());
    return tx.Commit();
  }

  Status Append(const LedgerRecord& record, const v1::Evidence& ev,
                const std::optional<evidence::PublicKey>& next_key) override {
    std::vector<LedgerAppend> one;
    one.push_back({record, ev, next_key});
    auto results = AppendBatch(one);
    if (!results.ok()) return results.status();
    return results->front();
  }

  Result<std::vector<Status>> AppendBatch(const std::vector<LedgerAppend>& appends) override {
    std::lock_guard<std::mutex> lock(mu_);
    platform::SqliteTransaction tx(db_.get());
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    std::vector<Status> results;
    results.reserve(appends.size());
    std::map<std::string, AgentEntry> agents;  // read once per batch, kept current
    for (const LedgerAppend& a : appends) {
      // A savepoint per record: one that does not fit is undone alone.
      SHOKO_RETURN_IF_ERROR(db_->Exec("SAVEPOINT one_record"));
      Status s = AppendLocked(a.record, a.evidence, a.next_key, &agents);
      if (!s.ok()) SHOKO_RETURN_IF_ERROR(db_->Exec("ROLLBACK TO one_record"));
      SHOKO_RETURN_IF_ERROR(db_->Exec("RELEASE one_record"));
      results.push_back(std::move(s));
    }
    SHOKO_RETURN_IF_ERROR(tx.Commit());
    return results;
  }

 private:
  // `agents`: the batch's view of the agents it touches; updated only when an
  // append succeeds, so a record undone by its savepoint leaves it as it was.
  Status AppendLocked(const LedgerRecord& record, const v1::Evidence& ev,
                      const std::optional<evidence::PublicKey>& next_key,
                      std::map<std::string, AgentEntry>* agents) {
    auto entry = agents->find(record.agent_id);
    if (entry == agents->end()) {
      auto found = FindAgentLocked(record.agent_id);
      if (!found.ok()) return found.status();
      if (!*found) return Status::NotFound("agent " + record.agent_id + " is not registered");
      entry = agents->emplace(record.agent_id, std::move(**found)).first;
    }
    AgentEntry* agent_entry = &entry->second;
    // Checked where no other stream can move the key window or the head.
    auto link = agent_entry->CheckAppend(ev);
    if (!link.ok()) return link.status();
    if (*link == evidence::Link::kGap) {
      auto gap = db_->PrepareCached(
          "INSERT INTO chain_gaps (agent_id, first_seq, last_seq, detected_at_us) VALUES (?, ?, ?, "
          "?)");
      if (!gap.ok()) return gap.status();
      (*gap)
          ->BindText(1, record.agent_id)
          .Bind(2, static_cast<int64_t>(agent_entry->head.seq + 1))
          .Bind(3, static_cast<int64_t>(ev.seq() - 1))
          .Bind(4, record.received_at_us);
      SHOKO_RETURN_IF_ERROR((*gap)->Run());
    }
    if (next_key) {
      auto retire = db_->PrepareCached(
          "UPDATE agent_keys SET until_seq = ? WHERE agent_id = ? AND key_id = ?");
      if (!retire.ok()) return retire.status();
      (*retire)
          ->Bind(1, static_cast<int64_t>(ev.seq()))
          .BindText(2, record.agent_id)
          .BindText(3, ev.key_id());
      SHOKO_RETURN_IF_ERROR((*retire)->Run());
      SHOKO_RETURN_IF_ERROR(InsertKey(record.agent_id, *next_key, ev.seq() + 1));
    }
    auto insert = db_->PrepareCached(
        "INSERT INTO evidence (agent_id, seq, record_digest, envelope, check_id, verdict, "
        "collected_at_us, received_at_us, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.status();
    const int64_t collected_us = evidence::CollectedAtMicros(ev);
    (*insert)
        ->BindText(1, record.agent_id)
        .Bind(2, static_cast<int64_t>(record.seq))
        .BindBlob(3, record.record_digest)
        .BindBlob(4, record.envelope)
        .BindText(5, ev.check_id())
        .Bind(6, ev.verdict())
        .Bind(7, collected_us)
        .Bind(8, record.received_at_us)
        .BindText(9, ev.key_id());
    SHOKO_RETURN_IF_ERROR((*insert)->Run());
    auto id = db_->PrepareCached("SELECT last_insert_rowid()");
    if (!id.ok()) return id.status();
    auto row = (*id)->Step();
    if (!row.ok()) return row.status();
    const int64_t evidence_id = (*id)->Int64(0);
    auto ref = db_->PrepareCached(
        "INSERT OR IGNORE INTO evidence_controls (control_ref, evidence_id) VALUES (?, ?)");
    if (!ref.ok()) return ref.status();
    for (const std::string& control : ev.controls()) {
      (*ref)->Reset();
      (*ref)->BindText(1, control).Bind(2, evidence_id);
      SHOKO_RETURN_IF_ERROR((*ref)->Run());
    }
    auto head =
        db_->PrepareCached("UPDATE agents SET head_seq = ?, head_digest = ? WHERE agent_id = ?");
    if (!head.ok()) return head.status();
    (*head)
        ->Bind(1, static_cast<int64_t>(record.seq))
        .BindBlob(2, record.record_digest)
        .BindText(3, record.agent_id);
    SHOKO_RETURN_IF_ERROR((*head)->Run());
    agent_entry->head = {record.seq, record.record_digest};
    if (next_key) {
      for (AgentKey& k : agent_entry->keys) {
        if (k.key_id == ev.key_id()) k.until_seq = ev.seq();
      }
      agent_entry->keys.push_back({next_key->KeyId(), next_key->raw(), ev.seq() + 1, UINT64_MAX});
    }
    return Status::OK();
  }

 public:
  Result<std::optional<std::string>> DigestAt(const std::string& agent_id, uint64_t seq) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare("SELECT record_digest FROM evidence WHERE agent_id = ? AND seq = ?");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, agent_id).Bind(2, static_cast<int64_t>(seq));
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(stmt->Blob(0));
  }

  Status List(const EvidenceFilter& filter,
              const std::function<bool(const LedgerRecord&)>& each) override {
    // Pages are read under the lock and handed out after it is released, so a
    // slow reader never holds up ingest.
    constexpr int64_t kPage = 256;
    int64_t after_id = 0;
    uint64_t left = filter.limit == 0 ? UINT64_MAX : filter.limit;
    for (;;) {
      const int64_t want = static_cast<int64_t>(std::min<uint64_t>(left, kPage));
      std::vector<LedgerRecord> page;
      {
        std::lock_guard<std::mutex> lock(mu_);
        // GLOB, not LIKE: refs are case-sensitive and their grammar has none of
        // GLOB's wildcards (* ? [). Without a control the subqueries are left
        // out of the statement: SQLite would build them for every page.
        const std::string by_control =
            filter.control_ref.empty()
                ? ""
                : "AND (e.check_id IN (SELECT value FROM json_each(?5)) "
                  "  OR (e.check_id NOT IN (SELECT value FROM json_each(?6)) "
                  "    AND e.id IN (SELECT evidence_id FROM evidence_controls "
                  "      WHERE control_ref = ?1 OR control_ref GLOB ?1 || '.*' "
                  "        OR control_ref GLOB ?1 || '(*'))) ";
        auto stmt = db_->Prepare(
            "SELECT e.id, e.agent_id, e.seq, e.record_digest, e.envelope, e.received_at_us, "
            "k.public_key FROM evidence e "
            "JOIN agent_keys k ON k.agent_id = e.agent_id AND k.key_id = e.key_id "
            "WHERE e.id > ?4 " +
            by_control +
            "AND (?2 = '' OR e.agent_id GLOB ?2 || '*') "
            "ORDER BY e.id LIMIT ?3");
        if (!stmt.ok()) return stmt.status();
        stmt->BindText(2, filter.agent_id).Bind(3, want).Bind(4, after_id);
        if (!filter.control_ref.empty()) {
          stmt->BindText(1, filter.control_ref)
              .BindText(5, filter.checks_under)
              .BindText(6, filter.mapped_checks);
        }
        for (;;) {
          auto row = stmt->Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          after_id = stmt->Int64(0);
          LedgerRecord r;
          r.agent_id = stmt->Text(1);
          r.seq = static_cast<uint64_t>(stmt->Int64(2));
          r.record_digest = stmt->Blob(3);
          r.envelope = stmt->Blob(4);
          r.received_at_us = stmt->Int64(5);
          r.public_key = stmt->Blob(6);
          page.push_back(std::move(r));
        }
      }
      for (const LedgerRecord& r : page) {
        if (!each(r)) return Status::OK();
      }
      left -= page.size();
      if (static_cast<int64_t>(page.size()) < want || left == 0) return Status::OK();
    }
  }

  Result<std::vector<std::string>> RotationEnvelopes(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT envelope FROM evidence WHERE agent_id = ? AND check_id = ? ORDER BY seq");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, agent_id).BindText(2, evidence::kKeyRotationCheckId);
    std::vector<std::string> out;
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(stmt->Blob(0));
    }
  }

  Status RecordIncident(const std::string& agent_id, uint64_t seq, const std::string& kind,
                        const std::string& envelope, const std::string& detail,
                        int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "INSERT INTO incidents (agent_id, seq, kind, envelope, detail, detected_at_us) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, agent_id)
        .Bind(2, static_cast<int64_t>(seq))
        .BindText(3, kind)
        .BindBlob(4, envelope)
        .BindText(5, detail)
        .Bind(6, now_us);
    return stmt->Run();
  }

  Result<std::vector<std::string>> Incidents(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT kind, seq, detail FROM incidents WHERE ?1 = '' OR agent_id = ?1 ORDER BY id");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, agent_id);
    std::vector<std::string> out;
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(stmt->Text(0) + " seq " + std::to_string(stmt->Int64(1)) + ": " +
                    stmt->Text(2));
    }
  }

  Result<std::vector<ChainGap>> Gaps(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT agent_id, first_seq, last_seq, detected_at_us FROM chain_gaps "
        "WHERE ?1 = '' OR agent_id = ?1 ORDER BY detected_at_us, agent_id, first_seq");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, agent_id);
    std::vector<ChainGap> gaps;
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return gaps;
      gaps.push_back({stmt->Text(0), static_cast<uint64_t>(stmt->Int64(1)),
                      static_cast<uint64_t>(stmt->Int64(2)), stmt->Int64(3)});
    }
  }

 private:
  Status RegisterLocked(const std::string& agent_id, const std::string& public_key,
                        int64_t now_us) {
    auto key = evidence::PublicKey::FromRaw(public_key);
    if (!key.ok()) return key.status();
    auto stmt = db_->Prepare(
        "INSERT INTO agents (agent_id, public_key, registered_at_us, head_seq, head_digest) "
        "VALUES (?, ?, ?, 0, ?)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, agent_id)
        .BindBlob(2, public_key)
        .Bind(3, now_us)
        .BindBlob(4, evidence::ChainHead().digest);
    SHOKO_RETURN_IF_ERROR(stmt->Run());
    return InsertKey(agent_id, *key, 1);
  }

  Status InsertKey(const std::string& agent_id, const evidence::PublicKey& key, uint64_t from_seq) {
    auto stmt = db_->Prepare(
        "INSERT INTO agent_keys (agent_id, key_id, public_key, from_seq) VALUES (?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, agent_id)
        .BindText(2, key.KeyId())
        .BindBlob(3, key.raw())
        .Bind(4, static_cast<int64_t>(from_seq));
    return stmt->Run();
  }

  Result<std::optional<AgentEntry>> FindAgentLocked(const std::string& agent_id) {
    auto stmt = db_->PrepareCached(
        "SELECT head_seq, head_digest, state, state_reason FROM agents WHERE agent_id = ?");
    if (!stmt.ok()) return stmt.status();
    (*stmt)->BindText(1, agent_id);
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<AgentEntry>();
    AgentEntry a;
    a.agent_id = agent_id;
    a.head.seq = static_cast<uint64_t>((*stmt)->Int64(0));
    a.head.digest = (*stmt)->Blob(1);
    a.state = (*stmt)->Text(2);
    a.state_reason = (*stmt)->Text(3);
    auto keys = db_->PrepareCached(
        "SELECT key_id, public_key, from_seq, until_seq FROM agent_keys WHERE agent_id = ? "
        "ORDER BY from_seq");
    if (!keys.ok()) return keys.status();
    (*keys)->BindText(1, agent_id);
    for (;;) {
      auto key_row = (*keys)->Step();
      if (!key_row.ok()) return key_row.status();
      if (!*key_row) break;
      AgentKey k;
      k.key_id = (*keys)->Text(0);
      k.public_key = (*keys)->Blob(1);
      k.from_seq = static_cast<uint64_t>((*keys)->Int64(2));
      if (!(*keys)->IsNull(3)) k.until_seq = static_cast<uint64_t>((*keys)->Int64(3));
      a.keys.push_back(std::move(k));
    }
    return std::optional<AgentEntry>(std::move(a));
  }

  std::mutex mu_;
  std::unique_ptr<platform::SqliteDb> db_;
};

}  // namespace

Result<std::unique_ptr<Ledger>> OpenSqliteLedger(const std::string& path) {
  auto db = platform::SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  auto ledger = std::make_unique<SqliteLedger>(std::move(db).value());
  SHOKO_RETURN_IF_ERROR(ledger->Migrate());
  return std::unique_ptr<Ledger>(std::move(ledger));
}

}  // namespace shoko::store
