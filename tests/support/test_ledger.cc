#include "tests/support/test_ledger.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "platform/pg_db.h"
#include "platform/sqlite_db.h"

namespace shoko::testing {
namespace {

Status PgExec(const std::string& url, const std::string& sql) {
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<platform::PgDb> db, platform::PgDb::Connect(url));
  auto done = db->Query(sql);
  return done.ok() ? Status::OK() : done.status();
}

// `url` with its database name replaced by `name`.
std::string WithDatabase(const std::string& url, const std::string& name) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?', slash == std::string::npos ? 0 : slash);
  std::string head = slash == std::string::npos ? url : url.substr(0, slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + name + tail;
}

}  // namespace

std::vector<std::string> LedgerBackends() { return {"sqlite", "postgres"}; }

TestLedgerDb::TestLedgerDb(const std::string& backend, const std::string& dir) : backend_(backend) {
  if (backend == "sqlite") {
    db_ = dir + "/store.db";
    return;
  }
  const char* url = std::getenv("SHOKO_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    skip_ = "SHOKO_TEST_PG_URL is not set: ./scripts/test starts a PostgreSQL cluster and sets it";
    return;
  }
  static std::atomic<int> counter{0};
  admin_url_ = url;
  name_ = "shoko_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  Status s = PgExec(admin_url_, "CREATE DATABASE " + name_);
  if (!s.ok()) {
    // A configured cluster that does not answer is a failure, not a skip:
    // CI must not pass by running nothing.
    error_ = "cannot create a test database in " + admin_url_ + ": " + s.message();
    return;
  }
  db_ = WithDatabase(admin_url_, name_);
}

TestLedgerDb::~TestLedgerDb() {
  if (!name_.empty() && skip_.empty() && error_.empty()) {
    (void)PgExec(admin_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
}

Status TestLedgerDb::ExecRaw(const std::string& sql) const {
  if (backend_ == "sqlite") {
    auto db = platform::SqliteDb::Open(db_);
    if (!db.ok()) return db.status();
    return (*db)->Exec(sql);
  }
  return PgExec(db_, sql);
}

}  // namespace shoko::testing
