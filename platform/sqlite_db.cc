#include "platform/sqlite_db.h"

#include <sqlite3.h>

namespace shoko::platform {

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::BindText(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, std::string_view value) {
  // A zero-length blob must still be a blob, not NULL.
  sqlite3_bind_blob(stmt_, index, value.empty() ? "" : value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Result<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error("step");
}

Status SqliteStatement::Run() {
  auto r = Step();
  if (!r.ok()) return r.status();
  return Status::OK();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::string SqliteStatement::Blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* handle = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &handle,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close(handle);
    return Status::IOError(path + ": cannot open database: " + msg);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(handle, path));
  sqlite3_busy_timeout(handle, 10000);
  sqlite3_extended_result_codes(handle, 1);
  Status s = db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (!s.ok()) return s;
  return db;
}

SqliteDb::~SqliteDb() {
  cached_.clear();  // finalize before closing
  sqlite3_close(db_);
}

Status SqliteDb::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    int code = sqlite3_extended_errcode(db_);
    if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB) {
      return Status::Corruption(path_ + ": " + msg);
    }
    return Status::IOError(path_ + ": " + msg);
  }
  return Status::OK();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Error("prepare");
  }
  return SqliteStatement(this, stmt);
}

Result<SqliteDb::Cached> SqliteDb::PrepareCached(std::string_view sql) {
  auto it = cached_.find(sql);
  if (it == cached_.end()) {
    auto stmt = Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    it = cached_
             .emplace(std::string(sql), std::make_unique<SqliteStatement>(std::move(stmt).value()))
             .first;
  }
  it->second->Reset();
  return Cached(it->second.get());
}

namespace {

// Binds params[i] to the statement's parameter named $(i + 1); every
// parameter must be named, every name bound.
Status BindByName(sqlite3_stmt* stmt, const std::vector<SqlParam>& params) {
  if (static_cast<size_t>(sqlite3_bind_parameter_count(stmt)) != params.size()) {
    return Status::Internal("statement takes " +
                            std::to_string(sqlite3_bind_parameter_count(stmt)) +
                            " parameters, given " + std::to_string(params.size()));
  }
  static const char* const kNames[] = {"$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10"};
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string name = i < std::size(kNames) ? kNames[i] : "$" + std::to_string(i + 1);
    const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
    if (index == 0) return Status::Internal("statement has no parameter " + name);
    const SqlParam& p = params[i];
    const int n = static_cast<int>(p.bytes.size());
    if (p.kind == SqlParam::Kind::kInt) {
      sqlite3_bind_int64(stmt, index, p.number);
    } else if (p.kind == SqlParam::Kind::kText) {
      sqlite3_bind_text(stmt, index, p.bytes.data(), n, SQLITE_TRANSIENT);
    } else {
      // A zero-length blob must still be a blob, not NULL.
      sqlite3_bind_blob(stmt, index, n == 0 ? "" : p.bytes.data(), n, SQLITE_TRANSIENT);
    }
  }
  return Status::OK();
}

// The current row's cells, by each cell's storage class.
void ReadRow(sqlite3_stmt* stmt, SqlRows* rows) {
  const int columns = sqlite3_column_count(stmt);
  for (int c = 0; c < columns; ++c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_NULL:
        rows->AddNull();
        break;
      case SQLITE_INTEGER:
        rows->AddInt(sqlite3_column_int64(stmt, c));
        break;
      default: {
        const void* p = sqlite3_column_blob(stmt, c);
        const int n = sqlite3_column_bytes(stmt, c);
        rows->AddBytes(p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n));
      }
    }
  }
}

}  // namespace

Result<SqlRows> SqliteDb::Query(std::string_view sql, const std::vector<SqlParam>& params) {
  auto stmt = PrepareCached(sql);
  if (!stmt.ok()) return stmt.status();
  sqlite3_stmt* raw = (*stmt)->stmt_;
  SHOKO_RETURN_IF_ERROR(BindByName(raw, params).WithContext(path_));
  SqlRows rows(static_cast<size_t>(sqlite3_column_count(raw)));
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return rows;
    ReadRow(raw, &rows);
  }
}

Status SqliteDb::RunAll(const std::vector<SqlStatement>& statements) {
  for (const SqlStatement& s : statements) {
    auto done = Query(s.sql, s.params);
    if (!done.ok()) return done.status();
  }
  return Status::OK();
}

Result<int64_t> SqliteDb::UserVersion() {
  auto stmt = Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return stmt->Int64(0);
}

Status SqliteDb::Migrate(std::string_view what,
                         std::initializer_list<std::string_view> migrations) {
  auto version = UserVersion();
  if (!version.ok()) return version.status();
  const int64_t latest = static_cast<int64_t>(migrations.size());
  if (*version > latest) {
    return Status::NotSupported(path_ + ": " + std::string(what) + " schema version " +
                                std::to_string(*version) + " is newer than this program's (" +
                                std::to_string(latest) + ")");
  }
  for (int64_t v = *version; v < latest; ++v) {
    SqliteTransaction tx(this);
    SHOKO_RETURN_IF_ERROR(tx.Begin());
    SHOKO_RETURN_IF_ERROR(Exec(*(migrations.begin() + v)));
    SHOKO_RETURN_IF_ERROR(Exec("PRAGMA user_version = " + std::to_string(v + 1)));
    SHOKO_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::OK();
}

Status SqliteDb::Error(std::string_view what) const {
  int code = sqlite3_extended_errcode(db_);
  std::string msg = path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_);
  if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB) {
    return Status::Corruption(msg);
  }
  if ((code & 0xff) == SQLITE_CONSTRAINT) return Status::InvalidArgument(msg);
  return Status::IOError(msg);
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Begin() {
  SHOKO_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Status::OK();
}

Status SqliteTransaction::Commit() {
  SHOKO_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  open_ = false;
  return Status::OK();
}

}  // namespace shoko::platform
