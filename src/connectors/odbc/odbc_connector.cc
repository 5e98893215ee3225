// The odbc connector: options, table metadata from the ODBC catalog (SQLColumns, SQLPrimaryKeys,
// SQLTables), keyset reads, and the transactional sink. SQL is the portable subset every
// database understands; values always travel as bound parameters (odbc_conn.h), identifiers are
// quoted with the driver's SQL_IDENTIFIER_QUOTE_CHAR. See README.md in this folder.
#include "connectors/odbc/odbc_connector.h"

#include <strings.h>

#include <algorithm>
#include <map>
#include <set>

#include "connectors/odbc/odbc_conn.h"
#include "core/did_you_mean.h"

namespace concord {
namespace odbc_connector {
namespace {

constexpr size_t kLookupBatch = 50;  // keys per ReadRows statement (OR of key equalities)

struct ColumnMeta {
  std::string name;
  std::string type_name;  // as the database declares it
  SQLSMALLINT data_type = 0;
  SQLULEN size = 0;
  SQLSMALLINT digits = 0;
  bool not_null = false;
  bool primary_key = false;
};

struct TableMeta {
  std::string quoted;  // "schema"."table" as SQL
  std::string schema, name;  // as the catalog names them (schema "" where there is none)
  std::vector<ColumnMeta> columns;
  const ColumnMeta* Find(std::string_view name) const {
    for (const ColumnMeta& c : columns) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const ColumnMeta& c : columns) out.push_back(c.name);
    return out;
  }
};

// "Driver={MariaDB};Server=h;PWD=secret" → the same without the password, for messages.
std::string Redacted(const std::string& connection_string) {
  std::string out;
  size_t pos = 0;
  while (pos < connection_string.size()) {
    size_t end = connection_string.find(';', pos);
    if (end == std::string::npos) end = connection_string.size();
    std::string part = connection_string.substr(pos, end - pos);
    std::string key = part.substr(0, part.find('='));
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    if (key != "pwd" && key != "password" && !part.empty()) {
      if (!out.empty()) out += ';';
      out += part;
    }
    pos = end + 1;
  }
  return out;
}

// An attribute value for a connection string: braced, so ';' and '=' are taken literally.
std::string Braced(const std::string& v) {
  std::string out = "{";
  for (char c : v) {
    out += c;
    if (c == '}') out += '}';
  }
  return out + "}";
}

class OdbcConnection : public Connection, public Source, public Sink {
 public:
  static Result<std::unique_ptr<Connection>> Open(const ConnectionParams& params);

  Source* source() override { return this; }
  Sink* sink() override { return this; }
  Result<std::vector<ColumnInfo>> DescribeTable(const std::string& table) override;
  Result<std::vector<std::string>> ListTables() override;

  // Source: poll capture only.
  Status InstallCapture(const TableRef& t, std::string_view consumer) override {
    return NoTriggers(t);
  }
  Status RemoveCapture(const TableRef& t, std::string_view consumer) override {
    return Status::Ok();  // nothing was installed
  }
  Result<std::vector<SourceChange>> ReadChanges(const TableRef& t, std::string_view consumer,
                                                size_t max) override {
    return NoTriggers(t);
  }
  Status AckChanges(std::string_view consumer, const std::vector<int64_t>& seqs) override {
    return Status::Ok();
  }
  Result<Backlog> PendingChanges(std::string_view consumer) override { return Backlog{}; }
  Result<std::vector<Row>> ReadChunk(const TableRef& t, const std::optional<Key>& after,
                                     size_t limit) override;
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys) override;
  Result<std::vector<Row>> FindByColumn(const TableRef& t, const std::string& column,
                                        const std::vector<Value>& values) override;
  Result<int64_t> CountRows(const TableRef& t) override;
  Result<int64_t> EstimateRows(const TableRef& t) override;

  // Sink.
  Result<ApplyResult> Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                            std::string_view origin) override;

 private:
  Status NoTriggers(const TableRef& t) const {
    return InvalidArgument(system_ + "." + t.table +
                           ": the odbc connector has no trigger capture; bind the table with "
                           "capture: poll (it needs only SELECT)");
  }
  std::string Context(const TableRef& t) const { return system_ + "." + t.table; }
  Result<const TableMeta*> Meta(const std::string& table);
  Result<const TableMeta*> Meta(const TableRef& t);
  Result<const ColumnMeta*> Column(const TableRef& t, const TableMeta& meta,
                                   std::string_view column);
  Result<std::unique_ptr<OdbcStmt>> Stmt();
  // The select list: key columns first, then t.columns (all columns when empty).
  Result<std::vector<const ColumnMeta*>> SelectColumns(const TableRef& t, const TableMeta& meta);
  Result<std::string> SelectSql(const std::vector<const ColumnMeta*>& cols, const TableMeta& meta);
  // "k1 = ? AND k2 = ?" with the key's values and types appended to params/types.
  Result<std::string> KeyEquals(const TableRef& t, const TableMeta& meta, const Key& key,
                                std::vector<Value>* params,
                                std::vector<OdbcStmt::ParamType>* types);
  Result<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params,
                                 const std::vector<OdbcStmt::ParamType>& types,
                                 const std::string& context);
  std::string LimitClause(size_t limit) const;
  // How the key of a row inserted without it comes back, by SQL_DBMS_NAME.
  enum class KeyReadBack {
    kNone,            // not supported: the binding must map the key columns
    kReturning,       // INSERT ... RETURNING k (PostgreSQL, MariaDB 10.5+, SQLite 3.35+)
    kOutputInserted,  // INSERT ... OUTPUT INSERTED.k VALUES ... (SQL Server)
    kFinalTable,      // SELECT k FROM FINAL TABLE (INSERT ...) (DB2)
    kLastInsertId,    // SELECT LAST_INSERT_ID() after the INSERT (MySQL; one key column)
  };
  KeyReadBack GeneratedKeys(const TableRef& t) const;
  // Inserts `set` into `t` without its key and returns the key the database generated.
  Result<Key> InsertGenerated(OdbcStmt* st, const TableRef& t, const TableMeta& meta,
                              const std::vector<std::pair<const ColumnMeta*, const Value*>>& set,
                              const std::string& ctx);
  // Whether INSERT ... VALUES (...), (...) works (not Oracle before 23, not unknown databases).
  bool MultiRowValues() const;
  // The batched part of Apply: the upserts of rows whose key the table does not hold yet go in as
  // multi-row INSERTs (one SELECT finds which keys exist), those of rows it holds as multi-row
  // UPDATEs (UpdateExistingRows). Marks the ops it wrote in `*done` and their keys in `*keys`;
  // the rest go one by one. Does nothing when two ops share a key.
  Status InsertNewRows(OdbcStmt* st, const TableRef& t, const TableMeta& meta,
                       const std::vector<WriteOp>& ops, std::vector<Key>* keys,
                       std::vector<bool>* done, const std::string& ctx);
  // The updates of rows `members` of `ops` (rows the table holds, each setting `columns`), as
  // UPDATE ... SET c = CASE WHEN <key> THEN ? ... ELSE c END WHERE <keys>, as many rows per
  // statement as 2,000 parameters allow: portable SQL, where array binding is not. A statement
  // that updates fewer rows than it names leaves its ops to the one-by-one path.
  Status UpdateExistingRows(OdbcStmt* st, const TableRef& t, const TableMeta& meta,
                            const std::vector<WriteOp>& ops, const std::vector<Key>& keys,
                            const std::vector<std::string>& columns,
                            const std::vector<size_t>& members, std::vector<bool>* done,
                            const std::string& ctx);
  // Names the column of a data error where the database named none (22001: too long).
  Status WriteError(const Status& s, const TableRef& t, const TableMeta& meta, size_t op_index,
                    const WriteOp& op, const OdbcDiag& diag);

  std::string system_;
  std::string schema_;
  int64_t statement_timeout_ms_ = 60000;
  std::unique_ptr<OdbcConn> conn_;
  std::map<std::string, TableMeta> meta_;
};

OdbcStmt::ParamType TypeOf(const ColumnMeta* c) {
  if (c == nullptr) return {};
  return {c->data_type, c->size, c->digits};
}

Result<std::unique_ptr<Connection>> OdbcConnection::Open(const ConnectionParams& params) {
  const std::string& sys = params.system;
  static const std::vector<std::string> kAllowed = {
      "dsn", "connection_string", "user", "password", "schema", "connect_timeout_s",
      "statement_timeout_ms"};
  for (const auto& [name, value] : params.options) {
    if (std::find(kAllowed.begin(), kAllowed.end(), name) != kAllowed.end()) continue;
    std::string msg = sys + ": unknown option \"" + name + "\" for connector odbc";
    std::string near = ClosestMatch(name, kAllowed);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    return InvalidArgument(msg + "; allowed: dsn, connection_string, user, password, schema, "
                                 "connect_timeout_s, statement_timeout_ms");
  }
  auto opt = [&](const std::string& name) {
    auto it = params.options.find(name);
    return it == params.options.end() ? std::string() : it->second;
  };
  std::string dsn = opt("dsn"), cs = opt("connection_string");
  if (dsn.empty() == cs.empty()) {
    return InvalidArgument(sys + ": connector odbc needs exactly one of dsn (a data source in "
                                 "odbc.ini) and connection_string (\"Driver={...};Server=...\")");
  }
  auto int_opt = [&](const std::string& name, int64_t def, int64_t* out) -> Status {
    std::string v = opt(name);
    if (v.empty()) {
      *out = def;
      return Status::Ok();
    }
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (*end != '\0' || n < 0) {
      return InvalidArgument(sys + ": option " + name + " must be a whole number >= 0, found \"" +
                             v + "\"");
    }
    *out = n;
    return Status::Ok();
  };
  int64_t connect_timeout = 10;
  auto c = std::unique_ptr<OdbcConnection>(new OdbcConnection());
  RETURN_IF_ERROR(int_opt("connect_timeout_s", 10, &connect_timeout));
  RETURN_IF_ERROR(int_opt("statement_timeout_ms", 60000, &c->statement_timeout_ms_));
  c->system_ = sys;
  c->schema_ = opt("schema");
  std::string full = dsn.empty() ? cs : "DSN=" + Braced(dsn);
  std::string display = dsn.empty() ? Redacted(cs) : "DSN=" + dsn;
  if (!opt("user").empty()) full += ";UID=" + Braced(opt("user"));
  if (!opt("password").empty()) full += ";PWD=" + Braced(opt("password"));
  ASSIGN_OR_RETURN(c->conn_, OdbcConn::Connect(sys, full, display,
                                               static_cast<int>(connect_timeout)));
  return std::unique_ptr<Connection>(std::move(c));
}

Result<std::unique_ptr<OdbcStmt>> OdbcConnection::Stmt() {
  ASSIGN_OR_RETURN(std::unique_ptr<OdbcStmt> s, conn_->NewStmt());
  if (statement_timeout_ms_ > 0) {
    SQLULEN seconds = static_cast<SQLULEN>((statement_timeout_ms_ + 999) / 1000);
    SQLSetStmtAttr(s->h(), SQL_ATTR_QUERY_TIMEOUT, reinterpret_cast<SQLPOINTER>(seconds), 0);
  }
  return s;
}

// --- metadata ---

Result<const TableMeta*> OdbcConnection::Meta(const std::string& table) {
  auto cached = meta_.find(table);
  if (cached != meta_.end()) return &cached->second;
  std::string schema = schema_, name = table;
  size_t dot = table.rfind('.');
  if (dot != std::string::npos) {
    schema = table.substr(0, dot);
    name = table.substr(dot + 1);
  }
  // SQLColumns takes a search pattern: escape its wildcards, then keep exact matches only.
  std::string pattern;
  const std::string& esc = conn_->search_escape();
  for (char ch : name) {
    if (!esc.empty() && (ch == '_' || ch == '%' || std::string(1, ch) == esc)) pattern += esc;
    pattern += ch;
  }
  const std::string ctx = system_ + "." + table;
  TableMeta meta;
  std::string found_schema;
  bool have_schema = false;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<OdbcStmt> st, Stmt());
    ASSIGN_OR_RETURN(std::u16string wschema, ToUtf16(schema));
    ASSIGN_OR_RETURN(std::u16string wtable, ToUtf16(pattern));
    SQLRETURN r = SQLColumnsW(
        st->h(), nullptr, 0, schema.empty() ? nullptr : reinterpret_cast<SQLWCHAR*>(wschema.data()),
        static_cast<SQLSMALLINT>(schema.empty() ? 0 : wschema.size()),
        reinterpret_cast<SQLWCHAR*>(wtable.data()), static_cast<SQLSMALLINT>(wtable.size()),
        nullptr, 0);
    if (r != SQL_SUCCESS && r != SQL_SUCCESS_WITH_INFO) {
      return conn_->Error(SQL_HANDLE_STMT, st->h(), ctx + ": reading the table's columns");
    }
    while (true) {
      SQLRETURN f = SQLFetch(st->h());
      if (f == SQL_NO_DATA) break;
      if (f != SQL_SUCCESS && f != SQL_SUCCESS_WITH_INFO) {
        return conn_->Error(SQL_HANDLE_STMT, st->h(), ctx + ": reading the table's columns");
      }
      bool null = false;
      ASSIGN_OR_RETURN(std::string tschema, st->Text(2, &null, ctx));
      ASSIGN_OR_RETURN(std::string tname, st->Text(3, &null, ctx));
      if (tname != name) continue;  // a wildcard-free pattern can still match case-insensitively
      if (!have_schema) {
        found_schema = tschema;
        have_schema = true;
      }
      if (tschema != found_schema) continue;  // the same name in another schema
      ColumnMeta c;
      ASSIGN_OR_RETURN(c.name, st->Text(4, &null, ctx));
      ASSIGN_OR_RETURN(std::string type, st->Text(5, &null, ctx));
      c.data_type = static_cast<SQLSMALLINT>(std::atoi(type.c_str()));
      ASSIGN_OR_RETURN(c.type_name, st->Text(6, &null, ctx));
      ASSIGN_OR_RETURN(std::string size, st->Text(7, &null, ctx));
      c.size = static_cast<SQLULEN>(std::strtoull(size.c_str(), nullptr, 10));
      ASSIGN_OR_RETURN(std::string digits, st->Text(9, &null, ctx));
      c.digits = static_cast<SQLSMALLINT>(std::atoi(digits.c_str()));
      ASSIGN_OR_RETURN(std::string nullable, st->Text(11, &null, ctx));
      c.not_null = nullable == "0";
      meta.columns.push_back(std::move(c));
    }
  }
  if (meta.columns.empty()) {
    std::string msg = ctx + ": table \"" + table + "\" does not exist";
    auto tables = ListTables();
    if (tables.ok()) {
      std::string near = ClosestMatch(table, *tables);
      if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    }
    return NotFound(msg);
  }
  {
    ASSIGN_OR_RETURN(std::unique_ptr<OdbcStmt> st, Stmt());
    ASSIGN_OR_RETURN(std::u16string wschema, ToUtf16(found_schema));
    ASSIGN_OR_RETURN(std::u16string wtable, ToUtf16(name));
    SQLRETURN r = SQLPrimaryKeysW(
        st->h(), nullptr, 0,
        found_schema.empty() ? nullptr : reinterpret_cast<SQLWCHAR*>(wschema.data()),
        static_cast<SQLSMALLINT>(wschema.size()), reinterpret_cast<SQLWCHAR*>(wtable.data()),
        static_cast<SQLSMALLINT>(wtable.size()));
    if (r == SQL_SUCCESS || r == SQL_SUCCESS_WITH_INFO) {
      while (SQLFetch(st->h()) == SQL_SUCCESS) {
        bool null = false;
        ASSIGN_OR_RETURN(std::string col, st->Text(4, &null, ctx));
        for (ColumnMeta& c : meta.columns) c.primary_key = c.primary_key || c.name == col;
      }
    }
  }
  ASSIGN_OR_RETURN(std::string qname, conn_->Quote(name));
  if (!schema.empty()) {
    ASSIGN_OR_RETURN(std::string qschema, conn_->Quote(schema));
    qname = qschema + "." + qname;
  }
  meta.quoted = qname;
  meta.schema = found_schema;
  meta.name = name;
  return &meta_.emplace(table, std::move(meta)).first->second;
}

Result<const TableMeta*> OdbcConnection::Meta(const TableRef& t) {
  if (t.table.empty()) return InvalidArgument(system_ + ": table name is empty");
  if (t.key_columns.empty()) return InvalidArgument(Context(t) + ": no key columns given");
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t.table));
  for (const std::string& k : t.key_columns) RETURN_IF_ERROR(Column(t, *meta, k).status());
  return meta;
}

Result<const ColumnMeta*> OdbcConnection::Column(const TableRef& t, const TableMeta& meta,
                                                 std::string_view column) {
  if (const ColumnMeta* c = meta.Find(column)) return c;
  std::string msg = Context(t) + ": column \"" + std::string(column) + "\" does not exist";
  std::string near = ClosestMatch(std::string(column), meta.Names());
  if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
  meta_.erase(t.table);  // perhaps added since it was cached: read the catalog next time
  return NotFound(msg);
}

Result<std::vector<ColumnInfo>> OdbcConnection::DescribeTable(const std::string& table) {
  meta_.erase(table);
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(table));
  std::vector<ColumnInfo> out;
  for (const ColumnMeta& c : meta->columns) {
    std::string declared = c.type_name;
    if (c.data_type == SQL_DECIMAL || c.data_type == SQL_NUMERIC) {
      declared += "(" + std::to_string(c.size) + "," + std::to_string(c.digits) + ")";
    } else if (c.data_type == SQL_VARCHAR || c.data_type == SQL_WVARCHAR ||
               c.data_type == SQL_CHAR || c.data_type == SQL_WCHAR) {
      declared += "(" + std::to_string(c.size) + ")";
    }
    out.push_back({c.name, declared, c.not_null, c.primary_key});
  }
  return out;
}

Result<std::vector<std::string>> OdbcConnection::ListTables() {
  ASSIGN_OR_RETURN(std::unique_ptr<OdbcStmt> st, Stmt());
  ASSIGN_OR_RETURN(std::u16string wschema, ToUtf16(schema_));
  std::u16string types = u"TABLE,VIEW";
  SQLRETURN r = SQLTablesW(
      st->h(), nullptr, 0, schema_.empty() ? nullptr : reinterpret_cast<SQLWCHAR*>(wschema.data()),
      static_cast<SQLSMALLINT>(schema_.empty() ? 0 : wschema.size()), nullptr, 0,
      reinterpret_cast<SQLWCHAR*>(types.data()), static_cast<SQLSMALLINT>(types.size()));
  if (r != SQL_SUCCESS && r != SQL_SUCCESS_WITH_INFO) {
    return conn_->Error(SQL_HANDLE_STMT, st->h(), system_ + ": listing tables");
  }
  std::vector<std::string> out;
  while (true) {
    SQLRETURN f = SQLFetch(st->h());
    if (f == SQL_NO_DATA) break;
    if (f != SQL_SUCCESS && f != SQL_SUCCESS_WITH_INFO) {
      return conn_->Error(SQL_HANDLE_STMT, st->h(), system_ + ": listing tables");
    }
    bool null = false;
    ASSIGN_OR_RETURN(std::string name, st->Text(3, &null, system_));
    if (name.rfind("_concord_", 0) == 0) continue;
    out.push_back(std::move(name));
  }
  return out;
}

// --- reading ---

Result<std::vector<const ColumnMeta*>> OdbcConnection::SelectColumns(const TableRef& t,
                                                                     const TableMeta& meta) {
  std::vector<const ColumnMeta*> out;
  for (const std::string& k : t.key_columns) {
    ASSIGN_OR_RETURN(const ColumnMeta* c, Column(t, meta, k));
    out.push_back(c);
  }
  auto is_key = [&](const std::string& n) {
    return std::find(t.key_columns.begin(), t.key_columns.end(), n) != t.key_columns.end();
  };
  if (t.columns.empty()) {
    for (const ColumnMeta& c : meta.columns) {
      if (!is_key(c.name)) out.push_back(&c);
    }
    return out;
  }
  for (const std::string& name : t.columns) {
    if (is_key(name)) continue;
    ASSIGN_OR_RETURN(const ColumnMeta* c, Column(t, meta, name));
    out.push_back(c);
  }
  return out;
}

Result<std::string> OdbcConnection::SelectSql(const std::vector<const ColumnMeta*>& cols,
                                              const TableMeta& meta) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < cols.size(); ++i) {
    ASSIGN_OR_RETURN(std::string q, conn_->Quote(cols[i]->name));
    sql += (i ? ", " : "") + q;
  }
  return sql + " FROM " + meta.quoted;
}

Result<std::string> OdbcConnection::KeyEquals(const TableRef& t, const TableMeta& meta,
                                              const Key& key, std::vector<Value>* params,
                                              std::vector<OdbcStmt::ParamType>* types) {
  if (key.size() != t.key_columns.size()) {
    return InvalidArgument(Context(t) + ": a key has " + std::to_string(key.size()) +
                           " values, the table's key has " + std::to_string(t.key_columns.size()) +
                           " columns");
  }
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    ASSIGN_OR_RETURN(const ColumnMeta* c, Column(t, meta, t.key_columns[i]));
    ASSIGN_OR_RETURN(std::string q, conn_->Quote(c->name));
    if (i) out += " AND ";
    out += q + " = ?";
    params->push_back(key[i]);
    types->push_back(TypeOf(c));
  }
  return out;
}

std::string OdbcConnection::LimitClause(size_t limit) const {
  const std::string& d = conn_->dbms_name();
  std::string n = std::to_string(limit);
  if (d.find("PostgreSQL") != std::string::npos || d.find("MySQL") != std::string::npos ||
      d.find("MariaDB") != std::string::npos || d.find("SQLite") != std::string::npos) {
    return " LIMIT " + n;
  }
  if (d.find("SQL Server") != std::string::npos) return " OFFSET 0 ROWS FETCH NEXT " + n + " ROWS ONLY";
  return " FETCH FIRST " + n + " ROWS ONLY";  // SQL:2008 — Oracle 12c+, DB2, and the rest
}

OdbcConnection::KeyReadBack OdbcConnection::GeneratedKeys(const TableRef& t) const {
  const std::string& d = conn_->dbms_name();
  auto has = [&d](const char* name) { return d.find(name) != std::string::npos; };
  if (has("PostgreSQL") || has("MariaDB") || has("SQLite")) return KeyReadBack::kReturning;
  if (has("SQL Server")) return KeyReadBack::kOutputInserted;
  if (has("DB2")) return KeyReadBack::kFinalTable;
  if (has("MySQL") && t.key_columns.size() == 1) return KeyReadBack::kLastInsertId;
  return KeyReadBack::kNone;  // Oracle returns keys only into OUT parameters (RETURNING INTO)
}

Result<Key> OdbcConnection::InsertGenerated(
    OdbcStmt* st, const TableRef& t, const TableMeta& meta,
    const std::vector<std::pair<const ColumnMeta*, const Value*>>& set, const std::string& ctx) {
  const KeyReadBack how = GeneratedKeys(t);
  std::string cols, marks, keys, inserted;
  std::vector<Value> params;
  std::vector<OdbcStmt::ParamType> types;
  for (const auto& [c, v] : set) {
    ASSIGN_OR_RETURN(std::string q, conn_->Quote(c->name));
    cols += (cols.empty() ? "" : ", ") + q;
    marks += marks.empty() ? "?" : ", ?";
    params.push_back(*v);
    types.push_back(TypeOf(c));
  }
  for (const std::string& k : t.key_columns) {
    ASSIGN_OR_RETURN(std::string q, conn_->Quote(k));
    keys += (keys.empty() ? "" : ", ") + q;
    inserted += (inserted.empty() ? "INSERTED." : ", INSERTED.") + q;
  }
  const bool mysql = how == KeyReadBack::kLastInsertId;
  const std::string& dbms = conn_->dbms_name();
  const bool no_default_values =  // MySQL and MariaDB spell an insert of defaults "() VALUES ()"
      dbms.find("MySQL") != std::string::npos || dbms.find("MariaDB") != std::string::npos;
  std::string sql = "INSERT INTO " + meta.quoted;
  if (how == KeyReadBack::kOutputInserted) {
    sql += (cols.empty() ? "" : " (" + cols + ")") + " OUTPUT " + inserted +
           (cols.empty() ? " DEFAULT VALUES" : " VALUES (" + marks + ")");
  } else if (cols.empty()) {
    sql += no_default_values ? " () VALUES ()" : " DEFAULT VALUES";  // every column's default
  } else {
    sql += " (" + cols + ") VALUES (" + marks + ")";
  }
  if (how == KeyReadBack::kReturning) sql += " RETURNING " + keys;
  if (how == KeyReadBack::kFinalTable) sql = "SELECT " + keys + " FROM FINAL TABLE (" + sql + ")";
  RETURN_IF_ERROR(st->Execute(sql, params, types, ctx));
  if (mysql) RETURN_IF_ERROR(st->Execute("SELECT LAST_INSERT_ID()", {}, {}, ctx));
  ASSIGN_OR_RETURN(std::vector<OdbcStmt::ColumnDesc> described, st->Columns(ctx));
  std::vector<Value> row;
  ASSIGN_OR_RETURN(bool found, st->Fetch(described, &row, ctx));
  if (!found || row.size() != t.key_columns.size() ||
      (mysql && row[0].kind() == ValueKind::kInt && row[0].int_value() == 0)) {
    return InvalidArgument(ctx + ": the database returned no generated key (is the key column an "
                          "identity / auto-increment column?)");
  }
  std::vector<Value> rest;
  while (true) {  // drain the result so the statement can be reused
    ASSIGN_OR_RETURN(bool more, st->Fetch(described, &rest, ctx));
    if (!more) break;
  }
  return Key(row.begin(), row.end());
}

Result<std::vector<Row>> OdbcConnection::Query(const std::string& sql,
                                               const std::vector<Value>& params,
                                               const std::vector<OdbcStmt::ParamType>& types,
                                               const std::string& context) {
  ASSIGN_OR_RETURN(std::unique_ptr<OdbcStmt> st, Stmt());
  Status s = st->Execute(sql, params, types, context);
  if (!s.ok()) {
    meta_.clear();
    return s;
  }
  ASSIGN_OR_RETURN(std::vector<OdbcStmt::ColumnDesc> cols, st->Columns(context));
  std::vector<Row> out;
  std::vector<Value> values;
  while (true) {
    ASSIGN_OR_RETURN(bool more, st->Fetch(cols, &values, context));
    if (!more) break;
    Row row;
    row.reserve(cols.size());
    for (size_t i = 0; i < cols.size(); ++i) row.emplace(cols[i].name, std::move(values[i]));
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<Row>> OdbcConnection::ReadChunk(const TableRef& t,
                                                   const std::optional<Key>& after, size_t limit) {
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t));
  std::vector<Row> rows;
  if (limit == 0) return rows;
  ASSIGN_OR_RETURN(std::vector<const ColumnMeta*> cols, SelectColumns(t, *meta));
  ASSIGN_OR_RETURN(std::string sql, SelectSql(cols, *meta));
  std::vector<Value> params;
  std::vector<OdbcStmt::ParamType> types;
  const size_t nk = t.key_columns.size();
  RETURN_IF_ERROR(CheckSnapshotPosition(Context(t), t, after));
  if (after) {
    // (k1 > ? OR (k1 = ? AND (k2 > ? OR (k2 = ? AND k3 > ?)))): row-value comparison spelt out,
    // which every SQL dialect accepts.
    std::string cond;
    for (size_t i = nk; i-- > 0;) {
      ASSIGN_OR_RETURN(std::string q, conn_->Quote(cols[i]->name));
      cond = cond.empty() ? q + " > ?" : q + " > ? OR (" + q + " = ? AND (" + cond + "))";
    }
    sql += " WHERE (" + cond + ")";
    for (size_t i = 0; i < nk; ++i) {
      params.push_back((*after)[i]);
      types.push_back(TypeOf(cols[i]));
      if (i + 1 < nk) {
        params.push_back((*after)[i]);
        types.push_back(TypeOf(cols[i]));
      }
    }
  }
  sql += " ORDER BY ";
  for (size_t i = 0; i < nk; ++i) {
    ASSIGN_OR_RETURN(std::string q, conn_->Quote(cols[i]->name));
    sql += (i ? ", " : "") + q;
  }
  sql += LimitClause(limit);
  ASSIGN_OR_RETURN(rows, Query(sql, params, types, Context(t) + ": reading rows"));
  if (rows.size() > limit) rows.resize(limit);
  return rows;
}

Result<std::vector<Row>> OdbcConnection::ReadRows(const TableRef& t,
                                                  const std::vector<Key>& keys) {
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t));
  ASSIGN_OR_RETURN(std::vector<const ColumnMeta*> cols, SelectColumns(t, *meta));
  ASSIGN_OR_RETURN(std::string select, SelectSql(cols, *meta));
  std::vector<Key> distinct;
  std::set<std::string> seen;
  for (const Key& k : keys) {
    if (seen.insert(EncodeKey(k)).second) distinct.push_back(k);
  }
  std::vector<Row> out;
  for (size_t start = 0; start < distinct.size(); start += kLookupBatch) {
    size_t end = std::min(distinct.size(), start + kLookupBatch);
    std::string where;
    std::vector<Value> params;
    std::vector<OdbcStmt::ParamType> types;
    for (size_t i = start; i < end; ++i) {
      ASSIGN_OR_RETURN(std::string eq, KeyEquals(t, *meta, distinct[i], &params, &types));
      where += (i > start ? " OR (" : "(") + eq + ")";
    }
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     Query(select + " WHERE " + where, params, types, Context(t) + ": reading rows"));
    for (Row& r : rows) out.push_back(std::move(r));
  }
  return out;
}

Result<int64_t> OdbcConnection::CountRows(const TableRef& t) {
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t));
  ASSIGN_OR_RETURN(std::vector<Row> rows, Query("SELECT COUNT(*) AS n FROM " + meta->quoted, {},
                                                {}, Context(t) + ": counting rows"));
  if (rows.empty() || rows[0].empty()) return int64_t{0};
  const Value& v = rows[0].begin()->second;
  return v.kind() == ValueKind::kInt ? v.int_value() : std::strtoll(v.text().c_str(), nullptr, 10);
}

// The row count the database's statistics hold, from SQLStatistics(SQL_QUICK): each driver's own
// cheap source, where a count(*) of a large table (which `concord status` and the copy's progress
// would otherwise run) may take a long time. The SQL_TABLE_STAT row's cardinality where the
// driver gives one (SQL Server's sp_statistics does); else the largest cardinality of a unique
// index, which has an entry per row (MariaDB Connector/ODBC gives InnoDB's estimate there).
// CountRows where the driver gives neither (psqlODBC) or nothing above zero (a table never
// analyzed; an empty one is counted at once).
Result<int64_t> OdbcConnection::EstimateRows(const TableRef& t) {
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t));
  const std::string ctx = Context(t) + ": reading the table's statistics";
  int64_t table_stat = 0, unique_index = 0;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<OdbcStmt> st, Stmt());
    ASSIGN_OR_RETURN(std::u16string wschema, ToUtf16(meta->schema));
    ASSIGN_OR_RETURN(std::u16string wtable, ToUtf16(meta->name));
    SQLRETURN r = SQLStatisticsW(
        st->h(), nullptr, 0,
        meta->schema.empty() ? nullptr : reinterpret_cast<SQLWCHAR*>(wschema.data()),
        static_cast<SQLSMALLINT>(wschema.size()), reinterpret_cast<SQLWCHAR*>(wtable.data()),
        static_cast<SQLSMALLINT>(wtable.size()), SQL_INDEX_UNIQUE, SQL_QUICK);
    while (r == SQL_SUCCESS || r == SQL_SUCCESS_WITH_INFO) {
      r = SQLFetch(st->h());
      if (r != SQL_SUCCESS && r != SQL_SUCCESS_WITH_INFO) break;
      // In column order: a driver need not let SQLGetData go back to an earlier column.
      bool unique_null = false, type_null = false, null = false;
      ASSIGN_OR_RETURN(std::string non_unique, st->Text(4, &unique_null, ctx));
      ASSIGN_OR_RETURN(std::string type, st->Text(7, &type_null, ctx));
      ASSIGN_OR_RETURN(std::string cardinality, st->Text(11, &null, ctx));
      if (null) continue;
      const int64_t rows = std::strtoll(cardinality.c_str(), nullptr, 10);
      if (!type_null && std::atoi(type.c_str()) == SQL_TABLE_STAT) {
        table_stat = std::max(table_stat, rows);
      } else if (!unique_null && non_unique == "0") {
        unique_index = std::max(unique_index, rows);
      }
    }
  }
  if (table_stat > 0) return table_stat;
  if (unique_index > 0) return unique_index;
  return CountRows(t);
}

// `column IN (?, ...)`, each value bound with the column's type (so the database compares as for
// a key); up to 500 values per statement.
Result<std::vector<Row>> OdbcConnection::FindByColumn(const TableRef& t, const std::string& column,
                                                      const std::vector<Value>& values) {
  constexpr size_t kValuesPerStatement = 500;
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t));
  ASSIGN_OR_RETURN(const ColumnMeta* c, Column(t, *meta, column));
  TableRef shape = t;
  shape.columns = t.key_columns;
  shape.columns.push_back(column);
  ASSIGN_OR_RETURN(std::vector<const ColumnMeta*> cols, SelectColumns(shape, *meta));
  ASSIGN_OR_RETURN(std::string select, SelectSql(cols, *meta));
  ASSIGN_OR_RETURN(std::string quoted, conn_->Quote(c->name));
  std::vector<Row> out;
  for (size_t start = 0; start < values.size(); start += kValuesPerStatement) {
    size_t end = std::min(values.size(), start + kValuesPerStatement);
    std::vector<Value> params(values.begin() + start, values.begin() + end);
    std::vector<OdbcStmt::ParamType> types(params.size(), TypeOf(c));
    std::string in = "?";
    for (size_t i = 1; i < params.size(); ++i) in += ", ?";
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     Query(select + " WHERE " + quoted + " IN (" + in + ")", params, types,
                           Context(t) + ": looking rows up by column \"" + column + "\""));
    for (Row& r : rows) out.push_back(std::move(r));
  }
  return out;
}

// --- writing ---

Status OdbcConnection::WriteError(const Status& s, const TableRef& t, const TableMeta& meta,
                                  size_t op_index, const WriteOp& op, const OdbcDiag& diag) {
  std::string msg = s.message();
  std::string column;
  if (diag.sqlstate == "22001") {  // string data, right truncation: which value is too long?
    for (const auto& [name, v] : op.values) {
      const ColumnMeta* c = meta.Find(name);
      if (c == nullptr || v.kind() != ValueKind::kText || c->size == 0) continue;
      auto wide = ToUtf16(v.text());
      if (wide.ok() && wide->size() > c->size) {
        column = name;
        break;
      }
    }
  }
  if (!column.empty() && msg.find(column) == std::string::npos) {
    msg += " (column \"" + column + "\")";
  }
  return Status(s.code(), msg + " (op " + std::to_string(op_index + 1) + ", " +
                              (op.kind == WriteOp::Kind::kDelete ? "delete" : "upsert") +
                              " of " + EncodeKey(op.key) + ")");
}

bool OdbcConnection::MultiRowValues() const {
  const std::string& d = conn_->dbms_name();
  for (const char* name : {"PostgreSQL", "MySQL", "MariaDB", "SQLite", "SQL Server", "DB2"}) {
    if (d.find(name) != std::string::npos) return true;
  }
  return false;
}

Status OdbcConnection::InsertNewRows(OdbcStmt* st, const TableRef& t, const TableMeta& meta,
                                     const std::vector<WriteOp>& ops, std::vector<Key>* keys,
                                     std::vector<bool>* done, const std::string& ctx) {
  // SQL Server takes at most 2,100 parameters and 1,000 rows of VALUES per statement.
  constexpr size_t kMaxParams = 2000, kMaxRows = 1000, kKeysPerLookup = 200;
  // A key as the database will compare it back: its values' text.
  auto key_text = [](const Key& key) {
    std::string out;
    for (const Value& v : key) out += v.ToString() + '\x1f';
    return out;
  };
  std::vector<size_t> candidates;
  std::set<std::string> seen;
  for (size_t i = 0; i < ops.size(); ++i) {
    const WriteOp& op = ops[i];
    Key key = op.key;
    if (key.empty()) {
      for (const std::string& k : t.key_columns) {
        auto it = op.values.find(k);
        if (it == op.values.end()) break;  // a generated key: one by one
        key.push_back(it->second);
      }
      if (key.size() != t.key_columns.size()) continue;
    }
    if (!seen.insert(key_text(key)).second) return Status::Ok();  // order matters: one by one
    (*keys)[i] = std::move(key);
    if (op.kind == WriteOp::Kind::kUpsert) candidates.push_back(i);
  }
  if (candidates.size() < 2) return Status::Ok();

  // Which of the candidates' keys the table already holds.
  std::set<std::string> existing;
  std::vector<std::string> quoted_keys;
  for (const std::string& k : t.key_columns) {
    ASSIGN_OR_RETURN(std::string q, conn_->Quote(k));
    quoted_keys.push_back(q);
  }
  for (size_t begin = 0; begin < candidates.size(); begin += kKeysPerLookup) {
    size_t end = std::min(candidates.size(), begin + kKeysPerLookup);
    std::string select, where;
    for (size_t j = 0; j < quoted_keys.size(); ++j) select += (j ? ", " : "") + quoted_keys[j];
    std::vector<Value> params;
    std::vector<OdbcStmt::ParamType> types;
    for (size_t c = begin; c < end; ++c) {
      ASSIGN_OR_RETURN(std::string one, KeyEquals(t, meta, (*keys)[candidates[c]], &params, &types));
      where += (where.empty() ? "(" : " OR (") + one + ")";
    }
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     Query("SELECT " + select + " FROM " + meta.quoted + " WHERE " + where, params,
                           types, ctx));
    for (const Row& row : rows) {
      Key key;
      for (const std::string& k : t.key_columns) {
        // Drivers may report the name in another case.
        auto it = std::find_if(row.begin(), row.end(), [&](const auto& kv) {
          return strcasecmp(kv.first.c_str(), k.c_str()) == 0;
        });
        key.push_back(it == row.end() ? Value::Null() : it->second);
      }
      existing.insert(key_text(key));
    }
  }

  // The new rows, grouped by the columns they set (key columns first), in op order; the rows
  // the table holds, grouped by the other columns they set, for UpdateExistingRows.
  std::map<std::vector<std::string>, std::vector<size_t>> groups, updates;
  for (size_t i : candidates) {
    std::vector<std::string> others;  // the other columns the op sets
    for (const auto& [name, v] : ops[i].values) {
      if (std::find(t.key_columns.begin(), t.key_columns.end(), name) == t.key_columns.end()) {
        others.push_back(name);
      }
    }
    if (existing.count(key_text((*keys)[i]))) {
      if (!others.empty()) updates[others].push_back(i);
      continue;
    }
    std::vector<std::string> columns = t.key_columns;
    columns.insert(columns.end(), others.begin(), others.end());
    groups[columns].push_back(i);
  }
  for (const auto& [columns, members] : groups) {
    std::string cols, row_marks;
    std::vector<const ColumnMeta*> described;
    for (const std::string& c : columns) {
      ASSIGN_OR_RETURN(const ColumnMeta* m, Column(t, meta, c));
      ASSIGN_OR_RETURN(std::string q, conn_->Quote(m->name));
      cols += (cols.empty() ? "" : ", ") + q;
      row_marks += row_marks.empty() ? "(?" : ", ?";
      described.push_back(m);
    }
    row_marks += ")";
    const size_t per_statement =
        std::max<size_t>(1, std::min(kMaxRows, kMaxParams / columns.size()));
    for (size_t begin = 0; begin < members.size(); begin += per_statement) {
      size_t end = std::min(members.size(), begin + per_statement);
      std::string sql = "INSERT INTO " + meta.quoted + " (" + cols + ") VALUES ";
      std::vector<Value> params;
      std::vector<OdbcStmt::ParamType> types;
      for (size_t m = begin; m < end; ++m) {
        const size_t i = members[m];
        sql += (m == begin ? "" : ", ") + row_marks;
        for (size_t c = 0; c < columns.size(); ++c) {
          params.push_back(c < t.key_columns.size() ? (*keys)[i][c] : ops[i].values.at(columns[c]));
          types.push_back(TypeOf(described[c]));
        }
      }
      RETURN_IF_ERROR(st->Execute(sql, params, types, ctx));
      for (size_t m = begin; m < end; ++m) (*done)[members[m]] = true;
    }
  }
  for (const auto& [columns, members] : updates) {
    RETURN_IF_ERROR(UpdateExistingRows(st, t, meta, ops, *keys, columns, members, done, ctx));
  }
  return Status::Ok();
}

Status OdbcConnection::UpdateExistingRows(OdbcStmt* st, const TableRef& t, const TableMeta& meta,
                                          const std::vector<WriteOp>& ops,
                                          const std::vector<Key>& keys,
                                          const std::vector<std::string>& columns,
                                          const std::vector<size_t>& members,
                                          std::vector<bool>* done, const std::string& ctx) {
  constexpr size_t kMaxParams = 2000;  // SQL Server takes at most 2,100 per statement
  // Each row's CASE looks through the statement's WHENs, so the cost per row grows with the rows
  // per statement: 50 measured best with psqlODBC and MariaDB's driver (about 20,000 updates/s
  // each, against 6,800-9,200 one statement per row; 250 rows: 15,000-19,000).
  constexpr size_t kMaxRows = 50;
  std::vector<const ColumnMeta*> described;
  std::vector<std::string> quoted;
  for (const std::string& c : columns) {
    ASSIGN_OR_RETURN(const ColumnMeta* m, Column(t, meta, c));
    ASSIGN_OR_RETURN(std::string q, conn_->Quote(m->name));
    described.push_back(m);
    quoted.push_back(std::move(q));
  }
  // Per row: each column's WHEN (the key) and THEN, and the key once more in the WHERE.
  const size_t nk = t.key_columns.size();
  const size_t per_row = columns.size() * (nk + 1) + nk;
  const size_t per_statement = std::max<size_t>(1, std::min(kMaxRows, kMaxParams / per_row));
  for (size_t begin = 0; begin < members.size(); begin += per_statement) {
    const size_t end = std::min(members.size(), begin + per_statement);
    // The key conditions of the rows, with their parameters (the same for every column).
    std::vector<std::string> conditions;
    std::vector<std::vector<Value>> key_params(end - begin);
    std::vector<std::vector<OdbcStmt::ParamType>> key_types(end - begin);
    for (size_t m = begin; m < end; ++m) {
      ASSIGN_OR_RETURN(std::string one, KeyEquals(t, meta, keys[members[m]],
                                                  &key_params[m - begin], &key_types[m - begin]));
      conditions.push_back(std::move(one));
    }
    std::string sql = "UPDATE " + meta.quoted + " SET ";
    std::vector<Value> params;
    std::vector<OdbcStmt::ParamType> types;
    for (size_t c = 0; c < columns.size(); ++c) {
      // ELSE the column itself: the CASE then takes the column's type, whatever type the
      // driver gives the parameters.
      sql += (c ? ", " : "") + quoted[c] + " = CASE";
      for (size_t m = begin; m < end; ++m) {
        sql += " WHEN " + conditions[m - begin] + " THEN ?";
        params.insert(params.end(), key_params[m - begin].begin(), key_params[m - begin].end());
        types.insert(types.end(), key_types[m - begin].begin(), key_types[m - begin].end());
        params.push_back(ops[members[m]].values.at(columns[c]));
        types.push_back(TypeOf(described[c]));
      }
      sql += " ELSE " + quoted[c] + " END";
    }
    sql += " WHERE ";
    for (size_t m = begin; m < end; ++m) {
      sql += (m == begin ? "(" : " OR (") + conditions[m - begin] + ")";
      params.insert(params.end(), key_params[m - begin].begin(), key_params[m - begin].end());
      types.insert(types.end(), key_types[m - begin].begin(), key_types[m - begin].end());
    }
    RETURN_IF_ERROR(st->Execute(sql, params, types, ctx));
    ASSIGN_OR_RETURN(int64_t updated, st->RowCount(ctx));
    // Fewer rows than asked: a row vanished since the look-up, or the driver counts only the
    // rows whose values changed. These rows then go one by one, which inserts a vanished row.
    if (updated != static_cast<int64_t>(end - begin)) continue;
    for (size_t m = begin; m < end; ++m) (*done)[members[m]] = true;
  }
  return Status::Ok();
}

Result<ApplyResult> OdbcConnection::Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                                          std::string_view origin) {
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t));
  const std::string ctx = Context(t);
  // Plan every op first: a column that does not exist fails the batch before anything is sent.
  for (const WriteOp& op : ops) {
    for (const auto& [name, v] : op.values) RETURN_IF_ERROR(Column(t, *meta, name).status());
    if (op.kind == WriteOp::Kind::kUpsert && op.key.empty()) {
      size_t given = 0;  // none: the database makes the key, if it can say which it made
      for (const std::string& k : t.key_columns) given += op.values.count(k);
      if (given == 0 && GeneratedKeys(t) != KeyReadBack::kNone) continue;
      for (const std::string& k : t.key_columns) {
        if (op.values.count(k)) continue;
        std::string why = given > 0 ? "the other key columns are given"
                                    : "the odbc connector cannot read back keys that " +
                                          conn_->dbms_name() + " generates" +
                                          (t.key_columns.size() > 1 ? " for a key of several "
                                                                      "columns" : "");
        return InvalidArgument(ctx + ": an insert without the key column \"" + k + "\" (" + why +
                               "); map the key columns");
      }
    }
  }
  ApplyResult result;
  // `batched`: new rows by multi-row INSERTs first (InsertNewRows), the rest one by one.
  auto body = [&](bool batched) -> Status {
    ASSIGN_OR_RETURN(std::unique_ptr<OdbcStmt> st, Stmt());
    std::vector<Key> keys(ops.size());
    std::vector<bool> done(ops.size(), false);
    if (batched) RETURN_IF_ERROR(InsertNewRows(st.get(), t, *meta, ops, &keys, &done, ctx));
    for (size_t i = 0; i < ops.size(); ++i) {
      if (done[i]) continue;
      const WriteOp& op = ops[i];
      auto failed = [&](const Status& s) {
        return WriteError(s, t, *meta, i, op, MainDiag(Diagnostics(SQL_HANDLE_STMT, st->h())));
      };
      auto run = [&](const std::string& sql, const std::vector<Value>& params,
                     const std::vector<OdbcStmt::ParamType>& types) -> Status {
        Status s = st->Execute(sql, params, types, ctx);
        return s.ok() ? s : failed(s);
      };
      bool generated = op.kind == WriteOp::Kind::kUpsert && op.key.empty();
      for (const std::string& k : t.key_columns) generated = generated && !op.values.count(k);
      if (generated) {  // a new row: the database makes its key
        std::vector<std::pair<const ColumnMeta*, const Value*>> set;
        for (const auto& [name, v] : op.values) set.emplace_back(meta->Find(name), &v);
        Result<Key> made = InsertGenerated(st.get(), t, *meta, set, ctx);
        if (!made.ok()) return failed(made.status());
        keys[i] = std::move(*made);
        continue;
      }
      Key key = op.key;
      if (key.empty()) {
        for (const std::string& k : t.key_columns) key.push_back(op.values.at(k));
      }
      std::vector<Value> key_params;
      std::vector<OdbcStmt::ParamType> key_types;
      ASSIGN_OR_RETURN(std::string where, KeyEquals(t, *meta, key, &key_params, &key_types));
      if (op.kind == WriteOp::Kind::kDelete) {
        RETURN_IF_ERROR(run("DELETE FROM " + meta->quoted + " WHERE " + where, key_params,
                            key_types));
        keys[i] = key;
        continue;
      }
      // Upsert: UPDATE, and INSERT when no row has the key (there is no portable upsert).
      std::vector<std::pair<const ColumnMeta*, const Value*>> set;
      for (const auto& [name, v] : op.values) {
        if (std::find(t.key_columns.begin(), t.key_columns.end(), name) != t.key_columns.end()) {
          continue;  // the op's key is authoritative
        }
        set.emplace_back(meta->Find(name), &v);
      }
      int64_t updated = 0;
      if (!set.empty()) {
        std::string sql = "UPDATE " + meta->quoted + " SET ";
        std::vector<Value> params;
        std::vector<OdbcStmt::ParamType> types;
        for (size_t j = 0; j < set.size(); ++j) {
          ASSIGN_OR_RETURN(std::string q, conn_->Quote(set[j].first->name));
          sql += (j ? ", " : "") + q + " = ?";
          params.push_back(*set[j].second);
          types.push_back(TypeOf(set[j].first));
        }
        params.insert(params.end(), key_params.begin(), key_params.end());
        types.insert(types.end(), key_types.begin(), key_types.end());
        RETURN_IF_ERROR(run(sql + " WHERE " + where, params, types));
        ASSIGN_OR_RETURN(updated, st->RowCount(ctx));
      }
      if (updated == 0) {
        // Some drivers count only rows whose values changed: look before inserting.
        ASSIGN_OR_RETURN(std::vector<Row> existing,
                         Query("SELECT 1 AS one FROM " + meta->quoted + " WHERE " + where,
                               key_params, key_types, ctx));
        if (existing.empty()) {
          std::string cols, marks;
          std::vector<Value> params;
          std::vector<OdbcStmt::ParamType> types;
          for (size_t j = 0; j < t.key_columns.size(); ++j) {
            ASSIGN_OR_RETURN(std::string q, conn_->Quote(t.key_columns[j]));
            cols += (j ? ", " : "") + q;
            marks += j ? ", ?" : "?";
          }
          params = key_params;
          types = key_types;
          for (const auto& [c, v] : set) {
            ASSIGN_OR_RETURN(std::string q, conn_->Quote(c->name));
            cols += ", " + q;
            marks += ", ?";
            params.push_back(*v);
            types.push_back(TypeOf(c));
          }
          RETURN_IF_ERROR(run("INSERT INTO " + meta->quoted + " (" + cols + ") VALUES (" + marks +
                                  ")",
                              params, types));
        }
      }
      keys[i] = std::move(key);
    }
    result.keys = std::move(keys);
    return Status::Ok();
  };
  const bool batched = ops.size() > 1 && MultiRowValues();
  RETURN_IF_ERROR(conn_->BeginTransaction());
  Status s = body(batched);
  if (!s.ok() && batched && !s.IsRetryable()) {
    // The database refused a multi-row statement (a value that does not fit, a key it compares
    // differently): again one by one, which names the op.
    const std::string refused = s.message();
    conn_->EndTransaction(false).IgnoreError();
    meta_.clear();
    ASSIGN_OR_RETURN(meta, Meta(t));
    RETURN_IF_ERROR(conn_->BeginTransaction());
    s = body(false);
    // Row by row went through where the multi-row statements did not: say so (the engine logs
    // it once), since every batch like it now costs a statement per row.
    if (s.ok()) {
      result.notes.push_back("multi-row statements refused (" + refused +
                             "); the batch was written row by row");
    }
  }
  if (!s.ok()) {
    conn_->EndTransaction(false).IgnoreError();
    meta_.clear();
    return s;
  }
  RETURN_IF_ERROR(conn_->EndTransaction(true));
  return result;
}

}  // namespace

Result<std::unique_ptr<Connection>> OpenConnection(const ConnectionParams& params) {
  return OdbcConnection::Open(params);
}

}  // namespace odbc_connector

const ConnectorDescriptor& OdbcConnectorDescriptor() {
  static const ConnectorDescriptor kDescriptor = {
      .name = "odbc",
      .description =
          "Any database with an ODBC driver (unixODBC): poll capture, transactional writes "
          "with bound parameters",
      .options =
          {
              {"dsn", "a data source name from odbc.ini (this or connection_string)"},
              {"connection_string",
               "a full ODBC connection string, e.g. \"Driver={MariaDB};Server=h;Database=d\" "
               "(this or dsn)"},
              {"user", "the login user (UID); default the DSN's"},
              {"password", "the login password (PWD; a secret: use ${ENV} or file:)"},
              {"schema", "schema of unqualified table names (default the login's)"},
              {"connect_timeout_s", "how long to wait for the server when connecting (default 10)"},
              {"statement_timeout_ms",
               "longest a statement may run (SQL_ATTR_QUERY_TIMEOUT, whole seconds); 0 means no "
               "limit (default 60000)"},
          },
      .required = {},
      .capture_modes = {"poll"},
      .open = &odbc_connector::OpenConnection,
  };
  return kDescriptor;
}

}  // namespace concord
