// The memo of `concord check`: what the last check learned about each side, so that the next one
// maps only the rows that changed.
//
// Mapping a row to its canonical form (normalizers, libphonenumber, Lua) is what a check spends
// its time on; the form is a pure function of the row's raw values and the config. So each
// side's rows are grouped into buckets by key (core/row_buckets.h), and the memo keeps, per
// bucket, the raw summary of its rows (count and hash sum, computed by the database where the
// connector can) next to what the check derived from them: the (key hash, canonical row hash)
// of each row and the exact sums of the amount fields. On the next check each side asks its
// database for the bucket summaries only; a bucket whose summary is unchanged contributes its
// memo, the others are read and mapped again.
//
// Next to its buckets each side's memo keeps its totals (MemoTotals, under MemoTotalsName): the
// sum of the buckets' raw summaries, and the digest of the side's canonical rows. A check first
// asks each database for its whole-table totals only (Source::TableSum: one aggregate without
// GROUP BY, over the same row hashes as the buckets). A side whose totals equal its memo's is
// unchanged: it needs no bucket summaries. When both sides are unchanged and their digests,
// row counts and amount sums agree, the check is decided by the totals alone (nothing else is
// read); otherwise only the changed sides are summarized by bucket. A side that had changed at
// the check that wrote its memo is expected to change again (a table being synced): it is asked
// for its bucket summaries at once, which also tell whether it is unchanged, rather than for
// totals and then summaries — two scans of a busy table instead of one. Where the database keeps
// a cheap mark of writes to the table (Source::WriteMark: PostgreSQL's row counters, MariaDB's
// update time), the mark decides instead: a side written since its memo is summarized at once, a
// side whose mark is unchanged is asked for its totals first. The mark only orders the queries;
// what the check reports never depends on it.
//
// Each bucket also keeps the system keys of its rows (every row its summary covers). A bucket
// whose summary changed is read by those keys first (Source::ReadBucketRows, an index look-up)
// and the rows are kept only when they add up to the bucket's summary now; a bucket a row was
// added to (its key is not among them) is read by a scan of the table filtered by bucket.
//
// Soundness: a memo is used only under the fingerprint it was made with — the config file's
// bytes, the concord build, the system, entity, compared fields and filter — so a changed
// mapping or normalizer setting drops it. A row whose canonical key came from the xref (which
// changes apart from the row) is remembered with the hash of its system key, and its bucket is
// reused only while the xref still maps that key to the same canonical key. A bucket holding a
// row without a usable key is never reused. A summary
// collision needs two different bucket contents with equal 64-bit hash sums (about 2^-64, the
// odds the check already takes with its 64-bit canonical row hashes). The whole-table totals
// take the same odds over the whole table instead of one bucket: a changed table passes for
// unchanged only if its row count is equal and the changes' hash differences cancel in every
// sum, modulo 2^64 — for PostgreSQL one 64-bit sum (about 2^-64); for MariaDB two sums of 32-bit
// CRCs of two different texts, which cancel by chance with odds of about 2^-64 too (each sum of k
// changes spreads over about 2^32·√k values), though CRCs being linear, edits crafted to cancel
// are easier to make than for a cryptographic hash (the bucket summaries share that). The digest
// is the sum over rows of a 64-bit hash of (key hash, canonical row hash) — the segment
// checksums added up — so two different sides agree by chance with odds of about 2^-64.
// `--full` ignores the memo.
//
// Threading: plain data and functions; the check serializes its use of the state store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/row_buckets.h"
#include "core/status.h"
#include "reconcile/amounts.h"

namespace concord {

// What the memo keeps of one bucket of one side.
struct MemoBucket {
  BucketSum raw;         // the summary of the rows the rest was derived from
  bool reusable = true;  // false: holds a row without a usable key
  struct Entry {
    uint64_t key_hash = 0;
    uint64_t row_hash = 0;
    uint64_t xref = 0;  // keyed through the xref: XrefHash(system key); 0 otherwise
  };
  std::vector<Entry> entries;  // rows that passed the filter
  AmountSums sums;             // their amount fields
  // The system key (EncodeKey) of every row the summary covers, filtered out or not: stored at
  // the end of the bucket and decoded only for a bucket that changed, which is then read by
  // these keys (Source::ReadBucketRows) rather than by a scan — kept when the rows read add up to
  // the bucket's summary now (no row was added to it). Filled only for the buckets a check read.
  // As stored: each key's byte count (4 bytes, native order) and bytes, one after the other
  // (AddSystemKey), so that a million rows cost no allocation each.
  std::string system_keys;
  size_t system_key_count = 0;
  void AddSystemKey(std::string_view key) {
    const uint32_t size = static_cast<uint32_t>(key.size());
    system_keys.append(reinterpret_cast<const char*>(&size), sizeof size);
    system_keys.append(key);
    ++system_key_count;
  }
};

std::string EncodeMemoBucket(const MemoBucket& b);
// DataLoss when `data` is not a bucket this build wrote (the memo is then rebuilt). Leaves
// system_keys empty (they are skipped in place: a check needs them for changed buckets only).
Result<MemoBucket> DecodeMemoBucket(std::string_view data);
// The system keys of an encoded bucket (MemoBucket::system_keys).
Result<std::vector<std::string>> DecodeMemoBucketKeys(std::string_view data);

// What the memo keeps of a whole side (see above), written with its buckets.
struct MemoTotals {
  BucketSum raw;  // the sum of the buckets' raw summaries (as Source::TableSum computes it)
  // false: a row had no usable key or was keyed through the xref (which changes apart from the
  // rows); the check then never decides from the totals alone.
  bool complete = true;
  // The side had changed since the memo before it (its summaries differed): the next check
  // expects it to change again and asks for its bucket summaries at once, skipping the totals.
  bool changed = false;
  // The database's write mark of the table when the check that wrote the memo began
  // (Source::WriteMark; empty when it keeps none). A different mark now says the side was written
  // since: it is asked for its bucket summaries at once. An equal mark proves nothing: the totals
  // are asked for first, as for a side without a mark.
  std::string write_mark;
  int64_t rows = 0;     // rows that passed the filter
  uint64_t digest = 0;  // the sum of EntryDigest over those rows (wrapping)
  AmountSums sums;      // their amount fields
};

std::string EncodeMemoTotals(const MemoTotals& t);
// DataLoss when `data` is not totals this build wrote.
Result<MemoTotals> DecodeMemoTotals(std::string_view data);

// What one row adds to a side's digest and to its segment's checksum.
uint64_t EntryDigest(uint64_t key_hash, uint64_t row_hash);

// The memo's name in the state store for one side of a check, and the fingerprint it must carry
// to be used (see above). `config_text` is the config file's content.
std::string MemoName(const std::string& entity, const std::string& system,
                     const std::vector<std::string>& compared_fields, const std::string& where);
std::string MemoFingerprint(const std::string& config_text, const std::string& entity,
                            const std::string& system, bool hashed_in_database,
                            const std::vector<std::string>& compared_fields,
                            const std::string& where);

// Where the totals of the memo `memo_name` are kept (a memo of one bucket).
std::string MemoTotalsName(const std::string& memo_name);

// The hash of an encoded system key as the memo keeps it for a row keyed through the xref (never
// 0).
uint64_t XrefHash(const std::string& system_key);

// A memo no check has used for this long is dropped (the next check reads everything).
inline constexpr int64_t kMemoKeptDays = 30;

// Buckets a cold scan reads with; the memo keeps fewer (FoldedBuckets), since a bucket of
// buckets-of-a-power-of-two is the reading bucket modulo the kept count.
inline constexpr uint32_t kReadBuckets = 65536;
// About 64 rows per kept bucket: few rows to map again when one changes, few buckets to store.
uint32_t FoldedBuckets(int64_t rows);

}  // namespace concord
