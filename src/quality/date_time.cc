// Calendar arithmetic and the date / time-of-day grammar shared by the date and timestamp
// normalizers and writers.
//
// Hand-written because the layouts are few and fixed, and the candidates do not fit: std::chrono's
// parse is not in g++ 12's library, ICU's SimpleDateFormat is lenient in ways that guess (it reads
// "2023-13-45" as a date in 2024) and slow. The day-count conversions are Howard Hinnant's
// public-domain civil-date algorithms.
#include <cstdio>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A read position in the text being parsed.
struct Cursor {
  std::string_view s;
  size_t i = 0;

  bool AtEnd() const { return i >= s.size(); }
  char Peek() const { return i < s.size() ? s[i] : '\0'; }
  bool Eat(std::string_view lit) {
    if (s.substr(i, lit.size()) != lit) return false;
    i += lit.size();
    return true;
  }
  bool EatChar(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++i;
    return true;
  }
  size_t SkipSpaces() {
    size_t start = i;
    while (i < s.size() && s[i] == ' ') ++i;
    return i - start;
  }
  // Between `min` and `max` digits; nullopt when fewer than `min`. Does not check what follows.
  std::optional<int> Digits(size_t min, size_t max) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && i - start < max && IsDigit(s[i])) v = v * 10 + (s[i++] - '0');
    if (i - start < min) {
      i = start;
      return std::nullopt;
    }
    return v;
  }
  // Exactly the digits there are (1..max): no digit may follow.
  std::optional<int> Number(size_t min, size_t max) {
    size_t start = i;
    auto v = Digits(min, max);
    if (v && IsDigit(Peek())) {
      i = start;
      return std::nullopt;
    }
    return v;
  }
};

// Fraction digits after '.' or ',': 1..9 digits, trailing zeros removed.
bool ReadFraction(Cursor* c, std::string* fraction) {
  size_t start = c->i;
  while (!c->AtEnd() && IsDigit(c->Peek())) ++c->i;
  size_t n = c->i - start;
  if (n == 0 || n > 9) return false;
  *fraction = std::string(c->s.substr(start, n));
  while (!fraction->empty() && fraction->back() == '0') fraction->pop_back();
  return true;
}

// "Z", "UTC", "GMT", "±HH:MM", "±HHMM", "±HH" at the cursor.
std::optional<int> ReadOffset(Cursor* c) {
  if (c->Eat("Z") || c->Eat("z") || c->Eat("UTC") || c->Eat("GMT")) return 0;
  if (c->Peek() != '+' && c->Peek() != '-') return std::nullopt;
  size_t start = c->i;
  ++c->i;
  if (!c->Digits(2, 2)) {
    c->i = start;
    return std::nullopt;
  }
  if (c->EatChar(':')) {
    if (!c->Digits(2, 2)) {
      c->i = start;
      return std::nullopt;
    }
  } else {
    c->Digits(2, 2);  // ±HHMM, or ±HH alone
  }
  if (IsDigit(c->Peek())) {
    c->i = start;
    return std::nullopt;
  }
  auto offset = ParseUtcOffset(c->s.substr(start, c->i - start));
  if (!offset) c->i = start;
  return offset;
}

bool ValidTime(const DateTime& t) {
  return t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 && t.second >= 0 &&
         t.second <= 59;
}

// 12-hour clock: hour 1..12 with the half of the day.
bool ApplyHalfDay(DateTime* t, bool pm) {
  if (t->hour < 1 || t->hour > 12) return false;
  if (pm && t->hour != 12) t->hour += 12;
  if (!pm && t->hour == 12) t->hour = 0;
  return true;
}

// The time of day (and offset) at the cursor, to the end of the text:
//   [上午|下午] H:MM[:SS[.f]] [AM|PM] [zone]      [上午|下午] H(时|点)[M分[S秒]] [zone]
bool ReadTime(Cursor* c, DateTime* t) {
  std::optional<bool> pm;
  if (c->Eat("上午")) {
    pm = false;
  } else if (c->Eat("下午")) {
    pm = true;
  }
  if (pm) c->SkipSpaces();
  auto hour = c->Number(1, 2);
  if (!hour) return false;
  t->hour = *hour;
  t->has_time = true;
  if (c->EatChar(':')) {
    auto minute = c->Number(2, 2);
    if (!minute) return false;
    t->minute = *minute;
    if (c->EatChar(':')) {
      auto second = c->Number(2, 2);
      if (!second) return false;
      t->second = *second;
      if (c->EatChar('.') || c->EatChar(',')) {
        if (!ReadFraction(c, &t->fraction)) return false;
      }
    }
  } else if (c->Eat("时") || c->Eat("点")) {
    if (!c->AtEnd() && IsDigit(c->Peek())) {
      auto minute = c->Number(1, 2);
      if (!minute || !c->Eat("分")) return false;
      t->minute = *minute;
      if (!c->AtEnd() && IsDigit(c->Peek())) {
        auto second = c->Number(1, 2);
        if (!second || !c->Eat("秒")) return false;
        t->second = *second;
      }
    }
  } else {
    return false;
  }
  if (!pm) {
    size_t before = c->i;
    c->SkipSpaces();
    if (c->Eat("AM") || c->Eat("am")) {
      pm = false;
    } else if (c->Eat("PM") || c->Eat("pm")) {
      pm = true;
    } else {
      c->i = before;
    }
  }
  if (pm && !ApplyHalfDay(t, *pm)) return false;
  if (!c->AtEnd()) {
    size_t before = c->i;
    size_t spaces = c->SkipSpaces();
    if (spaces > 1) return false;
    auto offset = ReadOffset(c);
    if (!offset) {
      c->i = before;
      return false;
    }
    t->offset = *offset;
  }
  return c->AtEnd() && ValidTime(*t);
}

// After a date: the end, or a separator and the time of day.
bool ReadRest(Cursor* c, DateTime* t, bool after_chinese_day) {
  if (c->AtEnd()) return true;
  if (c->EatChar('T') || c->EatChar('t')) return ReadTime(c, t);
  if (c->SkipSpaces() > 0 || after_chinese_day) return ReadTime(c, t);
  return false;
}

bool ValidDate(const DateTime& t) { return IsValidDate(t.date.year, t.date.month, t.date.day); }

// YYYY-M-D, YYYY/M/D, YYYY.M.D (the same separator twice), YYYYMMDD, YYYY年M月D日.
std::optional<DateTime> ReadYearFirst(Cursor c) {
  DateTime t;
  auto year = c.Digits(4, 4);
  if (!year) return std::nullopt;
  t.date.year = *year;
  bool chinese = false;
  char sep = c.Peek();
  if (sep == '-' || sep == '/' || sep == '.') {
    ++c.i;
    auto month = c.Number(1, 2);
    if (!month || !c.EatChar(sep)) return std::nullopt;
    auto day = c.Number(1, 2);
    if (!day) return std::nullopt;
    t.date.month = *month;
    t.date.day = *day;
  } else if (Cursor probe = c; probe.SkipSpaces(), probe.Eat("年")) {
    c = probe;
    c.SkipSpaces();
    auto month = c.Number(1, 2);
    c.SkipSpaces();
    if (!month || !c.Eat("月")) return std::nullopt;
    c.SkipSpaces();
    auto day = c.Number(1, 2);
    c.SkipSpaces();
    if (!day || !c.Eat("日")) return std::nullopt;
    t.date.month = *month;
    t.date.day = *day;
    chinese = true;
  } else {
    auto month = c.Digits(2, 2);
    auto day = month ? c.Number(2, 2) : std::nullopt;
    if (!day) return std::nullopt;
    t.date.month = *month;
    t.date.day = *day;
  }
  if (!ValidDate(t) || !ReadRest(&c, &t, chinese)) return std::nullopt;
  return t;
}

// D-M-YYYY or M-D-YYYY (separators - / . , the same twice).
std::optional<DateTime> ReadYearLast(Cursor c, bool day_first) {
  DateTime t;
  auto a = c.Number(1, 2);
  char sep = c.Peek();
  if (!a || (sep != '-' && sep != '/' && sep != '.')) return std::nullopt;
  ++c.i;
  auto b = c.Number(1, 2);
  if (!b || !c.EatChar(sep)) return std::nullopt;
  auto year = c.Number(4, 4);
  if (!year) return std::nullopt;
  t.date = {*year, day_first ? *b : *a, day_first ? *a : *b};
  if (!ValidDate(t) || !ReadRest(&c, &t, false)) return std::nullopt;
  return t;
}

// What a text that no layout read looks like, for the message.
DateRefusal Classify(std::string_view s) {
  Cursor c{s};
  auto a = c.Number(1, 4);
  char sep = c.Peek();
  if (!a || (sep != '-' && sep != '/' && sep != '.')) return DateRefusal::kUnknown;
  size_t first_len = c.i;
  ++c.i;
  auto b = c.Number(1, 2);
  if (!b || !c.EatChar(sep)) return DateRefusal::kUnknown;
  size_t before_last = c.i;
  auto last = c.Number(1, 4);
  if (!last) return DateRefusal::kUnknown;
  size_t last_len = c.i - before_last;
  if (first_len <= 2 && last_len == 4) return DateRefusal::kNeedsOrder;
  if (first_len <= 2 && last_len <= 2) return DateRefusal::kTwoDigitYear;
  return DateRefusal::kUnknown;
}

std::optional<DateTime> ReadPattern(std::string_view s, const std::vector<DatePatternPart>& parts) {
  using K = DatePatternPart::Kind;
  Cursor c{s};
  DateTime t;
  for (size_t p = 0; p < parts.size(); ++p) {
    const DatePatternPart& part = parts[p];
    std::optional<int> v;
    switch (part.kind) {
      case K::kLiteral:
        if (!c.Eat(part.literal)) return std::nullopt;
        continue;
      case K::kOffset: {
        auto offset = ReadOffset(&c);
        if (!offset) return std::nullopt;
        t.offset = *offset;
        continue;
      }
      case K::kMillis:
        if (!ReadFraction(&c, &t.fraction)) return std::nullopt;
        continue;
      case K::kYear:
        v = c.Digits(4, 4);
        if (v) t.date.year = *v;
        break;
      case K::kMonth2:
      case K::kMonth:
        v = part.kind == K::kMonth ? c.Digits(1, 2) : c.Digits(2, 2);
        if (v) t.date.month = *v;
        break;
      case K::kDay2:
      case K::kDay:
        v = part.kind == K::kDay ? c.Digits(1, 2) : c.Digits(2, 2);
        if (v) t.date.day = *v;
        break;
      case K::kHour2:
      case K::kHour:
        v = part.kind == K::kHour ? c.Digits(1, 2) : c.Digits(2, 2);
        if (v) {
          t.hour = *v;
          t.has_time = true;
        }
        break;
      case K::kMinute:
        v = c.Digits(2, 2);
        if (v) t.minute = *v;
        break;
      case K::kSecond:
        v = c.Digits(2, 2);
        if (v) t.second = *v;
        break;
    }
    if (!v) return std::nullopt;
  }
  if (!c.AtEnd() || !ValidDate(t) || !ValidTime(t)) return std::nullopt;
  return t;
}

}  // namespace

void AppendPadded(std::string* out, int value, int width) {
  char digits[12];
  int n = 0;
  unsigned v = value < 0 ? 0u : static_cast<unsigned>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(digits[--n]);
}

std::string FormatDate(const CivilDate& d) {
  // By hand rather than snprintf: this is on every date and timestamp, and printf's format
  // interpretation costs more than the rest of the normalizer. Years 1-9999 (IsValidDate) in
  // place; others through AppendPadded.
  if (d.year < 1 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) {
    std::string out;
    AppendPadded(&out, d.year, 4);
    out.push_back('-');
    AppendPadded(&out, d.month, 2);
    out.push_back('-');
    AppendPadded(&out, d.day, 2);
    return out;
  }
  char buf[10] = {static_cast<char>('0' + d.year / 1000),
                  static_cast<char>('0' + d.year / 100 % 10),
                  static_cast<char>('0' + d.year / 10 % 10),
                  static_cast<char>('0' + d.year % 10),
                  '-',
                  static_cast<char>('0' + d.month / 10),
                  static_cast<char>('0' + d.month % 10),
                  '-',
                  static_cast<char>('0' + d.day / 10),
                  static_cast<char>('0' + d.day % 10)};
  return std::string(buf, sizeof buf);
}

std::string FormatOffset(int seconds) {
  if (seconds == 0) return "Z";
  char sign = seconds < 0 ? '-' : '+';
  int a = seconds < 0 ? -seconds : seconds;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, a / 3600, a / 60 % 60);
  return buf;
}

int64_t DateTime::LocalSeconds() const {
  return DaysFromCivil(date.year, date.month, date.day) * 86400 + hour * 3600 + minute * 60 +
         second;
}

DateTime DateTime::FromSeconds(int64_t seconds, std::string fraction) {
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  DateTime t;
  t.date = CivilFromDays(days);
  t.has_time = true;
  t.hour = static_cast<int>(rem / 3600);
  t.minute = static_cast<int>(rem / 60 % 60);
  t.second = static_cast<int>(rem % 60);
  t.fraction = std::move(fraction);
  return t;
}

std::optional<DateTime> ParseDateTime(std::string_view s, FormatKind kind,
                                      const std::vector<DatePatternPart>* pattern,
                                      DateRefusal* refusal) {
  *refusal = DateRefusal::kUnknown;
  if (pattern != nullptr) {
    if (auto t = ReadPattern(s, *pattern)) return t;
  }
  bool digits_only = !s.empty();
  for (char ch : s) digits_only = digits_only && IsDigit(ch);
  if (digits_only && s.size() == 14) {  // YYYYMMDDHHMMSS
    Cursor c{s};
    DateTime t;
    t.date = {*c.Digits(4, 4), *c.Digits(2, 2), *c.Digits(2, 2)};
    t.hour = *c.Digits(2, 2);
    t.minute = *c.Digits(2, 2);
    t.second = *c.Digits(2, 2);
    t.has_time = true;
    if (ValidDate(t) && ValidTime(t)) return t;
    *refusal = DateRefusal::kInvalidDate;
    return std::nullopt;
  }
  if (auto t = ReadYearFirst(Cursor{s})) return t;
  if (kind == FormatKind::kDayMonthYear || kind == FormatKind::kMonthDayYear) {
    if (auto t = ReadYearLast(Cursor{s}, kind == FormatKind::kDayMonthYear)) return t;
  }
  *refusal = Classify(s);
  if (*refusal == DateRefusal::kNeedsOrder &&
      (kind == FormatKind::kDayMonthYear || kind == FormatKind::kMonthDayYear ||
       kind == FormatKind::kDatePattern)) {
    *refusal = DateRefusal::kUnknown;  // the order was known; the date or time is wrong
  }
  return std::nullopt;
}

std::optional<std::string> RenderPattern(const std::vector<DatePatternPart>& pattern,
                                         const DateTime& t, std::optional<int> offset) {
  using K = DatePatternPart::Kind;
  std::string out;
  char buf[16];
  for (const DatePatternPart& part : pattern) {
    switch (part.kind) {
      case K::kLiteral:
        out += part.literal;
        continue;
      case K::kYear:
        std::snprintf(buf, sizeof buf, "%04d", t.date.year);
        break;
      case K::kMonth2:
        std::snprintf(buf, sizeof buf, "%02d", t.date.month);
        break;
      case K::kMonth:
        std::snprintf(buf, sizeof buf, "%d", t.date.month);
        break;
      case K::kDay2:
        std::snprintf(buf, sizeof buf, "%02d", t.date.day);
        break;
      case K::kDay:
        std::snprintf(buf, sizeof buf, "%d", t.date.day);
        break;
      case K::kHour2:
        std::snprintf(buf, sizeof buf, "%02d", t.hour);
        break;
      case K::kHour:
        std::snprintf(buf, sizeof buf, "%d", t.hour);
        break;
      case K::kMinute:
        std::snprintf(buf, sizeof buf, "%02d", t.minute);
        break;
      case K::kSecond:
        std::snprintf(buf, sizeof buf, "%02d", t.second);
        break;
      case K::kMillis: {
        std::string ms = t.fraction.substr(0, 3);
        ms.append(3 - ms.size(), '0');
        out += ms;
        continue;
      }
      case K::kOffset:
        if (!offset) return std::nullopt;
        out += FormatOffset(*offset);
        continue;
    }
    out += buf;
  }
  return out;
}

}  // namespace concord::quality_internal
