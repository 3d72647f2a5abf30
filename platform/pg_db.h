// A thin layer over libpq for the store's PostgreSQL ledger, beside
// platform/sqlite_db.h: one connection, re-opened when the server drops it,
// statements with typed parameters and binary results, pipelines, and schema
// migrations that several processes may start at once.
#ifndef SHOKO_PLATFORM_PG_DB_H_
#define SHOKO_PLATFORM_PG_DB_H_

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "platform/sql_db.h"
#include "platform/status.h"

struct pg_conn;
struct pg_result;

namespace shoko::platform {

class PgDb final : public SqlDb {
 public:
  // Connects to `url` (postgresql://… or postgres://…). Unavailable when it
  // cannot, naming the database without the password a URL may carry.
  static Result<std::unique_ptr<PgDb>> Connect(const std::string& url);
  ~PgDb() override;

  // Brings the schema to version migrations.size(): migrations[i] takes it
  // from version i to i + 1. The versions are kept in a table shoko_schema;
  // all run in one transaction under an advisory lock, so that two processes
  // starting at once do not both migrate. NotSupported, naming `what`, when
  // the database is newer.
  Status Migrate(std::string_view what, std::initializer_list<std::string_view> migrations);

  // SqlDb. A connection the server dropped (restart, failover, idle kill) is
  // re-opened by the next call; the call that met the drop has failed with
  // Unavailable, and its caller retries.
  using SqlDb::Query;
  Result<SqlRows> Query(std::string_view sql, const std::vector<SqlParam>& params) override;
  Status RunAll(const std::vector<SqlStatement>& statements) override;

  // "postgresql DB@HOST:PORT", for messages.
  const std::string& where() const { return where_; }

 private:
  PgDb(pg_conn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;
  // Runs `sql` (one or more statements, no parameters).
  Status Exec(std::string_view sql);
  // "WHERE: WHAT: the server's message", as Unavailable when the connection
  // is lost, InvalidArgument for a broken constraint, IOError otherwise.
  Status Error(std::string_view what, const pg_result* result) const;
  void ReconnectIfLost();
  // The name `sql` is prepared under on this connection, preparing it the
  // first time: the server parses and plans each statement text once.
  Result<const std::string*> Prepared(std::string_view sql);

  pg_conn* conn_;
  const std::string where_;
  // By statement text; forgotten when the connection is re-opened.
  std::map<std::string, std::string, std::less<>> prepared_;
};

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_PG_DB_H_
