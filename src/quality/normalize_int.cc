// Normalizer for int: Int as is; an integral Real; text of an optional sign and digits (full-width
// digits too).
#include <cmath>
#include <cstdint>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

constexpr std::string_view kWhat = "an integer";
constexpr std::string_view kWhatRange =
    "an integer between -9223372036854775808 and 9223372036854775807";

}  // namespace

Result<Value> NormalizeInt(const FieldSpec& field, const Value& raw, const Compiled&) {
  switch (raw.kind()) {
    case ValueKind::kInt:
      return raw;
    case ValueKind::kReal: {
      double v = raw.real_value();
      if (!std::isfinite(v) || std::trunc(v) != v) return Expected(field, kWhat, raw);
      // 2^63 is exactly representable; every integral double below it fits in int64.
      if (v < -9223372036854775808.0 || v >= 9223372036854775808.0) {
        return Expected(field, kWhatRange, raw);
      }
      return Value::Int(static_cast<int64_t>(v));
    }
    case ValueKind::kText: {
      const std::string text = Canonicalish(raw.text());  // full-width digits are digits
      std::string_view s = text;
      bool negative = false;
      size_t i = 0;
      if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        i = 1;
      }
      if (i == s.size()) return Expected(field, kWhat, raw);
      // Accumulate the magnitude; the negative range is one larger than the positive one.
      const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
      uint64_t magnitude = 0;
      bool overflow = false;
      for (; i < s.size(); ++i) {
        char c = s[i];
        if (c < '0' || c > '9') return Expected(field, kWhat, raw);
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (magnitude > (limit - digit) / 10) overflow = true;
        if (!overflow) magnitude = magnitude * 10 + digit;
      }
      if (overflow) return Expected(field, kWhatRange, raw);
      if (negative) return Value::Int(static_cast<int64_t>(0 - magnitude));
      return Value::Int(static_cast<int64_t>(magnitude));
    }
    default:
      return Expected(field, kWhat, raw);
  }
}

}  // namespace concord::quality_internal
