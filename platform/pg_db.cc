#include "platform/pg_db.h"

#include <libpq-fe.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace shoko::platform {
namespace {

// Whether a column of type `oid` holds integers (int2, int4, int8), which
// binary results give in network order.
bool IsInteger(Oid oid) { return oid == 20 || oid == 21 || oid == 23; }

// Two processes migrating one database take turns on this advisory lock.
constexpr int64_t kMigrationLock = 7394823;

// Owns a PGresult.
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages span lines; a log line should not.
std::string OneLine(std::string_view msg) {
  std::string flat;
  for (char c : msg) {
    if (c == '\n') {
      flat += "; ";
    } else if (c != '\t') {
      flat += c;
    }
  }
  while (!flat.empty() && (flat.back() == ' ' || flat.back() == ';')) flat.pop_back();
  return flat;
}

// A big-endian integer of a binary result.
int64_t BinaryInt(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(p[i]);
  if (n == 2) return static_cast<int16_t>(static_cast<uint16_t>(v));
  if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

SqlRows ReadRows(const PGresult* r) {
  const int columns = PQnfields(r);
  SqlRows rows(static_cast<size_t>(columns));
  for (int row = 0; row < PQntuples(r); ++row) {
    for (int c = 0; c < columns; ++c) {
      const char* value = PQgetvalue(r, row, c);
      const int n = PQgetlength(r, row, c);
      if (PQgetisnull(r, row, c) == 1) {
        rows.AddNull();
      } else if (IsInteger(PQftype(r, c))) {
        rows.AddInt(BinaryInt(value, n));
      } else {
        rows.AddBytes(std::string(value, static_cast<size_t>(n)));
      }
    }
  }
  return rows;
}

// A statement's parameters as libpq takes them: integers and text in text
// form, bytes in binary form.
class PgParams {
 public:
  explicit PgParams(const std::vector<SqlParam>& params) {
    for (const SqlParam& p : params) {
      text_.push_back(p.kind == SqlParam::Kind::kInt ? std::to_string(p.number) : p.bytes);
      lengths_.push_back(static_cast<int>(text_.back().size()));
      formats_.push_back(p.kind == SqlParam::Kind::kBytes ? 1 : 0);
    }
    for (const std::string& t : text_) values_.push_back(t.c_str());
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> text_;
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
};

bool Succeeded(const PGresult* r) {
  const ExecStatusType st = PQresultStatus(r);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

Result<std::unique_ptr<PgDb>> PgDb::Connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string where = "postgresql database";
  if (conn != nullptr && PQdb(conn) != nullptr) {
    const char* host = PQhost(conn);
    const char* port = PQport(conn);
    where = std::string("postgresql ") + PQdb(conn) + "@" + (host ? host : "") +
            (port && *port ? std::string(":") + port : "");
  }
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    const std::string why = OneLine(conn ? PQerrorMessage(conn) : "out of memory");
    PQfinish(conn);
    return Status::Unavailable("cannot connect to " + where + ": " + why);
  }
  // The server's notices ("relation … already exists, skipping") are not
  // errors, and libpq would print each on stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgDb>(new PgDb(conn, std::move(where)));
}

PgDb::~PgDb() { PQfinish(conn_); }

Status PgDb::Error(std::string_view what, const PGresult* result) const {
  std::string msg = where_ + ": " + std::string(what) + ": " +
                    (result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (PQstatus(conn_) != CONNECTION_OK) return Status::Unavailable(msg);
  if (state && std::strncmp(state, "23", 2) == 0) return Status::InvalidArgument(msg);  // integrity
  return Status::IOError(msg);
}

void PgDb::ReconnectIfLost() {
  if (PQstatus(conn_) != CONNECTION_BAD) return;
  PQreset(conn_);
  prepared_.clear();  // a new session holds none of them
}

Result<const std::string*> PgDb::Prepared(std::string_view sql) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return &it->second;
  const std::string name = "shoko_" + std::to_string(prepared_.size() + 1);
  const std::string text(sql);
  PgResultPtr r(PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr));
  if (!Succeeded(r.get())) return Error(sql.substr(0, 40), r.get());
  return &prepared_.emplace(text, name).first->second;
}

Status PgDb::Exec(std::string_view sql) {
  ReconnectIfLost();
  const std::string text(sql);
  PgResultPtr r(PQexec(conn_, text.c_str()));
  return Succeeded(r.get()) ? Status::OK() : Error(sql.substr(0, 40), r.get());
}

Result<SqlRows> PgDb::Query(std::string_view sql, const std::vector<SqlParam>& params) {
  ReconnectIfLost();
  SHOKO_ASSIGN_OR_RETURN(const std::string* name, Prepared(sql));
  const PgParams p(params);
  PgResultPtr r(PQexecPrepared(conn_, name->c_str(), p.size(), p.values(), p.lengths(), p.formats(),
                               /*resultFormat=binary*/ 1));
  if (!Succeeded(r.get())) return Error(sql.substr(0, 40), r.get());
  return ReadRows(r.get());
}

Status PgDb::RunAll(const std::vector<SqlStatement>& statements) {
  ReconnectIfLost();
  // Statements new to this connection are prepared first, one round trip each.
  std::vector<const std::string*> names;
  for (const SqlStatement& s : statements) {
    SHOKO_ASSIGN_OR_RETURN(const std::string* name, Prepared(s.sql));
    names.push_back(name);
  }
  if (PQenterPipelineMode(conn_) != 1) return Error("pipeline", nullptr);
  Status status;
  size_t sent = 0;
  for (const SqlStatement& s : statements) {
    const PgParams p(s.params);
    if (PQsendQueryPrepared(conn_, names[sent]->c_str(), p.size(), p.values(), p.lengths(),
                            p.formats(), 1) != 1) {
      status = Error("pipeline send", nullptr);
      break;
    }
    ++sent;
  }
  if (PQpipelineSync(conn_) != 1 && status.ok()) status = Error("pipeline sync", nullptr);
  // Each statement's results end with a null; the sync's with its own
  // PGRES_PIPELINE_SYNC result. After a failure the server skips the rest
  // (PGRES_PIPELINE_ABORTED) up to the sync.
  for (size_t i = 0; i < sent; ++i) {
    while (PGresult* raw = PQgetResult(conn_)) {
      PgResultPtr r(raw);
      if (status.ok() && !Succeeded(r.get())) status = Error(statements[i].sql.substr(0, 40), raw);
    }
    if (PQstatus(conn_) != CONNECTION_OK) break;
  }
  while (PQstatus(conn_) == CONNECTION_OK) {
    PgResultPtr r(PQgetResult(conn_));
    if (r && PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) break;
  }
  if (PQexitPipelineMode(conn_) != 1 && status.ok()) status = Error("pipeline end", nullptr);
  if (PQstatus(conn_) != CONNECTION_OK && status.ok()) status = Error("pipeline", nullptr);
  return status;
}

Status PgDb::Migrate(std::string_view what, std::initializer_list<std::string_view> migrations) {
  SHOKO_RETURN_IF_ERROR(Exec("BEGIN"));
  // Rolls back unless every step below succeeded.
  auto in_transaction = [&]() -> Status {
    SHOKO_RETURN_IF_ERROR(
        Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")"));
    SHOKO_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS shoko_schema (version INTEGER NOT NULL)"));
    SHOKO_ASSIGN_OR_RETURN(SqlRows v, Query("SELECT COALESCE(MAX(version), 0) FROM shoko_schema"));
    const int64_t version = v.Int(0, 0);
    const int64_t latest = static_cast<int64_t>(migrations.size());
    if (version > latest) {
      return Status::NotSupported(where_ + ": " + std::string(what) + " schema version " +
                                  std::to_string(version) + " is newer than this program's");
    }
    for (int64_t i = version; i < latest; ++i) {
      SHOKO_RETURN_IF_ERROR(Exec(*(migrations.begin() + i)));
      SHOKO_RETURN_IF_ERROR(
          Exec("INSERT INTO shoko_schema (version) VALUES (" + std::to_string(i + 1) + ")"));
    }
    return Exec("COMMIT");
  };
  Status s = in_transaction();
  if (!s.ok()) (void)Exec("ROLLBACK");
  return s;
}

}  // namespace shoko::platform
