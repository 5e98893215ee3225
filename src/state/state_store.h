// The state store: concord's own durable memory — checkpoints, the cross-reference of record keys
// between systems (xref), per-record sync state (for the version guard, ownership and conflict
// detection), the DLQ, changes waiting for a parent, the conflict queue, the audit log and the
// run history.
//
// Backed by SQLite in WAL mode (`state: sqlite:path`). Writes made between Begin() and Commit()
// are atomic: the engine records "applied" (audit, xref, record state, pending acks, checkpoint)
// in one transaction, so a crash leaves either all of it or none of it.
//
// Threading: one StateStore per thread (it wraps one SQLite connection). Several processes may
// open the same file (SQLite locking); `busy_timeout` makes short waits transparent and a lock
// held longer returns Unavailable.
//
// Durability: SQLite `synchronous=FULL` by default — a Commit() that returned OK survives a power
// loss, not only a process crash. The engine acknowledges (deletes) source changelog rows only
// after the state commit, so a commit lost to power failure would lose the xref of records already
// written to a target (a later change would insert them twice). Measured cost: see
// src/state/README.md. `Options::synchronous_full = false` selects NORMAL (WAL: crash-safe for
// process crashes, may lose the last commits on power loss) for tests and throw-away runs.
//
// No field values are stored in the audit log. The DLQ and conflict queue keep the values needed
// to show and resolve an entry (the same trust level as the systems themselves).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace concord {

// Progress of one flow.
struct FlowCheckpoint {
  std::string flow;
  // "pending" (nothing done yet), "snapshot" (initial copy in progress), "streaming".
  std::string phase = "pending";
  std::string snapshot_after_key;  // encoded key of the last snapshot row applied; "" = start
  // The initial copy began into an empty target (decided before its first row): a copy resumed
  // after a stop goes on writing without reading the target first (FlowRunner::CopyOverlapped).
  bool snapshot_into_empty = false;
  int64_t last_seq = 0;            // highest changelog seq applied (informational)
  int64_t last_applied_ms = 0;     // wall time of the last apply
  int64_t last_source_ms = 0;      // source log time of the last change applied (for lag)
  int64_t applied_total = 0;       // changes applied (outcome "applied")
  int64_t rejected_total = 0;      // changes sent to the DLQ
  // Records the flow got through, written or rejected: during the initial copy, its rows so far.
  int64_t rows_done() const { return applied_total + rejected_total; }
  int64_t last_run_ms = 0;         // scheduled flows: when the last scheduled run started
  // Poll capture: the watermark where the next pass over the source starts (engine/
  // poll_capture.h; "" = from the first row). Written only in the state transaction that records
  // the rows up to it as applied.
  std::string position;
};

// What concord last agreed a record looks like across systems, per canonical field: the hash of
// the canonical value (core/hash.h). Lets the engine see which side changed a field since the
// last sync (ownership, conflicts) without storing the values themselves.
struct RecordState {
  std::map<std::string, uint64_t> field_hashes;
  // Per system: log time (ms) of the latest change concord saw from that system for this record.
  std::map<std::string, int64_t> last_change_ms;
};

struct DlqEntry {
  int64_t id = 0;
  std::string flow;
  std::string entity;
  std::string source_key;   // encoded key in the source system
  std::string op;           // "insert" | "update" | "delete"
  int64_t seq = 0;          // changelog seq of the latest change that failed
  std::string reason;       // full sentence: field, rule, masked value, hint
  std::string field;        // the field at fault, "" when not field-specific
  std::string rule;         // "required", "max_length", "target", "parent_missing", ...
  std::string record_json;  // canonical record as JSON (personal fields masked), may be ""
  int64_t attempts = 1;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  std::string status = "open";  // "open" | "resolved" | "dismissed"
};

// A change that waits for its parent (an order whose customer is not yet in the target).
struct ParkedChange {
  int64_t id = 0;
  std::string flow;
  std::string source_key;
  int64_t seq = 0;
  std::string reason;
  int64_t first_seen_ms = 0;
  int64_t next_attempt_ms = 0;
  int64_t attempts = 0;
};

struct ConflictEntry {
  int64_t id = 0;
  std::string entity;
  std::string canonical_key;
  std::string system_a;  // the two systems whose writes collide
  std::string system_b;
  std::string values_a_json;  // {"field": value, ...} for the contested fields
  std::string values_b_json;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string status = "open";  // "open" | "resolved"
  std::string resolution;       // the winning system once resolved
};

struct AuditEntry {
  std::string flow;
  std::string entity;
  std::string source_key;
  int64_t seq = 0;  // changelog seq; 0 for snapshot rows
  std::string op;   // insert | update | delete
  // applied | unchanged (target already equal) | echo (concord's own write) | filtered (when:)
  // | dlq | parked | conflict | snapshot
  std::string outcome;
  int64_t at_ms = 0;
  // A run of an initial copy's records with one outcome: the `rows` records whose keys run from
  // source_key to last_key in the source's key order (the copy reads in that order). "" and 1:
  // the one record source_key.
  std::string last_key;
  int64_t rows = 1;
};

// One `concord run` (or other command) invocation, for the run history.
struct RunEntry {
  int64_t id = 0;
  std::string command;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;  // 0 while running (or when the process died)
  std::string outcome;      // "" while running; then e.g. "ok" | "failed" | "interrupted"
  std::string summary;
};

// One run of `concord check` (by hand or on its schedule), kept as history.
struct CheckRunEntry {
  int64_t id = 0;
  std::string check;        // "customer:crm<->erp"
  std::string trigger;      // "manual" | "schedule"
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string outcome;      // "equal" | "different" | "failed"
  int64_t left_rows = 0, right_rows = 0;
  int64_t missing_left = 0, missing_right = 0, differing = 0;
  std::string summary;      // one line for people (or the error)
};

// `concord check`'s memo of one side (reconcile/check_memo.h): what it was computed for, and
// one opaque blob per bucket.
struct CheckMemoHeader {
  std::string fingerprint;  // the config, fields and filter the canonical hashes depend on
  uint32_t buckets = 0;
  int64_t updated_ms = 0;
};
struct CheckMemoBucket {
  uint32_t bucket = 0;
  std::string data;
};

class StateStore {
 public:
  struct Options {
    // How long a write waits for another process holding the write lock before Unavailable.
    int busy_timeout_ms = 5000;
    // PRAGMA synchronous=FULL (durable against power loss) when true, NORMAL when false.
    bool synchronous_full = true;
  };

  // Opens (creating if needed) the SQLite state database at `path`, WAL mode, schema migrated.
  // ":memory:" gives a private in-memory store (tests). Outcomes:
  //   NotFound   — the parent directory does not exist (it is never created: a typo in
  //                `state:` must not silently start a fresh, empty memory elsewhere);
  //   DataLoss   — the file exists but is not an SQLite database;
  //   InvalidArgument — the schema is newer than this build understands;
  //   Unavailable — another process holds the lock while the schema needs migrating.
  // Messages read `state: cannot open "<path>": <why>`.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path, const Options& options);
  virtual ~StateStore() = default;

  // Transactions. Begin() starts an immediate (write) transaction; Commit() makes every write
  // since Begin() durable at once; Rollback() discards them. Calls outside Begin/Commit are
  // autocommitted one by one.
  // Begin(): Internal when a transaction is already open (no nesting); Unavailable when another
  // process holds the write lock longer than busy_timeout_ms.
  // Commit(): Internal without Begin(). On any failure the transaction is rolled back, so the
  // caller never has to guess whether one is still open: nothing of it was stored.
  // Rollback(): no-op without an open transaction.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  virtual bool InTransaction() const = 0;

  // --- xref: canonical key ↔ key in each system (both encoded keys) ---
  virtual Result<std::optional<std::string>> SystemKey(const std::string& entity,
                                                       const std::string& canonical_key,
                                                       const std::string& system) = 0;
  virtual Result<std::optional<std::string>> CanonicalKey(const std::string& entity,
                                                          const std::string& system,
                                                          const std::string& system_key) = 0;
  // Records (or replaces) the key of `canonical_key` in `system`.
  virtual Status PutXref(const std::string& entity, const std::string& canonical_key,
                         const std::string& system, const std::string& system_key) = 0;
  // Forgets `canonical_key` in `system`.
  virtual Status DeleteXref(const std::string& entity, const std::string& canonical_key,
                            const std::string& system) = 0;
  // Calls fn(system_key, canonical_key) for every xref entry of `entity` in `system`, ordered by
  // system key, then canonical key (so the first of a system key is what CanonicalKey returns).
  virtual Status ForEachXref(
      const std::string& entity, const std::string& system,
      const std::function<void(const std::string&, const std::string&)>& fn) = 0;

  // --- per-record sync state ---
  virtual Result<std::optional<RecordState>> GetRecordState(const std::string& entity,
                                                            const std::string& canonical_key) = 0;
  virtual Status PutRecordState(const std::string& entity, const std::string& canonical_key,
                                const RecordState& state) = 0;
  virtual Status DeleteRecordState(const std::string& entity, const std::string& canonical_key) = 0;
  // Canonical keys of `entity` whose record state holds a change time from `system` (records
  // concord has seen in that system), in key order. Poll capture's key scan compares them with
  // the keys the system still has, to see deletes.
  virtual Result<std::vector<std::string>> RecordStateKeys(const std::string& entity,
                                                           const std::string& system) = 0;

  // --- checkpoints and pending acks ---
  // A flow's checkpoint; a fresh one (phase "pending") when none was stored.
  virtual Result<FlowCheckpoint> GetCheckpoint(const std::string& flow) = 0;
  virtual Status PutCheckpoint(const FlowCheckpoint& cp) = 0;
  virtual Result<std::vector<FlowCheckpoint>> AllCheckpoints() = 0;
  // Changelog seqs applied (state committed) but not yet deleted from the source changelog.
  // Recorded in the same transaction as the apply, cleared after the source ack succeeds; on
  // restart the engine acks them first, so an apply is never repeated and never lost.
  virtual Status AddPendingAcks(const std::string& flow, const std::vector<int64_t>& seqs) = 0;
  virtual Result<std::vector<int64_t>> PendingAcks(const std::string& flow) = 0;
  virtual Status ClearPendingAcks(const std::string& flow, const std::vector<int64_t>& seqs) = 0;

  // --- DLQ ---
  // Adds an entry, or — when an open entry for (flow, source_key) exists — updates it (reason,
  // field, rule, op, seq, record_json, last_seen_ms; attempts + 1; first_seen_ms kept). A new
  // entry gets attempts = 1, status "open", first_seen_ms = entry.first_seen_ms or, when 0,
  // entry.last_seen_ms. `id`, `attempts` and `status` of `entry` are ignored. Returns the id.
  virtual Result<int64_t> PutDlq(const DlqEntry& entry) = 0;
  virtual Result<std::optional<DlqEntry>> GetDlq(int64_t id) = 0;
  // Entries with `status` ("" = any) for `flow` ("" = all flows), oldest first.
  virtual Result<std::vector<DlqEntry>> ListDlq(const std::string& flow,
                                                const std::string& status) = 0;
  virtual Result<std::optional<DlqEntry>> OpenDlqFor(const std::string& flow,
                                                     const std::string& source_key) = 0;
  // NotFound for an unknown id; InvalidArgument for a status other than open|resolved|dismissed;
  // Conflict when reopening an entry while another open entry exists for its (flow, source_key).
  virtual Status SetDlqStatus(int64_t id, const std::string& status) = 0;
  // Open entries of `flow` ("" = all flows).
  virtual Result<int64_t> CountOpenDlq(const std::string& flow) = 0;

  // --- changes waiting for a parent ---
  // Adds, or updates the entry for (flow, source_key) keeping first_seen_ms (seq, reason,
  // next_attempt_ms replaced; attempts + 1). A new entry gets attempts = 1. Returns its id.
  virtual Result<int64_t> PutParked(const ParkedChange& p) = 0;
  // Entries of `flow` whose next_attempt_ms <= now_ms, oldest first.
  virtual Result<std::vector<ParkedChange>> DueParked(const std::string& flow, int64_t now_ms) = 0;
  virtual Result<std::optional<ParkedChange>> ParkedFor(const std::string& flow,
                                                        const std::string& source_key) = 0;
  // Deleting an unknown id is not an error (the change may have been resolved meanwhile).
  virtual Status DeleteParked(int64_t id) = 0;
  // Entries of `flow` ("" = all flows).
  virtual Result<int64_t> CountParked(const std::string& flow) = 0;

  // --- conflicts ---
  // Adds, or updates the open entry for (entity, canonical_key): systems, values and updated_ms
  // replaced, created_ms kept. A new entry gets status "open", created_ms = c.created_ms or,
  // when 0, c.updated_ms (and updated_ms likewise). Returns its id.
  virtual Result<int64_t> PutConflict(const ConflictEntry& c) = 0;
  virtual Result<std::optional<ConflictEntry>> GetConflict(int64_t id) = 0;
  virtual Result<std::optional<ConflictEntry>> OpenConflictFor(
      const std::string& entity, const std::string& canonical_key) = 0;
  // Entries with `status` ("" = any), oldest first.
  virtual Result<std::vector<ConflictEntry>> ListConflicts(const std::string& status) = 0;
  // Marks an open entry resolved with `winner`. NotFound for an unknown id; Conflict when the
  // entry is not open any more (someone else resolved it first).
  virtual Status ResolveConflict(int64_t id, const std::string& winner, int64_t now_ms) = 0;
  // Open entries of `entity` ("" = all entities).
  virtual Result<int64_t> CountOpenConflicts(const std::string& entity) = 0;

  // --- audit log and runs ---
  virtual Status AddAudit(const AuditEntry& e) = 0;
  // The same as AddAudit for each entry, in order (a batch's entries, at a fraction of the cost
  // per entry). On failure some entries may have been written: call it inside Begin()/Commit().
  virtual Status AddAudits(const std::vector<AuditEntry>& entries) {
    for (const AuditEntry& e : entries) RETURN_IF_ERROR(AddAudit(e));
    return Status::Ok();
  }
  // Entries for `flow` ("" = all), in insertion order; limit 0 = no limit, otherwise the newest
  // `limit` entries (still oldest first).
  virtual Result<std::vector<AuditEntry>> ListAudit(const std::string& flow, int64_t limit) = 0;
  // Records audited for `flow` ("" = all flows) with `outcome` ("" = any outcome): a run's
  // entry counts its rows.
  virtual Result<int64_t> CountAudit(const std::string& flow, const std::string& outcome) = 0;
  // Records the start of a command; returns the run id for FinishRun.
  virtual Result<int64_t> StartRun(const std::string& command, int64_t now_ms) = 0;
  // NotFound for an unknown run id.
  virtual Status FinishRun(int64_t run_id, const std::string& outcome, const std::string& summary,
                           int64_t now_ms) = 0;
  // Runs in start order; limit 0 = all, otherwise the newest `limit` runs (still oldest first).
  virtual Result<std::vector<RunEntry>> ListRuns(int64_t limit) = 0;

  // --- check history ---
  virtual Result<int64_t> AddCheckRun(const CheckRunEntry& e) = 0;
  // The newest run of each check, by check name.
  virtual Result<std::vector<CheckRunEntry>> LatestCheckRuns() = 0;
  // Runs of `check` ("" = all), newest `limit` (0 = all), oldest first.
  virtual Result<std::vector<CheckRunEntry>> ListCheckRuns(const std::string& check,
                                                           int64_t limit) = 0;
  // The memo of a check's side, by name; nullopt when there is none.
  virtual Result<std::optional<CheckMemoHeader>> GetCheckMemo(const std::string& name) = 0;
  // Calls `fn` with each stored bucket of the memo `name` and its bytes, which are valid only
  // during the call (read in place: a memo holds ~24 bytes per row, and it is read whole).
  virtual Status ForEachCheckMemoBucket(
      const std::string& name, const std::function<void(uint32_t, std::string_view)>& fn) = 0;
  // The same for the buckets `which` only (those stored).
  virtual Status ForEachCheckMemoBucketOf(
      const std::string& name, const std::vector<uint32_t>& which,
      const std::function<void(uint32_t, std::string_view)>& fn) = 0;
  // Writes the header and `buckets` (replacing those buckets; all others first when
  // `replace_all`) in one transaction.
  virtual Status PutCheckMemo(const std::string& name, const CheckMemoHeader& header,
                              const std::vector<CheckMemoBucket>& buckets, bool replace_all) = 0;
  // Drops every memo whose header was last written before `ms`.
  virtual Status DropCheckMemosUnusedSince(int64_t ms) = 0;

  // --- maintenance ---
  // Forgets everything about `flow`'s progress: its checkpoint, pending acks, parked changes and
  // DLQ entries (any status), in one transaction (or inside the caller's). The next run starts
  // with a snapshot (`concord run --resync`). xref, record state, conflicts and the audit log are
  // kept: they describe records, not the flow's position.
  virtual Status ResetFlow(const std::string& flow) = 0;
};

}  // namespace concord
