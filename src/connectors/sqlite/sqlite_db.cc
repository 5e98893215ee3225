#include "connectors/sqlite/sqlite_db.h"

#include <sqlite3.h>

#include <optional>

namespace concord {

std::string QuoteIdent(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Status SqliteStatus(int rc, std::string_view message) {
  std::string m(message);
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Status::Ok();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(m + " (another process holds the database lock; will retry)");
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return Unavailable(m);
    case SQLITE_FULL:
      return Status(Code::kResourceExhausted, m);
    case SQLITE_NOMEM:
      return Status(Code::kResourceExhausted, m);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(m);
    case SQLITE_CANTOPEN:
      return NotFound(m);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return PermissionDenied(m);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return InvalidArgument(m);
    case SQLITE_ERROR:
      if (m.find("no such table") != std::string::npos ||
          m.find("no such column") != std::string::npos ||
          m.find("has no column named") != std::string::npos) {
        return NotFound(m);
      }
      if (m.find("database is locked") != std::string::npos) return Unavailable(m);
      return InvalidArgument(m);
    default:
      return Internal(m);
  }
}

SqliteStmt::SqliteStmt(SqliteStmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

SqliteStmt::~SqliteStmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Status SqliteStmt::Bind(int i, const Value& v) {
  int rc = SQLITE_OK;
  switch (v.kind()) {
    case ValueKind::kNull:
      rc = sqlite3_bind_null(stmt_, i);
      break;
    case ValueKind::kInt:
      rc = sqlite3_bind_int64(stmt_, i, v.int_value());
      break;
    case ValueKind::kReal:
      rc = sqlite3_bind_double(stmt_, i, v.real_value());
      break;
    case ValueKind::kText:
      rc = sqlite3_bind_text(stmt_, i, v.text().data(), static_cast<int>(v.text().size()),
                             SQLITE_TRANSIENT);
      break;
    case ValueKind::kBlob:
      rc = sqlite3_bind_blob(stmt_, i, v.text().data(), static_cast<int>(v.text().size()),
                             SQLITE_TRANSIENT);
      break;
  }
  if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db_));
  return Status::Ok();
}

Status SqliteStmt::BindAll(const std::vector<Value>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    RETURN_IF_ERROR(Bind(static_cast<int>(i) + 1, values[i]));
  }
  return Status::Ok();
}

Result<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
}

Status SqliteStmt::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

Status SqliteStmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return Status::Ok();
}

int SqliteStmt::ColumnCount() const { return sqlite3_column_count(stmt_); }

std::string SqliteStmt::ColumnName(int i) const {
  const char* n = sqlite3_column_name(stmt_, i);
  return n ? n : "";
}

Value SqliteStmt::Column(int i) const {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_NULL:
      return Value::Null();
    case SQLITE_INTEGER:
      return Value::Int(sqlite3_column_int64(stmt_, i));
    case SQLITE_FLOAT:
      return Value::Real(sqlite3_column_double(stmt_, i));
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
      return Value::Text(std::string(p, sqlite3_column_bytes(stmt_, i)));
    }
    default: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
      return Value::Blob(p ? std::string(p, sqlite3_column_bytes(stmt_, i)) : std::string());
    }
  }
}

int64_t SqliteStmt::ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }

std::string SqliteStmt::ColumnText(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  return p ? std::string(p, sqlite3_column_bytes(stmt_, i)) : std::string();
}

std::string_view SqliteStmt::ColumnBytes(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  return p ? std::string_view(static_cast<const char*>(p),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
           : std::string_view();
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, const Options& options,
                                                 const std::string& label) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    if (raw) sqlite3_close(raw);
    return SqliteStatus(rc, label + ": cannot open database file \"" + path + "\": " + msg);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path, label));
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (options.page_size > 0 && !options.read_only) {
    RETURN_IF_ERROR(db->Exec("PRAGMA page_size=" + std::to_string(options.page_size)));
  }
  if (options.wal && !options.read_only) {
    RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL"));
  }
  // Make sure the file really is a database now, not at the first statement.
  RETURN_IF_ERROR(db->Exec("SELECT count(*) FROM sqlite_master"));
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Status SqliteDb::LastError(int rc, std::string_view context) const {
  std::string m(context);
  if (!m.empty()) m += ": ";
  m += sqlite3_errmsg(db_);
  return SqliteStatus(rc, m);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string m = label_ + ": " + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return SqliteStatus(sqlite3_extended_errcode(db_), m);
  }
  return Status::Ok();
}

Result<SqliteStmt> SqliteDb::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return LastError(rc, label_);
  return SqliteStmt(db_, stmt);
}

Status SqliteDb::Run(const std::string& sql, const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare(sql));
  RETURN_IF_ERROR(stmt.BindAll(params));
  Status s = stmt.Run();
  return s.ok() ? s : s.WithContext(label_);
}

Result<std::optional<Value>> SqliteDb::QueryValue(const std::string& sql,
                                                  const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare(sql));
  RETURN_IF_ERROR(stmt.BindAll(params));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Value>();
  return std::optional<Value>(stmt.Column(0));
}

int64_t SqliteDb::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

}  // namespace concord
