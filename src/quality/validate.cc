// ValidateRecord: the data dictionary's rules on a canonical record.
//
// `pattern:` is matched with RE2 rather than ICU's regex: RE2 runs in time linear in the value
// whatever the pattern (no backtracking blow-up on hostile data), and it reads UTF-8, which the
// canonical text already is (ICU would convert every value to UTF-16 first).
#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "quality/normalize.h"
#include "quality/normalize_internal.h"

namespace concord {
namespace {

using quality_internal::Utf8Length;

bool IsKey(const EntitySpec& entity, const std::string& field) {
  for (const auto& k : entity.key) {
    if (k == field) return true;
  }
  return false;
}

bool IsMissing(const Value* v) {
  return v == nullptr || v->is_null() || (v->kind() == ValueKind::kText && v->text().empty());
}

// The storage kind each type's canonical form has (see normalize.h).
ValueKind CanonicalKind(FieldType type) {
  return type == FieldType::kInt || type == FieldType::kBool ? ValueKind::kInt : ValueKind::kText;
}

// A number as it appears in min/max messages: unquoted, masked when personal.
std::string DisplayNumber(const FieldSpec& field, const Value& v) {
  if (field.personal) return DisplayValue(field, v);
  return v.ToString();
}

// The compiled form of a pattern, compiled once per process: ValidateRecord takes the spec, not a
// compiled validator, and runs for every record. RE2 objects are safe to share between threads.
// Each thread also remembers the patterns it has used (a dictionary has a handful), so that the
// record path takes neither the lock nor a hash of the pattern.
const RE2* CompiledPattern(const std::string& pattern) {
  constexpr size_t kRemembered = 16;
  thread_local std::vector<std::pair<std::string, const RE2*>> remembered;
  for (const auto& [text, re] : remembered) {
    if (text == pattern) return re;
  }
  static std::shared_mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
  const RE2* re = nullptr;
  {
    std::shared_lock lock(mu);
    auto it = cache.find(pattern);
    if (it != cache.end()) re = it->second.get();
  }
  if (re == nullptr) {
    std::unique_lock lock(mu);
    auto& slot = cache[pattern];
    if (!slot) slot = std::make_unique<RE2>(pattern, RE2::Quiet);
    re = slot.get();  // never freed: the pointer stays valid for every thread
  }
  if (remembered.size() < kRemembered) remembered.emplace_back(pattern, re);
  return re;
}

void CheckPattern(const FieldSpec& field, const Value& v, std::vector<FieldIssue>* issues) {
  const RE2* re = CompiledPattern(field.pattern);
  if (!re->ok()) {
    // The loader refuses such a pattern; this guards specs built in code.
    issues->push_back(
        {field.name, "pattern",
         "pattern \"" + field.pattern + "\" is not a regular expression (" + re->error() + ")",
         "fix the data dictionary"});
    return;
  }
  // PartialMatch without arguments, without its argument handling.
  const std::string& text = v.text();
  if (!re->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                 nullptr, 0)) {
    issues->push_back({field.name, "pattern",
                       DisplayValue(field, v) + " does not match pattern " + field.pattern,
                       "fix the value in the source system, or the field's pattern"});
  }
}

std::string Join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

// Numbers as canonical values and bounds mostly are ("-1234.50", "0", an Int) are compared as
// integers (quality_internal::ReadPlainNumber), without building digit strings: exactly what
// ParseDecimal and CompareDecimals give for them; other texts take that path.
using quality_internal::PlainNumber;
using quality_internal::ReadPlainNumber;

PlainNumber PlainOf(int64_t v) {
  PlainNumber p;
  p.negative = v < 0;
  p.digits = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  return p;
}

// -1, 0, 1; -0 equals 0. Magnitudes below 2^64 scaled by at most 10^18 fit in 128 bits.
int ComparePlain(const PlainNumber& a, const PlainNumber& b) {
  const int sa = a.digits == 0 ? 0 : a.negative ? -1 : 1;
  const int sb = b.digits == 0 ? 0 : b.negative ? -1 : 1;
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  unsigned __int128 x = a.digits, y = b.digits;
  for (int k = a.scale; k < b.scale; ++k) x *= 10;
  for (int k = b.scale; k < a.scale; ++k) y *= 10;
  const int magnitude = x < y ? -1 : x > y ? 1 : 0;
  return sa < 0 ? -magnitude : magnitude;
}

// `plain` / `number`: `v` as CheckField read it for the type check (one of them is set).
void CheckRange(const FieldSpec& field, const Value& v, const std::optional<PlainNumber>& plain,
                const std::optional<quality_internal::Decimal>& number,
                std::vector<FieldIssue>* issues) {
  auto bound = [&](const std::optional<std::string>& limit, const char* rule, int bad_sign,
                   const char* words) {
    if (!limit) return;
    int sign;
    std::optional<PlainNumber> plain_limit;
    if (plain && (plain_limit = ReadPlainNumber(*limit))) {
      sign = ComparePlain(*plain, *plain_limit);
    } else {
      auto limit_number = quality_internal::ParseDecimal(*limit);
      if (!limit_number) {
        // The value was checked already; a bound that is not a number is a configuration error
        // that validation should have caught — report it rather than let the value pass.
        issues->push_back({field.name, rule,
                           std::string(rule) + " \"" + *limit + "\" is not a decimal number",
                           "fix the data dictionary"});
        return;
      }
      std::optional<quality_internal::Decimal> value_number = number;
      if (!value_number) {
        value_number =
            quality_internal::ParseDecimal(v.kind() == ValueKind::kInt ? v.ToString() : v.text());
      }
      sign = quality_internal::CompareDecimals(*value_number, *limit_number);
    }
    if (sign == bad_sign) {
      issues->push_back({field.name, rule,
                         DisplayNumber(field, v) + " is " + words + " " + rule + " " + *limit,
                         "fix the value in the source system"});
    }
  };
  bound(field.min, "min", -1, "below");
  bound(field.max, "max", 1, "above");
}

void CheckField(const EntitySpec& entity, const FieldSpec& field, const Value* v,
                std::vector<FieldIssue>* issues) {
  if (IsMissing(v)) {
    if (IsKey(entity, field.name)) {
      issues->push_back({field.name, "key", "required but missing",
                         "every record needs its key; check that the source fills it"});
    } else if (field.required) {
      issues->push_back({field.name, "required", "required but missing",
                         "fill it in the source system, or make the field optional"});
    }
    return;  // "" counts as absent: no other rule applies to it
  }
  // The number, read once for the type check and the range: plainly where it can be (an Int
  // always), else by ParseDecimal.
  std::optional<PlainNumber> plain;
  std::optional<quality_internal::Decimal> number;
  if (field.type == FieldType::kDecimal && v->kind() == ValueKind::kText) {
    plain = ReadPlainNumber(v->text());
    if (!plain) number = quality_internal::ParseDecimal(v->text());
  } else if (field.type == FieldType::kInt && v->kind() == ValueKind::kInt) {
    plain = PlainOf(v->int_value());
  }
  if (v->kind() != CanonicalKind(field.type) ||
      (field.type == FieldType::kBool && v->int_value() != 0 && v->int_value() != 1) ||
      (field.type == FieldType::kDecimal && !plain && !number)) {
    issues->push_back({field.name, "type",
                       "expected a canonical " + std::string(FieldTypeName(field.type)) +
                           " value, found " + std::string(ValueKindName(v->kind())) + " " +
                           DisplayValue(field, *v),
                       "normalize the value (NormalizeValue) before validating"});
    return;
  }
  // A text has no more characters than bytes: only one longer in bytes is counted (~230
  // instructions a record of the bench's customer otherwise).
  if (field.max_length && v->kind() == ValueKind::kText &&
      static_cast<int64_t>(v->text().size()) > *field.max_length) {
    int64_t n = Utf8Length(v->text());
    if (n > *field.max_length) {
      issues->push_back({field.name, "max_length",
                         std::to_string(n) + " characters, longer than max_length " +
                             std::to_string(*field.max_length),
                         "shorten the value in the source system, or raise max_length"});
    }
  }
  if ((field.min || field.max) && (plain || number)) CheckRange(field, *v, plain, number, issues);
  if (!field.pattern.empty() && v->kind() == ValueKind::kText) CheckPattern(field, *v, issues);
  if (field.type == FieldType::kEnum && !field.values.empty()) {
    const std::string& text = v->text();
    bool found = false;
    for (const auto& allowed : field.values) found = found || allowed == text;
    if (!found) {
      issues->push_back({field.name, "enum",
                         DisplayValue(field, *v) + " is not one of " + Join(field.values),
                         "translate the system's code with a value map in the binding, e.g. "
                         "map: {<code>: " +
                             field.values.front() + "}"});
    }
  }
}

}  // namespace

std::vector<FieldIssue> ValidateRecord(const EntitySpec& entity, const Record& record,
                                       const std::set<std::string>& present) {
  return ValidateRecord(record, PlanValidation(entity, present));
}

ValidationPlan PlanValidation(const EntitySpec& entity, const std::set<std::string>& present) {
  ValidationPlan plan;
  plan.entity = &entity;
  plan.checked.resize(entity.fields.size());
  for (size_t i = 0; i < entity.fields.size(); ++i) {
    const std::string& name = entity.fields[i].name;
    plan.checked[i] = present.count(name) > 0 || IsKey(entity, name);
  }
  for (const auto& k : entity.key) {
    if (entity.Field(k) == nullptr) plan.undeclared_keys.push_back(k);
  }
  return plan;
}

// The fields the plan checks, in declaration order (the order of their issues), each found in the
// record; then the key fields the dictionary does not declare, which must still be there.
std::vector<FieldIssue> ValidateRecord(const Record& record, const ValidationPlan& plan) {
  const EntitySpec& entity = *plan.entity;
  const size_t n = entity.fields.size();
  // Where in the last record each field was (FindAt): a binding's records have the same fields
  // every time, so one comparison mostly finds it.
  thread_local std::vector<uint32_t> record_at;
  if (record_at.size() < n) record_at.resize(n);
  std::vector<FieldIssue> issues;
  for (size_t i = 0; i < n; ++i) {
    if (!plan.checked[i]) continue;
    const FieldSpec& field = entity.fields[i];
    CheckField(entity, field, FindAt(record, field.name, &record_at[i]), &issues);
  }
  for (const std::string& k : plan.undeclared_keys) {
    auto it = record.find(k);
    if (IsMissing(it == record.end() ? nullptr : &it->second)) {
      issues.push_back({k, "key", "required but missing",
                        "every record needs its key; check that the source fills it"});
    }
  }
  return issues;
}

}  // namespace concord
