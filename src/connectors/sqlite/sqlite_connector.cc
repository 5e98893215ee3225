// The sqlite connector's descriptor, opening a connection, and what the Source and Sink share:
// the statement cache, transactions, error messages and row lookup by key. Capture lives in
// sqlite_capture.cc, writing in sqlite_sink.cc; the design is in README.md.
#include "connectors/sqlite/sqlite_connector.h"
#include "core/did_you_mean.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "connectors/sqlite/sqlite_connection.h"

namespace concord {
namespace sqlite_connector {
namespace {

constexpr std::string_view kPathOption = "path";
constexpr std::string_view kBusyTimeoutOption = "busy_timeout_ms";
constexpr std::string_view kCreateOption = "create";

// Above this many prepared statements the cache is cleared: column sets are normally fixed per
// binding, so reaching it means callers vary them, and re-preparing is cheaper than growing.
constexpr size_t kMaxCachedStatements = 512;


Result<bool> ParseBool(const ConnectionParams& p, std::string_view name, bool def) {
  auto it = p.options.find(std::string(name));
  if (it == p.options.end()) return def;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return InvalidArgument(p.system + ": option " + std::string(name) +
                         ": expected \"true\" or \"false\", found \"" + it->second + "\"");
}

Result<int> ParseMillis(const ConnectionParams& p, std::string_view name, int def) {
  auto it = p.options.find(std::string(name));
  if (it == p.options.end()) return def;
  const std::string& s = it->second;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) {
    return InvalidArgument(p.system + ": option " + std::string(name) +
                           ": expected a whole number of milliseconds from 0 to " +
                           std::to_string(INT_MAX) + ", found \"" + s + "\"");
  }
  return v;
}

// "main.accounts" → "accounts", "t.nme" → "nme" (t is the alias lookups use).
std::string StripQualifier(std::string name, std::string_view table) {
  for (const std::string& prefix :
       {std::string("main."), std::string("t."), std::string(table) + "."}) {
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
      name.erase(0, prefix.size());
    }
  }
  return name;
}

Result<std::unique_ptr<Connection>> OpenConnection(const ConnectionParams& params) {
  return SqliteConnection::Open(params);
}

}  // namespace

std::string QuoteLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}



// --- SqliteConnection ---

Result<std::unique_ptr<Connection>> SqliteConnection::Open(const ConnectionParams& params) {
  const std::string& sys = params.system;
  std::vector<std::string> allowed = {std::string(kPathOption), std::string(kBusyTimeoutOption),
                                      std::string(kCreateOption)};
  for (const auto& [name, value] : params.options) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string msg = sys + ": unknown option \"" + name + "\" for connector sqlite";
    std::string near = ClosestMatch(std::string(name), allowed);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    msg += "; allowed: path, busy_timeout_ms, create";
    return InvalidArgument(msg);
  }
  auto path_it = params.options.find(std::string(kPathOption));
  if (path_it == params.options.end() || path_it->second.empty()) {
    return InvalidArgument(sys +
                           ": option \"path\" is required (the SQLite database file, "
                           "relative to the directory of concord.yaml)");
  }
  ASSIGN_OR_RETURN(bool create, ParseBool(params, kCreateOption, false));
  ASSIGN_OR_RETURN(int busy_timeout_ms, ParseMillis(params, kBusyTimeoutOption, 5000));

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path path(path_it->second);
  if (path.is_relative() && !params.base_dir.empty()) path = fs::path(params.base_dir) / path;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  abs = abs.lexically_normal();
  if (!create && !fs::exists(abs, ec)) {
    return NotFound(sys + ": database file \"" + abs.string() + "\" does not exist");
  }

  SqliteDb::Options options;
  options.create = create;
  options.busy_timeout_ms = busy_timeout_ms;
  options.wal = true;
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(abs.string(), options, sys));
  // Without this, a double-quoted identifier that names no column silently becomes a string
  // literal (SQLite's legacy "DQS" misfeature): a renamed column would read as its own name
  // instead of failing with NotFound.
  sqlite3_db_config(db->raw(), SQLITE_DBCONFIG_DQS_DML, 0, static_cast<int*>(nullptr));
  // SqliteDb::Open selects synchronous=NORMAL with WAL, which may lose the last commits on power
  // loss. The engine acknowledges a source's changes once Apply returned, so a commit here must
  // survive power loss (guarantee 1); FULL costs one fsync per Apply batch.
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  return std::unique_ptr<Connection>(new SqliteConnection(sys, std::move(db)));
}

Result<std::vector<ColumnInfo>> SqliteConnection::DescribeTable(const std::string& table) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   db_->Prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)"));
  RETURN_IF_ERROR(stmt.Bind(1, Value::Text(table)));
  std::vector<ColumnInfo> out;
  while (true) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status().WithContext(system_);
    if (!*row) break;
    ColumnInfo c;
    c.name = stmt.ColumnText(0);
    c.declared_type = stmt.ColumnText(1);
    c.not_null = stmt.ColumnInt(2) != 0;
    c.primary_key = stmt.ColumnInt(3) > 0;
    out.push_back(std::move(c));
  }
  if (out.empty()) return NotFound(system_ + ": table \"" + table + "\" does not exist");
  return out;
}

Result<std::vector<std::string>> SqliteConnection::ListTables() {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   db_->Prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                "AND name NOT LIKE '\\_concord\\_%' ESCAPE '\\' ORDER BY name"));
  std::vector<std::string> out;
  while (true) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status().WithContext(system_);
    if (!*row) break;
    out.push_back(stmt.ColumnText(0));
  }
  return out;
}

Result<SqliteStmt*> SqliteConnection::PrepareAndCache(const std::string& signature,
                                                      const std::string& sql) {
  ASSIGN_OR_RETURN(SqliteStmt stmt, db_->Prepare(sql));
  if (cache_.size() >= kMaxCachedStatements) cache_.clear();
  auto owned = std::make_unique<SqliteStmt>(std::move(stmt));
  SqliteStmt* raw = owned.get();
  cache_.emplace(signature, std::move(owned));
  return raw;
}

Status SqliteConnection::TableError(const Status& s, std::string_view table,
                                    std::string_view suffix) {
  std::string msg = s.message();
  // SqliteDb prefixes some messages with the system name; the context below says it again.
  std::string label_prefix = system_ + ": ";
  if (msg.rfind(label_prefix, 0) == 0) msg.erase(0, label_prefix.size());

  auto with_did_you_mean = [&](const std::string& column) {
    std::string out = "column \"" + column + "\" does not exist";
    auto columns = DescribeTable(std::string(table));
    if (columns.ok()) {
      std::vector<std::string> names;
      for (const ColumnInfo& c : *columns) names.push_back(c.name);
      std::string near = ClosestMatch(std::string(column), names);
      if (!near.empty()) out += " (did you mean \"" + near + "\"?)";
    }
    return out;
  };

  static constexpr std::string_view kNoTable = "no such table: ";
  static constexpr std::string_view kNoColumn = "no such column: ";
  std::string has_no_column = "has no column named ";
  if (msg.rfind(kNoTable, 0) == 0) {
    msg = "table \"" + StripQualifier(msg.substr(kNoTable.size()), table) + "\" does not exist";
  } else if (msg.rfind(kNoColumn, 0) == 0) {
    msg = with_did_you_mean(StripQualifier(msg.substr(kNoColumn.size()), table));
  } else if (size_t at = msg.find(has_no_column);
             msg.rfind("table ", 0) == 0 && at != std::string::npos) {
    msg = with_did_you_mean(msg.substr(at + has_no_column.size()));
  }
  return Status(s.code(), system_ + "." + std::string(table) + ": " + msg + std::string(suffix));
}

Status SqliteConnection::Begin(bool immediate) {
  return db_->Exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Status SqliteConnection::Commit() { return db_->Exec("COMMIT"); }

void SqliteConnection::Rollback() {
  if (sqlite3_get_autocommit(db_->raw())) return;  // SQLite already rolled back
  db_->Exec("ROLLBACK").IgnoreError();
}

Status SqliteConnection::CheckTableRef(const TableRef& t) const {
  if (t.table.empty()) return InvalidArgument(system_ + ": table name is empty");
  if (t.key_columns.empty()) {
    return InvalidArgument(system_ + "." + t.table + ": no key columns given");
  }
  return Status::Ok();
}

std::string SqliteConnection::SelectList(const TableRef& t, std::string_view prefix) {
  std::string out;
  for (const std::string& k : t.key_columns) {
    if (!out.empty()) out += ", ";
    out += std::string(prefix) + QuoteIdent(k);
  }
  if (t.columns.empty()) {
    out += ", " + std::string(prefix) + "*";
    return out;
  }
  for (const std::string& c : t.columns) {
    if (std::find(t.key_columns.begin(), t.key_columns.end(), c) != t.key_columns.end()) continue;
    out += ", " + std::string(prefix) + QuoteIdent(c);
  }
  return out;
}

Row SqliteConnection::ReadRow(const SqliteStmt& stmt, int first) {
  Row row;
  int n = stmt.ColumnCount();
  row.reserve(n > first ? n - first : 0);
  for (int i = first; i < n; ++i) row.emplace(stmt.ColumnName(i), stmt.Column(i));
  return row;
}

Result<bool> SqliteConnection::TableExists(std::string_view name) {
  ASSIGN_OR_RETURN(
      SqliteStmt * stmt, Cached("exists", [] {
        return std::string(
            "SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?");
      }));
  ScopedReset reset(stmt);
  RETURN_IF_ERROR(stmt->Bind(1, Value::Text(std::string(name))));
  return stmt->Step();
}

Result<std::vector<std::optional<Row>>> SqliteConnection::LookupRows(const TableRef& t,
                                                                     const std::vector<Key>& keys) {
  std::vector<std::optional<Row>> out(keys.size());
  const size_t nk = t.key_columns.size();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].size() != nk) {
      return InvalidArgument(system_ + "." + t.table + ": a key has " +
                             std::to_string(keys[i].size()) + " values, the table's key has " +
                             std::to_string(nk) + " columns");
    }
  }
  // One query per chunk: the keys travel as a VALUES list numbered by position and are joined to
  // the table, so each result row says which key it answers (exact even where affinity makes
  // "17" find 17) and the key's index serves each probe.
  std::string select = SelectList(t, "t.");
  std::string on;
  for (size_t k = 0; k < nk; ++k) {
    if (k) on += " AND ";
    on += "t." + QuoteIdent(t.key_columns[k]) + " = v.column" + std::to_string(k + 2);
  }
  for (size_t begin = 0; begin < keys.size(); begin += kMaxKeysPerQuery) {
    size_t end = std::min(keys.size(), begin + kMaxKeysPerQuery);
    std::string tuple = "(?";
    for (size_t k = 0; k < nk; ++k) tuple += ", ?";
    tuple += ")";
    std::string sql = "SELECT v.column1, " + select + " FROM (VALUES ";
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) sql += ", ";
      sql += tuple;
    }
    sql += ") AS v JOIN " + QuoteIdent(t.table) + " AS t ON " + on;
    Result<SqliteStmt> stmt = db_->Prepare(sql);
    if (!stmt.ok()) return TableError(stmt.status(), t.table);
    int p = 1;
    for (size_t i = begin; i < end; ++i) {
      RETURN_IF_ERROR(stmt->Bind(p++, Value::Int(static_cast<int64_t>(i))));
      for (const Value& v : keys[i]) RETURN_IF_ERROR(stmt->Bind(p++, v));
    }
    while (true) {
      Result<bool> row = stmt->Step();
      if (!row.ok()) return TableError(row.status(), t.table);
      if (!*row) break;
      int64_t i = stmt->ColumnInt(0);
      if (i < 0 || static_cast<size_t>(i) >= keys.size()) continue;
      // A key matching several rows (a key that is not unique) keeps the first.
      if (!out[i]) out[i] = ReadRow(*stmt, 1);
    }
  }
  return out;
}

Result<std::vector<Row>> SqliteConnection::ReadRows(const TableRef& t,
                                                    const std::vector<Key>& keys) {
  RETURN_IF_ERROR(CheckTableRef(t));
  std::vector<Key> distinct;
  std::map<std::string, bool> seen;
  for (const Key& k : keys) {
    if (seen.emplace(EncodeKey(k), true).second) distinct.push_back(k);
  }
  RETURN_IF_ERROR(Begin(/*immediate=*/false));
  Result<std::vector<std::optional<Row>>> rows = LookupRows(t, distinct);
  Status committed = rows.ok() ? Commit() : Status::Ok();
  if (!rows.ok() || !committed.ok()) {
    Rollback();
    return rows.ok() ? TableError(committed, t.table) : rows.status();
  }
  std::vector<Row> out;
  for (auto& r : *rows) {
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace sqlite_connector

const ConnectorDescriptor& SqliteConnectorDescriptor() {
  static const ConnectorDescriptor kDescriptor = {
      .name = "sqlite",
      .description =
          "SQLite database file: trigger capture into a changelog table, "
          "transactional batch writes",
      .options =
          {
              {"path", "database file, relative to the directory of concord.yaml"},
              {"busy_timeout_ms",
               "how long to wait for another writer before reporting the database busy "
               "(default 5000)"},
              {"create",
               "\"true\" creates the file when missing; default \"false\": a missing "
               "file is an error"},
          },
      .required = {"path"},
      .capture_modes = {"trigger", "poll"},
      .open = &sqlite_connector::OpenConnection,
  };
  return kDescriptor;
}

}  // namespace concord
