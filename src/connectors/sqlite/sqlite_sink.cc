// Writing to SQLite (the Sink side): a batch of upserts and deletes in one BEGIN IMMEDIATE
// transaction, with the changelog rows it causes tagged with their origin (echo prevention).
#include <algorithm>
#include <string>

#include "connectors/sqlite/sqlite_connection.h"

namespace concord::sqlite_connector {
namespace {

bool IsKeyColumn(const TableRef& t, const std::string& column) {
  return std::find(t.key_columns.begin(), t.key_columns.end(), column) != t.key_columns.end();
}

// The part of a statement signature fixed by `kind`, the table and its key.
std::string TableSignature(std::string_view kind, const TableRef& t) {
  std::string sig(kind);
  AppendSignature(&sig, t.table);
  sig += std::to_string(t.key_columns.size());
  for (const std::string& k : t.key_columns) AppendSignature(&sig, k);
  return sig;
}

// "k1" = ?3 AND "k2" = ?4, with parameters numbered from `first`.
std::string KeyCondition(const TableRef& t, int first) {
  std::string out;
  for (size_t i = 0; i < t.key_columns.size(); ++i) {
    if (i) out += " AND ";
    out += QuoteIdent(t.key_columns[i]) + " = ?" + std::to_string(first + static_cast<int>(i));
  }
  return out;
}

}  // namespace

Result<ApplyResult> SqliteSink::Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                                      std::string_view origin) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ApplyResult result;
  if (ops.empty()) return result;
  result.keys.reserve(ops.size());
  Status s = conn_->Begin(/*immediate=*/true);
  if (!s.ok()) return conn_->TableError(s, t.table);

  size_t failed_op = ops.size();
  s = [&]() -> Status {
    // SQLite has one writer at a time and this transaction holds the write lock, so every
    // changelog row above this mark is caused by the ops below (the target's own triggers, or
    // triggers of tables they cascade to) and nothing else.
    std::optional<int64_t> mark;
    ASSIGN_OR_RETURN(bool captured, conn_->TableExists(kChangelogTable));
    if (captured) {
      ASSIGN_OR_RETURN(SqliteStmt * max_seq, conn_->Cached("maxseq", [] {
        return std::string("SELECT coalesce(max(seq), 0) FROM _concord_changelog");
      }));
      ScopedReset reset(max_seq);
      ASSIGN_OR_RETURN(bool row, max_seq->Step());
      mark = row ? max_seq->ColumnInt(0) : 0;
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      Result<Key> key = ApplyOne(t, ops[i]);
      if (!key.ok()) {
        failed_op = i;
        return key.status();
      }
      result.keys.push_back(std::move(*key));
    }
    // An empty origin means "not copied from anywhere": such rows stay untagged, like an
    // application's writes.
    if (mark && !origin.empty()) {
      ASSIGN_OR_RETURN(SqliteStmt * tag, conn_->Cached("tag", [] {
        return std::string("UPDATE _concord_changelog SET origin = ? WHERE seq > ?");
      }));
      ScopedReset reset(tag);
      RETURN_IF_ERROR(tag->Bind(1, Value::Text(std::string(origin))));
      RETURN_IF_ERROR(tag->Bind(2, Value::Int(*mark)));
      RETURN_IF_ERROR(tag->Run());
    }
    return conn_->Commit();
  }();
  if (!s.ok()) {
    conn_->Rollback();
    std::string where;
    if (failed_op < ops.size()) {
      where = " (op " + std::to_string(failed_op + 1) + " of " + std::to_string(ops.size()) +
              "; nothing was written)";
    }
    if (s.message().rfind(conn_->system() + "." + t.table + ": ", 0) == 0) {
      return Status(s.code(), s.message() + where);
    }
    return conn_->TableError(s, t.table, where);
  }
  return result;
}

Result<Key> SqliteSink::ApplyOne(const TableRef& t, const WriteOp& op) {
  const std::string ctx = conn_->system() + "." + t.table;
  const size_t nk = t.key_columns.size();
  if (op.kind == WriteOp::Kind::kDelete) {
    if (op.key.size() != nk) {
      return InvalidArgument(ctx + ": delete needs a key of " + std::to_string(nk) +
                             " values, got " + std::to_string(op.key.size()));
    }
    RETURN_IF_ERROR(Delete(t, op.key));
    return op.key;
  }
  if (!op.key.empty()) {
    if (op.key.size() != nk) {
      return InvalidArgument(ctx + ": upsert key has " + std::to_string(op.key.size()) +
                             " values, the table's key has " + std::to_string(nk) + " columns");
    }
    return Upsert(t, op.key, op.values);
  }
  // No key given: when the values carry the whole key, it is a natural key and the write is an
  // upsert by it (a replay must not insert twice); otherwise the database generates the key.
  Key key;
  for (const std::string& k : t.key_columns) {
    auto it = op.values.find(k);
    if (it == op.values.end() || it->second.is_null()) break;
    key.push_back(it->second);
  }
  if (key.size() == nk) return Upsert(t, key, op.values);
  return InsertGenerated(t, op.values);
}

// UPDATE by key, then INSERT when no row matched. The key comes from `key`; key columns in
// `values` are ignored (the op's key is authoritative). Statements are cached per table, key
// and column set: a batch normally repeats one shape, so each op is bind + step.
Result<Key> SqliteSink::Upsert(const TableRef& t, const Key& key, const Row& values) {
  std::vector<const std::string*> cols;
  std::string shape = TableSignature("", t);
  for (const auto& [name, value] : values) {
    if (IsKeyColumn(t, name)) continue;
    cols.push_back(&name);
    AppendSignature(&shape, name);
  }
  const int nk = static_cast<int>(t.key_columns.size());
  const int nc = static_cast<int>(cols.size());
  const std::string table = QuoteIdent(t.table);

  if (nc > 0) {
    ASSIGN_OR_RETURN(SqliteStmt * update, conn_->Cached("update " + shape, [&] {
      std::string sql = "UPDATE " + table + " SET ";
      for (int i = 0; i < nc; ++i) {
        if (i) sql += ", ";
        sql += QuoteIdent(*cols[i]) + " = ?" + std::to_string(i + 1);
      }
      return sql + " WHERE " + KeyCondition(t, nc + 1);
    }));
    ScopedReset reset(update);
    for (int i = 0; i < nc; ++i) RETURN_IF_ERROR(update->Bind(i + 1, values.at(*cols[i])));
    for (int i = 0; i < nk; ++i) RETURN_IF_ERROR(update->Bind(nc + 1 + i, key[i]));
    RETURN_IF_ERROR(update->Run());
    if (conn_->db().Changes() > 0) return key;
  }

  // INSERT: key columns first, then the values. With no values beyond the key, insert only
  // when the row is missing (an UPDATE would have nothing to set).
  ASSIGN_OR_RETURN(SqliteStmt * insert, conn_->Cached("insert " + shape, [&] {
    std::string names, params;
    for (int i = 0; i < nk; ++i) {
      names += (i ? ", " : "") + QuoteIdent(t.key_columns[i]);
      params += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    for (int i = 0; i < nc; ++i) {
      names += ", " + QuoteIdent(*cols[i]);
      params += ", ?" + std::to_string(nk + i + 1);
    }
    std::string sql = "INSERT INTO " + table + " (" + names + ") ";
    if (nc > 0) return sql + "VALUES (" + params + ")";
    return sql + "SELECT " + params + " WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE " +
           KeyCondition(t, 1) + ")";
  }));
  ScopedReset reset(insert);
  for (int i = 0; i < nk; ++i) RETURN_IF_ERROR(insert->Bind(i + 1, key[i]));
  for (int i = 0; i < nc; ++i) RETURN_IF_ERROR(insert->Bind(nk + i + 1, values.at(*cols[i])));
  RETURN_IF_ERROR(insert->Run());
  return key;
}

// INSERT ... RETURNING the key columns (SQLite >= 3.35), for tables whose key the database
// generates (INTEGER PRIMARY KEY, defaults).
Result<Key> SqliteSink::InsertGenerated(const TableRef& t, const Row& values) {
  std::string shape = TableSignature("generate ", t);
  for (const auto& [name, value] : values) AppendSignature(&shape, name);
  ASSIGN_OR_RETURN(SqliteStmt * insert, conn_->Cached(shape, [&] {
    std::string returning;
    for (const std::string& k : t.key_columns) {
      returning += (returning.empty() ? "" : ", ") + QuoteIdent(k);
    }
    std::string sql = "INSERT INTO " + QuoteIdent(t.table);
    if (values.empty()) return sql + " DEFAULT VALUES RETURNING " + returning;
    std::string names, params;
    int i = 0;
    for (const auto& [name, value] : values) {
      names += (i ? ", " : "") + QuoteIdent(name);
      params += (i ? ", ?" : "?") + std::to_string(i + 1);
      ++i;
    }
    return sql + " (" + names + ") VALUES (" + params + ") RETURNING " + returning;
  }));
  ScopedReset reset(insert);
  int i = 1;
  for (const auto& [name, value] : values) RETURN_IF_ERROR(insert->Bind(i++, value));
  ASSIGN_OR_RETURN(bool row, insert->Step());
  if (!row) return Internal(conn_->system() + "." + t.table + ": INSERT RETURNING gave no row");
  Key key;
  for (size_t k = 0; k < t.key_columns.size(); ++k)
    key.push_back(insert->Column(static_cast<int>(k)));
  RETURN_IF_ERROR(insert->Run());  // finish the statement
  return key;
}

Status SqliteSink::Delete(const TableRef& t, const Key& key) {
  ASSIGN_OR_RETURN(SqliteStmt * del, conn_->Cached(TableSignature("delete ", t), [&] {
    return "DELETE FROM " + QuoteIdent(t.table) + " WHERE " + KeyCondition(t, 1);
  }));
  ScopedReset reset(del);
  for (size_t i = 0; i < key.size(); ++i)
    RETURN_IF_ERROR(del->Bind(static_cast<int>(i) + 1, key[i]));
  return del->Run();
}

Result<std::vector<Row>> SqliteSink::ReadRows(const TableRef& t, const std::vector<Key>& keys) {
  return conn_->ReadRows(t, keys);
}

}  // namespace concord::sqlite_connector
