// Normalizer for decimal(scale): exact, through decimal text (see decimal.cc); full-width digits
// and punctuation accepted (NFKC), one currency symbol or code stripped where the field says
// `currency: true`, rounded by the field's rounding mode. Plain numbers of up to 18 digits take a
// path of 64-bit integers (PlainDecimal), which gives what the digit strings of decimal.cc give.
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

constexpr uint64_t kPow10[] = {1,
                               10,
                               100,
                               1000,
                               10000,
                               100000,
                               1000000,
                               10000000,
                               100000000,
                               1000000000,
                               10000000000,
                               100000000000,
                               1000000000000,
                               10000000000000,
                               100000000000000,
                               1000000000000000,
                               10000000000000000,
                               100000000000000000,
                               1000000000000000000};
constexpr int kMaxFastDigits = 18;  // 10^18 fits in uint64_t

}  // namespace

std::optional<PlainNumber> ReadPlainNumber(std::string_view s) {
  const size_t n = s.size();
  size_t i = 0;
  PlainNumber p;
  if (i < n && (s[i] == '+' || s[i] == '-')) {
    p.negative = s[i] == '-';
    ++i;
  }
  i = ReadIntegerPart(s, i, [&](char c) {
    if (p.int_len == kMaxFastDigits) return false;
    p.digits = p.digits * 10 + static_cast<uint64_t>(c - '0');
    ++p.int_len;
    return true;
  });
  if (i == std::string_view::npos) return std::nullopt;
  if (i < n && s[i] == '.') {
    for (++i; i < n && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (p.int_len + p.scale == kMaxFastDigits) return std::nullopt;
      p.digits = p.digits * 10 + static_cast<uint64_t>(s[i] - '0');
      ++p.scale;
    }
  }
  if (i != n || (p.int_len == 0 && p.scale == 0)) return std::nullopt;  // exponent, blanks, …
  return p;
}

std::optional<std::string> PlainDecimal(std::string_view s, int scale, Rounding rounding) {
  if (scale < 0 || scale > kMaxFastDigits) return std::nullopt;
  const std::optional<PlainNumber> plain = ReadPlainNumber(s);
  if (!plain) return std::nullopt;
  const bool negative = plain->negative;
  const uint64_t m = plain->digits;  // every digit read, as one integer
  const int int_len = plain->int_len, frac_len = plain->scale;
  // Rounded to `scale` digits after the point, as FormatDecimal rounds.
  uint64_t q;
  if (frac_len <= scale) {
    if (int_len + scale > kMaxFastDigits) return std::nullopt;
    q = m * kPow10[scale - frac_len];
  } else {
    const uint64_t unit = kPow10[frac_len - scale];
    q = m / unit;
    const uint64_t rest = m % unit, half = unit / 2;
    bool up = false;
    switch (rounding) {
      case Rounding::kHalfEven:
        up = rest > half || (rest == half && (q & 1) != 0);
        break;
      case Rounding::kHalfUp:
        up = rest >= half;
        break;
      case Rounding::kDown:
        break;
    }
    q += up ? 1 : 0;
  }
  char buf[2 * kMaxFastDigits + 4];
  char* end = buf + sizeof buf;
  char* p = end;
  uint64_t int_part = q / kPow10[scale], frac = q % kPow10[scale];
  for (int k = 0; k < scale; ++k, frac /= 10) *--p = static_cast<char>('0' + frac % 10);
  if (scale > 0) *--p = '.';
  do {
    *--p = static_cast<char>('0' + int_part % 10);
    int_part /= 10;
  } while (int_part != 0);
  if (negative && q != 0) *--p = '-';  // never "-0"
  return std::string(p, static_cast<size_t>(end - p));
}

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
      // Plain numbers ("1234.5", "-1,234.50", "1000") need neither NFKC nor the currency marks
      // (StripCurrency leaves them as they are), and fit in 64-bit integers: computed so, exactly.
      const std::string_view trimmed = TrimAscii(raw.text());
      if (auto plain = PlainDecimal(trimmed, field.scale, field.rounding)) {
        return Value::Text(std::move(*plain));
      }
      // A currency mark right before a plain number ("¥5000", "RMB12.50"): the marks are text NFKC
      // leaves as it is, so StripCurrency would take the first that starts the text and leave the
      // number as it is.
      if (field.currency) {
        for (std::string_view p : kPrefixes) {
          if (trimmed.substr(0, p.size()) != p) continue;
          if (auto plain = PlainDecimal(trimmed.substr(p.size()), field.scale, field.rounding)) {
            return Value::Text(std::move(*plain));
          }
          break;
        }
      }
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
