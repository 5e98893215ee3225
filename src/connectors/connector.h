// The interfaces every connector implements. A connector talks to one kind of system (sqlite,
// postgres, ...); a Connection is one open handle on one configured system.
//
// Connectors only read and write. They never retry, order, checkpoint or write the DLQ — that is
// the engine's job. They report failures as Status with a code that says whether the failure is
// transient (Unavailable: locked, busy, down) or not (NotFound: a table or column is missing;
// InvalidArgument: a value the target refuses), and messages that name the system, table and
// column ("crm.accounts: no such column \"nme\"").
//
// Threading: a Connection is used by one thread at a time. Ownership: the caller owns it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/change.h"
#include "core/row_buckets.h"
#include "core/status.h"
#include "core/value.h"

namespace concord {

// One table as a binding uses it.
struct TableRef {
  std::string table;                     // may be "schema.table" where the connector has schemas
  std::vector<std::string> key_columns;  // the binding's key, in order
  std::vector<std::string> columns;      // columns to read (key columns included)
  // The binding's capture mode ("trigger", "poll", "logical"; "" means trigger), for connectors
  // that capture in more than one way (postgres: `logical` reads a replication slot).
  std::string capture = "";
  bool trigger_capture() const { return capture.empty() || capture == "trigger"; }
};

struct ColumnInfo {
  std::string name;
  std::string declared_type;  // as the database declares it, e.g. "VARCHAR(100)"
  bool not_null = false;
  bool primary_key = false;
};

// For ReadChunk and its kin: InvalidArgument (prefixed with `context`, "crm.accounts") unless
// `after` is absent or has one non-NULL value per key column of `t` — `(k) > (NULL)` is never
// true, so rows after a NULL key part would be silently skipped.
inline Status CheckSnapshotPosition(const std::string& context, const TableRef& t,
                                    const std::optional<Key>& after) {
  if (!after) return Status::Ok();
  if (after->size() != t.key_columns.size()) {
    return InvalidArgument(context + ": snapshot position has " + std::to_string(after->size()) +
                           " values, the table's key has " + std::to_string(t.key_columns.size()) +
                           " columns");
  }
  for (const Value& v : *after) {
    if (v.is_null()) {
      return InvalidArgument(context + ": snapshot position " + EncodeKey(*after) +
                             " contains NULL; a chunked snapshot needs keys without NULLs");
    }
  }
  return Status::Ok();
}

// For statements prepared once per list length: splits `count` values into chunks of at most the
// largest of `sizes` (ascending) and calls `run(begin, n, padded)` for each, `padded` being the
// smallest size that holds the chunk's `n` values (the caller fills the list up to it by repeating
// its last value), so that a few statements serve every length. Stops at the first error.
template <typename Run>
Status ForEachPaddedChunk(size_t count, const std::vector<size_t>& sizes, Run&& run) {
  const size_t most = sizes.back();
  for (size_t begin = 0; begin < count; begin += most) {
    const size_t n = std::min(count - begin, most);
    size_t padded = most;
    for (size_t size : sizes) {
      if (size >= n) {
        padded = size;
        break;
      }
    }
    Status s = run(begin, n, padded);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// Reading side: capture and snapshot.
class Source {
 public:
  virtual ~Source() = default;

  // Installs what trigger capture needs (changelog table, triggers on `t`) and registers
  // `consumer` (a flow id) so every later insert/update/delete of `t` is logged for it.
  // Idempotent: safe to call on every start. Changes made before the call are not logged.
  virtual Status InstallCapture(const TableRef& t, std::string_view consumer) = 0;

  // Unregisters `consumer`, drops its pending changelog rows, and drops the triggers on `t` when
  // no consumer is left. Idempotent.
  virtual Status RemoveCapture(const TableRef& t, std::string_view consumer) = 0;

  // Up to `max` pending changes of `t` for `consumer`, in changelog order (oldest first), each with
  // the row's current image (columns of `t.columns`), or nullopt where the row no longer exists.
  // Reading does not consume: AckChanges does.
  virtual Result<std::vector<SourceChange>> ReadChanges(const TableRef& t, std::string_view consumer,
                                                        size_t max) = 0;

  // Deletes the given changelog rows of `consumer` (delete-on-consume). Unknown seqs are ignored.
  virtual Status AckChanges(std::string_view consumer, const std::vector<int64_t>& seqs) = 0;

  // Number of changes pending for `consumer` (the backlog), and the log time of the oldest one
  // (0 when none).
  struct Backlog {
    int64_t count = 0;
    int64_t oldest_at_ms = 0;
    bool at_least = false;  // counting stopped at `count` (there are more)
    // Log-based capture (postgres `capture: logical`) only: the replication slot, the bytes of
    // log between the server's current position and what the slot has confirmed (lag), the log
    // the slot keeps the server from removing (retained), and a warning when that passed the
    // system's limit. -1 / empty otherwise.
    std::string slot;
    int64_t slot_lag_bytes = -1;
    int64_t retained_bytes = -1;
    std::string warning;
  };
  virtual Result<Backlog> PendingChanges(std::string_view consumer) = 0;

  // For conflict detection: the log time of the newest pending change of `consumer` for each of
  // `keys` (encoded key → ms), ignoring changes whose origin is `ignore_origin` (concord's own
  // writes). Keys with no pending change are absent. Connectors without a changelog may return
  // an empty map; the engine then relies on what it has already seen.
  virtual Result<std::map<std::string, int64_t>> LatestPendingMs(
      const TableRef& t, std::string_view consumer, const std::vector<Key>& keys,
      std::string_view ignore_origin) {
    return std::map<std::string, int64_t>();
  }
  // Whether LatestPendingMs answers for `t` from a changelog that any process can read (trigger
  // capture), so that an empty answer means no change is waiting, whoever asks: `concord check`
  // then re-reads a difference at once instead of waiting for a sync that may be under way. False
  // where the answer would come only from the running engine (a replication stream) or where
  // there is no changelog (poll).
  virtual bool PendingChangesReadable(const TableRef& t) const { return false; }

  // A snapshot chunk: up to `limit` rows of `t` with key > `after` (all rows when nullopt),
  // ordered by key. An empty result means the snapshot is complete.
  virtual Result<std::vector<Row>> ReadChunk(const TableRef& t, const std::optional<Key>& after,
                                             size_t limit) = 0;

  // The current rows for `keys`; keys with no row are absent from the result.
  virtual Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys) = 0;

  // The number of rows of `t`, for progress totals (`concord profile`). The default:
  // InvalidArgument (this connector cannot count); callers then go without a total.
  virtual Result<int64_t> CountRows(const TableRef& t) {
    return InvalidArgument(t.table + ": this connector cannot count rows");
  }
  // About how many rows `t` holds, for the initial copy's progress log: the database's own
  // statistics where it keeps them (cheap, maybe stale), else CountRows. An error means no
  // estimate; the copy then logs its progress without a total.
  virtual Result<int64_t> EstimateRows(const TableRef& t) { return CountRows(t); }

  // For `unique:` fields (optional): every row of `t` whose `column` equals one of `values`, as
  // the database compares (its types and collation), each holding the key columns of `t` and
  // `column` — several rows for one value where the table does not keep the column unique.
  // Values are bound as parameters, never pasted; one statement per call (more only beyond the
  // database's parameter limit). NotFound for a missing table or column.
  // The default: InvalidArgument saying that this connector cannot do it.
  virtual Result<std::vector<Row>> FindByColumn(const TableRef& t, const std::string& column,
                                                const std::vector<Value>& values) {
    return InvalidArgument(t.table + ": this connector cannot look rows up by the value of " +
                           "column \"" + column + "\"");
  }

  // Wake-up (optional): a source whose system announces logged changes (PostgreSQL NOTIFY) lets
  // an idle engine wait for the announcement instead of sleeping its whole poll interval.
  // Announcements are hints, never the record of a change: the changelog is. One that is missed
  // only delays a change until the next poll, so the engine keeps polling at its interval.
  enum class WakeUp {
    kNoSignal,  // this source cannot announce changes (or its channel is down right now): the
                // caller sleeps instead; returned at once, without waiting
    kTimedOut,  // nothing was announced within the timeout
    kChanged,   // changes may be pending (announced, or announcements may have been missed
                // because the channel was just opened): read now
  };
  // Waits at most `timeout_ms` (keep it short, ~20 ms: the caller checks for a stop request
  // between calls) for an announcement on any captured table of this system. Never fails; a
  // broken channel is reopened by a later call.
  virtual WakeUp WaitForChanges(int64_t timeout_ms) { return WakeUp::kNoSignal; }

  // Poll capture (`capture: poll`, for systems where concord may not install triggers): up to
  // `limit` rows of `t` ordered by (`column`, key columns), each with `column` among its values,
  // whose (column, key) comes after `after` = [column value, key values...] (every row when
  // nullopt). `column` is an updated_at timestamp or an increasing number. The database compares
  // and orders, so the engine never needs to know how its types sort. A position holding NULL is
  // InvalidArgument (rows whose `column` is NULL can never be positioned after).
  //
  // The default is a keyset read through ReadChunk with `column` put in front of the key: any
  // connector whose ReadChunk keeps its contract (ordered by the given key columns, strictly
  // after the position) polls correctly through it; a connector overrides it only to do better.
  virtual Result<std::vector<Row>> ReadChangedSince(const TableRef& t, const std::string& column,
                                                    const std::optional<Key>& after,
                                                    size_t limit) {
    TableRef ordered = t;
    ordered.key_columns.insert(ordered.key_columns.begin(), column);
    bool listed = false;
    for (const std::string& c : ordered.columns) listed = listed || c == column;
    if (!ordered.columns.empty() && !listed) ordered.columns.push_back(column);
    return ReadChunk(ordered, after, limit);
  }

  // For `concord check`'s memo (core/row_buckets.h): the summary of each of `buckets` buckets
  // (a power of two, IsBucketCount) of `t`'s rows (index = bucket), over the key columns and
  // `t.columns`. The defaults compute buckets and hashes in concord over ReadChunk; a connector
  // whose database can compute them itself overrides all four (with TableSum and ReadBuckets),
  // so that only the summaries cross the wire.
  virtual bool BucketsInDatabase() const { return false; }
  virtual Result<std::vector<BucketSum>> BucketSums(const TableRef& t, uint32_t buckets) {
    std::vector<BucketSum> sums(buckets);
    std::optional<Key> after;
    while (true) {
      auto rows = ReadBuckets(t, buckets, {}, after, 5000);
      if (!rows.ok()) return rows.status();
      if (rows->empty()) return sums;
      for (const HashedRow& r : *rows) sums[r.bucket].Add(r.hash1, r.hash2);
      after = KeyOf(t, rows->back().row);
    }
  }
  // The summary of all of `t`'s rows as one bucket: equal to the sum of BucketSums' buckets
  // (same row hashes), and, in a database, about as cheap as scanning the table once (no
  // grouping). The default sums BucketSums of one bucket.
  virtual Result<BucketSum> TableSum(const TableRef& t) {
    auto sums = BucketSums(t, 1);
    if (!sums.ok()) return sums.status();
    return (*sums)[0];
  }
  // A mark of how far `t` has been written, as the database counts it without reading the table
  // (PostgreSQL's row counters, MariaDB's last update time): a mark that differs from an earlier
  // one says the table was written since; an equal mark proves nothing (counters lag, a second's
  // resolution, a restart). nullopt when the database keeps no such mark (the default). A check
  // uses it only to choose the cheaper first query for a side, never to decide a result.
  virtual Result<std::optional<std::string>> WriteMark(const TableRef&) {
    return std::optional<std::string>();
  }
  // Up to `limit` rows of `t` in the buckets `which` (sorted; every bucket when empty) whose key
  // is after `after`, ordered by key (ReadChunk's paging), each with its bucket and raw hash as
  // BucketSums computes them. Fewer than `limit` rows only at the end of the table.
  virtual Result<std::vector<HashedRow>> ReadBuckets(const TableRef& t, uint32_t buckets,
                                                     const std::vector<uint32_t>& which,
                                                     const std::optional<Key>& after,
                                                     size_t limit) {
    std::vector<HashedRow> out;
    std::optional<Key> at = after;
    const size_t chunk = std::max<size_t>(limit, 5000);  // a small page of some buckets
    while (out.size() < limit) {
      auto rows = ReadChunk(t, at, chunk);
      if (!rows.ok()) return rows.status();
      if (rows->empty()) break;
      Key last = KeyOf(t, rows->back());  // before the rows are moved out
      for (Row& row : *rows) {
        Key key = KeyOf(t, row);
        uint32_t b = BucketOfKey(key, buckets);
        if (!which.empty() && !std::binary_search(which.begin(), which.end(), b)) continue;
        HashedRow h;
        h.bucket = b;
        RawRowHash(row, &h.hash1, &h.hash2);
        h.row = std::move(row);
        out.push_back(std::move(h));
        if (out.size() == limit) return out;
      }
      if (rows->size() < chunk) break;
      at = std::move(last);
    }
    return out;
  }
  // The rows of `t` with the keys `keys` (those that exist, in any order), each with its bucket
  // and raw hash as BucketSums computes them: a check reads a changed bucket by the keys its
  // memo remembers, and keeps the result only when the rows add up to the bucket's summary (a
  // row added since is not among the keys; the bucket is then read by ReadBuckets).
  virtual Result<std::vector<HashedRow>> ReadBucketRows(const TableRef& t, uint32_t buckets,
                                                        const std::vector<Key>& keys) {
    auto rows = ReadRows(t, keys);
    if (!rows.ok()) return rows.status();
    std::vector<HashedRow> out;
    out.reserve(rows->size());
    for (Row& row : *rows) {
      HashedRow h;
      h.bucket = BucketOfKey(KeyOf(t, row), buckets);
      RawRowHash(row, &h.hash1, &h.hash2);
      h.row = std::move(row);
      out.push_back(std::move(h));
    }
    return out;
  }
  // The key of a row of `t` (its key columns' values, in order).
  static Key KeyOf(const TableRef& t, const Row& row) {
    Key key;
    for (const std::string& k : t.key_columns) {
      auto it = row.find(k);
      key.push_back(it == row.end() ? Value::Null() : it->second);
    }
    return key;
  }
};

// Writing side.
struct WriteOp {
  enum class Kind { kUpsert, kDelete };
  Kind kind = Kind::kUpsert;
  // The target key. For kUpsert it may be empty: the row is inserted and the key the database
  // generated is returned (surrogate keys, recorded in the xref by the engine).
  Key key;
  // Columns to set (kUpsert only). Key columns may be included; columns not listed keep their
  // value on update and take the table default on insert.
  Row values;
};

struct ApplyResult {
  // One entry per op, in order: the key of the row written (generated where it was), or the
  // op's key for deletes.
  std::vector<Key> keys;
  // What the operator may want to know about how the batch was written, though it was (a bulk
  // path the server refused, and the slower path taken instead). Connectors do not log; the
  // engine logs each distinct note once per flow.
  std::vector<std::string> notes;
};

class Sink {
 public:
  virtual ~Sink() = default;

  // Applies `ops` to `t` in one transaction, in order: all or nothing. Upsert updates the row with
  // the key, or inserts it when there is none. Delete of a missing row is not an error.
  // Changelog rows that these writes cause (when the target is itself captured) are tagged with
  // `origin` so the flow back to `origin` skips them — no echo loop.
  // On failure nothing is written; the Status names the table, and the column where known.
  virtual Result<ApplyResult> Apply(const TableRef& t, const std::vector<WriteOp>& ops,
                                    std::string_view origin) = 0;

  // The current rows for `keys` (same contract as Source::ReadRows).
  virtual Result<std::vector<Row>> ReadRows(const TableRef& t, const std::vector<Key>& keys) = 0;
};

// One open handle on one configured system.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Source* source() = 0;  // nullptr where the connector cannot read
  virtual Sink* sink() = 0;      // nullptr where the connector cannot write
  // Columns of `table`; NotFound when the table does not exist (message names it).
  virtual Result<std::vector<ColumnInfo>> DescribeTable(const std::string& table) = 0;
  // Every table the system has (for did-you-mean and `concord init`).
  virtual Result<std::vector<std::string>> ListTables() = 0;
};

// What a system's config gives a connector: its name and its options (secrets already resolved).
struct ConnectionParams {
  std::string system;                          // "crm"
  std::map<std::string, std::string> options;  // "path" → "crm.db", ...
  std::string base_dir;                        // directory of concord.yaml, for relative paths
};

// One entry of the connector registry.
struct ConnectorDescriptor {
  std::string_view name;         // "sqlite"
  std::string_view description;  // one line for docs and errors
  // Options the connector accepts: name → one-line doc. Required options are listed in required.
  std::vector<std::pair<std::string_view, std::string_view>> options;
  std::vector<std::string_view> required;
  std::vector<std::string_view> capture_modes;  // e.g. {"trigger"}
  Result<std::unique_ptr<Connection>> (*open)(const ConnectionParams& params);
};

}  // namespace concord
