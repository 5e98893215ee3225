// A thin RAII layer over the SQLite C API shared by the sqlite connector and the state store:
// open with WAL and a busy timeout, prepared statements with bound Values, and one mapping from
// SQLite result codes to concord Status codes (busy/locked → Unavailable, so the engine retries;
// no such table/column → NotFound; constraint → InvalidArgument; full → ResourceExhausted;
// corrupt → DataLoss).
//
// Threading: a SqliteDb and its statements belong to one thread. Values are always bound, never
// pasted into SQL; identifiers go through QuoteIdent.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace concord {

// "name" with embedded quotes doubled; "main"."t" for schema-qualified names is the caller's job.
std::string QuoteIdent(std::string_view ident);

class SqliteStmt {
 public:
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStmt(SqliteStmt&& o) noexcept;
  SqliteStmt& operator=(SqliteStmt&& o) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  ~SqliteStmt();

  // Binds 1-based parameter `i`.
  Status Bind(int i, const Value& v);
  Status BindAll(const std::vector<Value>& values);  // parameters 1..n
  // Advances: true when a row is available, false when done.
  Result<bool> Step();
  // Runs to completion, discarding rows.
  Status Run();
  Status Reset();  // reset and clear bindings, ready for reuse

  int ColumnCount() const;
  std::string ColumnName(int i) const;
  Value Column(int i) const;  // 0-based
  int64_t ColumnInt(int i) const;
  std::string ColumnText(int i) const;
  // The column's bytes as a blob, valid until the next Step or reset (no copy).
  std::string_view ColumnBytes(int i) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  struct Options {
    bool create = true;  // create the file when missing (false: NotFound when missing)
    bool read_only = false;
    bool wal = true;             // journal_mode=WAL
    int busy_timeout_ms = 5000;  // how long to wait for another writer before Unavailable
    // The page size of a file created now (0: SQLite's default, 4,096); an existing file keeps
    // its own.
    int page_size = 0;
  };
  // `label` names the database in error messages ("crm", "state").
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, const Options& options,
                                                const std::string& label);
  ~SqliteDb();

  Status Exec(const std::string& sql);  // one or more statements, no parameters
  Result<SqliteStmt> Prepare(const std::string& sql);
  // Runs `sql` with `params`, discarding rows.
  Status Run(const std::string& sql, const std::vector<Value>& params = {});
  // First column of the first row, or nullopt when no row.
  Result<std::optional<Value>> QueryValue(const std::string& sql,
                                          const std::vector<Value>& params = {});

  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  sqlite3* raw() { return db_; }
  const std::string& label() const { return label_; }
  const std::string& path() const { return path_; }

  // The Status for the connection's last error, with `context` prefixed.
  Status LastError(int rc, std::string_view context) const;

 private:
  SqliteDb(sqlite3* db, std::string path, std::string label)
      : db_(db), path_(std::move(path)), label_(std::move(label)) {}
  sqlite3* db_;
  std::string path_;
  std::string label_;
};

// Maps an SQLite result code (primary or extended) and message to a Status.
Status SqliteStatus(int rc, std::string_view message);

}  // namespace concord
