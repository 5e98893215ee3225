// Exact totals of the amount fields (`sum: true`) for `concord check`.
//
// Canonical decimals are text with exactly `scale` fraction digits, ints are Int, so a total is
// the sum of scaled integers: kept in a 128-bit integer (38 digits — far beyond any ledger), with
// overflow reported rather than wrapped. Written by hand because it is ten lines; the quality
// folder's decimal parser validates and rounds, it does not add.
#pragma once

#include <map>
#include <string>

#include "config/spec.h"
#include "core/value.h"
#include "reconcile/check.h"

namespace concord {

struct AmountSum {
  __int128 total = 0;
  bool overflow = false;
  int64_t invalid = 0;  // values that were not canonical numbers (not added)
};
using AmountSums = std::map<std::string, AmountSum>;  // field → running total

// Adds the record's amount fields to `sums`.
void AddAmounts(const EntitySpec& entity, const Record& record, SideTotals* totals,
                AmountSums* sums);
// Adds the totals of `from` into `into` (overflow and invalid counts carried).
void MergeAmounts(const AmountSums& from, AmountSums* into);
// Renders `sums` into totals->sums (exact decimal text at each field's scale; "overflow" when the
// total left 128 bits).
void FinishAmounts(const EntitySpec& entity, const AmountSums& sums, SideTotals* totals);

}  // namespace concord
