// Unicode text operations for the normalizers: UTF-8 validity, NFKC (ICU Normalizer2), Unicode
// blanks, case mapping (ICU, root locale). ASCII takes a fast path everywhere: most business data
// is ASCII, and ICU round trips (UTF-8 → UTF-16 → UTF-8) cost more than the operation itself.
//
// ICU's Normalizer2 instances are process-wide singletons whose const methods are thread-safe.
#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstring>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

// The next code point of valid UTF-8 at s[*i]; advances *i.
UChar32 Next(std::string_view s, size_t* i) {
  UChar32 c;
  int32_t at = static_cast<int32_t>(*i);
  U8_NEXT(s.data(), at, static_cast<int32_t>(s.size()), c);
  *i = static_cast<size_t>(at);
  return c;
}

bool IsBlank(UChar32 c) { return c == 0x200B || c == 0xFEFF || u_isUWhiteSpace(c); }

bool IsAsciiBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

bool IsAscii(std::string_view s) {
  // Eight bytes at a time: the high bit of any byte marks non-ASCII.
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (w & 0x8080808080808080ULL) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s, size_t* bad_at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // at most U+10FFFF
    } else {
      if (bad_at) *bad_at = i;
      return false;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) {
      if (bad_at) *bad_at = i;
      return false;
    }
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) {
        if (bad_at) *bad_at = i;
        return false;
      }
    }
    i += len;
  }
  return true;
}

// ASCII and CJK Unified Ideographs (U+4E00–U+9FFF) only: text NFKC leaves as it is (neither
// decomposes, none combines with its neighbours), without the call into ICU. Chinese names,
// addresses and dates are mostly such text.
bool IsAsciiOrCjkUnified(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    // U+4E00 is E4 B8 80, U+9FFF is E9 BF BF.
    if (i + 2 >= n || p[i] < 0xE4 || p[i] > 0xE9 || (p[i] == 0xE4 && p[i + 1] < 0xB8) ||
        (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80) {
      return false;
    }
    i += 3;
  }
  return true;
}

std::string Nfkc(std::string_view s) {
  if (IsAsciiOrCjkUnified(s)) return std::string(s);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return std::string(s);
  // The UTF-8 entry points: no conversion to UTF-16 and back for text that is already normal
  // (most of it).
  icu::StringPiece piece(s.data(), static_cast<int32_t>(s.size()));
  if (nfkc->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return std::string(s);
  status = U_ZERO_ERROR;
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  nfkc->normalizeUTF8(0, piece, sink, nullptr, status);
  if (U_FAILURE(status)) return std::string(s);
  return out;
}

std::string_view TrimUnicode(std::string_view s) {
  while (!s.empty()) {
    if (static_cast<unsigned char>(s.front()) < 0x80) {
      if (!IsAsciiBlank(s.front())) break;
      s.remove_prefix(1);
      continue;
    }
    size_t i = 0;
    if (!IsBlank(Next(s, &i))) break;
    s.remove_prefix(i);
  }
  while (!s.empty()) {
    if (static_cast<unsigned char>(s.back()) < 0x80) {
      if (!IsAsciiBlank(s.back())) break;
      s.remove_suffix(1);
      continue;
    }
    // Step back to the start of the last character.
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t i = start;
    if (!IsBlank(Next(s, &i))) break;
    s.remove_suffix(s.size() - start);
  }
  return s;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_blank = false;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    bool blank;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      blank = IsAsciiBlank(s[i]);
      ++i;
    } else {
      blank = IsBlank(Next(s, &i));
    }
    if (blank) {
      if (!in_blank) out += ' ';
      in_blank = true;
    } else {
      out.append(s, start, i - start);
      in_blank = false;
    }
  }
  return out;
}

void ToAsciiCase(std::string* s, LetterCase c) {
  for (char& ch : *s) {
    if (c == LetterCase::kUpper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
    if (c == LetterCase::kLower && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  }
}

std::string ToCase(std::string_view s, LetterCase c) {
  if (c == LetterCase::kKeep) return std::string(s);
  if (IsAscii(s)) {
    std::string out(s);
    ToAsciiCase(&out, c);
    return out;
  }
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  if (c == LetterCase::kUpper) {
    u.toUpper(icu::Locale::getRoot());
  } else {
    u.toLower(icu::Locale::getRoot());
  }
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace concord::quality_internal
