// Normalizer for timestamp: "YYYY-MM-DDTHH:MM:SS[.fraction][zone]" from the common layouts and
// from Unix seconds.
#include <cmath>
#include <cstdio>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

constexpr std::string_view kWhat = "a timestamp like 2023-01-31T08:00:00+08:00";

std::string Format(const CivilDate& d, const TimeOfDay& t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d", t.hour, t.minute, t.second);
  std::string out = FormatDate(d) + buf;
  if (!t.fraction.empty()) out += "." + t.fraction;
  out += t.zone;
  return out;
}

Result<Value> FromUnixSeconds(const FieldSpec& field, const Value& raw, int64_t secs) {
  static const int64_t kMinDay = DaysFromCivil(1, 1, 1);
  static const int64_t kMaxDay = DaysFromCivil(9999, 12, 31);
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  if (days < kMinDay || days > kMaxDay) return Expected(field, kWhat, raw);
  TimeOfDay t;
  t.hour = static_cast<int>(rem / 3600);
  t.minute = static_cast<int>(rem / 60 % 60);
  t.second = static_cast<int>(rem % 60);
  t.zone = "Z";
  return Value::Text(Format(CivilFromDays(days), t));
}

}  // namespace

Result<Value> NormalizeTimestamp(const FieldSpec& field, const Value& raw) {
  switch (raw.kind()) {
    case ValueKind::kInt:
      return FromUnixSeconds(field, raw, raw.int_value());
    case ValueKind::kReal: {
      double v = raw.real_value();
      // Whole seconds only; +-1e15 s is far beyond year 9999 and keeps the cast defined.
      if (!std::isfinite(v) || std::trunc(v) != v || std::fabs(v) > 1e15) {
        return Expected(field, kWhat, raw);
      }
      return FromUnixSeconds(field, raw, static_cast<int64_t>(v));
    }
    case ValueKind::kText:
      break;
    default:
      return Expected(field, kWhat, raw);
  }
  std::string_view s = TrimAscii(raw.text());
  size_t n = 0;
  auto date = ParseDatePrefix(s, &n);
  if (!date) return Expected(field, kWhat, raw);
  TimeOfDay time;
  if (n < s.size()) {
    char sep = s[n];
    if (sep != 'T' && sep != 't' && sep != ' ') return Expected(field, kWhat, raw);
    auto parsed = ParseTimeOfDay(s.substr(n + 1));
    if (!parsed) return Expected(field, kWhat, raw);
    time = std::move(*parsed);
  }
  return Value::Text(Format(*date, time));
}

}  // namespace concord::quality_internal
