// The PostgreSQL ledger, for fleets (design §1): the same rules as the SQLite
// one, through libpq. One connection, serialized by a mutex and re-opened when
// the server drops it; an agent's row is locked (SELECT … FOR UPDATE) while its
// records are appended, so several store processes may share one database.
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

// A text[] literal: every element quoted, so no character in it is special.
std::string TextArray(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

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

  // Group commit in one round trip where it can: records are checked against
  // the agents' rows (locked, read once per batch), and the writes of those
  // that pass go out in one libpq pipeline with the COMMIT. Should the server
  // refuse any of them (it should not: the checks are the constraints), the
  // batch is redone one record at a time under savepoints.
  Result<std::vector<Status>> AppendBatch(const std::vector<LedgerAppend>& appends) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_RETURN_IF_ERROR(Exec("BEGIN"));
    std::vector<Status> results;
    std::vector<Write> writes;
    std::map<std::string, LockedAgent> agents;
    for (const LedgerAppend& a : appends) {
      Status one = PlanAppend(a.record, a.evidence, a.next_key, &agents, &writes);
      if (!one.ok() && one.code() != Status::Code::kInvalidArgument &&
          one.code() != Status::Code::kNotFound) {
        return Rollback(one);  // the database failed, not the record
      }
      results.push_back(std::move(one));
    }
    PlanHeads(agents, &writes);
    writes.push_back({"COMMIT", {}});
    Status sent = Pipeline(writes);
    if (sent.ok()) return results;
    PQclear(PQexec(conn_, "ROLLBACK"));
    if (PQstatus(conn_) != CONNECTION_OK) return sent;
    return AppendOneByOne(appends);
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
    constexpr int64_t kPage = 1024;
    int64_t after_id = 0;
    uint64_t left = filter.limit == 0 ? UINT64_MAX : filter.limit;
    for (;;) {
      const int64_t want = static_cast<int64_t>(std::min<uint64_t>(left, kPage));
      std::vector<LedgerRecord> page;
      int64_t last_id = after_id;
      {
        std::lock_guard<std::mutex> lock(mu_);
        // Refs contain none of LIKE's wildcards (% _), by their grammar.
        // The page is chosen from evidence alone, in id order, and only then
        // joined to its keys: with the join inside, PostgreSQL hashed and
        // sorted every record after the page's start, for each page.
        const std::string filters =
            filter.control_ref.empty()
                ? ""
                : "AND (check_id IN (SELECT jsonb_array_elements_text($5::jsonb)) "
                  "  OR (check_id NOT IN (SELECT jsonb_array_elements_text($6::jsonb)) "
                  "    AND id IN (SELECT evidence_id FROM evidence_controls "
                  "      WHERE control_ref = $4 OR control_ref LIKE $4 || '.%' "
                  "        OR control_ref LIKE $4 || '(%'))) ";
        const std::string sql =
            "SELECT e.id, e.agent_id, e.seq, e.record_digest, e.envelope, e.received_at_us, "
            "k.public_key FROM (SELECT * FROM evidence "
            "  WHERE id > $1 AND ($2 = '' OR agent_id LIKE $2 || '%') " +
            filters +
            "  ORDER BY id LIMIT $3) e "
            "JOIN agent_keys k ON k.agent_id = e.agent_id AND k.key_id = e.key_id ORDER BY e.id";
        auto r = filter.control_ref.empty()
                     ? Query(sql, {Int(after_id), Text(filter.agent_id), Int(want)})
                     : Query(sql, {Int(after_id), Text(filter.agent_id), Int(want),
                                   Text(filter.control_ref), Text(filter.checks_under),
                                   Text(filter.mapped_checks)});
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

  // A connection the server dropped (restart, failover, idle kill) is
  // re-opened by the next call; the call that met the drop has already failed
  // with Unavailable, and its caller (an agent's stream) retries.
  void ReconnectIfLost() {
    if (PQstatus(conn_) == CONNECTION_BAD) PQreset(conn_);
  }

  Status Exec(const std::string& sql) {
    ReconnectIfLost();
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    Status s = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? Status::OK()
                                                               : Error(sql.substr(0, 40), r);
    PQclear(r);
    return s;
  }

  Result<PgResult> Query(const std::string& sql, const std::vector<Param>& params) {
    ReconnectIfLost();
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

  // An agent's row as a transaction has locked and is changing it.
  struct LockedAgent {
    AgentEntry entry;
    bool moved = false;  // its head must be written back
  };

  // One statement of a planned transaction.
  struct Write {
    std::string sql;
    std::vector<Param> params;
  };

  // The slow path: each record under its own savepoint.
  Result<std::vector<Status>> AppendOneByOne(const std::vector<LedgerAppend>& appends) {
    SHOKO_RETURN_IF_ERROR(Exec("BEGIN"));
    std::vector<Status> results;
    std::map<std::string, LockedAgent> agents;
    for (const LedgerAppend& a : appends) {
      if (Status s = Exec("SAVEPOINT one_record"); !s.ok()) return Rollback(s);
      std::vector<Write> writes;
      std::map<std::string, LockedAgent> before = agents;
      Status one = PlanAppend(a.record, a.evidence, a.next_key, &agents, &writes);
      for (size_t i = 0; one.ok() && i < writes.size(); ++i) {
        auto r = Query(writes[i].sql, writes[i].params);
        if (!r.ok()) one = r.status();
      }
      if (!one.ok()) agents = std::move(before);
      if (Status s = Exec(one.ok() ? "RELEASE one_record" : "ROLLBACK TO one_record"); !s.ok())
        return Rollback(s);
      results.push_back(std::move(one));
    }
    std::vector<Write> heads;
    PlanHeads(agents, &heads);
    for (const Write& w : heads) {
      auto r = Query(w.sql, w.params);
      if (!r.ok()) return Rollback(r.status());
    }
    SHOKO_RETURN_IF_ERROR(Exec("COMMIT"));
    return results;
  }

  // Sends `writes` in one pipeline and reads every result: OK only if each
  // statement succeeded.
  Status Pipeline(const std::vector<Write>& writes) {
    if (PQenterPipelineMode(conn_) != 1) return Error("pipeline", nullptr);
    Status status;
    size_t sent = 0;
    for (const Write& w : writes) {
      std::vector<const char*> values;
      std::vector<int> lengths, formats;
      for (const Param& p : w.params) {
        values.push_back(p.value.data());
        lengths.push_back(static_cast<int>(p.value.size()));
        formats.push_back(p.binary ? 1 : 0);
      }
      if (PQsendQueryParams(conn_, w.sql.c_str(), static_cast<int>(w.params.size()), nullptr,
                            values.data(), lengths.data(), formats.data(), 1) != 1) {
        status = Error("pipeline send", nullptr);
        break;
      }
      ++sent;
    }
    if (PQpipelineSync(conn_) != 1 && status.ok()) status = Error("pipeline sync", nullptr);
    // Each statement's results end with a null; the sync's with its own
    // PGRES_PIPELINE_SYNC result.
    for (size_t i = 0; i < sent; ++i) {
      while (PGresult* r = PQgetResult(conn_)) {
        const ExecStatusType st = PQresultStatus(r);
        if (status.ok() && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
          status = Error(writes[i].sql.substr(0, 40), r);
        PQclear(r);
      }
      if (PQstatus(conn_) != CONNECTION_OK) break;
    }
    while (PQstatus(conn_) == CONNECTION_OK) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) continue;
      const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) break;
    }
    if (PQexitPipelineMode(conn_) != 1 && status.ok()) status = Error("pipeline end", nullptr);
    if (PQstatus(conn_) != CONNECTION_OK && status.ok()) status = Error("pipeline", nullptr);
    return status;
  }

  // As the SQLite ledger's: the chain and key-window checks against the
  // agent's row (read and locked on first use in the transaction), then the
  // rows to write, and the agent as it will be after them.
  Status PlanAppend(const LedgerRecord& record, const v1::Evidence& ev,
                    const std::optional<evidence::PublicKey>& next_key,
                    std::map<std::string, LockedAgent>* agents, std::vector<Write>* writes) {
    auto entry = agents->find(record.agent_id);
    if (entry == agents->end()) {
      // Locked until commit: another store process appends after this one.
      auto found = FindAgentLocked(record.agent_id, true);
      if (!found.ok()) return found.status();
      if (!*found) return Status::NotFound("agent " + record.agent_id + " is not registered");
      entry = agents->emplace(record.agent_id, LockedAgent{std::move(**found), false}).first;
    }
    AgentEntry* agent = &entry->second.entry;
    auto link = agent->CheckAppend(ev);
    if (!link.ok()) return link.status();
    if (*link == evidence::Link::kGap) {
      writes->push_back(
          {"INSERT INTO chain_gaps (agent_id, first_seq, last_seq, detected_at_us) "
           "VALUES ($1, $2, $3, $4)",
           {Text(record.agent_id), Int(static_cast<int64_t>(agent->head.seq + 1)),
            Int(static_cast<int64_t>(ev.seq() - 1)), Int(record.received_at_us)}});
    }
    if (next_key) {
      writes->push_back(
          {"UPDATE agent_keys SET until_seq = $1 WHERE agent_id = $2 AND key_id = $3",
           {Int(static_cast<int64_t>(ev.seq())), Text(record.agent_id), Text(ev.key_id())}});
      writes->push_back(
          {"INSERT INTO agent_keys (agent_id, key_id, public_key, from_seq) "
           "VALUES ($1, $2, $3, $4)",
           {Text(record.agent_id), Text(next_key->KeyId()), Bytes(next_key->raw()),
            Int(static_cast<int64_t>(ev.seq() + 1))}});
    }
    const int64_t collected_us = evidence::CollectedAtMicros(ev);
    // The record and its control refs in one statement.
    writes->push_back(
        {"WITH e AS (INSERT INTO evidence (agent_id, seq, record_digest, envelope, check_id, "
         "verdict, collected_at_us, received_at_us, key_id) "
         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id) "
         "INSERT INTO evidence_controls (control_ref, evidence_id) "
         "SELECT DISTINCT c, e.id FROM e, unnest($10::text[]) AS c",
         {Text(record.agent_id), Int(static_cast<int64_t>(record.seq)), Bytes(record.record_digest),
          Bytes(record.envelope), Text(ev.check_id()), Int(ev.verdict()), Int(collected_us),
          Int(record.received_at_us), Text(ev.key_id()), Text(TextArray(ev.controls()))}});
    agent->head = {record.seq, record.record_digest};
    entry->second.moved = true;
    if (next_key) {
      for (AgentKey& k : agent->keys) {
        if (k.key_id == ev.key_id()) k.until_seq = ev.seq();
      }
      agent->keys.push_back({next_key->KeyId(), next_key->raw(), ev.seq() + 1, UINT64_MAX});
    }
    return Status::OK();
  }

  // One head update per agent whose chain moved in the batch.
  static void PlanHeads(const std::map<std::string, LockedAgent>& agents,
                        std::vector<Write>* writes) {
    for (const auto& [id, agent] : agents) {
      if (!agent.moved) continue;
      const evidence::ChainHead& head = agent.entry.head;
      writes->push_back({"UPDATE agents SET head_seq = $1, head_digest = $2 WHERE agent_id = $3",
                         {Int(static_cast<int64_t>(head.seq)), Bytes(head.digest), Text(id)}});
    }
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
  if (conn != nullptr && PQdb(conn) != nullptr) {
    const char* host = PQhost(conn);
    const char* port = PQport(conn);
    where = std::string("postgresql ") + PQdb(conn) + "@" + (host ? host : "") +
            (port && *port ? std::string(":") + port : "");
  }
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn ? PQerrorMessage(conn) : "out of memory";
    // libpq's messages span lines; a log line should not.
    std::string flat;
    for (char c : msg) {
      if (c == '\n') {
        flat += "; ";
      } else if (c != '\t') {
        flat += c;
      }
    }
    while (!flat.empty() && (flat.back() == ' ' || flat.back() == ';')) flat.pop_back();
    PQfinish(conn);
    return Status::Unavailable("cannot connect to " + where + ": " + flat);
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
