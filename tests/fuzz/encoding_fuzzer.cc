// Legacy-encoding decoder and the text operations: any bytes either decode to valid UTF-8 or are
// refused (never mojibake, never a crash); decoded text encodes back and decodes to itself; the
// field's text operations keep text valid UTF-8.
//
// Input: byte 0 picks the encoding and the text operations; the rest are the column's bytes.
#include <cstdint>
#include <string>

#include "quality/normalize_internal.h"
#include "tests/fuzz/fuzz_util.h"

using namespace concord;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 1024) return 0;
  static const TextEncoding kEncodings[] = {TextEncoding::kUtf8,    TextEncoding::kGbk,
                                            TextEncoding::kGb18030, TextEncoding::kBig5,
                                            TextEncoding::kUtf16Le, TextEncoding::kUtf16Be};
  const TextEncoding enc = kEncodings[data[0] % 6];
  FieldSpec f = fuzz::Field(FieldType::kString);
  const uint8_t ops = data[0] / 6;
  f.nfkc = ops & 1;
  f.trim = ops & 2;
  f.collapse_spaces = ops & 4;
  f.letter_case = (ops & 8) ? LetterCase::kUpper : LetterCase::kKeep;
  f.chinese = (ops & 16)   ? ChineseScript::kSimplified
              : (ops & 32) ? ChineseScript::kTraditional
                           : ChineseScript::kKeep;
  BindingFormat format = fuzz::Layout(f, "", "", enc);
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (Value raw : {Value::Blob(bytes), Value::Text(bytes)}) {
    auto decoded = DecodeValue(f, raw, format);
    if (!decoded.ok()) continue;
    if (decoded->kind() == ValueKind::kBlob) continue;  // UTF-8 binding: bytes are left to the type
    const std::string& text = decoded->text();
    fuzz::Check(quality_internal::IsValidUtf8(text), "decoded text is UTF-8", text);
    // Text that was already UTF-8 is kept as it is and need not be representable in a legacy
    // encoding; what was decoded from it must be.
    bool was_decoded = raw.kind() == ValueKind::kBlob || *decoded != raw;
    if (enc != TextEncoding::kUtf8 && was_decoded) {
      auto encoded = EncodeValue(f, *decoded, format);
      fuzz::Check(encoded.ok(), "decoded text encodes back", encoded.status().ToString());
      auto again = DecodeValue(f, *encoded, format);
      fuzz::Check(again.ok() && *again == *decoded, "encode/decode round trip", text);
    }
    auto normalized = NormalizeValue(f, *decoded, format);
    if (normalized.ok()) {
      fuzz::Check(quality_internal::IsValidUtf8(normalized->text()), "normalized text is UTF-8",
                  normalized->text());
    }
  }
  return 0;
}
