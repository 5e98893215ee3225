#include "state/sqlite_state_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "core/hash.h"

namespace concord {
namespace {

// Each step brings the schema from version `to - 1` to `to`. Never edit a step once released:
// append a new one (ALTER TABLE / CREATE TABLE) and bump kStateSchemaVersion.
struct Migration {
  int to;
  const char* sql;
};

constexpr Migration kStateMigrations[] = {
    {1, R"sql(
CREATE TABLE checkpoints (
  flow               TEXT PRIMARY KEY,
  phase              TEXT NOT NULL,
  snapshot_after_key TEXT NOT NULL,
  last_seq           INTEGER NOT NULL,
  last_applied_ms    INTEGER NOT NULL,
  last_source_ms     INTEGER NOT NULL,
  applied_total      INTEGER NOT NULL,
  rejected_total     INTEGER NOT NULL,
  last_run_ms        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE xref (
  entity        TEXT NOT NULL,
  canonical_key TEXT NOT NULL,
  system        TEXT NOT NULL,
  system_key    TEXT NOT NULL,
  PRIMARY KEY (entity, canonical_key, system)
) WITHOUT ROWID;
CREATE INDEX xref_by_system_key ON xref (entity, system, system_key);

-- field_hashes: {"field": "<16 hex digits>"}; last_change_ms: {"system": ms}.
CREATE TABLE record_state (
  entity         TEXT NOT NULL,
  canonical_key  TEXT NOT NULL,
  field_hashes   TEXT NOT NULL,
  last_change_ms TEXT NOT NULL,
  PRIMARY KEY (entity, canonical_key)
) WITHOUT ROWID;

CREATE TABLE pending_acks (
  flow TEXT NOT NULL,
  seq  INTEGER NOT NULL,
  PRIMARY KEY (flow, seq)
) WITHOUT ROWID;

CREATE TABLE dlq (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  flow          TEXT NOT NULL,
  entity        TEXT NOT NULL,
  source_key    TEXT NOT NULL,
  op            TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  reason        TEXT NOT NULL,
  field         TEXT NOT NULL,
  rule          TEXT NOT NULL,
  record_json   TEXT NOT NULL,
  attempts      INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms  INTEGER NOT NULL,
  status        TEXT NOT NULL
);
-- At most one open entry per source record: PutDlq upserts on it.
CREATE UNIQUE INDEX dlq_open ON dlq (flow, source_key) WHERE status = 'open';
CREATE INDEX dlq_by_flow_status ON dlq (flow, status);

CREATE TABLE parked (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  flow            TEXT NOT NULL,
  source_key      TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  reason          TEXT NOT NULL,
  first_seen_ms   INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  attempts        INTEGER NOT NULL,
  UNIQUE (flow, source_key)
);
CREATE INDEX parked_due ON parked (flow, next_attempt_ms);

CREATE TABLE conflicts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  entity        TEXT NOT NULL,
  canonical_key TEXT NOT NULL,
  system_a      TEXT NOT NULL,
  system_b      TEXT NOT NULL,
  values_a_json TEXT NOT NULL,
  values_b_json TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  updated_ms    INTEGER NOT NULL,
  status        TEXT NOT NULL,
  resolution    TEXT NOT NULL
);
CREATE UNIQUE INDEX conflicts_open ON conflicts (entity, canonical_key) WHERE status = 'open';
CREATE INDEX conflicts_by_status ON conflicts (status);

-- No field values here, ever: keys, positions and outcomes only.
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  flow       TEXT NOT NULL,
  entity     TEXT NOT NULL,
  source_key TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  op         TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  at_ms      INTEGER NOT NULL
);
CREATE INDEX audit_by_flow_seq ON audit (flow, seq);

CREATE TABLE runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  command     TEXT NOT NULL,
  started_ms  INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  outcome     TEXT NOT NULL DEFAULT '',
  summary     TEXT NOT NULL DEFAULT ''
);
)sql"},
    {2, R"sql(
-- `concord check` history (reconcile/): one row per run, by hand or scheduled.
CREATE TABLE check_runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  check_name    TEXT NOT NULL,
  trigger_kind  TEXT NOT NULL,
  started_ms    INTEGER NOT NULL,
  finished_ms   INTEGER NOT NULL,
  outcome       TEXT NOT NULL,
  left_rows     INTEGER NOT NULL,
  right_rows    INTEGER NOT NULL,
  missing_left  INTEGER NOT NULL,
  missing_right INTEGER NOT NULL,
  differing     INTEGER NOT NULL,
  summary       TEXT NOT NULL
);
CREATE INDEX check_runs_by_name ON check_runs (check_name, id);
)sql"},
    {3, R"sql(
-- Poll capture's watermark (engine/poll_capture.h): where the next pass over the source starts.
ALTER TABLE checkpoints ADD COLUMN position TEXT NOT NULL DEFAULT '';
)sql"},
    {4, R"sql(
-- `concord check`'s memo (reconcile/check_memo.h): per side of a check, each bucket's raw
-- summary and the canonical hashes of its rows, so that unchanged buckets are not mapped again.
CREATE TABLE check_memos (
  name        TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  buckets     INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL
);
CREATE TABLE check_memo_buckets (
  name   TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  data   BLOB NOT NULL,
  PRIMARY KEY (name, bucket)
) WITHOUT ROWID;
)sql"},
    {5, R"sql(
-- The memo's buckets in a rowid table: a bucket (about 1.5 KB for 64 rows) then fits on its
-- b-tree page. A WITHOUT ROWID table keeps at most about 1 KB of a row on its page, so every
-- bucket spilled to an overflow page, which SQLite copies into a fresh allocation on each read:
-- most of the time a check spent loading a memo. Memos are a cache: the next check rebuilds them.
DROP TABLE check_memo_buckets;
DELETE FROM check_memos;
CREATE TABLE check_memo_buckets (
  name   TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  data   BLOB NOT NULL
);
CREATE UNIQUE INDEX check_memo_buckets_by_name ON check_memo_buckets (name, bucket);
)sql"},
    {6, R"sql(
-- An initial copy audits its records in runs (one entry per run of keys with one outcome, not
-- one per record): the run's last key and its record count. Other entries are one record.
ALTER TABLE audit ADD COLUMN last_key TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN rows INTEGER NOT NULL DEFAULT 1;
)sql"},
    {7, R"sql(
-- Whether the initial copy began into an empty target, so that a copy resumed after a stop goes
-- on as it began (without reading the target first). 0 for copies begun before: they resume as
-- they did, reading the target.
ALTER TABLE checkpoints ADD COLUMN snapshot_into_empty INTEGER NOT NULL DEFAULT 0;
)sql"},
};

static_assert(std::size(kStateMigrations) == kStateSchemaVersion,
              "one migration step per schema version");

Status Ctx(const Status& s) { return s.ok() ? s : s.WithContext("state"); }

Value Text(const std::string& s) { return Value::Text(s); }
Value Int(int64_t v) { return Value::Int(v); }

// "WHERE a = ?1 AND b = ?2" for the filters that are set (value != ""), with their params.
std::string WhereSet(const std::vector<std::pair<const char*, const std::string*>>& filters,
                     std::vector<Value>* params) {
  std::string out;
  for (const auto& [column, value] : filters) {
    if (value->empty()) continue;
    out += out.empty() ? " WHERE " : " AND ";
    out += column;
    params->push_back(Text(*value));
    out += " = ?" + std::to_string(params->size());
  }
  return out;
}

// ---- record_state encoding ----

// Exactly 16 hex digits → uint64 (lossless for the full range, including values above 2^63).
bool ParseHashHex(const std::string& s, uint64_t* out) {
  if (s.size() != 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// nlohmann::json::dump throws on invalid UTF-8; names come from the configuration and should be
// valid, but a throw must not escape onto the record path.
Result<std::string> DumpJson(const nlohmann::json& j, std::string_view what) {
  try {
    return j.dump();
  } catch (const std::exception& e) {
    return InvalidArgument("state: cannot encode " + std::string(what) + ": " + e.what());
  }
}

Result<std::string> EncodeHashes(const std::map<std::string, uint64_t>& hashes) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [field, h] : hashes) j[field] = HashHex(h);
  return DumpJson(j, "field hashes (field names must be UTF-8)");
}

Result<std::string> EncodeTimes(const std::map<std::string, int64_t>& times) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [system, ms] : times) j[system] = ms;
  return DumpJson(j, "last change times (system names must be UTF-8)");
}

Status CorruptRecordState(const std::string& entity, const std::string& key,
                          const std::string& why) {
  return DataLoss("state: record_state of " + entity + " \"" + key + "\" is corrupt (" + why +
                  "); delete the row to let the next sync rebuild it");
}

Result<RecordState> DecodeRecordState(const std::string& entity, const std::string& key,
                                      const std::string& hashes_json,
                                      const std::string& times_json) {
  RecordState st;
  nlohmann::json h = nlohmann::json::parse(hashes_json, nullptr, /*allow_exceptions=*/false);
  if (h.is_discarded() || !h.is_object()) {
    return CorruptRecordState(entity, key, "field_hashes is not a JSON object");
  }
  for (const auto& [field, v] : h.items()) {
    uint64_t value = 0;
    if (!v.is_string() || !ParseHashHex(v.get_ref<const std::string&>(), &value)) {
      return CorruptRecordState(entity, key, "hash of \"" + field + "\" is not 16 hex digits");
    }
    st.field_hashes.emplace(field, value);
  }
  nlohmann::json t = nlohmann::json::parse(times_json, nullptr, /*allow_exceptions=*/false);
  if (t.is_discarded() || !t.is_object()) {
    return CorruptRecordState(entity, key, "last_change_ms is not a JSON object");
  }
  for (const auto& [system, v] : t.items()) {
    if (!v.is_number_integer()) {
      return CorruptRecordState(entity, key, "time of \"" + system + "\" is not an integer");
    }
    st.last_change_ms.emplace(system, v.get<int64_t>());
  }
  return st;
}

// ---- row readers (column lists shared by the SELECTs that use them) ----

#define CONCORD_CHECKPOINT_COLS                                                                 \
  "flow, phase, snapshot_after_key, last_seq, last_applied_ms, last_source_ms, applied_total, " \
  "rejected_total, last_run_ms, position, snapshot_into_empty"

FlowCheckpoint ReadCheckpoint(const SqliteStmt& s) {
  FlowCheckpoint cp;
  cp.flow = s.ColumnText(0);
  cp.phase = s.ColumnText(1);
  cp.snapshot_after_key = s.ColumnText(2);
  cp.last_seq = s.ColumnInt(3);
  cp.last_applied_ms = s.ColumnInt(4);
  cp.last_source_ms = s.ColumnInt(5);
  cp.applied_total = s.ColumnInt(6);
  cp.rejected_total = s.ColumnInt(7);
  cp.last_run_ms = s.ColumnInt(8);
  cp.position = s.ColumnText(9);
  cp.snapshot_into_empty = s.ColumnInt(10) != 0;
  return cp;
}

#define CONCORD_DLQ_COLS                                                                \
  "id, flow, entity, source_key, op, seq, reason, field, rule, record_json, attempts, " \
  "first_seen_ms, last_seen_ms, status"

DlqEntry ReadDlq(const SqliteStmt& s) {
  DlqEntry e;
  e.id = s.ColumnInt(0);
  e.flow = s.ColumnText(1);
  e.entity = s.ColumnText(2);
  e.source_key = s.ColumnText(3);
  e.op = s.ColumnText(4);
  e.seq = s.ColumnInt(5);
  e.reason = s.ColumnText(6);
  e.field = s.ColumnText(7);
  e.rule = s.ColumnText(8);
  e.record_json = s.ColumnText(9);
  e.attempts = s.ColumnInt(10);
  e.first_seen_ms = s.ColumnInt(11);
  e.last_seen_ms = s.ColumnInt(12);
  e.status = s.ColumnText(13);
  return e;
}

#define CONCORD_PARKED_COLS \
  "id, flow, source_key, seq, reason, first_seen_ms, next_attempt_ms, attempts"

ParkedChange ReadParked(const SqliteStmt& s) {
  ParkedChange p;
  p.id = s.ColumnInt(0);
  p.flow = s.ColumnText(1);
  p.source_key = s.ColumnText(2);
  p.seq = s.ColumnInt(3);
  p.reason = s.ColumnText(4);
  p.first_seen_ms = s.ColumnInt(5);
  p.next_attempt_ms = s.ColumnInt(6);
  p.attempts = s.ColumnInt(7);
  return p;
}

#define CONCORD_CONFLICT_COLS                                                                 \
  "id, entity, canonical_key, system_a, system_b, values_a_json, values_b_json, created_ms, " \
  "updated_ms, status, resolution"

ConflictEntry ReadConflict(const SqliteStmt& s) {
  ConflictEntry c;
  c.id = s.ColumnInt(0);
  c.entity = s.ColumnText(1);
  c.canonical_key = s.ColumnText(2);
  c.system_a = s.ColumnText(3);
  c.system_b = s.ColumnText(4);
  c.values_a_json = s.ColumnText(5);
  c.values_b_json = s.ColumnText(6);
  c.created_ms = s.ColumnInt(7);
  c.updated_ms = s.ColumnInt(8);
  c.status = s.ColumnText(9);
  c.resolution = s.ColumnText(10);
  return c;
}

#define CONCORD_AUDIT_COLS "flow, entity, source_key, seq, op, outcome, at_ms, last_key, rows"

AuditEntry ReadAudit(const SqliteStmt& s) {
  AuditEntry a;
  a.flow = s.ColumnText(0);
  a.entity = s.ColumnText(1);
  a.source_key = s.ColumnText(2);
  a.seq = s.ColumnInt(3);
  a.op = s.ColumnText(4);
  a.outcome = s.ColumnText(5);
  a.at_ms = s.ColumnInt(6);
  a.last_key = s.ColumnText(7);
  a.rows = s.ColumnInt(8);
  return a;
}

#define CONCORD_CHECK_RUN_COLS                                                              \
  "id, check_name, trigger_kind, started_ms, finished_ms, outcome, left_rows, right_rows, " \
  "missing_left, missing_right, differing, summary"

CheckRunEntry ReadCheckRun(const SqliteStmt& s) {
  CheckRunEntry r;
  r.id = s.ColumnInt(0);
  r.check = s.ColumnText(1);
  r.trigger = s.ColumnText(2);
  r.started_ms = s.ColumnInt(3);
  r.finished_ms = s.ColumnInt(4);
  r.outcome = s.ColumnText(5);
  r.left_rows = s.ColumnInt(6);
  r.right_rows = s.ColumnInt(7);
  r.missing_left = s.ColumnInt(8);
  r.missing_right = s.ColumnInt(9);
  r.differing = s.ColumnInt(10);
  r.summary = s.ColumnText(11);
  return r;
}

#define CONCORD_RUN_COLS "id, command, started_ms, finished_ms, outcome, summary"

RunEntry ReadRun(const SqliteStmt& s) {
  RunEntry r;
  r.id = s.ColumnInt(0);
  r.command = s.ColumnText(1);
  r.started_ms = s.ColumnInt(2);
  r.finished_ms = s.ColumnInt(3);
  r.outcome = s.ColumnText(4);
  r.summary = s.ColumnText(5);
  return r;
}

// "state: cannot open "<path>": <why>", whatever layer produced the failure.
Status OpenError(const std::string& path, const Status& s) {
  std::string why = s.message();
  for (const std::string& prefix :
       {std::string("state: "), "cannot open database file \"" + path + "\": "}) {
    if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
  }
  return Status(s.code(), "state: cannot open \"" + path + "\": " + why);
}

bool IsFilePath(const std::string& path) {
  return path != ":memory:" && !path.empty() && path.rfind("file:", 0) != 0;
}

}  // namespace

// ---- schema ----

Status MigrateStateSchema(SqliteDb& db) {
  auto read_version = [&db]() -> Result<int> {
    ASSIGN_OR_RETURN(std::optional<Value> v, db.QueryValue("PRAGMA user_version"));
    return v ? static_cast<int>(v->int_value()) : 0;
  };
  ASSIGN_OR_RETURN(int version, read_version());
  if (version == kStateSchemaVersion) return Status::Ok();
  auto too_new = [](int v) {
    return InvalidArgument("state: schema version " + std::to_string(v) +
                           " is newer than this concord understands (" +
                           std::to_string(kStateSchemaVersion) +
                           "); run the concord release that wrote it, or a newer one");
  };
  if (version > kStateSchemaVersion) return too_new(version);

  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  auto migrate = [&]() -> Status {
    // Another process may have migrated while we waited for the lock.
    ASSIGN_OR_RETURN(int current, read_version());
    if (current > kStateSchemaVersion) return too_new(current);
    for (const Migration& m : kStateMigrations) {
      if (m.to <= current) continue;
      Status s = db.Exec(m.sql);
      if (!s.ok()) {
        return Internal("state: schema step to version " + std::to_string(m.to) +
                        " failed: " + s.message());
      }
    }
    return db.Exec("PRAGMA user_version = " + std::to_string(kStateSchemaVersion));
  };
  Status s = migrate();
  if (!s.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return s;
  }
  return db.Exec("COMMIT");
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  return Open(path, Options());
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path,
                                                     const Options& options) {
  if (IsFilePath(path)) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return NotFound("state: cannot open \"" + path + "\": directory \"" + dir.string() +
                      "\" does not exist (concord does not create it; create it or fix `state:` "
                      "in the configuration)");
    }
    // The DLQ and conflict queue hold record values: create the file owner-only. SQLite gives
    // the -wal and -shm files the permissions of the database file.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    } else if (errno != EEXIST) {
      int err = errno;
      std::string why = std::error_code(err, std::generic_category()).message();
      return err == EACCES || err == EPERM || err == EROFS
                 ? PermissionDenied("state: cannot open \"" + path + "\": " + why)
                 : Unavailable("state: cannot open \"" + path + "\": " + why);
    }
  }
  SqliteDb::Options db_options;
  db_options.busy_timeout_ms = options.busy_timeout_ms;
  // 16 KB pages for a new state file: a check memo's bucket (~2.5 KB with its rows' keys) took a
  // 4 KB page of its own, and writing a million rows' memo took twice as long (bench/RESULTS.md).
  db_options.page_size = 16384;
  auto db = SqliteDb::Open(path, db_options, "state");
  if (!db.ok()) return OpenError(path, db.status());
  if (options.synchronous_full) {
    Status s = (*db)->Exec("PRAGMA synchronous=FULL");
    if (!s.ok()) return OpenError(path, s);
  }
  Status s = MigrateStateSchema(**db);
  if (!s.ok()) return OpenError(path, s);
  return std::unique_ptr<StateStore>(new SqliteStateStore(std::move(db).value()));
}

// ---- statement cache and transactions ----

SqliteStateStore::SqliteStateStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

SqliteStateStore::~SqliteStateStore() {
  if (in_tx_) Rollback();
}

SqliteStateStore::Lease::~Lease() {
  if (c_ == nullptr) return;
  c_->stmt.Reset().IgnoreError();
  c_->in_use = false;
}

Status SqliteStateStore::CheckTransactionAlive() const {
  // SQLite rolls a transaction back by itself after some errors (disk full, I/O, out of memory).
  // Writing on in autocommit mode would then store half a batch; refuse until Commit/Rollback.
  if (in_tx_ && sqlite3_get_autocommit(db_->raw())) {
    return Unavailable(
        "state: the open transaction was rolled back by SQLite after an earlier error; nothing "
        "of it was stored (call Rollback and retry the batch)");
  }
  return Status::Ok();
}

SqliteStateStore::RawStmt::~RawStmt() { sqlite3_finalize(stmt); }

Result<SqliteStateStore::Lease> SqliteStateStore::Use(std::string_view sql,
                                                      const std::vector<Value>& params,
                                                      bool control) {
  if (!control) RETURN_IF_ERROR(CheckTransactionAlive());
  auto it = stmts_.find(sql);
  if (it == stmts_.end()) {
    ASSIGN_OR_RETURN(SqliteStmt stmt, db_->Prepare(std::string(sql)));
    it = stmts_.emplace(std::string(sql), std::make_unique<CachedStmt>(std::move(stmt))).first;
  }
  CachedStmt* c = it->second.get();
  if (c->in_use) {
    return Internal("state: statement used re-entrantly (a bug in the state store): " +
                    std::string(sql));
  }
  Lease lease(c);
  RETURN_IF_ERROR(Ctx(lease->BindAll(params)));
  return lease;
}

Status SqliteStateStore::Exec(std::string_view sql, const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(Lease lease, Use(sql, params));
  return Ctx(lease->Run());
}

Result<int64_t> SqliteStateStore::QueryInt(std::string_view sql, const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(Lease lease, Use(sql, params));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return Internal("state: no row from: " + std::string(sql));
  return lease->ColumnInt(0);
}

Result<std::optional<std::string>> SqliteStateStore::QueryText(std::string_view sql,
                                                               const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(Lease lease, Use(sql, params));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(lease->ColumnText(0));
}

Status SqliteStateStore::Atomically(const std::function<Status()>& fn) {
  if (in_tx_) return fn();
  RETURN_IF_ERROR(Begin());
  Status s = fn();
  if (!s.ok()) {
    Rollback();
    return s;
  }
  return Commit();
}

Status SqliteStateStore::Begin() {
  if (in_tx_) {
    return Internal(
        "state: Begin() while a transaction is open (transactions do not nest; "
        "Commit or Rollback first)");
  }
  ASSIGN_OR_RETURN(Lease lease, Use("BEGIN IMMEDIATE", {}, /*control=*/true));
  RETURN_IF_ERROR(Ctx(lease->Run()));
  in_tx_ = true;
  return Status::Ok();
}

Status SqliteStateStore::Commit() {
  if (!in_tx_) return Internal("state: Commit() without Begin()");
  if (sqlite3_get_autocommit(db_->raw())) {
    in_tx_ = false;
    return Unavailable(
        "state: the transaction was rolled back by SQLite after an earlier error; nothing of "
        "it was stored (retry the batch)");
  }
  Status s;
  {
    auto lease = Use("COMMIT", {}, /*control=*/true);
    s = lease.ok() ? Ctx((*lease)->Run()) : lease.status();
  }
  if (!s.ok()) {
    Rollback();  // the contract: a failed Commit leaves nothing behind and no transaction open
    return Status(s.code(), s.message() + " (the transaction was rolled back)");
  }
  in_tx_ = false;
  return Status::Ok();
}

void SqliteStateStore::Rollback() {
  if (!in_tx_) return;
  in_tx_ = false;
  if (sqlite3_get_autocommit(db_->raw())) return;  // SQLite already rolled it back
  auto lease = Use("ROLLBACK", {}, /*control=*/true);
  if (lease.ok()) (*lease)->Run().IgnoreError();
}

Result<int> SqliteStateStore::SchemaVersion() {
  ASSIGN_OR_RETURN(int64_t v, QueryInt("PRAGMA user_version", {}));
  return static_cast<int>(v);
}

// ---- xref ----

Result<std::optional<std::string>> SqliteStateStore::SystemKey(const std::string& entity,
                                                               const std::string& canonical_key,
                                                               const std::string& system) {
  return QueryText(
      "SELECT system_key FROM xref WHERE entity = ?1 AND canonical_key = ?2 AND system = ?3",
      {Text(entity), Text(canonical_key), Text(system)});
}

Result<std::optional<std::string>> SqliteStateStore::CanonicalKey(const std::string& entity,
                                                                  const std::string& system,
                                                                  const std::string& system_key) {
  // The index is not unique (a re-keyed record may briefly hold two entries); the smallest
  // canonical key makes the answer deterministic.
  return QueryText(
      "SELECT canonical_key FROM xref WHERE entity = ?1 AND system = ?2 AND system_key = ?3 "
      "ORDER BY canonical_key LIMIT 1",
      {Text(entity), Text(system), Text(system_key)});
}

Status SqliteStateStore::ForEachXref(
    const std::string& entity, const std::string& system,
    const std::function<void(const std::string&, const std::string&)>& fn) {
  ASSIGN_OR_RETURN(Lease lease, Use("SELECT system_key, canonical_key FROM xref WHERE entity = ?1 "
                                    "AND system = ?2 ORDER BY system_key, canonical_key",
                                    {Text(entity), Text(system)}));
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) return Status::Ok();
    fn(lease->ColumnText(0), lease->ColumnText(1));
  }
}

Status SqliteStateStore::PutXref(const std::string& entity, const std::string& canonical_key,
                                 const std::string& system, const std::string& system_key) {
  return Exec(
      "INSERT INTO xref (entity, canonical_key, system, system_key) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (entity, canonical_key, system) DO UPDATE SET system_key = excluded.system_key",
      {Text(entity), Text(canonical_key), Text(system), Text(system_key)});
}

Status SqliteStateStore::DeleteXref(const std::string& entity, const std::string& canonical_key,
                                    const std::string& system) {
  return Exec("DELETE FROM xref WHERE entity = ?1 AND canonical_key = ?2 AND system = ?3",
              {Text(entity), Text(canonical_key), Text(system)});
}

// ---- record state ----

Result<std::optional<RecordState>> SqliteStateStore::GetRecordState(
    const std::string& entity, const std::string& canonical_key) {
  std::string hashes, times;
  {
    ASSIGN_OR_RETURN(Lease lease, Use("SELECT field_hashes, last_change_ms FROM record_state "
                                      "WHERE entity = ?1 AND canonical_key = ?2",
                                      {Text(entity), Text(canonical_key)}));
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) return std::optional<RecordState>();
    hashes = lease->ColumnText(0);
    times = lease->ColumnText(1);
  }
  ASSIGN_OR_RETURN(RecordState st, DecodeRecordState(entity, canonical_key, hashes, times));
  return std::optional<RecordState>(std::move(st));
}

Status SqliteStateStore::PutRecordState(const std::string& entity, const std::string& canonical_key,
                                        const RecordState& state) {
  ASSIGN_OR_RETURN(std::string hashes, EncodeHashes(state.field_hashes));
  ASSIGN_OR_RETURN(std::string times, EncodeTimes(state.last_change_ms));
  return Exec(
      "INSERT INTO record_state (entity, canonical_key, field_hashes, last_change_ms) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (entity, canonical_key) DO UPDATE SET "
      "field_hashes = excluded.field_hashes, last_change_ms = excluded.last_change_ms",
      {Text(entity), Text(canonical_key), Text(hashes), Text(times)});
}

Status SqliteStateStore::DeleteRecordState(const std::string& entity,
                                           const std::string& canonical_key) {
  return Exec("DELETE FROM record_state WHERE entity = ?1 AND canonical_key = ?2",
              {Text(entity), Text(canonical_key)});
}

Result<std::vector<std::string>> SqliteStateStore::RecordStateKeys(const std::string& entity,
                                                                   const std::string& system) {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT r.canonical_key FROM record_state r, json_each(r.last_change_ms) t "
                       "WHERE r.entity = ?1 AND t.key = ?2 ORDER BY r.canonical_key",
                       {Text(entity), Text(system)}));
  std::vector<std::string> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(lease->ColumnText(0));
  }
  return out;
}

// ---- checkpoints and pending acks ----

Result<FlowCheckpoint> SqliteStateStore::GetCheckpoint(const std::string& flow) {
  ASSIGN_OR_RETURN(
      Lease lease,
      Use("SELECT " CONCORD_CHECKPOINT_COLS " FROM checkpoints WHERE flow = ?1", {Text(flow)}));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) {
    FlowCheckpoint fresh;
    fresh.flow = flow;
    return fresh;
  }
  return ReadCheckpoint(*lease);
}

Status SqliteStateStore::PutCheckpoint(const FlowCheckpoint& cp) {
  if (cp.flow.empty()) return InvalidArgument("state: PutCheckpoint: flow name is empty");
  return Exec("INSERT INTO checkpoints (" CONCORD_CHECKPOINT_COLS
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (flow) DO UPDATE "
              "SET phase = excluded.phase, snapshot_after_key = excluded.snapshot_after_key, "
              "last_seq = excluded.last_seq, last_applied_ms = excluded.last_applied_ms, "
              "last_source_ms = excluded.last_source_ms, applied_total = excluded.applied_total, "
              "rejected_total = excluded.rejected_total, last_run_ms = excluded.last_run_ms, "
              "position = excluded.position, snapshot_into_empty = excluded.snapshot_into_empty",
              {Text(cp.flow), Text(cp.phase), Text(cp.snapshot_after_key), Int(cp.last_seq),
               Int(cp.last_applied_ms), Int(cp.last_source_ms), Int(cp.applied_total),
               Int(cp.rejected_total), Int(cp.last_run_ms), Text(cp.position),
               Int(cp.snapshot_into_empty ? 1 : 0)});
}

Result<std::vector<FlowCheckpoint>> SqliteStateStore::AllCheckpoints() {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT " CONCORD_CHECKPOINT_COLS " FROM checkpoints ORDER BY flow", {}));
  std::vector<FlowCheckpoint> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadCheckpoint(*lease));
  }
  return out;
}

Status SqliteStateStore::AddPendingAcks(const std::string& flow, const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  return Atomically([&]() -> Status {
    for (int64_t seq : seqs) {
      RETURN_IF_ERROR(Exec("INSERT OR IGNORE INTO pending_acks (flow, seq) VALUES (?1, ?2)",
                           {Text(flow), Int(seq)}));
    }
    return Status::Ok();
  });
}

Result<std::vector<int64_t>> SqliteStateStore::PendingAcks(const std::string& flow) {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT seq FROM pending_acks WHERE flow = ?1 ORDER BY seq", {Text(flow)}));
  std::vector<int64_t> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(lease->ColumnInt(0));
  }
  return out;
}

Status SqliteStateStore::ClearPendingAcks(const std::string& flow,
                                          const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  return Atomically([&]() -> Status {
    for (int64_t seq : seqs) {
      RETURN_IF_ERROR(
          Exec("DELETE FROM pending_acks WHERE flow = ?1 AND seq = ?2", {Text(flow), Int(seq)}));
    }
    return Status::Ok();
  });
}

// ---- DLQ ----

Result<int64_t> SqliteStateStore::PutDlq(const DlqEntry& e) {
  int64_t first = e.first_seen_ms != 0 ? e.first_seen_ms : e.last_seen_ms;
  int64_t last = e.last_seen_ms != 0 ? e.last_seen_ms : first;
  return QueryInt(
      "INSERT INTO dlq (flow, entity, source_key, op, seq, reason, field, rule, record_json, "
      "attempts, first_seen_ms, last_seen_ms, status) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, 'open') "
      "ON CONFLICT (flow, source_key) WHERE status = 'open' DO UPDATE SET "
      "op = excluded.op, seq = excluded.seq, reason = excluded.reason, field = excluded.field, "
      "rule = excluded.rule, record_json = excluded.record_json, "
      "last_seen_ms = excluded.last_seen_ms, attempts = attempts + 1 "
      "RETURNING id",
      {Text(e.flow), Text(e.entity), Text(e.source_key), Text(e.op), Int(e.seq), Text(e.reason),
       Text(e.field), Text(e.rule), Text(e.record_json), Int(first), Int(last)});
}

Result<std::optional<DlqEntry>> SqliteStateStore::GetDlq(int64_t id) {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT " CONCORD_DLQ_COLS " FROM dlq WHERE id = ?1", {Int(id)}));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return std::optional<DlqEntry>();
  return std::optional<DlqEntry>(ReadDlq(*lease));
}

Result<std::vector<DlqEntry>> SqliteStateStore::ListDlq(const std::string& flow,
                                                        const std::string& status) {
  std::vector<Value> params;
  std::string sql = "SELECT " CONCORD_DLQ_COLS " FROM dlq" +
                    WhereSet({{"flow", &flow}, {"status", &status}}, &params) + " ORDER BY id";
  ASSIGN_OR_RETURN(Lease lease, Use(sql, params));
  std::vector<DlqEntry> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadDlq(*lease));
  }
  return out;
}

Result<std::optional<DlqEntry>> SqliteStateStore::OpenDlqFor(const std::string& flow,
                                                             const std::string& source_key) {
  ASSIGN_OR_RETURN(Lease lease, Use("SELECT " CONCORD_DLQ_COLS " FROM dlq WHERE flow = ?1 AND "
                                    "source_key = ?2 AND status = 'open'",
                                    {Text(flow), Text(source_key)}));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return std::optional<DlqEntry>();
  return std::optional<DlqEntry>(ReadDlq(*lease));
}

Status SqliteStateStore::SetDlqStatus(int64_t id, const std::string& status) {
  if (status != "open" && status != "resolved" && status != "dismissed") {
    return InvalidArgument("state: DLQ status \"" + status +
                           "\" is not one of open, resolved, dismissed");
  }
  ASSIGN_OR_RETURN(std::optional<DlqEntry> entry, GetDlq(id));
  if (!entry) return NotFound("state: no DLQ entry " + std::to_string(id));
  if (entry->status == status) return Status::Ok();
  if (status == "open") {
    ASSIGN_OR_RETURN(std::optional<DlqEntry> other, OpenDlqFor(entry->flow, entry->source_key));
    if (other) {
      return ConflictError("state: cannot reopen DLQ entry " + std::to_string(id) + ": entry " +
                           std::to_string(other->id) + " is already open for " + entry->flow +
                           " \"" + entry->source_key + "\"");
    }
  }
  return Exec("UPDATE dlq SET status = ?2 WHERE id = ?1", {Int(id), Text(status)});
}

Result<int64_t> SqliteStateStore::CountOpenDlq(const std::string& flow) {
  if (flow.empty()) return QueryInt("SELECT count(*) FROM dlq WHERE status = 'open'", {});
  return QueryInt("SELECT count(*) FROM dlq WHERE flow = ?1 AND status = 'open'", {Text(flow)});
}

// ---- parked changes ----

Result<int64_t> SqliteStateStore::PutParked(const ParkedChange& p) {
  return QueryInt(
      "INSERT INTO parked (flow, source_key, seq, reason, first_seen_ms, next_attempt_ms, "
      "attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1) "
      "ON CONFLICT (flow, source_key) DO UPDATE SET seq = excluded.seq, "
      "reason = excluded.reason, next_attempt_ms = excluded.next_attempt_ms, "
      "attempts = attempts + 1 RETURNING id",
      {Text(p.flow), Text(p.source_key), Int(p.seq), Text(p.reason), Int(p.first_seen_ms),
       Int(p.next_attempt_ms)});
}

Result<std::vector<ParkedChange>> SqliteStateStore::DueParked(const std::string& flow,
                                                              int64_t now_ms) {
  ASSIGN_OR_RETURN(Lease lease, Use("SELECT " CONCORD_PARKED_COLS " FROM parked WHERE flow = ?1 "
                                    "AND next_attempt_ms <= ?2 ORDER BY id",
                                    {Text(flow), Int(now_ms)}));
  std::vector<ParkedChange> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadParked(*lease));
  }
  return out;
}

Result<std::optional<ParkedChange>> SqliteStateStore::ParkedFor(const std::string& flow,
                                                                const std::string& source_key) {
  ASSIGN_OR_RETURN(Lease lease, Use("SELECT " CONCORD_PARKED_COLS
                                    " FROM parked WHERE flow = ?1 AND source_key = ?2",
                                    {Text(flow), Text(source_key)}));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return std::optional<ParkedChange>();
  return std::optional<ParkedChange>(ReadParked(*lease));
}

Status SqliteStateStore::DeleteParked(int64_t id) {
  return Exec("DELETE FROM parked WHERE id = ?1", {Int(id)});
}

Result<int64_t> SqliteStateStore::CountParked(const std::string& flow) {
  if (flow.empty()) return QueryInt("SELECT count(*) FROM parked", {});
  return QueryInt("SELECT count(*) FROM parked WHERE flow = ?1", {Text(flow)});
}

// ---- conflicts ----

Result<int64_t> SqliteStateStore::PutConflict(const ConflictEntry& c) {
  int64_t created = c.created_ms != 0 ? c.created_ms : c.updated_ms;
  int64_t updated = c.updated_ms != 0 ? c.updated_ms : created;
  return QueryInt(
      "INSERT INTO conflicts (entity, canonical_key, system_a, system_b, values_a_json, "
      "values_b_json, created_ms, updated_ms, status, resolution) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', '') "
      "ON CONFLICT (entity, canonical_key) WHERE status = 'open' DO UPDATE SET "
      "system_a = excluded.system_a, system_b = excluded.system_b, "
      "values_a_json = excluded.values_a_json, values_b_json = excluded.values_b_json, "
      "updated_ms = excluded.updated_ms RETURNING id",
      {Text(c.entity), Text(c.canonical_key), Text(c.system_a), Text(c.system_b),
       Text(c.values_a_json), Text(c.values_b_json), Int(created), Int(updated)});
}

Result<std::optional<ConflictEntry>> SqliteStateStore::GetConflict(int64_t id) {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT " CONCORD_CONFLICT_COLS " FROM conflicts WHERE id = ?1", {Int(id)}));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return std::optional<ConflictEntry>();
  return std::optional<ConflictEntry>(ReadConflict(*lease));
}

Result<std::optional<ConflictEntry>> SqliteStateStore::OpenConflictFor(
    const std::string& entity, const std::string& canonical_key) {
  ASSIGN_OR_RETURN(Lease lease, Use("SELECT " CONCORD_CONFLICT_COLS " FROM conflicts WHERE "
                                    "entity = ?1 AND canonical_key = ?2 AND status = 'open'",
                                    {Text(entity), Text(canonical_key)}));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return std::optional<ConflictEntry>();
  return std::optional<ConflictEntry>(ReadConflict(*lease));
}

Result<std::vector<ConflictEntry>> SqliteStateStore::ListConflicts(const std::string& status) {
  std::vector<Value> params;
  std::string sql = "SELECT " CONCORD_CONFLICT_COLS " FROM conflicts" +
                    WhereSet({{"status", &status}}, &params) + " ORDER BY id";
  ASSIGN_OR_RETURN(Lease lease, Use(sql, params));
  std::vector<ConflictEntry> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadConflict(*lease));
  }
  return out;
}

Status SqliteStateStore::ResolveConflict(int64_t id, const std::string& winner, int64_t now_ms) {
  RETURN_IF_ERROR(
      Exec("UPDATE conflicts SET status = 'resolved', resolution = ?2, "
           "updated_ms = ?3 WHERE id = ?1 AND status = 'open'",
           {Int(id), Text(winner), Int(now_ms)}));
  if (Changes() == 1) return Status::Ok();
  ASSIGN_OR_RETURN(std::optional<ConflictEntry> c, GetConflict(id));
  if (!c) return NotFound("state: no conflict " + std::to_string(id));
  return ConflictError("state: conflict " + std::to_string(id) + " is already " + c->status +
                       (c->resolution.empty() ? "" : " (winner: " + c->resolution + ")"));
}

Result<int64_t> SqliteStateStore::CountOpenConflicts(const std::string& entity) {
  if (entity.empty()) {
    return QueryInt("SELECT count(*) FROM conflicts WHERE status = 'open'", {});
  }
  return QueryInt("SELECT count(*) FROM conflicts WHERE entity = ?1 AND status = 'open'",
                  {Text(entity)});
}

// ---- audit and runs ----

Status SqliteStateStore::AddAudit(const AuditEntry& e) {
  return Exec("INSERT INTO audit (" CONCORD_AUDIT_COLS
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
              {Text(e.flow), Text(e.entity), Text(e.source_key), Int(e.seq), Text(e.op),
               Text(e.outcome), Int(e.at_ms), Text(e.last_key), Int(e.rows)});
}

// Rows per multi-row INSERT in AddAudits: AUTOINCREMENT reads and writes sqlite_sequence once
// per statement, and each statement costs a VDBE run; 9 × 64 parameters stay far below SQLite's
// limit of 32766.
constexpr int kAuditRowsPerInsert = 64;
constexpr int kAuditColumns = 9;

Status SqliteStateStore::AddAudits(const std::vector<AuditEntry>& entries) {
  size_t i = 0;
  if (entries.size() >= static_cast<size_t>(kAuditRowsPerInsert)) {
    RETURN_IF_ERROR(CheckTransactionAlive());
    sqlite3* db = db_->raw();
    if (audit_rows_.stmt == nullptr) {
      std::string group = "(?";
      for (int c = 1; c < kAuditColumns; ++c) group += ",?";
      group += ")";
      std::string sql = "INSERT INTO audit (" CONCORD_AUDIT_COLS ") VALUES " + group;
      for (int r = 1; r < kAuditRowsPerInsert; ++r) sql += "," + group;
      int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &audit_rows_.stmt,
                                  nullptr);
      if (rc != SQLITE_OK) return Ctx(db_->LastError(rc, "preparing the audit insert"));
    }
    sqlite3_stmt* st = audit_rows_.stmt;
    // The strings stay alive and unchanged until the step: bound without a copy.
    auto text = [st](int p, const std::string& v) {
      return sqlite3_bind_text(st, p, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    };
    for (; i + kAuditRowsPerInsert <= entries.size(); i += kAuditRowsPerInsert) {
      int rc = SQLITE_OK;
      for (int r = 0; r < kAuditRowsPerInsert && rc == SQLITE_OK; ++r) {
        const AuditEntry& e = entries[i + r];
        const int p = r * kAuditColumns;
        rc = text(p + 1, e.flow);
        if (rc == SQLITE_OK) rc = text(p + 2, e.entity);
        if (rc == SQLITE_OK) rc = text(p + 3, e.source_key);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, p + 4, e.seq);
        if (rc == SQLITE_OK) rc = text(p + 5, e.op);
        if (rc == SQLITE_OK) rc = text(p + 6, e.outcome);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, p + 7, e.at_ms);
        if (rc == SQLITE_OK) rc = text(p + 8, e.last_key);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, p + 9, e.rows);
      }
      if (rc == SQLITE_OK) rc = sqlite3_step(st);
      Status s = rc == SQLITE_DONE ? Status::Ok() : Ctx(db_->LastError(rc, "writing the audit"));
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      RETURN_IF_ERROR(s);
    }
  }
  for (; i < entries.size(); ++i) RETURN_IF_ERROR(AddAudit(entries[i]));
  return Status::Ok();
}

Result<std::vector<AuditEntry>> SqliteStateStore::ListAudit(const std::string& flow,
                                                            int64_t limit) {
  std::vector<Value> params;
  std::string where = WhereSet({{"flow", &flow}}, &params);
  params.push_back(Int(limit > 0 ? limit : -1));  // LIMIT -1: no limit
  std::string sql =
      "SELECT " CONCORD_AUDIT_COLS " FROM (SELECT id, " CONCORD_AUDIT_COLS " FROM audit" + where +
      " ORDER BY id DESC LIMIT ?" + std::to_string(params.size()) + ") ORDER BY id";
  ASSIGN_OR_RETURN(Lease lease, Use(sql, params));
  std::vector<AuditEntry> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadAudit(*lease));
  }
  return out;
}

Result<int64_t> SqliteStateStore::CountAudit(const std::string& flow, const std::string& outcome) {
  std::vector<Value> params;
  std::string sql =
      "SELECT coalesce(sum(rows), 0) FROM audit" +
      WhereSet({{"flow", &flow}, {"outcome", &outcome}}, &params);
  return QueryInt(sql, params);
}

Result<int64_t> SqliteStateStore::StartRun(const std::string& command, int64_t now_ms) {
  return QueryInt("INSERT INTO runs (command, started_ms) VALUES (?1, ?2) RETURNING id",
                  {Text(command), Int(now_ms)});
}

Status SqliteStateStore::FinishRun(int64_t run_id, const std::string& outcome,
                                   const std::string& summary, int64_t now_ms) {
  RETURN_IF_ERROR(Exec("UPDATE runs SET outcome = ?2, summary = ?3, finished_ms = ?4 WHERE id = ?1",
                       {Int(run_id), Text(outcome), Text(summary), Int(now_ms)}));
  if (Changes() == 0) return NotFound("state: no run " + std::to_string(run_id));
  return Status::Ok();
}

Result<std::vector<RunEntry>> SqliteStateStore::ListRuns(int64_t limit) {
  ASSIGN_OR_RETURN(Lease lease, Use("SELECT " CONCORD_RUN_COLS " FROM (SELECT " CONCORD_RUN_COLS
                                    " FROM runs ORDER BY id DESC LIMIT ?1) ORDER BY id",
                                    {Int(limit > 0 ? limit : -1)}));
  std::vector<RunEntry> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadRun(*lease));
  }
  return out;
}

// ---- check history ----

Result<int64_t> SqliteStateStore::AddCheckRun(const CheckRunEntry& e) {
  return QueryInt(
      "INSERT INTO check_runs (check_name, trigger_kind, started_ms, finished_ms, outcome, "
      "left_rows, right_rows, missing_left, missing_right, differing, summary) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
      {Text(e.check), Text(e.trigger), Int(e.started_ms), Int(e.finished_ms), Text(e.outcome),
       Int(e.left_rows), Int(e.right_rows), Int(e.missing_left), Int(e.missing_right),
       Int(e.differing), Text(e.summary)});
}

Result<std::vector<CheckRunEntry>> SqliteStateStore::ListCheckRuns(const std::string& check,
                                                                   int64_t limit) {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT " CONCORD_CHECK_RUN_COLS " FROM (SELECT " CONCORD_CHECK_RUN_COLS
                       " FROM check_runs WHERE ?1 = '' OR check_name = ?1 ORDER BY id DESC "
                       "LIMIT ?2) ORDER BY id",
                       {Text(check), Int(limit > 0 ? limit : -1)}));
  std::vector<CheckRunEntry> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadCheckRun(*lease));
  }
  return out;
}

Result<std::vector<CheckRunEntry>> SqliteStateStore::LatestCheckRuns() {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT " CONCORD_CHECK_RUN_COLS " FROM check_runs WHERE id IN "
                       "(SELECT max(id) FROM check_runs GROUP BY check_name) ORDER BY check_name",
                       {}));
  std::vector<CheckRunEntry> out;
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) break;
    out.push_back(ReadCheckRun(*lease));
  }
  return out;
}

// ---- maintenance ----

Result<std::optional<CheckMemoHeader>> SqliteStateStore::GetCheckMemo(const std::string& name) {
  ASSIGN_OR_RETURN(Lease lease,
                   Use("SELECT fingerprint, buckets, updated_ms FROM check_memos WHERE name = ?1",
                       {Text(name)}));
  auto row = lease->Step();
  if (!row.ok()) return Ctx(row.status());
  if (!*row) return std::optional<CheckMemoHeader>();
  CheckMemoHeader h;
  h.fingerprint = lease->ColumnText(0);
  h.buckets = static_cast<uint32_t>(lease->ColumnInt(1));
  h.updated_ms = lease->ColumnInt(2);
  return std::optional<CheckMemoHeader>(std::move(h));
}

Status SqliteStateStore::ForEachCheckMemoBucket(
    const std::string& name, const std::function<void(uint32_t, std::string_view)>& fn) {
  ASSIGN_OR_RETURN(Lease lease, Use("SELECT bucket, data FROM check_memo_buckets WHERE name = ?1",
                                    {Text(name)}));
  while (true) {
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (!*row) return Status::Ok();
    fn(static_cast<uint32_t>(lease->ColumnInt(0)), lease->ColumnBytes(1));
  }
}

Status SqliteStateStore::ForEachCheckMemoBucketOf(
    const std::string& name, const std::vector<uint32_t>& which,
    const std::function<void(uint32_t, std::string_view)>& fn) {
  for (uint32_t bucket : which) {
    ASSIGN_OR_RETURN(Lease lease,
                     Use("SELECT data FROM check_memo_buckets WHERE name = ?1 AND bucket = ?2",
                         {Text(name), Int(bucket)}));
    auto row = lease->Step();
    if (!row.ok()) return Ctx(row.status());
    if (*row) fn(bucket, lease->ColumnBytes(0));
  }
  return Status::Ok();
}

Status SqliteStateStore::PutCheckMemo(const std::string& name, const CheckMemoHeader& header,
                                      const std::vector<CheckMemoBucket>& buckets,
                                      bool replace_all) {
  return Atomically([&]() -> Status {
    if (replace_all) {
      RETURN_IF_ERROR(Exec("DELETE FROM check_memo_buckets WHERE name = ?1", {Text(name)}));
    }
    RETURN_IF_ERROR(Exec(
        "INSERT INTO check_memos (name, fingerprint, buckets, updated_ms) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (name) DO UPDATE SET fingerprint = ?2, buckets = ?3, updated_ms = ?4",
        {Text(name), Text(header.fingerprint), Int(header.buckets), Int(header.updated_ms)}));
    for (const CheckMemoBucket& b : buckets) {
      RETURN_IF_ERROR(Exec("INSERT OR REPLACE INTO check_memo_buckets (name, bucket, data) "
                           "VALUES (?1, ?2, ?3)",
                           {Text(name), Int(b.bucket), Value::Blob(b.data)}));
    }
    return Status::Ok();
  });
}

Status SqliteStateStore::DropCheckMemosUnusedSince(int64_t ms) {
  return Atomically([&]() -> Status {
    RETURN_IF_ERROR(Exec("DELETE FROM check_memo_buckets WHERE name IN "
                         "(SELECT name FROM check_memos WHERE updated_ms < ?1)",
                         {Int(ms)}));
    return Exec("DELETE FROM check_memos WHERE updated_ms < ?1", {Int(ms)});
  });
}

Status SqliteStateStore::ResetFlow(const std::string& flow) {
  return Atomically([&]() -> Status {
    RETURN_IF_ERROR(Exec("DELETE FROM checkpoints WHERE flow = ?1", {Text(flow)}));
    RETURN_IF_ERROR(Exec("DELETE FROM pending_acks WHERE flow = ?1", {Text(flow)}));
    RETURN_IF_ERROR(Exec("DELETE FROM parked WHERE flow = ?1", {Text(flow)}));
    return Exec("DELETE FROM dlq WHERE flow = ?1", {Text(flow)});
  });
}

}  // namespace concord
