// Normalizer for decimal(scale): exact, through decimal text (see decimal.cc).
#include <cmath>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {

Result<Value> NormalizeDecimal(const FieldSpec& field, const Value& raw) {
  constexpr std::string_view kWhat = "a decimal number";
  std::string text;
  switch (raw.kind()) {
    case ValueKind::kInt:
      text = raw.ToString();
      break;
    case ValueKind::kReal:
      // The shortest text that reads back to the same double: 0.1 stays "0.1", not
      // 0.1000000000000000055511151231257827.
      if (!std::isfinite(raw.real_value())) return Expected(field, kWhat, raw);
      text = raw.ToString();
      break;
    case ValueKind::kText: {
      auto d = ParseDecimal(raw.text());
      if (!d) return Expected(field, kWhat, raw);
      return Value::Text(FormatDecimal(std::move(*d), field.scale));
    }
    default:
      return Expected(field, kWhat, raw);
  }
  auto d = ParseDecimal(text);
  if (!d) return Expected(field, kWhat, raw);
  return Value::Text(FormatDecimal(std::move(*d), field.scale));
}

}  // namespace concord::quality_internal
