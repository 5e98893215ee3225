// Decimal parser: any input either normalizes or is refused; the canonical form has exactly
// `scale` digits after the point, no leading zeros, never "-0"; it normalizes to itself; and it
// compares equal to itself exactly.
//
// Input: byte 0 picks scale (0-18), rounding and currency; byte 1 bit 0 reads the next 8 bytes as
// a double instead of text.
#include <cstdint>
#include <cstring>
#include <string>

#include "tests/fuzz/fuzz_util.h"

using namespace concord;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 512) return 0;
  FieldSpec f = fuzz::Field(FieldType::kDecimal);
  f.scale = data[0] % 19;
  f.rounding = static_cast<Rounding>((data[0] / 19) % 3);
  f.currency = (data[0] / 57) % 2 == 1;
  Value raw;
  if ((data[1] & 1) && size >= 10) {
    double v;
    std::memcpy(&v, data + 2, 8);
    raw = Value::Real(v);
  } else {
    raw = Value::Text(std::string(reinterpret_cast<const char*>(data) + 2, size - 2));
  }
  auto got = NormalizeValue(f, raw);
  if (!got.ok()) return 0;
  const std::string& c = got->text();
  fuzz::Check(got->kind() == ValueKind::kText && !c.empty(), "canonical is text", c);
  size_t i = c[0] == '-' ? 1 : 0;
  size_t dot = c.find('.');
  size_t int_len = (dot == std::string::npos ? c.size() : dot) - i;
  fuzz::Check(int_len >= 1 && (int_len == 1 || c[i] != '0'), "no leading zeros", c);
  fuzz::Check(f.scale == 0 ? dot == std::string::npos : c.size() - dot - 1 == size_t(f.scale),
              "exactly scale digits", c);
  for (size_t k = i; k < c.size(); ++k) {
    fuzz::Check((c[k] >= '0' && c[k] <= '9') || k == dot, "digits only", c);
  }
  fuzz::Check(c.find_first_not_of("-0.") != std::string::npos || c[0] != '-', "never -0", c);
  auto again = NormalizeValue(f, *got);
  fuzz::Check(again.ok() && *again == *got, "canonical is stable", c);
  auto cmp = CompareDecimal(c, c);
  fuzz::Check(cmp.ok() && *cmp == 0, "equal to itself", c);
  return 0;
}
