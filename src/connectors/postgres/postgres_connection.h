// Internal to the postgres connector: the Connection, Source and Sink classes and what they share
// (table metadata from the catalog, the prepared-statement cache, error messages, row lookup by
// key). Nothing outside this folder includes this header; the public entry point is
// PostgresConnectorDescriptor().
//
// Threading: one PostgresConnection (one libpq connection) is used by one thread at a time; its
// Source and Sink are members and share it. Ownership: the caller owns the Connection; source()
// and sink() return pointers into it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/connector.h"
#include "connectors/postgres/pg_conn.h"
#include "connectors/postgres/pg_listen.h"
#include "connectors/postgres/pg_logical.h"

namespace concord::postgres_connector {

// Names of what trigger capture creates (in the system's `schema`, and on each captured table).
inline constexpr std::string_view kChangelogTable = "_concord_changelog";
inline constexpr std::string_view kConsumersTable = "_concord_consumers";
inline constexpr std::string_view kTriggerName = "_concord_capture";
inline constexpr std::string_view kNotifyChannel = "concord_changes";

// Apply sends at most this many ops before reading their results (one round trip each), so the
// results the server has queued never fill the socket buffers while we are still sending.
inline constexpr size_t kPipelineChunk = 256;

// A table name as bindings write it: "accounts" (in the system's schema) or "sales.accounts";
// a part holding a dot or a double quote is written in double quotes ("my.table").
struct TableName {
  std::string schema;
  std::string name;
  std::string Quoted() const;  // "schema"."name": SQL, and the changelog's `tbl`
};
Result<TableName> ParseTableName(std::string_view text, std::string_view default_schema);
// The inverse, as ListTables reports names: bare in the default schema, else schema.name.
std::string FormatTableName(const TableName& t, std::string_view default_schema);

struct ColumnMeta {
  std::string name;
  Oid type_oid = 0;       // the column's type (a domain stays a domain)
  Oid base_oid = 0;       // for a domain its base type, else type_oid: decides conversions
  std::string type_name;  // with modifiers, as declared: "character varying(100)"
  std::string
      cast_type;        // without modifiers, for casts that must not truncate: "character varying"
  int max_length = -1;  // n of varchar(n)/char(n); -1 otherwise
  bool not_null = false;
  bool has_default = false;      // a DEFAULT, identity or generated column fills it on insert
  bool identity_always = false;  // GENERATED ALWAYS AS IDENTITY: inserts need OVERRIDING
  bool primary_key = false;
};

struct TableMeta {
  TableName name;
  std::string quoted;  // name.Quoted()
  Oid oid = 0;
  std::vector<ColumnMeta> columns;                    // in table order
  std::vector<std::vector<std::string>> unique_keys;  // column sets of usable unique indexes

  const ColumnMeta* Find(std::string_view column) const;
  // Whether an immediate, non-partial unique index covers exactly `columns` (any order), which
  // is what INSERT ... ON CONFLICT (columns) needs.
  bool HasUniqueIndexOn(const std::vector<std::string>& columns) const;
};

// What an operation was doing, for the hint a permission error gets.
enum class Access { kRead, kWrite, kCapture };

class PostgresConnection;

class PostgresSource final : public Source {
 public:
  explicit PostgresSource(PostgresConnection* conn) : conn_(conn) {}
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
  // Buckets and raw hashes computed by PostgreSQL (postgres_scan.cc).
  bool BucketsInDatabase() const override { return true; }
  Result<std::vector<BucketSum>> BucketSums(const TableRef& t, uint32_t buckets) override;
  Result<BucketSum> TableSum(const TableRef& t) override;
  Result<std::optional<std::string>> WriteMark(const TableRef& t) override;
  Result<std::vector<HashedRow>> ReadBucketRows(const TableRef& t, uint32_t buckets,
                                                const std::vector<Key>& keys) override;
  Result<std::vector<HashedRow>> ReadBuckets(const TableRef& t, uint32_t buckets,
                                             const std::vector<uint32_t>& which,
                                             const std::optional<Key>& after,
                                             size_t limit) override;
  // For `unique:` fields (postgres_scan.cc).
  Result<std::vector<Row>> FindByColumn(const TableRef& t, const std::string& column,
                                        const std::vector<Value>& values) override;
  Result<int64_t> CountRows(const TableRef& t) override;
  Result<int64_t> EstimateRows(const TableRef& t) override;
  // Waits on the connection's LISTEN channel (kNotifyChannel), and on the replication
  // connections of logical capture; see PgListener and LogicalStream.
  WakeUp WaitForChanges(int64_t timeout_ms) override;

 private:
  // --- capture: logical (postgres_logical.cc) ---
  struct LogicalCapture {
    TableRef table;
    TableMeta meta;
    std::unique_ptr<LogicalStream> stream;
    int64_t writes_seen = 0;  // the connection's writes() at the last catch-up
  };
  static bool IsLogical(const TableRef& t) { return t.capture == "logical"; }
  Status InstallLogical(const TableRef& t, std::string_view consumer);
  Status RemoveLogical(const TableRef& t, std::string_view consumer);
  Result<std::vector<SourceChange>> ReadLogical(const TableRef& t, std::string_view consumer,
                                                size_t max);
  // The consumer's capture in this connection; registered from the slot when it exists (a
  // process that did not install it). NotFound when there is no slot.
  Result<LogicalCapture*> Logical(const TableRef& t, std::string_view consumer);
  LogicalCapture* FindLogical(std::string_view consumer);
  // The backlog of a logical consumer; nullopt when `consumer` has no slot (trigger capture).
  Result<std::optional<Backlog>> LogicalBacklog(std::string_view consumer);
  WakeUp WaitLogical(int64_t timeout_ms);
  std::map<std::string, LogicalCapture, std::less<>> logical_;  // by consumer
  bool trigger_installed_ = false;  // some trigger capture was installed through this connection

  // Why a poll found nothing: OK when capture is intact, else NotFound/DataLoss explaining it.
  Status CheckCaptureIntact(const TableRef& t, const TableMeta& meta, std::string_view consumer);
  // The trigger function's name and body for `meta` with key `t.key_columns`.
  Status InstallInTransaction(const TableRef& t, const TableMeta& meta, std::string_view consumer);
  PostgresConnection* conn_;
};

class PostgresSink final : public Sink {
 public:
  explicit PostgresSink(PostgresConnection* conn) : conn_(conn) {}
  Result<ApplyResult> Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                            std::string_view origin) override;
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys) override;

 private:
  PostgresConnection* conn_;
};

class PostgresConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const ConnectionParams& params);

  Source* source() override { return &source_; }
  Sink* sink() override { return &sink_; }
  Result<std::vector<ColumnInfo>> DescribeTable(const std::string& table) override;
  Result<std::vector<std::string>> ListTables() override;

  // --- shared by the Source and the Sink ---

  PgConn& pg() { return *pg_; }
  // The second connection, opened on first use, that LISTENs for the capture triggers' NOTIFY;
  // nullptr with `listen: false`.
  PgListener* listener() { return listener_.get(); }
  const std::string& system() const { return system_; }
  const std::string& schema() const { return schema_; }
  // "erp.accounts" — the prefix of every message about `t`.
  std::string Context(const TableRef& t) const { return system_ + "." + t.table; }
  // "schema"."_concord_changelog" (or _concord_consumers).
  std::string CaptureTable(std::string_view name) const;

  // Unavailable when the connection is gone (the engine then reopens it).
  Status CheckAlive() const;
  // InvalidArgument unless `t` names a table and at least one key column.
  Status CheckTableRef(const TableRef& t) const;

  // The catalog's description of `t`, cached per connection (a failed statement clears the
  // cache, so a changed table is read again). NotFound naming the table when it does not exist,
  // or a key column of `t` when one does not.
  Result<const TableMeta*> Meta(const TableRef& t);
  Result<const TableMeta*> Meta(const std::string& table);
  void ForgetMeta() { meta_.clear(); }
  // Batches this connection committed through COPY (PostgresSink: straight into the table or
  // through a temp table and a merge), for tests that must know which path a batch took.
  int64_t copied_batches() const { return copied_batches_; }
  // Of those, the batches whose COPY went in binary format.
  int64_t binary_copies() const { return binary_copies_; }
  void CountCopiedBatch(bool binary) {
    ++copied_batches_;
    binary_copies_ += binary;
  }
  // Tables whose COPYs are sent as text: a value of theirs had no binary form
  // (pg_binary.h), so their later batches stream text from the start instead of trying again.
  bool CopiesAsText(Oid table) const { return text_copies_.count(table) > 0; }
  void CopyAsText(Oid table) { text_copies_.insert(table); }
  // The column of `meta`, else NotFound "column "x" does not exist (did you mean "y"?)".
  Result<const ColumnMeta*> Column(const TableRef& t, const TableMeta& meta,
                                   std::string_view column);

  // How a statement is planned. kCached: prepared once per connection, and after five runs the
  // server may keep one generic plan. kEachRun: planned for its parameters at every run, for
  // statements that join a parameter list to a table (jsonb_array_elements): a generic plan made
  // while the table was small (a hash join over a sequential scan) stays in the cache as the table
  // grows, and each lookup then reads the whole table — 85 ms at 300,000 rows instead of 0.08 ms
  // through the key's index. They run once per batch, so planning each time costs little.
  enum class Planning { kCached, kEachRun };
  // Runs the statement for `signature` (its SQL built by `build()`; with kCached, prepared on a
  // miss and cached). The signature must determine the SQL text and the parameter types.
  Result<PgResult> Run(const std::string& signature, const std::function<std::string()>& build,
                       const std::vector<Oid>& types, const std::vector<PgParam>& params,
                       Planning planning = Planning::kCached);
  // The statement cache, for Apply's pipeline (which prepares inside the pipeline).
  const std::string* FindStatement(const std::string& signature) const;
  std::string NewStatementName() { return "concord_" + std::to_string(++statement_counter_); }
  void RememberStatement(const std::string& signature, const std::string& name);
  // Deallocates every prepared statement once the cache is over its limit (outside pipelines).
  Status TrimStatementCache();

  // The error for an operation on `t` from the Status of a failed statement and the server's
  // details: "erp.accounts: <what went wrong><suffix>". Undefined table/column become
  // `table "x" does not exist` / `column "x" does not exist (did you mean "y"?)`; a permission
  // error names the grant that is missing (and, for capture, offers `capture: poll`).
  // Clears the metadata cache. `values` (column → sent text) lets a data error name its column.
  Status TableError(const Status& s, const TableRef& t, Access access, std::string_view suffix = "",
                    const std::vector<std::pair<const ColumnMeta*, const PgParam*>>& values = {});

  // The options the connection was opened with (for logical capture's replication connection).
  const PgConn::Options& options() const { return options_; }
  // `max_retained_wal` in bytes: `concord status` warns when a slot retains more.
  int64_t max_retained_wal() const { return max_retained_wal_; }
  // The current database's name (slot names are derived from it).
  Result<std::string> Database();

  // Marks this session's next transactions with the replication origin of `origin` (the system
  // the data comes from; see OriginName), so logical capture of the written table skips them.
  // Run by Apply before its transaction; nothing to do when the origin is already set. Without
  // the privilege to use origins it is OK for a table that no concord publication holds, and
  // PermissionDenied naming the grants for one that does.
  Status MarkOrigin(const TableRef& t, std::string_view origin);
  // How many batches Apply wrote through this connection (for logical capture: its own writes
  // come back through the stream, and a read that finds nothing waits for them first).
  int64_t writes() const { return writes_; }

  // Transactions (simple protocol). Rollback is best-effort: it runs on error paths only.
  Status Begin(std::string_view mode = "");
  Status Commit();
  void Rollback();

  // Current rows for `keys`: result[i] is the row of keys[i] or nullopt. Rows hold the key
  // columns and `t.columns` (all columns when empty). Keys are compared as the database compares
  // (a key "17" finds the integer row 17, as the sink's UPDATE ... WHERE would).
  Result<std::vector<std::optional<Row>>> LookupRows(const TableRef& t, const TableMeta& meta,
                                                     const std::vector<Key>& keys);
  // The look-up LookupRows runs, with `prefix` (expressions over alias t, each followed by
  // ", ", or empty) selected between the key's position and the row's columns: calls
  // `on_row(result, row, i)` for each row found, i the index of the key it answers. The row's
  // columns start at 1 + the number of prefix expressions.
  Status ForEachKeyRow(const TableRef& t, const TableMeta& meta, const std::vector<Key>& keys,
                       const std::string& prefix,
                       const std::function<void(const PGresult*, int, size_t)>& on_row);
  // Lookup of distinct keys, for both ReadRows: rows in the order of their first key.
  Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys);

  // The select list: key columns first, then the other columns of t.columns (or `prefix*`).
  static std::string SelectList(const TableRef& t, std::string_view prefix);
  // The SQL condition "t.k1 = <json element 0> AND ...", for joining keys logged as JSON.
  static std::string KeyJoin(const TableRef& t, const TableMeta& meta, std::string_view alias,
                             const std::string& json);
  // Reads result row `row` from column `first` on.
  static Row ReadRow(const PGresult* r, int row, int first);

 private:
  PostgresConnection(std::string system, std::string schema, std::unique_ptr<PgConn> pg,
                     std::unique_ptr<PgListener> listener)
      : system_(std::move(system)),
        schema_(std::move(schema)),
        pg_(std::move(pg)),
        listener_(std::move(listener)),
        source_(this),
        sink_(this) {}
  // The catalog's description of `name`; nullopt when there is no such table.
  Result<std::optional<TableMeta>> LoadMeta(const TableName& name);

  std::string system_;
  std::string schema_;
  PgConn::Options options_;
  int64_t max_retained_wal_ = int64_t{1} << 30;
  std::string database_;
  std::string session_origin_;  // the source whose replication origin this session has set
  bool origins_denied_ = false;  // this role may not use replication origins
  int64_t writes_ = 0;
  // Whether a concord publication holds the table (quoted name → (answer, when asked)).
  std::map<std::string, std::pair<bool, int64_t>> logically_captured_;
  std::unique_ptr<PgConn> pg_;
  std::unique_ptr<PgListener> listener_;
  PostgresSource source_;
  PostgresSink sink_;
  std::map<std::string, TableMeta> meta_;                    // by quoted name
  int64_t copied_batches_ = 0;
  int64_t binary_copies_ = 0;
  std::set<Oid> text_copies_;
  std::unordered_map<std::string, std::string> statements_;  // signature → prepared name
  int64_t statement_counter_ = 0;
};

// Appends `part` to a statement signature, length-prefixed so that no name (whatever characters
// it holds) can make two different statements share a signature.
inline void AppendSignature(std::string* signature, std::string_view part) {
  *signature += std::to_string(part.size());
  *signature += ':';
  *signature += part;
}


}  // namespace concord::postgres_connector
