// The grammar of the value-layout keys of concord.yaml — a field mapping's `format:`, the
// `timezone:` of bindings and mappings, a phone field's `region:` — declared once, here, so that
// the loader validates what users write and quality/ acts on the parsed form without a second
// parser.
//
// Pure functions over immutable data (the time-zone and region lists are built once, on first
// use, thread-safely); safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/spec.h"

namespace concord {

// The `format:` keywords a field of `type` accepts, in documented order (empty: `format` does
// not apply to the type). Phone fields also take a digit pattern, date and timestamp fields a
// date pattern.
std::vector<std::string> FormatKeywords(FieldType type);

// Parses the `format:` of a `type` field. On failure returns nullopt and sets `error` (what was
// expected, what was found) and `hint` (did-you-mean or the allowed list).
std::optional<FormatKind> ParseFormat(FieldType type, std::string_view text, std::string* error,
                                      std::string* hint);

// One element of a date pattern such as "YYYY年M月D日 HH:mm" or "DD/MM/YYYY".
//   YYYY year (4 digits)   MM / M month (2 / 1-2 digits)   DD / D day   HH / H hour (0-23)
//   mm minute   ss second   SSS milliseconds   XXX zone offset ("+08:00", "Z")
// Anything else but ASCII letters is literal text, and so are "T" before the hour (ISO 8601's
// separator) and "Z".
struct DatePatternPart {
  enum class Kind {
    kLiteral,
    kYear,
    kMonth2,
    kMonth,
    kDay2,
    kDay,
    kHour2,
    kHour,
    kMinute,
    kSecond,
    kMillis,
    kOffset,
  };
  Kind kind = Kind::kLiteral;
  std::string literal;  // kLiteral only
};

// Parses a date pattern for a date (`timestamp` false: no time or zone parts) or timestamp field
// (hour and minute required). Every part appears at most once; year, month and day exactly once;
// a 1-2 digit part (M, D, H) must be followed by a non-digit literal or the end, so the pattern
// reads back unambiguously. nullopt with `error` set otherwise.
std::optional<std::vector<DatePatternPart>> ParseDatePattern(std::string_view text, bool timestamp,
                                                             std::string* error);

// A fixed UTC offset "+08:00", "-05:30", "+0800", "Z" or "UTC" in seconds east of UTC (at most
// ±14:00); nullopt for anything else.
std::optional<int> ParseUtcOffset(std::string_view text);

// True for a fixed offset (ParseUtcOffset) or a time zone the bundled ICU database knows by its
// IANA name ("Asia/Shanghai"; case as written there).
bool IsKnownTimeZone(std::string_view name);
// The IANA names, for did-you-mean.
const std::vector<std::string>& TimeZoneNames();

// True for a region libphonenumber has numbering plans for ("CN", "DE"; upper case).
bool IsKnownPhoneRegion(std::string_view region);
const std::vector<std::string>& PhoneRegions();

}  // namespace concord
