// Helpers shared by the quality tests.
#pragma once

#include <string>

#include "config/spec.h"
#include "config/value_format.h"
#include "quality/normalize.h"

namespace concord::testing {

inline FieldSpec MakeField(std::string name, FieldType type, int scale = 0) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = type;
  f.scale = scale;
  return f;
}

// A normalization case: raw value in, canonical value out — or an error message when `ok` is
// false.
struct NormCase {
  Value raw;
  bool ok;
  Value want;           // when ok
  std::string message;  // when !ok: the exact message
};

inline NormCase Ok(Value raw, Value want) { return {std::move(raw), true, std::move(want), ""}; }
inline NormCase Bad(Value raw, std::string message) {
  return {std::move(raw), false, Value(), std::move(message)};
}

}  // namespace concord::testing

#include <gtest/gtest.h>

#include <vector>

namespace concord::testing {

// A binding layout for tests: what the loader would build from `format:`, `timezone:` and
// `encoding:` (the format text is parsed as the loader parses it).
inline BindingFormat MakeFormat(const FieldSpec& field, std::string format,
                                std::string timezone = "",
                                TextEncoding encoding = TextEncoding::kUtf8) {
  FieldMapping m;
  m.field = field.name;
  m.column = field.name;
  m.format_text = format;
  if (!format.empty()) {
    std::string error, hint;
    auto kind = ParseFormat(field.type, format, &error, &hint);
    EXPECT_TRUE(kind.has_value()) << format << ": " << error;
    m.format = kind.value_or(FormatKind::kCanonical);
  }
  m.timezone = std::move(timezone);
  m.encoding = encoding;
  auto compiled = BindingFormat::Compile(field, m);
  EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
  return compiled.ok() ? *compiled : BindingFormat();
}

// Both reading steps, as a binding applies them.
inline Result<Value> Read(const FieldSpec& field, const Value& raw, const BindingFormat& format) {
  auto decoded = DecodeValue(field, raw, format);
  if (!decoded.ok()) return decoded.status();
  return NormalizeValue(field, *decoded, format);
}

inline void RunCases(const FieldSpec& field, const std::vector<NormCase>& cases,
                     const BindingFormat& format = BindingFormat()) {
  for (const NormCase& c : cases) {
    SCOPED_TRACE("raw " + std::string(ValueKindName(c.raw.kind())) + " " + c.raw.ToString());
    auto got = Read(field, c.raw, format);
    if (c.ok) {
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, c.want) << "got " << ValueKindName(got->kind()) << " " << got->ToString();
    } else {
      ASSERT_FALSE(got.ok()) << "got " << got->ToString();
      EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(got.status().message(), c.message);
    }
  }
}

}  // namespace concord::testing
