#include "store/sql_ledger.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "evidence/rotation.h"

namespace shoko::store {
namespace {

using platform::SqlParam;
using platform::SqlRows;
using platform::SqlStatement;

SqlParam Int(int64_t v) { return SqlParam::Int(v); }
SqlParam Seq(uint64_t v) { return SqlParam::Int(static_cast<int64_t>(v)); }
SqlParam Text(std::string v) { return SqlParam::Text(std::move(v)); }
SqlParam Bytes(std::string v) { return SqlParam::Bytes(std::move(v)); }

// Each record of a batch retried one by one stands alone under a savepoint.
constexpr std::string_view kSavepoint = "SAVEPOINT one_record";
constexpr std::string_view kRollbackToSavepoint = "ROLLBACK TO one_record";
constexpr std::string_view kReleaseSavepoint = "RELEASE one_record";

// The statements the ledger runs, each written once for both dialects, which
// fill in their own phrases.
struct LedgerSql {
  explicit LedgerSql(const SqlDialect& d);

  std::string begin;
  std::string find_agent, lock_agent, agent_keys, insert_agent, insert_key;
  std::string retire_key, move_head, insert_gap, insert_evidence, insert_controls;
  std::string set_state, add_token, lock_token, use_token;
  std::string insert_incident, incidents, gaps, digest_at, rotations;
  std::string list, list_by_control;
};

LedgerSql::LedgerSql(const SqlDialect& d) : begin(d.begin) {
  const std::string lock(d.lock_rows);
  auto json_strings = [&](std::string_view param) {
    return std::string(d.json_strings_open) + std::string(param) +
           std::string(d.json_strings_close);
  };
  // `column` starts with the value of `param`, then `tail`.
  auto starts_with = [&](std::string_view column, std::string_view param, std::string_view tail) {
    return std::string(column) + " " + std::string(d.matches) + " " + std::string(param) + " || '" +
           std::string(tail) + std::string(d.any) + "'";
  };
  find_agent = "SELECT head_seq, head_digest, state, state_reason FROM agents WHERE agent_id = $1";
  lock_agent = find_agent + lock;
  agent_keys =
      "SELECT key_id, public_key, from_seq, until_seq FROM agent_keys WHERE agent_id = $1 "
      "ORDER BY from_seq";
  insert_agent =
      "INSERT INTO agents (agent_id, public_key, registered_at_us, head_seq, head_digest) "
      "VALUES ($1, $2, $3, 0, $4)";
  insert_key =
      "INSERT INTO agent_keys (agent_id, key_id, public_key, from_seq) VALUES ($1, $2, $3, $4)";
  retire_key = "UPDATE agent_keys SET until_seq = $1 WHERE agent_id = $2 AND key_id = $3";
  move_head = "UPDATE agents SET head_seq = $1, head_digest = $2 WHERE agent_id = $3";
  insert_gap =
      "INSERT INTO chain_gaps (agent_id, first_seq, last_seq, detected_at_us) "
      "VALUES ($1, $2, $3, $4)";
  insert_evidence =
      "INSERT INTO evidence (agent_id, seq, record_digest, envelope, check_id, verdict, "
      "collected_at_us, received_at_us, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
  insert_controls =
      "INSERT INTO evidence_controls (control_ref, evidence_id) SELECT DISTINCT value, "
      "(SELECT id FROM evidence WHERE agent_id = $1 AND seq = $2) FROM " +
      json_strings("$3");
  set_state =
      "UPDATE agents SET state = $1, state_reason = $2, state_changed_at_us = $3 "
      "WHERE agent_id = $4 RETURNING agent_id";
  add_token =
      "INSERT INTO enrollment_tokens (token_sha256, created_at_us, expires_at_us, note, "
      "created_by) VALUES ($1, $2, $3, $4, $5)";
  lock_token =
      "SELECT expires_at_us, used_at_us FROM enrollment_tokens WHERE token_sha256 = $1" + lock;
  use_token = "UPDATE enrollment_tokens SET used_at_us = $1, used_by = $2 WHERE token_sha256 = $3";
  insert_incident =
      "INSERT INTO incidents (agent_id, seq, kind, detail, detected_at_us, envelope) "
      "VALUES ($1, $2, $3, $4, $5, $6)";
  incidents =
      "SELECT agent_id, seq, kind, detail, detected_at_us, envelope FROM incidents "
      "WHERE $1 = '' OR agent_id = $1 ORDER BY id";
  gaps =
      "SELECT agent_id, first_seq, last_seq, detected_at_us FROM chain_gaps "
      "WHERE $1 = '' OR agent_id = $1 ORDER BY detected_at_us, agent_id, first_seq";
  digest_at = "SELECT record_digest FROM evidence WHERE agent_id = $1 AND seq = $2";
  rotations = "SELECT envelope FROM evidence WHERE agent_id = $1 AND check_id = $2 ORDER BY seq";
  // A page of records with the key each was verified with: up to $3 records
  // after id $1 that meet `where`.
  auto page = [&](const std::string& where) {
    const std::string columns =
        "SELECT e.id, e.agent_id, e.seq, e.record_digest, e.envelope, e.received_at_us, "
        "k.public_key FROM ";
    const std::string keys =
        " JOIN agent_keys k ON k.agent_id = e.agent_id AND k.key_id = e.key_id";
    const std::string in_order = " WHERE e.id > $1 AND " + where + " ORDER BY e.id";
    if (!d.limit_before_join) return columns + "evidence e" + keys + in_order + " LIMIT $3";
    return columns + "(SELECT * FROM evidence e" + in_order + " LIMIT $3) e" + keys +
           " ORDER BY e.id";
  };
  const std::string of_agents = "($2 = '' OR " + starts_with("e.agent_id", "$2", "") + ")";
  list = page(of_agents);
  // $4 the control, $5 the checks the store's mapping puts under it, $6 every
  // check it maps; records of other checks match by the refs they carry.
  list_by_control =
      page(of_agents + " AND (e.check_id IN (SELECT value FROM " + json_strings("$5") +
           ") OR (e.check_id NOT IN (SELECT value FROM " + json_strings("$6") +
           ") AND e.id IN (SELECT evidence_id FROM evidence_controls "
           "WHERE control_ref = $4 OR " +
           starts_with("control_ref", "$4", ".") + " OR " + starts_with("control_ref", "$4", "(") +
           ")))");
}

// A JSON array of `items`.
std::string JsonStrings(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return nlohmann::json(std::vector<std::string>(items.begin(), items.end()))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// What an agent's witness incident record says went wrong: the failure and
// detail of its facts, as the agent writes them.
std::string WitnessDetail(const v1::Evidence& ev) {
  std::string out;
  for (const char* field : {"failure", "detail"}) {
    auto it = ev.facts().fields().find(field);
    if (it == ev.facts().fields().end() || !it->second.has_string_value()) continue;
    out += (out.empty() ? "" : ": ") + it->second.string_value();
  }
  return out;
}

// The failures of an append that refuse the record, not the database.
bool RefusesRecord(const Status& s) {
  return s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kNotFound;
}

// The agents a batch touches: as its transaction read (and locked) them, then
// as they will be once its planned writes commit.
struct BatchAgents {
  std::map<std::string, AgentEntry> entries;
  std::set<std::string> moved;  // whose head the batch moves
};

class SqlLedger final : public Ledger {
 public:
  SqlLedger(std::unique_ptr<platform::SqlDb> db, const SqlDialect& dialect)
      : db_(std::move(db)), sql_(dialect), page_size_(dialect.page_size) {}

  Result<std::optional<AgentEntry>> FindAgent(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return ReadAgent(agent_id, sql_.find_agent);
  }

  Status RegisterAgent(const std::string& agent_id, const std::string& public_key,
                       int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    SqlTransaction tx(db_.get(), sql_.begin);
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    SHOKO_RETURN_IF_ERROR(InsertAgent(agent_id, public_key, now_us));
    return tx.Commit();
  }

  Status Append(const LedgerRecord& record, const v1::Evidence& ev,
                const std::optional<evidence::PublicKey>& next_key) override {
    SHOKO_ASSIGN_OR_RETURN(std::vector<Status> results, AppendBatch({{record, ev, next_key}}));
    return results.front();
  }

  // Group commit in one round trip where the database can: each record is
  // checked against its agent as the transaction read (and locked) it, then
  // the writes of those that pass go out together with the COMMIT. Should the
  // database refuse one of them (it should not: the checks are the
  // constraints), the batch is redone one record at a time.
  Result<std::vector<Status>> AppendBatch(const std::vector<LedgerAppend>& appends) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Status> results;
    Status written;
    SHOKO_RETURN_IF_ERROR(AppendAtOnce(appends, &results, &written));
    if (written.ok()) return results;
    // A lost connection is not the records' fault: the caller retries.
    if (written.code() == Status::Code::kUnavailable) return written;
    return AppendOneByOne(appends);
  }

  Result<std::vector<std::string>> RotationEnvelopes(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_ASSIGN_OR_RETURN(
        SqlRows rows,
        db_->Query(sql_.rotations,
                   {Text(agent_id), Text(std::string(evidence::kKeyRotationCheckId))}));
    std::vector<std::string> out;
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.TakeBytes(i, 0));
    return out;
  }

  Status SetAgentState(const std::string& agent_id, const std::string& state,
                       const std::string& reason, int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_ASSIGN_OR_RETURN(
        SqlRows changed,
        db_->Query(sql_.set_state, {Text(state), Text(reason), Int(now_us), Text(agent_id)}));
    if (changed.empty()) {
      return Status::NotFound("agent " + agent_id + " is not known to this store");
    }
    return Status::OK();
  }

  Status AddEnrollmentToken(const std::string& token_sha256, int64_t expires_at_us,
                            const std::string& note, const std::string& created_by,
                            int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    return RunSql(
        db_.get(), sql_.add_token,
        {Bytes(token_sha256), Int(now_us), Int(expires_at_us), Text(note), Text(created_by)});
  }

  Status Enroll(const std::string& token_sha256, const std::string& agent_id,
                const std::string& public_key, int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    SqlTransaction tx(db_.get(), sql_.begin);
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    SHOKO_RETURN_IF_ERROR(CheckToken(token_sha256, now_us));
    SHOKO_RETURN_IF_ERROR(AdmitEnrolling(agent_id, public_key, now_us));
    SHOKO_RETURN_IF_ERROR(
        RunSql(db_.get(), sql_.use_token, {Int(now_us), Text(agent_id), Bytes(token_sha256)}));
    return tx.Commit();
  }

  Status RecordIncident(const Incident& i) override {
    std::lock_guard<std::mutex> lock(mu_);
    return RunSql(db_.get(), sql_.insert_incident,
                  {Text(i.agent_id), Seq(i.seq), Text(i.kind), Text(i.detail),
                   Int(i.detected_at_us), Bytes(i.envelope)});
  }

  Result<std::vector<Incident>> Incidents(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql_.incidents, {Text(agent_id)}));
    std::vector<Incident> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      out.push_back({rows.Bytes(i, 0), static_cast<uint64_t>(rows.Int(i, 1)), rows.Bytes(i, 2),
                     rows.Bytes(i, 3), rows.Int(i, 4), rows.Bytes(i, 5)});
    }
    return out;
  }

  Result<std::vector<ChainGap>> Gaps(const std::string& agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql_.gaps, {Text(agent_id)}));
    std::vector<ChainGap> gaps;
    for (size_t i = 0; i < rows.size(); ++i) {
      gaps.push_back({rows.Bytes(i, 0), static_cast<uint64_t>(rows.Int(i, 1)),
                      static_cast<uint64_t>(rows.Int(i, 2)), rows.Int(i, 3)});
    }
    return gaps;
  }

  Result<std::optional<std::string>> DigestAt(const std::string& agent_id, uint64_t seq) override {
    std::lock_guard<std::mutex> lock(mu_);
    SHOKO_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql_.digest_at, {Text(agent_id), Seq(seq)}));
    if (rows.empty()) return std::optional<std::string>();
    return std::optional<std::string>(rows.Bytes(0, 0));
  }

  Status List(const EvidenceFilter& filter,
              const std::function<bool(const LedgerRecord&)>& each) override {
    int64_t after_id = 0;
    uint64_t left = filter.limit == 0 ? UINT64_MAX : filter.limit;
    for (;;) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(left, page_size_));
      // Read under the lock, handed out after it is released: a slow reader
      // never holds up ingest.
      SHOKO_ASSIGN_OR_RETURN(std::vector<LedgerRecord> page, ReadPage(filter, want, &after_id));
      for (const LedgerRecord& r : page) {
        if (!each(r)) return Status::OK();
      }
      left -= page.size();
      if (page.size() < want || left == 0) return Status::OK();
    }
  }

 private:
  // The agent's row and keys, read with `sql` (find_agent, or lock_agent in a
  // write transaction).
  Result<std::optional<AgentEntry>> ReadAgent(const std::string& agent_id, const std::string& sql) {
    SHOKO_ASSIGN_OR_RETURN(SqlRows row, db_->Query(sql, {Text(agent_id)}));
    if (row.empty()) return std::optional<AgentEntry>();
    AgentEntry a;
    a.agent_id = agent_id;
    a.head = {static_cast<uint64_t>(row.Int(0, 0)), row.Bytes(0, 1)};
    a.state = row.Bytes(0, 2);
    a.state_reason = row.Bytes(0, 3);
    SHOKO_ASSIGN_OR_RETURN(SqlRows keys, db_->Query(sql_.agent_keys, {Text(agent_id)}));
    for (size_t i = 0; i < keys.size(); ++i) {
      a.keys.push_back({keys.Bytes(i, 0), keys.Bytes(i, 1), static_cast<uint64_t>(keys.Int(i, 2)),
                        keys.IsNull(i, 3) ? UINT64_MAX : static_cast<uint64_t>(keys.Int(i, 3))});
    }
    return std::optional<AgentEntry>(std::move(a));
  }

  static std::vector<SqlParam> KeyRow(const std::string& agent_id, const evidence::PublicKey& key,
                                      uint64_t from_seq) {
    return {Text(agent_id), Text(key.KeyId()), Bytes(key.raw()), Seq(from_seq)};
  }

  // A new agent with its first key and an empty chain.
  Status InsertAgent(const std::string& agent_id, const std::string& public_key, int64_t now_us) {
    SHOKO_ASSIGN_OR_RETURN(evidence::PublicKey key, evidence::PublicKey::FromRaw(public_key));
    SHOKO_RETURN_IF_ERROR(RunSql(
        db_.get(), sql_.insert_agent,
        {Text(agent_id), Bytes(public_key), Int(now_us), Bytes(evidence::ChainHead().digest)}));
    return RunSql(db_.get(), sql_.insert_key, KeyRow(agent_id, key, 1));
  }

  // An enrollment token may be used once, before it expires.
  Status CheckToken(const std::string& token_sha256, int64_t now_us) {
    SHOKO_ASSIGN_OR_RETURN(SqlRows token, db_->Query(sql_.lock_token, {Bytes(token_sha256)}));
    if (token.empty()) return Status::PermissionDenied("unknown enrollment token");
    if (!token.IsNull(0, 1)) return Status::PermissionDenied("enrollment token already used");
    if (token.Int(0, 0) < now_us) return Status::PermissionDenied("enrollment token expired");
    return Status::OK();
  }

  // An enrolling agent is registered now, or is known with the same first key
  // and still active.
  Status AdmitEnrolling(const std::string& agent_id, const std::string& public_key,
                        int64_t now_us) {
    SHOKO_ASSIGN_OR_RETURN(std::optional<AgentEntry> agent, ReadAgent(agent_id, sql_.lock_agent));
    if (!agent) return InsertAgent(agent_id, public_key, now_us);
    const AgentKey* first = agent->Key(agent_id);
    if (first == nullptr || first->public_key != public_key) {
      return Status::PermissionDenied("agent " + agent_id + " is registered with another key");
    }
    if (agent->state != kAgentActive) {
      return Status::PermissionDenied("agent " + agent_id + " is " + agent->state);
    }
    return Status::OK();
  }

  // The batch's view of `agent_id`, read and locked on first use.
  Result<AgentEntry*> BatchAgent(const std::string& agent_id, BatchAgents* agents) {
    auto it = agents->entries.find(agent_id);
    if (it != agents->entries.end()) return &it->second;
    // Locked until commit: another store process appends after this one.
    SHOKO_ASSIGN_OR_RETURN(std::optional<AgentEntry> found, ReadAgent(agent_id, sql_.lock_agent));
    if (!found) return Status::NotFound("agent " + agent_id + " is not registered");
    return &agents->entries.emplace(agent_id, std::move(*found)).first->second;
  }

  // Checks `a` against its agent, where no other stream can move the key
  // window or the head, and plans its writes: the record, its control refs,
  // a gap before it, a key hand-over. The agent's view moves with it.
  Status PlanAppend(const LedgerAppend& a, BatchAgents* agents, std::vector<SqlStatement>* writes) {
    const LedgerRecord& r = a.record;
    const v1::Evidence& ev = a.evidence;
    SHOKO_ASSIGN_OR_RETURN(AgentEntry * agent, BatchAgent(r.agent_id, agents));
    SHOKO_ASSIGN_OR_RETURN(const evidence::Link link, agent->CheckAppend(ev));
    if (link == evidence::Link::kGap) {
      writes->push_back(
          {sql_.insert_gap,
           {Text(r.agent_id), Seq(agent->head.seq + 1), Seq(ev.seq() - 1), Int(r.received_at_us)}});
    }
    if (a.next_key) {
      writes->push_back({sql_.retire_key, {Seq(ev.seq()), Text(r.agent_id), Text(ev.key_id())}});
      writes->push_back({sql_.insert_key, KeyRow(r.agent_id, *a.next_key, ev.seq() + 1)});
    }
    writes->push_back(
        {sql_.insert_evidence,
         {Text(r.agent_id), Seq(r.seq), Bytes(r.record_digest), Bytes(r.envelope),
          Text(ev.check_id()), Int(ev.verdict()), Int(evidence::CollectedAtMicros(ev)),
          Int(r.received_at_us), Text(ev.key_id())}});
    if (!ev.controls().empty()) {
      writes->push_back(
          {sql_.insert_controls, {Text(r.agent_id), Seq(r.seq), Text(JsonStrings(ev.controls()))}});
    }
    if (ev.check_id() == kWitnessIncidentCheckId) {
      writes->push_back({sql_.insert_incident,
                         {Text(r.agent_id), Seq(r.seq), Text(std::string(kWitnessIncident)),
                          Text(WitnessDetail(ev)), Int(r.received_at_us), Bytes(r.envelope)}});
    }
    agent->head = {r.seq, r.record_digest};
    if (a.next_key) agent->HandOver(ev.key_id(), ev.seq(), *a.next_key);
    agents->moved.insert(r.agent_id);
    return Status::OK();
  }

  // One head update per agent whose chain the batch moved.
  void PlanHeads(const BatchAgents& agents, std::vector<SqlStatement>* writes) const {
    for (const std::string& id : agents.moved) {
      const evidence::ChainHead& head = agents.entries.at(id).head;
      writes->push_back({sql_.move_head, {Seq(head.seq), Bytes(head.digest), Text(id)}});
    }
  }

  // The fast path: every record planned, then all writes and the commit at
  // once. Fails when the database did before anything was written; `written`
  // says how the writes went.
  Status AppendAtOnce(const std::vector<LedgerAppend>& appends, std::vector<Status>* results,
                      Status* written) {
    SqlTransaction tx(db_.get(), sql_.begin);
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    BatchAgents agents;
    std::vector<SqlStatement> writes;
    for (const LedgerAppend& a : appends) {
      Status one = PlanAppend(a, &agents, &writes);
      if (!one.ok() && !RefusesRecord(one)) return one;  // the database failed, not the record
      results->push_back(std::move(one));
    }
    PlanHeads(agents, &writes);
    *written = tx.CommitAfter(std::move(writes));
    return Status::OK();
  }

  // The slow path: each record under its own savepoint, so that one the
  // database refuses is undone alone.
  Result<std::vector<Status>> AppendOneByOne(const std::vector<LedgerAppend>& appends) {
    SqlTransaction tx(db_.get(), sql_.begin);
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    BatchAgents agents;
    std::vector<Status> results;
    for (const LedgerAppend& a : appends) {
      SHOKO_RETURN_IF_ERROR(RunSql(db_.get(), kSavepoint));
      const BatchAgents before = agents;
      std::vector<SqlStatement> writes;
      Status one = PlanAppend(a, &agents, &writes);
      if (one.ok()) one = db_->RunAll(writes);
      if (!one.ok()) {
        agents = before;
        SHOKO_RETURN_IF_ERROR(RunSql(db_.get(), kRollbackToSavepoint));
      }
      SHOKO_RETURN_IF_ERROR(RunSql(db_.get(), kReleaseSavepoint));
      results.push_back(std::move(one));
    }
    std::vector<SqlStatement> heads;
    PlanHeads(agents, &heads);
    SHOKO_RETURN_IF_ERROR(tx.CommitAfter(std::move(heads)));
    return results;
  }

  // Up to `want` records after `*after_id`, which moves to the last one read.
  Result<std::vector<LedgerRecord>> ReadPage(const EvidenceFilter& filter, size_t want,
                                             int64_t* after_id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<SqlParam> params = {Int(*after_id), Text(filter.agent_id),
                                    Int(static_cast<int64_t>(want))};
    if (!filter.control_ref.empty()) {
      params.insert(params.end(), {Text(filter.control_ref), Text(filter.checks_under),
                                   Text(filter.mapped_checks)});
    }
    SHOKO_ASSIGN_OR_RETURN(
        SqlRows rows,
        db_->Query(filter.control_ref.empty() ? sql_.list : sql_.list_by_control, params));
    std::vector<LedgerRecord> page;
    for (size_t i = 0; i < rows.size(); ++i) {
      *after_id = rows.Int(i, 0);
      page.push_back({rows.Bytes(i, 1), static_cast<uint64_t>(rows.Int(i, 2)), rows.Bytes(i, 3),
                      rows.TakeBytes(i, 4), rows.Int(i, 5), rows.Bytes(i, 6)});
    }
    return page;
  }

  std::mutex mu_;  // serializes use of the connection
  std::unique_ptr<platform::SqlDb> db_;
  const LedgerSql sql_;
  const int64_t page_size_;
};

}  // namespace

Status RunSql(platform::SqlDb* db, std::string_view sql, const std::vector<SqlParam>& params) {
  auto rows = db->Query(sql, params);
  return rows.ok() ? Status::OK() : rows.status();
}

SqlTransaction::~SqlTransaction() {
  if (open_) (void)RunSql(db_, "ROLLBACK");
}

Status SqlTransaction::Begin() {
  SHOKO_RETURN_IF_ERROR(RunSql(db_, begin_));
  open_ = true;
  return Status::OK();
}

Status SqlTransaction::CommitAfter(std::vector<SqlStatement> writes) {
  writes.push_back({"COMMIT", {}});
  SHOKO_RETURN_IF_ERROR(db_->RunAll(writes));
  open_ = false;
  return Status::OK();
}

// Side by side, in SqlDialect's order. SQLite's BEGIN IMMEDIATE takes the
// database's write lock at once, so it needs no row locks; its GLOB is
// case-sensitive as refs are, and its LIKE is not.
// clang-format off
const SqlDialect kSqliteDialect = {"BEGIN IMMEDIATE", "", "GLOB", "*",
                                   "json_each(", ")", false, 256,
                                   "SELECT 1"};
const SqlDialect kPostgresDialect = {"BEGIN", " FOR UPDATE", "LIKE", "%",
                                     "jsonb_array_elements_text(", "::jsonb)", true, 1024,
                                     "SELECT CASE WHEN pg_try_advisory_lock(7394824) THEN 1 ELSE 0 END"};
// clang-format on

std::unique_ptr<Ledger> NewSqlLedger(SqlConnection connection) {
  return std::make_unique<SqlLedger>(std::move(connection.db), *connection.dialect);
}

Result<SqlConnection> ConnectLedger(const std::string& db) {
  return IsPostgresUrl(db) ? ConnectPostgresLedger(db) : ConnectSqliteLedger(db);
}

}  // namespace shoko::store
