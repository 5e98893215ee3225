// The postgres connector's descriptor, opening a connection, and what the Source and Sink share:
// table metadata from the catalog, the prepared-statement cache, error messages and row lookup by
// key. Capture lives in postgres_capture.cc, writing in postgres_sink.cc; libpq and value
// conversions in pg_conn.* and pg_types.*; the design is in README.md.
#include "connectors/postgres/postgres_connector.h"
#include "core/did_you_mean.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <filesystem>
#include <set>

#include "connectors/postgres/pg_types.h"
#include "connectors/postgres/postgres_connection.h"

namespace concord {
namespace postgres_connector {
namespace {

constexpr std::string_view kUrlOption = "url";
constexpr std::string_view kPasswordOption = "password";
constexpr std::string_view kSchemaOption = "schema";
constexpr std::string_view kConnectTimeoutOption = "connect_timeout_s";
constexpr std::string_view kStatementTimeoutOption = "statement_timeout_ms";
constexpr std::string_view kSslModeOption = "sslmode";
constexpr std::string_view kSslRootCertOption = "sslrootcert";
constexpr std::string_view kListenOption = "listen";
constexpr std::string_view kMaxRetainedWalOption = "max_retained_wal";

// Above this many prepared statements the cache is cleared (DEALLOCATE ALL): column sets are
// normally fixed per binding, so reaching it means callers vary them.
constexpr size_t kMaxCachedStatements = 512;


Result<int> ParseWhole(const ConnectionParams& p, std::string_view name, int def,
                       std::string_view unit) {
  auto it = p.options.find(std::string(name));
  if (it == p.options.end()) return def;
  const std::string& s = it->second;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) {
    return InvalidArgument(p.system + ": option " + std::string(name) +
                           ": expected a whole number of " + std::string(unit) + " from 0 to " +
                           std::to_string(INT_MAX) + ", found \"" + s + "\"");
  }
  return v;
}

// "1GB", "512 MB", "100kB", "1048576": bytes (units of 1024, as PostgreSQL's sizes).
Result<int64_t> ParseSize(const std::string& system, const std::string& s) {
  size_t i = 0;
  int64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && v < (int64_t{1} << 50)) {
    v = v * 10 + (s[i++] - '0');
  }
  bool digits = i > 0;
  while (i < s.size() && s[i] == ' ') ++i;
  std::string unit = s.substr(i);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  if (unit == "KB" || unit == "K") shift = 10;
  if (unit == "MB" || unit == "M") shift = 20;
  if (unit == "GB" || unit == "G") shift = 30;
  if (unit == "TB" || unit == "T") shift = 40;
  if (!digits || shift < 0 || v >= (int64_t{1} << (62 - shift))) {
    return InvalidArgument(system + ": option max_retained_wal: expected a size such as 1GB, "
                                    "512MB or 100kB, found "" + s + """);
  }
  return v << shift;
}

std::string Option(const ConnectionParams& p, std::string_view name) {
  auto it = p.options.find(std::string(name));
  return it == p.options.end() ? "" : it->second;
}

Result<std::unique_ptr<Connection>> OpenConnection(const ConnectionParams& params) {
  return PostgresConnection::Open(params);
}

// The column a 42703 message names: `column "nme" of relation "t" does not exist`,
// `column "nme" does not exist`, `column t.nme does not exist`.
std::string UndefinedColumn(const std::string& message) {
  static constexpr std::string_view kColumn = "column ";
  if (message.rfind(kColumn, 0) != 0) return "";
  std::string rest = message.substr(kColumn.size());
  if (!rest.empty() && rest[0] == '"') {
    for (std::string_view end : {"\" of relation ", "\" does not exist"}) {
      size_t at = rest.rfind(end);
      if (at != std::string::npos && at > 0) return rest.substr(1, at - 1);
    }
    return "";
  }
  size_t at = rest.rfind(" does not exist");
  if (at == std::string::npos) return "";
  rest = rest.substr(0, at);
  for (std::string_view alias : {"t.", "c."}) {
    if (rest.rfind(alias, 0) == 0) return rest.substr(alias.size());
  }
  return rest;
}

// What follows "permission denied for <kind> " / "must be owner of <kind> ", e.g. ("table", "x").
std::pair<std::string, std::string> DeniedObject(const std::string& message) {
  for (std::string_view prefix : {"permission denied for ", "must be owner of "}) {
    if (message.rfind(prefix, 0) != 0) continue;
    std::string rest = message.substr(prefix.size());
    size_t space = rest.find(' ');
    if (space == std::string::npos) return {rest, ""};
    return {rest.substr(0, space), rest.substr(space + 1)};
  }
  return {"", ""};
}

}  // namespace


// --- names ---

std::string TableName::Quoted() const { return QuoteIdent(schema) + "." + QuoteIdent(name); }

Result<TableName> ParseTableName(std::string_view text, std::string_view default_schema) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("table name \"" + std::string(text) + "\": " + std::string(why) +
                           "; expected table or schema.table (write a name that holds a dot "
                           "in double quotes: \"my.table\")");
  };
  if (text.find('\0') != std::string_view::npos) return bad("holds a NUL byte");
  std::vector<std::string> parts(1);
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          parts.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        parts.back() += c;
      }
    } else if (c == '"' && parts.back().empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == '.') {
      parts.emplace_back();
      was_quoted = false;
    } else if (was_quoted) {
      return bad("text after a closing quote");
    } else {
      parts.back() += c;
    }
  }
  if (quoted) return bad("a quote is not closed");
  if (parts.size() > 2) return bad("too many dots");
  for (const std::string& p : parts) {
    if (p.empty()) return bad("an empty name");
  }
  if (parts.size() == 1) return TableName{std::string(default_schema), parts[0]};
  return TableName{parts[0], parts[1]};
}

std::string FormatTableName(const TableName& t, std::string_view default_schema) {
  auto part = [](const std::string& s) {
    return s.find_first_of(".\"") == std::string::npos ? s : QuoteIdent(s);
  };
  if (t.schema == default_schema) return part(t.name);
  return part(t.schema) + "." + part(t.name);
}

const ColumnMeta* TableMeta::Find(std::string_view column) const {
  for (const ColumnMeta& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

bool TableMeta::HasUniqueIndexOn(const std::vector<std::string>& cols) const {
  std::set<std::string> want(cols.begin(), cols.end());
  for (const auto& u : unique_keys) {
    if (std::set<std::string>(u.begin(), u.end()) == want && u.size() == want.size()) return true;
  }
  return false;
}

// --- PostgresConnection ---

Result<std::unique_ptr<Connection>> PostgresConnection::Open(const ConnectionParams& params) {
  const std::string& sys = params.system;
  std::vector<std::string> allowed = {std::string(kUrlOption),
                                      std::string(kPasswordOption),
                                      std::string(kSchemaOption),
                                      std::string(kConnectTimeoutOption),
                                      std::string(kStatementTimeoutOption),
                                      std::string(kSslModeOption),
                                      std::string(kSslRootCertOption),
                                      std::string(kListenOption),
                                      std::string(kMaxRetainedWalOption)};
  for (const auto& [name, value] : params.options) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string msg = sys + ": unknown option \"" + name + "\" for connector postgres";
    std::string near = ClosestMatch(std::string(name), allowed);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    msg +=
        "; allowed: url, password, schema, connect_timeout_s, statement_timeout_ms, sslmode, "
        "sslrootcert, listen, max_retained_wal";
    return InvalidArgument(msg);
  }
  PgConn::Options o;
  o.url = Option(params, kUrlOption);
  if (o.url.empty()) {
    return InvalidArgument(sys +
                           ": option \"url\" is required "
                           "(postgresql://user@host:port/database)");
  }
  // The URL may hold a password: it is never quoted back.
  if (o.url.rfind("postgresql://", 0) != 0 && o.url.rfind("postgres://", 0) != 0) {
    return InvalidArgument(sys +
                           ": option url: expected postgresql://user@host:port/database "
                           "(the value does not start with postgresql://)");
  }
  o.password = Option(params, kPasswordOption);
  std::string schema = params.options.count(std::string(kSchemaOption))
                           ? Option(params, kSchemaOption)
                           : std::string("public");
  if (schema.empty() || schema.find('\0') != std::string::npos) {
    return InvalidArgument(sys + ": option schema: expected a schema name, found \"" + schema +
                           "\"");
  }
  ASSIGN_OR_RETURN(o.connect_timeout_s, ParseWhole(params, kConnectTimeoutOption, 10, "seconds"));
  ASSIGN_OR_RETURN(o.statement_timeout_ms,
                   ParseWhole(params, kStatementTimeoutOption, 60000, "milliseconds"));
  o.sslmode = Option(params, kSslModeOption);
  static const std::vector<std::string> kSslModes = {"disable", "allow",     "prefer",
                                                     "require", "verify-ca", "verify-full"};
  if (params.options.count(std::string(kSslModeOption)) &&
      std::find(kSslModes.begin(), kSslModes.end(), o.sslmode) == kSslModes.end()) {
    std::string msg = sys + ": option sslmode: unknown mode \"" + o.sslmode + "\"";
    std::string near = ClosestMatch(std::string(o.sslmode), kSslModes);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    return InvalidArgument(msg +
                           "; allowed: disable, allow, prefer, require, verify-ca, verify-full");
  }
  o.sslrootcert = Option(params, kSslRootCertOption);
  if (!o.sslrootcert.empty()) {
    std::filesystem::path p(o.sslrootcert);
    if (p.is_relative() && !params.base_dir.empty()) p = std::filesystem::path(params.base_dir) / p;
    o.sslrootcert = p.lexically_normal().string();
    // libpq would say so only for verify-ca/verify-full, and with require silently not check the
    // certificate: a CA file named but missing is a mistake in every mode.
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      return NotFound(sys + ": option sslrootcert: file \"" + o.sslrootcert +
                      "\" does not exist");
    }
  }
  bool listen = true;
  if (params.options.count(std::string(kListenOption))) {
    std::string v = Option(params, kListenOption);
    if (v != "true" && v != "false") {
      return InvalidArgument(sys + ": option listen: expected true or false, found \"" + v +
                             "\"");
    }
    listen = v == "true";
  }
  int64_t max_retained_wal = int64_t{1} << 30;
  if (params.options.count(std::string(kMaxRetainedWalOption))) {
    ASSIGN_OR_RETURN(max_retained_wal, ParseSize(sys, Option(params, kMaxRetainedWalOption)));
  }
  o.application_name = "concord " + sys;
  ASSIGN_OR_RETURN(std::unique_ptr<PgConn> pg, PgConn::Connect(o, sys));
  auto listener =
      listen ? std::make_unique<PgListener>(o, sys, std::string(kNotifyChannel)) : nullptr;
  auto conn = std::unique_ptr<PostgresConnection>(
      new PostgresConnection(sys, schema, std::move(pg), std::move(listener)));
  conn->options_ = o;
  conn->max_retained_wal_ = max_retained_wal;
  return std::unique_ptr<Connection>(std::move(conn));
}

std::string PostgresConnection::CaptureTable(std::string_view name) const {
  return QuoteIdent(schema_) + "." + QuoteIdent(name);
}

Status PostgresConnection::CheckAlive() const {
  if (!pg_->broken()) return Status::Ok();
  return Unavailable(system_ +
                     ": the connection to the server was lost (it is reopened on the next "
                     "attempt)");
}

Status PostgresConnection::CheckTableRef(const TableRef& t) const {
  if (t.table.empty()) return InvalidArgument(system_ + ": table name is empty");
  if (t.key_columns.empty()) return InvalidArgument(Context(t) + ": no key columns given");
  return CheckAlive();
}

Result<std::optional<TableMeta>> PostgresConnection::LoadMeta(const TableName& name) {
  TableMeta meta;
  meta.name = name;
  meta.quoted = name.Quoted();
  ASSIGN_OR_RETURN(
      PgResult rel,
      pg_->Query("SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace "
                 "n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
                 "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
                 {name.schema, name.name}));
  if (PQntuples(rel.get()) == 0) return std::optional<TableMeta>();
  std::string oid = PQgetvalue(rel.get(), 0, 0);
  meta.oid = static_cast<Oid>(std::strtoul(oid.c_str(), nullptr, 10));
  ASSIGN_OR_RETURN(
      PgResult cols,
      pg_->Query("SELECT a.attname, a.atttypid, CASE WHEN t.typtype = 'd' THEN t.typbasetype "
                 "ELSE a.atttypid END, format_type(a.atttypid, a.atttypmod), "
                 "format_type(a.atttypid, NULL), a.atttypmod, a.attnotnull, "
                 "a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', a.attidentity = 'a', "
                 "EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid AND "
                 "i.indisprimary AND a.attnum = ANY (i.indkey::int2[])) "
                 "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
                 "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                 {oid}));
  for (int i = 0; i < PQntuples(cols.get()); ++i) {
    ColumnMeta c;
    auto text = [&](int col) { return std::string(PQgetvalue(cols.get(), i, col)); };
    auto flag = [&](int col) { return text(col) == "t"; };
    c.name = text(0);
    c.type_oid = static_cast<Oid>(std::strtoul(text(1).c_str(), nullptr, 10));
    c.base_oid = static_cast<Oid>(std::strtoul(text(2).c_str(), nullptr, 10));
    c.type_name = text(3);
    c.cast_type = text(4);
    // format_type(bpchar, NULL) is "character", which means char(1): a cast to it would cut
    // "abc" to "a". The bare type name keeps every character.
    if (c.type_oid == kBpcharOid) c.cast_type = "bpchar";
    int typmod = std::atoi(text(5).c_str());
    if ((c.base_oid == kVarcharOid || c.base_oid == kBpcharOid) && typmod > 4) {
      c.max_length = typmod - 4;  // the varchar/char typmod stores n + VARHDRSZ
    }
    c.not_null = flag(6);
    c.has_default = flag(7);
    c.identity_always = flag(8);
    c.primary_key = flag(9);
    meta.columns.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(
      PgResult uniq,
      pg_->Query("SELECT i.indexrelid, a.attname FROM pg_catalog.pg_index i "
                 "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                 "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND "
                 "a.attnum = k.attnum WHERE i.indrelid = $1 AND i.indisunique AND "
                 "i.indimmediate AND i.indisvalid AND i.indpred IS NULL AND "
                 "i.indexprs IS NULL AND k.ord <= i.indnkeyatts ORDER BY 1, k.ord",
                 {oid}));
  std::string last;
  for (int i = 0; i < PQntuples(uniq.get()); ++i) {
    std::string index = PQgetvalue(uniq.get(), i, 0);
    if (index != last) meta.unique_keys.emplace_back();
    last = index;
    meta.unique_keys.back().push_back(PQgetvalue(uniq.get(), i, 1));
  }
  return std::optional<TableMeta>(std::move(meta));
}

Result<const TableMeta*> PostgresConnection::Meta(const std::string& table) {
  RETURN_IF_ERROR(CheckAlive());
  ASSIGN_OR_RETURN(TableName name, ParseTableName(table, schema_));
  std::string quoted = name.Quoted();
  auto it = meta_.find(quoted);
  if (it != meta_.end()) return &it->second;
  ASSIGN_OR_RETURN(std::optional<TableMeta> meta, LoadMeta(name));
  if (!meta) return NotFound(system_ + "." + table + ": table \"" + table + "\" does not exist");
  return &meta_.emplace(quoted, std::move(*meta)).first->second;
}

Result<const TableMeta*> PostgresConnection::Meta(const TableRef& t) {
  RETURN_IF_ERROR(CheckTableRef(t));
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t.table));
    bool complete = std::all_of(t.key_columns.begin(), t.key_columns.end(),
                                [&](const std::string& k) { return meta->Find(k) != nullptr; });
    if (complete) return meta;
    ForgetMeta();  // cached before the column was added? read the catalog again
  }
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t.table));
  std::vector<std::string> names;
  for (const ColumnMeta& c : meta->columns) names.push_back(c.name);
  for (const std::string& k : t.key_columns) {
    if (meta->Find(k)) continue;
    std::string msg = Context(t) + ": key column \"" + k + "\" does not exist";
    std::string near = ClosestMatch(std::string(k), names);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    return NotFound(msg);
  }
  return meta;
}

Result<const ColumnMeta*> PostgresConnection::Column(const TableRef& t, const TableMeta& meta,
                                                     std::string_view column) {
  if (const ColumnMeta* c = meta.Find(column)) return c;
  std::vector<std::string> names;
  for (const ColumnMeta& c : meta.columns) names.push_back(c.name);
  std::string msg = Context(t) + ": column \"" + std::string(column) + "\" does not exist";
  std::string near = ClosestMatch(std::string(column), names);
  if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
  return NotFound(msg);
}

Result<std::vector<ColumnInfo>> PostgresConnection::DescribeTable(const std::string& table) {
  RETURN_IF_ERROR(CheckAlive());
  ASSIGN_OR_RETURN(TableName name, ParseTableName(table, schema_));
  ASSIGN_OR_RETURN(std::optional<TableMeta> meta, LoadMeta(name));
  if (!meta) return NotFound(system_ + ": table \"" + table + "\" does not exist");
  std::vector<ColumnInfo> out;
  for (const ColumnMeta& c : meta->columns) {
    out.push_back({c.name, c.type_name, c.not_null, c.primary_key});
  }
  meta_[meta->quoted] = std::move(*meta);  // fresh: replaces what was cached
  return out;
}

Result<std::vector<std::string>> PostgresConnection::ListTables() {
  RETURN_IF_ERROR(CheckAlive());
  ASSIGN_OR_RETURN(
      PgResult r,
      pg_->Query("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
                 "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition "
                 "AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
                 "AND c.relname NOT LIKE '\\_concord\\_%' "
                 "ORDER BY n.nspname <> $1, n.nspname, c.relname",
                 {schema_}));
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back(FormatTableName({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1)}, schema_));
  }
  return out;
}

// --- statements ---

const std::string* PostgresConnection::FindStatement(const std::string& signature) const {
  auto it = statements_.find(signature);
  return it == statements_.end() ? nullptr : &it->second;
}

void PostgresConnection::RememberStatement(const std::string& signature, const std::string& name) {
  statements_[signature] = name;
}

Status PostgresConnection::TrimStatementCache() {
  if (statements_.size() < kMaxCachedStatements) return Status::Ok();
  statements_.clear();
  return pg_->Exec("DEALLOCATE ALL");
}

Result<PgResult> PostgresConnection::Run(const std::string& signature,
                                         const std::function<std::string()>& build,
                                         const std::vector<Oid>& types,
                                         const std::vector<PgParam>& params, Planning planning) {
  if (planning == Planning::kEachRun) return pg_->Query(build(), params, types);
  for (int attempt = 0;; ++attempt) {
    const std::string* cached = FindStatement(signature);
    std::string name;
    if (cached) {
      name = *cached;
    } else {
      RETURN_IF_ERROR(TrimStatementCache());
      name = NewStatementName();
      RETURN_IF_ERROR(pg_->Prepare(name, build(), types));
      RememberStatement(signature, name);
    }
    Result<PgResult> r = pg_->QueryPrepared(name, params);
    // A table that gained or lost a column changes what a prepared `t.*` returns; the server
    // refuses to run the old plan. Prepare it again, once (outside a transaction only: inside,
    // the failure has aborted it).
    if (!r.ok() && attempt == 0 && pg_->last_error().sqlstate == "0A000" &&
        pg_->last_error().message.find("cached plan must not change result type") !=
            std::string::npos &&
        !pg_->in_transaction()) {
      statements_.erase(signature);
      pg_->Exec("DEALLOCATE " + QuoteIdent(name)).IgnoreError();
      continue;
    }
    return r;
  }
}

// --- errors ---

Status PostgresConnection::TableError(
    const Status& s, const TableRef& t, Access access, std::string_view suffix,
    const std::vector<std::pair<const ColumnMeta*, const PgParam*>>& values) {
  ForgetMeta();
  const std::string ctx = Context(t);
  if (s.message().rfind(ctx + ": ", 0) == 0)
    return Status(s.code(), s.message() + std::string(suffix));
  const PgError& e = pg_->last_error();
  std::string msg = s.message();
  if (msg.rfind(system_ + ": ", 0) == 0) msg.erase(0, system_.size() + 2);
  // Rewrite only what the server said about this very failure.
  if (e.sqlstate.empty() || msg != e.message) {
    return Status(s.code(), ctx + ": " + msg + std::string(suffix));
  }
  const std::string& state = e.sqlstate;
  if (state == "42P01") {
    msg = "table \"" + t.table + "\" does not exist";
  } else if (state == "42703") {
    std::string column = UndefinedColumn(e.message);
    if (!column.empty()) {
      msg = "column \"" + column + "\" does not exist";
      Result<const TableMeta*> meta = Meta(t.table);
      if (meta.ok()) {
        std::vector<std::string> names;
        for (const ColumnMeta& c : (*meta)->columns) names.push_back(c.name);
        std::string near = ClosestMatch(std::string(column), names);
        if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
      }
    }
  } else if (state == "42501") {
    auto [kind, object] = DeniedObject(e.message);
    std::string user = QuoteIdent(pg_->user());
    std::string table = ParseTableName(t.table, schema_).ok()
                            ? ParseTableName(t.table, schema_)->Quoted()
                            : QuoteIdent(t.table);
    std::string grant;
    if (e.message.rfind("must be owner of ", 0) == 0) {
      grant = "only the owner of " + kind + " " + object + " may do this: connect as its owner";
    } else if (kind == "schema") {
      grant = std::string("GRANT USAGE") + (access == Access::kCapture ? ", CREATE" : "") +
              " ON SCHEMA " + QuoteIdent(object) + " TO " + user;
    } else if (kind == "sequence") {
      grant = "GRANT USAGE ON SEQUENCE " + object + " TO " + user;
    } else if (access == Access::kCapture) {
      grant = "GRANT TRIGGER ON " + table + " TO " + user + "; and CREATE on schema " +
              QuoteIdent(schema_) + " for concord's changelog";
    } else if (access == Access::kWrite) {
      grant = "GRANT SELECT, INSERT, UPDATE, DELETE ON " + table + " TO " + user;
    } else {
      grant = "GRANT SELECT ON " + table + " TO " + user;
    }
    msg += " (" + grant + ")";
    if (access == Access::kCapture) {
      msg += "; or use `capture: poll`, which needs no triggers, only SELECT";
    }
  } else if (state.rfind("22", 0) == 0) {
    std::string column = e.column;
    if (column.empty() && state == "22001") {  // string too long: the server names no column
      for (const auto& [c, p] : values) {
        if (c->max_length > 0 && *p && Utf8Length(**p) > static_cast<size_t>(c->max_length)) {
          column = c->name;
          break;
        }
      }
    }
    if (column.empty()) {  // e.g. invalid input syntax for type date: "2023-13-01"
      for (const auto& [c, p] : values) {
        if (*p && !(*p)->empty() && e.message.find("\"" + **p + "\"") != std::string::npos) {
          column = c->name;
          break;
        }
      }
    }
    if (!column.empty() && msg.find("\"" + column + "\"") == std::string::npos) {
      msg += " (column \"" + column + "\")";
    }
  }
  return Status(s.code(), ctx + ": " + msg + std::string(suffix));
}

// --- transactions ---

Status PostgresConnection::Begin(std::string_view mode) {
  return pg_->Exec("BEGIN" + std::string(mode.empty() ? "" : " ") + std::string(mode));
}

Status PostgresConnection::Commit() { return pg_->Exec("COMMIT"); }

void PostgresConnection::Rollback() {
  if (pg_->broken() || !pg_->in_transaction()) return;
  pg_->Exec("ROLLBACK").IgnoreError();
}

// --- reading rows ---

std::string PostgresConnection::SelectList(const TableRef& t, std::string_view prefix) {
  std::string out;
  for (const std::string& k : t.key_columns) {
    if (!out.empty()) out += ", ";
    out += std::string(prefix) + QuoteIdent(k);
  }
  if (t.columns.empty()) return out + ", " + std::string(prefix) + "*";
  for (const std::string& c : t.columns) {
    if (std::find(t.key_columns.begin(), t.key_columns.end(), c) != t.key_columns.end()) continue;
    out += ", " + std::string(prefix) + QuoteIdent(c);
  }
  return out;
}

std::string PostgresConnection::KeyJoin(const TableRef& t, const TableMeta& meta,
                                        std::string_view alias, const std::string& json) {
  std::string out;
  for (size_t i = 0; i < t.key_columns.size(); ++i) {
    const ColumnMeta* c = meta.Find(t.key_columns[i]);  // Meta(t) checked they exist
    if (i) out += " AND ";
    out += std::string(alias) + "." + QuoteIdent(c->name) + " = " +
           KeyFromJsonExpr(json, i, c->base_oid, c->cast_type);
  }
  return out;
}

Row PostgresConnection::ReadRow(const PGresult* r, int row, int first) {
  Row out;
  int n = PQnfields(r);
  out.reserve(n > first ? n - first : 0);
  for (int i = first; i < n; ++i) {
    out.emplace(PQfname(r, i), ValueFromText(PQgetvalue(r, row, i), PQgetlength(r, row, i),
                                             PQgetisnull(r, row, i), PQftype(r, i)));
  }
  return out;
}

Result<std::vector<std::optional<Row>>> PostgresConnection::LookupRows(
    const TableRef& t, const TableMeta& meta, const std::vector<Key>& keys) {
  std::vector<std::optional<Row>> out(keys.size());
  RETURN_IF_ERROR(ForEachKeyRow(t, meta, keys, "", [&](const PGresult* r, int row, size_t i) {
    // A key matching several rows (a key that is not unique) keeps the first.
    if (!out[i]) out[i] = ReadRow(r, row, 1);
  }));
  return out;
}

Status PostgresConnection::ForEachKeyRow(
    const TableRef& t, const TableMeta& meta, const std::vector<Key>& keys,
    const std::string& prefix, const std::function<void(const PGresult*, int, size_t)>& on_row) {
  if (keys.empty()) return Status::Ok();
  const size_t nk = t.key_columns.size();
  std::string json = "[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].size() != nk) {
      return InvalidArgument(Context(t) + ": a key has " + std::to_string(keys[i].size()) +
                             " values, the table's key has " + std::to_string(nk) + " columns");
    }
    if (i) json += ',';
    json += EncodeKey(keys[i]);
  }
  json += ']';
  // The keys travel as one jsonb array, unnested with their position and joined to the table:
  // one statement whatever their number, each result row says which key it answers, and the
  // comparison is the database's own (each element is cast to the key column's type).
  std::string signature = "lookup ";
  AppendSignature(&signature, meta.quoted);
  for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
  signature += "|";
  for (const std::string& c : t.columns) AppendSignature(&signature, c);
  AppendSignature(&signature, prefix);
  Result<PgResult> r =
      Run(signature,
          [&] {
            return "SELECT v.i, " + prefix + SelectList(t, "t.") +
                   " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS v(k, i) JOIN " +
                   meta.quoted + " AS t ON " + KeyJoin(t, meta, "t", "v.k");
          },
          {kJsonbOid}, {json}, Planning::kEachRun);
  if (!r.ok()) return TableError(r.status(), t, Access::kRead);
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    int64_t i = std::strtoll(PQgetvalue(r->get(), row, 0), nullptr, 10) - 1;
    if (i < 0 || static_cast<size_t>(i) >= keys.size()) continue;
    on_row(r->get(), row, static_cast<size_t>(i));
  }
  return Status::Ok();
}

Result<std::vector<Row>> PostgresConnection::ReadRows(const TableRef& t,
                                                      const std::vector<Key>& keys) {
  ASSIGN_OR_RETURN(const TableMeta* meta, Meta(t));
  std::vector<Key> distinct;
  std::set<std::string> seen;
  for (const Key& k : keys) {
    if (seen.insert(EncodeKey(k)).second) distinct.push_back(k);
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<Row>> rows, LookupRows(t, *meta, distinct));
  std::vector<Row> out;
  for (auto& r : rows) {
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace postgres_connector

const ConnectorDescriptor& PostgresConnectorDescriptor() {
  static const ConnectorDescriptor kDescriptor = {
      .name = "postgres",
      .description =
          "PostgreSQL database (libpq): trigger capture into a changelog table or logical "
          "decoding on a replication slot, transactional pipelined batch writes",
      .options =
          {
              {"url", "postgresql://user@host:port/database (libpq URI; parameters allowed)"},
              {"password", "the login password (a secret: use ${ENV} or file:); default none"},
              {"schema",
               "schema of unqualified table names and of concord's changelog (default public)"},
              {"connect_timeout_s", "how long to wait for the server when connecting (default 10)"},
              {"statement_timeout_ms",
               "longest a statement may run before it is cancelled and retried; 0 means no "
               "limit (default 60000)"},
              {"sslmode",
               "disable, allow, prefer, require, verify-ca or verify-full (default: libpq's "
               "prefer)"},
              {"sslrootcert",
               "CA certificate file for verify-ca/verify-full, relative to the directory of "
               "concord.yaml"},
              {"listen",
               "true: a second connection LISTENs for the capture trigger's NOTIFY, so changes "
               "are read at once instead of at the next poll; false (poolers without LISTEN, "
               "such as PgBouncer in transaction mode): poll only (default true)"},
              {"max_retained_wal",
               "with `capture: logical`: `concord status` warns when a flow's replication slot "
               "keeps more WAL than this on the server, e.g. 512MB (default 1GB)"},
          },
      .required = {"url"},
      .capture_modes = {"trigger", "poll", "logical"},
      .open = &postgres_connector::OpenConnection,
  };
  return kDescriptor;
}

}  // namespace concord
