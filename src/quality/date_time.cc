// Calendar arithmetic and the date / time-of-day grammar shared by the date and timestamp
// normalizers.
//
// Hand-written because the layouts are few and fixed, and std::chrono's parse (the only
// candidate without a new dependency) is not in g++ 12's library. The day-count conversions
// are Howard Hinnant's public-domain civil-date algorithms.
#include <cstdio>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads between `min` and `max` digits at s[*i]; nullopt when fewer than `min`.
std::optional<int> ReadDigits(std::string_view s, size_t* i, size_t min, size_t max) {
  size_t start = *i;
  int v = 0;
  while (*i < s.size() && *i - start < max && IsDigit(s[*i])) v = v * 10 + (s[(*i)++] - '0');
  if (*i - start < min) return std::nullopt;
  return v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

bool IsValidDate(int year, int month, int day) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  int max_day = kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  return day <= max_day;
}

int64_t DaysFromCivil(int year, int month, int day) {
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(y + (m <= 2 ? 1 : 0)), m, d};
}

std::string FormatDate(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::optional<CivilDate> ParseDatePrefix(std::string_view s, size_t* consumed) {
  size_t i = 0;
  auto year = ReadDigits(s, &i, 4, 4);
  if (!year) return std::nullopt;
  std::optional<int> month, day;
  if (i < s.size() && (s[i] == '-' || s[i] == '/')) {
    char sep = s[i++];
    month = ReadDigits(s, &i, 1, 2);
    if (!month || i >= s.size() || s[i] != sep) return std::nullopt;
    ++i;
    day = ReadDigits(s, &i, 1, 2);
  } else {
    month = ReadDigits(s, &i, 2, 2);
    if (month) day = ReadDigits(s, &i, 2, 2);
  }
  if (!month || !day) return std::nullopt;
  if (i < s.size() && IsDigit(s[i])) return std::nullopt;  // "2023-01-311", "202301311"
  if (!IsValidDate(*year, *month, *day)) return std::nullopt;
  *consumed = i;
  return CivilDate{*year, *month, *day};
}

std::optional<TimeOfDay> ParseTimeOfDay(std::string_view s) {
  TimeOfDay t;
  size_t i = 0;
  auto hour = ReadDigits(s, &i, 1, 2);
  if (!hour || i >= s.size() || s[i] != ':') return std::nullopt;
  ++i;
  auto minute = ReadDigits(s, &i, 2, 2);
  if (!minute) return std::nullopt;
  t.hour = *hour;
  t.minute = *minute;
  if (i < s.size() && s[i] == ':') {
    ++i;
    auto second = ReadDigits(s, &i, 2, 2);
    if (!second) return std::nullopt;
    t.second = *second;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      size_t start = i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i == start || i - start > 9) return std::nullopt;  // at most nanoseconds
      t.fraction = std::string(s.substr(start, i - start));
      while (!t.fraction.empty() && t.fraction.back() == '0') t.fraction.pop_back();
    }
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return std::nullopt;
  if (i < s.size() && s[i] == ' ' && i + 1 < s.size() && (s[i + 1] == '+' || s[i + 1] == '-')) {
    ++i;  // "08:00:00 +08:00"
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    t.zone = "Z";
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    char sign = s[i++];
    auto zh = ReadDigits(s, &i, 2, 2);
    if (!zh) return std::nullopt;
    int zm = 0;
    if (i < s.size()) {
      if (s[i] == ':') ++i;
      auto m = ReadDigits(s, &i, 2, 2);
      if (!m) return std::nullopt;
      zm = *m;
    }
    if (*zh > 14 || zm > 59 || (*zh == 14 && zm != 0)) return std::nullopt;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, *zh, zm);
    t.zone = buf;
  }
  if (i != s.size()) return std::nullopt;
  return t;
}

}  // namespace concord::quality_internal
