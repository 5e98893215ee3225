// FieldProfile: the statistics `concord profile` reports for one canonical field of one binding,
// accumulated one row at a time in bounded memory:
//   - fill: rows whose raw column value is not NULL and not empty (blank text counts as empty);
//   - distinct canonical values: exact (a set of 64-bit XXH3 hashes — a collision among a million
//     values has a probability near 3e-8) until `exact_distinct_limit` values, then a
//     HyperLogLog estimate (±0.81 % standard error), and the summary says which;
//   - top values: exact counts until `top_capacity` distinct values are tracked, then the
//     Misra–Gries summary (compressed by subtracting the (capacity+1)-th largest count): every
//     reported count is low by at most `top_undercount`, which the summary reports (0 = exact);
//   - min and max of int, decimal (compared exactly), date and timestamp values;
//   - issues (failed normalization or validation) per rule with their count and up to
//     `examples_per_rule` examples: the record's key, the raw value (masked when the field is
//     `personal: true`) and the message.
// Values shown (top values, min/max, examples) are masked for personal fields.
//
// Not thread-safe; one instance per field per scan. Keeps a pointer to the FieldSpec, which must
// outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/spec.h"
#include "core/value.h"
#include "profile/hyperloglog.h"
#include "quality/normalize.h"

namespace concord {

struct ValueCount {
  std::string value;  // as shown (masked when personal)
  int64_t count = 0;
};

struct IssueExample {
  std::string key;      // the record's key in the system, for display
  std::string value;    // the raw value as shown (masked when personal)
  std::string message;  // the issue's message (values in it masked when personal)
};

struct RuleIssues {
  std::string rule;
  int64_t count = 0;
  std::string hint;  // the hint of the first issue seen
  std::vector<IssueExample> examples;
};

struct FieldSummary {
  std::string field;
  std::string column;  // "" when the binding does not map the field
  std::string type;    // data-dictionary type name
  bool personal = false;
  int64_t rows = 0;
  int64_t filled = 0;
  int64_t valid = 0;  // canonical values that passed normalization (NULLs excluded)
  int64_t distinct = 0;
  bool distinct_exact = true;
  double distinct_error = 0;  // relative standard error when estimated
  std::vector<ValueCount> top;
  int64_t top_undercount = 0;  // each top count may be low by up to this (0 = exact)
  std::optional<std::string> min, max;
  int64_t failing_rows = 0;       // rows with at least one issue on this field
  std::vector<RuleIssues> issues;  // most frequent rule first
};

class FieldProfile {
 public:
  struct Limits {
    size_t exact_distinct_limit = 200000;
    size_t top_capacity = 20000;
    size_t examples_per_rule = 3;
  };

  FieldProfile(const FieldSpec& spec, std::string column, const Limits& limits);

  // One row's raw column value (nullptr when the row lacks the column): counts the row and fill.
  void AddRaw(const Value* raw);
  // The field's canonical value in that row (after normalization; not called when it failed).
  void AddCanonical(const Value& canonical);
  // One issue of this field in the row with key `key` (display form); `raw` as in AddRaw.
  // Call AddRowFailed once per row that had any.
  void AddIssue(const FieldIssue& issue, const std::string& key, const Value* raw);
  void AddRowFailed() { ++failing_rows_; }

  // The summary, with the `top_n` most frequent values (ties by value).
  FieldSummary Summarize(size_t top_n) const;

 private:
  void CompressTop();
  std::string Shown(const Value& v) const;
  void UpdateRange(const Value& v);

  const FieldSpec* spec_;
  std::string column_;
  Limits limits_;
  int64_t rows_ = 0;
  int64_t filled_ = 0;
  int64_t valid_ = 0;
  int64_t failing_rows_ = 0;
  std::unordered_set<uint64_t> exact_hashes_;
  bool distinct_exact_ = true;
  HyperLogLog hll_;
  struct Counted {
    int64_t count = 0;
    std::string value;  // canonical text
  };
  std::unordered_map<uint64_t, Counted> top_;  // by the value's hash, computed once per value
  int64_t top_undercount_ = 0;
  std::optional<Value> min_, max_;
  std::map<std::string, RuleIssues> issues_;
};

// Whether `field` has an order worth reporting as min/max (int, decimal, date, timestamp).
bool HasRange(const FieldSpec& field);

}  // namespace concord
