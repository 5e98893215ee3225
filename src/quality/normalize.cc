// NormalizeValue's dispatch (one normalizer per data-dictionary type), the helpers the
// normalizers share, FieldIssue rendering and CompareDecimal.
#include "quality/normalize.h"

#include "quality/normalize_internal.h"

namespace concord {

namespace quality_internal {

Normalizer NormalizerFor(FieldType type) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kText:
    case FieldType::kEnum:
    case FieldType::kReference:
    case FieldType::kPhone:  // E.164 with libphonenumber comes with its own normalizer
      return NormalizeText;
    case FieldType::kEmail:
      return NormalizeEmail;
    case FieldType::kInt:
      return NormalizeInt;
    case FieldType::kDecimal:
      return NormalizeDecimal;
    case FieldType::kBool:
      return NormalizeBool;
    case FieldType::kDate:
      return NormalizeDate;
    case FieldType::kTimestamp:
      return NormalizeTimestamp;
  }
  return NormalizeText;
}

Status Expected(const FieldSpec& field, std::string_view what, const Value& raw) {
  std::string m = "expected ";
  m += what;
  m += ", found ";
  m += DisplayValue(field, raw);
  return InvalidArgument(std::move(m));
}

std::string_view TrimAscii(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

int64_t Utf8Length(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace quality_internal

std::string FieldIssue::ToString() const {
  std::string s = "field " + field + ": " + message + " (rule " + rule + ")";
  if (!hint.empty()) s += "; hint: " + hint;
  return s;
}

Result<Value> NormalizeValue(const FieldSpec& field, const Value& raw) {
  if (raw.is_null()) return Value::Null();
  return quality_internal::NormalizerFor(field.type)(field, raw);
}

Result<int> CompareDecimal(const std::string& a, const std::string& b) {
  auto x = quality_internal::ParseDecimal(a);
  if (!x) return InvalidArgument("expected a decimal number, found \"" + a + "\"");
  auto y = quality_internal::ParseDecimal(b);
  if (!y) return InvalidArgument("expected a decimal number, found \"" + b + "\"");
  return quality_internal::CompareDecimals(*x, *y);
}

}  // namespace concord
