#include "connectors/postgres/pg_binary.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "connectors/postgres/pg_types.h"
#include "core/civil_date.h"

namespace concord::postgres_connector {
namespace {

constexpr Oid kJsonOid = 114;
constexpr Oid kUuidOid = 2950;

// The zero of the binary date and timestamp forms, 2000-01-01, in days since 1970-01-01.
constexpr int64_t kPostgresEpochDay = DaysFromCivil(2000, 1, 1);

// Writes `v`'s low `bytes` bytes at `at`, most significant first; returns the end.
char* PutBigEndian(char* at, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    at[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return at + bytes;
}

// Appends a field of `n` bytes from `data` whose length is known only at run time.
void AppendSized(std::string* out, const char* data, size_t n) {
  char length[4];
  PutBigEndian(length, n, 4);
  out->append(length, 4);
  out->append(data, n);
}

// Appends a fixed-size field: its length (`bytes`), then `v`'s low `bytes` bytes, in one append.
void AppendFixed(std::string* out, uint64_t v, int bytes) {
  char field[12];
  PutBigEndian(PutBigEndian(field, static_cast<uint64_t>(bytes), 4), v, bytes);
  out->append(field, static_cast<size_t>(4 + bytes));
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view t, std::string_view lower) {
  if (t.size() != lower.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (Lower(t[i]) != lower[i]) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `n` digits at t[pos], as a number; false unless all are digits.
bool Digits(std::string_view t, size_t pos, size_t n, int* v) {
  if (pos + n > t.size()) return false;
  int x = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(t[i])) return false;
    x = x * 10 + (t[i] - '0');
  }
  *v = x;
  return true;
}

// An integer, as int8in/int4in/int2in read it without spaces: [-]digits, in [lo, hi].
bool ParseInteger(std::string_view t, int64_t lo, int64_t hi, int64_t* v) {
  const char* end = t.data() + t.size();
  auto [p, ec] = std::from_chars(t.data(), end, *v);
  return ec == std::errc() && p == end && *v >= lo && *v <= hi;
}

bool ParseBool(std::string_view t, bool* b) {
  for (std::string_view yes : {"t", "true", "y", "yes", "on", "1"}) {
    if (EqualsIgnoringCase(t, yes)) return *b = true, true;
  }
  for (std::string_view no : {"f", "false", "n", "no", "off", "0"}) {
    if (EqualsIgnoringCase(t, no)) return *b = false, true;
  }
  return false;
}

// A float as float8in/float4in read it: from_chars is correctly rounded, as strtod and strtof
// are; NaN and the infinities in any case. Refused: what from_chars takes and the server does
// not ("nan(...)"), and results that strtod flags as out of range (subnormal, overflow).
template <typename F>
bool ParseFloat(std::string_view t, F* v) {
  if (t.find('(') != std::string_view::npos) return false;
  const char* end = t.data() + t.size();
  auto [p, ec] = std::from_chars(t.data(), end, *v);
  return ec == std::errc() && p == end && std::fpclassify(*v) != FP_SUBNORMAL;
}

// YYYY-MM-DD at the start of `t` (years 1 to 9999), into its day relative to 2000-01-01.
bool ParseDate(std::string_view t, int64_t* day) {
  int y = 0, m = 0, d = 0;
  if (t.size() < 10 || t[4] != '-' || t[7] != '-' || !Digits(t, 0, 4, &y) || !Digits(t, 5, 2, &m) ||
      !Digits(t, 8, 2, &d)) {
    return false;
  }
  if (!IsValidDate(y, m, d)) return false;
  *day = DaysFromCivil(y, m, d) - kPostgresEpochDay;
  return true;
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]" ('T' or a space between), for timestamptz followed by "Z",
// "+HH", "+HH:MM" or "+HHMM" (or '-'), into microseconds from 2000-01-01 00:00 (UTC for
// timestamptz). Without an offset a timestamptz is UTC, the session's TimeZone.
bool ParseTimestamp(std::string_view t, bool with_zone, int64_t* us) {
  int64_t day = 0;
  int h = 0, mi = 0, s = 0;
  if (!ParseDate(t, &day) || t.size() < 19 || (t[10] != 'T' && t[10] != ' ') || t[13] != ':' ||
      t[16] != ':' || !Digits(t, 11, 2, &h) || !Digits(t, 14, 2, &mi) || !Digits(t, 17, 2, &s) ||
      h > 23 || mi > 59 || s > 59) {
    return false;
  }
  size_t pos = 19;
  int64_t fraction = 0;
  if (pos < t.size() && t[pos] == '.') {
    size_t n = 0;
    for (++pos; pos < t.size() && IsDigit(t[pos]); ++pos, ++n) {
      if (n == 6) return false;  // finer than a microsecond: the server rounds
      fraction = fraction * 10 + (t[pos] - '0');
    }
    if (n == 0) return false;
    for (; n < 6; ++n) fraction *= 10;
  }
  int64_t offset_s = 0;
  if (pos < t.size()) {
    if (!with_zone) return false;  // timestamp ignores a zone: left to the server
    const std::string_view zone = t.substr(pos);
    int oh = 0, om = 0;
    if (zone == "Z") {
    } else if ((zone[0] == '+' || zone[0] == '-') && Digits(zone, 1, 2, &oh) &&
               (zone.size() == 3 ||
                (zone.size() == 6 && zone[3] == ':' && Digits(zone, 4, 2, &om)) ||
                (zone.size() == 5 && Digits(zone, 3, 2, &om))) &&
               oh <= 14 && om <= 59) {
      offset_s = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
    } else {
      return false;
    }
  }
  *us = ((day * 86400 + h * 3600 + mi * 60 + s) - offset_s) * 1000000 + fraction;
  return true;
}

// numeric's binary form: digit count, weight, sign, display scale, then base-10000 digits,
// from [-]digits[.digits] (or ".5", or NaN), as numeric_in reads it: the display scale is the
// count of digits written after the point, leading and trailing zero groups are dropped, zero
// is positive. Exponents and Infinity (the latter unknown before PostgreSQL 14) are refused.
bool AppendNumeric(std::string* out, std::string_view t) {
  constexpr uint16_t kPositive = 0x0000, kNegative = 0x4000, kNaN = 0xC000;
  constexpr size_t kMaxDigits = 1000;  // either side of the point; longer ones go as text
  size_t i = 0;
  bool negative = false;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) negative = t[i++] == '-';
  const size_t int_start = i;
  while (i < t.size() && IsDigit(t[i])) ++i;
  const std::string_view int_digits = t.substr(int_start, i - int_start);
  std::string_view frac_digits;
  if (i < t.size() && t[i] == '.') {
    const size_t frac_start = ++i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    frac_digits = t.substr(frac_start, i - frac_start);
  }
  if (i != t.size() || (int_digits.empty() && frac_digits.empty())) {
    if (!EqualsIgnoringCase(t, "nan")) return false;
    char field[12];
    PutBigEndian(PutBigEndian(PutBigEndian(field, 8, 4), 0, 4), uint64_t{kNaN} << 16, 4);
    out->append(field, sizeof field);
    return true;
  }
  if (int_digits.size() > kMaxDigits || frac_digits.size() > kMaxDigits) return false;
  // The base-10000 digits: the integer part grouped from the point leftwards, the fraction from
  // the point rightwards (its last group padded with zeros).
  std::array<uint16_t, 2 * (kMaxDigits / 4 + 1)> groups;
  size_t n = 0;
  size_t k = 0;
  const size_t first_group = int_digits.size() % 4 == 0 ? 4 : int_digits.size() % 4;
  for (size_t width = first_group; k < int_digits.size(); k += width, width = 4) {
    uint16_t g = 0;
    for (size_t d = k; d < k + width; ++d)
      g = static_cast<uint16_t>(g * 10 + (int_digits[d] - '0'));
    groups[n++] = g;
  }
  int weight = static_cast<int>(n) - 1;
  for (k = 0; k < frac_digits.size(); k += 4) {
    uint16_t g = 0;
    for (size_t d = k; d < k + 4; ++d) {
      g = static_cast<uint16_t>(g * 10 + (d < frac_digits.size() ? frac_digits[d] - '0' : 0));
    }
    groups[n++] = g;
  }
  size_t first = 0, last = n;
  while (first < last && groups[first] == 0) {
    ++first;
    --weight;
  }
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) {  // zero: positive, weight 0, as numeric_in makes it
    weight = 0;
    negative = false;
  }
  const size_t count = last - first;
  std::array<char, 12 + 2 * groups.size()> field;
  char* at = PutBigEndian(field.data(), 8 + 2 * count, 4);
  at = PutBigEndian(at, count, 2);
  at = PutBigEndian(at, static_cast<uint16_t>(static_cast<int16_t>(weight)), 2);
  at = PutBigEndian(at, negative ? kNegative : kPositive, 2);
  at = PutBigEndian(at, frac_digits.size(), 2);
  for (size_t g = first; g < last; ++g) at = PutBigEndian(at, groups[g], 2);
  out->append(field.data(), static_cast<size_t>(at - field.data()));
  return true;
}

// 8-4-4-4-12 hex digits, or 32 without hyphens.
bool AppendUuid(std::string* out, std::string_view t) {
  if (t.size() != 36 && t.size() != 32) return false;
  char bytes[16];
  size_t n = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.size() == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (t[i] != '-') return false;
      continue;
    }
    const int hi = HexDigit(t[i]), lo = i + 1 < t.size() ? HexDigit(t[i + 1]) : -1;
    if (hi < 0 || lo < 0) return false;
    bytes[n++] = static_cast<char>(hi * 16 + lo);
    ++i;
  }
  AppendSized(out, bytes, 16);
  return true;
}

// The sink's hex form of bytes ("\x0aff"), as the bytes.
bool AppendBytea(std::string* out, std::string_view t) {
  if (t.size() < 2 || t[0] != '\\' || t[1] != 'x') return false;
  Result<std::string> bytes = FromHex(t.substr(2));
  if (!bytes.ok()) return false;
  AppendSized(out, bytes->data(), bytes->size());
  return true;
}

// A float4 (F = float) or float8 (double): its IEEE bits, as float4send/float8send send them.
template <typename F, typename Bits>
bool AppendFloat(std::string* out, std::string_view text) {
  static_assert(sizeof(F) == sizeof(Bits));
  F f = 0;
  if (!ParseFloat(text, &f)) return false;
  Bits bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  AppendFixed(out, bits, sizeof bits);
  return true;
}

// A date (T = int32_t, days) or a timestamp (int64_t, microseconds) that `parse` reads, or
// ±infinity, which the binary forms hold as T's extreme values.
template <typename T, typename Parse>
bool AppendDateOrTime(std::string* out, std::string_view text, Parse parse) {
  int64_t v = 0;
  if (parse(text, &v)) {
  } else if (EqualsIgnoringCase(text, "infinity")) {
    v = std::numeric_limits<T>::max();
  } else if (EqualsIgnoringCase(text, "-infinity")) {
    v = std::numeric_limits<T>::min();
  } else {
    return false;
  }
  AppendFixed(out, static_cast<uint64_t>(v), sizeof(T));
  return true;
}

}  // namespace

bool HasBinaryForm(Oid type) {
  switch (type) {
    case kBoolOid:
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
    case kDateOid:
    case kTimestampOid:
    case kTimestamptzOid:
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kUuidOid:
    case kJsonOid:
    case kJsonbOid:
    case kByteaOid:
      return true;
    default:
      return false;
  }
}

void AppendBinaryRowStart(std::string* out, size_t fields) {
  char count[2];
  PutBigEndian(count, fields, 2);
  out->append(count, 2);
}

void AppendBinaryNull(std::string* out) { out->append("\377\377\377\377", 4); }

bool AppendBinaryField(std::string* out, Oid type, std::string_view text) {
  switch (type) {
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kJsonOid:
      AppendSized(out, text.data(), text.size());
      return true;
    case kJsonbOid: {
      char start[5];
      PutBigEndian(start, text.size() + 1, 4);
      start[4] = '\1';  // jsonb's binary form: version 1, then the text
      out->append(start, 5);
      out->append(text);
      return true;
    }
    case kBoolOid: {
      bool b = false;
      if (!ParseBool(text, &b)) return false;
      AppendFixed(out, b ? 1 : 0, 1);
      return true;
    }
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      const int bytes = type == kInt2Oid ? 2 : type == kInt4Oid ? 4 : 8;
      const int64_t hi = type == kInt2Oid   ? std::numeric_limits<int16_t>::max()
                         : type == kInt4Oid ? std::numeric_limits<int32_t>::max()
                                            : std::numeric_limits<int64_t>::max();
      int64_t v = 0;
      if (!ParseInteger(text, -hi - 1, hi, &v)) return false;
      AppendFixed(out, static_cast<uint64_t>(v), bytes);
      return true;
    }
    case kFloat4Oid:
      return AppendFloat<float, uint32_t>(out, text);
    case kFloat8Oid:
      return AppendFloat<double, uint64_t>(out, text);
    case kNumericOid:
      return AppendNumeric(out, text);
    case kDateOid:
      return AppendDateOrTime<int32_t>(out, text, [](std::string_view t, int64_t* day) {
        return t.size() == 10 && ParseDate(t, day);
      });
    case kTimestampOid:
    case kTimestamptzOid:
      return AppendDateOrTime<int64_t>(out, text, [&](std::string_view t, int64_t* us) {
        return ParseTimestamp(t, type == kTimestamptzOid, us);
      });
    case kUuidOid:
      return AppendUuid(out, text);
    case kByteaOid:
      return AppendBytea(out, text);
    default:
      return false;
  }
}

}  // namespace concord::postgres_connector
