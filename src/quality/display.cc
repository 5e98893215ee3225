// DisplayValue: how a value may appear in a message, masked when the field is personal.
#include <string>

#include "quality/normalize.h"
#include "quality/normalize_internal.h"

namespace concord {
namespace {

constexpr int64_t kMaxDisplayChars = 40;

// The first `max_chars` code points of `s`, with "…" when something was cut.
std::string Cut(std::string_view s, int64_t max_chars) {
  int64_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max_chars) {
      return std::string(s.substr(0, i)) + "…";
    }
  }
  return std::string(s);
}

// Quoted, with quotes, backslashes and control characters escaped so a message stays one line.
std::string Quote(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

// "138****5678" when `s` looks like a phone number (digits and phone punctuation only, enough
// digits that the mask hides some); nullopt otherwise.
std::optional<std::string> MaskPhone(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != '+' && c != '-' && c != ' ' && c != '(' && c != ')' && c != '.') {
      return std::nullopt;
    }
  }
  if (digits.size() < 9) return std::nullopt;
  return digits.substr(0, 3) + "****" + digits.substr(digits.size() - 4);
}

// "z***@example.com" when `s` is name@domain; nullopt otherwise.
std::optional<std::string> MaskEmail(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size() ||
      s.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  size_t first = 1;  // the whole first UTF-8 character
  while (first < at && (static_cast<unsigned char>(s[first]) & 0xC0) == 0x80) ++first;
  return std::string(s.substr(0, first)) + "***" + std::string(s.substr(at));
}

std::string Mask(const FieldSpec& field, const Value& v) {
  if (v.kind() == ValueKind::kBlob) return "***";
  std::string s = v.ToString();
  if (auto m = MaskEmail(s)) return *m;
  if (auto m = MaskPhone(s)) return *m;
  return "***";
}

}  // namespace

std::string DisplayValue(const FieldSpec& field, const Value& v) {
  if (v.is_null()) return "NULL";
  if (field.personal) return Mask(field, v);
  switch (v.kind()) {
    case ValueKind::kText:
      // Bytes that are not UTF-8 would make the message itself invalid: shown like a blob.
      if (!quality_internal::IsValidUtf8(v.text())) {
        return Cut(Value::Blob(v.text()).ToString(), kMaxDisplayChars);
      }
      return Quote(Cut(v.text(), kMaxDisplayChars));
    case ValueKind::kBlob:
      return Cut(v.ToString(), kMaxDisplayChars);
    default:
      return v.ToString();
  }
}

}  // namespace concord
