// Trigger capture and snapshot reads for MariaDB/MySQL (the Source side). See README.md for the
// changelog design: triggers append one row per registered consumer to _concord_changelog, the
// reader fetches the current rows for the logged keys, and AckChanges deletes what was consumed.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "connectors/mysql/mysql_connection.h"
#include "core/did_you_mean.h"

namespace concord::mysql_connector {
namespace {

// utf8mb4_bin: names compare exactly, as table names do on Linux (lower_case_table_names=0).
// (consumer, tbl, seq) serves ReadChanges (one consumer's rows of one table in seq order) and
// PendingChanges (its prefix).
constexpr std::string_view kCreateChangelog =
    "CREATE TABLE IF NOT EXISTS `_concord_changelog` ("
    "seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "consumer VARCHAR(191) NOT NULL, tbl VARCHAR(64) NOT NULL, pk TEXT NOT NULL, "
    "op VARCHAR(6) NOT NULL, origin VARCHAR(191) NULL, at_ms BIGINT NOT NULL, "
    "KEY `_concord_changelog_consumer` (consumer, tbl, seq)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
constexpr std::string_view kCreateConsumers =
    "CREATE TABLE IF NOT EXISTS `_concord_consumers` ("
    "consumer VARCHAR(191) NOT NULL, tbl VARCHAR(64) NOT NULL, PRIMARY KEY (consumer, tbl)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
constexpr size_t kMaxConsumerChars = 191;

// Milliseconds since the Unix epoch, from UTC_TIMESTAMP: pure arithmetic, so unlike
// UNIX_TIMESTAMP(NOW(3)) it does not depend on the writing session's time zone (which is
// ambiguous for an hour each autumn where daylight saving time ends).
constexpr std::string_view kNowMs =
    "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000";

// Sizes ack statements are padded to (repeating the last seq), so few statements are prepared.
constexpr size_t kAckSizes[] = {1, 8, 64, kMaxKeysPerQuery};

enum class TriggerKind { kInsert, kUpdate, kDelete };
constexpr TriggerKind kTriggerKinds[] = {TriggerKind::kInsert, TriggerKind::kUpdate,
                                         TriggerKind::kDelete};

size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `chars` characters of UTF-8 `s`.
std::string Utf8Prefix(std::string_view s, size_t chars) {
  size_t i = 0, n = 0;
  while (i < s.size()) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == chars) break;
      ++n;
    }
    ++i;
  }
  return std::string(s.substr(0, i));
}

// `_concord_<table>_ins`; identifiers hold at most 64 characters, so a long table name is cut
// and made unique again with a hash of the whole name.
std::string TriggerName(std::string_view table, TriggerKind kind) {
  std::string suffix = kind == TriggerKind::kInsert   ? "_ins"
                       : kind == TriggerKind::kUpdate ? "_upd"
                                                      : "_del";
  std::string name = "_concord_" + std::string(table) + suffix;
  if (Utf8Chars(name) <= 64) return name;
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : table) h = (h ^ c) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", h);
  return "_concord_" + Utf8Prefix(table, 64 - 9 - 1 - 8 - suffix.size()) + "_" + hex + suffix;
}

std::string_view TimingEvent(TriggerKind kind) {
  return kind == TriggerKind::kInsert   ? "AFTER INSERT"
         : kind == TriggerKind::kUpdate ? "AFTER UPDATE"
                                        : "AFTER DELETE";
}

// One key column's value as JSON_ARRAY should log it: rendered exactly as MysqlStmt::Column
// reads the same value, so a key decoded from the log equals the key read from the row (the
// engine matches snapshot rows and logged changes by key). `operand` is NEW.`k`/OLD.`k` in a
// trigger, or a placeholder when the server renders keys it is given (LatestPendingMs).
std::string KeyValueExpr(const ColumnMeta& c, const std::string& operand, bool in_trigger,
                         const std::string& timezone) {
  const std::string& type = c.data_type;
  // JSON cannot hold bytes (JSON_ARRAY fails on them, which would fail the application's own
  // write), so binary values are logged as {"hex": ".."}, the form EncodeKey uses for blobs.
  if (c.binary) return "JSON_OBJECT('hex', LOWER(HEX(" + operand + ")))";
  if (type == "decimal") return "CAST(" + operand + " AS CHAR)";  // exact, as a string
  if (type == "date") return "DATE_FORMAT(" + operand + ", '%Y-%m-%d')";
  if (type == "datetime" || type == "timestamp") {
    std::string v = operand;
    // A TIMESTAMP reads in the session's time zone: the application's in its trigger, the
    // configured one in concord's reads.
    if (type == "timestamp" && in_trigger) {
      v = "CONVERT_TZ(" + operand + ", @@session.time_zone, " + StringConstant(timezone) + ")";
    }
    if (c.datetime_precision <= 0) return "DATE_FORMAT(" + v + ", '%Y-%m-%dT%H:%i:%s')";
    return "CONCAT(DATE_FORMAT(" + v + ", '%Y-%m-%dT%H:%i:%s.'), LEFT(DATE_FORMAT(" + v +
           ", '%f'), " + std::to_string(std::min(c.datetime_precision, 6)) + "))";
  }
  if (type == "time") return "CAST(" + operand + " AS CHAR)";
  if (type == "bit") return "CAST(" + operand + " AS UNSIGNED)";
  if (type == "year") return "CAST(" + operand + " AS SIGNED)";
  return operand;
}

// CAST(JSON_ARRAY(...) AS CHAR): MariaDB's JSON_ARRAY is text already; MySQL 8's is a JSON
// value, whose text form this makes explicit.
std::string KeyJson(const std::vector<const ColumnMeta*>& columns,
                    const std::vector<std::string>& operands, bool in_trigger,
                    const std::string& timezone) {
  std::string out = "CAST(JSON_ARRAY(";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += KeyValueExpr(*columns[i], operands[i], in_trigger, timezone);
  }
  return out + ") AS CHAR CHARACTER SET utf8mb4)";
}

struct KeyColumns {
  std::vector<const ColumnMeta*> metas;
  std::vector<std::string> names;  // as the table spells them
};

// The key columns' metadata; NotFound (with a did-you-mean) for a column the table lacks.
Result<KeyColumns> FindKeyColumns(const std::string& ctx, const TableMeta& meta,
                                  const TableRef& t) {
  KeyColumns out;
  for (const std::string& k : t.key_columns) {
    const ColumnMeta* c = meta.Find(k);
    if (c == nullptr) {
      std::string msg = ctx + ": key column \"" + k + "\" does not exist";
      std::string near = ClosestMatch(std::string(k), meta.ColumnNames());
      if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
      return NotFound(msg);
    }
    out.metas.push_back(c);
    out.names.push_back(c->name);
  }
  return out;
}

// One changelog row per consumer registered on the table. The table name is a constant here
// because DDL (a trigger body) cannot bind parameters; StringConstant writes it in hex, so any
// name is safe. Only the table name is pasted, never a record value.
std::string LogStatement(const TableRef& t, const KeyColumns& keys, std::string_view row,
                         std::string_view op, const std::string& timezone) {
  std::vector<std::string> operands;
  for (const std::string& k : keys.names)
    operands.push_back(std::string(row) + "." + QuoteIdent(k));
  std::string tbl = StringConstant(t.table);
  return "INSERT INTO `_concord_changelog` (consumer, tbl, pk, op, origin, at_ms) SELECT "
         "consumer, " +
         tbl + ", " + KeyJson(keys.metas, operands, true, timezone) + ", '" + std::string(op) +
         "', " + std::string(kOriginVariable) + ", " + std::string(kNowMs) +
         " FROM `_concord_consumers` WHERE tbl = " + tbl;
}

// The trigger body (what follows FOR EACH ROW). Deterministic, so comparing it with
// information_schema.triggers tells whether the installed trigger is current.
std::string TriggerBody(const TableRef& t, const KeyColumns& keys, TriggerKind kind,
                        const std::string& timezone) {
  switch (kind) {
    case TriggerKind::kInsert:
      return LogStatement(t, keys, "NEW", "insert", timezone);
    case TriggerKind::kDelete:
      return LogStatement(t, keys, "OLD", "delete", timezone);
    case TriggerKind::kUpdate: {
      // A changed key is a different row: the old key is gone, the new one appears. `<=>` is
      // NULL-safe and compares as the column's collation does, as the key's index does.
      std::string same;
      for (const std::string& k : keys.names) {
        if (!same.empty()) same += " AND ";
        same += "OLD." + QuoteIdent(k) + " <=> NEW." + QuoteIdent(k);
      }
      return "BEGIN IF " + same + " THEN " + LogStatement(t, keys, "NEW", "update", timezone) +
             "; ELSE " + LogStatement(t, keys, "OLD", "delete", timezone) + "; " +
             LogStatement(t, keys, "NEW", "insert", timezone) + "; END IF; END";
    }
  }
  return "";
}


// True when the last error is "table _concord_... doesn't exist" (capture never installed).
bool CaptureTableMissing(MysqlDb& db) {
  const MysqlError& e = db.last_error();
  return e.number == 1146 && e.message.find("_concord_") != std::string::npos;
}

size_t PaddedSize(size_t n, const size_t* sizes, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (sizes[i] >= n) return sizes[i];
  }
  return sizes[count - 1];
}

}  // namespace

Status MysqlSource::CaptureRefused(const Status& s, const std::string& table) {
  const std::string ctx = conn_->Context(table);
  MysqlDb& db = conn_->db();
  MysqlError e = db.last_error();
  std::string account = "<user>";
  Result<std::vector<std::vector<Value>>> who = db.Query("SELECT CURRENT_USER()");
  if (who.ok() && !who->empty() && (*who)[0][0].kind() == ValueKind::kText) {
    const std::string& u = (*who)[0][0].text();  // user@host
    size_t at = u.rfind('@');
    if (at != std::string::npos) {
      account = "'" + u.substr(0, at) + "'@'" + u.substr(at + 1) + "'";
    }
  }
  const std::string on = QuoteIdent(conn_->database()) + ".*";
  const std::string poll =
      "; or, without triggers, bind this table with capture: poll (reads only)";
  std::string msg = ctx + ": cannot install capture: " + e.message + "; ";
  if (e.number == 1419 || e.number == 1227) {
    msg +=
        "binary logging is on, so creating triggers needs the SUPER privilege or "
        "log_bin_trust_function_creators: GRANT SUPER ON *.* TO " +
        account + ", or SET GLOBAL log_bin_trust_function_creators = 1" + poll;
  } else if (e.message.find("TRIGGER") != std::string::npos) {
    msg += "grant it with: GRANT TRIGGER ON " + on + " TO " + account + poll;
  } else {
    msg +=
        "capture needs CREATE (for _concord_changelog and _concord_consumers), TRIGGER, "
        "SELECT, INSERT and DELETE: GRANT CREATE, TRIGGER, SELECT, INSERT, DELETE ON " +
        on + " TO " + account + poll;
  }
  return PermissionDenied(msg);
}

namespace {

// A trigger body as information_schema shows it: MariaDB stores a UTF-8 rendering from which
// character set introducers are dropped ("_utf8mb4 X'61'" becomes " X'61'"), so both sides are
// compared without them and with runs of spaces collapsed.
std::string NormalizedBody(std::string_view body) {
  static constexpr std::string_view kIntroducer = "_utf8mb4 ";
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body.compare(i, kIntroducer.size(), kIntroducer) == 0) {
      i += kIntroducer.size() - 1;
      continue;
    }
    if (body[i] == ' ' && !out.empty() && out.back() == ' ') continue;
    out += body[i];
  }
  return out;
}

}  // namespace

Status MysqlSource::EnsureTrigger(const std::string& name, const std::string& timing_event,
                                  const std::string& table, const std::string& body) {
  MysqlDb& db = conn_->db();
  ASSIGN_OR_RETURN(auto existing,
                   db.Query("SELECT action_statement, event_object_table, action_timing, "
                            "event_manipulation FROM information_schema.triggers "
                            "WHERE trigger_schema = DATABASE() AND trigger_name = ?",
                            {Value::Text(name)}));
  if (!existing.empty()) {
    const auto& r = existing[0];
    if (NormalizedBody(r[0].text()) == NormalizedBody(body) && r[1].text() == table &&
        r[2].text() + " " + r[3].text() == timing_event) {
      return Status::Ok();  // current: no DDL, no lock on the application's table
    }
  }
  std::string create = " TRIGGER " + QuoteIdent(name) + " " + timing_event + " ON " +
                       QuoteIdent(table) + " FOR EACH ROW " + body;
  if (db.is_mariadb()) {
    // Replaced in one statement under the table's metadata lock: no write goes unlogged.
    return db.Exec("CREATE OR REPLACE" + create);
  }
  // MySQL 8 has no CREATE OR REPLACE TRIGGER: writes between the two statements (only when a
  // key changes, which recreates the triggers) are not logged. README.md lists this.
  RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdent(name)));
  return db.Exec("CREATE" + create);
}

Status MysqlSource::InstallCapture(const TableRef& t, std::string_view consumer) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  const std::string ctx = conn_->Context(t.table);
  if (consumer.empty()) return InvalidArgument(ctx + ": capture consumer name is empty");
  if (Utf8Chars(consumer) > kMaxConsumerChars) {
    return InvalidArgument(ctx + ": capture consumer name is longer than " +
                           std::to_string(kMaxConsumerChars) + " characters");
  }
  if (Utf8Chars(t.table) > 64) {
    return InvalidArgument(ctx + ": table names have at most 64 characters");
  }
  conn_->ForgetSchema();  // the key's types decide the trigger text: read them fresh
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t.table));
  ASSIGN_OR_RETURN(KeyColumns keys, FindKeyColumns(ctx, *meta, t));

  MysqlDb& db = conn_->db();
  Status s = [&]() -> Status {
    // CREATE TABLE IF NOT EXISTS still needs the CREATE privilege: skip it when a DBA created
    // the tables and granted only what capture uses afterwards.
    for (auto [name, ddl] : {std::pair{kChangelogTable, kCreateChangelog},
                             std::pair{kConsumersTable, kCreateConsumers}}) {
      ASSIGN_OR_RETURN(bool exists, conn_->TableExists(name));
      if (!exists) RETURN_IF_ERROR(db.Exec(ddl));
    }
    // Triggers first, then the registration: a refused trigger leaves nothing registered. DDL
    // commits by itself in MySQL, so there is no enclosing transaction.
    for (TriggerKind kind : kTriggerKinds) {
      RETURN_IF_ERROR(EnsureTrigger(TriggerName(t.table, kind), std::string(TimingEvent(kind)),
                                    t.table, TriggerBody(t, keys, kind, conn_->timezone())));
    }
    ASSIGN_OR_RETURN(uint64_t ignored,
                     db.Run("INSERT INTO `_concord_consumers` (consumer, tbl) VALUES (?, ?) "
                            "ON DUPLICATE KEY UPDATE consumer = consumer",
                            {Value::Text(std::string(consumer)), Value::Text(t.table)}));
    (void)ignored;
    return Status::Ok();
  }();
  if (s.ok()) return s;
  if (s.code() == Code::kPermissionDenied) return CaptureRefused(s, t.table);
  return conn_->TableError(s, t.table, " (installing capture)");
}

Status MysqlSource::RemoveCapture(const TableRef& t, std::string_view consumer) {
  if (t.table.empty()) return InvalidArgument(conn_->system() + ": table name is empty");
  MysqlDb& db = conn_->db();
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(bool installed, conn_->TableExists(kConsumersTable));
    if (installed) {
      std::vector<Value> params = {Value::Text(std::string(consumer)), Value::Text(t.table)};
      RETURN_IF_ERROR(conn_->Begin(MysqlConnection::TxKind::kWrite));
      Status body = [&]() -> Status {
        RETURN_IF_ERROR(
            db.Run("DELETE FROM `_concord_consumers` WHERE consumer = ? AND tbl = ?", params)
                .status());
        ASSIGN_OR_RETURN(bool changelog, conn_->TableExists(kChangelogTable));
        if (changelog) {
          RETURN_IF_ERROR(
              db.Run("DELETE FROM `_concord_changelog` WHERE consumer = ? AND tbl = ?", params)
                  .status());
        }
        return conn_->Commit();
      }();
      if (!body.ok()) {
        conn_->Rollback();
        return body;
      }
      ASSIGN_OR_RETURN(auto left, db.Query("SELECT COUNT(*) FROM `_concord_consumers` "
                                           "WHERE tbl = ?",
                                           {Value::Text(t.table)}));
      if (!left.empty() && left[0][0].int_value() > 0) return Status::Ok();
    }
    for (TriggerKind kind : kTriggerKinds) {
      RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdent(TriggerName(t.table, kind))));
    }
    return Status::Ok();
  }();
  if (!s.ok()) return conn_->TableError(s, t.table, " (removing capture)");
  return Status::Ok();
}

Status MysqlSource::CheckCaptureIntact(const TableRef& t, std::string_view consumer) {
  const std::string ctx = conn_->Context(t.table);
  ASSIGN_OR_RETURN(bool table_exists, conn_->TableExists(t.table));
  if (!table_exists) return NotFound(ctx + ": table \"" + t.table + "\" does not exist");
  MysqlDb& db = conn_->db();
  ASSIGN_OR_RETURN(auto registered,
                   db.Query("SELECT 1 FROM `_concord_consumers` WHERE consumer = ? AND tbl = ?",
                            {Value::Text(std::string(consumer)), Value::Text(t.table)}));
  if (registered.empty()) {
    return NotFound(ctx + ": capture is not installed for consumer \"" + std::string(consumer) +
                    "\" (InstallCapture registers it)");
  }
  std::vector<Value> params = {Value::Text(t.table)};
  for (TriggerKind kind : kTriggerKinds) params.push_back(Value::Text(TriggerName(t.table, kind)));
  ASSIGN_OR_RETURN(auto triggers,
                   db.Query("SELECT COUNT(*) FROM information_schema.triggers "
                            "WHERE trigger_schema = DATABASE() AND event_object_table = ? "
                            "AND trigger_name IN (?, ?, ?)",
                            params));
  if (triggers.empty() || triggers[0][0].int_value() != 3) {
    // Typically the application dropped and recreated the table (a migration), which drops its
    // triggers: writes since then were not logged.
    return DataLoss(ctx +
                    ": the capture triggers are missing (was the table recreated?); "
                    "changes since then were not captured: restart the flow to reinstall "
                    "capture and take a new snapshot");
  }
  return Status::Ok();
}

Result<std::vector<SourceChange>> MysqlSource::ReadChanges(const TableRef& t,
                                                           std::string_view consumer, size_t max) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::vector<SourceChange> changes;
  if (max == 0) return changes;
  const std::string ctx = conn_->Context(t.table);
  // One snapshot: the log and the images are read as of one moment.
  Status s = conn_->Begin(MysqlConnection::TxKind::kSnapshot);
  if (!s.ok()) return conn_->TableError(s, t.table);
  s = [&]() -> Status {
    Result<MysqlStmt*> cached = conn_->Cached("changes", [] {
      return std::string(
          "SELECT seq, pk, op, origin, at_ms FROM `_concord_changelog` "
          "WHERE consumer = ? AND tbl = ? ORDER BY seq LIMIT ?");
    });
    Status run = cached.ok()
                     ? (*cached)->Execute({Value::Text(std::string(consumer)), Value::Text(t.table),
                                           Value::Int(static_cast<int64_t>(std::min<size_t>(
                                               max, static_cast<size_t>(INT64_MAX))))})
                     : cached.status();
    if (!run.ok() && CaptureTableMissing(conn_->db())) {
      return NotFound(ctx + ": capture is not installed (no " + std::string(kChangelogTable) +
                      " table; InstallCapture creates it)");
    }
    RETURN_IF_ERROR(run);
    MysqlStmt* stmt = *cached;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Fetch());
      if (!row) break;
      SourceChange c;
      c.seq = stmt->Column(0).int_value();
      std::string pk = stmt->Column(1).text();
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
      Result<ChangeOp> op = ParseChangeOp(stmt->Column(2).text());
      if (!op.ok()) return op.status().WithContext(ctx);
      c.op = *op;
      c.origin = stmt->Column(3).text();  // NULL (an application's write) reads as ""
      c.at_ms = stmt->Column(4).int_value();
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
    return conn_->TableError(s, t.table);
  }
  return changes;
}

Status MysqlSource::AckChanges(std::string_view consumer, const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  const std::string table(kChangelogTable);
  Status s = conn_->Begin(MysqlConnection::TxKind::kWrite);
  if (!s.ok()) return conn_->TableError(s, table);
  s = [&]() -> Status {
    for (size_t begin = 0; begin < seqs.size(); begin += kMaxKeysPerQuery) {
      size_t end = std::min(seqs.size(), begin + kMaxKeysPerQuery);
      size_t padded = PaddedSize(end - begin, kAckSizes, std::size(kAckSizes));
      Result<MysqlStmt*> stmt = conn_->Cached("ack#" + std::to_string(padded), [&] {
        std::string sql = "DELETE FROM `_concord_changelog` WHERE consumer = ? AND seq IN (?";
        for (size_t i = 1; i < padded; ++i) sql += ", ?";
        return sql + ")";
      });
      std::vector<Value> params = {Value::Text(std::string(consumer))};
      for (size_t i = 0; i < padded; ++i) {
        params.push_back(Value::Int(seqs[std::min(begin + i, end - 1)]));
      }
      Status run = stmt.ok() ? (*stmt)->Execute(params) : stmt.status();
      // No changelog: nothing to delete (unknown seqs are ignored).
      if (!run.ok() && CaptureTableMissing(conn_->db())) return conn_->Commit();
      RETURN_IF_ERROR(run);
    }
    return conn_->Commit();
  }();
  if (!s.ok()) {
    conn_->Rollback();
    return conn_->TableError(s, table, " (acknowledging changes)");
  }
  return Status::Ok();
}

Result<Source::Backlog> MysqlSource::PendingChanges(std::string_view consumer) {
  Backlog backlog;
  const std::string table(kChangelogTable);
  Result<MysqlStmt*> stmt = conn_->Cached("pending", [] {
    return std::string(
        "SELECT COUNT(*), COALESCE(MIN(at_ms), 0) FROM `_concord_changelog` WHERE consumer = ?");
  });
  Status s = stmt.ok() ? (*stmt)->Execute({Value::Text(std::string(consumer))}) : stmt.status();
  if (!s.ok() && CaptureTableMissing(conn_->db())) return backlog;
  Result<bool> row = s.ok() ? (*stmt)->Fetch() : Result<bool>(s);
  if (!row.ok()) return conn_->TableError(row.status(), table);
  if (*row) {
    backlog.count = (*stmt)->Column(0).int_value();
    backlog.oldest_at_ms = (*stmt)->Column(1).int_value();
  }
  return backlog;
}

Result<std::map<std::string, int64_t>> MysqlSource::LatestPendingMs(
    const TableRef& t, std::string_view consumer, const std::vector<Key>& keys,
    std::string_view ignore_origin) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::map<std::string, int64_t> latest;
  if (keys.empty()) return latest;
  const std::string ctx = conn_->Context(t.table);
  const size_t nk = t.key_columns.size();
  for (const Key& k : keys) {
    if (k.size() != nk) {
      return InvalidArgument(ctx + ": a key has " + std::to_string(k.size()) +
                             " values, the table's key has " + std::to_string(nk) + " columns");
    }
  }
  Result<const TableMeta*> meta = conn_->Meta(t.table);
  if (!meta.ok()) return meta.status();
  ASSIGN_OR_RETURN(KeyColumns key_columns, FindKeyColumns(ctx, **meta, t));
  // The server renders each given key with the triggers' own expressions, so the text matches
  // `pk` byte for byte; the derived table numbers the keys, so each result says which it answers.
  std::vector<std::string> placeholders(nk, "?");
  const std::string key_json = KeyJson(key_columns.metas, placeholders, false, conn_->timezone());
  std::string signature = "latest ";
  AppendSignature(&signature, t.table);
  for (const std::string& k : key_columns.names) AppendSignature(&signature, k);
  Status s = conn_->Begin(MysqlConnection::TxKind::kSnapshot);
  if (!s.ok()) return conn_->TableError(s, t.table);
  s = [&]() -> Status {
    for (size_t begin = 0; begin < keys.size(); begin += kMaxKeysPerQuery) {
      size_t end = std::min(keys.size(), begin + kMaxKeysPerQuery);
      size_t n = end - begin;
      static constexpr size_t kSizes[] = {1, 16, 128, kMaxKeysPerQuery};
      size_t padded = PaddedSize(n, kSizes, std::size(kSizes));
      Result<MysqlStmt*> cached = conn_->Cached(signature + "#" + std::to_string(padded), [&] {
        std::string rows = "SELECT ? AS i, " + key_json + " AS pk";
        for (size_t i = 1; i < padded; ++i) rows += " UNION ALL SELECT ?, " + key_json;
        return "SELECT v.i, MAX(c.at_ms) FROM (" + rows +
               ") AS v JOIN `_concord_changelog` AS c ON c.pk = v.pk COLLATE utf8mb4_bin "
               "WHERE c.consumer = ? AND c.tbl = ? AND NOT (c.origin <=> ?) GROUP BY v.i";
      });
      std::vector<Value> params;
      for (size_t i = 0; i < padded; ++i) {
        size_t from = begin + std::min(i, n - 1);
        params.push_back(Value::Int(static_cast<int64_t>(from)));
        for (const Value& v : keys[from]) params.push_back(v);
      }
      params.push_back(Value::Text(std::string(consumer)));
      params.push_back(Value::Text(t.table));
      params.push_back(Value::Text(std::string(ignore_origin)));
      Status run = cached.ok() ? (*cached)->Execute(params) : cached.status();
      if (!run.ok() && CaptureTableMissing(conn_->db())) return conn_->Commit();
      RETURN_IF_ERROR(run);
      MysqlStmt* stmt = *cached;
      while (true) {
        ASSIGN_OR_RETURN(bool row, stmt->Fetch());
        if (!row) break;
        int64_t i = stmt->Column(0).int_value();
        if (i < 0 || static_cast<size_t>(i) >= keys.size()) continue;
        latest[EncodeKey(keys[i])] = stmt->Column(1).int_value();
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

Result<std::vector<Row>> MysqlSource::ReadRows(const TableRef& t, const std::vector<Key>& keys) {
  return conn_->ReadRows(t, keys);
}

}  // namespace concord::mysql_connector
