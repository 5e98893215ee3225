// FieldProfile: per-field statistics of `concord profile` (see field_profile.h).
#include "profile/field_profile.h"

#include <algorithm>

#include "core/hash.h"

namespace concord {
namespace {

bool IsBlank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

bool IsFilled(const Value* raw) {
  if (raw == nullptr || raw->is_null()) return false;
  if (raw->kind() == ValueKind::kText || raw->kind() == ValueKind::kBlob) {
    return !IsBlank(raw->text());
  }
  return true;
}

// -1, 0, 1 in the field's order (canonical values of one type).
int CompareCanonical(const FieldSpec& field, const Value& a, const Value& b) {
  if (a.kind() == ValueKind::kInt && b.kind() == ValueKind::kInt) {
    return a.int_value() < b.int_value() ? -1 : (a.int_value() > b.int_value() ? 1 : 0);
  }
  // Canonical decimals, dates and timestamps are Text.
  if (field.type == FieldType::kDecimal || field.type == FieldType::kInt) {
    auto c = CompareDecimal(a.text(), b.text());
    if (c.ok()) return *c;
  }
  // ISO 8601 dates and timestamps order as text.
  int c = a.text().compare(b.text());
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

bool HasRange(const FieldSpec& field) {
  switch (field.type) {
    case FieldType::kInt:
    case FieldType::kDecimal:
    case FieldType::kDate:
    case FieldType::kTimestamp:
      return true;
    default:
      return false;
  }
}

FieldProfile::FieldProfile(const FieldSpec& spec, std::string column, const Limits& limits)
    : spec_(&spec), column_(std::move(column)), limits_(limits) {}

void FieldProfile::AddRaw(const Value* raw) {
  ++rows_;
  if (IsFilled(raw)) ++filled_;
}

void FieldProfile::AddCanonical(const Value& canonical) {
  // An empty text is not a value (as for the fill rate): it does not count as one more distinct.
  if (canonical.is_null() || (canonical.kind() == ValueKind::kText && canonical.text().empty())) {
    return;
  }
  ++valid_;
  const uint64_t h = HashValue(canonical);
  hll_.Add(h);
  if (distinct_exact_) {
    exact_hashes_.insert(h);
    if (exact_hashes_.size() > limits_.exact_distinct_limit) {
      distinct_exact_ = false;
      exact_hashes_ = {};
    }
  }
  auto [it, inserted] = top_.try_emplace(h);
  if (inserted) it->second.value = canonical.ToString();
  ++it->second.count;
  if (inserted && top_.size() > 2 * limits_.top_capacity) CompressTop();
  if (HasRange(*spec_)) UpdateRange(canonical);
}

// Misra–Gries compression: subtract the (capacity+1)-th largest count from every counter and
// drop those that reach zero. At most `capacity` counters remain; every count stays an
// underestimate by at most the total subtracted, which is at most rows / (capacity + 1).
void FieldProfile::CompressTop() {
  std::vector<int64_t> counts;
  counts.reserve(top_.size());
  for (const auto& [h, c] : top_) counts.push_back(c.count);
  const size_t k = limits_.top_capacity;
  std::nth_element(counts.begin(), counts.begin() + k, counts.end(), std::greater<int64_t>());
  const int64_t cut = counts[k];
  for (auto it = top_.begin(); it != top_.end();) {
    it->second.count -= cut;
    it = it->second.count <= 0 ? top_.erase(it) : std::next(it);
  }
  top_undercount_ += cut;
}

void FieldProfile::UpdateRange(const Value& v) {
  if (!min_ || CompareCanonical(*spec_, v, *min_) < 0) min_ = v;
  if (!max_ || CompareCanonical(*spec_, v, *max_) > 0) max_ = v;
}

std::string FieldProfile::Shown(const Value& v) const {
  return spec_->personal ? DisplayValue(*spec_, v) : v.ToString();
}

void FieldProfile::AddIssue(const FieldIssue& issue, const std::string& key, const Value* raw) {
  RuleIssues& r = issues_[issue.rule];
  if (r.count++ == 0) {
    r.rule = issue.rule;
    r.hint = issue.hint;
  }
  if (r.examples.size() < limits_.examples_per_rule) {
    r.examples.push_back({key, raw == nullptr ? "(missing)" : DisplayValue(*spec_, *raw),
                          issue.message});
  }
}

FieldSummary FieldProfile::Summarize(size_t top_n) const {
  FieldSummary s;
  s.field = spec_->name;
  s.column = column_;
  s.type = std::string(FieldTypeName(spec_->type));
  s.personal = spec_->personal;
  s.rows = rows_;
  s.filled = filled_;
  s.valid = valid_;
  s.distinct_exact = distinct_exact_;
  if (distinct_exact_) {
    s.distinct = static_cast<int64_t>(exact_hashes_.size());
  } else {
    s.distinct = static_cast<int64_t>(hll_.Estimate() + 0.5);
    s.distinct_error = hll_.StandardError();
  }
  std::vector<std::pair<std::string, int64_t>> top;
  top.reserve(top_.size());
  for (const auto& [h, c] : top_) top.emplace_back(c.value, c.count);
  size_t n = std::min(top_n, top.size());
  std::partial_sort(top.begin(), top.begin() + n, top.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  // Counted by canonical text; shown (masked when personal) from it.
  for (size_t i = 0; i < n; ++i) s.top.push_back({Shown(Value::Text(top[i].first)), top[i].second});
  s.top_undercount = top_undercount_;
  if (min_) s.min = Shown(*min_);
  if (max_) s.max = Shown(*max_);
  s.failing_rows = failing_rows_;
  for (const auto& [rule, r] : issues_) s.issues.push_back(r);
  std::stable_sort(s.issues.begin(), s.issues.end(),
                   [](const RuleIssues& a, const RuleIssues& b) { return a.count > b.count; });
  return s;
}

}  // namespace concord
