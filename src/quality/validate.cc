// ValidateRecord: the data dictionary's rules on a canonical record.
//
// `pattern:` is matched with RE2 rather than ICU's regex: RE2 runs in time linear in the value
// whatever the pattern (no backtracking blow-up on hostile data), and it reads UTF-8, which the
// canonical text already is (ICU would convert every value to UTF-16 first).
#include <re2/re2.h>

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
const RE2* CompiledPattern(const std::string& pattern) {
  static std::shared_mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
  {
    std::shared_lock lock(mu);
    auto it = cache.find(pattern);
    if (it != cache.end()) return it->second.get();
  }
  std::unique_lock lock(mu);
  auto& slot = cache[pattern];
  if (!slot) slot = std::make_unique<RE2>(pattern, RE2::Quiet);
  return slot.get();
}

void CheckPattern(const FieldSpec& field, const Value& v, std::vector<FieldIssue>* issues) {
  const RE2* re = CompiledPattern(field.pattern);
  if (!re->ok()) {
    // The loader refuses such a pattern; this guards specs built in code.
    issues->push_back({field.name, "pattern",
                       "pattern \"" + field.pattern + "\" is not a regular expression (" +
                           re->error() + ")",
                       "fix the data dictionary"});
    return;
  }
  if (!RE2::PartialMatch(v.text(), *re)) {
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

// `number` is `v` read as a decimal (CheckField has read it once for the type check).
void CheckRange(const FieldSpec& field, const Value& v, const quality_internal::Decimal& number,
                std::vector<FieldIssue>* issues) {
  auto bound = [&](const std::optional<std::string>& limit, const char* rule, int bad_sign,
                   const char* words) {
    if (!limit) return;
    auto limit_number = quality_internal::ParseDecimal(*limit);
    if (!limit_number) {
      // The value was checked already; a bound that is not a number is a configuration error
      // that validation should have caught — report it rather than let the value pass.
      issues->push_back({field.name, rule,
                         std::string(rule) + " \"" + *limit + "\" is not a decimal number",
                         "fix the data dictionary"});
      return;
    }
    if (quality_internal::CompareDecimals(number, *limit_number) == bad_sign) {
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
  const bool numeric = field.type == FieldType::kInt || field.type == FieldType::kDecimal;
  // The number, read once for the type check and the range (an Int always reads).
  std::optional<quality_internal::Decimal> number;
  if (numeric && v->kind() == CanonicalKind(field.type)) {
    number =
        quality_internal::ParseDecimal(field.type == FieldType::kInt ? v->ToString() : v->text());
  }
  if (v->kind() != CanonicalKind(field.type) ||
      (field.type == FieldType::kBool && v->int_value() != 0 && v->int_value() != 1) ||
      (field.type == FieldType::kDecimal && !number)) {
    issues->push_back({field.name, "type",
                       "expected a canonical " + std::string(FieldTypeName(field.type)) +
                           " value, found " + std::string(ValueKindName(v->kind())) + " " +
                           DisplayValue(field, *v),
                       "normalize the value (NormalizeValue) before validating"});
    return;
  }
  if (field.max_length && v->kind() == ValueKind::kText) {
    int64_t n = Utf8Length(v->text());
    if (n > *field.max_length) {
      issues->push_back({field.name, "max_length",
                         std::to_string(n) + " characters, longer than max_length " +
                             std::to_string(*field.max_length),
                         "shorten the value in the source system, or raise max_length"});
    }
  }
  if (number && (field.min || field.max)) CheckRange(field, *v, *number, issues);
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
  std::vector<FieldIssue> issues;
  for (const FieldSpec& field : entity.fields) {
    if (!present.count(field.name) && !IsKey(entity, field.name)) continue;
    auto it = record.find(field.name);
    CheckField(entity, field, it == record.end() ? nullptr : &it->second, &issues);
  }
  // A key field the dictionary does not declare cannot be checked against rules, but it must
  // still be there.
  for (const auto& k : entity.key) {
    if (entity.Field(k) != nullptr) continue;
    auto it = record.find(k);
    if (IsMissing(it == record.end() ? nullptr : &it->second)) {
      issues.push_back({k, "key", "required but missing",
                        "every record needs its key; check that the source fills it"});
    }
  }
  return issues;
}

}  // namespace concord
