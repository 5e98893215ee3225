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
// Soundness: a memo is used only under the fingerprint it was made with — the config file's
// bytes, the concord build, the system, entity, compared fields and filter — so a changed
// mapping or normalizer setting drops it. A row whose canonical key came from the xref (which
// changes apart from the row) is remembered with the hash of its system key, and its bucket is
// reused only while the xref still maps that key to the same canonical key. A bucket holding a
// row without a usable key is never reused. A summary
// collision needs two different bucket contents with equal 64-bit hash sums (about 2^-64, the
// odds the check already takes with its 64-bit canonical row hashes). `--full` ignores the memo.
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
};

std::string EncodeMemoBucket(const MemoBucket& b);
// DataLoss when `data` is not a bucket this build wrote (the memo is then rebuilt).
Result<MemoBucket> DecodeMemoBucket(std::string_view data);

// The memo's name in the state store for one side of a check, and the fingerprint it must carry
// to be used (see above). `config_text` is the config file's content.
std::string MemoName(const std::string& entity, const std::string& system,
                     const std::vector<std::string>& compared_fields, const std::string& where);
std::string MemoFingerprint(const std::string& config_text, const std::string& entity,
                            const std::string& system, bool hashed_in_database,
                            const std::vector<std::string>& compared_fields,
                            const std::string& where);

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
