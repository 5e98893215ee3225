// A thin RAII layer over libmariadb (MariaDB Connector/C) for the mysql connector: one connection
// (MysqlDb) and its prepared statements (MysqlStmt), with values bound as parameters and results
// converted to concord Values without loss. Nothing here knows about tables, capture or
// changelogs; that is mysql_connection.h's job.
//
// Why by hand: Connector/C is the library (Debian's libmariadb-dev, speaking both the MariaDB and
// the MySQL 8 wire protocol); what is written here is only the glue between its MYSQL_BIND
// buffers and Value, which no Debian package provides.
//
// Values read (see Column()): integers → Int (BIGINT UNSIGNED above INT64_MAX → Text, exact);
// DECIMAL → Text exactly as the server prints it; FLOAT/DOUBLE → Real (FLOAT via its shortest
// decimal form, so FLOAT 0.1 reads as 0.1); DATE → "YYYY-MM-DD"; DATETIME/TIMESTAMP →
// "YYYY-MM-DDTHH:MM:SS" plus as many fraction digits as the column declares; TIME →
// "[-]HH:MM:SS[.f]"; BIT → Int; character data (incl. JSON, ENUM, SET) → Text; binary data →
// Blob. Values bound: Null, Int (BIGINT), Real (DOUBLE), Text (string in the connection's
// utf8mb4), Blob (binary string, never checked as text).
//
// Errors: every failure is a Status whose code comes from CodeForError (one table), whose message
// is the server's or client's, and whose number is kept in last_error() for callers that rewrite
// messages (unknown table/column). The record path does not throw: Connector/C is C.
//
// Threading: a MysqlDb and its statements are used by one thread at a time. Ownership: MysqlDb
// owns the MYSQL handle; a MysqlStmt must not outlive the MysqlDb that prepared it.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/value.h"

namespace concord::mysql_connector {

enum class TlsMode { kDisabled, kRequired, kVerifyIdentity };

struct ConnectOptions {
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string socket;  // when set, used instead of host/port
  std::string user;    // empty: the client library's default (the OS user)
  std::string password;
  std::string database;
  unsigned connect_timeout_s = 10;
  unsigned read_timeout_s = 0;  // network read/write timeout; 0: none
  TlsMode tls = TlsMode::kDisabled;
  std::string ssl_ca;  // CA file for kVerifyIdentity (empty: the system's CAs)
};

// The number and text of the last failed call (0 when the last call succeeded).
struct MysqlError {
  unsigned number = 0;
  std::string message;
};

// The one place that maps MariaDB/MySQL error numbers to concord codes: connection lost, lock
// wait timeout, deadlock, server shutting down → Unavailable (retryable); unknown table/column/
// database → NotFound; data errors (too long, out of range, incorrect value, NULL into NOT NULL,
// duplicate key, foreign key, CHECK) → InvalidArgument; access denied → PermissionDenied; bad
// password → Unauthenticated; too many connections, disk full → ResourceExhausted; statement
// time limit → DeadlineExceeded; anything else from the server → Internal (a bug in concord's
// SQL), anything else from the client library → Unavailable.
Code CodeForError(unsigned number);

class MysqlDb;

// How the rows of a statement come to the client.
enum class RowDelivery {
  // All read into a client-side buffer when the statement executes (mysql_stmt_store_result):
  // other statements may run on the connection before the rows are fetched.
  kStored,
  // Read from the server as Fetch() asks for them, never copied into a buffer: cheaper for a
  // large result that is read straight through, but no other statement may run on the
  // connection until Fetch() has returned false or failed (or the statement executes again).
  kStreamed,
};

// One prepared statement. Execute() binds the parameters and runs it; the rows of a statement
// that returns rows are fetched as its RowDelivery says.
class MysqlStmt {
 public:
  ~MysqlStmt();
  MysqlStmt(const MysqlStmt&) = delete;
  MysqlStmt& operator=(const MysqlStmt&) = delete;

  // Binds `params` (their count must equal the statement's placeholders) and executes. Rows of a
  // previous execution that were not fetched are discarded first.
  Status Execute(const std::vector<Value>& params,
                 RowDelivery delivery = RowDelivery::kStored);
  // Moves to the next row: true when there is one, false at the end.
  Result<bool> Fetch();
  int ColumnCount() const;
  const std::string& ColumnName(int i) const;
  // The column indexes ordered by name (stable: equal names keep their order), so a Row can be
  // filled at its end instead of searched per column.
  const std::vector<int>& ColumnsByName() const { return by_name_; }
  // The value of column `i` of the current row (valid after Fetch() returned true).
  Value Column(int i) const;

  uint64_t AffectedRows() const;  // rows matched (the connection sets CLIENT_FOUND_ROWS)
  uint64_t InsertId() const;      // the AUTO_INCREMENT value the last insert generated, or 0

 private:
  friend class MysqlDb;
  struct Out;
  MysqlStmt(MysqlDb* db, MYSQL_STMT* stmt);
  Status SetUpResult();
  Status Fail();

  MysqlDb* db_;
  MYSQL_STMT* stmt_;
  std::vector<Out> out_;
  std::vector<MYSQL_BIND> out_binds_;
  std::vector<int> by_name_;
  bool result_bound_ = false;
};

class MysqlDb {
 public:
  // Connects with utf8mb4, CLIENT_FOUND_ROWS and no automatic reconnect. LOCAL INFILE is on, but
  // served only by LoadLocal from memory: a server's request for a local file at any other time
  // is refused, and no file is ever read.
  // `label` (the system name) prefixes the message on failure, which names host/port or socket
  // and user but never the password.
  static Result<std::unique_ptr<MysqlDb>> Connect(const ConnectOptions& options,
                                                  const std::string& label);
  ~MysqlDb();
  MysqlDb(const MysqlDb&) = delete;
  MysqlDb& operator=(const MysqlDb&) = delete;

  // Runs SQL without parameters over the text protocol (DDL, transaction control) and discards
  // any result. Only for statements whose text holds no record value.
  Status Exec(std::string_view sql);
  Result<std::unique_ptr<MysqlStmt>> Prepare(std::string_view sql);
  // Prepare + Execute + every row, for small one-off queries.
  Result<std::vector<std::vector<Value>>> Query(std::string_view sql,
                                                const std::vector<Value>& params = {});
  // Prepare + Execute; returns the rows matched.
  Result<uint64_t> Run(std::string_view sql, const std::vector<Value>& params = {});

  // Runs `sql`, a LOAD DATA LOCAL INFILE statement, sending `data` as the file the server asks
  // for (whatever name the statement gives; nothing is read from disk). Fails like Exec; when
  // the server (or its `local_infile` setting) refuses LOCAL, the error is 1148 or 4166
  // (IsLocalInfileRefused).
  Status LoadLocal(std::string_view sql, std::string_view data);
  static bool IsLocalInfileRefused(unsigned error_number) {
    return error_number == 1148 || error_number == 4166;
  }

  // The warnings and notes of the last statement (SHOW WARNINGS; nothing is sent when the
  // server reported none). Strict mode makes most lossy writes errors, but not all: DECIMAL
  // rounding of extra fraction digits is only a note (1265).
  Result<std::vector<MysqlError>> Warnings();
  // A Status for a warning that the caller treats as an error, recorded as the last error.
  Status FailWith(const MysqlError& warning) {
    return Fail(warning.number, warning.message.c_str());
  }

  const MysqlError& last_error() const { return last_error_; }
  // Puts back an error saved before a best-effort call (ROLLBACK) that would have cleared it.
  void RestoreError(MysqlError e) { last_error_ = std::move(e); }
  bool is_mariadb() const { return is_mariadb_; }
  std::string server_version() const;
  unsigned long thread_id();
  MYSQL* raw() { return mysql_; }

 private:
  friend class MysqlStmt;
  explicit MysqlDb(MYSQL* mysql) : mysql_(mysql) {}
  // Records the error and returns it as a Status (code from CodeForError).
  Status Fail(unsigned number, const char* message);
  void ClearError() { last_error_.number = 0; }

  MYSQL* mysql_;
  MysqlError last_error_;
  bool is_mariadb_ = false;
  // What LoadLocal is sending (nullptr outside it): the local-infile handler serves only this.
  struct Infile {
    std::string_view data;
    size_t sent = 0;
  };
  Infile* infile_ = nullptr;
  friend struct InfileHandler;
};

}  // namespace concord::mysql_connector
