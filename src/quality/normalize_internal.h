// Internals shared by the per-type normalizers (normalize_<type>.cc) and the validators. Not part
// of the quality/ contract: other folders include normalize.h only.
//
// One normalizer and one writer per data-dictionary type, chosen through NormalizerFor() and
// WriterFor(). A new type or layout replaces one entry there and one file, nothing else.
//
// Pure functions; the only shared state is immutable after construction (compiled binding formats,
// the ICU/OpenCC/libphonenumber singletons those libraries create once). Safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/spec.h"
#include "config/value_format.h"
#include "core/civil_date.h"
#include "core/status.h"
#include "core/value.h"
#include "quality/normalize.h"

namespace concord::quality_internal {

// ---- Time zones (zone.cc) -------------------------------------------------------------------

// A fixed offset or an ICU time zone. Immutable; its methods are safe from any thread.
class Zone {
 public:
  // nullptr when `name` is neither an offset nor a zone ICU knows.
  static std::shared_ptr<const Zone> Create(std::string_view name);
  ~Zone();
  const std::string& name() const { return name_; }
  // Seconds east of UTC at the instant `utc_seconds`.
  int OffsetAt(int64_t utc_seconds) const;
  enum class Local { kOk, kSkipped, kRepeated };
  // The instant of wall-clock time `local_seconds` (seconds since 1970-01-01T00:00 local). kSkipped
  // for a time the clocks jump over, kRepeated for one they pass twice; *utc is set for kOk only.
  Local LocalToUtc(int64_t local_seconds, int64_t* utc) const;

 private:
  Zone() = default;
  std::string name_;
  std::optional<int> fixed_;
  struct Icu;
  std::unique_ptr<Icu> icu_;
};

}  // namespace concord::quality_internal

namespace concord {

// What BindingFormat holds (normalize.h): the mapping's layout, compiled.
struct BindingFormat::Compiled {
  FormatKind kind = FormatKind::kCanonical;
  std::string text;                                    // as written ("" for the default)
  std::vector<DatePatternPart> pattern;                // kDatePattern
  int pattern_digits = 0;                              // kDigitPattern: placeholders in `text`
  std::shared_ptr<const quality_internal::Zone> zone;  // nullptr: none declared
  TextEncoding encoding = TextEncoding::kUtf8;
};

}  // namespace concord

namespace concord::quality_internal {

using Compiled = BindingFormat::Compiled;

// A normalizer takes a non-NULL value that DecodeValue accepted (NULL is handled once, before
// dispatch). A writer takes a non-NULL canonical value and returns the system's form, before any
// encoding.
using Normalizer = Result<Value> (*)(const FieldSpec& field, const Value& raw, const Compiled& fmt);
using Writer = Result<Value> (*)(const FieldSpec& field, const Value& canonical,
                                 const Compiled& fmt);

Normalizer NormalizerFor(FieldType type);
Writer WriterFor(FieldType type);  // nullptr: the canonical value is written as it is

Result<Value> NormalizeText(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizeEnum(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizeEmail(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizePhone(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizeInt(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizeDecimal(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizeBool(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizeDate(const FieldSpec& field, const Value& raw, const Compiled& fmt);
Result<Value> NormalizeTimestamp(const FieldSpec& field, const Value& raw, const Compiled& fmt);

Result<Value> WritePhone(const FieldSpec& field, const Value& canonical, const Compiled& fmt);
// The common layouts of a canonical phone number (see LookupSpellings); empty when `e164` is not
// one.
std::vector<std::string> PhoneSpellings(const FieldSpec& field, const std::string& e164);
Result<Value> WriteDate(const FieldSpec& field, const Value& canonical, const Compiled& fmt);
Result<Value> WriteTimestamp(const FieldSpec& field, const Value& canonical, const Compiled& fmt);

// InvalidArgument "expected <what>, found <DisplayValue(field, raw)>[ (<why>)]".
Status Expected(const FieldSpec& field, std::string_view what, const Value& raw,
                std::string_view why = "");

// `s` without leading and trailing ASCII blanks (space, tab, CR, LF).
std::string_view TrimAscii(std::string_view s);

// Number of UTF-8 code points in `s` (bytes that are not continuation bytes).
int64_t Utf8Length(std::string_view s);

// ---- Unicode and encodings (unicode.cc, encoding.cc, chinese.cc) ---------------------------

bool IsAscii(std::string_view s);
// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF). When invalid and
// `bad_at` is given, sets it to the offset of the first bad byte.
bool IsValidUtf8(std::string_view s, size_t* bad_at = nullptr);
// NFKC of valid UTF-8 (ASCII and CJK Unified Ideographs come back unchanged without ICU).
std::string Nfkc(std::string_view s);
// Only ASCII and U+4E00–U+9FFF, which NFKC leaves unchanged (for valid UTF-8).
bool IsAsciiOrCjkUnified(std::string_view s);
// Without Unicode blanks at both ends (White_Space, U+200B, U+FEFF).
std::string_view TrimUnicode(std::string_view s);
// Every run of Unicode blanks → one ASCII space.
std::string CollapseSpaces(std::string_view s);
std::string ToCase(std::string_view s, LetterCase c);
// ToCase of ASCII text, in place.
void ToAsciiCase(std::string* s, LetterCase c);
// OpenCC conversion; InvalidArgument when OpenCC or its data cannot be loaded.
Result<std::string> ConvertChinese(std::string_view s, ChineseScript to);
// What a typed value looks like once full-width digits and punctuation are half-width: NFKC when
// the text has non-ASCII characters, then ASCII-trimmed.
std::string Canonicalish(std::string_view s);

// Bytes in `encoding` → UTF-8; nullopt when a sequence is invalid there (`bad_at`: its offset).
std::optional<std::string> DecodeBytes(std::string_view bytes, TextEncoding encoding,
                                       size_t* bad_at);
// UTF-8 → bytes in `encoding`; nullopt when a character has no representation there
// (`bad_char`: that character).
std::optional<std::string> EncodeText(std::string_view utf8, TextEncoding encoding,
                                      std::string* bad_char);

// ---- Phone numbers (phone_fast_path.cc) -----------------------------------------------------

// The E.164 form libphonenumber gives `text` (ASCII, trimmed) with default region `region` ("ZZ":
// none) — Parse, no extension, IsValidNumber, Format(E164) — computed from libphonenumber's
// metadata without its regular-expression engine, for the common shapes: digits with blanks,
// '-', '.', '(' and ')', optionally one leading '+'. nullopt for any other shape and whenever the
// number might not be valid: then libphonenumber decides (and gives the reason). A result longer
// than 16 characters is never returned. With `reads_back`, also whether the result is known to
// give itself when read again (PhoneE164FastPath(result, "ZZ") == result) without asking: true
// when that reading can strip nothing more and cannot take another turn; false says "not
// known", not "no".
std::optional<std::string> PhoneE164FastPath(std::string_view text, const std::string& region,
                                             bool* reads_back = nullptr);

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

// The integer part as ParseDecimal reads it, from s[i]: digits with optional thousands separators
// (',' after a first group of 1-3 digits, then groups of exactly 3). Calls `digit(c)` for each
// digit (false stops the reading: npos). Returns the index after the part; npos when a separator
// is misplaced.
template <typename OnDigit>
size_t ReadIntegerPart(std::string_view s, size_t i, OnDigit&& digit) {
  bool grouped = false;
  size_t group_len = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      if (!digit(c)) return std::string_view::npos;
      ++group_len;
    } else if (c == ',') {
      if (grouped ? group_len != 3 : (group_len < 1 || group_len > 3)) {
        return std::string_view::npos;
      }
      grouped = true;
      group_len = 0;
    } else {
      break;
    }
  }
  if (grouped && group_len != 3) return std::string_view::npos;
  return i;
}

// Rounds to `scale` digits after the point by `rounding` and renders canonically: no leading
// zeros, exactly `scale` fraction digits, no point when scale is 0, never "-0".
std::string FormatDecimal(Decimal d, int scale, Rounding rounding = Rounding::kHalfEven);

// -1, 0, 1; -0 equals 0.
int CompareDecimals(const Decimal& a, const Decimal& b);

// A number as ParseDecimal reads it — an optional sign, digits with optional thousands
// separators, an optional '.' and fraction — of at most 18 digits in all: its sign, every digit as
// one integer, and how many of them come before and after the point. nullopt for anything else
// (more digits, blanks, an exponent): then ask ParseDecimal. normalize_decimal.cc.
struct PlainNumber {
  bool negative = false;
  uint64_t digits = 0;
  int int_len = 0;
  int scale = 0;  // digits after the point
};
std::optional<PlainNumber> ReadPlainNumber(std::string_view s);

// FormatDecimal(*ParseDecimal(s), scale, rounding) for the common case, computed in 64-bit
// integers: `s` of an optional sign, digits with optional thousands separators, an optional '.'
// and fraction, at most 18 digits in all, nothing else (no blanks, no exponent), and a result of
// at most 18 digits. nullopt for anything else (then ask ParseDecimal, which also gives the
// refusals). normalize_decimal.cc.
std::optional<std::string> PlainDecimal(std::string_view s, int scale, Rounding rounding);

// ---- Calendar and time of day (date_time.cc) -------------------------------------------------

// CivilDate, IsValidDate (years 1..9999), DaysFromCivil and CivilFromDays: core/civil_date.h.
using concord::CivilDate;
using concord::CivilFromDays;
using concord::DaysFromCivil;
using concord::IsValidDate;
std::string FormatDate(const CivilDate& d);  // "2023-01-31"
// `value` (at least 0) in decimal, zero-padded to `width` digits.
void AppendPadded(std::string* out, int value, int width);
inline constexpr int64_t kMinUnixSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// A date with an optional time of day and offset, as read from text.
struct DateTime {
  CivilDate date;
  bool has_time = false;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::string fraction;       // digits after the point, trailing zeros removed
  std::optional<int> offset;  // seconds east of UTC, when the text carried one
  bool IsMidnight() const { return hour == 0 && minute == 0 && second == 0 && fraction.empty(); }
  int64_t LocalSeconds() const;  // seconds since 1970-01-01T00:00 on the same wall clock
  // From seconds since the epoch on some wall clock (and a fraction, kept as is).
  static DateTime FromSeconds(int64_t seconds, std::string fraction);
};

// Why a text was not read as a date; lets messages say what to do about a known layout.
enum class DateRefusal { kUnknown, kNeedsOrder, kInvalidDate, kTwoDigitYear };

// Reads `s` (already NFKC'd and trimmed) as a date or timestamp in every layout that means one
// thing — ISO 8601, YYYY/M/D, YYYY.M.D, YYYYMMDD, YYYY年M月D日, YYYYMMDDHHMMSS (timestamps) —
// plus D-M-YYYY or M-D-YYYY when `kind` is kDayMonthYear / kMonthDayYear, after trying `pattern`
// when given. Times: H:MM[:SS[.f]] with optional AM/PM or 上午/下午, or H时M分S秒 / H点M分;
// offsets Z, ±HH:MM, ±HHMM, ±HH. nullopt (and `refusal`) otherwise.
std::optional<DateTime> ParseDateTime(std::string_view s, FormatKind kind,
                                      const std::vector<DatePatternPart>* pattern,
                                      DateRefusal* refusal);

// Renders with a date pattern; `offset` for XXX (nullopt: the value has none → nullopt result).
std::optional<std::string> RenderPattern(const std::vector<DatePatternPart>& pattern,
                                         const DateTime& t, std::optional<int> offset);

// "+08:00", "Z" for 0.
std::string FormatOffset(int seconds);

}  // namespace concord::quality_internal
