// Store tests run against both ledger backends (docs/ledger.md, "One ledger,
// two dialects"): SQLite in a temporary directory, and PostgreSQL in a fresh
// database of the cluster that the test command starts ($SHOKO_TEST_PG_URL),
// dropped afterwards.
#ifndef SHOKO_TESTS_SUPPORT_TEST_LEDGER_H_
#define SHOKO_TESTS_SUPPORT_TEST_LEDGER_H_

#include <string>
#include <vector>

#include "platform/status.h"

namespace shoko::testing {

// The backends to run store tests on: always "sqlite", and "postgres".
std::vector<std::string> LedgerBackends();

// A place for one test's ledger.
class TestLedgerDb {
 public:
  // `dir` holds the SQLite file. For PostgreSQL, skip_reason() says why the
  // test cannot run when no cluster is configured, error() why a configured
  // one failed.
  TestLedgerDb(const std::string& backend, const std::string& dir);
  ~TestLedgerDb();
  TestLedgerDb(const TestLedgerDb&) = delete;
  TestLedgerDb& operator=(const TestLedgerDb&) = delete;

  const std::string& skip_reason() const { return skip_; }
  // Why a configured PostgreSQL cluster could not be used ("" if it could).
  const std::string& error() const { return error_; }
  // What OpenLedger and `shoko-store --db` take.
  const std::string& db() const { return db_; }
  // Runs raw SQL against the database (to try what the ledger forbids).
  Status ExecRaw(const std::string& sql) const;

 private:
  std::string backend_, db_, skip_, error_, name_, admin_url_;
};

}  // namespace shoko::testing

#endif  // SHOKO_TESTS_SUPPORT_TEST_LEDGER_H_
