// Trigger capture and snapshot reads for SQLite (the Source side). See README.md for the
// changelog design: triggers append one row per registered consumer to _concord_changelog, the
// reader fetches the current rows for the logged keys, and AckChanges deletes what was consumed.
#include <algorithm>
#include <cctype>
#include <map>
#include <string>

#include "connectors/sqlite/sqlite_connection.h"
#include "core/did_you_mean.h"

namespace concord::sqlite_connector {
namespace {

// `tbl` compares without case (ASCII), as SQLite compares table names: a binding that spells
// the table "Accounts" and another that spells it "accounts" share one registration and log.
constexpr std::string_view kCreateCaptureTables =
    "CREATE TABLE IF NOT EXISTS _concord_changelog("
    "seq INTEGER PRIMARY KEY AUTOINCREMENT, consumer TEXT NOT NULL, "
    "tbl TEXT NOT NULL COLLATE NOCASE, pk TEXT NOT NULL, op TEXT NOT NULL, origin TEXT, "
    "at_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS _concord_changelog_consumer_seq "
    "ON _concord_changelog(consumer, seq);"
    "CREATE TABLE IF NOT EXISTS _concord_consumers("
    "consumer TEXT NOT NULL, tbl TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY(consumer, tbl));";

// Milliseconds since the Unix epoch. SQLite 3.40 (Debian 12) has no unixepoch('subsec')
// (added in 3.42); julianday's double resolves to tens of microseconds, enough for ms.
constexpr std::string_view kNowMs = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

enum class TriggerKind { kInsert, kUpdate, kDelete };
constexpr TriggerKind kTriggerKinds[] = {TriggerKind::kInsert, TriggerKind::kUpdate,
                                         TriggerKind::kDelete};

std::string TriggerName(std::string_view table, TriggerKind kind) {
  std::string_view suffix = kind == TriggerKind::kInsert   ? "_ins"
                            : kind == TriggerKind::kUpdate ? "_upd"
                                                           : "_del";
  return "_concord_" + std::string(table) + std::string(suffix);
}

// json_array(NEW."k1", NEW."k2"): the key as JSON, byte for byte what EncodeKey yields. JSON
// cannot hold a blob (json_array would fail the application's own write), so blob values are
// logged as {"hex":".."}, the form EncodeKey uses for blobs.
std::string KeyJsonOf(const std::vector<std::string>& exprs) {
  std::string out = "json_array(";
  for (size_t i = 0; i < exprs.size(); ++i) {
    const std::string& e = exprs[i];
    if (i) out += ", ";
    out += "CASE WHEN typeof(" + e + ") = 'blob' THEN json_object('hex', lower(hex(" + e +
           "))) ELSE " + e + " END";
  }
  return out + ")";
}

std::string KeyJson(const TableRef& t, std::string_view row) {
  std::vector<std::string> exprs;
  for (const std::string& k : t.key_columns)
    exprs.push_back(std::string(row) + "." + QuoteIdent(k));
  return KeyJsonOf(exprs);
}

// One changelog row per consumer registered on the table. The table name is a string literal
// here because DDL (a trigger body) cannot bind parameters; QuoteLiteral doubles single quotes,
// so any name is safe. Only the table name is pasted, never a record value.
std::string LogStatement(const TableRef& t, std::string_view row, std::string_view op,
                         std::string_view condition) {
  std::string tbl = QuoteLiteral(t.table);
  std::string out =
      "INSERT INTO _concord_changelog(consumer, tbl, pk, op, at_ms) SELECT consumer, " + tbl +
      ", " + KeyJson(t, row) + ", '" + std::string(op) + "', " + std::string(kNowMs) +
      " FROM _concord_consumers WHERE tbl = " + tbl;
  if (!condition.empty()) out += " AND (" + std::string(condition) + ")";
  return out + ";";
}

// The exact CREATE TRIGGER text. It is deterministic, so comparing it with what sqlite_schema
// holds tells whether the installed trigger is current (same key) without recreating it.
std::string TriggerSql(const TableRef& t, TriggerKind kind) {
  std::string head = "CREATE TRIGGER " + QuoteIdent(TriggerName(t.table, kind));
  std::string on = " ON " + QuoteIdent(t.table) + " BEGIN ";
  switch (kind) {
    case TriggerKind::kInsert:
      return head + " AFTER INSERT" + on + LogStatement(t, "NEW", "insert", "") + " END";
    case TriggerKind::kDelete:
      return head + " AFTER DELETE" + on + LogStatement(t, "OLD", "delete", "") + " END";
    case TriggerKind::kUpdate: {
      // A changed key is a different row: the old key is gone, the new one appears.
      std::string changed;
      for (const std::string& k : t.key_columns) {
        if (!changed.empty()) changed += " OR ";
        changed += "OLD." + QuoteIdent(k) + " IS NOT NEW." + QuoteIdent(k);
      }
      return head + " AFTER UPDATE" + on + LogStatement(t, "OLD", "delete", changed) + " " +
             LogStatement(t, "NEW", "insert", changed) + " " +
             LogStatement(t, "NEW", "update", "NOT (" + changed + ")") + " END";
    }
  }
  return "";
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}


}  // namespace

Status SqliteSource::InstallCapture(const TableRef& t, std::string_view consumer) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  const std::string ctx = conn_->system() + "." + t.table;
  if (consumer.empty()) return InvalidArgument(ctx + ": capture consumer name is empty");
  ASSIGN_OR_RETURN(std::vector<ColumnInfo> columns, conn_->DescribeTable(t.table));
  std::vector<std::string> names;
  for (const ColumnInfo& c : columns) names.push_back(c.name);
  for (const std::string& k : t.key_columns) {
    bool found = std::any_of(names.begin(), names.end(),
                             [&](const std::string& n) { return EqualsNoCase(n, k); });
    if (!found) {
      std::string msg = ctx + ": key column \"" + k + "\" does not exist";
      std::string near = ClosestMatch(std::string(k), names);
      if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
      return NotFound(msg);
    }
  }

  SqliteDb& db = conn_->db();
  Status s = conn_->Begin(/*immediate=*/true);
  if (!s.ok()) return conn_->TableError(s, t.table);
  s = [&]() -> Status {
    RETURN_IF_ERROR(db.Exec(std::string(kCreateCaptureTables)));
    RETURN_IF_ERROR(db.Run("INSERT OR IGNORE INTO _concord_consumers(consumer, tbl) VALUES (?, ?)",
                           {Value::Text(std::string(consumer)), Value::Text(t.table)}));
    // Recreate the triggers unless they are exactly what this key needs: the key may have
    // changed since they were made, and leaving current ones alone spares every other connection
    // a schema change (which makes them re-prepare their statements).
    for (TriggerKind kind : kTriggerKinds) {
      std::string name = TriggerName(t.table, kind);
      std::string sql = TriggerSql(t, kind);
      ASSIGN_OR_RETURN(std::optional<Value> existing,
                       db.QueryValue("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND "
                                     "name = ? COLLATE NOCASE",
                                     {Value::Text(name)}));
      if (existing && existing->kind() == ValueKind::kText && existing->text() == sql) continue;
      RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdent(name)));
      RETURN_IF_ERROR(db.Exec(sql));
    }
    return conn_->Commit();
  }();
  if (!s.ok()) {
    conn_->Rollback();
    return conn_->TableError(s, t.table, " (installing capture)");
  }
  return Status::Ok();
}

Status SqliteSource::RemoveCapture(const TableRef& t, std::string_view consumer) {
  if (t.table.empty()) return InvalidArgument(conn_->system() + ": table name is empty");
  SqliteDb& db = conn_->db();
  Status s = conn_->Begin(/*immediate=*/true);
  if (!s.ok()) return conn_->TableError(s, t.table);
  s = [&]() -> Status {
    ASSIGN_OR_RETURN(bool installed, conn_->TableExists(kConsumersTable));
    if (installed) {
      std::vector<Value> params = {Value::Text(std::string(consumer)), Value::Text(t.table)};
      RETURN_IF_ERROR(
          db.Run("DELETE FROM _concord_consumers WHERE consumer = ? AND tbl = ?", params));
      RETURN_IF_ERROR(
          db.Run("DELETE FROM _concord_changelog WHERE consumer = ? AND tbl = ?", params));
      ASSIGN_OR_RETURN(std::optional<Value> left,
                       db.QueryValue("SELECT count(*) FROM _concord_consumers WHERE tbl = ?",
                                     {Value::Text(t.table)}));
      if (left && left->int_value() > 0) return conn_->Commit();
    }
    for (TriggerKind kind : kTriggerKinds) {
      RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdent(TriggerName(t.table, kind))));
    }
    return conn_->Commit();
  }();
  if (!s.ok()) {
    conn_->Rollback();
    return conn_->TableError(s, t.table, " (removing capture)");
  }
  return Status::Ok();
}

Status SqliteSource::CheckCaptureIntact(const TableRef& t, std::string_view consumer) {
  const std::string ctx = conn_->system() + "." + t.table;
  ASSIGN_OR_RETURN(bool table_exists, conn_->TableExists(t.table));
  if (!table_exists) return NotFound(ctx + ": table \"" + t.table + "\" does not exist");
  SqliteDb& db = conn_->db();
  ASSIGN_OR_RETURN(std::optional<Value> registered,
                   db.QueryValue("SELECT 1 FROM _concord_consumers WHERE consumer = ? AND tbl = ?",
                                 {Value::Text(std::string(consumer)), Value::Text(t.table)}));
  if (!registered) {
    return NotFound(ctx + ": capture is not installed for consumer \"" + std::string(consumer) +
                    "\" (InstallCapture registers it)");
  }
  std::vector<Value> names;
  for (TriggerKind kind : kTriggerKinds) names.push_back(Value::Text(TriggerName(t.table, kind)));
  ASSIGN_OR_RETURN(std::optional<Value> triggers,
                   db.QueryValue("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND "
                                 "name COLLATE NOCASE IN (?, ?, ?)",
                                 names));
  if (!triggers || triggers->int_value() != 3) {
    // Typically the application dropped and recreated the table (a migration), which drops its
    // triggers: writes since then were not logged.
    return DataLoss(ctx +
                    ": the capture triggers are missing (was the table recreated?); "
                    "changes since then were not captured: restart the flow to reinstall "
                    "capture and take a new snapshot");
  }
  return Status::Ok();
}

Result<std::vector<SourceChange>> SqliteSource::ReadChanges(const TableRef& t,
                                                            std::string_view consumer, size_t max) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::vector<SourceChange> changes;
  if (max == 0) return changes;
  const std::string ctx = conn_->system() + "." + t.table;
  // One read transaction: the log and the images come from one snapshot of the database.
  Status s = conn_->Begin(/*immediate=*/false);
  if (!s.ok()) return conn_->TableError(s, t.table);
  s = [&]() -> Status {
    ASSIGN_OR_RETURN(bool installed, conn_->TableExists(kChangelogTable));
    if (!installed) {
      return NotFound(ctx + ": capture is not installed (no " + std::string(kChangelogTable) +
                      " table; InstallCapture creates it)");
    }
    ASSIGN_OR_RETURN(SqliteStmt * stmt, conn_->Cached("changes", [] {
      return std::string(
          "SELECT seq, pk, op, origin, at_ms FROM _concord_changelog "
          "WHERE consumer = ? AND tbl = ? ORDER BY seq LIMIT ?");
    }));
    ScopedReset reset(stmt);
    RETURN_IF_ERROR(stmt->Bind(1, Value::Text(std::string(consumer))));
    RETURN_IF_ERROR(stmt->Bind(2, Value::Text(t.table)));
    RETURN_IF_ERROR(stmt->Bind(3, Value::Int(static_cast<int64_t>(
                                      std::min<size_t>(max, static_cast<size_t>(INT64_MAX))))));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      SourceChange c;
      c.seq = stmt->ColumnInt(0);
      std::string pk = stmt->ColumnText(1);
      Result<Key> key = DecodeKey(pk);
      if (!key.ok()) {
        return DataLoss(ctx + ": changelog row " + std::to_string(c.seq) +
                        " has an unreadable key: " + key.status().message());
      }
      if (key->size() != t.key_columns.size()) {
        return InvalidArgument(ctx + ": changelog row " + std::to_string(c.seq) + " has a key of " +
                               std::to_string(key->size()) + " values but the binding's key has " +
                               std::to_string(t.key_columns.size()) +
                               " columns (capture was installed with another key)");
      }
      c.key = std::move(*key);
      Result<ChangeOp> op = ParseChangeOp(stmt->ColumnText(2));
      if (!op.ok()) return op.status().WithContext(ctx);
      c.op = *op;
      c.origin = stmt->ColumnText(3);  // NULL (an application's write) reads as ""
      c.at_ms = stmt->ColumnInt(4);
      changes.push_back(std::move(c));
    }
    if (changes.empty()) {
      RETURN_IF_ERROR(CheckCaptureIntact(t, consumer));
      return conn_->Commit();
    }
    // The current image of each distinct key, fetched in as few queries as possible.
    RETURN_IF_ERROR(AttachCurrentImages(
        &changes, [&](const std::vector<Key>& keys) { return conn_->LookupRows(t, keys); }));
    return conn_->Commit();
  }();
  if (!s.ok()) {
    conn_->Rollback();
    if (s.message().rfind(ctx + ": ", 0) == 0) return s;
    return conn_->TableError(s, t.table);
  }
  return changes;
}

Status SqliteSource::AckChanges(std::string_view consumer, const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  SqliteDb& db = conn_->db();
  const std::string table(kChangelogTable);
  Status s = conn_->Begin(/*immediate=*/true);
  if (!s.ok()) return conn_->TableError(s, table);
  s = [&]() -> Status {
    ASSIGN_OR_RETURN(bool installed, conn_->TableExists(kChangelogTable));
    if (!installed) return conn_->Commit();  // nothing to delete: unknown seqs are ignored
    for (size_t begin = 0; begin < seqs.size(); begin += kMaxKeysPerQuery) {
      size_t end = std::min(seqs.size(), begin + kMaxKeysPerQuery);
      std::string sql = "DELETE FROM _concord_changelog WHERE consumer = ? AND seq IN (";
      std::vector<Value> params = {Value::Text(std::string(consumer))};
      for (size_t i = begin; i < end; ++i) {
        sql += i > begin ? ", ?" : "?";
        params.push_back(Value::Int(seqs[i]));
      }
      RETURN_IF_ERROR(db.Run(sql + ")", params));
    }
    return conn_->Commit();
  }();
  if (!s.ok()) {
    conn_->Rollback();
    return conn_->TableError(s, table, " (acknowledging changes)");
  }
  return Status::Ok();
}

Result<Source::Backlog> SqliteSource::PendingChanges(std::string_view consumer) {
  Backlog backlog;
  const std::string table(kChangelogTable);
  Result<bool> installed = conn_->TableExists(kChangelogTable);
  if (!installed.ok()) return conn_->TableError(installed.status(), table);
  if (!*installed) return backlog;
  Result<SqliteStmt*> stmt = conn_->Cached("pending", [] {
    return std::string(
        "SELECT count(*), coalesce(min(at_ms), 0) FROM _concord_changelog WHERE consumer = ?");
  });
  if (!stmt.ok()) return conn_->TableError(stmt.status(), table);
  ScopedReset reset(*stmt);
  Status s = (*stmt)->Bind(1, Value::Text(std::string(consumer)));
  Result<bool> row = s.ok() ? (*stmt)->Step() : Result<bool>(s);
  if (!row.ok()) return conn_->TableError(row.status(), table);
  if (*row) {
    backlog.count = (*stmt)->ColumnInt(0);
    backlog.oldest_at_ms = (*stmt)->ColumnInt(1);
  }
  return backlog;
}

Result<std::map<std::string, int64_t>> SqliteSource::LatestPendingMs(
    const TableRef& t, std::string_view consumer, const std::vector<Key>& keys,
    std::string_view ignore_origin) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::map<std::string, int64_t> latest;
  if (keys.empty()) return latest;
  const size_t nk = t.key_columns.size();
  for (const Key& k : keys) {
    if (k.size() != nk) {
      return InvalidArgument(conn_->system() + "." + t.table + ": a key has " +
                             std::to_string(k.size()) + " values, the table's key has " +
                             std::to_string(nk) + " columns");
    }
  }
  SqliteDb& db = conn_->db();
  Status s = conn_->Begin(/*immediate=*/false);
  if (!s.ok()) return conn_->TableError(s, t.table);
  s = [&]() -> Status {
    ASSIGN_OR_RETURN(bool installed, conn_->TableExists(kChangelogTable));
    if (!installed) return conn_->Commit();
    std::vector<std::string> exprs;
    for (size_t k = 0; k < nk; ++k) exprs.push_back("column" + std::to_string(k + 2));
    const std::string key_json = KeyJsonOf(exprs);
    for (size_t begin = 0; begin < keys.size(); begin += kMaxKeysPerQuery) {
      size_t end = std::min(keys.size(), begin + kMaxKeysPerQuery);
      // The logged text of each key, made by SQLite itself with the triggers' expression, so
      // it matches `pk` byte for byte (reals, escapes) where EncodeKey might not.
      std::string tuple = "(?";
      for (size_t k = 0; k < nk; ++k) tuple += ", ?";
      tuple += ")";
      std::string values;
      std::vector<Value> params;
      for (size_t i = begin; i < end; ++i) {
        values += (i > begin ? ", " : "") + tuple;
        params.push_back(Value::Int(static_cast<int64_t>(i)));
        params.insert(params.end(), keys[i].begin(), keys[i].end());
      }
      ASSIGN_OR_RETURN(SqliteStmt texts,
                       db.Prepare("SELECT column1, " + key_json + " FROM (VALUES " + values + ")"));
      RETURN_IF_ERROR(texts.BindAll(params));
      std::map<std::string, std::vector<size_t>> wanted;  // logged text → indexes in keys
      while (true) {
        ASSIGN_OR_RETURN(bool row, texts.Step());
        if (!row) break;
        int64_t i = texts.ColumnInt(0);
        if (i >= 0 && static_cast<size_t>(i) < keys.size()) {
          wanted[texts.ColumnText(1)].push_back(static_cast<size_t>(i));
        }
      }
      std::string sql =
          "SELECT pk, max(at_ms) FROM _concord_changelog WHERE consumer = ? AND tbl = ? "
          "AND origin IS NOT ? AND pk IN (";
      std::vector<Value> args = {Value::Text(std::string(consumer)), Value::Text(t.table),
                                 Value::Text(std::string(ignore_origin))};
      for (const auto& [text, indexes] : wanted) {
        sql += args.size() > 3 ? ", ?" : "?";
        args.push_back(Value::Text(text));
      }
      ASSIGN_OR_RETURN(SqliteStmt pending, db.Prepare(sql + ") GROUP BY pk"));
      RETURN_IF_ERROR(pending.BindAll(args));
      while (true) {
        ASSIGN_OR_RETURN(bool row, pending.Step());
        if (!row) break;
        auto it = wanted.find(pending.ColumnText(0));
        if (it == wanted.end()) continue;
        for (size_t i : it->second) latest[EncodeKey(keys[i])] = pending.ColumnInt(1);
      }
    }
    return conn_->Commit();
  }();
  if (!s.ok()) {
    conn_->Rollback();
    return conn_->TableError(s, t.table);
  }
  return latest;
}

Result<std::vector<Row>> SqliteSource::ReadChunk(const TableRef& t, const std::optional<Key>& after,
                                                 size_t limit) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  const std::string ctx = conn_->system() + "." + t.table;
  std::vector<Row> rows;
  if (limit == 0) return rows;
  RETURN_IF_ERROR(CheckSnapshotPosition(ctx, t, after));
  std::string order, lhs, rhs;
  for (const std::string& k : t.key_columns) {
    if (!order.empty()) {
      order += ", ";
      lhs += ", ";
      rhs += ", ";
    }
    order += QuoteIdent(k);
    lhs += QuoteIdent(k);
    rhs += "?";
  }
  std::string signature = after ? "chunk-after " : "chunk-first ";
  AppendSignature(&signature, t.table);
  signature += std::to_string(t.key_columns.size());
  for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
  for (const std::string& c : t.columns) AppendSignature(&signature, c);
  Result<SqliteStmt*> stmt = conn_->Cached(signature, [&] {
    std::string sql =
        "SELECT " + SqliteConnection::SelectList(t, "") + " FROM " + QuoteIdent(t.table);
    // A row-value comparison: SQLite walks the key's index from the position on.
    if (after) sql += " WHERE (" + lhs + ") > (" + rhs + ")";
    return sql + " ORDER BY " + order + " LIMIT ?";
  });
  if (!stmt.ok()) return conn_->TableError(stmt.status(), t.table);
  ScopedReset reset(*stmt);
  int p = 1;
  if (after) {
    for (const Value& v : *after) RETURN_IF_ERROR((*stmt)->Bind(p++, v));
  }
  RETURN_IF_ERROR((*stmt)->Bind(p, Value::Int(static_cast<int64_t>(
                                       std::min<size_t>(limit, static_cast<size_t>(INT64_MAX))))));
  while (true) {
    Result<bool> row = (*stmt)->Step();
    if (!row.ok()) return conn_->TableError(row.status(), t.table);
    if (!*row) break;
    rows.push_back(SqliteConnection::ReadRow(**stmt, 0));
  }
  return rows;
}

Result<std::vector<Row>> SqliteSource::ReadRows(const TableRef& t, const std::vector<Key>& keys) {
  return conn_->ReadRows(t, keys);
}

Result<int64_t> SqliteSource::CountRows(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::string signature = "count ";
  AppendSignature(&signature, t.table);
  Result<SqliteStmt*> stmt =
      conn_->Cached(signature, [&] { return "SELECT count(*) FROM " + QuoteIdent(t.table); });
  if (!stmt.ok()) return conn_->TableError(stmt.status(), t.table);
  ScopedReset reset(*stmt);
  Result<bool> row = (*stmt)->Step();
  if (!row.ok()) return conn_->TableError(row.status(), t.table);
  return *row ? (*stmt)->ColumnInt(0) : 0;
}

Result<std::vector<Row>> SqliteSource::FindByColumn(const TableRef& t, const std::string& column,
                                                    const std::vector<Value>& values) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  // `column IN (?, ...)`, compared with the column's affinity (a value "17" finds 17, as the
  // sink's writes would). Statements are cached for a few fixed list lengths; 4096 values per
  // statement stays far below SQLite's parameter limit.
  TableRef shape = t;
  shape.columns = t.key_columns;
  shape.columns.push_back(column);
  std::vector<Row> rows;
  RETURN_IF_ERROR(ForEachPaddedChunk(
      values.size(), {8, 64, 512, 4096}, [&](size_t begin, size_t n, size_t padded) -> Status {
        std::string signature = "by-column ";
        AppendSignature(&signature, t.table);
        AppendSignature(&signature, column);
        for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
        signature += std::to_string(padded);
        Result<SqliteStmt*> stmt = conn_->Cached(signature, [&] {
          std::string sql = "SELECT " + SqliteConnection::SelectList(shape, "") + " FROM " +
                            QuoteIdent(t.table) + " WHERE " + QuoteIdent(column) + " IN (?";
          for (size_t i = 1; i < padded; ++i) sql += ", ?";
          return sql + ")";
        });
        if (!stmt.ok()) return conn_->TableError(stmt.status(), t.table);
        ScopedReset reset(*stmt);
        for (size_t i = 0; i < padded; ++i) {
          RETURN_IF_ERROR(
              (*stmt)->Bind(static_cast<int>(i + 1), values[begin + std::min(i, n - 1)]));
        }
        while (true) {
          Result<bool> row = (*stmt)->Step();
          if (!row.ok()) return conn_->TableError(row.status(), t.table);
          if (!*row) return Status::Ok();
          rows.push_back(SqliteConnection::ReadRow(**stmt, 0));
        }
      }));
  return rows;
}

}  // namespace concord::sqlite_connector
