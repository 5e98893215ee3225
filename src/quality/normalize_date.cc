// Normalizer for date: "YYYY-MM-DD" from the common layouts, calendar-validated.
#include "quality/normalize_internal.h"

namespace concord::quality_internal {

Result<Value> NormalizeDate(const FieldSpec& field, const Value& raw) {
  constexpr std::string_view kWhat = "a date like 2023-01-31";
  std::string text;
  if (raw.kind() == ValueKind::kText) {
    text = raw.text();
  } else if (raw.kind() == ValueKind::kInt) {
    text = raw.ToString();  // 20230131
  } else {
    return Expected(field, kWhat, raw);
  }
  std::string_view s = TrimAscii(text);
  size_t n = 0;
  auto date = ParseDatePrefix(s, &n);
  if (!date) return Expected(field, kWhat, raw);
  if (n < s.size()) {
    // A timestamp is accepted as a date only when it carries no time of day: converting
    // 08:30 to a date would silently drop information.
    char sep = s[n];
    if (sep != 'T' && sep != 't' && sep != ' ') return Expected(field, kWhat, raw);
    auto time = ParseTimeOfDay(s.substr(n + 1));
    if (!time || !time->IsMidnight()) return Expected(field, kWhat, raw);
  }
  return Value::Text(FormatDate(*date));
}

}  // namespace concord::quality_internal
