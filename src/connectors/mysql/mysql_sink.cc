// Writing to MariaDB/MySQL (the Sink side): a batch of upserts and deletes in one InnoDB
// transaction, with the session variable @concord_origin set around it so the changelog rows the
// writes cause are tagged with their origin (echo prevention). Consecutive upserts of one shape
// go out as multi-row INSERT ... ON DUPLICATE KEY UPDATE where that is safe (see README.md).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <string>

#include "connectors/mysql/mysql_connection.h"
#include "core/civil_date.h"

namespace concord::mysql_connector {
namespace {

// The protocol allows 65535 placeholders per statement; rows per multi-row INSERT stay below
// that and below this, which keeps one statement well under max_allowed_packet for ordinary rows.
constexpr size_t kMaxPlaceholders = 65535;
constexpr size_t kMaxRowsPerInsert = 1000;
// Deletes are padded to one of these sizes (repeating the last key; deleting twice is harmless).
constexpr size_t kDeleteSizes[] = {1, 8, 64, kMaxKeysPerQuery};
// A run of at least this many upserts of one shape is sent with LOAD DATA LOCAL INFILE into a
// temporary table, then merged (see LoadData; the README's Sink section has the measurement).
constexpr size_t kLoadDataMinRows = 1000;
// The session's temporary table for that path (created and dropped around each use).
constexpr std::string_view kBulkTable = "_concord_bulk";

// Appends `v` as one field of LOAD DATA's default text format: \N for NULL, and backslash, tab,
// newline, carriage return and NUL escaped with a backslash. False for a value that has no such
// text form here (bytes: the file's character set would apply to them).
bool AppendLoadField(std::string* out, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull:
      out->append("\\N");
      return true;
    case ValueKind::kInt:
      out->append(std::to_string(v.int_value()));
      return true;
    case ValueKind::kReal: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.real_value());
      out->append(buf);
      return true;
    }
    case ValueKind::kText:
      for (char c : v.text()) {
        switch (c) {
          case '\\': out->append("\\\\"); break;
          case '\t': out->append("\\t"); break;
          case '\n': out->append("\\n"); break;
          case '\r': out->append("\\r"); break;
          case '\0': out->append("\\0"); break;
          default: out->push_back(c);
        }
      }
      return true;
    case ValueKind::kBlob:
      return false;
  }
  return false;
}

bool IsKeyColumn(const TableRef& t, const std::string& column) {
  return std::any_of(t.key_columns.begin(), t.key_columns.end(),
                     [&](const std::string& k) { return EqualsNoCase(k, column); });
}

bool SameColumns(const std::vector<std::string>& index, const std::vector<std::string>& key) {
  if (index.size() != key.size()) return false;
  return std::all_of(key.begin(), key.end(), [&](const std::string& k) {
    return std::any_of(index.begin(), index.end(),
                       [&](const std::string& c) { return EqualsNoCase(c, k); });
  });
}

// INSERT ... ON DUPLICATE KEY UPDATE is an upsert by the binding's key only when the key is a
// unique index (or the primary key) and no other unique index exists: a duplicate in another
// unique index would otherwise update that other row, silently.
bool CanUseOnDuplicateKey(const TableMeta& meta, const TableRef& t) {
  bool key_is_unique = false;
  for (const auto& index : meta.unique_indexes) {
    if (SameColumns(index, t.key_columns)) {
      key_is_unique = true;
    } else {
      return false;
    }
  }
  return key_is_unique;
}

// `k1` = ? AND `k2` = ?
std::string KeyCondition(const TableRef& t) {
  std::string out;
  for (size_t i = 0; i < t.key_columns.size(); ++i) {
    if (i) out += " AND ";
    out += QuoteIdent(t.key_columns[i]) + " = ?";
  }
  return out;
}

std::string TableSignature(std::string_view kind, const TableRef& t) {
  std::string sig(kind);
  AppendSignature(&sig, t.table);
  sig += std::to_string(t.key_columns.size());
  for (const std::string& k : t.key_columns) AppendSignature(&sig, k);
  return sig;
}

// --- zoned timestamps into DATETIME/TIMESTAMP columns ---

bool ParseDigits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "+08:00" / "-05:30" / "Z" → offset in minutes; false for anything else ("SYSTEM", zone names).
bool ParseOffset(std::string_view s, int* minutes) {
  if (s == "Z" || s == "z") {
    *minutes = 0;
    return true;
  }
  int h = 0, m = 0;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !ParseDigits(s, 1, 2, &h) ||
      !ParseDigits(s, 4, 2, &m) || h > 14 || m > 59) {
    return false;
  }
  *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

struct ZonedTime {
  std::string local;  // "YYYY-MM-DD HH:MM:SS[.f]" without the zone
  std::string zone;   // "Z" or "+08:00"
  int offset_minutes = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string fraction;  // ".123" or ""
};

// "2023-01-31T08:00:00.5+08:00" (the canonical timestamp form with a zone); false when the text
// has no zone, or another shape (left to the server to accept or refuse).
bool ParseZoned(std::string_view s, ZonedTime* out) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return false;
  }
  if (!ParseDigits(s, 0, 4, &out->year) || !ParseDigits(s, 5, 2, &out->month) ||
      !ParseDigits(s, 8, 2, &out->day) || !ParseDigits(s, 11, 2, &out->hour) ||
      !ParseDigits(s, 14, 2, &out->minute) || !ParseDigits(s, 17, 2, &out->second)) {
    return false;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i + 1) return false;
    out->fraction = std::string(s.substr(i, j - i));
    i = j;
  }
  out->zone = std::string(s.substr(i));
  if (!ParseOffset(out->zone, &out->offset_minutes)) return false;
  out->local = std::string(s.substr(0, 10)) + " " + std::string(s.substr(11, 8)) + out->fraction;
  return true;
}

// The wall-clock text of `z` at UTC offset `target_minutes`.
std::string ShiftTo(const ZonedTime& z, int target_minutes) {
  int64_t secs =
      DaysFromCivil(z.year, z.month, z.day) * 86400 + z.hour * 3600 + z.minute * 60 + z.second;
  secs += static_cast<int64_t>(target_minutes - z.offset_minutes) * 60;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  const CivilDate date = CivilFromDays(days);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02lld:%02lld:%02lld", date.year, date.month,
                date.day, static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  return buf + z.fraction;
}

// --- one Apply call ---

class Applier {
 public:
  Applier(MysqlConnection* conn, const TableRef& t, const TableMeta& meta,
          const std::vector<WriteOp>& ops)
      : conn_(conn), t_(t), meta_(meta), ops_(ops), ctx_(conn->Context(t.table)) {
    on_duplicate_ = CanUseOnDuplicateKey(meta, t);
    int offset = 0;
    fixed_offset_ = ParseOffset(conn->timezone(), &offset);
    offset_minutes_ = offset;
  }

  // Runs every op; on failure *first/*last are the ops the failing statement held.
  Status Run(ApplyResult* result, size_t* first, size_t* last);

 private:
  enum class Kind { kDelete, kUpsert, kGenerate };
  // What an op does and, for upserts, its key and the non-key columns it sets.
  struct Plan {
    Kind kind = Kind::kUpsert;
    Key key;
    std::vector<const std::string*> columns;
  };
  Result<Plan> PlanOf(size_t i);
  Status Deletes(size_t begin, size_t end, ApplyResult* result, size_t* first, size_t* last);
  Status OnDuplicateKey(size_t begin, size_t end, const std::vector<Plan>& plans,
                        ApplyResult* result, size_t* first, size_t* last);
  // The bulk form of OnDuplicateKey for ops[begin, end): LOAD DATA LOCAL INFILE from memory into
  // a temporary table typed like the target's columns, then one INSERT ... SELECT ... ON
  // DUPLICATE KEY UPDATE in op order. True when written. False when this path cannot or must not
  // be used: the server refuses LOCAL INFILE, a value has no text form, or anything did not fit
  // (LOAD DATA LOCAL turns data errors into warnings, so any warning counts) — the caller then
  // writes the same ops with multi-row INSERTs, which name the op that fails. Errors only for
  // failures that end the transaction (connection, deadlock).
  // `*why`: when it returns false after trying, the reason, for ApplyResult::notes.
  Result<bool> LoadData(size_t begin, size_t end, const std::vector<Plan>& plans,
                        std::string* why);
  Status UpdateThenInsert(size_t i, const Plan& plan, ApplyResult* result);
  Status Generate(size_t i, ApplyResult* result);
  // A multi-row statement over ops[from, to) failed with `failure`, which does not say which
  // row: runs `one(i)` for each op until one fails, and names that op. The transaction is rolled
  // back afterwards whatever these runs wrote.
  Status Locate(size_t from, size_t to, const Status& failure,
                const std::function<Status(size_t)>& one, size_t* first, size_t* last);
  // A write that the server accepted with a lossy warning (a DECIMAL rounded: only a note even
  // in strict mode) is refused like the errors strict mode raises: nothing is silently changed.
  Status CheckWarnings();
  // `v` as bound to `column`: a timestamp with a zone is moved to the session's time zone.
  Result<Value> Bindable(const std::string& column, const Value& v);
  std::string ShapeSignature(std::string_view kind, const Plan& plan) const;

  MysqlConnection* conn_;
  const TableRef& t_;
  const TableMeta& meta_;
  const std::vector<WriteOp>& ops_;
  const std::string ctx_;
  bool on_duplicate_ = false;
  // Whether `plan` sets every column an INSERT needs. In strict mode MySQL checks those before it
  // looks for a duplicate, so INSERT ... ON DUPLICATE KEY UPDATE of some columns (a flow that owns
  // a few fields) fails on an existing row; such upserts go UPDATE-then-INSERT instead.
  bool GivesEveryRequiredColumn(const Plan& plan) const;
  bool fixed_offset_ = false;
  int offset_minutes_ = 0;
};

Result<Applier::Plan> Applier::PlanOf(size_t i) {
  const WriteOp& op = ops_[i];
  const size_t nk = t_.key_columns.size();
  Plan plan;
  if (op.kind == WriteOp::Kind::kDelete) {
    if (op.key.size() != nk) {
      return InvalidArgument(ctx_ + ": delete needs a key of " + std::to_string(nk) +
                             " values, got " + std::to_string(op.key.size()));
    }
    plan.kind = Kind::kDelete;
    plan.key = op.key;
    return plan;
  }
  if (!op.key.empty()) {
    if (op.key.size() != nk) {
      return InvalidArgument(ctx_ + ": upsert key has " + std::to_string(op.key.size()) +
                             " values, the table's key has " + std::to_string(nk) + " columns");
    }
    plan.key = op.key;
  } else {
    // No key given: when the values carry the whole key, it is a natural key and the write is
    // an upsert by it (a replay must not insert twice); otherwise the database generates it.
    for (const std::string& k : t_.key_columns) {
      auto it = std::find_if(op.values.begin(), op.values.end(),
                             [&](const auto& kv) { return EqualsNoCase(kv.first, k); });
      if (it == op.values.end() || it->second.is_null()) break;
      plan.key.push_back(it->second);
    }
    if (plan.key.size() != nk) {
      plan.kind = Kind::kGenerate;
      plan.key.clear();
      return plan;
    }
  }
  // The op's key is authoritative; key columns among the values are ignored.
  for (const auto& [name, value] : op.values) {
    if (!IsKeyColumn(t_, name)) plan.columns.push_back(&name);
  }
  return plan;
}

std::string Applier::ShapeSignature(std::string_view kind, const Plan& plan) const {
  std::string sig = TableSignature(kind, t_);
  sig += "|";
  for (const std::string* c : plan.columns) AppendSignature(&sig, *c);
  return sig;
}

Result<Value> Applier::Bindable(const std::string& column, const Value& v) {
  if (v.kind() != ValueKind::kText) return v;
  const ColumnMeta* c = meta_.Find(column);
  if (c == nullptr || (c->data_type != "datetime" && c->data_type != "timestamp")) return v;
  ZonedTime z;
  if (!ParseZoned(v.text(), &z)) return v;
  if (fixed_offset_) return Value::Text(ShiftTo(z, offset_minutes_));
  // A named session time zone: the server knows its rules (daylight saving time).
  ASSIGN_OR_RETURN(auto rows,
                   conn_->db().Query("SELECT CONVERT_TZ(?, ?, @@session.time_zone)",
                                     {Value::Text(ShiftTo(z, 0)), Value::Text("+00:00")}));
  if (rows.empty() || rows[0][0].is_null()) {
    return InvalidArgument("column '" + column + "': cannot convert \"" + v.text() +
                           "\" to time zone " + conn_->timezone());
  }
  return rows[0][0];
}

Status Applier::CheckWarnings() {
  ASSIGN_OR_RETURN(std::vector<MysqlError> warnings, conn_->db().Warnings());
  for (const MysqlError& w : warnings) {
    switch (w.number) {
      case 1264:  // out of range value
      case 1265:  // data truncated (DECIMAL rounded)
      case 1292:  // incorrect value
      case 1366:  // incorrect string value
      case 1406:  // data too long
        return conn_->db().FailWith(w);
      default:
        break;  // e.g. 1287: VALUES() is deprecated (MySQL 8)
    }
  }
  return Status::Ok();
}

Status Applier::Locate(size_t from, size_t to, const Status& failure,
                       const std::function<Status(size_t)>& one, size_t* first, size_t* last) {
  if (to - from < 2 || failure.code() != Code::kInvalidArgument ||
      conn_->db().last_error().message.find(" at row ") != std::string::npos) {
    return failure;
  }
  MysqlError original = conn_->db().last_error();
  for (size_t i = from; i < to; ++i) {
    Status s = one(i);
    if (!s.ok()) {
      *first = *last = i;
      return s;
    }
  }
  conn_->db().RestoreError(std::move(original));
  return failure;
}

Status Applier::Run(ApplyResult* result, size_t* first, size_t* last) {
  std::vector<Plan> plans;
  plans.reserve(ops_.size());
  for (size_t i = 0; i < ops_.size(); ++i) {
    Result<Plan> plan = PlanOf(i);
    if (!plan.ok()) {
      *first = *last = i;
      return plan.status();
    }
    plans.push_back(std::move(*plan));
  }
  size_t i = 0;
  while (i < ops_.size()) {
    const Plan& p = plans[i];
    size_t end = i + 1;
    if (p.kind == Kind::kDelete) {
      while (end < ops_.size() && plans[end].kind == Kind::kDelete) ++end;
      RETURN_IF_ERROR(Deletes(i, end, result, first, last));
    } else if (p.kind == Kind::kGenerate) {
      *first = *last = i;
      RETURN_IF_ERROR(Generate(i, result));
    } else if (on_duplicate_ && GivesEveryRequiredColumn(p)) {
      auto same_shape = [&](const Plan& q) {
        if (q.kind != Kind::kUpsert || q.columns.size() != p.columns.size()) return false;
        for (size_t c = 0; c < q.columns.size(); ++c) {
          if (*q.columns[c] != *p.columns[c]) return false;
        }
        return true;
      };
      while (end < ops_.size() && same_shape(plans[end])) ++end;
      RETURN_IF_ERROR(OnDuplicateKey(i, end, plans, result, first, last));
    } else {
      *first = *last = i;
      RETURN_IF_ERROR(UpdateThenInsert(i, p, result));
    }
    i = end;
  }
  return Status::Ok();
}

bool Applier::GivesEveryRequiredColumn(const Plan& plan) const {
  for (const ColumnMeta& c : meta_.columns) {
    // The key is always written (the op's key), so only the other columns can be missing.
    if (!c.insert_needs_value || IsKeyColumn(t_, c.name)) continue;
    bool given = std::any_of(plan.columns.begin(), plan.columns.end(),
                             [&](const std::string* name) { return EqualsNoCase(*name, c.name); });
    if (!given) return false;
  }
  return true;
}

Status Applier::Deletes(size_t begin, size_t end, ApplyResult* result, size_t* first,
                        size_t* last) {
  const size_t nk = t_.key_columns.size();
  const size_t per_statement = std::min(kMaxKeysPerQuery, kMaxPlaceholders / nk);
  // DELETE ... WHERE (key = ...) OR (key = ...) for ops[from, to), padded to a fixed size by
  // repeating the last key. An OR of key equalities is a range the key's index serves.
  auto run = [&](size_t from, size_t to) -> Status {
    size_t n = to - from;
    size_t padded = per_statement;
    for (size_t size : kDeleteSizes) {
      if (size >= n) {
        padded = std::min(size, per_statement);
        break;
      }
    }
    ASSIGN_OR_RETURN(MysqlStmt * stmt,
                     conn_->Cached(TableSignature("delete#" + std::to_string(padded), t_), [&] {
                       std::string sql = "DELETE FROM " + QuoteIdent(t_.table) + " WHERE ";
                       for (size_t i = 0; i < padded; ++i) {
                         sql += (i ? " OR (" : "(") + KeyCondition(t_) + ")";
                       }
                       return sql;
                     }));
    std::vector<Value> params;
    params.reserve(padded * nk);
    for (size_t i = 0; i < padded; ++i) {
      const WriteOp& op = ops_[from + std::min(i, n - 1)];
      for (size_t k = 0; k < nk; ++k) {
        ASSIGN_OR_RETURN(Value v, Bindable(t_.key_columns[k], op.key[k]));
        params.push_back(std::move(v));
      }
    }
    return stmt->Execute(params);
  };
  for (size_t from = begin; from < end; from += per_statement) {
    size_t to = std::min(end, from + per_statement);
    *first = from;
    *last = to - 1;
    Status s = run(from, to);
    if (!s.ok()) {
      return Locate(
          from, to, s, [&](size_t i) { return run(i, i + 1); }, first, last);
    }
    for (size_t i = from; i < to; ++i) result->keys.push_back(ops_[i].key);
  }
  return Status::Ok();
}

Status Applier::OnDuplicateKey(size_t begin, size_t end, const std::vector<Plan>& plans,
                               ApplyResult* result, size_t* first, size_t* last) {
  const Plan& shape = plans[begin];
  const size_t nk = t_.key_columns.size();
  const size_t nc = shape.columns.size();
  const size_t per_statement =
      std::max<size_t>(1, std::min(kMaxRowsPerInsert, kMaxPlaceholders / (nk + nc)));
  const std::string base = ShapeSignature("odku", shape);
  if (end - begin >= kLoadDataMinRows && !conn_->local_infile_refused()) {
    std::string why;
    ASSIGN_OR_RETURN(bool loaded, LoadData(begin, end, plans, &why));
    if (loaded) {
      for (size_t i = begin; i < end; ++i) result->keys.push_back(plans[i].key);
      return Status::Ok();
    }
    if (!why.empty()) {
      result->notes.push_back("bulk load (LOAD DATA LOCAL) not used: " + why +
                              "; large batches are written with multi-row INSERTs instead");
    }
  }
  // One multi-row INSERT ... ON DUPLICATE KEY UPDATE for ops[from, to).
  auto run = [&](size_t from, size_t to) -> Status {
    size_t rows = to - from;
    ASSIGN_OR_RETURN(MysqlStmt * stmt, conn_->Cached(base + "#" + std::to_string(rows), [&] {
      std::string names, tuple = "(";
      for (size_t k = 0; k < nk; ++k) {
        names += (k ? ", " : "") + QuoteIdent(t_.key_columns[k]);
        tuple += k ? ", ?" : "?";
      }
      for (const std::string* c : shape.columns) {
        names += ", " + QuoteIdent(*c);
        tuple += ", ?";
      }
      tuple += ")";
      std::string sql = "INSERT INTO " + QuoteIdent(t_.table) + " (" + names + ") VALUES " + tuple;
      for (size_t r = 1; r < rows; ++r) sql += ", " + tuple;
      sql += " ON DUPLICATE KEY UPDATE ";
      // VALUES(c) works on MariaDB and MySQL 8 (where it is deprecated in favour of a row alias
      // MariaDB does not have). With nothing but the key, the update is a no-op.
      if (nc == 0) {
        return sql + QuoteIdent(t_.key_columns[0]) + " = " + QuoteIdent(t_.key_columns[0]);
      }
      for (size_t c = 0; c < nc; ++c) {
        std::string col = QuoteIdent(*shape.columns[c]);
        sql += (c ? ", " : "") + col + " = VALUES(" + col + ")";
      }
      return sql;
    }));
    std::vector<Value> params;
    params.reserve(rows * (nk + nc));
    for (size_t i = from; i < to; ++i) {
      const Plan& p = plans[i];
      for (size_t k = 0; k < nk; ++k) {
        ASSIGN_OR_RETURN(Value v, Bindable(t_.key_columns[k], p.key[k]));
        params.push_back(std::move(v));
      }
      for (const std::string* c : p.columns) {
        ASSIGN_OR_RETURN(Value v, Bindable(*c, ops_[i].values.at(*c)));
        params.push_back(std::move(v));
      }
    }
    RETURN_IF_ERROR(stmt->Execute(params));
    return CheckWarnings();
  };
  for (size_t from = begin; from < end; from += per_statement) {
    size_t to = std::min(end, from + per_statement);
    *first = from;
    *last = to - 1;
    Status s = run(from, to);
    if (!s.ok()) {
      return Locate(
          from, to, s, [&](size_t i) { return run(i, i + 1); }, first, last);
    }
    for (size_t i = from; i < to; ++i) result->keys.push_back(plans[i].key);
  }
  return Status::Ok();
}

Result<bool> Applier::LoadData(size_t begin, size_t end, const std::vector<Plan>& plans,
                               std::string* why) {
  const Plan& shape = plans[begin];
  const size_t nk = t_.key_columns.size();
  std::vector<const ColumnMeta*> cols;
  for (const std::string& k : t_.key_columns) cols.push_back(meta_.Find(k));
  for (const std::string* c : shape.columns) cols.push_back(meta_.Find(*c));
  if (std::find(cols.begin(), cols.end(), nullptr) != cols.end()) return false;
  std::string data;
  for (size_t i = begin; i < end; ++i) {
    const Plan& p = plans[i];
    for (size_t c = 0; c < cols.size(); ++c) {
      const Value& raw = c < nk ? p.key[c] : ops_[i].values.at(*p.columns[c - nk]);
      ASSIGN_OR_RETURN(Value v, Bindable(cols[c]->name, raw));
      if (c) data.push_back('\t');
      if (!AppendLoadField(&data, v)) return false;
    }
    data.push_back('\n');
  }
  MysqlDb& db = conn_->db();
  const std::string temp = QuoteIdent(kBulkTable);
  std::string create = "CREATE TEMPORARY TABLE " + temp +
                       " (`_ord` BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY";
  std::string names, temp_cols;
  for (size_t c = 0; c < cols.size(); ++c) {
    const std::string tc = "`c" + std::to_string(c) + "`";
    create += ", " + tc + " " + cols[c]->column_type;
    names += (c ? ", " : "") + QuoteIdent(cols[c]->name);
    temp_cols += (c ? ", " : "") + tc;
  }
  create += ") CHARACTER SET utf8mb4";
  std::string merge = "INSERT INTO " + QuoteIdent(t_.table) + " (" + names + ") SELECT " +
                      temp_cols + " FROM " + temp + " ORDER BY `_ord` ON DUPLICATE KEY UPDATE ";
  if (shape.columns.empty()) {
    merge += QuoteIdent(t_.key_columns[0]) + " = " + QuoteIdent(t_.key_columns[0]);
  }
  for (size_t c = 0; c < shape.columns.size(); ++c) {
    std::string col = QuoteIdent(*shape.columns[c]);
    merge += (c ? ", " : "") + col + " = VALUES(" + col + ")";
  }
  // Other failures leave the transaction usable and fall back to the multi-row path; the
  // temporary table goes either way (DDL on temporary tables does not end the transaction).
  // A refusal of LOCAL INFILE or of the temporary table (no CREATE TEMPORARY TABLES grant) is
  // remembered for the connection. Lost connections, deadlocks and lock waits end the
  // transaction: those are returned.
  auto fallback = [&](const Status& s) -> Result<bool> {
    if (!s.ok() && (s.code() == Code::kUnavailable || s.code() == Code::kDeadlineExceeded)) {
      return s;
    }
    if (!s.ok() && (MysqlDb::IsLocalInfileRefused(db.last_error().number) ||
                    s.code() == Code::kPermissionDenied)) {
      conn_->set_local_infile_refused();
      *why = "the server refused it (" + s.message() +
             "); allow it with local_infile=ON on the server and the grants for temporary "
             "tables";
    } else if (s.ok()) {
      *why = "the server reported warnings for a batch (a value it would change to fit)";
    } else {
      *why = s.message();
    }
    db.Exec("DROP TEMPORARY TABLE IF EXISTS " + temp).IgnoreError();
    return false;
  };
  Status s = db.Exec("DROP TEMPORARY TABLE IF EXISTS " + temp);
  if (s.ok()) s = db.Exec(create);
  if (s.ok()) {
    s = db.LoadLocal("LOAD DATA LOCAL INFILE 'concord' INTO TABLE " + temp +
                         " CHARACTER SET utf8mb4 (" + temp_cols + ")",
                     data);
  }
  if (!s.ok()) return fallback(s);
  if (mysql_warning_count(db.raw()) > 0) return fallback(Status::Ok());
  s = db.Exec(merge);
  if (s.ok()) s = CheckWarnings();
  if (!s.ok()) return fallback(s);
  RETURN_IF_ERROR(db.Exec("DROP TEMPORARY TABLE " + temp));
  return true;
}

// For keys without a unique index of their own (or tables with other unique indexes): UPDATE by
// key, then INSERT when no row matched (the connection counts matched rows, CLIENT_FOUND_ROWS).
Status Applier::UpdateThenInsert(size_t i, const Plan& plan, ApplyResult* result) {
  const WriteOp& op = ops_[i];
  const size_t nk = t_.key_columns.size();
  const std::string table = QuoteIdent(t_.table);
  std::vector<Value> key;
  for (size_t k = 0; k < nk; ++k) {
    ASSIGN_OR_RETURN(Value v, Bindable(t_.key_columns[k], plan.key[k]));
    key.push_back(std::move(v));
  }
  std::vector<Value> values;
  for (const std::string* c : plan.columns) {
    ASSIGN_OR_RETURN(Value v, Bindable(*c, op.values.at(*c)));
    values.push_back(std::move(v));
  }
  if (!plan.columns.empty()) {
    ASSIGN_OR_RETURN(MysqlStmt * update, conn_->Cached(ShapeSignature("update", plan), [&] {
      std::string sql = "UPDATE " + table + " SET ";
      for (size_t c = 0; c < plan.columns.size(); ++c) {
        sql += (c ? ", " : "") + QuoteIdent(*plan.columns[c]) + " = ?";
      }
      return sql + " WHERE " + KeyCondition(t_);
    }));
    std::vector<Value> params = values;
    params.insert(params.end(), key.begin(), key.end());
    RETURN_IF_ERROR(update->Execute(params));
    RETURN_IF_ERROR(CheckWarnings());
    if (update->AffectedRows() > 0) {
      result->keys.push_back(plan.key);
      return Status::Ok();
    }
  }
  // INSERT: key columns first, then the values. With no values beyond the key, insert only
  // when the row is missing (an UPDATE would have nothing to set).
  ASSIGN_OR_RETURN(MysqlStmt * insert, conn_->Cached(ShapeSignature("insert", plan), [&] {
    std::string names, params;
    for (size_t k = 0; k < nk; ++k) {
      names += (k ? ", " : "") + QuoteIdent(t_.key_columns[k]);
      params += k ? ", ?" : "?";
    }
    for (const std::string* c : plan.columns) {
      names += ", " + QuoteIdent(*c);
      params += ", ?";
    }
    std::string sql = "INSERT INTO " + table + " (" + names + ") ";
    if (!plan.columns.empty()) return sql + "VALUES (" + params + ")";
    return sql + "SELECT " + params + " FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM " + table +
           " WHERE " + KeyCondition(t_) + ")";
  }));
  std::vector<Value> params = key;
  params.insert(params.end(), values.begin(), values.end());
  if (plan.columns.empty()) params.insert(params.end(), key.begin(), key.end());
  RETURN_IF_ERROR(insert->Execute(params));
  RETURN_IF_ERROR(CheckWarnings());
  result->keys.push_back(plan.key);
  return Status::Ok();
}

// A row whose key the database generates: AUTO_INCREMENT (its value from the protocol's insert
// id), or on MariaDB any column default (INSERT ... RETURNING, 10.5+). One row per statement:
// the ids of a multi-row insert need not be consecutive (innodb_autoinc_lock_mode=2).
Status Applier::Generate(size_t i, ApplyResult* result) {
  const WriteOp& op = ops_[i];
  const ColumnMeta* auto_key = nullptr;
  if (t_.key_columns.size() == 1) {
    const ColumnMeta* c = meta_.Find(t_.key_columns[0]);
    if (c != nullptr && c->auto_increment) auto_key = c;
  }
  bool returning = auto_key == nullptr && conn_->db().is_mariadb();
  if (auto_key == nullptr && !returning) {
    std::string key;
    for (const std::string& k : t_.key_columns) key += (key.empty() ? "" : ", ") + k;
    return InvalidArgument("the key (" + key +
                           ") was not given and the table does not generate it "
                           "(AUTO_INCREMENT); give the key's values");
  }
  Plan all;
  for (const auto& [name, value] : op.values) all.columns.push_back(&name);
  ASSIGN_OR_RETURN(
      MysqlStmt * insert,
      conn_->Cached(ShapeSignature(returning ? "generate-returning" : "generate", all), [&] {
        std::string names, params;
        for (const std::string* c : all.columns) {
          names += (names.empty() ? "" : ", ") + QuoteIdent(*c);
          params += params.empty() ? "?" : ", ?";
        }
        std::string sql =
            "INSERT INTO " + QuoteIdent(t_.table) + " (" + names + ") VALUES (" + params + ")";
        if (returning) {
          sql += " RETURNING ";
          for (size_t k = 0; k < t_.key_columns.size(); ++k) {
            sql += (k ? ", " : "") + QuoteIdent(t_.key_columns[k]);
          }
        }
        return sql;
      }));
  std::vector<Value> params;
  for (const std::string* c : all.columns) {
    ASSIGN_OR_RETURN(Value v, Bindable(*c, op.values.at(*c)));
    params.push_back(std::move(v));
  }
  RETURN_IF_ERROR(insert->Execute(params));
  Key key;
  if (returning) {
    ASSIGN_OR_RETURN(bool row, insert->Fetch());
    if (!row) return Internal("INSERT ... RETURNING gave no row");
    for (int k = 0; k < insert->ColumnCount(); ++k) key.push_back(insert->Column(k));
    while (true) {  // finish the result
      ASSIGN_OR_RETURN(bool more, insert->Fetch());
      if (!more) break;
    }
  } else {
    uint64_t id = insert->InsertId();
    if (id == 0) {
      // The AUTO_INCREMENT column was given a value among the values: that is the key.
      auto it = std::find_if(op.values.begin(), op.values.end(), [&](const auto& kv) {
        return EqualsNoCase(kv.first, auto_key->name);
      });
      if (it == op.values.end()) return Internal("the server reported no generated key");
      key.push_back(it->second);
    } else {
      key.push_back(Value::Int(static_cast<int64_t>(id)));
    }
  }
  RETURN_IF_ERROR(CheckWarnings());
  result->keys.push_back(std::move(key));
  return Status::Ok();
}

// "Data too long for column 'name' at row 3" → ("Data too long for column 'name'", 3).
size_t TakeRowNumber(std::string* message) {
  static constexpr std::string_view kAtRow = " at row ";
  size_t at = message->rfind(kAtRow);
  if (at == std::string::npos) return 0;
  size_t n = 0;
  const char* begin = message->data() + at + kAtRow.size();
  const char* end = message->data() + message->size();
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || ptr != end || n == 0) return 0;
  message->erase(at);
  return n;
}

}  // namespace

Result<ApplyResult> MysqlSink::Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                                     std::string_view origin) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ApplyResult result;
  if (ops.empty()) return result;
  result.keys.reserve(ops.size());
  const std::string ctx = conn_->Context(t.table);
  const std::string nothing = std::to_string(ops.size()) + "; nothing was written)";
  Result<const TableMeta*> meta = conn_->Meta(t.table);
  if (!meta.ok()) {
    if (meta.status().code() != Code::kNotFound) return meta.status();
    return NotFound(ctx + ": table \"" + t.table + "\" does not exist (op 1 of " + nothing);
  }
  MysqlDb& db = conn_->db();
  Status s = conn_->Begin(MysqlConnection::TxKind::kWrite);
  if (!s.ok()) return conn_->TableError(s, t.table);

  size_t first = ops.size(), last = ops.size();
  s = [&]() -> Status {
    // The capture triggers copy @concord_origin into the changelog rows these writes cause
    // (those of other tables they cascade to included). An empty origin means "not copied from
    // anywhere": such rows stay untagged, like an application's writes.
    ASSIGN_OR_RETURN(MysqlStmt * set_origin, conn_->Cached("origin", [] {
      return "SET " + std::string(kOriginVariable) + " = ?";
    }));
    RETURN_IF_ERROR(
        set_origin->Execute({origin.empty() ? Value::Null() : Value::Text(std::string(origin))}));
    Applier applier(conn_, t, **meta, ops);
    RETURN_IF_ERROR(applier.Run(&result, &first, &last));
    return conn_->Commit();
  }();
  // The variable outlives the transaction: clear it whatever happened, so nothing the session
  // does later is mistaken for a copy.
  MysqlError saved = db.last_error();
  if (!s.ok()) conn_->Rollback();
  db.Exec("SET " + std::string(kOriginVariable) + " = NULL").IgnoreError();
  db.RestoreError(std::move(saved));
  if (s.ok()) return result;

  std::string message = s.message();
  size_t row = TakeRowNumber(&message);
  if (row > 0 && first + row - 1 <= last) first = last = first + row - 1;
  std::string where;
  if (first < ops.size()) {
    where = first == last ? " (op " + std::to_string(first + 1) + " of " + nothing
                          : " (ops " + std::to_string(first + 1) + "-" + std::to_string(last + 1) +
                                " of " + nothing;
  }
  if (message.rfind(ctx + ": ", 0) == 0) return Status(s.code(), message + where);
  // Keep the server's error (for the rewrite of unknown tables/columns) with the row removed.
  MysqlError e = db.last_error();
  if (e.number != 0 && e.message == s.message()) {
    e.message = message;
    db.RestoreError(e);
  }
  return conn_->TableError(Status(s.code(), message), t.table, where);
}

Result<std::vector<Row>> MysqlSink::ReadRows(const TableRef& t, const std::vector<Key>& keys) {
  return conn_->ReadRows(t, keys);
}

}  // namespace concord::mysql_connector
