// Trigger capture and snapshot reads for PostgreSQL (the Source side). See README.md for the
// changelog design: one plpgsql trigger function per captured table appends one row per
// registered consumer to _concord_changelog, the reader fetches the logged keys joined to their
// current rows in one statement, and AckChanges deletes what was consumed.
#include <libpq-fe.h>

#include <algorithm>
#include <set>
#include <string>

#include "connectors/postgres/pg_types.h"
#include "connectors/postgres/postgres_connection.h"

namespace concord::postgres_connector {
namespace {

// Serializes concord's capture DDL across connections and processes: two installs racing on
// CREATE TABLE would otherwise fail on the catalog's unique indexes. The bytes of "concord".
constexpr std::string_view kInstallLock = "SELECT pg_advisory_xact_lock(x'636f6e636f7264'::int8)";

// AFTER ... FOR EACH ROW on INSERT, UPDATE and DELETE, as pg_trigger.tgtype encodes it
// (TRIGGER_TYPE_ROW | INSERT | DELETE | UPDATE; no BEFORE, INSTEAD or TRUNCATE bit).
constexpr int kTriggerType = 1 | 4 | 8 | 16;

// "_concord_<table>_<8 hex digits of the qualified name>": unique per table (schema "a_b" with
// table "c" and schema "a" with table "b_c" differ in the hash) and within NAMEDATALEN - 1 = 63
// bytes, which PostgreSQL would otherwise silently truncate to.
std::string FunctionName(const TableMeta& meta) {
  std::string base = meta.name.name;
  size_t cut = std::min<size_t>(base.size(), 45);
  while (cut > 0 && cut < base.size() && (static_cast<unsigned char>(base[cut]) & 0xC0) == 0x80) {
    --cut;  // not inside a UTF-8 sequence
  }
  base.resize(cut);
  char hash[9];
  std::snprintf(hash, sizeof(hash), "%08x", Fnv1a(meta.quoted));
  return "_concord_" + base + "_" + hash;
}

// The key of `row` (OLD or NEW) as the changelog logs it: a jsonb array, see pg_types.h.
std::string KeyJson(const TableRef& t, const TableMeta& meta, std::string_view row) {
  std::string out = "jsonb_build_array(";
  for (size_t i = 0; i < t.key_columns.size(); ++i) {
    const ColumnMeta* c = meta.Find(t.key_columns[i]);
    if (i) out += ", ";
    out += KeyJsonExpr(std::string(row) + "." + QuoteIdent(c->name), c->base_oid);
  }
  return out + ")";
}

// The trigger function's body. The table's name is a string literal here because DDL cannot
// bind parameters; QuoteLiteral makes any name safe. No record value is ever pasted.
// Deterministic, so comparing it with pg_proc.prosrc tells whether the installed one is current.
std::string TriggerBody(const PostgresConnection& conn, const TableRef& t, const TableMeta& meta) {
  const std::string tbl = QuoteLiteral(meta.quoted);
  const std::string log = conn.CaptureTable(kChangelogTable);
  const std::string consumers = conn.CaptureTable(kConsumersTable);
  auto insert = [&](std::string_view pk, std::string_view op) {
    return "INSERT INTO " + log + " (consumer, tbl, pk, op, origin, at_ms) SELECT c.consumer, " +
           tbl + ", " + std::string(pk) + ", '" + std::string(op) + "', v_origin, v_at FROM " +
           consumers + " c WHERE c.tbl = " + tbl + ";\n";
  };
  return "\nDECLARE\n"
         "  v_origin text := nullif(current_setting('concord.origin', true), '');\n"
         "  v_at bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);\n"
         "  v_old jsonb;\n"
         "  v_new jsonb;\n"
         "BEGIN\n"
         "  IF TG_OP <> 'INSERT' THEN v_old := " +
         KeyJson(t, meta, "OLD") +
         "; END IF;\n"
         "  IF TG_OP <> 'DELETE' THEN v_new := " +
         KeyJson(t, meta, "NEW") +
         "; END IF;\n"
         // A changed key is a different row: the old key is gone, the new one appears.
         "  IF TG_OP = 'UPDATE' AND v_old = v_new THEN\n    " +
         insert("v_new", "update") +
         "  ELSE\n"
         "    IF v_old IS NOT NULL THEN\n      " +
         insert("v_old", "delete") +
         "    END IF;\n"
         "    IF v_new IS NOT NULL THEN\n      " +
         insert("v_new", "insert") +
         "    END IF;\n"
         "  END IF;\n"
         "  PERFORM pg_notify('" +
         std::string(kNotifyChannel) + "', " + tbl +
         ");\n"
         "  RETURN NULL;\n"
         "END\n";
}

// $concord$ unless the body holds it (a table name could), then $concord1$, ...
std::string DollarTag(const std::string& body) {
  std::string tag = "$concord$";
  for (int i = 1; body.find(tag) != std::string::npos; ++i) {
    tag = "$concord" + std::to_string(i) + "$";
  }
  return tag;
}


std::string Text(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}

int64_t Int(const PGresult* r, int row, int col) {
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}

// "{1,2,3}": an int8[] literal (the values are integers, nothing to escape).
std::string Int8Array(const std::vector<int64_t>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out + "}";
}

}  // namespace

Status PostgresSource::InstallCapture(const TableRef& t, std::string_view consumer) {
  if (IsLogical(t)) return InstallLogical(t, consumer);
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  trigger_installed_ = true;
  if (consumer.empty())
    return InvalidArgument(conn_->Context(t) + ": capture consumer name is empty");
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  const TableMeta snapshot = *meta;  // the cache may be cleared while we work
  Status s = conn_->Begin();
  if (s.ok()) s = InstallInTransaction(t, snapshot, consumer);
  if (s.ok()) s = conn_->Commit();
  if (!s.ok()) {
    conn_->Rollback();
    return conn_->TableError(s, t, Access::kCapture, " (installing capture)");
  }
  return Status::Ok();
}

Status PostgresSource::InstallInTransaction(const TableRef& t, const TableMeta& meta,
                                            std::string_view consumer) {
  PgConn& pg = conn_->pg();
  const std::string& schema = conn_->schema();
  RETURN_IF_ERROR(pg.Exec(std::string(kInstallLock)));
  // Created only when missing, so that a DBA may create them beforehand and grant concord no
  // CREATE on the schema (CREATE TABLE IF NOT EXISTS would still demand it).
  const std::string log = conn_->CaptureTable(kChangelogTable);
  const std::string consumers = conn_->CaptureTable(kConsumersTable);
  ASSIGN_OR_RETURN(
      PgResult exists,
      pg.Query("SELECT to_regclass($1) IS NULL, to_regclass($2) IS NULL", {log, consumers}));
  if (Text(exists.get(), 0, 0) == "t") {
    RETURN_IF_ERROR(pg.Exec("CREATE TABLE " + log +
                            " (seq bigserial PRIMARY KEY, consumer text NOT NULL, "
                            "tbl text NOT NULL, pk jsonb NOT NULL, op text NOT NULL, origin text, "
                            "at_ms bigint NOT NULL)"));
    RETURN_IF_ERROR(pg.Exec("CREATE INDEX " + QuoteIdent("_concord_changelog_consumer_seq") +
                            " ON " + log + " (consumer, tbl, seq)"));
  }
  if (Text(exists.get(), 0, 1) == "t") {
    RETURN_IF_ERROR(pg.Exec("CREATE TABLE " + consumers +
                            " (tbl text NOT NULL, consumer text NOT NULL, "
                            "PRIMARY KEY (tbl, consumer))"));
  }
  RETURN_IF_ERROR(pg.Query("INSERT INTO " + consumers +
                               " (tbl, consumer) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           {meta.quoted, std::string(consumer)})
                      .status());

  // The trigger function: recreated only when its body differs (the key changed), so a repeated
  // install takes no lock on the application's table.
  const std::string function = FunctionName(meta);
  const std::string qualified = QuoteIdent(schema) + "." + QuoteIdent(function);
  const std::string body = TriggerBody(*conn_, t, meta);
  ASSIGN_OR_RETURN(
      PgResult current,
      pg.Query("SELECT p.prosrc FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace "
               "n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2 "
               "AND p.pronargs = 0",
               {schema, function}));
  if (PQntuples(current.get()) == 0 || Text(current.get(), 0, 0) != body) {
    const std::string tag = DollarTag(body);
    // SECURITY DEFINER: the application's own role needs no grant on concord's tables. The fixed
    // search_path keeps a definer function from resolving anything through the caller's.
    RETURN_IF_ERROR(pg.Exec("CREATE OR REPLACE FUNCTION " + qualified +
                            "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
                            "SET search_path = pg_catalog, pg_temp AS " +
                            tag + body + tag));
  }

  ASSIGN_OR_RETURN(
      PgResult trigger,
      pg.Query("SELECT t.tgenabled::text, t.tgtype, t.tgfoid = to_regprocedure($3 || '()')::oid "
               "FROM pg_catalog.pg_trigger t WHERE t.tgrelid = $1::oid AND t.tgname = $2",
               {std::to_string(meta.oid), std::string(kTriggerName), qualified}));
  bool current_trigger = PQntuples(trigger.get()) == 1 && Text(trigger.get(), 0, 0) != "D" &&
                         Int(trigger.get(), 0, 1) == kTriggerType &&
                         Text(trigger.get(), 0, 2) == "t";
  if (!current_trigger) {
    const std::string on =
        " AFTER INSERT OR UPDATE OR DELETE ON " + meta.quoted + " FOR EACH ROW EXECUTE " +
        (pg.server_version() >= 110000 ? "FUNCTION " : "PROCEDURE ") + qualified + "()";
    if (pg.server_version() >= 140000) {
      // Needs only the TRIGGER privilege, where DROP TRIGGER needs the table's owner.
      RETURN_IF_ERROR(pg.Exec("CREATE OR REPLACE TRIGGER " + QuoteIdent(kTriggerName) + on));
    } else {
      RETURN_IF_ERROR(
          pg.Exec("DROP TRIGGER IF EXISTS " + QuoteIdent(kTriggerName) + " ON " + meta.quoted));
      RETURN_IF_ERROR(pg.Exec("CREATE TRIGGER " + QuoteIdent(kTriggerName) + on));
    }
  }
  return Status::Ok();
}

Status PostgresSource::RemoveCapture(const TableRef& t, std::string_view consumer) {
  if (IsLogical(t)) return RemoveLogical(t, consumer);
  if (t.table.empty()) return InvalidArgument(conn_->system() + ": table name is empty");
  RETURN_IF_ERROR(conn_->CheckAlive());
  ASSIGN_OR_RETURN(TableName name, ParseTableName(t.table, conn_->schema()));
  PgConn& pg = conn_->pg();
  const std::string log = conn_->CaptureTable(kChangelogTable);
  const std::string consumers = conn_->CaptureTable(kConsumersTable);
  const std::string quoted = name.Quoted();
  Status s = conn_->Begin();
  if (s.ok()) {
    s = [&]() -> Status {
      RETURN_IF_ERROR(pg.Exec(std::string(kInstallLock)));
      ASSIGN_OR_RETURN(PgResult exists,
                       pg.Query("SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL, "
                                "to_regclass($3)::oid",
                                {log, consumers, quoted}));
      const bool has_log = Text(exists.get(), 0, 0) == "t";
      const bool has_consumers = Text(exists.get(), 0, 1) == "t";
      const bool has_table = !PQgetisnull(exists.get(), 0, 2);
      std::vector<PgParam> params = {std::string(consumer), quoted};
      int64_t left = 0;
      if (has_consumers) {
        RETURN_IF_ERROR(
            pg.Query("DELETE FROM " + consumers + " WHERE consumer = $1 AND tbl = $2", params)
                .status());
        ASSIGN_OR_RETURN(
            PgResult count,
            pg.Query("SELECT count(*) FROM " + consumers + " WHERE tbl = $1", {quoted}));
        left = Int(count.get(), 0, 0);
      }
      if (has_log) {
        RETURN_IF_ERROR(
            pg.Query("DELETE FROM " + log + " WHERE consumer = $1 AND tbl = $2", params).status());
      }
      if (left > 0) return Status::Ok();
      if (has_table) {
        RETURN_IF_ERROR(
            pg.Exec("DROP TRIGGER IF EXISTS " + QuoteIdent(kTriggerName) + " ON " + quoted));
      }
      TableMeta meta;
      meta.name = name;
      meta.quoted = quoted;
      return pg.Exec("DROP FUNCTION IF EXISTS " + QuoteIdent(conn_->schema()) + "." +
                     QuoteIdent(FunctionName(meta)) + "()");
    }();
  }
  if (s.ok()) s = conn_->Commit();
  if (!s.ok()) {
    conn_->Rollback();
    return conn_->TableError(s, t, Access::kCapture, " (removing capture)");
  }
  return Status::Ok();
}

Status PostgresSource::CheckCaptureIntact(const TableRef& t, const TableMeta& meta,
                                          std::string_view consumer) {
  const std::string ctx = conn_->Context(t);
  Result<PgResult> r = conn_->pg().Query(
      "SELECT EXISTS (SELECT 1 FROM " + conn_->CaptureTable(kConsumersTable) +
          " WHERE consumer = $1 AND tbl = $2), (SELECT t.tgenabled::text FROM "
          "pg_catalog.pg_trigger t WHERE t.tgrelid = to_regclass($2) AND t.tgname = $3)",
      {std::string(consumer), meta.quoted, std::string(kTriggerName)});
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  if (Text(r->get(), 0, 0) != "t") {
    return NotFound(ctx + ": capture is not installed for consumer \"" + std::string(consumer) +
                    "\" (InstallCapture registers it)");
  }
  if (PQgetisnull(r->get(), 0, 1)) {
    // Typically the application dropped and recreated the table (a migration), which drops its
    // trigger: writes since then were not logged.
    return DataLoss(ctx +
                    ": the capture trigger is missing (was the table recreated?); changes since "
                    "then were not captured: restart the flow to reinstall capture and take a "
                    "new snapshot");
  }
  if (Text(r->get(), 0, 1) == "D") {
    return DataLoss(ctx + ": the capture trigger " + std::string(kTriggerName) +
                    " is disabled (ALTER TABLE ... DISABLE TRIGGER); changes since then were not "
                    "captured: restart the flow to reinstall capture and take a new snapshot");
  }
  return Status::Ok();
}

Result<std::vector<SourceChange>> PostgresSource::ReadChanges(const TableRef& t,
                                                              std::string_view consumer,
                                                              size_t max) {
  if (IsLogical(t)) return ReadLogical(t, consumer, max);
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::vector<SourceChange> changes;
  if (max == 0) return changes;
  const std::string ctx = conn_->Context(t);
  ASSIGN_OR_RETURN(const TableMeta* cached, conn_->Meta(t));
  const TableMeta meta = *cached;
  // One statement, so the log and the images come from one snapshot: the oldest `max` changes of
  // this consumer, each joined to the current row of its key (none when it is gone). Cached, not
  // planned per run: told the LIMIT (500), the planner prefers a hash join over a sequential scan
  // of the table to 500 index probes, and PostgreSQL → MariaDB streaming fell from 21,573 to
  // 11,061 changes/s (db_sync_bench stream pg2my, 200,000 backlog) when it was planned per run.
  std::string signature = "changes ";
  AppendSignature(&signature, meta.quoted);
  for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
  signature += "|";
  for (const std::string& c : t.columns) AppendSignature(&signature, c);
  Result<PgResult> r = conn_->Run(
      signature,
      [&] {
        return "SELECT c.seq, c.pk::text, c.op, coalesce(c.origin, ''), c.at_ms, "
               "t.ctid IS NOT NULL, " +
               PostgresConnection::SelectList(t, "t.") +
               " FROM (SELECT seq, pk, op, origin, at_ms FROM " +
               conn_->CaptureTable(kChangelogTable) +
               " WHERE consumer = $1 AND tbl = $2 ORDER BY seq LIMIT $3) AS c LEFT JOIN " +
               meta.quoted + " AS t ON " + PostgresConnection::KeyJoin(t, meta, "t", "c.pk") +
               " ORDER BY c.seq";
      },
      {kTextOid, kTextOid, kInt8Oid},
      {std::string(consumer), meta.quoted,
       std::to_string(std::min<size_t>(max, static_cast<size_t>(INT64_MAX)))});
  if (!r.ok()) {
    if (conn_->pg().last_error().sqlstate == "42P01") {
      Result<PgResult> installed = conn_->pg().Query("SELECT to_regclass($1) IS NOT NULL",
                                                     {conn_->CaptureTable(kChangelogTable)});
      if (installed.ok() && Text(installed->get(), 0, 0) == "f") {
        return NotFound(ctx + ": capture is not installed (no " + std::string(kChangelogTable) +
                        " table; InstallCapture creates it)");
      }
      if (!installed.ok()) return conn_->TableError(installed.status(), t, Access::kRead);
    }
    return conn_->TableError(r.status(), t, Access::kRead);
  }
  const PGresult* res = r->get();
  int64_t last_seq = 0;
  for (int row = 0; row < PQntuples(res); ++row) {
    SourceChange c;
    c.seq = Int(res, row, 0);
    if (!changes.empty() && c.seq == last_seq) continue;  // a key matching several rows
    last_seq = c.seq;
    std::string pk = Text(res, row, 1);
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
    Result<ChangeOp> op = ParseChangeOp(Text(res, row, 2));
    if (!op.ok()) return op.status().WithContext(ctx);
    c.op = *op;
    c.origin = Text(res, row, 3);  // NULL (an application's write) reads as ""
    c.at_ms = Int(res, row, 4);
    if (Text(res, row, 5) == "t") c.row = PostgresConnection::ReadRow(res, row, 6);
    changes.push_back(std::move(c));
  }
  if (changes.empty()) RETURN_IF_ERROR(CheckCaptureIntact(t, meta, consumer));
  return changes;
}

Status PostgresSource::AckChanges(std::string_view consumer, const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  if (LogicalCapture* lc = FindLogical(consumer)) return lc->stream->Ack(seqs);
  RETURN_IF_ERROR(conn_->CheckAlive());
  const TableRef log{std::string(kChangelogTable), {}, {}};
  // One statement for any number of seqs: they travel as one int8[] parameter.
  Result<PgResult> r =
      conn_->Run("ack",
                 [&] {
                   return "DELETE FROM " + conn_->CaptureTable(kChangelogTable) +
                          " WHERE consumer = $1 AND seq = ANY ($2)";
                 },
                 {kTextOid, kInt8ArrayOid}, {std::string(consumer), Int8Array(seqs)});
  if (!r.ok()) {
    if (conn_->pg().last_error().sqlstate == "42P01") return Status::Ok();  // nothing to delete
    return conn_->TableError(r.status(), log, Access::kCapture, " (acknowledging changes)");
  }
  return Status::Ok();
}

Result<Source::Backlog> PostgresSource::PendingChanges(std::string_view consumer) {
  RETURN_IF_ERROR(conn_->CheckAlive());
  ASSIGN_OR_RETURN(std::optional<Backlog> logical, LogicalBacklog(consumer));
  if (logical) return *logical;
  Backlog backlog;
  const TableRef log{std::string(kChangelogTable), {}, {}};
  Result<PgResult> r = conn_->Run("pending",
                                  [&] {
                                    return "SELECT count(*), coalesce(min(at_ms), 0) FROM " +
                                           conn_->CaptureTable(kChangelogTable) +
                                           " WHERE consumer = $1";
                                  },
                                  {kTextOid}, {std::string(consumer)});
  if (!r.ok()) {
    if (conn_->pg().last_error().sqlstate == "42P01") return backlog;  // capture never installed
    return conn_->TableError(r.status(), log, Access::kRead);
  }
  backlog.count = Int(r->get(), 0, 0);
  backlog.oldest_at_ms = Int(r->get(), 0, 1);
  return backlog;
}

Result<std::map<std::string, int64_t>> PostgresSource::LatestPendingMs(
    const TableRef& t, std::string_view consumer, const std::vector<Key>& keys,
    std::string_view ignore_origin) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::map<std::string, int64_t> latest;
  if (keys.empty()) return latest;
  if (IsLogical(t)) {
    // What the stream has delivered and the engine has not applied yet.
    LogicalCapture* lc = FindLogical(consumer);
    if (lc == nullptr) return latest;
    std::set<std::string> encoded;
    for (const Key& k : keys) encoded.insert(EncodeKey(k));
    return lc->stream->LatestPendingMs(encoded, ignore_origin);
  }
  const size_t nk = t.key_columns.size();
  std::string json = "[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].size() != nk) {
      return InvalidArgument(conn_->Context(t) + ": a key has " + std::to_string(keys[i].size()) +
                             " values, the table's key has " + std::to_string(nk) + " columns");
    }
    if (i) json += ',';
    json += EncodeKey(keys[i]);
  }
  json += ']';
  ASSIGN_OR_RETURN(const TableMeta* cached, conn_->Meta(t));
  const TableMeta meta = *cached;
  // Each key is cast to its column's type and logged-encoded with the trigger's own expression,
  // so it matches `pk` exactly as the trigger wrote it. Numeric keys keep the column's scale
  // (1.5 → "1.500000" in a numeric(20,6)), as the trigger saw them.
  std::string logged = "jsonb_build_array(";
  for (size_t i = 0; i < nk; ++i) {
    const ColumnMeta* c = meta.Find(t.key_columns[i]);
    const std::string& cast = c->base_oid == kNumericOid ? c->type_name : c->cast_type;
    if (i) logged += ", ";
    logged += KeyJsonExpr(KeyFromJsonExpr("v.k", i, c->base_oid, cast), c->base_oid);
  }
  logged += ")";
  std::string signature = "latest ";
  AppendSignature(&signature, meta.quoted);
  for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
  Result<PgResult> r = conn_->Run(
      signature,
      [&] {
        return "SELECT v.i, max(c.at_ms) FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY "
               "AS v(k, i) JOIN " +
               conn_->CaptureTable(kChangelogTable) +
               " AS c ON c.consumer = $2 AND c.tbl = $3 AND c.pk = " + logged +
               " WHERE c.origin IS DISTINCT FROM $4 GROUP BY v.i";
      },
      {kJsonbOid, kTextOid, kTextOid, kTextOid},
      {json, std::string(consumer), meta.quoted, std::string(ignore_origin)},
      PostgresConnection::Planning::kEachRun);
  if (!r.ok()) {
    if (conn_->pg().last_error().sqlstate == "42P01") return latest;  // capture never installed
    return conn_->TableError(r.status(), t, Access::kRead);
  }
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    int64_t i = Int(r->get(), row, 0) - 1;
    if (i < 0 || static_cast<size_t>(i) >= keys.size()) continue;
    latest[EncodeKey(keys[i])] = Int(r->get(), row, 1);
  }
  return latest;
}

Result<std::vector<Row>> PostgresSource::ReadRows(const TableRef& t, const std::vector<Key>& keys) {
  return conn_->ReadRows(t, keys);
}

Source::WakeUp PostgresSource::WaitForChanges(int64_t timeout_ms) {
  PgListener* listener = conn_->listener();
  if (logical_.empty()) {
    return listener == nullptr ? WakeUp::kNoSignal : listener->Wait(timeout_ms);
  }
  // Logical capture wakes on data arriving on its replication connections; the listener too
  // when trigger capture is also in use here (each gets half the time).
  const bool both = listener != nullptr && trigger_installed_;
  WakeUp w = WaitLogical(both ? timeout_ms / 2 : timeout_ms);
  if (w == WakeUp::kChanged || !both) return w;
  WakeUp l = listener->Wait(timeout_ms / 2);
  if (l == WakeUp::kChanged) return l;
  return w == WakeUp::kTimedOut || l == WakeUp::kTimedOut ? WakeUp::kTimedOut : WakeUp::kNoSignal;
}

}  // namespace concord::postgres_connector
