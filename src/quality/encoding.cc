// Legacy encodings ↔ UTF-8 with ICU converters, stopping at the first invalid or unmappable
// sequence (never a substitution character: mojibake in the target is worse than a DLQ entry).
//
// ICU converters carry conversion state and are not thread-safe, so each call opens its own;
// ICU caches the (large, shared) mapping tables, which makes opening cheap.
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <memory>
#include <vector>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

const char* ConverterName(TextEncoding e) {
  switch (e) {
    case TextEncoding::kGbk:
      return "GBK";
    case TextEncoding::kGb18030:
      return "GB18030";
    case TextEncoding::kBig5:
      return "Big5";
    case TextEncoding::kUtf16Le:
      return "UTF-16LE";
    case TextEncoding::kUtf16Be:
      return "UTF-16BE";
    case TextEncoding::kUtf8:
      return "UTF-8";
  }
  return "UTF-8";
}

struct CloseConverter {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, CloseConverter>;

ConverterPtr Open(TextEncoding e) {
  UErrorCode status = U_ZERO_ERROR;
  ConverterPtr c(ucnv_open(ConverterName(e), &status));
  if (U_FAILURE(status)) return nullptr;
  ucnv_setToUCallBack(c.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  ucnv_setFromUCallBack(c.get(), UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  if (U_FAILURE(status)) return nullptr;
  return c;
}

}  // namespace

std::optional<std::string> DecodeBytes(std::string_view bytes, TextEncoding encoding,
                                       size_t* bad_at) {
  *bad_at = 0;
  if (encoding == TextEncoding::kUtf8) {
    if (!IsValidUtf8(bytes, bad_at)) return std::nullopt;
    return std::string(bytes);
  }
  ConverterPtr conv = Open(encoding);
  if (conv == nullptr) return std::nullopt;
  // Converted a piece at a time so that the offset of an invalid sequence is known: ucnv_toUnicode
  // stops right after it, with `source` pointing past the bytes it consumed.
  std::u16string units;
  units.resize(bytes.size() + 1);  // every byte gives at most one UTF-16 unit in these encodings
  std::vector<int32_t> offsets(units.size());  // the source byte of each unit
  UChar* target = reinterpret_cast<UChar*>(units.data());
  UChar* target_limit = target + units.size();
  const char* source = bytes.data();
  const char* source_limit = bytes.data() + bytes.size();
  UErrorCode status = U_ZERO_ERROR;
  ucnv_toUnicode(conv.get(), &target, target_limit, &source, source_limit, offsets.data(),
                 /*flush=*/true, &status);
  if (U_FAILURE(status)) {
    // The bad sequence is the bytes ICU kept for its error callback, just before `source`.
    char invalid[32];
    int8_t len = sizeof invalid;
    UErrorCode ignored = U_ZERO_ERROR;
    ucnv_getInvalidChars(conv.get(), invalid, &len, &ignored);
    size_t consumed = static_cast<size_t>(source - bytes.data());
    *bad_at = consumed >= static_cast<size_t>(len) ? consumed - static_cast<size_t>(len) : 0;
    return std::nullopt;
  }
  units.resize(static_cast<size_t>(target - reinterpret_cast<UChar*>(units.data())));
  // A byte-order mark starting UTF-16 is an artifact of the encoding, not text.
  size_t start = 0;
  if (!units.empty() && units[0] == 0xFEFF &&
      (encoding == TextEncoding::kUtf16Le || encoding == TextEncoding::kUtf16Be)) {
    start = 1;
  }
  for (size_t i = start; i < units.size(); ++i) {
    // NUL is not text (in a UTF-16 column it means misread bytes). Private-use characters and C1
    // controls are what Microsoft's code pages make of user-defined and unassigned bytes (GBK 0xFF
    // becomes U+F8F5, Big5 0x80 U+0080): no meaning anyone can read, so mojibake by another name.
    char16_t u = units[i];
    if (u == 0 || (u >= 0x80 && u <= 0x9F) || (u >= 0xE000 && u <= 0xF8FF)) {
      *bad_at = static_cast<size_t>(offsets[i]);
      return std::nullopt;
    }
  }
  std::string out;
  out.resize(units.size() * 3);
  int32_t len = 0;
  status = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &len,
              reinterpret_cast<const UChar*>(units.data()) + start,
              static_cast<int32_t>(units.size() - start), &status);
  if (U_FAILURE(status)) return std::nullopt;  // a lone surrogate
  out.resize(static_cast<size_t>(len));
  return out;
}

std::optional<std::string> EncodeText(std::string_view utf8, TextEncoding encoding,
                                      std::string* bad_char) {
  bad_char->clear();
  if (!IsValidUtf8(utf8)) return std::nullopt;
  if (encoding == TextEncoding::kUtf8) return std::string(utf8);
  ConverterPtr conv = Open(encoding);
  if (conv == nullptr) return std::nullopt;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  // Text that starts with U+FEFF gets a byte-order mark in front, so that decoding (which drops a
  // leading mark) gives the character back.
  if ((encoding == TextEncoding::kUtf16Le || encoding == TextEncoding::kUtf16Be) &&
      u.length() > 0 && u.charAt(0) == 0xFEFF) {
    u.insert(0, static_cast<UChar>(0xFEFF));
  }
  std::string out;
  out.resize(static_cast<size_t>(u.length()) * 4 + 4);
  char* target = out.data();
  const UChar* source = u.getBuffer();
  const UChar* source_limit = source + u.length();
  UErrorCode status = U_ZERO_ERROR;
  ucnv_fromUnicode(conv.get(), &target, out.data() + out.size(), &source, source_limit, nullptr,
                   /*flush=*/true, &status);
  if (U_FAILURE(status)) {
    UChar invalid[4];
    int8_t len = 4;
    UErrorCode ignored = U_ZERO_ERROR;
    ucnv_getInvalidUChars(conv.get(), invalid, &len, &ignored);
    icu::UnicodeString(invalid, len).toUTF8String(*bad_char);
    return std::nullopt;
  }
  out.resize(static_cast<size_t>(target - out.data()));
  return out;
}

}  // namespace concord::quality_internal
