// A thin RAII layer over SQLite for shoko's own databases (the agent's outbox,
// the store's ledger). Not for reading host files: those go through Env.
// SqliteDb is also a SqlDb (platform/sql_db.h), the store ledger's view of
// SQLite and PostgreSQL alike.
#ifndef SHOKO_PLATFORM_SQLITE_DB_H_
#define SHOKO_PLATFORM_SQLITE_DB_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "platform/sql_db.h"
#include "platform/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace shoko::platform {

class SqliteDb;

// One prepared statement. Bind indexes are 1-based, column indexes 0-based.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& BindText(int index, std::string_view value);
  SqliteStatement& BindBlob(int index, std::string_view value);
  // Advances: true with a row to read, false when done.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  // Clears bindings and rewinds for reuse.
  void Reset();

  int64_t Int64(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;
  bool IsNull(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb final : public SqlDb {
 public:
  // Opens (creating if needed) the database at `path` in WAL mode with
  // synchronous=FULL: a committed transaction survives power loss.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);

  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb() override;

  // SqlDb: statements prepared once per connection (as PrepareCached), each
  // parameter bound by its name $1, $2, … (SQLite's named parameters).
  using SqlDb::Query;
  Result<SqlRows> Query(std::string_view sql, const std::vector<SqlParam>& params) override;
  Status RunAll(const std::vector<SqlStatement>& statements) override;

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);

  // A statement prepared once per connection and reused, for hot paths. The
  // handle resets it (and its bindings) when it goes out of scope. Not
  // thread-safe: callers serialize use of the connection themselves.
  class Cached {
   public:
    explicit Cached(SqliteStatement* s) : s_(s) {}
    Cached(Cached&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    Cached(const Cached&) = delete;
    Cached& operator=(const Cached&) = delete;
    ~Cached() {
      if (s_) s_->Reset();
    }
    SqliteStatement* operator->() const { return s_; }
    SqliteStatement& operator*() const { return *s_; }

   private:
    SqliteStatement* s_;
  };
  Result<Cached> PrepareCached(std::string_view sql);
  // PRAGMA user_version, the schema version of shoko's migrations.
  Result<int64_t> UserVersion();
  // Brings the schema to version migrations.size(): migrations[i] takes it
  // from version i to i + 1, each in its own transaction that also sets
  // user_version. NotSupported, naming `what`, when the file is newer.
  Status Migrate(std::string_view what, std::initializer_list<std::string_view> migrations);

  const std::string& path() const { return path_; }
  // "PATH: SQLite says …" for the last failure on this connection.
  Status Error(std::string_view what) const;

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::map<std::string, std::unique_ptr<SqliteStatement>, std::less<>> cached_;
};

// BEGIN IMMEDIATE … COMMIT; rolls back when destroyed uncommitted.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();
  Status Begin();
  Status Commit();

 private:
  SqliteDb* db_;
  bool open_ = false;
};

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_SQLITE_DB_H_
