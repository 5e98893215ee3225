// Helpers shared by the quality tests.
#pragma once

#include <string>

#include "config/spec.h"
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

inline void RunCases(const FieldSpec& field, const std::vector<NormCase>& cases) {
  for (const NormCase& c : cases) {
    SCOPED_TRACE("raw " + std::string(ValueKindName(c.raw.kind())) + " " + c.raw.ToString());
    auto got = NormalizeValue(field, c.raw);
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
