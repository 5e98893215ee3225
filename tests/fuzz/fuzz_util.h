// Helpers shared by the libFuzzer targets: building a binding layout the way the config loader
// does, and failing loudly when a property does not hold.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/value_format.h"
#include "quality/normalize.h"

namespace concord::fuzz {

// Aborts (a crash libFuzzer reports with the input) when `ok` is false.
inline void Check(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "property violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

inline FieldSpec Field(FieldType type, std::string region = "") {
  FieldSpec f;
  f.name = "f";
  f.type = type;
  f.region = std::move(region);
  return f;
}

inline BindingFormat Layout(const FieldSpec& field, const std::string& format,
                            const std::string& timezone = "",
                            TextEncoding encoding = TextEncoding::kUtf8) {
  FieldMapping m;
  m.field = field.name;
  m.column = "c";
  m.format_text = format;
  if (!format.empty()) {
    std::string error, hint;
    auto kind = ParseFormat(field.type, format, &error, &hint);
    Check(kind.has_value(), "format parses", format + ": " + error);
    m.format = *kind;
  }
  m.timezone = timezone;
  m.encoding = encoding;
  auto compiled = BindingFormat::Compile(field, m);
  Check(compiled.ok(), "format compiles", compiled.status().ToString());
  return *compiled;
}

// Both reading steps, as a binding applies them.
inline Result<Value> Read(const FieldSpec& field, const Value& raw, const BindingFormat& format) {
  auto decoded = DecodeValue(field, raw, format);
  if (!decoded.ok()) return decoded.status();
  return NormalizeValue(field, *decoded, format);
}

}  // namespace concord::fuzz
