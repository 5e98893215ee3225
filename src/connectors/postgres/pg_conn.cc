// libpq RAII and error mapping for the postgres connector; see pg_conn.h.
#include "connectors/postgres/pg_conn.h"

#include <libpq-fe.h>

#include <string>
#include <vector>

namespace concord::postgres_connector {
namespace {

void IgnoreNotice(void*, const char*) {}  // connectors do not log; NOTICEs carry nothing we need

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Field(const PGresult* r, int field) {
  const char* v = PQresultErrorField(r, field);
  return v ? v : "";
}

// A connection failure is reported by libpq as text only; its wording is stable across versions.
Code ConnectFailureCode(const std::string& message) {
  for (std::string_view s : {"password authentication failed", "no password supplied",
                             "authentication failed", "pg_hba.conf rejects", "role \""}) {
    if (message.find(s) != std::string::npos) return Code::kUnauthenticated;
  }
  if (message.find("database \"") != std::string::npos &&
      message.find("does not exist") != std::string::npos) {
    return Code::kNotFound;
  }
  if (message.find("invalid") != std::string::npos &&
      message.find("connection") == std::string::npos) {
    return Code::kInvalidArgument;  // e.g. invalid sslmode value, invalid URI
  }
  return Code::kUnavailable;
}

// "host:port/db" for messages (never the password, which libpq keeps out of its own messages).
std::string Where(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (err) PQfreemem(err);
  if (!opts) return "";
  std::string host, port, db;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    std::string_view k = o->keyword;
    if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") db = o->val;
  }
  PQconninfoFree(opts);
  std::string out = host.empty() ? "localhost" : host;
  if (!port.empty()) out += ":" + port;
  if (!db.empty()) out += "/" + db;
  return out;
}

}  // namespace

void PgResultDeleter::operator()(PGresult* r) const { PQclear(r); }

Code PgCodeForSqlstate(std::string_view s) {
  if (s.size() != 5) return Code::kUnavailable;  // no server error: the connection failed
  std::string_view cls = s.substr(0, 2);
  if (cls == "08") return Code::kUnavailable;  // connection exception
  if (cls == "40") return Code::kUnavailable;  // serialization failure, deadlock: retry the batch
  if (s == "57014") return Code::kDeadlineExceeded;  // statement_timeout
  if (cls == "57") return Code::kUnavailable;  // shutting down, terminated, cannot connect now
  if (s == "55P03" || s == "55006") return Code::kUnavailable;  // lock not available, in use
  if (cls == "53") return Code::kResourceExhausted;  // disk full, out of memory, too many conns
  if (cls == "58" || cls == "72") return Code::kUnavailable;  // I/O error, snapshot too old
  if (cls == "28") return Code::kUnauthenticated;
  if (s == "42501") return Code::kPermissionDenied;
  if (s == "42P01" || s == "42703" || s == "42883" || s == "42704" || s == "3D000" ||
      s == "3F000") {
    return Code::kNotFound;  // undefined table, column, function, object, database, schema
  }
  if (cls == "XX") return Code::kInternal;
  if (s == "25P02") return Code::kInternal;  // a statement after an error in a transaction: a bug
  // 22 data exception, 23 constraint violation, 42 syntax/type errors, P0 an application
  // trigger's RAISE, 44 check option, 0A not supported...: the record is refused as it is.
  return Code::kInvalidArgument;
}

uint32_t Fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string QuoteIdent(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteLiteral(std::string_view s) {
  bool backslash = s.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const Options& o, const std::string& label) {
  std::vector<const char*> keys = {"dbname"};
  std::vector<const char*> values = {o.url.c_str()};
  std::string timeout = std::to_string(o.connect_timeout_s);
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    keys.push_back(k);
    values.push_back(v.c_str());
  };
  // Parameters after dbname override what the URL says.
  add("password", o.password);
  add("connect_timeout", timeout);
  add("sslmode", o.sslmode);
  add("sslrootcert", o.sslrootcert);
  add("fallback_application_name", o.application_name);
  // add() keeps pointers into its arguments: no temporaries.
  static const std::string kUtf8 = "UTF8", kDatabase = "database";
  add("client_encoding", kUtf8);
  if (o.replication) add("replication", kDatabase);
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Internal(label + ": libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Trim(PQerrorMessage(conn));
    PQfinish(conn);
    // libpq says what failed; these say what to change.
    if (msg.find("certificate verify failed") != std::string::npos) {
      msg += " (sslrootcert must hold the CA that signed the server's certificate)";
    } else if (msg.find("server does not support SSL") != std::string::npos) {
      msg += " (the server has ssl = off: turn it on, or lower sslmode to prefer)";
    }
    return Status(ConnectFailureCode(msg),
                  label + ": cannot connect to PostgreSQL at " + Where(o.url) + ": " + msg);
  }
  PQsetNoticeProcessor(conn, &IgnoreNotice, nullptr);
  std::unique_ptr<PgConn> pg(new PgConn(conn, label));
  // The value conversions depend on these: timestamptz in UTC ("…Z"), dates as YYYY-MM-DD,
  // bytea as hex, shortest exact floats; and literals in concord's DDL read the standard way.
  Status s = pg->Exec(
      "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
      "SET bytea_output = 'hex'; SET extra_float_digits = 1; "
      "SET standard_conforming_strings = on; SET client_min_messages = warning; "
      "SET statement_timeout = " +
      std::to_string(o.statement_timeout_ms));
  if (!s.ok()) return s;
  return pg;
}

PgConn::~PgConn() { PQfinish(conn_); }

bool PgConn::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool PgConn::in_transaction() const {
  PGTransactionStatusType t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int PgConn::server_version() const { return PQserverVersion(conn_); }

std::string PgConn::user() const {
  const char* u = PQuser(conn_);
  return u ? u : "";
}

Status PgConn::ErrorOf(const PGresult* r, std::string_view context) {
  last_error_ = PgError();
  std::string prefix = context.empty() ? "" : std::string(context) + ": ";
  if (r == nullptr || PQresultStatus(r) != PGRES_FATAL_ERROR ||
      Field(r, PG_DIAG_SQLSTATE).empty()) {
    std::string msg = r ? Trim(PQresultErrorMessage(r)) : "";
    if (msg.empty()) msg = Trim(PQerrorMessage(conn_));
    if (msg.empty()) msg = "no response from the server";
    last_error_.message = msg;
    if (broken()) {
      return Unavailable(prefix + "connection to the server was lost: " + msg +
                         " (the connection is reopened on the next attempt)");
    }
    return Unavailable(prefix + msg);
  }
  last_error_.sqlstate = Field(r, PG_DIAG_SQLSTATE);
  last_error_.message = Field(r, PG_DIAG_MESSAGE_PRIMARY);
  last_error_.detail = Field(r, PG_DIAG_MESSAGE_DETAIL);
  last_error_.hint = Field(r, PG_DIAG_MESSAGE_HINT);
  last_error_.schema = Field(r, PG_DIAG_SCHEMA_NAME);
  last_error_.table = Field(r, PG_DIAG_TABLE_NAME);
  last_error_.column = Field(r, PG_DIAG_COLUMN_NAME);
  last_error_.constraint = Field(r, PG_DIAG_CONSTRAINT_NAME);
  last_error_.datatype = Field(r, PG_DIAG_DATATYPE_NAME);
  return Status(PgCodeForSqlstate(last_error_.sqlstate), prefix + last_error_.message);
}

Result<PgResult> PgConn::Check(PGresult* raw) {
  PgResult r(raw);
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
  return ErrorOf(r.get(), label_);
}

Status PgConn::Exec(const std::string& sql) {
  Result<PgResult> r = Check(PQexec(conn_, sql.c_str()));
  return r.ok() ? Status::Ok() : r.status();
}

Result<PgResult> PgConn::Query(const std::string& sql, const std::vector<PgParam>& params,
                               const std::vector<Oid>& types) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p ? p->c_str() : nullptr);
  return Check(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()),
                            types.empty() ? nullptr : types.data(), values.data(), nullptr, nullptr,
                            /*resultFormat=*/0));
}

Status PgConn::Prepare(const std::string& name, const std::string& sql,
                       const std::vector<Oid>& types) {
  Result<PgResult> r =
      Check(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()),
                      types.empty() ? nullptr : types.data()));
  return r.ok() ? Status::Ok() : r.status();
}

Result<PgResult> PgConn::QueryPrepared(const std::string& name,
                                       const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p ? p->c_str() : nullptr);
  return Check(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                              nullptr, nullptr, /*resultFormat=*/0));
}

}  // namespace concord::postgres_connector
