// Normalizers for the text-shaped types: string, text and reference (the field's text operations),
// enum (the same, then its default for unknown values) and email (syntax, lower-case domain).
#include <cctype>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

// Text that CollapseSpaces leaves as it is: no blank but single spaces. Every Unicode blank
// beyond ASCII (U+0085, U+00A0, U+1680, U+2000–U+200B, U+2028/9, U+202F, U+205F, U+3000, U+FEFF)
// is encoded with a lead byte C2, E1, E2, E3 or EF, so text without those bytes (Chinese text,
// say) has none; text with them is left to CollapseSpaces (normalize_text_test checks every code
// point).
bool HasNoBlankRun(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return false;
    if (c == ' ' && i + 1 < s.size() && s[i + 1] == ' ') return false;
    const auto b = static_cast<unsigned char>(c);
    if (b == 0xC2 || b == 0xE1 || b == 0xE2 || b == 0xE3 || b == 0xEF) return false;
  }
  return true;
}

bool HasTextOps(const FieldSpec& f) {
  return f.trim || f.collapse_spaces || f.nfkc || f.letter_case != LetterCase::kKeep ||
         f.chinese != ChineseScript::kKeep;
}

// Text as the field asks for it: nfkc, trim, collapse_spaces, case, chinese — in that order, so
// that full-width blanks are blanks by the time they are trimmed, and letters that NFKC produced
// get their case.
//
// Each step leaves `s` in place when it would not change it (ASCII under NFKC, nothing to trim,
// no run of blanks, ASCII case): most values are already so, and a copy per step per value was a
// good part of what a text field cost.
Result<std::string> ApplyTextOps(const FieldSpec& f, std::string s) {
  const bool ascii = IsAscii(s);
  if (f.nfkc && !ascii) s = Nfkc(s);
  if (f.trim) {
    std::string_view kept = TrimUnicode(s);
    const size_t start = static_cast<size_t>(kept.data() - s.data());
    s.erase(start + kept.size());
    s.erase(0, start);
  }
  if (f.collapse_spaces && !HasNoBlankRun(s)) s = CollapseSpaces(s);
  if (f.letter_case != LetterCase::kKeep) {
    if (IsAscii(s)) {
      ToAsciiCase(&s, f.letter_case);
    } else {
      s = ToCase(s, f.letter_case);
    }
  }
  if (f.chinese != ChineseScript::kKeep) return ConvertChinese(s, f.chinese);
  return s;
}

Result<Value> TextOf(const FieldSpec& field, const Value& raw) {
  switch (raw.kind()) {
    case ValueKind::kText:
      // DecodeValue has checked UTF-8 on the binding path; this guards direct callers.
      if (!IsValidUtf8(raw.text())) return Expected(field, "UTF-8 text", raw);
      if (!HasTextOps(field)) return raw;  // as is: no trimming unless asked
      break;
    case ValueKind::kInt:
    case ValueKind::kReal:
      if (!HasTextOps(field)) return Value::Text(raw.ToString());
      break;
    default:
      return Expected(field, "text", raw);
  }
  auto s = ApplyTextOps(field, raw.kind() == ValueKind::kText ? raw.text() : raw.ToString());
  if (!s.ok()) return s.status();
  return Value::Text(std::move(*s));
}

// std::isalnum of the "C" locale (concord never sets another), without the call: these run for
// every character of every address.
bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsAtomChar(unsigned char c) {
  // RFC 5322 atext, plus any non-ASCII byte (RFC 6531 internationalized local parts).
  return IsAsciiAlnum(c) || c >= 0x80 ||
         std::string_view("!#$%&'*+/=?^_`{|}~-").find(static_cast<char>(c)) !=
             std::string_view::npos;
}

// dot-atom: atoms separated by single dots, none empty.
bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtomChar(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

// Host name of at least two labels: letters, digits, hyphens (not at either end of a label) or
// non-ASCII (IDN), 1-63 bytes each; the last label not all digits.
bool IsDomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t labels = 0;
  bool last_all_digits = false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view label = s.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    last_all_digits = true;
    for (unsigned char c : label) {
      if (!(IsAsciiAlnum(c) || c == '-' || c >= 0x80)) return false;
      last_all_digits = last_all_digits && c >= '0' && c <= '9';
    }
    ++labels;
    start = end + 1;
    if (end == s.size()) break;
  }
  return labels >= 2 && !last_all_digits;
}

}  // namespace

Result<Value> NormalizeText(const FieldSpec& field, const Value& raw, const Compiled&) {
  return TextOf(field, raw);
}

Result<Value> NormalizeEnum(const FieldSpec& field, const Value& raw, const Compiled&) {
  auto v = TextOf(field, raw);
  if (!v.ok() || !field.default_value || field.values.empty() || v->text().empty()) return v;
  for (const std::string& allowed : field.values) {
    if (allowed == v->text()) return v;
  }
  return Value::Text(*field.default_value);
}

Result<Value> NormalizeEmail(const FieldSpec& field, const Value& raw, const Compiled&) {
  constexpr std::string_view kWhat = "an email address like name@example.com";
  if (raw.kind() != ValueKind::kText) return Expected(field, kWhat, raw);
  // NFKC turns the full-width ＠ and ． of Chinese input methods into @ and .
  std::string out = Canonicalish(raw.text());
  if (out.empty()) return Value::Text("");  // empty is absent; `required` decides
  size_t at = out.find('@');
  if (at == std::string::npos || out.find('@', at + 1) != std::string::npos) {
    return Expected(field, kWhat, raw, "it needs exactly one @");
  }
  std::string_view local = std::string_view(out).substr(0, at);
  std::string_view domain = std::string_view(out).substr(at + 1);
  if (out.size() > 254 || local.size() > 64) return Expected(field, kWhat, raw, "too long");
  if (!IsDotAtom(local)) {
    return Expected(field, kWhat, raw, "the part before @ has a character an address cannot have");
  }
  if (!IsDomain(domain)) return Expected(field, kWhat, raw, "the part after @ is not a domain");
  // Domains are case-insensitive; local parts may not be (RFC 5321), so only the domain is
  // lower-cased. Non-ASCII (IDN) domains are kept as written.
  for (size_t i = at + 1; i < out.size(); ++i) {
    if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] - 'A' + 'a');
  }
  return Value::Text(std::move(out));
}

}  // namespace concord::quality_internal
