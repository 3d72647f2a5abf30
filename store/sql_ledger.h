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
#include <string_view>

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
};

// The phrases of the two dialects, side by side.
extern const SqlDialect kSqliteDialect;
extern const SqlDialect kPostgresDialect;

// The ledger over `db`, whose schema the caller has migrated.
std::unique_ptr<Ledger> NewSqlLedger(std::unique_ptr<platform::SqlDb> db,
                                     const SqlDialect& dialect);

}  // namespace shoko::store

#endif  // SHOKO_STORE_SQL_LEDGER_H_
