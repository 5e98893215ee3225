// Normalizers and writers for date and timestamp: canonical "YYYY-MM-DD" and
// "YYYY-MM-DDTHH:MM:SS[.f][Z]" from every layout that means one thing, from the layouts a binding
// declares (dmy, mdy, a pattern, Unix seconds or milliseconds, Excel serials), with naive times
// placed in the binding's time zone; and back, in the binding's layout and zone.
//
// One file for both types: they share the reading of numbers and the zone arithmetic.
#include <cmath>
#include <cstdio>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

constexpr std::string_view kWhatDate = "a date like 2023-01-31";
constexpr std::string_view kWhatTimestamp = "a timestamp like 2023-01-31T08:00:00+08:00";
constexpr std::string_view kNeedsOrder =
    "day and month order is not known: declare format dmy or mdy on the binding";
constexpr std::string_view kTwoDigitYear = "two-digit years are ambiguous";
constexpr std::string_view kOutOfRange = "outside the years 0001 to 9999";

// Excel's 1900 date system: serial 1 is 1900-01-01, and serial 60 is the 1900-02-29 that Lotus
// 1-2-3 invented and Excel kept; from 61 on, serial n is 1899-12-30 plus n days.
constexpr int64_t kExcelMaxSerial = 2958465;  // 9999-12-31

std::string_view What(bool timestamp) { return timestamp ? kWhatTimestamp : kWhatDate; }

// An integer as a number field holds it: Int, an integral Real, or text of an optional sign and
// digits (full-width digits included). nullopt for anything else.
std::optional<int64_t> AsInteger(const Value& raw) {
  switch (raw.kind()) {
    case ValueKind::kInt:
      return raw.int_value();
    case ValueKind::kReal: {
      double v = raw.real_value();
      if (!std::isfinite(v) || std::trunc(v) != v || std::fabs(v) > 1e17) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    case ValueKind::kText: {
      std::string s = Canonicalish(raw.text());
      size_t i = s.size() > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
      if (i == s.size() || s.size() - i > 17) return std::nullopt;
      int64_t v = 0;
      for (size_t k = i; k < s.size(); ++k) {
        if (s[k] < '0' || s[k] > '9') return std::nullopt;
        v = v * 10 + (s[k] - '0');
      }
      return s[0] == '-' ? -v : v;
    }
    default:
      return std::nullopt;
  }
}

int DigitCount(int64_t v) {
  int n = 1;
  for (uint64_t a = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); a >= 10;
       a /= 10) {
    ++n;
  }
  return n;
}

// What a value for a date or timestamp field says.
struct Reading {
  DateTime t;               // as written; in UTC (offset 0) when from_epoch
  bool from_epoch = false;  // a Unix time: an instant, whatever zone the binding has
};

Result<Reading> FromUnix(const FieldSpec& field, const Value& raw, bool timestamp, int64_t v,
                         bool millis) {
  int64_t seconds = millis ? v / 1000 - (v % 1000 < 0 ? 1 : 0) : v;  // floor
  if (seconds < kMinUnixSeconds || seconds > kMaxUnixSeconds) {
    return Expected(field, What(timestamp), raw, kOutOfRange);
  }
  std::string fraction;
  if (millis) {
    int64_t ms = v - seconds * 1000;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03d", static_cast<int>(ms));
    fraction = buf;
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  }
  Reading r{DateTime::FromSeconds(seconds, std::move(fraction)), true};
  r.t.offset = 0;
  return r;
}

Result<Reading> FromExcel(const FieldSpec& field, const Value& raw) {
  // A whole serial only: a fraction is a time of day, which a date field would drop.
  std::optional<int64_t> serial = AsInteger(raw);
  if (!serial && raw.kind() == ValueKind::kText) {
    auto d = ParseDecimal(Canonicalish(raw.text()));
    if (d && d->frac_digits.find_first_not_of('0') == std::string::npos &&
        d->int_digits.size() <= 9) {
      serial = d->int_digits.empty() ? 0 : std::stoll(d->int_digits);
      if (d->negative) serial = -*serial;
    }
  }
  if (!serial) return Expected(field, "an Excel serial day number like 44957", raw);
  if (*serial < 1 || *serial > kExcelMaxSerial) {
    return Expected(field, "an Excel serial day number like 44957", raw,
                    "Excel serials run from 1 (1900-01-01) to 2958465 (9999-12-31)");
  }
  if (*serial == 60) {
    return Expected(field, "an Excel serial day number like 44957", raw,
                    "serial 60 is 1900-02-29, a day that does not exist");
  }
  int64_t base = DaysFromCivil(1899, 12, *serial < 60 ? 31 : 30);
  Reading r;
  r.t.date = CivilFromDays(base + *serial);
  return r;
}

Result<Reading> Read(const FieldSpec& field, const Value& raw, const Compiled& fmt,
                     bool timestamp) {
  const std::string_view what = What(timestamp);
  if (fmt.kind == FormatKind::kUnixSeconds || fmt.kind == FormatKind::kUnixMillis) {
    if (auto v = AsInteger(raw)) {
      return FromUnix(field, raw, timestamp, *v, fmt.kind == FormatKind::kUnixMillis);
    }
  }
  if (fmt.kind == FormatKind::kExcel && raw.kind() != ValueKind::kText)
    return FromExcel(field, raw);
  if (fmt.kind == FormatKind::kExcel && raw.kind() == ValueKind::kText) {
    std::string s = Canonicalish(raw.text());
    if (!s.empty() && s.find_first_not_of("0123456789.") == std::string::npos) {
      return FromExcel(field, raw);
    }
  }
  std::string storage;  // the text, when it is not a trimmed view of raw's own
  std::string_view text;
  switch (raw.kind()) {
    case ValueKind::kInt:
    case ValueKind::kReal: {
      auto v = AsInteger(raw);
      if (!v) return Expected(field, what, raw);
      int digits = DigitCount(*v);
      if (*v > 0 && (digits == 8 || (timestamp && digits == 14))) {
        storage = std::to_string(*v);  // YYYYMMDD, YYYYMMDDHHMMSS
        text = storage;
        break;
      }
      if (timestamp && *v > 0 && (digits == 10 || digits == 13)) {
        return FromUnix(field, raw, timestamp, *v, digits == 13);
      }
      return Expected(field, what, raw,
                      timestamp ? "a number is read as YYYYMMDD[HHMMSS], or as Unix seconds (10 "
                                  "digits) or milliseconds (13 digits); for others declare format "
                                  "unix_s or unix_ms on the binding"
                                : "a number is read as YYYYMMDD; for Unix or Excel numbers "
                                  "declare format unix_s, unix_ms or excel on the binding");
    }
    case ValueKind::kText:
      // Canonicalish without its copy when the text is ASCII (most dates are).
      text = TrimAscii(raw.text());
      if (!IsAscii(text)) {
        storage = Canonicalish(raw.text());
        text = storage;
      }
      break;
    default:
      return Expected(field, what, raw);
  }
  if (timestamp && (text.size() == 10 || text.size() == 13) &&
      text.find_first_not_of("0123456789") == std::string_view::npos && text[0] != '0') {
    return FromUnix(field, raw, timestamp, std::stoll(std::string(text)), text.size() == 13);
  }
  DateRefusal refusal;
  auto t = ParseDateTime(text, fmt.kind,
                         fmt.kind == FormatKind::kDatePattern ? &fmt.pattern : nullptr, &refusal);
  if (!t) {
    switch (refusal) {
      case DateRefusal::kNeedsOrder:
        return Expected(field, what, raw, kNeedsOrder);
      case DateRefusal::kTwoDigitYear:
        return Expected(field, what, raw, kTwoDigitYear);
      default:
        return Expected(field, what, raw);
    }
  }
  return Reading{std::move(*t), false};
}

void AppendTime(std::string* out, const DateTime& t, char sep) {
  out->push_back(sep);
  AppendPadded(out, t.hour, 2);
  out->push_back(':');
  AppendPadded(out, t.minute, 2);
  out->push_back(':');
  AppendPadded(out, t.second, 2);
  if (!t.fraction.empty()) {
    out->push_back('.');
    *out += t.fraction;
  }
}

std::string FormatTime(const DateTime& t, char sep) {
  std::string out;
  out.reserve(10 + t.fraction.size());
  AppendTime(&out, t, sep);
  return out;
}

// "YYYY-MM-DDTHH:MM:SS[.f]" and `suffix`, built in one string (this is on every timestamp).
std::string Iso(const DateTime& t, std::string_view suffix = "") {
  std::string out;
  out.reserve(20 + t.fraction.size() + suffix.size());
  out += FormatDate(t.date);
  AppendTime(&out, t, 'T');
  out += suffix;
  return out;
}

// The instant of a local time in the binding's zone; the refusal reason otherwise.
std::optional<int64_t> PlaceInZone(const Zone& zone, int64_t local, std::string* why) {
  int64_t utc = 0;
  switch (zone.LocalToUtc(local, &utc)) {
    case Zone::Local::kOk:
      return utc;
    case Zone::Local::kSkipped:
      *why = "that time does not exist in " + zone.name() + ": the clocks skip it";
      return std::nullopt;
    case Zone::Local::kRepeated:
      *why = "that time happens twice in " + zone.name() + ": write it with its offset";
      return std::nullopt;
  }
  return std::nullopt;
}

// Whether `v` is a date in canonical form, "YYYY-MM-DD" of a day that exists, and `fmt` the
// default layout, in which it reads and writes as itself: every canonical date, and most dates
// read from a database's DATE column. Checked directly, such a date skips
// the layout parser and the rendering that would give it back unchanged, ~700 instructions each
// way on every date of a copy.
bool IsCanonicalDate(const Value& v, const Compiled& fmt) {
  if (fmt.kind != FormatKind::kCanonical || v.kind() != ValueKind::kText) return false;
  const std::string& s = v.text();
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int d[10];
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    d[i] = s[i] - '0';
    if (d[i] < 0 || d[i] > 9) return false;
  }
  return IsValidDate(d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3], d[5] * 10 + d[6],
                     d[8] * 10 + d[9]);
}

// A canonical date or timestamp as FormatValue receives it.
std::optional<DateTime> ParseCanonical(const Value& v, bool timestamp) {
  if (v.kind() != ValueKind::kText) return std::nullopt;
  DateRefusal refusal;
  auto t = ParseDateTime(v.text(), FormatKind::kCanonical, nullptr, &refusal);
  if (!t || (!timestamp && t->has_time) || (t->offset && *t->offset != 0)) return std::nullopt;
  return t;
}

Status NotCanonical(const FieldSpec& field, const Value& v, bool timestamp) {
  return InvalidArgument("cannot write " + DisplayValue(field, v) + ": not a canonical " +
                         (timestamp ? "timestamp" : "date"));
}

bool PatternHasOffset(const std::vector<DatePatternPart>& pattern) {
  for (const DatePatternPart& p : pattern) {
    if (p.kind == DatePatternPart::Kind::kOffset) return true;
  }
  return false;
}

Value DateText(const DateTime& t, FormatKind kind, const std::vector<DatePatternPart>& pattern,
               bool with_time) {
  char buf[16];
  std::string out;
  switch (kind) {
    case FormatKind::kDayMonthYear:
      std::snprintf(buf, sizeof buf, "%02d-%02d-%04d", t.date.day, t.date.month, t.date.year);
      out = buf;
      break;
    case FormatKind::kMonthDayYear:
      std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", t.date.month, t.date.day, t.date.year);
      out = buf;
      break;
    case FormatKind::kDatePattern:
      return Value::Text(*RenderPattern(pattern, t, std::nullopt));
    default:
      out = FormatDate(t.date);
      if (with_time) return Value::Text(out + FormatTime(t, 'T'));
      return Value::Text(out);
  }
  if (with_time) out += FormatTime(t, ' ');
  return Value::Text(out);
}

}  // namespace

Result<Value> NormalizeDate(const FieldSpec& field, const Value& raw, const Compiled& fmt) {
  if (IsCanonicalDate(raw, fmt)) return raw;
  auto r = Read(field, raw, fmt, /*timestamp=*/false);
  if (!r.ok()) return r.status();
  DateTime t = std::move(r->t);
  if (r->from_epoch) {
    // A Unix time is an instant; its date is the one on the binding's clocks (UTC without one).
    int64_t utc = t.LocalSeconds();
    int offset = fmt.zone ? fmt.zone->OffsetAt(utc) : 0;
    t = DateTime::FromSeconds(utc + offset, t.fraction);
    if (t.date.year < 1 || t.date.year > 9999) return Expected(field, kWhatDate, raw, kOutOfRange);
  }
  // A timestamp is accepted as a date only when it carries no time of day: converting 08:30 to a
  // date would silently drop information.
  if (t.has_time && !t.IsMidnight()) {
    return Expected(field, kWhatDate, raw,
                    r->from_epoch
                        ? "not midnight in " + (fmt.zone ? fmt.zone->name() : std::string("UTC")) +
                              ", so a date would drop its time of day"
                        : std::string("it has a time of day, which a date would drop"));
  }
  return Value::Text(FormatDate(t.date));
}

Result<Value> NormalizeTimestamp(const FieldSpec& field, const Value& raw, const Compiled& fmt) {
  auto r = Read(field, raw, fmt, /*timestamp=*/true);
  if (!r.ok()) return r.status();
  DateTime& t = r->t;
  std::optional<int64_t> utc;
  if (t.offset) {
    utc = t.LocalSeconds() - *t.offset;
  } else if (fmt.zone) {
    std::string why;
    utc = PlaceInZone(*fmt.zone, t.LocalSeconds(), &why);
    if (!utc) return Expected(field, kWhatTimestamp, raw, why);
  }
  if (!utc) return Value::Text(Iso(t));  // a wall-clock time of unknown zone
  if (*utc < kMinUnixSeconds || *utc > kMaxUnixSeconds) {
    return Expected(field, kWhatTimestamp, raw, kOutOfRange);
  }
  return Value::Text(Iso(DateTime::FromSeconds(*utc, std::move(t.fraction)), "Z"));
}

Result<Value> WriteDate(const FieldSpec& field, const Value& canonical, const Compiled& fmt) {
  if (IsCanonicalDate(canonical, fmt)) return canonical;
  auto t = ParseCanonical(canonical, /*timestamp=*/false);
  if (!t) return NotCanonical(field, canonical, false);
  switch (fmt.kind) {
    case FormatKind::kExcel: {
      int64_t days = DaysFromCivil(t->date.year, t->date.month, t->date.day);
      int64_t serial = days - DaysFromCivil(1899, 12, 30);
      if (serial < 61) serial = days - DaysFromCivil(1899, 12, 31);
      if (serial < 1) {
        return InvalidArgument("cannot write " + DisplayValue(field, canonical) +
                               " as an Excel serial: Excel dates start at 1900-01-01");
      }
      return Value::Int(serial);
    }
    case FormatKind::kUnixSeconds:
    case FormatKind::kUnixMillis: {
      int64_t local = t->LocalSeconds();
      int64_t utc = local;
      if (fmt.zone) {
        std::string why;
        auto placed = PlaceInZone(*fmt.zone, local, &why);
        if (!placed) {
          return InvalidArgument("cannot write " + DisplayValue(field, canonical) +
                                 " as a Unix time: midnight " + why);
        }
        utc = *placed;
      }
      return Value::Int(fmt.kind == FormatKind::kUnixMillis ? utc * 1000 : utc);
    }
    default:
      return DateText(*t, fmt.kind, fmt.pattern, /*with_time=*/false);
  }
}

Result<Value> WriteTimestamp(const FieldSpec& field, const Value& canonical, const Compiled& fmt) {
  auto t = ParseCanonical(canonical, /*timestamp=*/true);
  if (!t) return NotCanonical(field, canonical, true);
  // The wall time to write, its offset when known, and the instant when known.
  DateTime local = *t;
  std::optional<int> offset = t->offset;
  std::optional<int64_t> utc;
  if (t->offset) {
    utc = t->LocalSeconds();
    if (fmt.zone) {
      offset = fmt.zone->OffsetAt(*utc);
      local = DateTime::FromSeconds(*utc + *offset, t->fraction);
    }
  } else if (fmt.zone) {
    std::string why;
    utc = PlaceInZone(*fmt.zone, t->LocalSeconds(), &why);
    if (utc) offset = fmt.zone->OffsetAt(*utc);
  }
  // An instant written as a wall time needs the zone to write it in: UTC would be a guess about
  // what the system's column means, and would read back as a time of unknown zone.
  const bool wall_time_layout =
      fmt.kind == FormatKind::kDayMonthYear || fmt.kind == FormatKind::kMonthDayYear ||
      (fmt.kind == FormatKind::kDatePattern && !PatternHasOffset(fmt.pattern));
  if (wall_time_layout && t->offset && !fmt.zone) {
    return InvalidArgument("cannot write " + DisplayValue(field, canonical) + " as \"" + fmt.text +
                           "\": the value is an instant and the column has no "
                           "offset; declare the binding's timezone (UTC if that is what the "
                           "column means)");
  }
  switch (fmt.kind) {
    case FormatKind::kUnixSeconds:
    case FormatKind::kUnixMillis: {
      // A wall time of unknown zone is taken as UTC: there is nothing else to go by.
      int64_t seconds = utc ? *utc : t->LocalSeconds();
      if (fmt.kind == FormatKind::kUnixSeconds) return Value::Int(seconds);
      std::string ms = t->fraction.substr(0, 3);
      ms.append(3 - ms.size(), '0');
      return Value::Int(seconds * 1000 + std::stoi(ms));
    }
    case FormatKind::kDatePattern: {
      if (offset && *offset % 60 != 0 && utc && PatternHasOffset(fmt.pattern)) {
        // Local mean time before 1900 has offsets in seconds, which ±HH:MM cannot hold; the same
        // instant in UTC can.
        offset = 0;
        local = DateTime::FromSeconds(*utc, t->fraction);
      }
      auto text = RenderPattern(fmt.pattern, local, offset);
      if (!text) {
        return InvalidArgument("cannot write " + DisplayValue(field, canonical) +
                               " with format \"" + fmt.text +
                               "\": it has no time zone for XXX (declare the binding's timezone)");
      }
      return Value::Text(std::move(*text));
    }
    case FormatKind::kCanonical:
      if (!fmt.zone) return canonical;  // as it is: "…Z" or a wall time of unknown zone
      return Value::Text(Iso(local));   // the binding's zone is implied, as when reading
    default:
      return DateText(local, fmt.kind, fmt.pattern, /*with_time=*/true);
  }
}

}  // namespace concord::quality_internal
