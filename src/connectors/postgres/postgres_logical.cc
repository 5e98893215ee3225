// `capture: logical` for the postgres Source: the publication and replication slot concord
// creates per flow, reading the stream (pg_logical.h) with the rows' current images, the slot's
// backlog for `concord status`, and the replication origin the sink sets so that this capture
// can tell concord's own writes. See README.md, "Logical capture".
#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "connectors/postgres/pg_types.h"
#include "connectors/postgres/postgres_connection.h"

namespace concord::postgres_connector {
namespace {

constexpr std::string_view kOffer = "; or use `capture: trigger` or `capture: poll`";
// How long MarkOrigin trusts its answer to "does a concord publication hold this table".
constexpr int64_t kCapturedCacheMs = 30000;
// Origins tried for one source system before giving up (each can be active in one session).
constexpr int kOriginSlots = 8;
// This many changes found by one non-blocking read mean a backlog is streaming in (at a steady
// 1,000 changes/s a read finds a few): ReadLogical then reads on to fill its batch.
constexpr size_t kBacklogArrival = 32;

std::string Text(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string Bytes(int64_t n) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(n));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  }
  return buf;
}

}  // namespace

Result<std::string> PostgresConnection::Database() {
  if (!database_.empty()) return database_;
  RETURN_IF_ERROR(CheckAlive());
  ASSIGN_OR_RETURN(PgResult r, pg_->Query("SELECT current_database()"));
  database_ = Text(r.get(), 0, 0);
  return database_;
}

// --- install and remove ---

Status PostgresSource::InstallLogical(const TableRef& t, std::string_view consumer) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  const std::string ctx = conn_->Context(t);
  if (consumer.empty()) return InvalidArgument(ctx + ": capture consumer name is empty");
  ASSIGN_OR_RETURN(const TableMeta* cached, conn_->Meta(t));
  const TableMeta meta = *cached;
  ASSIGN_OR_RETURN(std::string db, conn_->Database());
  const std::string name = LogicalSlotName(db, consumer);
  PgConn& pg = conn_->pg();
  const std::string user = QuoteIdent(pg.user());
  auto fail = [&](const Status& s, std::string_view what) {
    return conn_->TableError(s, t, Access::kCapture, what);
  };

  // What the server and this role allow, in one round trip.
  Result<PgResult> facts = pg.Query(
      "SELECT current_setting('wal_level'), r.rolreplication OR r.rolsuper, "
      "has_database_privilege(current_database(), 'CREATE'), pg_has_role(c.relowner, 'USAGE'), "
      "c.relreplident::text, "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $2), "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables WHERE pubname = $2 AND "
      "schemaname = $3 AND tablename = $4), "
      "(SELECT s.database IS NOT DISTINCT FROM current_database() AND s.plugin = 'pgoutput' "
      "FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $2) "
      "FROM pg_catalog.pg_roles r, pg_catalog.pg_class c "
      "WHERE r.rolname = current_user AND c.oid = $1::oid",
      {std::to_string(meta.oid), name, meta.name.schema, meta.name.name});
  if (!facts.ok()) return fail(facts.status(), " (installing logical capture)");
  const PGresult* f = facts->get();
  if (PQntuples(f) != 1) return NotFound(ctx + ": table \"" + t.table + "\" does not exist");
  if (Text(f, 0, 0) != "logical") {
    return InvalidArgument(ctx + ": logical capture needs the server setting wal_level = logical, "
                                 "and it is " + Text(f, 0, 0) +
                           " (set wal_level = logical in postgresql.conf and restart the server)" +
                           std::string(kOffer));
  }
  if (Text(f, 0, 1) != "t") {
    return PermissionDenied(ctx + ": logical capture needs a role with the REPLICATION attribute "
                                  "to create and read its replication slot (ALTER ROLE " +
                            user + " REPLICATION)" + std::string(kOffer));
  }
  const bool has_publication = Text(f, 0, 5) == "t";
  const bool publishes_table = Text(f, 0, 6) == "t";
  const bool has_slot = !PQgetisnull(f, 0, 7);
  if (has_slot && Text(f, 0, 7) != "t") {
    return InvalidArgument(ctx + ": replication slot \"" + name +
                           "\" exists but belongs to another database or output plugin; drop it "
                           "(SELECT pg_drop_replication_slot('" + name + "'))");
  }
  if (!publishes_table) {
    if (!has_publication && Text(f, 0, 2) != "t") {
      return PermissionDenied(ctx + ": logical capture creates a publication, which needs CREATE "
                                    "on the database (GRANT CREATE ON DATABASE " +
                              QuoteIdent(db) + " TO " + user +
                              "), or have a DBA run CREATE PUBLICATION " + QuoteIdent(name) +
                              " FOR TABLE " + meta.quoted + std::string(kOffer));
    }
    if (Text(f, 0, 3) != "t") {
      return PermissionDenied(ctx + ": only the owner of table " + meta.quoted +
                              " may add it to a publication: connect as its owner, or have a DBA "
                              "run " +
                              (has_publication ? "ALTER PUBLICATION " + QuoteIdent(name) +
                                                     " SET TABLE " + meta.quoted
                                               : "CREATE PUBLICATION " + QuoteIdent(name) +
                                                     " FOR TABLE " + meta.quoted) +
                              std::string(kOffer));
    }
  }

  // Deletes and key changes must carry the binding's key: its columns must be in the table's
  // replica identity (the primary key by default).
  const std::string ident = Text(f, 0, 4);
  if (ident == "n") {
    return InvalidArgument(ctx + ": table " + meta.quoted +
                           " has REPLICA IDENTITY NOTHING, so deletes carry no key: ALTER TABLE " +
                           meta.quoted + " REPLICA IDENTITY DEFAULT (with a primary key) or FULL");
  }
  if (ident != "f") {
    ASSIGN_OR_RETURN(
        PgResult cols,
        pg.Query("SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
                 "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
                 "WHERE i.indrelid = $1::oid AND CASE $2 WHEN 'd' THEN i.indisprimary "
                 "ELSE i.indisreplident END",
                 {std::to_string(meta.oid), ident}));
    std::set<std::string> identity;
    for (int i = 0; i < PQntuples(cols.get()); ++i) identity.insert(Text(cols.get(), i, 0));
    for (const std::string& k : t.key_columns) {
      if (identity.count(k)) continue;
      return InvalidArgument(
          ctx + ": key column \"" + k + "\" is not in the replica identity of " + meta.quoted +
          (identity.empty() ? " (the table has no primary key)" : "") +
          ", so deletes and key changes would not carry it: ALTER TABLE " + meta.quoted +
          " REPLICA IDENTITY FULL, or REPLICA IDENTITY USING INDEX <a unique index on the key>");
    }
  }

  // The publication first: pgoutput looks it up as of each change it decodes, so it must exist
  // before the slot's first change.
  if (!has_publication) {
    Status s = pg.Exec("CREATE PUBLICATION " + QuoteIdent(name) + " FOR TABLE " + meta.quoted +
                       " WITH (publish = 'insert, update, delete')");
    if (!s.ok() && pg.last_error().sqlstate != "42710") {  // created meanwhile
      return fail(s, " (creating publication " + name + ")");
    }
  } else if (!publishes_table) {
    Status s = pg.Exec("ALTER PUBLICATION " + QuoteIdent(name) + " SET TABLE " + meta.quoted);
    if (!s.ok()) return fail(s, " (adding the table to publication " + name + ")");
  }

  LogicalCapture* lc = FindLogical(consumer);
  if (lc == nullptr || lc->meta.oid != meta.oid || lc->table.key_columns != t.key_columns) {
    LogicalTable lt;
    lt.schema = meta.name.schema;
    lt.name = meta.name.name;
    lt.key_columns = t.key_columns;
    for (const ColumnMeta& c : meta.columns) lt.base_types[c.name] = c.base_oid;
    lt.context = ctx;
    LogicalCapture fresh;
    fresh.table = t;
    fresh.meta = meta;
    fresh.stream = std::make_unique<LogicalStream>(conn_->options(), conn_->system(), name, name,
                                                   std::move(lt));
    logical_.erase(std::string(consumer));
    lc = &logical_.emplace(std::string(consumer), std::move(fresh)).first->second;
  }
  if (!has_slot) {
    // Created before the engine's snapshot reads begin (InstallCapture returns only once the slot
    // has its consistent point): every transaction that commits after that point is streamed,
    // and every one before it is visible to the snapshot.
    Status s = lc->stream->CreateSlot();
    if (!s.ok()) {
      const std::string state = lc->stream->last_sqlstate();
      if (state == "42710") return Status::Ok();  // created meanwhile
      if (state == "53400") {
        return Status(s.code(), ctx + ": " + s.message() +
                                    " (raise max_replication_slots, or drop unused slots)");
      }
      return fail(s, " (creating replication slot " + name + ")");
    }
  }
  return Status::Ok();
}

Status PostgresSource::RemoveLogical(const TableRef& t, std::string_view consumer) {
  if (t.table.empty()) return InvalidArgument(conn_->system() + ": table name is empty");
  RETURN_IF_ERROR(conn_->CheckAlive());
  auto it = logical_.find(consumer);
  if (it != logical_.end()) logical_.erase(it);  // closes the stream: the slot is free
  ASSIGN_OR_RETURN(std::string db, conn_->Database());
  const std::string name = LogicalSlotName(db, consumer);
  PgConn& pg = conn_->pg();
  // The slot is released by its walsender as the closed stream's connection ends: wait for that.
  Result<PgResult> r = Unavailable("");
  for (int attempt = 0; attempt < 50; ++attempt) {
    r = pg.Query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots "
        "WHERE slot_name = $1",
        {name});
    if (r.ok() || pg.last_error().sqlstate != "55006") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!r.ok()) {
    if (pg.last_error().sqlstate == "55006") {
      return Unavailable(conn_->Context(t) + ": replication slot \"" + name +
                         "\" is in use by another session (is concord still running this "
                         "flow?); stop it first (removing capture)");
    }
    return conn_->TableError(r.status(), t, Access::kCapture,
                             " (dropping replication slot " + name + ")");
  }
  Status s = pg.Exec("DROP PUBLICATION IF EXISTS " + QuoteIdent(name));
  if (!s.ok()) {
    return conn_->TableError(s, t, Access::kCapture, " (dropping publication " + name + ")");
  }
  return Status::Ok();
}

// --- reading ---

PostgresSource::LogicalCapture* PostgresSource::FindLogical(std::string_view consumer) {
  auto it = logical_.find(consumer);
  return it == logical_.end() ? nullptr : &it->second;
}

Result<PostgresSource::LogicalCapture*> PostgresSource::Logical(const TableRef& t,
                                                                std::string_view consumer) {
  if (LogicalCapture* lc = FindLogical(consumer)) return lc;
  ASSIGN_OR_RETURN(std::string db, conn_->Database());
  const std::string name = LogicalSlotName(db, consumer);
  Result<PgResult> r = conn_->pg().Query(
      "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1", {name});
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  if (PQntuples(r->get()) == 0) {
    return NotFound(conn_->Context(t) + ": logical capture is not installed for consumer \"" +
                    std::string(consumer) + "\" (no replication slot \"" + name +
                    "\"; InstallCapture creates it)");
  }
  // Installed by another process: register it here (creates nothing that exists).
  RETURN_IF_ERROR(InstallLogical(t, consumer));
  return FindLogical(consumer);
}

Result<std::vector<SourceChange>> PostgresSource::ReadLogical(const TableRef& t,
                                                              std::string_view consumer,
                                                              size_t max) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ASSIGN_OR_RETURN(LogicalCapture * lc, Logical(t, consumer));
  RETURN_IF_ERROR(lc->stream->Pump(0));
  if (lc->stream->fresh() >= kBacklogArrival) {
    // Many changes came at once: a backlog, arriving a socket buffer (~100 changes) at a time.
    // Read on while it keeps coming, so that the batch is full rather than one buffer's worth
    // (db_sync_bench, 200,000 changes, batches of 2,000: the batches after the first 100,000
    // held 111 changes each, and the drain ran at ~17,000 changes/s instead of ~30,000).
    RETURN_IF_ERROR(lc->stream->Fill(max, kBacklogArrival, std::chrono::milliseconds(50)));
  }
  std::vector<SourceChange> changes = lc->stream->Peek(max);
  if (changes.empty() && lc->writes_seen != conn_->writes()) {
    // This connection wrote since: those writes (echoes to skip, or changes another flow must
    // see) are in the log but may not have come through the stream yet. Wait for them briefly,
    // so that "nothing to read" means nothing committed before now (`concord run --once`).
    lc->writes_seen = conn_->writes();
    Result<PgResult> end = conn_->pg().Query("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn");
    if (!end.ok()) return conn_->TableError(end.status(), t, Access::kRead);
    RETURN_IF_ERROR(lc->stream->CatchUpTo(std::strtoull(PQgetvalue(end->get(), 0, 0), nullptr, 10),
                                          std::chrono::milliseconds(1000)));
    changes = lc->stream->Peek(max);
  }
  if (changes.empty()) return changes;
  // Key + current image, as trigger capture: the row is read now, by key, so a TOASTed column
  // the stream did not send is there, and a change delivered again carries today's row.
  ASSIGN_OR_RETURN(const TableMeta* cached, conn_->Meta(t));
  const TableMeta meta = *cached;
  Status s = AttachCurrentImages(&changes, [&](const std::vector<Key>& keys) {
    return conn_->LookupRows(t, meta, keys);
  });
  if (!s.ok()) return conn_->TableError(s, t, Access::kRead);
  return changes;
}

Result<std::optional<Source::Backlog>> PostgresSource::LogicalBacklog(std::string_view consumer) {
  ASSIGN_OR_RETURN(std::string db, conn_->Database());
  const std::string name = LogicalSlotName(db, consumer);
  const TableRef slots{"pg_replication_slots", {}, {}};
  // From the WAL's insert position, not its write position (pg_current_wal_lsn): a transaction
  // committed with synchronous_commit off may not be written yet, and its changes are backlog
  // all the same (the write position made the lag read 0 right after such a commit).
  Result<PgResult> r = conn_->pg().Query(
      "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)::int8, "
      "pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn)::int8, coalesce(wal_status, '') "
      "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
      {name});
  if (!r.ok()) return conn_->TableError(r.status(), slots, Access::kRead);
  if (PQntuples(r->get()) == 0) return std::optional<Backlog>();
  Backlog b;
  b.slot = name;
  const PGresult* res = r->get();
  b.slot_lag_bytes = PQgetisnull(res, 0, 0) ? 0 : std::stoll(Text(res, 0, 0));
  b.retained_bytes = PQgetisnull(res, 0, 1) ? 0 : std::stoll(Text(res, 0, 1));
  if (b.slot_lag_bytes < 0) b.slot_lag_bytes = 0;
  if (b.retained_bytes < 0) b.retained_bytes = 0;
  if (LogicalCapture* lc = FindLogical(consumer)) {
    b.count = static_cast<int64_t>(lc->stream->pending());
    b.oldest_at_ms = lc->stream->oldest_pending_ms();
  }
  // How many changes the unread log holds for this table is not known without decoding it.
  b.at_least = b.slot_lag_bytes > 0;
  const std::string wal_status = Text(res, 0, 2);
  if (wal_status == "lost") {
    b.warning = "replication slot " + name +
                " has lost WAL it still needed (wal_status lost: max_slot_wal_keep_size): changes "
                "were lost; remove and reinstall capture, which takes a new snapshot";
  } else if (b.retained_bytes > conn_->max_retained_wal()) {
    b.warning = "replication slot " + name + " retains " + Bytes(b.retained_bytes) +
                " of WAL, more than max_retained_wal (" + Bytes(conn_->max_retained_wal()) +
                "): the server cannot remove it until the flow catches up; is the flow "
                "stopped or failing? `concord uninstall` drops the slot";
  }
  return std::optional<Backlog>(std::move(b));
}

Source::WakeUp PostgresSource::WaitLogical(int64_t timeout_ms) {
  std::vector<pollfd> fds;
  for (auto& [consumer, lc] : logical_) {
    if (!lc.stream->streaming()) continue;
    // Errors surface in the next ReadChanges; have the engine read now.
    if (!lc.stream->Pump(0).ok() || lc.stream->fresh() > 0) return WakeUp::kChanged;
    fds.push_back(pollfd{lc.stream->socket(), POLLIN, 0});
  }
  if (fds.empty()) return WakeUp::kNoSignal;
  int ready = poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(timeout_ms, 60000)));
  if (ready <= 0) return WakeUp::kTimedOut;
  for (auto& [consumer, lc] : logical_) {
    if (!lc.stream->streaming()) continue;
    if (!lc.stream->Pump(0).ok() || lc.stream->fresh() > 0) return WakeUp::kChanged;
  }
  return WakeUp::kTimedOut;  // keepalives only
}

// --- the sink's replication origin ---

Status PostgresConnection::MarkOrigin(const TableRef& t, std::string_view origin) {
  ++writes_;
  if (origin == session_origin_ || pg_->in_transaction()) return Status::Ok();
  auto denied = [&]() -> Status {
    ASSIGN_OR_RETURN(TableName name, ParseTableName(t.table, schema_));
    const std::string quoted = name.Quoted();
    auto it = logically_captured_.find(quoted);
    int64_t now = NowMs();
    if (it == logically_captured_.end() || now - it->second.second > kCapturedCacheMs) {
      ASSIGN_OR_RETURN(
          PgResult r,
          pg_->Query("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables WHERE "
                     "pubname LIKE 'concord\\_%' AND schemaname = $1 AND tablename = $2)",
                     {name.schema, name.name}));
      it = logically_captured_.insert_or_assign(quoted, std::make_pair(Text(r.get(), 0, 0) == "t", now))
               .first;
    }
    if (!it->second.first) return Status::Ok();  // trigger capture tags by concord.origin
    return PermissionDenied(
        Context(t) + ": concord's writes into a table read by `capture: logical` carry a "
                     "replication origin so that the flow reading it skips them, and role " +
        QuoteIdent(pg_->user()) +
        " may not use replication origins: GRANT EXECUTE ON FUNCTION "
        "pg_replication_origin_create(text), pg_replication_origin_oid(text), "
        "pg_replication_origin_session_setup(text), pg_replication_origin_session_reset() TO " +
        QuoteIdent(pg_->user()) + " (superuser only before PostgreSQL 14); or read that table "
                                  "with `capture: trigger`");
  };
  if (origins_denied_) return denied();
  if (!session_origin_.empty()) {
    Status s = pg_->Exec("SELECT pg_catalog.pg_replication_origin_session_reset()");
    if (!s.ok()) return TableError(s, t, Access::kWrite, " (resetting the replication origin)");
    session_origin_.clear();
  }
  if (origin.empty()) return Status::Ok();
  for (int n = 1; n <= kOriginSlots; ++n) {
    const std::string name = OriginName(origin, n);
    Result<PgResult> r = pg_->Query(
        "SELECT pg_catalog.pg_replication_origin_create($1) "
        "WHERE pg_catalog.pg_replication_origin_oid($1) IS NULL",
        {name});
    if (r.ok() || pg_->last_error().sqlstate == "23505") {  // 23505: created meanwhile
      r = pg_->Query("SELECT pg_catalog.pg_replication_origin_session_setup($1)", {name});
      if (r.ok()) {
        session_origin_ = std::string(origin);
        return Status::Ok();
      }
    }
    const std::string state = pg_->last_error().sqlstate;
    if (state == "55006" || state == "23505") continue;  // active in another session
    if (state == "42501" || state == "42883") {  // no EXECUTE (or the functions are missing)
      origins_denied_ = true;
      return denied();
    }
    return TableError(r.status(), t, Access::kWrite, " (setting the replication origin)");
  }
  return Unavailable(Context(t) + ": the replication origins " + OriginName(origin, 1) + " to " +
                     OriginName(origin, kOriginSlots) +
                     " are all in use by other sessions; retrying");
}

}  // namespace concord::postgres_connector
