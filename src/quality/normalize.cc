// The entry points: BindingFormat, DecodeValue / NormalizeValue / FormatValue / EncodeValue, the
// dispatch to one normalizer and one writer per data-dictionary type, and the helpers the
// normalizers share.
#include "quality/normalize.h"

#include <algorithm>

#include "quality/normalize_internal.h"

namespace concord {

namespace quality_internal {

Normalizer NormalizerFor(FieldType type) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kText:
    case FieldType::kReference:
      return NormalizeText;
    case FieldType::kEnum:
      return NormalizeEnum;
    case FieldType::kPhone:
      return NormalizePhone;
    case FieldType::kEmail:
      return NormalizeEmail;
    case FieldType::kInt:
      return NormalizeInt;
    case FieldType::kDecimal:
      return NormalizeDecimal;
    case FieldType::kBool:
      return NormalizeBool;
    case FieldType::kDate:
      return NormalizeDate;
    case FieldType::kTimestamp:
      return NormalizeTimestamp;
  }
  return NormalizeText;
}

Writer WriterFor(FieldType type) {
  switch (type) {
    case FieldType::kPhone:
      return WritePhone;
    case FieldType::kDate:
      return WriteDate;
    case FieldType::kTimestamp:
      return WriteTimestamp;
    default:
      return nullptr;
  }
}

Status Expected(const FieldSpec& field, std::string_view what, const Value& raw,
                std::string_view why) {
  std::string m = "expected ";
  m += what;
  m += ", found ";
  m += DisplayValue(field, raw);
  if (!why.empty()) {
    m += " (";
    m += why;
    m += ")";
  }
  return InvalidArgument(std::move(m));
}

std::string_view TrimAscii(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

int64_t Utf8Length(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Canonicalish(std::string_view s) {
  s = TrimAscii(s);
  if (IsAscii(s)) return std::string(s);
  return std::string(TrimUnicode(Nfkc(s)));
}

namespace {

bool IsTextShaped(FieldType t) {
  return t == FieldType::kString || t == FieldType::kText || t == FieldType::kEnum ||
         t == FieldType::kReference || t == FieldType::kPhone || t == FieldType::kEmail;
}

const std::shared_ptr<const Compiled>& DefaultCompiled() {
  static const auto* kDefault = new std::shared_ptr<const Compiled>(std::make_shared<Compiled>());
  return *kDefault;
}

}  // namespace
}  // namespace quality_internal

using quality_internal::Compiled;

BindingFormat::BindingFormat() : compiled_(quality_internal::DefaultCompiled()) {}

FormatKind BindingFormat::kind() const { return compiled_->kind; }
TextEncoding BindingFormat::encoding() const { return compiled_->encoding; }

Result<BindingFormat> BindingFormat::Compile(const FieldSpec& field, const FieldMapping& mapping) {
  const bool dated = field.type == FieldType::kDate || field.type == FieldType::kTimestamp;
  if (mapping.format == FormatKind::kCanonical && mapping.timezone.empty() &&
      mapping.encoding == TextEncoding::kUtf8) {
    return BindingFormat();
  }
  auto c = std::make_shared<Compiled>();
  c->kind = mapping.format;
  c->text = mapping.format_text;
  const std::string where = "column \"" + mapping.column + "\": ";
  if (mapping.format != FormatKind::kCanonical) {
    std::string error, hint;
    auto kind = ParseFormat(field.type, mapping.format_text, &error, &hint);
    if (!kind || *kind != mapping.format) {
      return InvalidArgument(
          where +
          (kind ? "format \"" + mapping.format_text + "\" does not match its parsed kind" : error));
    }
    if (*kind == FormatKind::kDatePattern) {
      c->pattern =
          *ParseDatePattern(mapping.format_text, field.type == FieldType::kTimestamp, &error);
    }
    if (*kind == FormatKind::kDigitPattern) {
      for (char ch : mapping.format_text) c->pattern_digits += ch >= '0' && ch <= '9';
    }
    if ((*kind == FormatKind::kNational || *kind == FormatKind::kDigitPattern) &&
        field.region.empty()) {
      return InvalidArgument(where + "format \"" + mapping.format_text +
                             "\" needs the field's region");
    }
  }
  if (!mapping.timezone.empty()) {
    if (!dated) {
      return InvalidArgument(where + "timezone applies to date and timestamp fields, not " +
                             std::string(FieldTypeName(field.type)));
    }
    c->zone = quality_internal::Zone::Create(mapping.timezone);
    if (c->zone == nullptr) {
      return InvalidArgument(where + "unknown time zone \"" + mapping.timezone + "\"");
    }
  }
  if (mapping.encoding != TextEncoding::kUtf8 && !quality_internal::IsTextShaped(field.type)) {
    return InvalidArgument(where + "encoding applies to text-shaped fields, not " +
                           std::string(FieldTypeName(field.type)));
  }
  c->encoding = mapping.encoding;
  return BindingFormat(std::move(c));
}

Result<const Value*> DecodeValue(const FieldSpec& field, const Value& raw,
                                 const BindingFormat& format, Value* decoded) {
  using namespace quality_internal;
  const TextEncoding enc = format.encoding();
  if (raw.kind() != ValueKind::kText && raw.kind() != ValueKind::kBlob) return &raw;
  const std::string& bytes = raw.text();
  size_t bad = 0;
  if (enc == TextEncoding::kUtf8) {
    if (raw.kind() == ValueKind::kBlob || IsValidUtf8(bytes, &bad)) return &raw;
    return Expected(field, "UTF-8 text", raw, "not valid UTF-8 at byte " + std::to_string(bad + 1));
  }
  const bool utf16 = enc == TextEncoding::kUtf16Le || enc == TextEncoding::kUtf16Be;
  if (raw.kind() == ValueKind::kText && !utf16 && IsValidUtf8(bytes)) return &raw;
  auto text = DecodeBytes(bytes, enc, &bad);
  const std::string name(TextEncodingName(enc));
  if (!text) {
    return Expected(field, name + " text", raw,
                    "not valid " + name + " at byte " + std::to_string(bad + 1));
  }
  *decoded = Value::Text(std::move(*text));
  return decoded;
}

Result<Value> DecodeValue(const FieldSpec& field, const Value& raw, const BindingFormat& format) {
  Value decoded;
  auto v = DecodeValue(field, raw, format, &decoded);
  if (!v.ok()) return v.status();
  if (*v == &decoded) return decoded;
  return raw;
}

Result<Value> NormalizeValue(const FieldSpec& field, const Value& decoded,
                             const BindingFormat& format) {
  if (decoded.is_null()) return Value::Null();
  return quality_internal::NormalizerFor(field.type)(field, decoded, format.compiled());
}

Result<Value> NormalizeValue(const FieldSpec& field, const Value& raw) {
  if (raw.is_null()) return Value::Null();
  static const BindingFormat kDefault;
  auto decoded = DecodeValue(field, raw, kDefault);
  if (!decoded.ok()) return decoded.status();
  return quality_internal::NormalizerFor(field.type)(field, *decoded, kDefault.compiled());
}

Result<Value> EncodeValue(const FieldSpec& field, const Value& value, const BindingFormat& format) {
  using namespace quality_internal;
  const TextEncoding enc = format.encoding();
  if (enc == TextEncoding::kUtf8 || value.kind() != ValueKind::kText) return value;
  std::string bad;
  auto bytes = EncodeText(value.text(), enc, &bad);
  if (!bytes) {
    std::string shown = field.personal ? "a character" : "\"" + bad + "\"";
    return InvalidArgument(DisplayValue(field, value) + " cannot be written in " +
                           std::string(TextEncodingName(enc)) + ": " + shown +
                           " has no representation there");
  }
  return Value::Blob(std::move(*bytes));
}

Result<Value> EncodeValue(const FieldSpec& field, Value&& value, const BindingFormat& format) {
  if (format.encoding() == TextEncoding::kUtf8 || value.kind() != ValueKind::kText) {
    return std::move(value);
  }
  return EncodeValue(field, static_cast<const Value&>(value), format);
}

std::vector<Value> LookupSpellings(const FieldSpec& field, const Value& canonical,
                                   const BindingFormat& format) {
  std::vector<Value> out;
  if (canonical.is_null() || (canonical.kind() == ValueKind::kText && canonical.text().empty())) {
    return out;
  }
  auto add = [&](Value v) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  };
  if (auto written = FormatValue(field, canonical, format); written.ok()) add(*written);
  add(canonical);
  if (field.type == FieldType::kPhone && canonical.kind() == ValueKind::kText) {
    for (std::string& s : quality_internal::PhoneSpellings(field, canonical.text())) {
      add(Value::Text(std::move(s)));
    }
  }
  return out;
}

Result<Value> FormatValue(const FieldSpec& field, const Value& canonical,
                          const BindingFormat& format) {
  if (canonical.is_null()) return Value::Null();
  quality_internal::Writer writer = quality_internal::WriterFor(field.type);
  if (writer == nullptr) return EncodeValue(field, canonical, format);
  auto written = writer(field, canonical, format.compiled());
  if (!written.ok()) return written;
  return EncodeValue(field, std::move(*written), format);
}

std::string FieldIssue::ToString() const {
  std::string s = "field " + field + ": " + message + " (rule " + rule + ")";
  if (!hint.empty()) s += "; hint: " + hint;
  return s;
}

Result<int> CompareDecimal(const std::string& a, const std::string& b) {
  auto x = quality_internal::ParseDecimal(a);
  if (!x) return InvalidArgument("expected a decimal number, found \"" + a + "\"");
  auto y = quality_internal::ParseDecimal(b);
  if (!y) return InvalidArgument("expected a decimal number, found \"" + b + "\"");
  return quality_internal::CompareDecimals(*x, *y);
}

}  // namespace concord
