// The ledger's rules, written once over SQL (docs/ledger.md, "One ledger, two
// dialects"): registration and enrollment refusals, the append plan (key
// windows, gaps, key hand-overs), group commit with a record-by-record retry,
// paging, incidents. SQLite and PostgreSQL differ only beneath it: in the few
// phrases of their SqlDialect, their schema migrations (store/sqlite_ledger.cc,
// store/pg_ledger.cc), and their connections (platform/sqlite_db.h,
// platform/pg_db.h).
#ifndef SHOKO_STORE_SQL_LEDGER_H_
#define SHOKO_STORE_SQL_LEDGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/sql_db.h"
#include "store/ledger.h"

namespace shoko::store {

// Where two SQL dialects part, as the ledger's statements need it.
struct SqlDialect {
  // Starts a write transaction.
  std::string_view begin;
  // Follows a SELECT inside a write transaction: locks the rows it reads until
  // commit, so that another store process on the same database waits (empty
  // where `begin` already locks the whole database).
  std::string_view lock_rows;
  // A case-sensitive match against a pattern, and its wildcard for any
  // string. Control refs and agent ids hold none of either dialect's
  // wildcards (by their grammars), so a prefix needs no escaping.
  std::string_view matches;
  std::string_view any;
  // Around a parameter holding a JSON array of strings: a table of them in a
  // column named `value`.
  std::string_view json_strings_open;
  std::string_view json_strings_close;
  // Whether a page of records is chosen from the evidence table alone and
  // only then joined to its keys. With the join at the page's own level,
  // PostgreSQL hashed and sorted every record after the page's start, for
  // each page; SQLite walks the records in id order either way, and a page
  // in a subquery costs it a copy and a sort.
  bool limit_before_join = false;
  // Records List reads per page, under the lock.
  int64_t page_size = 256;
  // Answers one row holding 1 when this connection is the log's sequencer
  // (docs/ledger.md, "The sequencer"), taking the role when it is free: a
  // PostgreSQL session advisory lock, released when the connection ends;
  // SQLite's one store process always is.
  std::string_view lead;
};

// A connection to the ledger's database, its schema migrated, and the
// dialect it speaks. The ledger holds one; the log's readers and its
// sequencer each hold their own.
struct SqlConnection {
  std::unique_ptr<platform::SqlDb> db;
  const SqlDialect* dialect = nullptr;
};

// The SQLite file at `path` (created when absent; WAL, synchronous=FULL).
Result<SqlConnection> ConnectSqliteLedger(const std::string& path);
// The PostgreSQL database at `url` (postgresql://…).
Result<SqlConnection> ConnectPostgresLedger(const std::string& url);
// PostgreSQL for a postgresql:// or postgres:// URL, else SQLite at the path.
Result<SqlConnection> ConnectLedger(const std::string& db);

// The phrases of the two dialects, side by side.
extern const SqlDialect kSqliteDialect;
extern const SqlDialect kPostgresDialect;

// Runs one statement for its effect.
Status RunSql(platform::SqlDb* db, std::string_view sql,
              const std::vector<platform::SqlParam>& params = {});

// A write transaction, begun with the dialect's `begin`, rolled back unless
// committed.
class SqlTransaction {
 public:
  SqlTransaction(platform::SqlDb* db, std::string_view begin) : db_(db), begin_(begin) {}
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  ~SqlTransaction();
  Status Begin();
  // Runs `writes`, then commits: one round trip where the database can.
  Status CommitAfter(std::vector<platform::SqlStatement> writes);
  Status Commit() { return CommitAfter({}); }

 private:
  platform::SqlDb* db_;
  std::string_view begin_;
  bool open_ = false;
};

// The ledger over `connection`.
std::unique_ptr<Ledger> NewSqlLedger(SqlConnection connection);

}  // namespace shoko::store

#endif  // SHOKO_STORE_SQL_LEDGER_H_
