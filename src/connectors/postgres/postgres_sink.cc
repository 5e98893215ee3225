// Writing to PostgreSQL (the Sink side): a batch of upserts and deletes in one transaction, sent
// as prepared statements in libpq's pipeline mode (one round trip per kPipelineChunk ops rather
// than one per op), with `concord.origin` set first so the capture triggers tag the changelog
// rows these writes cause (echo prevention).
//
// Large batches of upserts of one shape (a snapshot chunk, a big backlog) take the bulk path
// instead: the rows are streamed with COPY straight into the table, each op planned as its row is
// sent (StreamCopy); when some exist already, into a session temp table, then one
// INSERT ... SELECT ... ON CONFLICT DO UPDATE merges them (ApplyByCopy). When the server refuses
// anything on that path (a value that does not fit, a constraint), the transaction is rolled back
// and the batch is sent again on the pipelined path, which names the op and the column that
// failed.
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "connectors/postgres/pg_binary.h"
#include "connectors/postgres/pg_types.h"
#include "connectors/postgres/postgres_connection.h"

namespace concord::postgres_connector {
namespace {

// Batches of at least this many upserts of one shape take COPY + merge (see the README's Sink
// section for the measurement). Settable at build time only to measure it again.
#ifdef CONCORD_PG_COPY_MIN_OPS
constexpr size_t kCopyMinOps = CONCORD_PG_COPY_MIN_OPS;
#else
constexpr size_t kCopyMinOps = 1000;
#endif

// How one op is written. The statement is fixed by the kind, the table and the column lists, so
// a batch that repeats one shape prepares once and then only binds.
enum class ShapeKind {
  kOnConflict,        // INSERT ... ON CONFLICT (key) DO UPDATE: the key has a unique index
  kUpdateThenInsert,  // UPDATE, then INSERT when no row matched: no usable unique index
  kInsertIfMissing,   // nothing to update (only the key is given) and no usable unique index
  kGenerated,         // INSERT ... RETURNING the key the database generated
  kDelete,
};

struct Shape {
  ShapeKind kind = ShapeKind::kDelete;
  std::vector<const ColumnMeta*> keys;  // the key columns (not for kGenerated)
  std::vector<const ColumnMeta*> cols;  // the other columns written
  bool overriding = false;              // a GENERATED ALWAYS identity column is written
};

// One parameter of a planned op, as libpq and COPY take it: NULL, the text of one of the op's own
// values (most parameters: text sent as it is, not copied — the ops outlive their plans), or a
// text made for it (a number; bytes as hex). Copying every text of a snapshot chunk into its
// parameters cost ~4% of the copy's CPU.
class OpParam {
 public:
  OpParam() = default;  // NULL
  // Sets a NULL parameter to the value `v` written into a column of base type `type`:
  // ParamFromValue, without copying. `v` must outlive the parameter.
  Status Set(const Value& v, Oid type) {
    if (ParamIsOwnText(v, type)) {
      own_text_ = &v.text();
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(PgParam p, ParamFromValue(v, type));
    if (p) {
      made_ = std::move(*p);
      is_made_ = true;
    }
    return Status::Ok();
  }

  bool is_null() const { return own_text_ == nullptr && !is_made_; }
  // NUL-terminated text for libpq; nullptr for NULL.
  const char* c_str() const {
    return own_text_ ? own_text_->c_str() : is_made_ ? made_.c_str() : nullptr;
  }
  // The text ("" for NULL).
  std::string_view text() const {
    return own_text_ ? std::string_view(*own_text_) : std::string_view(made_);
  }
  PgParam ToPgParam() const { return is_null() ? PgParam() : PgParam(std::string(text())); }

 private:
  const std::string* own_text_ = nullptr;
  bool is_made_ = false;
  std::string made_;
};

struct PlannedOp {
  // The op's shape and Signature(), owned by the Planner that planned it (one per distinct
  // shape, so a batch of one shape holds one, not one per op).
  const Shape* shape = nullptr;
  const std::string* signature = nullptr;
  std::vector<OpParam> params;  // keys, then cols
  Key key;                      // the key reported (kGenerated: read from RETURNING)
};

std::string Names(const std::vector<const ColumnMeta*>& cols) {
  std::string out;
  for (const ColumnMeta* c : cols) out += (out.empty() ? "" : ", ") + QuoteIdent(c->name);
  return out;
}

// "$first, $first+1, ..." for `n` parameters.
std::string Params(size_t first, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out;
}

// "k1" = $1 AND "k2" = $2
std::string KeyCondition(const Shape& s) {
  std::string out;
  for (size_t i = 0; i < s.keys.size(); ++i) {
    if (i) out += " AND ";
    out += QuoteIdent(s.keys[i]->name) + " = $" + std::to_string(i + 1);
  }
  return out;
}

// " ON CONFLICT (keys) DO UPDATE SET c = EXCLUDED.c, ..." (DO NOTHING when only keys are set).
std::string OnConflictClause(const Shape& s) {
  std::string sql = " ON CONFLICT (" + Names(s.keys) + ") DO ";
  if (s.cols.empty()) return sql + "NOTHING";
  sql += "UPDATE SET ";
  for (size_t i = 0; i < s.cols.size(); ++i) {
    std::string c = QuoteIdent(s.cols[i]->name);
    sql += (i ? ", " : "") + c + " = EXCLUDED." + c;
  }
  return sql;
}

std::string ShapeSql(const TableMeta& meta, const Shape& s) {
  const std::string& table = meta.quoted;
  const std::string overriding = s.overriding ? " OVERRIDING SYSTEM VALUE" : "";
  const size_t nk = s.keys.size(), nc = s.cols.size();
  std::string all = Names(s.keys) + (nc ? ", " + Names(s.cols) : "");
  switch (s.kind) {
    case ShapeKind::kOnConflict: {
      return "INSERT INTO " + table + " (" + all + ")" + overriding + " VALUES (" +
             Params(1, nk + nc) + ")" + OnConflictClause(s);
    }
    case ShapeKind::kUpdateThenInsert: {
      std::string set;
      for (size_t i = 0; i < nc; ++i) {
        set += (i ? ", " : "") + QuoteIdent(s.cols[i]->name) + " = $" + std::to_string(nk + i + 1);
      }
      return "WITH u AS (UPDATE " + table + " SET " + set + " WHERE " + KeyCondition(s) +
             " RETURNING 1) INSERT INTO " + table + " (" + all + ")" + overriding + " SELECT " +
             Params(1, nk + nc) + " WHERE NOT EXISTS (SELECT 1 FROM u)";
    }
    case ShapeKind::kInsertIfMissing:
      return "INSERT INTO " + table + " (" + all + ")" + overriding + " SELECT " + Params(1, nk) +
             " WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE " + KeyCondition(s) + ")";
    case ShapeKind::kGenerated: {
      std::string sql = "INSERT INTO " + table;
      if (nc == 0) return sql + " DEFAULT VALUES";  // RETURNING is appended by the caller
      return sql + " (" + Names(s.cols) + ")" + overriding + " VALUES (" + Params(1, nc) + ")";
    }
    case ShapeKind::kDelete:
      return "DELETE FROM " + table + " WHERE " + KeyCondition(s);
  }
  return "";
}

std::vector<Oid> ShapeTypes(const Shape& s) {
  std::vector<Oid> types;
  if (s.kind != ShapeKind::kGenerated) {
    for (const ColumnMeta* c : s.keys) types.push_back(c->type_oid);
  }
  if (s.kind != ShapeKind::kDelete && s.kind != ShapeKind::kInsertIfMissing) {
    for (const ColumnMeta* c : s.cols) types.push_back(c->type_oid);
  }
  return types;
}

std::string Signature(const TableMeta& meta, const TableRef& t, const Shape& s) {
  std::string sig = "apply " + std::to_string(static_cast<int>(s.kind));
  sig += s.overriding ? "o" : "-";
  AppendSignature(&sig, meta.quoted);
  // The RETURNING list of kGenerated is the binding's key.
  for (const std::string& k : t.key_columns) AppendSignature(&sig, k);
  sig += "|";
  for (const ColumnMeta* c : s.keys) {
    AppendSignature(&sig, c->name);
    sig += std::to_string(c->type_oid);
  }
  sig += "|";
  for (const ColumnMeta* c : s.cols) {
    AppendSignature(&sig, c->name);
    sig += std::to_string(c->type_oid);
  }
  return sig;
}

std::string FullSql(const TableMeta& meta, const TableRef& t, const Shape& s) {
  std::string sql = ShapeSql(meta, s);
  if (s.kind == ShapeKind::kGenerated) {
    std::string returning;
    for (const std::string& k : t.key_columns) {
      returning += (returning.empty() ? "" : ", ") + QuoteIdent(k);
    }
    sql += " RETURNING " + returning;
  }
  return sql;
}

// Plans a batch's ops. The plans point into the planner (their shape and signature): it must
// outlive them.
class Planner {
 public:
  Planner(PostgresConnection* conn, const TableRef& t, const TableMeta& meta)
      : conn_(conn), t_(t), meta_(meta), ctx_(conn->Context(t)) {
    for (const std::string& k : t.key_columns) keys_.push_back(meta.Find(k));
    unique_ = meta.HasUniqueIndexOn(t.key_columns);
  }

  Result<PlannedOp> Plan(const WriteOp& op) {
    PlannedOp p;
    const size_t nk = keys_.size();
    Shape& shape = scratch_;
    shape.kind = ShapeKind::kDelete;
    shape.keys.clear();
    shape.cols.clear();
    shape.overriding = false;
    if (op.kind == WriteOp::Kind::kDelete) {
      if (op.key.size() != nk) {
        return InvalidArgument(ctx_ + ": delete needs a key of " + std::to_string(nk) +
                               " values, got " + std::to_string(op.key.size()));
      }
      shape.keys = keys_;
      p.key = op.key;
      RETURN_IF_ERROR(AddParams(shape.keys, op.key, &p.params));
      Intern(&p);
      return p;
    }
    if (!op.key.empty() && op.key.size() != nk) {
      return InvalidArgument(ctx_ + ": upsert key has " + std::to_string(op.key.size()) +
                             " values, the table's key has " + std::to_string(nk) + " columns");
    }
    // The key's values, in the op (which the parameters point into).
    key_values_.clear();
    for (const Value& v : op.key) key_values_.push_back(&v);
    if (op.key.empty()) {
      // No key given: when the values carry the whole key, it is a natural key and the write is
      // an upsert by it (a replay must not insert twice); otherwise the database generates it.
      for (const std::string& k : t_.key_columns) {
        auto it = op.values.find(k);
        if (it == op.values.end() || it->second.is_null()) break;
        key_values_.push_back(&it->second);
      }
      if (key_values_.size() != nk) {
        shape.kind = ShapeKind::kGenerated;
        for (const auto& [name, value] : op.values) {
          ASSIGN_OR_RETURN(const ColumnMeta* c, conn_->Column(t_, meta_, name));
          shape.cols.push_back(c);
          shape.overriding |= c->identity_always;
          RETURN_IF_ERROR(AddParam(c, value, &p.params));
        }
        Intern(&p);
        return p;
      }
    }
    // An upsert by key. The op's key is authoritative; key columns among the values are ignored.
    // A batch repeats one column list op after op: the columns are looked up only when a name
    // differs from the previous op's, and what follows from the list alone (NOT NULL columns
    // left out, the signature) is worked out once per list.
    shape.keys = keys_;
    values_.clear();
    size_t i = 0;
    for (const auto& [name, value] : op.values) {
      if (std::find(t_.key_columns.begin(), t_.key_columns.end(), name) != t_.key_columns.end()) {
        continue;
      }
      if (i < last_names_.size() && last_names_[i] == name) {
        shape.cols.push_back(last_cols_[i]);
      } else {
        ASSIGN_OR_RETURN(const ColumnMeta* c, conn_->Column(t_, meta_, name));
        shape.cols.push_back(c);
        last_names_.resize(i);
        last_names_.push_back(name);
        last_cols_.resize(i);
        last_cols_.push_back(c);
      }
      ++i;
      values_.push_back(&value);
    }
    for (const ColumnMeta* c : shape.keys) shape.overriding |= c->identity_always;
    for (const ColumnMeta* c : shape.cols) shape.overriding |= c->identity_always;
    if (!omits_known_ || shape.cols != omits_cols_) {
      // INSERT ... ON CONFLICT checks NOT NULL on the proposed row before it looks for a
      // conflict, so an update that leaves out a NOT NULL column without a default would fail
      // even though the row exists: such ops take UPDATE-then-INSERT, which fails only when the
      // row is new.
      std::set<std::string> provided(t_.key_columns.begin(), t_.key_columns.end());
      for (const ColumnMeta* c : shape.cols) provided.insert(c->name);
      omits_required_ =
          std::any_of(meta_.columns.begin(), meta_.columns.end(), [&](const ColumnMeta& c) {
            return c.not_null && !c.has_default && !provided.count(c.name);
          });
      omits_cols_ = shape.cols;
      omits_known_ = true;
    }
    if (unique_ && !omits_required_) {
      shape.kind = ShapeKind::kOnConflict;
    } else {
      shape.kind = shape.cols.empty() ? ShapeKind::kInsertIfMissing : ShapeKind::kUpdateThenInsert;
    }
    p.params.reserve(nk + values_.size());
    p.key.reserve(nk);
    for (size_t k = 0; k < nk; ++k) {
      RETURN_IF_ERROR(AddParam(shape.keys[k], *key_values_[k], &p.params));
      p.key.push_back(*key_values_[k]);
    }
    if (shape.kind != ShapeKind::kInsertIfMissing) {
      for (size_t v = 0; v < values_.size(); ++v) {
        RETURN_IF_ERROR(AddParam(shape.cols[v], *values_[v], &p.params));
      }
    }
    Intern(&p);
    return p;
  }

 private:
  struct Planned {
    Shape shape;
    std::string signature;
  };

  // `value` must outlive the planned op (it is the op's own).
  // Made in place: moving a parameter costs as much as making it.
  Status AddParam(const ColumnMeta* col, const Value& value, std::vector<OpParam>* out) {
    Status s = out->emplace_back().Set(value, col->base_oid);
    if (!s.ok()) return InvalidArgument(ctx_ + ": column \"" + col->name + "\": " + s.message());
    return Status::Ok();
  }

  Status AddParams(const std::vector<const ColumnMeta*>& cols, const std::vector<Value>& values,
                   std::vector<OpParam>* out) {
    for (size_t i = 0; i < cols.size(); ++i) RETURN_IF_ERROR(AddParam(cols[i], values[i], out));
    return Status::Ok();
  }

  // Points `p` at the planned shape equal to scratch_ (one of the last few; consecutive ops of a
  // batch mostly share one), or at a new one with its Signature().
  void Intern(PlannedOp* p) {
    const Shape& s = scratch_;
    constexpr size_t kLookBack = 4;
    for (size_t n = 0; n < kLookBack && n < planned_.size(); ++n) {
      const Planned& c = planned_[planned_.size() - 1 - n];
      if (c.shape.kind == s.kind && c.shape.overriding == s.overriding && c.shape.keys == s.keys &&
          c.shape.cols == s.cols) {
        p->shape = &c.shape;
        p->signature = &c.signature;
        return;
      }
    }
    planned_.push_back({s, Signature(meta_, t_, s)});
    p->shape = &planned_.back().shape;
    p->signature = &planned_.back().signature;
  }

  PostgresConnection* conn_;
  const TableRef& t_;
  const TableMeta& meta_;
  const std::string ctx_;
  std::vector<const ColumnMeta*> keys_;
  bool unique_ = false;
  // The last column list whose NOT NULL check was worked out, and its answer.
  bool omits_known_ = false, omits_required_ = false;
  std::vector<const ColumnMeta*> omits_cols_;
  // The previous upsert's non-key column names (in the previous op, which outlives planning) and
  // their columns.
  std::vector<std::string_view> last_names_;
  std::vector<const ColumnMeta*> last_cols_;
  // Reused from op to op: the shape being planned, the values of its columns.
  Shape scratch_;
  std::vector<const Value*> key_values_, values_;
  // Every distinct shape planned, with its signature; a deque, so plans can point into it.
  std::deque<Planned> planned_;
};

// The columns and parameters of `p`, so that a data error can name its column. The parameters
// are copied into `*texts`, which the pairs point into.
std::vector<std::pair<const ColumnMeta*, const PgParam*>> ValuesOf(const PlannedOp& p,
                                                                   std::vector<PgParam>* texts) {
  texts->clear();
  texts->reserve(p.params.size());
  for (const OpParam& param : p.params) texts->push_back(param.ToPgParam());
  std::vector<std::pair<const ColumnMeta*, const PgParam*>> out;
  size_t i = 0;
  if (p.shape->kind != ShapeKind::kGenerated) {
    for (const ColumnMeta* c : p.shape->keys) {
      if (i < texts->size()) out.emplace_back(c, &(*texts)[i++]);
    }
  }
  for (const ColumnMeta* c : p.shape->cols) {
    if (i < texts->size()) out.emplace_back(c, &(*texts)[i++]);
  }
  return out;
}

// --- the bulk path: COPY into a temp table, then one merge ---

// Whether `plans` go through COPY + merge: at least kCopyMinOps upserts, all of one shape that
// INSERT ... ON CONFLICT can write (the key has a usable unique index and no NOT NULL column is
// left out). Deletes, generated keys and the UPDATE-then-INSERT shapes keep the pipelined path.
bool CopyPaysOff(const std::vector<PlannedOp>& plans) {
  if (plans.size() < kCopyMinOps) return false;
  for (const PlannedOp& p : plans) {
    if (p.shape->kind != ShapeKind::kOnConflict || *p.signature != *plans[0].signature) {
      return false;
    }
  }
  return true;
}

// What COPY's text format writes after a backslash for each byte it escapes (backslash, tab,
// newline, carriage return; the delimiter is a tab), 0 for every other byte: one load per byte
// where a switch cost ~18 instructions a byte, on every byte of a copy.
constexpr std::array<char, 256> kCopyEscapes = [] {
  std::array<char, 256> e{};
  e['\\'] = '\\';
  e['\t'] = 't';
  e['\n'] = 'n';
  e['\r'] = 'r';
  return e;
}();

// Appends one field in COPY's text format: \N for NULL, else the text with kCopyEscapes. In UTF-8
// no byte of a multi-byte character is one of these, so escaping byte by byte is exact.
// Runs without a special byte (most values) are appended whole.
void AppendCopyField(std::string* out, const OpParam& p) {
  if (p.is_null()) {
    out->append("\\N");
    return;
  }
  const std::string_view text = p.text();
  const char* run = text.data();
  const char* const end = run + text.size();
  for (const char* c = run; c != end; ++c) {
    const char escaped = kCopyEscapes[static_cast<unsigned char>(*c)];
    if (escaped == 0) continue;
    out->append(run, c);
    out->push_back('\\');
    out->push_back(escaped);
    run = c + 1;
  }
  out->append(run, end);
}

// The session temp table for one shape: c0.. typed as the target columns (keys, then the others)
// with their modifiers, so an overlong varchar or a bad literal fails the COPY exactly
// as it would fail the INSERT. Named by a hash of everything that defines it, so a changed column
// type gets a new table. ON COMMIT DELETE ROWS empties it at each commit that used it.
std::string TempTableName(const Shape& s) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  auto mix = [&](std::string_view part) {
    for (unsigned char c : part) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // separator: no two column lists hash the same by shifting
  };
  for (const auto* cols : {&s.keys, &s.cols}) {
    for (const ColumnMeta* c : *cols) mix(c->type_name);
    mix("|");
  }
  char name[40];
  std::snprintf(name, sizeof name, "concord_bulk_%016" PRIx64, h);
  return name;
}

std::string TempTableSql(const Shape& s, const std::string& name) {
  std::string sql = "CREATE TEMP TABLE IF NOT EXISTS " + name + " (";
  size_t i = 0;
  for (const auto* cols : {&s.keys, &s.cols}) {
    for (const ColumnMeta* c : *cols) {
      sql += (i ? ", c" : "c") + std::to_string(i) + " " + c->type_name;
      ++i;
    }
  }
  return sql + ") ON COMMIT DELETE ROWS";
}

// INSERT ... SELECT ... ON CONFLICT from the temp table.
std::string MergeSql(const TableMeta& meta, const Shape& s, const std::string& temp) {
  const size_t nk = s.keys.size(), nc = s.cols.size();
  std::string temp_cols;
  for (size_t i = 0; i < nk + nc; ++i) temp_cols += (i ? ", c" : "c") + std::to_string(i);
  return "INSERT INTO " + meta.quoted + " (" + Names(s.keys) +
         (nc ? ", " + Names(s.cols) : "") + ")" + (s.overriding ? " OVERRIDING SYSTEM VALUE" : "") +
         " SELECT " + temp_cols + " FROM pg_temp." + temp + OnConflictClause(s);
}

// The ops to send: a key that appears more than once in the batch is sent once, with its last
// op's values — what applying the ops in order leaves, since they all set the same columns — as
// ON CONFLICT DO UPDATE cannot touch one row twice in a statement. Keys are compared as sent
// text; two spellings of one key ("17", "017") are left to the server, whose cardinality error
// sends the batch to the pipelined path. (Deduplicating in SQL, DISTINCT ON ... ORDER BY, costs
// a sort of every batch: measured +65% on the merge.)
std::vector<const PlannedOp*> LastOpPerKey(const std::vector<PlannedOp>& plans) {
  const size_t nk = plans[0].shape->keys.size();
  // A one-column key (the usual case) is compared as its own text, a NULL one apart; a longer
  // key as its parts, length-prefixed. Every key of the batch has the same columns.
  std::deque<std::string> texts;
  std::unordered_map<std::string_view, size_t> last;
  std::optional<size_t> last_null;
  last.reserve(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    const std::vector<OpParam>& params = plans[i].params;
    if (nk == 1) {
      if (!params[0].is_null()) {
        last[params[0].text()] = i;
      } else {
        last_null = i;
      }
      continue;
    }
    std::string text;
    for (size_t k = 0; k < nk; ++k) {
      const OpParam& p = params[k];
      if (!p.is_null()) AppendSignature(&text, p.text());
      text += p.is_null() ? "N;" : ";";
    }
    last[texts.emplace_back(std::move(text))] = i;
  }
  std::vector<const PlannedOp*> out;
  out.reserve(plans.size());
  if (last.size() + (last_null ? 1 : 0) == plans.size()) {
    for (const PlannedOp& p : plans) out.push_back(&p);
    return out;
  }
  std::vector<size_t> keep;
  for (const auto& [key, i] : last) keep.push_back(i);
  if (last_null) keep.push_back(*last_null);
  std::sort(keep.begin(), keep.end());
  for (size_t i : keep) out.push_back(&plans[i]);
  return out;
}

// What a write that lost its connection returns: the transaction was not committed, and the
// table's metadata is read again on the new connection.
Status LostWhileWriting(PostgresConnection* conn, const std::string& ctx) {
  conn->ForgetMeta();
  return Unavailable(ctx +
                     ": the connection to the server was lost while writing; the transaction was "
                     "not committed (it is retried on a new connection)");
}

// The rows of a COPY ... FROM STDIN the connection has begun: each planned op's parameters as one
// line of COPY's text format, sent about 64 KiB at a time, so that the server parses one message
// while the next is made.
class CopyIn {
 public:
  // COPY's text format; with `binary_types` (each field's base type, pg_binary.h), its binary
  // format.
  explicit CopyIn(PGconn* pc, std::vector<Oid> binary_types = {})
      : pc_(pc), types_(std::move(binary_types)) {
    buf_.reserve(kMessage + 4096);
    if (!types_.empty()) buf_.append(kBinaryCopyHeader);
  }

  // Appends `p`'s row, and sends the message when it is full. False once sending failed (the
  // connection is lost; End says so), and when a value has no binary form (refused(); nothing
  // of the row was added).
  bool Add(const PlannedOp& p) {
    if (!types_.empty()) {
      if (!AddBinary(p)) {
        refused_ = true;
        return false;
      }
    } else {
      bool first = true;
      for (const OpParam& param : p.params) {
        if (!first) buf_.push_back('\t');
        first = false;
        AppendCopyField(&buf_, param);
      }
      buf_.push_back('\n');
    }
    if (buf_.size() >= kMessage) Send();
    return sent_;
  }
  // Whether a value had no binary form (Add returned false for it).
  bool refused() const { return refused_; }

  // Sends what is left and ends the COPY, which the server fails with `abort` when given. The
  // COPY's Status, with `ctx` prefixed.
  Status End(PgConn& pg, const char* abort, const std::string& ctx) {
    if (abort == nullptr) {
      if (!types_.empty()) buf_.append(kBinaryCopyTrailer);
      if (!buf_.empty()) Send();
    }
    if (!sent_ && abort == nullptr) abort = "concord: sending failed";
    if (PQputCopyEnd(pc_, abort) != 1) return pg.ErrorOf(nullptr, ctx);
    Status status;
    bool first = true;
    while (PGresult* raw = PQgetResult(pc_)) {
      PgResult r(raw);
      if (first && PQresultStatus(raw) != PGRES_COMMAND_OK) status = pg.ErrorOf(raw, ctx);
      first = false;
    }
    if (first) return pg.ErrorOf(nullptr, ctx);  // no result at all: the connection failed
    return status;
  }

 private:
  static constexpr size_t kMessage = 1 << 16;

  bool AddBinary(const PlannedOp& p) {
    if (p.params.size() != types_.size()) return false;
    const size_t row_start = buf_.size();
    AppendBinaryRowStart(&buf_, types_.size());
    for (size_t i = 0; i < types_.size(); ++i) {
      const OpParam& param = p.params[i];
      if (param.is_null()) {
        AppendBinaryNull(&buf_);
      } else if (!AppendBinaryField(&buf_, types_[i], param.text())) {
        buf_.resize(row_start);
        return false;
      }
    }
    return true;
  }

  void Send() {
    if (sent_) sent_ = PQputCopyData(pc_, buf_.data(), static_cast<int>(buf_.size())) == 1;
    buf_.clear();
  }

  PGconn* pc_;
  const std::vector<Oid> types_;
  std::string buf_;
  bool sent_ = true;
  bool refused_ = false;
};

// Each field's base type, for COPY's binary format, when every column of `shape` has one and
// `meta`'s table has not been sent as text since (CopiesAsText); else empty, for text.
std::vector<Oid> BinaryCopyTypes(const PostgresConnection& conn, const TableMeta& meta,
                                 const Shape& shape) {
  std::vector<Oid> types;
  if (conn.CopiesAsText(meta.oid)) return types;
  for (const auto* cols : {&shape.keys, &shape.cols}) {
    for (const ColumnMeta* c : *cols) types.push_back(c->base_oid);
  }
  if (!std::all_of(types.begin(), types.end(), HasBinaryForm)) types.clear();
  return types;
}

// Streams every op's parameters into `into` with COPY ... FROM STDIN, in binary format when
// `binary_types` are given (BinaryCopyTypes). `into` is the table and its column list:
// "pg_temp.concord_bulk_.. (c0, c1)". `*refused`: a value had no binary form (the COPY failed).
Status CopyRows(PgConn& pg, const std::vector<const PlannedOp*>& plans, const std::string& into,
                const std::vector<Oid>& binary_types, const std::string& ctx, bool* refused) {
  PGconn* pc = pg.raw();
  const std::string sql =
      "COPY " + into + " FROM STDIN" + (binary_types.empty() ? "" : " (FORMAT binary)");
  PgResult start(PQexec(pc, sql.c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) return pg.ErrorOf(start.get(), ctx);
  CopyIn copy(pc, binary_types);
  for (size_t i = 0; i < plans.size() && copy.Add(*plans[i]); ++i) {
  }
  *refused = copy.refused();
  return copy.End(pg, *refused ? "concord: a value has no binary form" : nullptr, ctx);
}

// What StreamCopy did with a batch.
enum class Streamed {
  kNotStreamed,  // not tried, or given up before its end: the batch is planned and sent otherwise
  kCommitted,    // written and committed
  kRowsExist,    // a key is in the table (or twice in the batch): plans holds every op, for a merge
  kRefused,      // the server refused a row: the pipelined path finds the op
};

// The direct way in for a large batch of upserts while none of its rows exists yet (a snapshot
// into an empty table, new rows): COPY straight into the table, each op planned just before its
// row is added, so that the server parses the rows sent while the next are planned. Planning the
// whole batch first left the server idle meanwhile, on the copy's critical path (~2,400
// instructions a row). One round trip starts it: BEGIN, the table's rules and concord.origin (one
// SELECT) and the COPY, in one simple-protocol message; the origin is a system's
// name from the configuration, never a record's value. Given up (kNotStreamed, rolled back) when
// the first op is not an INSERT ... ON CONFLICT of a plain column list, when an op plans
// otherwise or not at all, or when the table has rules, which COPY does not run. Every op planned
// is appended to `plans`, in order. Unavailable when the connection was lost.
//
// The rows go in COPY's binary format when every column's type has one (pg_binary.h), which
// saves the server its text parsing. When a value has no binary form, the COPY is rolled back and
// sent again as text, with the ops already planned, and the table's later batches go as text
// from the start. `*binary` says which format a committed COPY used.
Result<Streamed> StreamCopy(PostgresConnection* conn, const TableMeta& meta, Planner& planner,
                            const std::vector<WriteOp>& ops, std::vector<PlannedOp>* plans,
                            std::string_view origin, const std::string& ctx, bool* binary) {
  Result<PlannedOp> first = planner.Plan(ops[0]);
  if (!first.ok()) return Streamed::kNotStreamed;  // the planning of the whole batch reports it
  plans->push_back(std::move(*first));
  const Shape& shape = *plans->front().shape;
  const std::string* signature = plans->front().signature;
  if (shape.kind != ShapeKind::kOnConflict || shape.overriding) return Streamed::kNotStreamed;

  std::vector<Oid> types = BinaryCopyTypes(*conn, meta, shape);  // empty: text
  PgConn& pg = conn->pg();
  PGconn* pc = pg.raw();
  for (;;) {
    *binary = !types.empty();
    std::string sql = "BEGIN; SELECT relhasrules";
    if (!origin.empty()) {
      // Local to the transaction, as on the pipelined path: the capture triggers tag their rows.
      sql += ", set_config('concord.origin', " + QuoteLiteral(origin) + ", true)";
    }
    sql += " FROM pg_class WHERE oid = " + std::to_string(meta.oid) + "; COPY " + meta.quoted +
           " (" + Names(shape.keys) + (shape.cols.empty() ? "" : ", " + Names(shape.cols)) +
           ") FROM STDIN" + (*binary ? " (FORMAT binary)" : "");
    bool in_copy = false, plain_table = false, refused = false;
    if (PQsendQuery(pc, sql.c_str()) == 1) {
      while (PGresult* raw = PQgetResult(pc)) {
        PgResult r(raw);
        const ExecStatusType status = PQresultStatus(raw);
        if (status == PGRES_COPY_IN) {
          in_copy = true;
          break;  // the COPY's rows come next; no further result until they end
        }
        // No row (the table was dropped since its metadata was read) leaves the origin unset.
        if (status == PGRES_TUPLES_OK) {
          plain_table = PQntuples(raw) == 1 && PQgetvalue(raw, 0, 0)[0] == 'f';
        } else if (status != PGRES_COMMAND_OK) {
          pg.ErrorOf(raw, ctx).IgnoreError();  // the planned path meets and reports it
        }
      }
    }
    const char* abort = nullptr;
    Status copied;
    if (in_copy) {
      if (!plain_table) abort = "concord: the table has rules, which COPY does not run";
      CopyIn copy(pc, types);
      bool sending = abort == nullptr;
      const size_t planned = plans->size();  // sent again after a binary attempt was refused
      for (size_t i = 0; i < planned && sending; ++i) sending = copy.Add((*plans)[i]);
      for (size_t i = planned; i < ops.size() && sending; ++i) {
        Result<PlannedOp> p = planner.Plan(ops[i]);
        if (!p.ok()) {
          abort = "concord: an op of the batch cannot be planned";
          break;
        }
        plans->push_back(std::move(*p));
        if (plans->back().signature != signature && *plans->back().signature != *signature) {
          abort = "concord: the batch is not of one shape";
          break;
        }
        sending = copy.Add(plans->back());
      }
      refused = copy.refused();
      if (refused) abort = "concord: a value has no binary form; the batch goes again as text";
      copied = copy.End(pg, abort, ctx);
      if (abort == nullptr && copied.ok()) {
        copied = pg.Exec("COMMIT");
        if (copied.ok()) return Streamed::kCommitted;
      }
    }
    if (pg.broken()) return LostWhileWriting(conn, ctx);
    conn->Rollback();
    if (refused) {
      conn->CopyAsText(meta.oid);
      types.clear();
      continue;
    }
    if (!in_copy || abort != nullptr) return Streamed::kNotStreamed;
    return pg.last_error().sqlstate == "23505" ? Streamed::kRowsExist : Streamed::kRefused;
  }
}

// Applies `plans` (CopyPaysOff) in one transaction: COPY into the temp table, then one merge, for
// a batch some of whose rows exist (StreamCopy found one) or that StreamCopy could not write
// straight in (rules, an identity column written with OVERRIDING). True when committed. False
// when the server refused something: the transaction is rolled back and nothing was written (the
// caller sends the batch again on the pipelined path, which finds the op). Unavailable when the
// connection was lost. The COPY goes in binary format when it can (BinaryCopyTypes; `*binary`
// says whether it did); a value without a binary form sends the batch again as text.
Result<bool> ApplyByCopy(PostgresConnection* conn, const TableMeta& meta,
                         const std::vector<PlannedOp>& plans, std::string_view origin,
                         const std::string& ctx, bool* binary) {
  PgConn& pg = conn->pg();
  const Shape& shape = *plans[0].shape;
  const std::string temp = TempTableName(shape);
  const std::vector<const PlannedOp*> rows = LastOpPerKey(plans);
  std::vector<Oid> types = BinaryCopyTypes(*conn, meta, shape);  // empty: text
  bool refused = false;
  auto steps = [&]() -> Status {
    RETURN_IF_ERROR(pg.Exec("BEGIN"));
    if (!origin.empty()) {
      // Local to the transaction, as on the pipelined path: the capture triggers tag their rows.
      RETURN_IF_ERROR(pg.Query("SELECT set_config('concord.origin', $1, true)",
                               {std::string(origin)})
                          .status());
    }
    // Made only when needed: creating it (IF NOT EXISTS) and emptying it at each commit cost the
    // server ~0.65 ms per transaction (pgbench of the statements around the COPY: 0.87 ms with
    // it, 0.22 ms without), which a copy in 5,000-row chunks paid 200 times per million rows.
    RETURN_IF_ERROR(pg.Exec(TempTableSql(shape, temp)));
    std::string into = "pg_temp." + temp + " (";
    for (size_t i = 0; i < rows[0]->params.size(); ++i) into += (i ? ", c" : "c") + std::to_string(i);
    RETURN_IF_ERROR(CopyRows(pg, rows, into + ")", types, ctx, &refused));
    RETURN_IF_ERROR(pg.Exec(MergeSql(meta, shape, temp)));
    return pg.Exec("COMMIT");
  };
  for (;;) {
    *binary = !types.empty();
    Status s = steps();
    if (s.ok()) return true;
    if (pg.broken()) return LostWhileWriting(conn, ctx);
    conn->Rollback();
    if (!refused) return false;
    // A value without a binary form: the batch again, as text, and the table's next ones too.
    conn->CopyAsText(meta.oid);
    types.clear();
    refused = false;
  }
}

}  // namespace

Result<ApplyResult> PostgresSink::Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                                        std::string_view origin) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ApplyResult result;
  if (ops.empty()) return result;
  const std::string ctx = conn_->Context(t);
  const size_t n = ops.size();
  auto where = [&](size_t i) {
    if (i >= n) return std::string(" (nothing was written)");
    return " (op " + std::to_string(i + 1) + " of " + std::to_string(n) + "; nothing was written)";
  };

  TableMeta meta;
  std::vector<PlannedOp> plans;
  std::optional<Planner> planner;  // the plans point into it
  auto plan_with = [&](const TableMeta& cached) {
    plans.clear();
    planner.reset();
    meta = cached;
    planner.emplace(conn_, t, meta);
    plans.reserve(n);
  };
  bool binary = false;  // the COPY went in binary format
  auto copied = [&]() {
    conn_->CountCopiedBatch(binary);
    result.keys.reserve(plans.size());
    for (PlannedOp& p : plans) result.keys.push_back(std::move(p.key));
    return std::move(result);
  };
  // The replication origin, so that logical capture of this table skips these writes (the
  // trigger's changelog is tagged by concord.origin). Set once per session and origin.
  RETURN_IF_ERROR(conn_->TrimStatementCache());
  RETURN_IF_ERROR(conn_->MarkOrigin(t, origin));

  // A large batch first tries COPY straight into the table, planned as it is sent.
  Streamed streamed = Streamed::kNotStreamed;
  if (n >= kCopyMinOps) {
    ASSIGN_OR_RETURN(const TableMeta* cached, conn_->Meta(t));
    plan_with(*cached);
    ASSIGN_OR_RETURN(streamed,
                     StreamCopy(conn_, meta, *planner, ops, &plans, origin, ctx, &binary));
    if (streamed == Streamed::kCommitted) return copied();
  }

  // Plan every op (those StreamCopy did not) before anything more is sent: wrong arity, unknown
  // columns and unsendable values fail here. A column missing from cached metadata may have been
  // added since: read the catalog again once before calling it missing.
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0 || !planner) {
      ASSIGN_OR_RETURN(const TableMeta* cached, conn_->Meta(t));
      plan_with(*cached);
    }
    Status failed;
    size_t failed_op = 0;
    for (size_t i = plans.size(); i < n && failed.ok(); ++i) {
      Result<PlannedOp> p = planner->Plan(ops[i]);
      if (p.ok()) {
        plans.push_back(std::move(*p));
      } else {
        failed = p.status();
        failed_op = i;
      }
    }
    if (failed.ok()) break;
    if (failed.code() == Code::kNotFound && attempt == 0) {
      conn_->ForgetMeta();
      continue;
    }
    return Status(failed.code(), failed.message() + where(failed_op));
  }

  // Refused by the server on the way in: the pipelined path below sends the same ops and names the
  // one that fails.
  if (streamed != Streamed::kRefused && CopyPaysOff(plans)) {
    ASSIGN_OR_RETURN(bool committed, ApplyByCopy(conn_, meta, plans, origin, ctx, &binary));
    if (committed) return copied();
  }

  PgConn& pg = conn_->pg();
  PGconn* pc = pg.raw();
  if (PQenterPipelineMode(pc) != 1) {
    return Internal(ctx + ": cannot enter pipeline mode: " + std::string(PQerrorMessage(pc)));
  }
  struct Entry {
    enum Kind { kControl, kPrepare, kOp } kind;
    size_t op = 0;  // kOp: index in ops
    std::string signature, name;
  };
  std::unordered_map<std::string, std::string> preparing;  // prepared in this Apply, not yet seen
  std::optional<std::pair<size_t, Status>> failure;        // first failure: op index (n: none)
  Status lost;                                             // the connection failed
  result.keys.resize(n);
  size_t next = 0;
  bool committed = false;
  std::string origin_text(origin);

  while (!failure && lost.ok() && !committed) {
    std::deque<Entry> queue;
    auto send_control = [&](const char* sql, const std::vector<PgParam>& params) {
      std::vector<const char*> values;
      for (const PgParam& p : params) values.push_back(p ? p->c_str() : nullptr);
      if (!PQsendQueryParams(pc, sql, static_cast<int>(values.size()), nullptr, values.data(),
                             nullptr, nullptr, 0)) {
        return false;
      }
      queue.push_back({Entry::kControl, 0, "", ""});
      return true;
    };
    bool sent = true;
    if (next == 0) {
      sent = send_control("BEGIN", {});
      // Local to the transaction: the capture triggers read it to tag their changelog rows. An
      // empty origin leaves them untagged, like an application's writes.
      if (sent && !origin_text.empty()) {
        sent = send_control("SELECT set_config('concord.origin', $1, true)", {origin_text});
      }
    }
    const size_t end = std::min(n, next + kPipelineChunk);
    for (; sent && next < end; ++next) {
      const PlannedOp& p = plans[next];
      std::string name;
      if (const std::string* cached = conn_->FindStatement(*p.signature)) {
        name = *cached;
      } else if (auto it = preparing.find(*p.signature); it != preparing.end()) {
        name = it->second;
      } else {
        name = conn_->NewStatementName();
        std::string sql = FullSql(meta, t, *p.shape);
        std::vector<Oid> types = ShapeTypes(*p.shape);
        if (!PQsendPrepare(pc, name.c_str(), sql.c_str(), static_cast<int>(types.size()),
                           types.data())) {
          sent = false;
          break;
        }
        queue.push_back({Entry::kPrepare, next, *p.signature, name});
        preparing[*p.signature] = name;
      }
      std::vector<const char*> values;
      values.reserve(p.params.size());
      for (const OpParam& v : p.params) values.push_back(v.c_str());
      if (!PQsendQueryPrepared(pc, name.c_str(), static_cast<int>(values.size()), values.data(),
                               nullptr, nullptr, 0)) {
        sent = false;
        break;
      }
      queue.push_back({Entry::kOp, next, "", ""});
    }
    if (sent && next == n) {
      sent = send_control("COMMIT", {});
      committed = true;
    }
    if (!sent || !PQpipelineSync(pc)) {
      lost = pg.ErrorOf(nullptr, ctx);
      break;
    }
    // Results come back in the order sent. After a failure the server skips everything up to the
    // sync point (PIPELINE_ABORTED); the transaction is then aborted and rolled back below.
    for (const Entry& e : queue) {
      PGresult* raw = PQgetResult(pc);
      if (raw == nullptr) {
        lost = pg.ErrorOf(nullptr, ctx);
        break;
      }
      PgResult r(raw);
      while (PGresult* extra = PQgetResult(pc)) PQclear(extra);  // up to this entry's end (NULL)
      ExecStatusType st = PQresultStatus(raw);
      if (st == PGRES_PIPELINE_ABORTED) continue;
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        Status s = pg.ErrorOf(raw, conn_->system());
        if (PgCodeForSqlstate(pg.last_error().sqlstate) == Code::kUnavailable && pg.broken()) {
          lost = s;
          break;
        }
        if (!failure) failure.emplace(e.kind == Entry::kControl ? n : e.op, s);
        continue;
      }
      if (e.kind == Entry::kPrepare) {
        conn_->RememberStatement(e.signature, e.name);
        preparing.erase(e.signature);
      } else if (e.kind == Entry::kOp) {
        const PlannedOp& p = plans[e.op];
        if (p.shape->kind != ShapeKind::kGenerated) {
          result.keys[e.op] = p.key;
          continue;
        }
        if (PQntuples(raw) != 1) {
          if (!failure) {
            failure.emplace(e.op,
                            InvalidArgument(ctx + ": the row was not inserted (a BEFORE INSERT "
                                                  "trigger of the table skipped it)"));
          }
          continue;
        }
        Key key;
        for (int k = 0; k < PQnfields(raw); ++k) {
          key.push_back(ValueFromText(PQgetvalue(raw, 0, k), PQgetlength(raw, 0, k),
                                      PQgetisnull(raw, 0, k), PQftype(raw, k)));
        }
        result.keys[e.op] = std::move(key);
      }
    }
    if (!lost.ok()) break;
    PGresult* sync = PQgetResult(pc);
    bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced) {
      lost = pg.ErrorOf(nullptr, ctx);
      break;
    }
  }
  PQexitPipelineMode(pc);
  if (!lost.ok()) {
    if (pg.broken()) return LostWhileWriting(conn_, ctx);
    conn_->ForgetMeta();
    conn_->Rollback();
    return Status(lost.code(), lost.message() + where(n));
  }
  if (failure) {
    conn_->Rollback();
    auto [op, status] = *failure;
    if (op < n) {
      std::vector<PgParam> texts;
      return conn_->TableError(status, t, Access::kWrite, where(op), ValuesOf(plans[op], &texts));
    }
    return conn_->TableError(status, t, Access::kWrite, where(op));
  }
  return result;
}

Result<std::vector<Row>> PostgresSink::ReadRows(const TableRef& t, const std::vector<Key>& keys) {
  return conn_->ReadRows(t, keys);
}

}  // namespace concord::postgres_connector
