// A thin RAII layer over libpq for the postgres connector: connect with the session settings the
// value conversions rely on (UTC, ISO dates, hex bytea), run statements with text parameters
// (never values pasted into SQL), prepared statements, pipelines, and one mapping from SQLSTATE
// to concord Status codes (connection lost, serialization failure → Unavailable, so the engine
// retries; undefined table/column → NotFound; constraint and data errors → InvalidArgument, so
// the record goes to the DLQ; insufficient privilege → PermissionDenied).
//
// Threading: a PgConn belongs to one thread. It never prints or returns the password.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef unsigned int Oid;

namespace concord::postgres_connector {

struct PgResultDeleter {
  void operator()(PGresult* r) const;
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// One statement parameter in text format; nullopt is SQL NULL.
using PgParam = std::optional<std::string>;

// What the server said about the last failed statement (all fields may be empty).
struct PgError {
  std::string sqlstate;  // "23505"; empty when the failure was the connection's, not a statement's
  std::string message;   // primary message, e.g. `value too long for type character varying(3)`
  std::string detail;
  std::string hint;
  std::string schema, table, column, constraint, datatype;
};

// The Status code for an SQLSTATE. Empty (no server error: the connection failed) → Unavailable.
Code PgCodeForSqlstate(std::string_view sqlstate);

class PgConn {
 public:
  struct Options {
    std::string url;       // postgresql://user@host:port/db
    std::string password;  // empty: from the URL, ~/.pgpass or none
    int connect_timeout_s = 10;
    int statement_timeout_ms = 60000;  // 0: none
    std::string sslmode;               // empty: libpq's default (prefer)
    std::string sslrootcert;
    std::string application_name = "concord";  // unless the URL names one
    bool replication = false;  // a logical replication connection (replication=database)
  };

  // Connects and prepares the session (TimeZone UTC, DateStyle ISO, bytea hex, ...). `label`
  // prefixes error messages ("erp"). Unavailable when the server cannot be reached,
  // Unauthenticated when it refuses the login, NotFound when the database does not exist.
  static Result<std::unique_ptr<PgConn>> Connect(const Options& options, const std::string& label);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs `sql` with the simple protocol (no parameters; may hold several statements).
  Status Exec(const std::string& sql);
  // Runs one statement. `types` (may be empty, or one per parameter; 0 lets the server infer).
  Result<PgResult> Query(const std::string& sql, const std::vector<PgParam>& params = {},
                         const std::vector<Oid>& types = {});
  // Prepares `sql` as statement `name` (per session), then runs prepared statements.
  Status Prepare(const std::string& name, const std::string& sql, const std::vector<Oid>& types);
  Result<PgResult> QueryPrepared(const std::string& name, const std::vector<PgParam>& params);

  // The Status for a failed result (or, with nullptr, for the connection's last error), with
  // `context` prefixed. Records the details in last_error().
  Status ErrorOf(const PGresult* result, std::string_view context);
  const PgError& last_error() const { return last_error_; }

  // True once the connection is unusable (socket closed, server gone): every later call fails
  // with Unavailable, and the owner should drop and reopen it.
  bool broken() const;
  // "in transaction" and "failed transaction" both count.
  bool in_transaction() const;
  int server_version() const;  // 150004 for 15.4
  std::string user() const;    // the role we are logged in as
  PGconn* raw() { return conn_; }
  const std::string& label() const { return label_; }

 private:
  PgConn(PGconn* conn, std::string label) : conn_(conn), label_(std::move(label)) {}
  // Checks `r`: OK for command/tuple results, else the error Status.
  Result<PgResult> Check(PGresult* r);

  PGconn* conn_;
  std::string label_;
  PgError last_error_;
};

// "name" with embedded double quotes doubled: always quoted, so the name is taken exactly as
// written (case and all). Hand-written instead of PQescapeIdentifier because it needs no
// connection and no malloc/free, and for UTF-8 (the only client encoding concord uses) doubling
// quotes is the whole rule.
std::string QuoteIdent(std::string_view ident);

// 32-bit FNV-1a: the short, stable hash in the names concord gives its own database objects
// (capture functions, replication slots). Installed objects carry it, so it must never change.
uint32_t Fnv1a(std::string_view s);
// A string literal for DDL (trigger function bodies), which cannot take parameters. Only concord's
// own names go through this, never record values. With a backslash the E'' form is used, which
// reads the same whatever standard_conforming_strings the session that runs the body has.
std::string QuoteLiteral(std::string_view s);

}  // namespace concord::postgres_connector
