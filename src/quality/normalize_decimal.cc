// Normalizer for decimal(scale): exact, through decimal text (see decimal.cc); full-width digits
// and punctuation accepted (NFKC), one currency symbol or code stripped where the field says
// `currency: true`, rounded by the field's rounding mode.
#include <cmath>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

constexpr std::string_view kWhat = "a decimal number";

// After NFKC (which turns ￥ into ¥ and ＄ into $). Longer marks first, so "US$" is not read as "$"
// after "US".
constexpr std::string_view kPrefixes[] = {
    "人民币", "RMB", "CNY", "USD", "HKD", "TWD", "EUR", "GBP", "JPY",
    "US$",    "HK$", "NT$", "¥",   "$",   "€",   "£",   "₩",   "₹",
};
constexpr std::string_view kSuffixes[] = {
    "人民币", "元", "圆", "RMB", "CNY", "USD", "HKD", "TWD", "EUR", "GBP", "JPY", "€", "¥", "$",
};

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool StripParens(std::string_view* s) {
  if (s->size() >= 2 && s->front() == '(' && s->back() == ')') {
    *s = TrimSpaces(s->substr(1, s->size() - 2));
    return true;
  }
  return false;
}

// "¥1,234.50", "-¥12", "¥-12", "1234.50元", "RMB 12", "(1,234.50)", "¥(12.00)" → the signed number
// text; nullopt when the marks are not where a currency amount has them.
std::optional<std::string> StripCurrency(std::string_view s) {
  bool negative = StripParens(&s);
  char sign = 0;
  if (!negative && !s.empty() && (s.front() == '-' || s.front() == '+')) {
    sign = s.front();
    s = TrimSpaces(s.substr(1));
  }
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  bool marked = false;
  const bool may_have_prefix = !s.empty() && !digit(s.front()) && s.front() != '.';
  for (std::string_view p : kPrefixes) {
    if (!may_have_prefix) break;
    if (s.substr(0, p.size()) == p) {
      s = TrimSpaces(s.substr(p.size()));
      marked = true;
      break;
    }
  }
  if (!marked && !s.empty() && !digit(s.back())) {
    for (std::string_view p : kSuffixes) {
      if (s.size() > p.size() && s.substr(s.size() - p.size()) == p) {
        s = TrimSpaces(s.substr(0, s.size() - p.size()));
        break;
      }
    }
  }
  if (!negative && sign == 0 && StripParens(&s)) negative = true;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    if (negative || sign != 0) return std::nullopt;  // two signs
    sign = s.front();
    s = s.substr(1);
  }
  if (s.empty() || s.front() == ' ') return std::nullopt;
  std::string out;
  if (negative || sign == '-') out += '-';
  out += s;
  return out;
}

}  // namespace

Result<Value> NormalizeDecimal(const FieldSpec& field, const Value& raw, const Compiled& fmt) {
  std::string text;
  switch (raw.kind()) {
    case ValueKind::kInt:
      text = raw.ToString();
      break;
    case ValueKind::kReal:
      // The shortest text that reads back to the same double: 0.1 stays "0.1", not
      // 0.1000000000000000055511151231257827.
      if (!std::isfinite(raw.real_value())) return Expected(field, kWhat, raw);
      text = raw.ToString();
      break;
    case ValueKind::kText: {
      text = Canonicalish(raw.text());
      if (field.currency) {
        auto stripped = StripCurrency(text);
        if (!stripped) return Expected(field, "an amount like ¥1,234.50", raw);
        text = std::move(*stripped);
      }
      break;
    }
    default:
      return Expected(field, kWhat, raw);
  }
  auto d = ParseDecimal(text);
  if (!d) return Expected(field, field.currency ? "an amount like ¥1,234.50" : kWhat, raw);
  return Value::Text(FormatDecimal(std::move(*d), field.scale, field.rounding));
}

}  // namespace concord::quality_internal
