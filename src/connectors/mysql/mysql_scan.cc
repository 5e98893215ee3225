// Snapshot reads for MariaDB/MySQL (the Source side): keyset pages of a table (ReadChunk) and,
// for `concord check`'s memo (core/row_buckets.h), the same pages with each row's bucket and raw
// hash (ReadBuckets) and per-bucket summaries computed by the server (BucketSums) or the whole
// table's (TableSum: the same row hashes, no grouping), so that a check of an unchanged table
// moves one row instead of the table.
//
// Bucket: CRC32 of the key columns' QUOTE()d values joined by 0x1f, mod buckets. Raw hash, where
// the server has CRC32C (MariaDB 10.8+), 64 bits from two polynomials over two texts of the row:
// - CRC32 of the columns' QUOTE()d values joined by 0x1f. QUOTE spells NULL as the bare word NULL
//   and every string as a quoted, escaped literal, so this text is unambiguous: NULL differs from
//   'NULL' and from '', and no value can imitate a separator;
// - CRC32C of the plain values joined by 0x1f (CONCAT_WS, which skips NULLs). Ambiguous alone,
//   but about a third of QUOTE's cost; a change it cannot see (a value moving across a 0x1f it
//   contains, NULL and '' swapping between neighbours) is still caught by the first 32 bits.
// Building the quoted text twice (once per CRC) cost 1.52 CPU-s of the server for 1,000,000 rows,
// this 1.24 (server CPU, min of 3, `SELECT ... GROUP BY` of BucketSums; its floor, one CRC32
// over the plain text, 0.59). MariaDB evaluates an expression once per use, and a user variable
// holding the text would rely on an evaluation order the server does not promise.
// Without CRC32C (MySQL, older MariaDB): the first 64 bits of the quoted text's MD5, about twice
// as slow. Sums of BIGINT UNSIGNED are exact DECIMALs, reduced modulo 2^64 here.
#include <algorithm>
#include <string>

#include "connectors/mysql/mysql_connection.h"

namespace concord::mysql_connector {
namespace {

// "QUOTE(t.`a`), QUOTE(t.`b`)" joined with the 0x1f separator, as CONCAT_WS arguments; the
// plain "t.`a`, t.`b`" when `quote` is false.
std::string Quoted(const std::vector<std::string>& columns, bool quote = true) {
  std::string out = "0x1f";
  for (const std::string& c : columns) {
    out += quote ? ", QUOTE(t." + QuoteIdent(c) + ")" : ", t." + QuoteIdent(c);
  }
  return out;
}

// The columns a page reads (key columns first), for the raw hash: every column of the table
// when `t.columns` is empty.
Result<std::vector<std::string>> HashedColumns(MysqlConnection* conn, const TableRef& t) {
  std::vector<std::string> out = t.key_columns;
  std::vector<std::string> rest = t.columns;
  if (rest.empty()) {
    ASSIGN_OR_RETURN(const TableMeta* meta, conn->Meta(t.table));
    rest = meta->ColumnNames();
  }
  for (const std::string& c : rest) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

std::string BucketExpr(const TableRef& t, uint32_t buckets) {
  return "CRC32(CONCAT_WS(" + Quoted(t.key_columns) + ")) % " + std::to_string(buckets);
}

// The two raw hash expressions of a row (the second "0" without CRC32C).
std::pair<std::string, std::string> HashExprs(const std::vector<std::string>& columns,
                                              bool crc32c) {
  std::string text = "CONCAT_WS(" + Quoted(columns) + ")";
  if (crc32c) return {"CRC32(" + text + ")", "CRC32C(CONCAT_WS(" + Quoted(columns, false) + "))"};
  return {"CAST(CONV(LEFT(MD5(" + text + "), 16), 16, 10) AS UNSIGNED)", "0"};
}

// An integer or exact decimal the server returned, modulo 2^64.
uint64_t Wrap(const Value& v) {
  if (v.kind() == ValueKind::kInt) return static_cast<uint64_t>(v.int_value());
  return v.kind() == ValueKind::kText ? WrapToUint64(v.text()) : 0;
}

// What ReadBuckets adds to a keyset page: `buckets` > 0 puts the bucket and raw hash of each row
// in front of its columns and keeps rows of `which` only (every bucket when empty).
struct BucketFilter {
  uint32_t buckets = 0;
  const std::vector<uint32_t>* which = nullptr;
  bool crc32c = false;  // the server has CRC32C
};

// Runs the keyset page ReadChunk and ReadBuckets share and calls `on_row(stmt)` per row: up to
// `limit` rows of `t` with key > `after` (all when nullopt), in key order. The rows are streamed
// (RowDelivery::kStreamed): `on_row` must not run a statement on the connection.
template <typename OnRow>
Status KeysetPage(MysqlConnection* conn, const TableRef& t, const std::optional<Key>& after,
                  size_t limit, const BucketFilter& filter, OnRow&& on_row) {
  RETURN_IF_ERROR(conn->CheckTableRef(t));
  const std::string ctx = conn->Context(t.table);
  const size_t nk = t.key_columns.size();
  RETURN_IF_ERROR(CheckSnapshotPosition(ctx, t, after));
  std::pair<std::string, std::string> hashes;
  if (filter.buckets > 0) {
    auto columns = HashedColumns(conn, t);
    if (!columns.ok()) return conn->TableError(columns.status(), t.table);
    hashes = HashExprs(*columns, filter.crc32c);
  }
  auto build = [&] {
    // `t.*` (not `*`): MySQL accepts a bare * only as the whole select list.
    std::string select = MysqlConnection::SelectList(t, "t.");
    std::string where;
    if (after) {
      // (k1, k2) > (?, ?) spelled out: MariaDB scans the whole index for a row-value comparison
      // but turns this OR of prefixes into a range on the key's index (checked with ANALYZE).
      where = "(";
      for (size_t j = 0; j < nk; ++j) {
        if (j) where += " OR ";
        where += "(";
        for (size_t i = 0; i < j; ++i) where += "t." + QuoteIdent(t.key_columns[i]) + " = ? AND ";
        where += "t." + QuoteIdent(t.key_columns[j]) + " > ?)";
      }
      where += ")";
    }
    if (filter.buckets > 0) {
      std::string bucket = BucketExpr(t, filter.buckets);
      select = bucket + " AS concord_bucket, " + hashes.first + " AS concord_hash1, " +
               hashes.second + " AS concord_hash2, " + select;
      if (!filter.which->empty()) {
        // The bucket numbers are concord's own integers, never a record value.
        std::string in;
        for (uint32_t b : *filter.which) in += (in.empty() ? "" : ",") + std::to_string(b);
        where += (where.empty() ? "" : " AND ") + bucket + " IN (" + in + ")";
      }
    }
    std::string sql = "SELECT " + select + " FROM " + QuoteIdent(t.table) + " AS t";
    if (!where.empty()) sql += " WHERE " + where;
    sql += " ORDER BY ";
    for (size_t i = 0; i < nk; ++i) sql += (i ? ", t." : "t.") + QuoteIdent(t.key_columns[i]);
    return sql + " LIMIT ?";
  };
  MysqlStmt* stmt = nullptr;
  std::unique_ptr<MysqlStmt> own;
  if (filter.buckets > 0 && !filter.which->empty()) {
    // A bucket list is prepared for this page only: caching one statement per list would let
    // the server's prepared-statement limit fill up over many checks.
    auto prepared = conn->db().Prepare(build());
    if (!prepared.ok()) return conn->TableError(prepared.status(), t.table);
    own = std::move(*prepared);
    stmt = own.get();
  } else {
    std::string signature = after ? "chunk-after " : "chunk-first ";
    if (filter.buckets > 0) {
      signature += "buckets " + std::to_string(filter.buckets) + (filter.crc32c ? " crc " : " ");
    }
    AppendSignature(&signature, t.table);
    signature += std::to_string(nk);
    for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
    for (const std::string& c : t.columns) AppendSignature(&signature, c);
    Result<MysqlStmt*> cached = conn->Cached(signature, build);
    if (!cached.ok()) return conn->TableError(cached.status(), t.table);
    stmt = *cached;
  }
  std::vector<Value> params;
  if (after) {
    for (size_t j = 0; j < nk; ++j) {
      for (size_t i = 0; i <= j; ++i) params.push_back((*after)[i]);
    }
  }
  params.push_back(
      Value::Int(static_cast<int64_t>(std::min<size_t>(limit, static_cast<size_t>(INT64_MAX)))));
  // Streamed: a page (thousands of rows) is read straight through, and `on_row` only copies the
  // row; buffering it first cost the copy ~4% of its CPU.
  Status s = stmt->Execute(params, RowDelivery::kStreamed);
  if (!s.ok()) return conn->TableError(s, t.table);
  while (true) {
    Result<bool> row = stmt->Fetch();
    if (!row.ok()) return conn->TableError(row.status(), t.table);
    if (!*row) break;
    on_row(*stmt);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Row>> MysqlSource::ReadChunk(const TableRef& t, const std::optional<Key>& after,
                                                size_t limit) {
  std::vector<Row> rows;
  if (limit == 0) return rows;
  RETURN_IF_ERROR(KeysetPage(conn_, t, after, limit, {}, [&](const MysqlStmt& stmt) {
    rows.push_back(MysqlConnection::ReadRow(stmt, 0));
  }));
  return rows;
}

// information_schema's TABLE_ROWS: InnoDB's estimate from its index statistics (exact for
// MyISAM); a table it has none for (NULL) is counted.
Result<int64_t> MysqlSource::EstimateRows(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  Result<MysqlStmt*> stmt = conn_->Cached("estimate rows", [] {
    return std::string(
        "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
        "TABLE_NAME = ?");
  });
  if (!stmt.ok()) return conn_->TableError(stmt.status(), t.table);
  Status s = (*stmt)->Execute({Value::Text(t.table)});
  if (!s.ok()) return conn_->TableError(s, t.table);
  std::optional<int64_t> estimate;
  bool found = false;
  while (true) {
    Result<bool> row = (*stmt)->Fetch();
    if (!row.ok()) return conn_->TableError(row.status(), t.table);
    if (!*row) break;
    found = true;
    Value v = (*stmt)->Column(0);
    if (v.kind() == ValueKind::kInt) estimate = v.int_value();
  }
  if (!found) return NotFound(t.table + ": no such table");
  return estimate ? Result<int64_t>(*estimate) : CountRows(t);
}

Result<int64_t> MysqlSource::CountRows(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  std::string signature = "count ";
  AppendSignature(&signature, t.table);
  Result<MysqlStmt*> stmt =
      conn_->Cached(signature, [&] { return "SELECT COUNT(*) FROM " + QuoteIdent(t.table); });
  if (!stmt.ok()) return conn_->TableError(stmt.status(), t.table);
  Status s = (*stmt)->Execute({});
  if (!s.ok()) return conn_->TableError(s, t.table);
  int64_t n = 0;
  while (true) {
    Result<bool> row = (*stmt)->Fetch();
    if (!row.ok()) return conn_->TableError(row.status(), t.table);
    if (!*row) return n;
    Value v = (*stmt)->Column(0);
    if (v.kind() == ValueKind::kInt) n = v.int_value();
  }
}

Result<std::vector<Row>> MysqlSource::FindByColumn(const TableRef& t, const std::string& column,
                                                   const std::vector<Value>& values) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  // `column IN (?, ...)`, compared by the server (the column's type and collation). Statements
  // are cached for a few fixed list lengths, so few are prepared; at most 512 values each.
  TableRef shape = t;
  shape.columns = t.key_columns;
  shape.columns.push_back(column);
  std::vector<Row> rows;
  RETURN_IF_ERROR(ForEachPaddedChunk(
      values.size(), {8, 64, 512}, [&](size_t begin, size_t n, size_t padded) -> Status {
        std::string signature = "by-column ";
        AppendSignature(&signature, t.table);
        AppendSignature(&signature, column);
        for (const std::string& k : t.key_columns) AppendSignature(&signature, k);
        signature += std::to_string(padded);
        Result<MysqlStmt*> stmt = conn_->Cached(signature, [&] {
          std::string sql = "SELECT " + MysqlConnection::SelectList(shape, "t.") + " FROM " +
                            QuoteIdent(t.table) + " AS t WHERE t." + QuoteIdent(column) +
                            " IN (?";
          for (size_t i = 1; i < padded; ++i) sql += ", ?";
          return sql + ")";
        });
        if (!stmt.ok()) return conn_->TableError(stmt.status(), t.table);
        std::vector<Value> params;
        params.reserve(padded);
        for (size_t i = 0; i < padded; ++i) params.push_back(values[begin + std::min(i, n - 1)]);
        Status s = (*stmt)->Execute(params);
        if (!s.ok()) return conn_->TableError(s, t.table);
        while (true) {
          Result<bool> row = (*stmt)->Fetch();
          if (!row.ok()) return conn_->TableError(row.status(), t.table);
          if (!*row) return Status::Ok();
          rows.push_back(MysqlConnection::ReadRow(**stmt, 0));
        }
      }));
  return rows;
}

Result<std::vector<HashedRow>> MysqlSource::ReadBuckets(const TableRef& t, uint32_t buckets,
                                                        const std::vector<uint32_t>& which,
                                                        const std::optional<Key>& after,
                                                        size_t limit) {
  std::vector<HashedRow> rows;
  if (limit == 0) return rows;
  if (buckets == 0) return InvalidArgument(conn_->Context(t.table) + ": zero buckets");
  ASSIGN_OR_RETURN(bool crc32c, HasCrc32c());
  BucketFilter filter{buckets, &which, crc32c};
  RETURN_IF_ERROR(KeysetPage(conn_, t, after, limit, filter, [&](const MysqlStmt& stmt) {
    HashedRow h;
    h.bucket = static_cast<uint32_t>(Wrap(stmt.Column(0)));
    h.hash1 = Wrap(stmt.Column(1));
    h.hash2 = Wrap(stmt.Column(2));
    h.row = MysqlConnection::ReadRow(stmt, 3);
    rows.push_back(std::move(h));
  }));
  return rows;
}

Result<std::vector<BucketSum>> MysqlSource::BucketSums(const TableRef& t, uint32_t buckets) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  if (buckets == 0) return InvalidArgument(conn_->Context(t.table) + ": zero buckets");
  auto columns = HashedColumns(conn_, t);
  if (!columns.ok()) return conn_->TableError(columns.status(), t.table);
  ASSIGN_OR_RETURN(bool crc32c, HasCrc32c());
  auto [h1, h2] = HashExprs(*columns, crc32c);
  // Only one row per bucket leaves the server.
  std::string sql = "SELECT " + BucketExpr(t, buckets) + " AS b, COUNT(*), SUM(" + h1 + "), SUM(" +
                    h2 + ") FROM " + QuoteIdent(t.table) + " AS t GROUP BY b";
  auto rows = conn_->db().Query(sql);
  if (!rows.ok()) return conn_->TableError(rows.status(), t.table);
  std::vector<BucketSum> sums(buckets);
  for (const std::vector<Value>& row : *rows) {
    uint64_t b = Wrap(row[0]);
    if (b >= buckets) return Internal(conn_->Context(t.table) + ": bucket out of range");
    sums[b].rows = static_cast<int64_t>(Wrap(row[1]));
    sums[b].sum1 = Wrap(row[2]);
    sums[b].sum2 = Wrap(row[3]);
  }
  return sums;
}

// In statements of up to 500 keys: `k IN (?, ...)` for a one-column key, an OR of
// `(k1 = ? AND k2 = ?)` otherwise (the key's index serves both).
Result<std::vector<HashedRow>> MysqlSource::ReadBucketRows(const TableRef& t, uint32_t buckets,
                                                           const std::vector<Key>& keys) {
  std::vector<HashedRow> rows;
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  if (buckets == 0) return InvalidArgument(conn_->Context(t.table) + ": zero buckets");
  if (keys.empty()) return rows;
  auto columns = HashedColumns(conn_, t);
  if (!columns.ok()) return conn_->TableError(columns.status(), t.table);
  ASSIGN_OR_RETURN(bool crc32c, HasCrc32c());
  auto [h1, h2] = HashExprs(*columns, crc32c);
  const size_t nk = t.key_columns.size();
  constexpr size_t kKeysPerStatement = 500;
  for (size_t begin = 0; begin < keys.size(); begin += kKeysPerStatement) {
    const size_t end = std::min(keys.size(), begin + kKeysPerStatement);
    std::string where;
    std::vector<Value> params;
    for (size_t i = begin; i < end; ++i) {
      if (keys[i].size() != nk) {
        return InvalidArgument(conn_->Context(t.table) + ": a key of " +
                               std::to_string(keys[i].size()) + " values for a key of " +
                               std::to_string(nk) + " columns");
      }
      if (nk == 1) {
        where += i == begin ? "t." + QuoteIdent(t.key_columns[0]) + " IN (?" : ", ?";
      } else {
        where += i == begin ? "(" : " OR (";
        for (size_t j = 0; j < nk; ++j) {
          where += (j ? " AND t." : "t.") + QuoteIdent(t.key_columns[j]) + " = ?";
        }
        where += ")";
      }
      params.insert(params.end(), keys[i].begin(), keys[i].end());
    }
    if (nk == 1) where += ")";
    auto stmt = conn_->db().Prepare("SELECT " + BucketExpr(t, buckets) + ", " + h1 + ", " + h2 +
                                    ", " + MysqlConnection::SelectList(t, "t.") + " FROM " +
                                    QuoteIdent(t.table) + " AS t WHERE " + where);
    if (!stmt.ok()) return conn_->TableError(stmt.status(), t.table);
    Status s = (*stmt)->Execute(params);
    if (!s.ok()) return conn_->TableError(s, t.table);
    while (true) {
      Result<bool> more = (*stmt)->Fetch();
      if (!more.ok()) return conn_->TableError(more.status(), t.table);
      if (!*more) break;
      HashedRow h;
      h.bucket = static_cast<uint32_t>(Wrap((*stmt)->Column(0)));
      h.hash1 = Wrap((*stmt)->Column(1));
      h.hash2 = Wrap((*stmt)->Column(2));
      h.row = MysqlConnection::ReadRow(**stmt, 3);
      rows.push_back(std::move(h));
    }
  }
  return rows;
}

// The table's last update time, to the second (InnoDB keeps it in memory: NULL after a restart
// until the next write): nullopt when NULL.
Result<std::optional<std::string>> MysqlSource::WriteMark(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  auto rows = conn_->db().Query(
      "SELECT CAST(update_time AS CHAR) FROM information_schema.tables "
      "WHERE table_schema = DATABASE() AND table_name = ?",
      {Value::Text(t.table)});
  if (!rows.ok()) return conn_->TableError(rows.status(), t.table);
  if (rows->size() != 1 || rows->front().empty() || rows->front()[0].is_null()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(rows->front()[0].ToString());
}

Result<BucketSum> MysqlSource::TableSum(const TableRef& t) {
  RETURN_IF_ERROR(conn_->CheckTableRef(t));
  auto columns = HashedColumns(conn_, t);
  if (!columns.ok()) return conn_->TableError(columns.status(), t.table);
  ASSIGN_OR_RETURN(bool crc32c, HasCrc32c());
  auto [h1, h2] = HashExprs(*columns, crc32c);
  auto rows = conn_->db().Query("SELECT COUNT(*), SUM(" + h1 + "), SUM(" + h2 + ") FROM " +
                                QuoteIdent(t.table) + " AS t");
  if (!rows.ok()) return conn_->TableError(rows.status(), t.table);
  BucketSum sum;
  if (rows->size() == 1 && rows->front().size() == 3) {  // SUMs of no rows are NULL: 0
    sum.rows = static_cast<int64_t>(Wrap((*rows)[0][0]));
    sum.sum1 = Wrap((*rows)[0][1]);
    sum.sum2 = Wrap((*rows)[0][2]);
  }
  return sum;
}

Result<bool> MysqlSource::HasCrc32c() {
  if (crc32c_ < 0) {
    auto r = conn_->db().Query("SELECT CRC32C('')");
    if (!r.ok() && r.status().code() == Code::kUnavailable) return r.status();
    crc32c_ = r.ok() ? 1 : 0;  // "FUNCTION CRC32C does not exist": MySQL, MariaDB before 10.8
  }
  return crc32c_ == 1;
}

}  // namespace concord::mysql_connector
