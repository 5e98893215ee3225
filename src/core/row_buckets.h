// Row buckets for `concord check`'s memo (reconcile/check_memo.h): a table's rows are grouped
// into buckets by a hash of their key, and each bucket is summarized by its row count and the
// sum of a 64-bit hash of each row's raw values (sum2 is for connectors that can afford a second
// hash; 0 otherwise). A bucket whose summary is unchanged since the last check holds the same
// raw rows (up to a 2^-64 chance, the odds the check already takes with its 64-bit canonical row
// hashes), so its canonical form — which the memo keeps — need not be computed again.
//
// Connectors that can compute the summary inside their database do so with the database's own
// hash functions (only the summaries cross the wire); these are the functions every other
// connector uses, computed in concord over the rows as read. Each connector is consistent with
// itself only: buckets and hashes are never compared across connectors.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/change.h"
#include "core/value.h"

namespace concord {

// One bucket's summary. Sums wrap modulo 2^64 (so a database's exact sum, reduced, is equal).
struct BucketSum {
  int64_t rows = 0;
  uint64_t sum1 = 0, sum2 = 0;
  bool operator==(const BucketSum&) const = default;
  void Add(uint64_t h1, uint64_t h2) {
    ++rows;
    sum1 += h1;
    sum2 += h2;
  }
  // Adds another bucket's summary (the summary of both buckets' rows).
  void Merge(const BucketSum& b) {
    rows += b.rows;
    sum1 += b.sum1;
    sum2 += b.sum2;
  }
};

// A row with its bucket and its raw hash.
struct HashedRow {
  uint32_t bucket = 0;
  uint64_t hash1 = 0, hash2 = 0;
  Row row;
};

// An integer a database summed exactly (decimal text, possibly negative, possibly beyond 64 bits:
// "-123", "36893488147419103232") reduced modulo 2^64 — equal to concord's wrapping sum of the
// same 64-bit values. Stops at the first character that is not a digit.
uint64_t WrapToUint64(std::string_view decimal);

// Bucket counts are powers of two (a check folds buckets by masking, and databases compute a
// bucket as the low bits of a hash, cheaper than a modulo of a signed value).
inline bool IsBucketCount(uint32_t buckets) { return buckets != 0 && (buckets & (buckets - 1)) == 0; }

// The bucket of `key` among `buckets` (XXH3 of the encoded key).
uint32_t BucketOfKey(const Key& key, uint32_t buckets);
// The raw hash of a row (XXH3-128 over its column names and values, NULL distinct from ''): both
// halves, as this costs nothing extra in concord.
void RawRowHash(const Row& row, uint64_t* h1, uint64_t* h2);

}  // namespace concord
