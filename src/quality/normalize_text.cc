// Normalizers for the text-shaped types: string, text, enum, reference, phone (as text until the
// libphonenumber normalizer lands) and email.
#include <cctype>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {

Result<Value> NormalizeText(const FieldSpec& field, const Value& raw) {
  switch (raw.kind()) {
    case ValueKind::kText:
      return raw;  // as is: no trimming, spaces can be meaningful
    case ValueKind::kInt:
    case ValueKind::kReal:
      return Value::Text(raw.ToString());
    default:
      return Expected(field, "text", raw);
  }
}

Result<Value> NormalizeEmail(const FieldSpec& field, const Value& raw) {
  constexpr std::string_view kWhat = "an email address like name@example.com";
  if (raw.kind() != ValueKind::kText) return Expected(field, kWhat, raw);
  std::string_view s = TrimAscii(raw.text());
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size() ||
      s.find('@', at + 1) != std::string_view::npos) {
    return Expected(field, kWhat, raw);
  }
  for (unsigned char c : s) {
    if (c <= ' ' || c == 0x7F) return Expected(field, kWhat, raw);
  }
  std::string out(s);
  // Domains are case-insensitive; local parts may not be (RFC 5321), so only the domain is
  // lower-cased. Non-ASCII (IDN) domains are kept as written.
  for (size_t i = at + 1; i < out.size(); ++i) {
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  }
  return Value::Text(std::move(out));
}

}  // namespace concord::quality_internal
