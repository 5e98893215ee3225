// Internal to the sqlite connector: the Connection, Source and Sink classes and the helpers they
// share (statement cache, transactions, error messages, row lookup by key). Nothing outside this
// folder includes this header; the public entry point is SqliteConnectorDescriptor().
//
// Threading: one SqliteConnection (one sqlite3 handle) is used by one thread at a time; its
// Source and Sink are members and share the handle. Ownership: the caller owns the Connection;
// source() and sink() return pointers into it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "connectors/sqlite/sqlite_db.h"

namespace concord::sqlite_connector {

// Names of what trigger capture creates in the source database.
inline constexpr std::string_view kChangelogTable = "_concord_changelog";
inline constexpr std::string_view kConsumersTable = "_concord_consumers";

// The largest number of keys bound in one lookup, ack or snapshot query.
inline constexpr size_t kMaxKeysPerQuery = 500;

class SqliteConnection;

class SqliteSource final : public Source {
 public:
  explicit SqliteSource(SqliteConnection* conn) : conn_(conn) {}
  Status InstallCapture(const TableRef& t, std::string_view consumer) override;
  Status RemoveCapture(const TableRef& t, std::string_view consumer) override;
  Result<std::vector<SourceChange>> ReadChanges(const TableRef& t, std::string_view consumer,
                                                size_t max) override;
  Status AckChanges(std::string_view consumer, const std::vector<int64_t>& seqs) override;
  Result<Backlog> PendingChanges(std::string_view consumer) override;
  Result<std::map<std::string, int64_t>> LatestPendingMs(const TableRef& t,
                                                         std::string_view consumer,
                                                         const std::vector<Key>& keys,
                                                         std::string_view ignore_origin) override;
  bool PendingChangesReadable(const TableRef& t) const override {
    return t.trigger_capture();  // the changelog table
  }
  Result<std::vector<Row>> ReadChunk(const TableRef& t, const std::optional<Key>& after,
                                     size_t limit) override;
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys) override;
  Result<std::vector<Row>> FindByColumn(const TableRef& t, const std::string& column,
                                        const std::vector<Value>& values) override;
  Result<int64_t> CountRows(const TableRef& t) override;

 private:
  // Why a poll found nothing: OK when capture is intact, else NotFound/DataLoss explaining it.
  Status CheckCaptureIntact(const TableRef& t, std::string_view consumer);
  SqliteConnection* conn_;
};

class SqliteSink final : public Sink {
 public:
  explicit SqliteSink(SqliteConnection* conn) : conn_(conn) {}
  Result<ApplyResult> Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                            std::string_view origin) override;
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys) override;

 private:
  // Applies one op inside the open transaction; returns the key written.
  Result<Key> ApplyOne(const TableRef& t, const WriteOp& op);
  Result<Key> Upsert(const TableRef& t, const Key& key, const Row& values);
  Result<Key> InsertGenerated(const TableRef& t, const Row& values);
  Status Delete(const TableRef& t, const Key& key);
  SqliteConnection* conn_;
};

// Resets a statement (and clears its bindings) when the scope ends, whatever the outcome, so a
// cached statement never keeps a read open or carries stale bindings into its next use.
class ScopedReset {
 public:
  explicit ScopedReset(SqliteStmt* stmt) : stmt_(stmt) {}
  ~ScopedReset() { stmt_->Reset().IgnoreError(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  SqliteStmt* stmt_;
};

class SqliteConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const ConnectionParams& params);

  Source* source() override { return &source_; }
  Sink* sink() override { return &sink_; }
  Result<std::vector<ColumnInfo>> DescribeTable(const std::string& table) override;
  Result<std::vector<std::string>> ListTables() override;

  // --- shared by the Source and the Sink ---

  SqliteDb& db() { return *db_; }
  const std::string& system() const { return system_; }

  // The cached prepared statement for `signature`, prepared from `build()` on a miss. The
  // signature must determine the SQL text (it is the cache key). Statements re-prepare
  // themselves after schema changes (sqlite3_prepare_v2), so the cache never goes stale; a
  // statement that fails to prepare is not cached.
  template <typename BuildSql>
  Result<SqliteStmt*> Cached(const std::string& signature, BuildSql&& build) {
    auto it = cache_.find(signature);
    if (it != cache_.end()) return it->second.get();
    return PrepareAndCache(signature, build());
  }

  // Error for an operation on `table`: "crm.accounts: <what went wrong><suffix>". SQLite's
  // "no such table/column" become `table "x" does not exist` / `column "x" does not exist` (with
  // a did-you-mean from the table's columns); other messages pass through, since SQLite already
  // names the column ("NOT NULL constraint failed: accounts.name").
  Status TableError(const Status& s, std::string_view table, std::string_view suffix = "");

  // Transactions. Begin(true) takes the write lock at once (BEGIN IMMEDIATE), so a busy database
  // fails before any work is done. Rollback is best-effort: it runs on error paths only.
  Status Begin(bool immediate);
  Status Commit();
  void Rollback();

  // Current rows for `keys` (at most kMaxKeysPerQuery per query): result[i] is the row of
  // keys[i], or nullopt when there is none. Rows hold the key columns and `t.columns` (all columns
  // when empty). Matching is done by SQL comparison (`=`, with column affinity), so a key given
  // as "17" finds the row stored as 17, as an UPDATE ... WHERE would.
  Result<std::vector<std::optional<Row>>> LookupRows(const TableRef& t,
                                                     const std::vector<Key>& keys);

  // Lookup of distinct keys, for both ReadRows: rows in the order of their first key; keys with no
  // row are absent.
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys);

  // True when `name` exists in the database as a table or view.
  Result<bool> TableExists(std::string_view name);

  // The select list shared by lookups and snapshots: key columns first, then the other columns
  // of t.columns (or `prefix*` when t.columns is empty). `prefix` qualifies each name ("t.").
  static std::string SelectList(const TableRef& t, std::string_view prefix);
  // Reads a row from `stmt` starting at result column `first`.
  static Row ReadRow(const SqliteStmt& stmt, int first);
  // InvalidArgument unless `t` names a table and at least one key column.
  Status CheckTableRef(const TableRef& t) const;

 private:
  SqliteConnection(std::string system, std::unique_ptr<SqliteDb> db)
      : system_(std::move(system)), db_(std::move(db)), source_(this), sink_(this) {}
  Result<SqliteStmt*> PrepareAndCache(const std::string& signature, const std::string& sql);

  std::string system_;
  std::unique_ptr<SqliteDb> db_;
  SqliteSource source_;
  SqliteSink sink_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStmt>> cache_;
};

// Appends `part` to a statement-cache signature, length-prefixed so that no table or column name
// (whatever characters it holds) can make two different statements share a signature.
inline void AppendSignature(std::string* signature, std::string_view part) {
  *signature += std::to_string(part.size());
  *signature += ':';
  *signature += part;
}

// "abc" → "'abc'", "o'brien" → "'o''brien'": a string literal for DDL, which cannot bind
// parameters (trigger bodies). Only concord's own names (table names from the configuration)
// go through this; record values are always bound.
std::string QuoteLiteral(std::string_view s);



}  // namespace concord::sqlite_connector
