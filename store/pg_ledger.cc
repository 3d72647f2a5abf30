// The PostgreSQL ledger, for fleets (design §1): the same rules as the SQLite
// one, through libpq. One connection, serialized by a mutex; an agent's row is
// locked (SELECT … FOR UPDATE) while its records are appended, so several
// store processes may share one database.
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "evidence/rotation.h"
#include "store/ledger.h"

namespace shoko::store {
namespace {

// One query parameter: text, or binary (bytea).
struct Param {
  std::string value;
  bool binary = false;
};
Param Text(std::string v) { return {std::move(v), false}; }
Param Int(int64_t v) { return {std::to_string(v), false}; }
Param Bytes(std::string v) { return {std::move(v), true}; }

// A query's result, every column in binary form.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { PQclear(r_); }
  int rows() const { return PQntuples(r_); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) == 1; }
  std::string Bytes(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  // BIGINT (8 bytes) or INTEGER (4 bytes), network order.
  int64_t Int(int row, int col) const {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col));
    const int n = PQgetlength(r_, row, col);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | p[i];
    if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    return static_cast<int64_t>(v);
  }

 private:
  PGresult* r_;
};

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE agents (
  agent_id            TEXT PRIMARY KEY,
  public_key          BYTEA NOT NULL,
  registered_at_us    BIGINT NOT NULL,
  head_seq            BIGINT NOT NULL DEFAULT 0,
  head_digest         BYTEA NOT NULL,
  state               TEXT NOT NULL DEFAULT 'active',
  state_reason        TEXT NOT NULL DEFAULT '',
  state_changed_at_us BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE agent_keys (
  agent_id   TEXT NOT NULL REFERENCES agents (agent_id),
  key_id     TEXT NOT NULL,
  public_key BYTEA NOT NULL,
  from_seq   BIGINT NOT NULL,
  until_seq  BIGINT,
  PRIMARY KEY (agent_id, key_id)
);
CREATE TABLE evidence (
  id              BIGSERIAL PRIMARY KEY,
  agent_id        TEXT NOT NULL REFERENCES agents (agent_id),
  seq             BIGINT NOT NULL,
  record_digest   BYTEA NOT NULL,
  envelope        BYTEA NOT NULL,
  check_id        TEXT NOT NULL,
  verdict         INTEGER NOT NULL,
  collected_at_us BIGINT NOT NULL,
  received_at_us  BIGINT NOT NULL,
  key_id          TEXT NOT NULL,
  UNIQUE (agent_id, seq)
);
CREATE TABLE evidence_controls (
  control_ref TEXT NOT NULL,
  evidence_id BIGINT NOT NULL REFERENCES evidence (id),
  PRIMARY KEY (control_ref, evidence_id)
);
CREATE TABLE chain_gaps (
  agent_id       TEXT NOT NULL REFERENCES agents (agent_id),
  first_seq      BIGINT NOT NULL,
  last_seq       BIGINT NOT NULL,
  detected_at_us BIGINT NOT NULL,
  PRIMARY KEY (agent_id, first_seq)
);
CREATE TABLE incidents (
  id             BIGSERIAL PRIMARY KEY,
  agent_id       TEXT NOT NULL,
  seq            BIGINT NOT NULL,
  kind           TEXT NOT NULL,
  envelope       BYTEA NOT NULL,
  detail         TEXT NOT NULL,
  detected_at_us BIGINT NOT NULL
);
CREATE TABLE enrollment_tokens (
  token_sha256  BYTEA PRIMARY KEY,
  created_at_us BIGINT NOT NULL,
  expires_at_us BIGINT NOT NULL,
  note          TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  used_at_us    BIGINT,
  used_by       TEXT
);
-- Normal operation never changes or removes evidence (design §6).
CREATE FUNCTION shoko_evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'evidence is append-only'; END $$;
CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION shoko_evidence_append_only();
)sql";

class PgLedger final : public Ledger {
 public:
  PgLedger(PGconn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  ~PgLedger() override { PQfinish(conn_); }

  Status Migrate() {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_RETURN_IF_ERROR(Exec("BEGIN"));
    // Two stores starting at once must not both migrate.
    SHOKO_RETURN_IF_ERROR(Exec("SELECT pg_advisory_xact_lock(7394823)"));
    SHOKO_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS shoko_schema (version INTEGER NOT NULL)"));
    auto v = Query("SELECT COALESCE(MAX(version), 0) FROM shoko_schema", {});
    if (!v.ok()) return Rollback(v.status());
    const int64_t version = v->Int(0, 0);
    const std::vector<std::string_view> migrations = {kSchemaV1};
    if (version > static_cast<int64_t>(migrations.size())) {
      return Rollback(Status::NotSupported(where_ + ": ledger schema version " +
                                           std::to_string(version) +
                                           " is newer than this program's"));
    }
    for (size_t i = static_cast<size_t>(version); i < migrations.size(); ++i) {
      Status s = Exec(std::string(migrations[i]));
      if (s.ok())
        s = Exec("INSERT INTO shoko_schema (version) VALUES (" + std::to_string(i + 1) + ")");
      if (!s.ok()) return Rollback(s);
    }
    return Exec("COMMIT");
  }

  Result<std::optional<AgentEntry>> FindAgent(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return FindAgentLocked(agent_id, false);
  }

  Status RegisterAgent(const std::string& agent_id, const std::string& public_key,
                       int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_RETURN_IF_ERROR(Exec("BEGIN"));
    Status s = RegisterLocked(agent_id, public_key, now_us);
    if (!s.ok()) return Rollback(s);
    return Exec("COMMIT");
  }

  Status Append(const LedgerRecord& record, const v1::Evidence& ev,
                const std::optional<evidence::PublicKey>& next_key) override {
    auto results = AppendBatch({{record, ev, next_key}});
    if (!results.ok()) return results.status();
    return results->front();
  }

  Result<std::vector<Status>> AppendBatch(const std::vector<LedgerAppend>& appends) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_RETURN_IF_ERROR(Exec("BEGIN"));
    std::vector<Status> results;
    std::map<std::string, AgentEntry> agents;
    for (const LedgerAppend& a : appends) {
      Status s = Exec("SAVEPOINT one_record");
      if (!s.ok()) return Rollback(s);
      Status one = AppendLocked(a.record, a.evidence, a.next_key, &agents);
      s = Exec(one.ok() ? "RELEASE one_record" : "ROLLBACK TO one_record");
      if (!s.ok()) return Rollback(s);
      results.push_back(std::move(one));
    }
    SHOKO_RETURN_IF_ERROR(Exec("COMMIT"));
    return results;
  }

  Result<std::vector<std::string>> RotationEnvelopes(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto r =
        Query("SELECT envelope FROM evidence WHERE agent_id = $1 AND check_id = $2 ORDER BY seq",
              {Text(agent_id), Text(std::string(evidence::kKeyRotationCheckId))});
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back(r->Bytes(i, 0));
    return out;
  }

  Status SetAgentState(const std::string& agent_id, const std::string& state,
                       const std::string& reason, int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = Query(
        "UPDATE agents SET state = $1, state_reason = $2, state_changed_at_us = $3 "
        "WHERE agent_id = $4 RETURNING agent_id",
        {Text(state), Text(reason), Int(now_us), Text(agent_id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0)
      return Status::NotFound("agent " + agent_id + " is not known to this store");
    return Status::OK();
  }

  Status AddEnrollmentToken(const std::string& token_sha256, int64_t expires_at_us,
                            const std::string& note, const std::string& created_by,
                            int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = Query(
        "INSERT INTO enrollment_tokens (token_sha256, created_at_us, expires_at_us, note, "
        "created_by) "
        "VALUES ($1, $2, $3, $4, $5)",
        {Bytes(token_sha256), Int(now_us), Int(expires_at_us), Text(note), Text(created_by)});
    return r.ok() ? Status::OK() : r.status();
  }

  Status Enroll(const std::string& token_sha256, const std::string& agent_id,
                const std::string& public_key, int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_RETURN_IF_ERROR(Exec("BEGIN"));
    auto token = Query(
        "SELECT expires_at_us, used_at_us FROM enrollment_tokens WHERE token_sha256 = $1 FOR "
        "UPDATE",
        {Bytes(token_sha256)});
    if (!token.ok()) return Rollback(token.status());
    if (token->rows() == 0) return Rollback(Status::PermissionDenied("unknown enrollment token"));
    if (!token->IsNull(0, 1))
      return Rollback(Status::PermissionDenied("enrollment token already used"));
    if (token->Int(0, 0) < now_us)
      return Rollback(Status::PermissionDenied("enrollment token expired"));
    auto agent = FindAgentLocked(agent_id, true);
    if (!agent.ok()) return Rollback(agent.status());
    if (*agent) {
      const AgentKey* first = (*agent)->Key(agent_id);
      if (first == nullptr || first->public_key != public_key) {
        return Rollback(
            Status::PermissionDenied("agent " + agent_id + " is registered with another key"));
      }
      if ((*agent)->state != "active") {
        return Rollback(Status::PermissionDenied("agent " + agent_id + " is " + (*agent)->state));
      }
    } else if (Status s = RegisterLocked(agent_id, public_key, now_us); !s.ok()) {
      return Rollback(s);
    }
    auto use =
        Query("UPDATE enrollment_tokens SET used_at_us = $1, used_by = $2 WHERE token_sha256 = $3",
              {Int(now_us), Text(agent_id), Bytes(token_sha256)});
    if (!use.ok()) return Rollback(use.status());
    return Exec("COMMIT");
  }

  Status RecordIncident(const std::string& agent_id, uint64_t seq, const std::string& kind,
                        const std::string& envelope, const std::string& detail,
                        int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = Query(
        "INSERT INTO incidents (agent_id, seq, kind, envelope, detail, detected_at_us) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {Text(agent_id), Int(static_cast<int64_t>(seq)), Text(kind), Bytes(envelope), Text(detail),
         Int(now_us)});
    return r.ok() ? Status::OK() : r.status();
  }

  Result<std::vector<std::string>> Incidents(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto r =
        Query("SELECT kind, seq, detail FROM incidents WHERE $1 = '' OR agent_id = $1 ORDER BY id",
              {Text(agent_id)});
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (int i = 0; i < r->rows(); ++i) {
      out.push_back(r->Bytes(i, 0) + " seq " + std::to_string(r->Int(i, 1)) + ": " +
                    r->Bytes(i, 2));
    }
    return out;
  }

  Result<std::vector<ChainGap>> Gaps(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = Query(
        "SELECT agent_id, first_seq, last_seq, detected_at_us FROM chain_gaps "
        "WHERE $1 = '' OR agent_id = $1 ORDER BY detected_at_us, agent_id, first_seq",
        {Text(agent_id)});
    if (!r.ok()) return r.status();
    std::vector<ChainGap> gaps;
    for (int i = 0; i < r->rows(); ++i) {
      gaps.push_back({r->Bytes(i, 0), static_cast<uint64_t>(r->Int(i, 1)),
                      static_cast<uint64_t>(r->Int(i, 2)), r->Int(i, 3)});
    }
    return gaps;
  }

  Result<std::optional<std::string>> DigestAt(const std::string& agent_id, uint64_t seq) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = Query("SELECT record_digest FROM evidence WHERE agent_id = $1 AND seq = $2",
                   {Text(agent_id), Int(static_cast<int64_t>(seq))});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->Bytes(0, 0));
  }

  Status List(const EvidenceFilter& filter,
              const std::function<bool(const LedgerRecord&)>& each) override {
    constexpr int64_t kPage = 256;
    int64_t after_id = 0;
    uint64_t left = filter.limit == 0 ? UINT64_MAX : filter.limit;
    for (;;) {
      const int64_t want = static_cast<int64_t>(std::min<uint64_t>(left, kPage));
      std::vector<LedgerRecord> page;
      int64_t last_id = after_id;
      {
        std::lock_guard<std::mutex> lock(mu_);
        // Refs contain none of LIKE's wildcards (% _), by their grammar.
        auto r = Query(
            "SELECT e.id, e.agent_id, e.seq, e.record_digest, e.envelope, e.received_at_us, "
            "k.public_key FROM evidence e "
            "JOIN agent_keys k ON k.agent_id = e.agent_id AND k.key_id = e.key_id "
            "WHERE e.id > $4 AND ($1 = '' OR e.id IN (SELECT evidence_id FROM evidence_controls "
            "  WHERE control_ref = $1 OR control_ref LIKE $1 || '.%' OR control_ref LIKE $1 || "
            "'(%')) "
            "AND ($2 = '' OR e.agent_id LIKE $2 || '%') ORDER BY e.id LIMIT $3",
            {Text(filter.control_ref), Text(filter.agent_id), Int(want), Int(after_id)});
        if (!r.ok()) return r.status();
        for (int i = 0; i < r->rows(); ++i) {
          last_id = r->Int(i, 0);
          page.push_back({r->Bytes(i, 1), static_cast<uint64_t>(r->Int(i, 2)), r->Bytes(i, 3),
                          r->Bytes(i, 4), r->Int(i, 5), r->Bytes(i, 6)});
        }
      }
      after_id = last_id;
      for (const LedgerRecord& rec : page) {
        if (!each(rec)) return Status::OK();
      }
      left -= page.size();
      if (static_cast<int64_t>(page.size()) < want || left == 0) return Status::OK();
    }
  }

 private:
  Status Error(const std::string& what, PGresult* r) const {
    std::string msg =
        where_ + ": " + what + ": " + (r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (PQstatus(conn_) != CONNECTION_OK) return Status::Unavailable(msg);
    if (state && std::strncmp(state, "23", 2) == 0)
      return Status::InvalidArgument(msg);  // integrity
    return Status::IOError(msg);
  }

  Status Exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    Status s = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? Status::OK()
                                                               : Error(sql.substr(0, 40), r);
    PQclear(r);
    return s;
  }

  Result<PgResult> Query(const std::string& sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const Param& p : params) {
      values.push_back(p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
    PGresult* raw = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), lengths.data(), formats.data(), /*binary=*/1);
    ExecStatusType st = PQresultStatus(raw);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      Status s = Error("query", raw);
      PQclear(raw);
      return s;
    }
    return PgResult(raw);
  }

  // Rolls the open transaction back and returns `why`.
  Status Rollback(Status why) {
    PQclear(PQexec(conn_, "ROLLBACK"));
    return why;
  }

  Status RegisterLocked(const std::string& agent_id, const std::string& public_key,
                        int64_t now_us) {
    auto key = evidence::PublicKey::FromRaw(public_key);
    if (!key.ok()) return key.status();
    auto r = Query(
        "INSERT INTO agents (agent_id, public_key, registered_at_us, head_seq, head_digest) "
        "VALUES ($1, $2, $3, 0, $4)",
        {Text(agent_id), Bytes(public_key), Int(now_us), Bytes(evidence::ChainHead().digest)});
    if (!r.ok()) return r.status();
    return InsertKey(agent_id, *key, 1);
  }

  Status InsertKey(const std::string& agent_id, const evidence::PublicKey& key, uint64_t from_seq) {
    auto r = Query(
        "INSERT INTO agent_keys (agent_id, key_id, public_key, from_seq) VALUES ($1, $2, $3, $4)",
        {Text(agent_id), Text(key.KeyId()), Bytes(key.raw()), Int(static_cast<int64_t>(from_seq))});
    return r.ok() ? Status::OK() : r.status();
  }

  Result<std::optional<AgentEntry>> FindAgentLocked(const std::string& agent_id, bool for_update) {
    auto r = Query(std::string("SELECT head_seq, head_digest, state, state_reason FROM agents "
                               "WHERE agent_id = $1") +
                       (for_update ? " FOR UPDATE" : ""),
                   {Text(agent_id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::optional<AgentEntry>();
    AgentEntry a;
    a.agent_id = agent_id;
    a.head.seq = static_cast<uint64_t>(r->Int(0, 0));
    a.head.digest = r->Bytes(0, 1);
    a.state = r->Bytes(0, 2);
    a.state_reason = r->Bytes(0, 3);
    auto keys = Query(
        "SELECT key_id, public_key, from_seq, until_seq FROM agent_keys WHERE agent_id = $1 "
        "ORDER BY from_seq",
        {Text(agent_id)});
    if (!keys.ok()) return keys.status();
    for (int i = 0; i < keys->rows(); ++i) {
      AgentKey k;
      k.key_id = keys->Bytes(i, 0);
      k.public_key = keys->Bytes(i, 1);
      k.from_seq = static_cast<uint64_t>(keys->Int(i, 2));
      if (!keys->IsNull(i, 3)) k.until_seq = static_cast<uint64_t>(keys->Int(i, 3));
      a.keys.push_back(std::move(k));
    }
    return std::optional<AgentEntry>(std::move(a));
  }

  // As the SQLite ledger's: the chain and key-window checks, then the rows.
  Status AppendLocked(const LedgerRecord& record, const v1::Evidence& ev,
                      const std::optional<evidence::PublicKey>& next_key,
                      std::map<std::string, AgentEntry>* agents) {
    auto entry = agents->find(record.agent_id);
    if (entry == agents->end()) {
      // Locked until commit: another store process appends after this one.
      auto found = FindAgentLocked(record.agent_id, true);
      if (!found.ok()) return found.status();
      if (!*found) return Status::NotFound("agent " + record.agent_id + " is not registered");
      entry = agents->emplace(record.agent_id, std::move(**found)).first;
    }
    AgentEntry* agent = &entry->second;
    const AgentKey* signer = agent->Key(ev.key_id());
    if (signer == nullptr || ev.seq() < signer->from_seq || ev.seq() > signer->until_seq) {
      return Status::InvalidArgument("seq " + std::to_string(ev.seq()) +
                                     " is not in the window of key " + ev.key_id());
    }
    const evidence::Link link = evidence::Classify(agent->head, ev);
    if (link != evidence::Link::kNext && link != evidence::Link::kGap) {
      return Status::InvalidArgument("seq " + std::to_string(ev.seq()) +
                                     " does not continue the chain at seq " +
                                     std::to_string(agent->head.seq));
    }
    if (link == evidence::Link::kGap) {
      auto gap = Query(
          "INSERT INTO chain_gaps (agent_id, first_seq, last_seq, detected_at_us) "
          "VALUES ($1, $2, $3, $4)",
          {Text(record.agent_id), Int(static_cast<int64_t>(agent->head.seq + 1)),
           Int(static_cast<int64_t>(ev.seq() - 1)), Int(record.received_at_us)});
      if (!gap.ok()) return gap.status();
    }
    if (next_key) {
      auto retire =
          Query("UPDATE agent_keys SET until_seq = $1 WHERE agent_id = $2 AND key_id = $3",
                {Int(static_cast<int64_t>(ev.seq())), Text(record.agent_id), Text(ev.key_id())});
      if (!retire.ok()) return retire.status();
      SHOKO_RETURN_IF_ERROR(InsertKey(record.agent_id, *next_key, ev.seq() + 1));
    }
    const int64_t collected_us =
        ev.collected_at().seconds() * 1000000 + ev.collected_at().nanos() / 1000;
    auto inserted = Query(
        "INSERT INTO evidence (agent_id, seq, record_digest, envelope, check_id, verdict, "
        "collected_at_us, received_at_us, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "RETURNING id",
        {Text(record.agent_id), Int(static_cast<int64_t>(record.seq)), Bytes(record.record_digest),
         Bytes(record.envelope), Text(ev.check_id()), Int(ev.verdict()), Int(collected_us),
         Int(record.received_at_us), Text(ev.key_id())});
    if (!inserted.ok()) return inserted.status();
    const int64_t evidence_id = inserted->Int(0, 0);
    for (const std::string& control : ev.controls()) {
      auto ref = Query(
          "INSERT INTO evidence_controls (control_ref, evidence_id) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING",
          {Text(control), Int(evidence_id)});
      if (!ref.ok()) return ref.status();
    }
    auto head = Query("UPDATE agents SET head_seq = $1, head_digest = $2 WHERE agent_id = $3",
                      {Int(static_cast<int64_t>(record.seq)), Bytes(record.record_digest),
                       Text(record.agent_id)});
    if (!head.ok()) return head.status();
    agent->head = {record.seq, record.record_digest};
    if (next_key) {
      for (AgentKey& k : agent->keys) {
        if (k.key_id == ev.key_id()) k.until_seq = ev.seq();
      }
      agent->keys.push_back({next_key->KeyId(), next_key->raw(), ev.seq() + 1, UINT64_MAX});
    }
    return Status::OK();
  }

  std::mutex mu_;
  PGconn* conn_;
  const std::string where_;
};

}  // namespace

Result<std::unique_ptr<Ledger>> OpenPostgresLedger(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  // Name the database in messages without the password a URL may carry.
  std::string where = "postgresql database";
  if (conn != nullptr && PQstatus(conn) == CONNECTION_OK) {
    where = std::string("postgresql ") + PQdb(conn) + "@" + (PQhost(conn) ? PQhost(conn) : "");
  }
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn ? PQerrorMessage(conn) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn);
    return Status::Unavailable("cannot connect to " + where + ": " + msg);
  }
  auto ledger = std::make_unique<PgLedger>(conn, where);
  SHOKO_RETURN_IF_ERROR(ledger->Migrate());
  return std::unique_ptr<Ledger>(std::move(ledger));
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& db) {
  if (db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0) {
    return OpenPostgresLedger(db);
  }
  return OpenSqliteLedger(db);
}

}  // namespace shoko::store
