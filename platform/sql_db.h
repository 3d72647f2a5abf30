// What shoko's two SQL databases share, SQLite (platform/sqlite_db.h) and
// PostgreSQL (platform/pg_db.h): typed parameters, rows read whole, and one
// interface for running statements, so that the code above them (the store's
// ledger) is written once for both.
#ifndef SHOKO_PLATFORM_SQL_DB_H_
#define SHOKO_PLATFORM_SQL_DB_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::platform {

// A statement parameter: an integer, text, or bytes (BLOB in SQLite, BYTEA in
// PostgreSQL). The i-th parameter of a statement is bound to $i.
struct SqlParam {
  enum class Kind { kInt, kText, kBytes };
  Kind kind = Kind::kInt;
  int64_t number = 0;
  std::string bytes;  // kText and kBytes

  static SqlParam Int(int64_t v) { return {Kind::kInt, v, {}}; }
  static SqlParam Text(std::string v) { return {Kind::kText, 0, std::move(v)}; }
  static SqlParam Bytes(std::string v) { return {Kind::kBytes, 0, std::move(v)}; }
};

// One statement with its parameters. The text is not copied: it must outlive
// the call that runs it (statement texts are constants, or held by the
// caller for as long as it runs them).
struct SqlStatement {
  std::string_view sql;
  std::vector<SqlParam> params;
};

// A statement's result, read whole: each cell an integer, a string (text or
// bytes alike) or NULL.
class SqlRows {
 public:
  explicit SqlRows(size_t columns) : columns_(columns) {}

  size_t size() const { return columns_ == 0 ? 0 : cells_.size() / columns_; }
  bool empty() const { return cells_.empty(); }
  int64_t Int(size_t row, size_t column) const { return At(row, column).number; }
  const std::string& Bytes(size_t row, size_t column) const { return At(row, column).bytes; }
  bool IsNull(size_t row, size_t column) const { return At(row, column).null; }
  // The cell's string, moved out (large values need not be copied again).
  std::string TakeBytes(size_t row, size_t column) {
    return std::move(cells_[row * columns_ + column].bytes);
  }

  // For the databases' wrappers, which fill it row by row, column by column.
  void AddNull() { cells_.push_back({}); }
  void AddInt(int64_t v) { cells_.push_back({false, v, {}}); }
  void AddBytes(std::string v) { cells_.push_back({false, 0, std::move(v)}); }

 private:
  struct Cell {
    bool null = true;
    int64_t number = 0;
    std::string bytes;
  };
  const Cell& At(size_t row, size_t column) const { return cells_[row * columns_ + column]; }

  size_t columns_;
  std::vector<Cell> cells_;
};

// A connection that runs statements. Not thread-safe: callers serialize use.
class SqlDb {
 public:
  virtual ~SqlDb() = default;

  // Runs one statement with `params` bound to $1, $2, … and returns its rows.
  // A constraint the statement breaks is InvalidArgument; a connection the
  // server dropped is Unavailable.
  virtual Result<SqlRows> Query(std::string_view sql, const std::vector<SqlParam>& params) = 0;
  Result<SqlRows> Query(std::string_view sql) { return Query(sql, {}); }
  // Runs `statements` in order and stops at the first that fails: OK only
  // when every one succeeded. PostgreSQL sends them in one round trip.
  virtual Status RunAll(const std::vector<SqlStatement>& statements) = 0;
};

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_SQL_DB_H_
