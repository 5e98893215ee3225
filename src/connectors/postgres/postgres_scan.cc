// Snapshot reads for PostgreSQL (the Source side): keyset pages of a table (ReadChunk) and, for
// `concord check`'s memo (core/row_buckets.h), the same pages with each row's bucket and raw
// hash (ReadBuckets) and per-bucket summaries computed by the server (BucketSums) or the whole
// table's (TableSum: the same row hashes, no grouping, so PostgreSQL may scan in parallel), so
// that a check of an unchanged table moves one row instead of the table.
//
// Bucket: the low bits of hashtextextended(key text, 0), the key text being the column's own text
// for a one-column key (NULL as '') and ROW(key columns)::text for more (bucket counts are powers
// of two; a mask instead of a signed modulo and no ROW for one column cut a third of the
// summary query's time). Raw hash (64 bits, as the
// check's own row hashes): hashtextextended(ROW(columns)::text, 1) — the row's text form tells
// NULL (empty) from '' ("") and quotes what needs it, so two different rows have different
// texts. Sums are numeric in PostgreSQL (exact) and reduced modulo 2^64 here, which equals
// concord's wrapping sum of the same 64-bit values. hashtextextended exists since PostgreSQL 11.
#include <libpq-fe.h>

#include <algorithm>
#include <string>

#include "connectors/postgres/pg_types.h"
#include "connectors/postgres/postgres_connection.h"

namespace concord::postgres_connector {
namespace {

constexpr Oid kInt4ArrayOid = 1007;

// What ReadBuckets adds to a keyset page: `buckets` > 0 puts the bucket and raw hash of each row
// in front of its columns and keeps rows of `which` only (every bucket when empty).
struct BucketFilter {
  uint32_t buckets = 0;
  const std::vector<uint32_t>* which = nullptr;
};

// ROW(...)::text of the columns a page reads from alias `t`: the whole row when `t.columns` is
// empty (every column is read then).
std::string RowText(const TableRef& t) {
  if (t.columns.empty()) return "t::text";
  return "ROW(" + PostgresConnection::SelectList(t, "t.") + ")::text";
}

std::string BucketExpr(const TableRef& t, const std::string& buckets_param) {
  std::string text;
  if (t.key_columns.size() == 1) {
    text = "coalesce(t." + QuoteIdent(t.key_columns[0]) + "::text, '')";
  } else {
    for (const std::string& k : t.key_columns) text += (text.empty() ? "t." : ", t.") + QuoteIdent(k);
    text = "ROW(" + text + ")::text";
  }
  return "(hashtextextended(" + text + ", 0) & (" + buckets_param + " - 1))";
}

Status CheckBucketCount(PostgresConnection* conn, const TableRef& t, uint32_t buckets) {
  if (!IsBucketCount(buckets)) {
    return InvalidArgument(conn->Context(t) + ": " + std::to_string(buckets) +
                           " buckets (a power of two is needed)");
  }
  return Status::Ok();
}

// "{1,5,9}"
std::string IntArray(const std::vector<uint32_t>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "}";
}

// The keyset page ReadChunk and ReadBuckets share: up to `limit` rows of `t` with key > `after`
// (all when nullopt), in key order, with the bucket columns of `filter` in front when it has
// buckets.
Result<PgResult> KeysetPage(PostgresConnection* conn, const TableRef& t,
                            const std::optional<Key>& after, size_t limit,
                            const BucketFilter& filter) {
  RETURN_IF_ERROR(conn->CheckTableRef(t));
  const std::string ctx = conn->Context(t);
  RETURN_IF_ERROR(CheckSnapshotPosition(ctx, t, after));
  ASSIGN_OR_RETURN(const TableMeta* cached, conn->Meta(t));
  const TableMeta meta = *cached;
  std::string order, rhs;
  std::vector<Oid> types;
  std::vector<PgParam> params;
  for (size_t i = 0; i < t.key_columns.size(); ++i) {
    const ColumnMeta* c = meta.Find(t.key_columns[i]);
    if (i) {
      order += ", ";
      rhs += ", ";
    }
    order += "t." + QuoteIdent(c->name);
    rhs += "$" + std::to_string(i + 1);
    types.push_back(c->type_oid);
    if (after) {
      Result<PgParam> p = ParamFromValue((*after)[i], c->base_oid);
      if (!p.ok()) return InvalidArgument(ctx + ": snapshot position: " + p.status().message());
      params.push_back(std::move(*p));
    }
  }
  std::string signature = after ? "chunk-after " : "chunk-first ";
  if (filter.buckets > 0) signature += filter.which->empty() ? "buckets " : "some-buckets ";
  AppendSignature(&signature, meta.quoted);
  for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
  signature += "|";
  for (const std::string& c : t.columns) AppendSignature(&signature, c);
  if (!after) types.clear();
  std::string buckets_param, which_param;
  if (filter.buckets > 0) {
    types.push_back(kInt8Oid);
    params.push_back(std::to_string(filter.buckets));
    buckets_param = "$" + std::to_string(types.size());
    if (!filter.which->empty()) {
      types.push_back(kInt4ArrayOid);
      params.push_back(IntArray(*filter.which));
      which_param = "$" + std::to_string(types.size());
    }
  }
  types.push_back(kInt8Oid);
  params.push_back(std::to_string(std::min<size_t>(limit, static_cast<size_t>(INT64_MAX))));
  Result<PgResult> r = conn->Run(
      signature,
      [&] {
        std::string select = PostgresConnection::SelectList(t, "t.");
        std::string where;
        // A row-value comparison: the key's btree index is walked from the position on.
        if (after) where = "(" + order + ") > (" + rhs + ")";
        if (filter.buckets > 0) {
          std::string bucket = BucketExpr(t, buckets_param);
          select = bucket + " AS concord_bucket, hashtextextended(" + RowText(t) +
                   ", 1) AS concord_hash, " + select;
          if (!which_param.empty()) {
            where += (where.empty() ? "" : " AND ") + bucket + " = ANY(" + which_param + ")";
          }
        }
        std::string sql = "SELECT " + select + " FROM " + meta.quoted + " AS t" +
                          (where.empty() ? "" : " WHERE " + where);
        const std::string limit = " LIMIT $" + std::to_string(types.size());
        if (which_param.empty()) return sql + " ORDER BY " + order + limit;
        // Some buckets: their rows are found by a scan of the table (in parallel where the
        // server may) and then sorted by key, by position (the key columns follow the bucket
        // and hash; `t.*` may repeat them). Without the OFFSET 0 fence the planner walks the
        // key's index over the whole table for them, fetching every row: about twice the time.
        std::string by;
        for (size_t i = 0; i < t.key_columns.size(); ++i) {
          by += (i ? ", " : "") + std::to_string(3 + i);
        }
        return "SELECT * FROM (" + sql + " OFFSET 0) AS t ORDER BY " + by + limit;
      },
      types, params);
  if (!r.ok()) return conn->TableError(r.status(), t, Access::kRead);
  return r;
}

}  // namespace

Result<std::vector<Row>> PostgresSource::ReadChunk(const TableRef& t,
                                                   const std::optional<Key>& after, size_t limit) {
  std::vector<Row> rows;
  if (limit == 0) return rows;
  ASSIGN_OR_RETURN(PgResult r, KeysetPage(conn_, t, after, limit, {}));
  rows.reserve(static_cast<size_t>(PQntuples(r.get())));
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    rows.push_back(PostgresConnection::ReadRow(r.get(), row, 0));
  }
  return rows;
}

Result<int64_t> PostgresSource::CountRows(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  std::string signature = "count ";
  AppendSignature(&signature, meta->quoted);
  Result<PgResult> r = conn_->Run(
      signature, [&] { return "SELECT count(*) FROM " + meta->quoted; }, {}, {});
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  return std::strtoll(PQgetvalue(r->get(), 0, 0), nullptr, 10);
}

// The planner's estimate (pg_class.reltuples, kept by VACUUM, ANALYZE and CREATE INDEX); a
// table never analyzed (-1) is counted.
Result<int64_t> PostgresSource::EstimateRows(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  Result<PgResult> r = conn_->Run(
      "estimate rows",
      [] { return std::string("SELECT reltuples::int8 FROM pg_class WHERE oid = $1"); },
      {kOidOid}, {PgParam(std::to_string(meta->oid))});
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  if (PQntuples(r->get()) != 1) return CountRows(t);
  const int64_t estimate = std::strtoll(PQgetvalue(r->get(), 0, 0), nullptr, 10);
  return estimate >= 0 ? Result<int64_t>(estimate) : CountRows(t);
}

Result<std::vector<Row>> PostgresSource::FindByColumn(const TableRef& t, const std::string& column,
                                                      const std::vector<Value>& values) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::vector<Row> rows;
  if (values.empty()) return rows;
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  ASSIGN_OR_RETURN(const ColumnMeta* c, conn_->Column(t, *meta, column));
  // The values travel as one jsonb array of texts (one statement whatever their number). A text
  // column compares them as they are (its index serves); any other type compares its text form,
  // so that a value that is not of the column's type (a phone spelling sent to a bigint column)
  // finds nothing instead of failing the statement.
  const bool textual =
      c->base_oid == kTextOid || c->base_oid == kVarcharOid || c->base_oid == kBpcharOid;
  std::string json = "[";
  for (const Value& v : values) {
    if (v.is_null() || v.kind() == ValueKind::kBlob) continue;
    if (json.size() > 1) json += ',';
    json += EncodeKey({Value::Text(v.ToString())});
  }
  json += ']';
  if (json == "[]") return rows;
  TableRef shape = t;
  shape.columns = t.key_columns;
  shape.columns.push_back(column);
  std::string signature = textual ? "by-column " : "by-column-text ";
  AppendSignature(&signature, meta->quoted);
  AppendSignature(&signature, column);
  for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
  Result<PgResult> r = conn_->Run(
      signature,
      [&] {
        return "SELECT " + PostgresConnection::SelectList(shape, "t.") + " FROM " + meta->quoted +
               " AS t WHERE t." + QuoteIdent(c->name) + (textual ? "" : "::text") +
               " IN (SELECT v.k ->> 0 FROM jsonb_array_elements($1::jsonb) AS v(k))";
      },
      {kJsonbOid}, {json}, PostgresConnection::Planning::kEachRun);
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  rows.reserve(static_cast<size_t>(PQntuples(r->get())));
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    rows.push_back(PostgresConnection::ReadRow(r->get(), row, 0));
  }
  return rows;
}

Result<std::vector<HashedRow>> PostgresSource::ReadBuckets(const TableRef& t, uint32_t buckets,
                                                           const std::vector<uint32_t>& which,
                                                           const std::optional<Key>& after,
                                                           size_t limit) {
  std::vector<HashedRow> rows;
  if (limit == 0) return rows;
  RETURN_IF_ERROR(CheckBucketCount(conn_, t, buckets));
  ASSIGN_OR_RETURN(PgResult r, KeysetPage(conn_, t, after, limit, {buckets, &which}));
  rows.reserve(static_cast<size_t>(PQntuples(r.get())));
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    HashedRow h;
    h.bucket = static_cast<uint32_t>(WrapToUint64(PQgetvalue(r.get(), row, 0)));
    h.hash1 = WrapToUint64(PQgetvalue(r.get(), row, 1));
    h.row = PostgresConnection::ReadRow(r.get(), row, 2);
    rows.push_back(std::move(h));
  }
  return rows;
}

Result<std::vector<BucketSum>> PostgresSource::BucketSums(const TableRef& t, uint32_t buckets) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  RETURN_IF_ERROR(CheckBucketCount(conn_, t, buckets));
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  // Only one row per bucket leaves the server. The planner takes the bucket expression for one
  // group per key and never aggregates it in parallel; so each row's bucket and hash are computed
  // under an OFFSET 0 fence, which parallel workers may scan and hash, and only the grouping of
  // those small rows is left to the leader. Passing a row from a worker costs the leader little
  // next to hashing it, which the default parallel_tuple_cost overstates for this query: it is
  // set to 0 around it (1,000,000 rows on 2 cores: 0.63 s instead of 1.00 s).
  std::string sql = "SELECT b, count(*), sum(h) FROM (SELECT " + BucketExpr(t, "$1::int8") +
                    " AS b, hashtextextended(" + RowText(t) + ", 1) AS h FROM " + meta->quoted +
                    " AS t OFFSET 0) AS t GROUP BY b";
  RETURN_IF_ERROR(conn_->pg().Exec("SET parallel_tuple_cost = 0"));
  Result<PgResult> r = conn_->pg().Query(sql, {std::to_string(buckets)});
  Status reset = conn_->pg().Exec("RESET parallel_tuple_cost");
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  RETURN_IF_ERROR(reset);
  std::vector<BucketSum> sums(buckets);
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    uint64_t b = WrapToUint64(PQgetvalue(r->get(), row, 0));
    if (b >= buckets) return Internal(conn_->Context(t) + ": bucket out of range");
    sums[b].rows = static_cast<int64_t>(WrapToUint64(PQgetvalue(r->get(), row, 1)));
    sums[b].sum1 = WrapToUint64(PQgetvalue(r->get(), row, 2));
  }
  return sums;
}

Result<BucketSum> PostgresSource::TableSum(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  std::string sql = "SELECT count(*), sum(hashtextextended(" + RowText(t) + ", 1)) FROM " +
                    meta->quoted + " AS t";
  Result<PgResult> r = conn_->pg().Query(sql, {});
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  BucketSum sum;
  sum.rows = static_cast<int64_t>(WrapToUint64(PQgetvalue(r->get(), 0, 0)));
  sum.sum1 = WrapToUint64(PQgetvalue(r->get(), 0, 1));  // "" (NULL) for an empty table: 0
  return sum;
}

// The look-up of LookupRows (PostgresConnection::ForEachKeyRow), with each row's bucket and hash
// as BucketSums computes them in front of its columns (the bucket count is concord's own integer).
Result<std::vector<HashedRow>> PostgresSource::ReadBucketRows(const TableRef& t, uint32_t buckets,
                                                              const std::vector<Key>& keys) {
  std::vector<HashedRow> rows;
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  RETURN_IF_ERROR(CheckBucketCount(conn_, t, buckets));
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  const std::string prefix = BucketExpr(t, std::to_string(buckets)) + ", hashtextextended(" +
                             RowText(t) + ", 1), ";
  RETURN_IF_ERROR(
      conn_->ForEachKeyRow(t, *meta, keys, prefix, [&](const PGresult* r, int row, size_t) {
        HashedRow h;
        h.bucket = static_cast<uint32_t>(WrapToUint64(PQgetvalue(r, row, 1)));
        h.hash1 = WrapToUint64(PQgetvalue(r, row, 2));
        h.row = PostgresConnection::ReadRow(r, row, 3);
        rows.push_back(std::move(h));
      }));
  return rows;
}

// The table's row counters in the statistics system (inserted, updated, deleted): a backend
// reports them at most about once a second and at the latest when it goes idle or exits, so a
// write shows here a little after its commit. A view or foreign table has none: nullopt.
Result<std::optional<std::string>> PostgresSource::WriteMark(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  ASSIGN_OR_RETURN(const TableMeta* meta, conn_->Meta(t));
  Result<PgResult> r = conn_->pg().Query(
      "SELECT n_tup_ins || '/' || n_tup_upd || '/' || n_tup_del FROM pg_stat_all_tables "
      "WHERE relid = to_regclass($1)",
      {meta->quoted});
  if (!r.ok()) return conn_->TableError(r.status(), t, Access::kRead);
  if (PQntuples(r->get()) != 1 || PQgetisnull(r->get(), 0, 0)) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(PQgetvalue(r->get(), 0, 0));
}

}  // namespace concord::postgres_connector
