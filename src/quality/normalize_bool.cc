// Normalizer for bool: canonical Int 0/1 from integers and the usual words, Chinese included.
#include <cctype>
#include <string>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

constexpr std::string_view kWhat = "a boolean (true/false, yes/no, 1/0, 是/否)";

struct Word {
  std::string_view text;  // lower case
  int value;
};
constexpr Word kWords[] = {
    {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"y", 1},   {"n", 0},  {"t", 1},
    {"f", 0},    {"1", 1},     {"0", 0},   {"on", 1}, {"off", 0}, {"是", 1}, {"否", 0},
};

}  // namespace

Result<Value> NormalizeBool(const FieldSpec& field, const Value& raw, const Compiled&) {
  switch (raw.kind()) {
    case ValueKind::kInt:
      if (raw.int_value() == 0 || raw.int_value() == 1) return raw;
      return Expected(field, kWhat, raw);
    case ValueKind::kReal:
      if (raw.real_value() == 0.0 || raw.real_value() == 1.0) {
        return Value::Int(raw.real_value() == 1.0 ? 1 : 0);
      }
      return Expected(field, kWhat, raw);
    case ValueKind::kText: {
      if (raw.text().size() > 16) return Expected(field, kWhat, raw);
      // The words as they usually come (ASCII, or 是/否 as they are), without Canonicalish's copy;
      // what this does not find, the reading below decides.
      const std::string_view trimmed = TrimAscii(raw.text());
      char lower_ascii[16];
      for (size_t i = 0; i < trimmed.size(); ++i) {
        const char c = trimmed[i];
        lower_ascii[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      }
      const std::string_view quick(lower_ascii, trimmed.size());
      for (const Word& w : kWords) {
        if (quick == w.text) return Value::Int(w.value);
      }
      std::string lower = Canonicalish(raw.text());  // full-width Ｙ is Y
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (const Word& w : kWords) {
        if (lower == w.text) return Value::Int(w.value);
      }
      return Expected(field, kWhat, raw);
    }
    default:
      return Expected(field, kWhat, raw);
  }
}

}  // namespace concord::quality_internal
