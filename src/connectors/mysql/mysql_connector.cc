// The mysql connector's descriptor, opening a connection (options, session settings), and what
// the Source and Sink share: table metadata, the statement cache, transactions, error messages
// and row lookup by key. Capture lives in mysql_capture.cc, writing in mysql_sink.cc; the design
// is in README.md.
#include "connectors/mysql/mysql_connector.h"
#include "core/did_you_mean.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "connectors/mysql/mysql_connection.h"

namespace concord {
namespace mysql_connector {
namespace {

// Above this many prepared statements the cache is cleared: shapes are normally fixed per
// binding, so reaching it means callers vary them, and re-preparing is cheaper than growing
// (each cached statement also holds server memory, limited by max_prepared_stmt_count).
constexpr size_t kMaxCachedStatements = 128;

// Lookups are padded to one of these sizes (repeating the last key), so a table needs at most
// this many prepared lookup statements whatever the batch sizes.
constexpr size_t kLookupSizes[] = {1, 4, 16, 64, 256, kMaxKeysPerQuery};

// Strict: a value that does not fit is an error, never silently truncated or zeroed (guarantee
// 5 sends the record to the DLQ with the server's reason). Set on every session; capture
// triggers keep the mode they were created with.
constexpr std::string_view kSqlMode =
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION";

struct OptionDoc {
  std::string_view name;
  std::string_view doc;
};
constexpr OptionDoc kOptions[] = {
    {"host", "server host name or IP address (default 127.0.0.1)"},
    {"port", "server TCP port (default 3306)"},
    {"socket", "Unix socket path; when set, host and port are not used"},
    {"user", "user name (default: the operating-system user, as the mariadb client does)"},
    {"password", "password; give it as ${ENV} or file:<path> so it is never in the file"},
    {"database", "the database (schema) whose tables the bindings name"},
    {"timezone",
     "time zone of DATETIME/TIMESTAMP values, set as the session time_zone (default +00:00; "
     "an offset like +08:00, or a zone name when the server has its time zone tables)"},
    {"connect_timeout_s", "seconds to wait for the server when connecting (default 10)"},
    {"statement_timeout_ms",
     "longest a statement may run or wait for a lock before it is cancelled and the batch "
     "retried later (default 60000; 0: the server's own limits)"},
    {"ssl_mode",
     "disabled (default), required (encrypted, certificate not checked) or verify_identity "
     "(encrypted, certificate and host name checked)"},
    {"ssl_ca", "CA certificate file for ssl_mode verify_identity (default: the system's CAs)"},
};


Result<unsigned> ParseUnsigned(const ConnectionParams& p, std::string_view name, unsigned def,
                               unsigned min, unsigned max, std::string_view what) {
  auto it = p.options.find(std::string(name));
  if (it == p.options.end()) return def;
  const std::string& s = it->second;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    return InvalidArgument(p.system + ": option " + std::string(name) + ": expected " +
                           std::string(what) + " from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", found \"" + s + "\"");
  }
  return v;
}

std::string Option(const ConnectionParams& p, std::string_view name, std::string def = "") {
  auto it = p.options.find(std::string(name));
  return it == p.options.end() ? def : it->second;
}

// "shop.accounts" → "accounts"; "t.level" → "level" (t and v are the aliases lookups use).
std::string StripQualifier(std::string name, std::string_view database, std::string_view table) {
  for (const std::string& prefix : {std::string(database) + ".", std::string("t."),
                                    std::string("v."), std::string(table) + "."}) {
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
      name.erase(0, prefix.size());
    }
  }
  return name;
}

// The text between the first quote and `closing` in a server message ("Unknown column 'x' in
// 'field list'" → x), or "" when the message does not have that shape (other languages).
std::string QuotedName(const std::string& message, std::string_view closing) {
  size_t open = message.find('\'');
  if (open == std::string::npos) return "";
  size_t close = closing.empty() ? message.rfind('\'') : message.rfind(closing);
  if (close == std::string::npos || close <= open) return "";
  return message.substr(open + 1, close - open - 1);
}

Result<std::unique_ptr<Connection>> OpenConnection(const ConnectionParams& params) {
  return MysqlConnection::Open(params);
}

}  // namespace

std::string QuoteIdent(std::string_view ident) {
  std::string out = "`";
  for (char c : ident) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
  return out;
}

std::string StringConstant(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "_utf8mb4 X'";
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out + "' COLLATE utf8mb4_bin";
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}



const ColumnMeta* TableMeta::Find(std::string_view column) const {
  for (const ColumnMeta& c : columns) {
    if (EqualsNoCase(c.name, column)) return &c;
  }
  return nullptr;
}

std::vector<std::string> TableMeta::ColumnNames() const {
  std::vector<std::string> out;
  for (const ColumnMeta& c : columns) out.push_back(c.name);
  return out;
}

// --- MysqlConnection ---

Result<std::unique_ptr<Connection>> MysqlConnection::Open(const ConnectionParams& params) {
  const std::string& sys = params.system;
  std::vector<std::string> allowed;
  for (const OptionDoc& o : kOptions) allowed.emplace_back(o.name);
  for (const auto& [name, value] : params.options) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string msg = sys + ": unknown option \"" + name + "\" for connector mysql";
    std::string near = ClosestMatch(std::string(name), allowed);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    msg += "; allowed:";
    for (size_t i = 0; i < allowed.size(); ++i) msg += (i ? ", " : " ") + allowed[i];
    return InvalidArgument(msg);
  }
  ConnectOptions o;
  o.database = Option(params, "database");
  if (o.database.empty()) {
    return InvalidArgument(sys +
                           ": option \"database\" is required (the database whose tables "
                           "the bindings name)");
  }
  o.host = Option(params, "host", "127.0.0.1");
  o.socket = Option(params, "socket");
  o.user = Option(params, "user");
  if (o.user.empty()) {
    // As the mariadb client does: the operating-system user. Chosen here rather than left to
    // the library so that messages name the user actually tried.
    if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
      o.user = pw->pw_name;
    }
  }
  o.password = Option(params, "password");
  ASSIGN_OR_RETURN(o.port, ParseUnsigned(params, "port", 3306, 1, 65535, "a TCP port"));
  ASSIGN_OR_RETURN(o.connect_timeout_s, ParseUnsigned(params, "connect_timeout_s", 10, 1, 3600,
                                                      "a whole number of seconds"));
  ASSIGN_OR_RETURN(unsigned statement_timeout_ms,
                   ParseUnsigned(params, "statement_timeout_ms", 60000, 0, 86400000,
                                 "a whole number of milliseconds"));
  // A server that vanished without closing the connection (host down, network cut) would block
  // a read forever: reads and writes give up a minute after the statement timeout would have.
  if (statement_timeout_ms > 0) o.read_timeout_s = statement_timeout_ms / 1000 + 60;
  std::string ssl_mode = Option(params, "ssl_mode", "disabled");
  if (ssl_mode == "disabled") {
    o.tls = TlsMode::kDisabled;
  } else if (ssl_mode == "required") {
    o.tls = TlsMode::kRequired;
  } else if (ssl_mode == "verify_identity") {
    o.tls = TlsMode::kVerifyIdentity;
  } else {
    return InvalidArgument(sys +
                           ": option ssl_mode: expected disabled, required or "
                           "verify_identity, found \"" +
                           ssl_mode + "\"");
  }
  std::string ssl_ca = Option(params, "ssl_ca");
  if (!ssl_ca.empty()) {
    if (o.tls != TlsMode::kVerifyIdentity) {
      return InvalidArgument(sys +
                             ": option ssl_ca is used only with ssl_mode: verify_identity "
                             "(found ssl_mode: " +
                             ssl_mode + ")");
    }
    namespace fs = std::filesystem;
    fs::path path(ssl_ca);
    if (path.is_relative() && !params.base_dir.empty()) path = fs::path(params.base_dir) / path;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return NotFound(sys + ": option ssl_ca: file \"" + path.string() + "\" does not exist");
    }
    o.ssl_ca = path.string();
  }
  std::string timezone = Option(params, "timezone", "+00:00");
  if (timezone.empty()) {
    return InvalidArgument(sys + ": option timezone is empty; use an offset such as \"+08:00\"");
  }

  ASSIGN_OR_RETURN(std::unique_ptr<MysqlDb> db, MysqlDb::Connect(o, sys));
  // The session, set explicitly rather than inherited from server defaults: utf8mb4 whatever
  // the server's character_set_server; strict sql_mode; DATETIME/TIMESTAMP in the configured
  // time zone; no origin (only Apply sets it, and resets it).
  Status s = db->Exec("SET NAMES utf8mb4");
  if (s.ok()) {
    Result<uint64_t> set =
        db->Run("SET SESSION sql_mode = '" + std::string(kSqlMode) + "', SESSION time_zone = ?, " +
                    std::string(kOriginVariable) + " = NULL",
                {Value::Text(timezone)});
    s = set.status();
    if (!s.ok() && db->last_error().number == 1298) {
      return InvalidArgument(sys + ": option timezone: the server does not know the time zone \"" +
                             timezone +
                             "\"; use an offset such as \"+08:00\", or load the server's time "
                             "zone tables (mariadb-tzinfo-to-sql)");
    }
  }
  if (s.ok() && statement_timeout_ms > 0) {
    // Statements, and waits for row locks (InnoDB) and table metadata locks (DDL such as
    // installing triggers on a busy table), end after the timeout instead of blocking the flow.
    // MariaDB limits every statement (max_statement_time, seconds); MySQL only SELECTs
    // (max_execution_time, ms), so there the lock waits bound the rest.
    int64_t lock_s = std::max<int64_t>(1, (statement_timeout_ms + 999) / 1000);
    Result<uint64_t> set =
        db->is_mariadb()
            ? db->Run(
                  "SET SESSION max_statement_time = ?, SESSION innodb_lock_wait_timeout = ?, "
                  "SESSION lock_wait_timeout = ?",
                  {Value::Real(statement_timeout_ms / 1000.0), Value::Int(lock_s),
                   Value::Int(lock_s)})
            : db->Run(
                  "SET SESSION max_execution_time = ?, SESSION innodb_lock_wait_timeout = ?, "
                  "SESSION lock_wait_timeout = ?",
                  {Value::Int(statement_timeout_ms), Value::Int(lock_s), Value::Int(lock_s)});
    s = set.status();
  }
  if (!s.ok()) return s.WithContext(sys + ": setting up the session");
  return std::unique_ptr<Connection>(
      new MysqlConnection(sys, o.database, std::move(timezone), std::move(db)));
}

Result<const TableMeta*> MysqlConnection::Meta(const std::string& table) {
  auto it = meta_.find(table);
  if (it != meta_.end()) return &it->second;
  Result<std::vector<std::vector<Value>>> cols = db_->Query(
      "SELECT column_name, data_type, column_type, is_nullable, extra, character_set_name, "
      "datetime_precision, column_default IS NULL FROM information_schema.columns "
      "WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
      {Value::Text(table)});
  if (!cols.ok()) return cols.status().WithContext(system_);
  if (cols->empty()) return NotFound(system_ + ": table \"" + table + "\" does not exist");
  TableMeta meta;
  meta.name = table;
  for (const auto& r : *cols) {
    ColumnMeta c;
    c.name = r[0].text();
    c.data_type = r[1].text();
    std::transform(c.data_type.begin(), c.data_type.end(), c.data_type.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    c.column_type = r[2].text();
    c.not_null = r[3].text() == "NO";
    c.auto_increment = r[4].text().find("auto_increment") != std::string::npos;
    static const std::set<std::string> kBinaryTypes = {"binary", "varbinary",  "tinyblob",
                                                       "blob",   "mediumblob", "longblob"};
    c.binary = r[5].is_null() && kBinaryTypes.count(c.data_type) > 0;
    c.datetime_precision = r[6].kind() == ValueKind::kInt ? static_cast<int>(r[6].int_value()) : 0;
    bool generated = r[4].text().find("GENERATED") != std::string::npos;
    c.insert_needs_value = c.not_null && !c.auto_increment && !generated &&
                           r[7].kind() == ValueKind::kInt && r[7].int_value() == 1;
    meta.columns.push_back(std::move(c));
  }
  Result<std::vector<std::vector<Value>>> idx = db_->Query(
      "SELECT index_name, column_name FROM information_schema.statistics "
      "WHERE table_schema = DATABASE() AND table_name = ? AND non_unique = 0 "
      "ORDER BY index_name, seq_in_index",
      {Value::Text(table)});
  if (!idx.ok()) return idx.status().WithContext(system_);
  std::string current;
  for (const auto& r : *idx) {
    const std::string& name = r[0].text();
    if (meta.unique_indexes.empty() || name != current) {
      meta.unique_indexes.emplace_back();
      current = name;
    }
    meta.unique_indexes.back().push_back(r[1].text());
    if (name == "PRIMARY") meta.primary_key.push_back(r[1].text());
  }
  return &meta_.emplace(table, std::move(meta)).first->second;
}

void MysqlConnection::ForgetSchema() {
  meta_.clear();
  cache_.clear();
}

Result<std::vector<ColumnInfo>> MysqlConnection::DescribeTable(const std::string& table) {
  meta_.erase(table);  // always fresh: callers use this to check a binding against the table
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(table));
  std::vector<ColumnInfo> out;
  for (const ColumnMeta& c : meta->columns) {
    ColumnInfo info;
    info.name = c.name;
    info.declared_type = c.column_type;
    info.not_null = c.not_null;
    info.primary_key = std::find(meta->primary_key.begin(), meta->primary_key.end(), c.name) !=
                       meta->primary_key.end();
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<std::string>> MysqlConnection::ListTables() {
  Result<std::vector<std::vector<Value>>> rows = db_->Query(
      "SELECT table_name FROM information_schema.tables "
      "WHERE table_schema = DATABASE() AND table_name NOT LIKE ? ESCAPE '!' "
      "ORDER BY table_name",
      {Value::Text("!_concord!_%")});
  if (!rows.ok()) return rows.status().WithContext(system_);
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r[0].text());
  return out;
}

Result<bool> MysqlConnection::TableExists(std::string_view name) {
  ASSIGN_OR_RETURN(
      MysqlStmt * stmt, Cached("exists", [] {
        return std::string(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND "
            "table_name = ?");
      }));
  RETURN_IF_ERROR(stmt->Execute({Value::Text(std::string(name))}));
  return stmt->Fetch();
}

Result<MysqlStmt*> MysqlConnection::PrepareAndCache(const std::string& signature,
                                                    const std::string& sql) {
  ASSIGN_OR_RETURN(std::unique_ptr<MysqlStmt> stmt, db_->Prepare(sql));
  if (cache_.size() >= kMaxCachedStatements) cache_.clear();
  MysqlStmt* raw = stmt.get();
  cache_.emplace(signature, std::move(stmt));
  return raw;
}

Status MysqlConnection::TableError(const Status& s, std::string_view table,
                                   std::string_view suffix) {
  const std::string ctx = Context(table) + ": ";
  if (s.message().rfind(ctx, 0) == 0) return Status(s.code(), s.message() + std::string(suffix));
  std::string msg = s.message();
  const MysqlError& e = db_->last_error();
  // Only a message that is the server's own is rewritten.
  bool from_server = e.number != 0 && e.message == msg;
  if (from_server && e.number == 1146) {
    std::string name = StripQualifier(QuotedName(msg, "' doesn't exist"), database_, "");
    if (name.empty()) name = std::string(table);
    msg = "table \"" + name + "\" does not exist";
  } else if (from_server && e.number == 1054) {
    std::string column = StripQualifier(QuotedName(msg, "' in '"), database_, table);
    if (!column.empty()) {
      msg = "column \"" + column + "\" does not exist";
      meta_.erase(std::string(table));
      Result<const TableMeta*> meta = Meta(std::string(table));
      if (meta.ok()) {
        std::string near = ClosestMatch(std::string(column), (*meta)->ColumnNames());
        if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
      }
    }
  }
  // The schema may have changed under cached statements and metadata.
  if (s.code() == Code::kNotFound) ForgetSchema();
  return Status(s.code(), ctx + msg + std::string(suffix));
}

Status MysqlConnection::Begin(TxKind kind) {
  return db_->Exec(kind == TxKind::kSnapshot
                       ? "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"
                       : "START TRANSACTION");
}

Status MysqlConnection::Commit() { return db_->Exec("COMMIT"); }

void MysqlConnection::Rollback() {
  // Keep the error that made us roll back: Exec would clear it.
  MysqlError saved = db_->last_error();
  db_->Exec("ROLLBACK").IgnoreError();
  if (saved.number != 0) db_->RestoreError(std::move(saved));
}

Status MysqlConnection::CheckTableRef(const TableRef& t) const {
  if (t.table.empty()) return InvalidArgument(system_ + ": table name is empty");
  if (t.key_columns.empty()) {
    return InvalidArgument(Context(t.table) + ": no key columns given");
  }
  return Status::Ok();
}

std::string MysqlConnection::SelectList(const TableRef& t, std::string_view prefix) {
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
    bool is_key = std::any_of(t.key_columns.begin(), t.key_columns.end(),
                              [&](const std::string& k) { return EqualsNoCase(k, c); });
    if (is_key) continue;
    out += ", " + std::string(prefix) + QuoteIdent(c);
  }
  return out;
}

Row MysqlConnection::ReadRow(const MysqlStmt& stmt, int first) {
  // In name order, the row is built as its sorted sequence: no search per column. A name that
  // comes twice keeps its first column.
  Row::sequence_type columns;
  columns.reserve(stmt.ColumnCount() > first ? stmt.ColumnCount() - first : 0);
  for (int i : stmt.ColumnsByName()) {
    if (i < first) continue;
    const std::string& name = stmt.ColumnName(i);
    if (!columns.empty() && columns.back().first == name) continue;
    columns.emplace_back(name, stmt.Column(i));
  }
  Row row;
  row.adopt_sequence(boost::container::ordered_unique_range, std::move(columns));
  return row;
}

Result<std::vector<std::optional<Row>>> MysqlConnection::LookupRows(const TableRef& t,
                                                                    const std::vector<Key>& keys) {
  std::vector<std::optional<Row>> out(keys.size());
  const size_t nk = t.key_columns.size();
  for (const Key& k : keys) {
    if (k.size() != nk) {
      return InvalidArgument(Context(t.table) + ": a key has " + std::to_string(k.size()) +
                             " values, the table's key has " + std::to_string(nk) + " columns");
    }
  }
  // The keys travel as a derived table numbered by position and joined to the table: each result
  // row says which key it answers, matching is the server's own comparison, and the key's index
  // serves each probe (eq_ref, checked with ANALYZE). MariaDB does not use an index for
  // `(k1, k2) IN ((?, ?), ...)` row lists.
  std::string signature_base = "lookup ";
  AppendSignature(&signature_base, t.table);
  for (const std::string& k : t.key_columns) AppendSignature(&signature_base, k);
  signature_base += "|";
  for (const std::string& c : t.columns) AppendSignature(&signature_base, c);
  for (size_t begin = 0; begin < keys.size(); begin += kMaxKeysPerQuery) {
    size_t end = std::min(keys.size(), begin + kMaxKeysPerQuery);
    size_t n = end - begin;
    size_t padded = kMaxKeysPerQuery;
    for (size_t size : kLookupSizes) {
      if (size >= n) {
        padded = size;
        break;
      }
    }
    Result<MysqlStmt*> stmt = Cached(signature_base + "#" + std::to_string(padded), [&] {
      std::string sql = "SELECT v.i, " + SelectList(t, "t.") + " FROM (SELECT ? AS i";
      for (size_t k = 0; k < nk; ++k) sql += ", ? AS k" + std::to_string(k);
      std::string more = " UNION ALL SELECT ?";
      for (size_t k = 0; k < nk; ++k) more += ", ?";
      for (size_t i = 1; i < padded; ++i) sql += more;
      sql += ") AS v JOIN " + QuoteIdent(t.table) + " AS t ON ";
      for (size_t k = 0; k < nk; ++k) {
        if (k) sql += " AND ";
        sql += "t." + QuoteIdent(t.key_columns[k]) + " = v.k" + std::to_string(k);
      }
      return sql;
    });
    if (!stmt.ok()) return TableError(stmt.status(), t.table);
    std::vector<Value> params;
    params.reserve(padded * (nk + 1));
    for (size_t i = 0; i < padded; ++i) {
      size_t from = begin + std::min(i, n - 1);  // padding repeats the last key
      params.push_back(Value::Int(static_cast<int64_t>(from)));
      for (const Value& v : keys[from]) params.push_back(v);
    }
    Status s = (*stmt)->Execute(params);
    if (!s.ok()) return TableError(s, t.table);
    while (true) {
      Result<bool> row = (*stmt)->Fetch();
      if (!row.ok()) return TableError(row.status(), t.table);
      if (!*row) break;
      Value index = (*stmt)->Column(0);
      if (index.kind() != ValueKind::kInt) continue;
      int64_t i = index.int_value();
      if (i < 0 || static_cast<size_t>(i) >= keys.size()) continue;
      // A key matching several rows (a key that is not unique) keeps the first.
      if (!out[i]) out[i] = ReadRow(**stmt, 1);
    }
  }
  return out;
}

Result<std::vector<Row>> MysqlConnection::ReadRows(const TableRef& t,
                                                   const std::vector<Key>& keys) {
  RETURN_IF_ERROR(CheckTableRef(t));
  std::vector<Key> distinct;
  std::set<std::string> seen;
  for (const Key& k : keys) {
    if (seen.insert(EncodeKey(k)).second) distinct.push_back(k);
  }
  std::vector<Row> out;
  if (distinct.empty()) return out;
  Status s = Begin(TxKind::kSnapshot);
  if (!s.ok()) return TableError(s, t.table);
  Result<std::vector<std::optional<Row>>> rows = LookupRows(t, distinct);
  Status committed = rows.ok() ? Commit() : Status::Ok();
  if (!rows.ok() || !committed.ok()) {
    Rollback();
    return rows.ok() ? TableError(committed, t.table) : rows.status();
  }
  for (auto& r : *rows) {
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace mysql_connector

const ConnectorDescriptor& MysqlConnectorDescriptor() {
  static const ConnectorDescriptor kDescriptor = [] {
    ConnectorDescriptor d;
    d.name = "mysql";
    d.description =
        "MariaDB or MySQL database: trigger capture into a changelog table, transactional "
        "batch writes (INSERT ... ON DUPLICATE KEY UPDATE)";
    for (const auto& o : mysql_connector::kOptions) d.options.emplace_back(o.name, o.doc);
    d.required = {"database"};
    d.capture_modes = {"trigger", "poll"};
    d.open = &mysql_connector::OpenConnection;
    return d;
  }();
  return kDescriptor;
}

}  // namespace concord
