// Internals shared by the per-type normalizers (normalize_<type>.cc) and the validators. Not part
// of the quality/ contract: other folders include normalize.h only.
//
// One normalizer per data-dictionary type, chosen through NormalizerFor(). A later normalizer
// (libphonenumber for phone, more date layouts, legacy encodings) replaces one entry there and
// one file, nothing else.
//
// Pure functions, no state; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/spec.h"
#include "core/status.h"
#include "core/value.h"

namespace concord::quality_internal {

// A normalizer takes a non-NULL raw value (NULL is handled once, before dispatch).
using Normalizer = Result<Value> (*)(const FieldSpec& field, const Value& raw);

Normalizer NormalizerFor(FieldType type);

Result<Value> NormalizeText(const FieldSpec& field, const Value& raw);  // string/text/enum/...
Result<Value> NormalizeEmail(const FieldSpec& field, const Value& raw);
Result<Value> NormalizeInt(const FieldSpec& field, const Value& raw);
Result<Value> NormalizeDecimal(const FieldSpec& field, const Value& raw);
Result<Value> NormalizeBool(const FieldSpec& field, const Value& raw);
Result<Value> NormalizeDate(const FieldSpec& field, const Value& raw);
Result<Value> NormalizeTimestamp(const FieldSpec& field, const Value& raw);

// InvalidArgument "expected <what>, found <DisplayValue(field, raw)>".
Status Expected(const FieldSpec& field, std::string_view what, const Value& raw);

// `s` without leading and trailing ASCII blanks (space, tab, CR, LF).
std::string_view TrimAscii(std::string_view s);

// Number of UTF-8 code points in `s` (bytes that are not continuation bytes).
int64_t Utf8Length(std::string_view s);

// ---- Exact decimals (decimal.cc) ----------------------------------------------------------

// A decimal number as digit strings: no leading zeros in `int_digits` (empty for zero integer
// part), `frac_digits` as written after exponent shifting (may have trailing zeros).
struct Decimal {
  bool negative = false;
  std::string int_digits;
  std::string frac_digits;
  bool IsZero() const;
};

// Parses optional blanks, optional sign, digits with optional thousands separators (',' in
// groups of three, integer part only), optional '.' fraction, optional simple exponent
// ("1e3", "2.5E-4"; |exponent| <= kMaxExponent; not combined with separators), optional blanks.
// nullopt for anything else (NaN, Infinity, "12,3", "1.2.3", "").
inline constexpr int kMaxExponent = 400;
std::optional<Decimal> ParseDecimal(std::string_view text);

// Rounds half-even to `scale` digits after the point and renders canonically: no leading zeros,
// exactly `scale` fraction digits, no point when scale is 0, never "-0".
std::string FormatDecimal(Decimal d, int scale);

// -1, 0, 1; -0 equals 0.
int CompareDecimals(const Decimal& a, const Decimal& b);

// ---- Calendar (date.cc) ----------------------------------------------------------------------

struct CivilDate {
  int year = 0;
  int month = 0;
  int day = 0;
};
bool IsValidDate(int year, int month, int day);  // proleptic Gregorian, years 1..9999
// Days since 1970-01-01 ↔ civil date (H. Hinnant's algorithms).
int64_t DaysFromCivil(int year, int month, int day);
CivilDate CivilFromDays(int64_t days);
std::string FormatDate(const CivilDate& d);  // "2023-01-31"

// Parses the date at the start of `s` ("YYYY-MM-DD", "YYYY/MM/DD" with 1-2 digit month and day,
// or "YYYYMMDD"), validated against the calendar. Sets *consumed to the bytes used.
std::optional<CivilDate> ParseDatePrefix(std::string_view s, size_t* consumed);

// A time of day with optional fraction and zone, as parsed from the part after the date.
struct TimeOfDay {
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::string fraction;  // digits after the point, trailing zeros removed
  std::string zone;      // "", "Z" or "+08:00"
  bool IsMidnight() const { return hour == 0 && minute == 0 && second == 0 && fraction.empty(); }
};
// Parses "HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM|±HH]" (all of `s`), ranges validated.
std::optional<TimeOfDay> ParseTimeOfDay(std::string_view s);

}  // namespace concord::quality_internal
