// The SQLite implementation of StateStore (the embedded default, `state: sqlite:path`).
//
// One connection, one thread. Every statement is prepared once and cached by its SQL text: the
// engine calls xref, record-state, audit and pending-ack methods once per record, so the per-call
// cost must be a bind and a step, not a parse. Leases reset a statement as soon as the call
// returns, so no read transaction stays open between calls (it would pin the WAL and keep other
// processes' checkpoints from completing).
//
// The schema is versioned with PRAGMA user_version; MigrateStateSchema() applies each missing step
// of kStateMigrations in one immediate transaction, so two processes opening a fresh file at once
// do not both create it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/sqlite/sqlite_db.h"
#include "core/status.h"
#include "state/state_store.h"

namespace concord {

// The schema version this build writes. Bump it and append a step to kStateMigrations together.
inline constexpr int kStateSchemaVersion = 7;

// Brings `db` to kStateSchemaVersion. InvalidArgument when the file is newer than this build;
// Unavailable when another process holds the write lock past the busy timeout.
Status MigrateStateSchema(SqliteDb& db);

class SqliteStateStore : public StateStore {
 public:
  // Takes ownership of an open handle whose schema is already migrated (see StateStore::Open).
  explicit SqliteStateStore(std::unique_ptr<SqliteDb> db);
  ~SqliteStateStore() override;

  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
  bool InTransaction() const override { return in_tx_; }

  Result<std::optional<std::string>> SystemKey(const std::string& entity,
                                               const std::string& canonical_key,
                                               const std::string& system) override;
  Result<std::optional<std::string>> CanonicalKey(const std::string& entity,
                                                  const std::string& system,
                                                  const std::string& system_key) override;
  Status PutXref(const std::string& entity, const std::string& canonical_key,
                 const std::string& system, const std::string& system_key) override;
  Status DeleteXref(const std::string& entity, const std::string& canonical_key,
                    const std::string& system) override;

  Result<std::optional<RecordState>> GetRecordState(const std::string& entity,
                                                    const std::string& canonical_key) override;
  Status PutRecordState(const std::string& entity, const std::string& canonical_key,
                        const RecordState& state) override;
  Status DeleteRecordState(const std::string& entity, const std::string& canonical_key) override;
  Result<std::vector<std::string>> RecordStateKeys(const std::string& entity,
                                                   const std::string& system) override;

  Result<FlowCheckpoint> GetCheckpoint(const std::string& flow) override;
  Status PutCheckpoint(const FlowCheckpoint& cp) override;
  Result<std::vector<FlowCheckpoint>> AllCheckpoints() override;
  Status AddPendingAcks(const std::string& flow, const std::vector<int64_t>& seqs) override;
  Result<std::vector<int64_t>> PendingAcks(const std::string& flow) override;
  Status ClearPendingAcks(const std::string& flow, const std::vector<int64_t>& seqs) override;

  Result<int64_t> PutDlq(const DlqEntry& entry) override;
  Result<std::optional<DlqEntry>> GetDlq(int64_t id) override;
  Result<std::vector<DlqEntry>> ListDlq(const std::string& flow,
                                        const std::string& status) override;
  Result<std::optional<DlqEntry>> OpenDlqFor(const std::string& flow,
                                             const std::string& source_key) override;
  Status SetDlqStatus(int64_t id, const std::string& status) override;
  Result<int64_t> CountOpenDlq(const std::string& flow) override;

  Result<int64_t> PutParked(const ParkedChange& p) override;
  Result<std::vector<ParkedChange>> DueParked(const std::string& flow, int64_t now_ms) override;
  Result<std::optional<ParkedChange>> ParkedFor(const std::string& flow,
                                                const std::string& source_key) override;
  Status DeleteParked(int64_t id) override;
  Result<int64_t> CountParked(const std::string& flow) override;

  Result<int64_t> PutConflict(const ConflictEntry& c) override;
  Result<std::optional<ConflictEntry>> GetConflict(int64_t id) override;
  Result<std::optional<ConflictEntry>> OpenConflictFor(const std::string& entity,
                                                       const std::string& canonical_key) override;
  Result<std::vector<ConflictEntry>> ListConflicts(const std::string& status) override;
  Status ResolveConflict(int64_t id, const std::string& winner, int64_t now_ms) override;
  Result<int64_t> CountOpenConflicts(const std::string& entity) override;

  Status AddAudit(const AuditEntry& e) override;
  Status AddAudits(const std::vector<AuditEntry>& entries) override;
  Result<std::vector<AuditEntry>> ListAudit(const std::string& flow, int64_t limit) override;
  Result<int64_t> CountAudit(const std::string& flow, const std::string& outcome) override;
  Result<int64_t> StartRun(const std::string& command, int64_t now_ms) override;
  Status FinishRun(int64_t run_id, const std::string& outcome, const std::string& summary,
                   int64_t now_ms) override;
  Result<std::vector<RunEntry>> ListRuns(int64_t limit) override;
  Result<int64_t> AddCheckRun(const CheckRunEntry& e) override;
  Result<std::vector<CheckRunEntry>> LatestCheckRuns() override;
  Result<std::vector<CheckRunEntry>> ListCheckRuns(const std::string& check, int64_t limit) override;
  Status ForEachXref(
      const std::string& entity, const std::string& system,
      const std::function<void(const std::string&, const std::string&)>& fn) override;
  Result<std::optional<CheckMemoHeader>> GetCheckMemo(const std::string& name) override;
  Status ForEachCheckMemoBucketOf(const std::string& name, const std::vector<uint32_t>& which,
                                  const std::function<void(uint32_t, std::string_view)>& fn) override;
  Status ForEachCheckMemoBucket(
      const std::string& name,
      const std::function<void(uint32_t, std::string_view)>& fn) override;
  Status PutCheckMemo(const std::string& name, const CheckMemoHeader& header,
                      const std::vector<CheckMemoBucket>& buckets, bool replace_all) override;
  Status DropCheckMemosUnusedSince(int64_t ms) override;

  Status ResetFlow(const std::string& flow) override;

  // The schema version stored in the file (PRAGMA user_version).
  Result<int> SchemaVersion();
  // Number of distinct statements prepared so far (the cache must stay small and bounded).
  size_t CachedStatements() const { return stmts_.size(); }

 private:
  struct CachedStmt {
    explicit CachedStmt(SqliteStmt s) : stmt(std::move(s)) {}
    SqliteStmt stmt;
    bool in_use = false;
  };

  // Exclusive use of one cached statement with its parameters bound; resets it (ending any read
  // transaction it holds and clearing bindings) when destroyed.
  class Lease {
   public:
    explicit Lease(CachedStmt* c) : c_(c) { c_->in_use = true; }
    Lease(Lease&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    SqliteStmt* operator->() { return &c_->stmt; }
    SqliteStmt& operator*() { return c_->stmt; }

   private:
    CachedStmt* c_;
  };

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // Unavailable when SQLite rolled the open transaction back by itself (after disk full, I/O or
  // out-of-memory errors): writing on in autocommit mode would store half a batch.
  Status CheckTransactionAlive() const;
  // The cached statement for `sql` with `params` bound. `control` marks BEGIN/COMMIT/ROLLBACK,
  // which skip the check that an open transaction is still alive.
  Result<Lease> Use(std::string_view sql, const std::vector<Value>& params, bool control = false);
  // Runs a statement to completion.
  Status Exec(std::string_view sql, const std::vector<Value>& params);
  // Runs a statement that yields one integer (count(*) or RETURNING id).
  Result<int64_t> QueryInt(std::string_view sql, const std::vector<Value>& params);
  // Runs a statement that yields at most one text value.
  Result<std::optional<std::string>> QueryText(std::string_view sql,
                                               const std::vector<Value>& params);
  // Runs `fn` inside the caller's transaction, or inside one of its own when none is open.
  Status Atomically(const std::function<Status()>& fn);
  // Rows changed by the last statement.
  int64_t Changes() const { return db_->Changes(); }

  std::unique_ptr<SqliteDb> db_;  // declared first: destroyed after the statements
  // AddAudits' INSERT of kAuditRowsPerInsert rows, bound in place (no Value copies); finalized
  // before db_ closes.
  struct RawStmt {
    sqlite3_stmt* stmt = nullptr;
    ~RawStmt();
  };
  RawStmt audit_rows_;
  std::unordered_map<std::string, std::unique_ptr<CachedStmt>, StringHash, std::equal_to<>> stmts_;
  bool in_tx_ = false;
};

}  // namespace concord
