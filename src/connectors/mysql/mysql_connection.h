// Internal to the mysql connector: the Connection, Source and Sink classes and what they share
// (session setup, statement cache, table metadata, transactions, error messages, row lookup by
// key). Nothing outside this folder includes this header except the connector's own tests; the
// public entry point is MysqlConnectorDescriptor().
//
// Threading: one MysqlConnection (one server session) is used by one thread at a time; its
// Source and Sink are members and share the session. Ownership: the caller owns the Connection;
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
#include "connectors/mysql/mysql_db.h"

namespace concord::mysql_connector {

// Names of what trigger capture creates in the source database.
inline constexpr std::string_view kChangelogTable = "_concord_changelog";
inline constexpr std::string_view kConsumersTable = "_concord_consumers";
// The session variable the capture triggers copy into `origin`; the sink sets it around Apply.
inline constexpr std::string_view kOriginVariable = "@concord_origin";

// The largest number of keys bound in one lookup, ack or delete statement.
inline constexpr size_t kMaxKeysPerQuery = 500;

// One column as information_schema describes it.
struct ColumnMeta {
  std::string name;
  std::string data_type;    // lower case: "varchar", "decimal", "datetime", ...
  std::string column_type;  // as declared: "varchar(100)", "decimal(20,6) unsigned"
  bool not_null = false;
  bool auto_increment = false;
  // NOT NULL without a default (and not filled by the server): an INSERT must give it a value.
  bool insert_needs_value = false;
  bool binary = false;  // binary string data (BINARY, VARBINARY, BLOB): read as Blob
  int datetime_precision = 0;
};

// What the connector needs to know about one table, read from information_schema once per
// connection and dropped whenever a statement on the table fails (the schema may have changed).
struct TableMeta {
  std::string name;
  std::vector<ColumnMeta> columns;
  std::vector<std::string> primary_key;
  std::vector<std::vector<std::string>> unique_indexes;  // the primary key included
  // Case-insensitive, as MySQL compares column names; nullptr when there is no such column.
  const ColumnMeta* Find(std::string_view column) const;
  std::vector<std::string> ColumnNames() const;
};

class MysqlConnection;

class MysqlSource final : public Source {
 public:
  explicit MysqlSource(MysqlConnection* conn) : conn_(conn) {}
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
  // Buckets and raw hashes computed by the server (mysql_scan.cc).
  bool BucketsInDatabase() const override { return true; }
  // Whether the server has CRC32C (MariaDB 10.8+), asked once: the row hash is then CRC32 and
  // CRC32C of the row's text, else the first 64 bits of its MD5 (about twice as slow).
  Result<bool> HasCrc32c();
  Result<std::vector<BucketSum>> BucketSums(const TableRef& t, uint32_t buckets) override;
  Result<BucketSum> TableSum(const TableRef& t) override;
  Result<std::optional<std::string>> WriteMark(const TableRef& t) override;
  Result<std::vector<HashedRow>> ReadBucketRows(const TableRef& t, uint32_t buckets,
                                                const std::vector<Key>& keys) override;
  Result<std::vector<HashedRow>> ReadBuckets(const TableRef& t, uint32_t buckets,
                                             const std::vector<uint32_t>& which,
                                             const std::optional<Key>& after,
                                             size_t limit) override;
  // For `unique:` fields (mysql_scan.cc).
  Result<std::vector<Row>> FindByColumn(const TableRef& t, const std::string& column,
                                        const std::vector<Value>& values) override;
  Result<int64_t> CountRows(const TableRef& t) override;
  Result<int64_t> EstimateRows(const TableRef& t) override;

 private:
  // Why a poll found nothing: OK when capture is intact, else NotFound/DataLoss explaining it.
  Status CheckCaptureIntact(const TableRef& t, std::string_view consumer);
  // Creates or replaces one trigger unless the installed one already has `body`.
  Status EnsureTrigger(const std::string& name, const std::string& timing_event,
                       const std::string& table, const std::string& body);
  // PermissionDenied naming the grant that is missing, for a refused capture install.
  Status CaptureRefused(const Status& s, const std::string& table);
  int crc32c_ = -1;  // HasCrc32c: -1 not asked yet
  MysqlConnection* conn_;
};

class MysqlSink final : public Sink {
 public:
  explicit MysqlSink(MysqlConnection* conn) : conn_(conn) {}
  Result<ApplyResult> Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                            std::string_view origin) override;
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys) override;

 private:
  MysqlConnection* conn_;
};

class MysqlConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const ConnectionParams& params);

  Source* source() override { return &source_; }
  Sink* sink() override { return &sink_; }
  Result<std::vector<ColumnInfo>> DescribeTable(const std::string& table) override;
  Result<std::vector<std::string>> ListTables() override;

  // --- shared by the Source and the Sink ---

  MysqlDb& db() { return *db_; }
  const std::string& system() const { return system_; }
  const std::string& database() const { return database_; }
  const std::string& timezone() const { return timezone_; }
  // The server session's id, as KILL and information_schema.processlist show it.
  unsigned long thread_id() { return db_->thread_id(); }

  // The cached prepared statement for `signature`, prepared from `build()` on a miss. The
  // signature must determine the SQL text (it is the cache key).
  template <typename BuildSql>
  Result<MysqlStmt*> Cached(const std::string& signature, BuildSql&& build) {
    auto it = cache_.find(signature);
    if (it != cache_.end()) return it->second.get();
    return PrepareAndCache(signature, build());
  }

  // The metadata of `table`; NotFound ("crm: table \"x\" does not exist") when there is none.
  Result<const TableMeta*> Meta(const std::string& table);
  // Forgets cached metadata and statements (after a failure: the schema may have changed).
  void ForgetSchema();

  // Error for an operation on `table`: "crm.accounts: <what went wrong><suffix>". Unknown table
  // and column become `table "x" does not exist` / `column "x" does not exist (did you mean
  // "y"?)`; other server messages pass through, since they name the column ("Data too long for
  // column 'name' at row 1"). A message already prefixed with the context is kept as is.
  Status TableError(const Status& s, std::string_view table, std::string_view suffix = "");

  // Transactions. Begin(kSnapshot) starts a read-only transaction whose reads all see one
  // consistent snapshot; Begin(kWrite) a read-write one. Rollback is best-effort.
  enum class TxKind { kSnapshot, kWrite };
  Status Begin(TxKind kind);
  Status Commit();
  void Rollback();

  // Current rows for `keys` (at most kMaxKeysPerQuery per query): result[i] is the row of
  // keys[i], or nullopt when there is none. Rows hold the key columns and `t.columns` (all columns
  // when empty). Matching is the server's own comparison (a key "17" finds the row stored as 17,
  // as UPDATE ... WHERE would).
  Result<std::vector<std::optional<Row>>> LookupRows(const TableRef& t,
                                                     const std::vector<Key>& keys);
  // Lookup of distinct keys in one snapshot, for both ReadRows: rows in the order of their first
  // key; keys with no row are absent.
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys);

  // True when the database holds a table or view named exactly `name`.
  Result<bool> TableExists(std::string_view name);

  // The select list shared by lookups and snapshots: key columns first, then the other columns
  // of t.columns (or `prefix*` when t.columns is empty). `prefix` qualifies each name ("t.").
  static std::string SelectList(const TableRef& t, std::string_view prefix);
  // Reads a row from `stmt` starting at result column `first`.
  static Row ReadRow(const MysqlStmt& stmt, int first);
  // InvalidArgument unless `t` names a table and at least one key column.
  Status CheckTableRef(const TableRef& t) const;
  // "crm.accounts"
  std::string Context(std::string_view table) const { return system_ + "." + std::string(table); }

  // Whether the server refused LOAD DATA LOCAL on this connection (its `local_infile` is off):
  // the sink's bulk path is then not tried again until the connection is reopened.
  bool local_infile_refused() const { return local_infile_refused_; }
  void set_local_infile_refused() { local_infile_refused_ = true; }

 private:
  MysqlConnection(std::string system, std::string database, std::string timezone,
                  std::unique_ptr<MysqlDb> db)
      : system_(std::move(system)),
        database_(std::move(database)),
        timezone_(std::move(timezone)),
        db_(std::move(db)),
        source_(this),
        sink_(this) {}
  Result<MysqlStmt*> PrepareAndCache(const std::string& signature, const std::string& sql);

  std::string system_;
  std::string database_;
  std::string timezone_;
  std::unique_ptr<MysqlDb> db_;
  MysqlSource source_;
  MysqlSink sink_;
  std::unordered_map<std::string, std::unique_ptr<MysqlStmt>> cache_;
  std::map<std::string, TableMeta> meta_;
  bool local_infile_refused_ = false;
};

// `a` → "`a`", "we`ird" → "`we``ird`": an identifier, whatever characters it holds.
std::string QuoteIdent(std::string_view ident);

// "abc" → "_utf8mb4 X'616263' COLLATE utf8mb4_bin": a string constant for DDL, which cannot bind
// parameters (trigger bodies). Hex needs no escaping and reads the same whatever the sql_mode
// (backslash escapes, ANSI quotes). Only concord's own names go through this; record values are
// always bound.
std::string StringConstant(std::string_view s);

// Appends `part` to a statement-cache signature, length-prefixed so that no table or column name
// (whatever characters it holds) can make two different statements share a signature.
inline void AppendSignature(std::string* signature, std::string_view part) {
  *signature += std::to_string(part.size());
  *signature += ':';
  *signature += part;
}


// Case-insensitive (ASCII) equality, as MySQL compares column names.
bool EqualsNoCase(std::string_view a, std::string_view b);


}  // namespace concord::mysql_connector
