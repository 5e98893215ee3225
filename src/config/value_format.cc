// The value-layout grammar (see value_format.h). The zone list comes from the ICU time-zone
// database and the region list from libphonenumber, so the loader accepts exactly what the
// normalizers can act on.
#include "config/value_format.h"

#include <phonenumbers/phonenumberutil.h>
#include <unicode/ucal.h>
#include <unicode/uenum.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "config/config.h"

namespace concord {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

struct Keyword {
  std::string_view name;
  FormatKind kind;
};

std::vector<Keyword> Keywords(FieldType type) {
  switch (type) {
    case FieldType::kPhone:
      return {{"e164", FormatKind::kCanonical},
              {"national", FormatKind::kNational},
              {"international", FormatKind::kInternational}};
    case FieldType::kDate:
      return {{"iso", FormatKind::kCanonical},      {"dmy", FormatKind::kDayMonthYear},
              {"mdy", FormatKind::kMonthDayYear},   {"excel", FormatKind::kExcel},
              {"unix_s", FormatKind::kUnixSeconds}, {"unix_ms", FormatKind::kUnixMillis}};
    case FieldType::kTimestamp:
      return {{"iso", FormatKind::kCanonical},
              {"dmy", FormatKind::kDayMonthYear},
              {"mdy", FormatKind::kMonthDayYear},
              {"unix_s", FormatKind::kUnixSeconds},
              {"unix_ms", FormatKind::kUnixMillis}};
    default:
      return {};
  }
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "a, b or c". (config_keys.h has JoinNames; this file stays free of the key tables, and through
// them of the connector registry, so that quality/ and its fuzzers can link it alone.)
std::string JoinOr(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

std::vector<std::string> FormatKeywords(FieldType type) {
  std::vector<std::string> out;
  for (const Keyword& k : Keywords(type)) out.emplace_back(k.name);
  return out;
}

std::optional<FormatKind> ParseFormat(FieldType type, std::string_view text, std::string* error,
                                      std::string* hint) {
  const std::vector<Keyword> keywords = Keywords(type);
  for (const Keyword& k : keywords) {
    if (k.name == text) return k.kind;
  }
  std::vector<std::string> names = FormatKeywords(type);
  std::string match = ClosestMatch(std::string(text), names);
  auto fail = [&](std::string message, std::string pattern_hint) -> std::optional<FormatKind> {
    *error = std::move(message);
    *hint = match.empty() ? std::move(pattern_hint) : "did you mean " + Quote(match) + "?";
    return std::nullopt;
  };
  if (type == FieldType::kPhone) {
    bool digit = std::any_of(text.begin(), text.end(), IsDigit);
    bool letter = std::any_of(text.begin(), text.end(), IsAsciiLetter);
    if (digit && !letter) return FormatKind::kDigitPattern;
    return fail(
        "expected e164, national, international or a digit pattern such as "
        "\"138-1234-5678\", found " +
            Quote(text),
        "the digits of a pattern are placeholders for the national number's digits");
  }
  if (type == FieldType::kDate || type == FieldType::kTimestamp) {
    if (text.find('Y') != std::string_view::npos) {
      std::string pattern_error;
      if (ParseDatePattern(text, type == FieldType::kTimestamp, &pattern_error)) {
        return FormatKind::kDatePattern;
      }
      *error = "in date pattern " + Quote(text) + ": " + pattern_error;
      *hint = "patterns are built from YYYY, MM, M, DD, D" +
              std::string(type == FieldType::kTimestamp ? ", HH, H, mm, ss, SSS and XXX" : "") +
              " and literal text, e.g. " +
              (type == FieldType::kTimestamp ? "\"YYYY/MM/DD HH:mm:ss\"" : "\"YYYYMMDD\"");
      return std::nullopt;
    }
    return fail("expected " + JoinOr(names) + " or a pattern such as " +
                    (type == FieldType::kTimestamp ? "\"YYYY/MM/DD HH:mm:ss\"" : "\"YYYYMMDD\"") +
                    ", found " + Quote(text),
                "");
  }
  *error =
      "format applies to phone, date and timestamp fields, not " + std::string(FieldTypeName(type));
  hint->clear();
  return std::nullopt;
}

std::optional<std::vector<DatePatternPart>> ParseDatePattern(std::string_view text, bool timestamp,
                                                             std::string* error) {
  using K = DatePatternPart::Kind;
  struct Token {
    std::string_view text;
    K kind;
    bool time;  // a time-of-day or zone part
  };
  // Longest first, so "MM" is not read as two "M".
  static constexpr Token kTokens[] = {
      {"YYYY", K::kYear, false}, {"SSS", K::kMillis, true}, {"XXX", K::kOffset, true},
      {"MM", K::kMonth2, false}, {"DD", K::kDay2, false},   {"HH", K::kHour2, true},
      {"mm", K::kMinute, true},  {"ss", K::kSecond, true},  {"M", K::kMonth, false},
      {"D", K::kDay, false},     {"H", K::kHour, true},
  };
  std::vector<DatePatternPart> parts;
  std::set<K> seen;
  size_t i = 0;
  while (i < text.size()) {
    // "T" between date and time (ISO 8601) and "Z" for UTC are the only letters taken literally.
    bool literal_letter = (text[i] == 'T' || text[i] == 'Z') &&
                          (i + 1 >= text.size() || !IsAsciiLetter(text[i + 1]) ||
                           text.substr(i + 1, 2) == "HH" || text[i + 1] == 'H');
    if (!IsAsciiLetter(text[i]) || literal_letter) {
      if (!parts.empty() && parts.back().kind == K::kLiteral) {
        parts.back().literal += text[i];
      } else {
        parts.push_back({K::kLiteral, std::string(1, text[i])});
      }
      ++i;
      continue;
    }
    const Token* found = nullptr;
    for (const Token& t : kTokens) {
      if (text.substr(i, t.text.size()) == t.text) {
        found = &t;
        break;
      }
    }
    if (found == nullptr) {
      size_t end = i;
      while (end < text.size() && IsAsciiLetter(text[end])) ++end;
      std::string word(text.substr(i, end - i));
      std::string upper = word;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string advice;
      if (upper == "YYYY" || upper == "DD") {
        advice = " (write " + upper + ")";
      } else if (upper == "YY") {
        advice = " (write YYYY: two-digit years are ambiguous)";
      }
      *error = "unknown pattern letters " + Quote(word) + advice;
      return std::nullopt;
    }
    if (found->time && !timestamp) {
      *error = Quote(found->text) +
               " is a time part; a date field's pattern has only YYYY, M/MM "
               "and D/DD";
      return std::nullopt;
    }
    if (!seen.insert(found->kind).second || (found->kind == K::kMonth && seen.count(K::kMonth2)) ||
        (found->kind == K::kMonth2 && seen.count(K::kMonth)) ||
        (found->kind == K::kDay && seen.count(K::kDay2)) ||
        (found->kind == K::kDay2 && seen.count(K::kDay)) ||
        (found->kind == K::kHour && seen.count(K::kHour2)) ||
        (found->kind == K::kHour2 && seen.count(K::kHour))) {
      *error = Quote(found->text) + " appears twice";
      return std::nullopt;
    }
    parts.push_back({found->kind, ""});
    i += found->text.size();
  }
  auto has = [&](K a, K b) { return seen.count(a) || seen.count(b); };
  if (!seen.count(K::kYear) || !has(K::kMonth, K::kMonth2) || !has(K::kDay, K::kDay2)) {
    *error = "a pattern needs YYYY, a month (MM or M) and a day (DD or D)";
    return std::nullopt;
  }
  if (timestamp && (!has(K::kHour, K::kHour2) || !seen.count(K::kMinute))) {
    *error = "a timestamp pattern needs an hour (HH or H) and minutes (mm)";
    return std::nullopt;
  }
  if (seen.count(K::kMillis) && !seen.count(K::kSecond)) {
    *error = "SSS needs ss";
    return std::nullopt;
  }
  for (size_t p = 0; p < parts.size(); ++p) {
    K k = parts[p].kind;
    bool variable = k == K::kMonth || k == K::kDay || k == K::kHour;
    bool next_is_number =
        p + 1 < parts.size() && parts[p + 1].kind != K::kLiteral && parts[p + 1].kind != K::kOffset;
    bool next_starts_with_digit = p + 1 < parts.size() && parts[p + 1].kind == K::kLiteral &&
                                  IsDigit(parts[p + 1].literal[0]);
    if (variable && (next_is_number || next_starts_with_digit)) {
      *error =
          "M, D and H take one or two digits, so they need a separator after them (or use "
          "MM, DD, HH)";
      return std::nullopt;
    }
    if (k == K::kLiteral &&
        std::any_of(parts[p].literal.begin(), parts[p].literal.end(), IsDigit)) {
      *error = "digits are not allowed as literal text";
      return std::nullopt;
    }
  }
  return parts;
}

std::optional<int> ParseUtcOffset(std::string_view s) {
  if (s == "Z" || s == "UTC") return 0;
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  auto two = [&](size_t at) -> std::optional<int> {
    if (at + 2 > s.size() || !IsDigit(s[at]) || !IsDigit(s[at + 1])) return std::nullopt;
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
  };
  auto h = two(1);
  if (!h) return std::nullopt;
  std::optional<int> m = 0;
  if (s.size() == 6 && s[3] == ':') {
    m = two(4);
  } else if (s.size() == 5) {
    m = two(3);
  } else if (s.size() != 3) {
    return std::nullopt;
  }
  if (!m || *m > 59 || *h > 14 || (*h == 14 && *m != 0)) return std::nullopt;
  int seconds = (*h * 60 + *m) * 60;
  return s[0] == '-' ? -seconds : seconds;
}

const std::vector<std::string>& TimeZoneNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> out;
    UErrorCode status = U_ZERO_ERROR;
    UEnumeration* e = ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_ANY, nullptr, nullptr, &status);
    if (U_FAILURE(status)) return out;
    int32_t len = 0;
    while (const char* id = uenum_next(e, &len, &status)) {
      if (U_FAILURE(status)) break;
      out.emplace_back(id, static_cast<size_t>(len));
    }
    uenum_close(e);
    std::sort(out.begin(), out.end());
    return out;
  }();
  return kNames;
}

bool IsKnownTimeZone(std::string_view name) {
  if (ParseUtcOffset(name)) return true;
  const auto& names = TimeZoneNames();
  return std::binary_search(names.begin(), names.end(), std::string(name));
}

const std::vector<std::string>& PhoneRegions() {
  static const std::vector<std::string> kRegions = [] {
    std::set<std::string> regions;
    i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
    return std::vector<std::string>(regions.begin(), regions.end());
  }();
  return kRegions;
}

bool IsKnownPhoneRegion(std::string_view region) {
  const auto& regions = PhoneRegions();
  return std::binary_search(regions.begin(), regions.end(), std::string(region));
}

}  // namespace concord
