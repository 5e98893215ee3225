// Exact decimal arithmetic on digit strings: parsing, rounding to a scale (half-even, half-up or
// toward zero), comparison.
//
// Written by hand rather than with a decimal library because what is needed is tiny (parse,
// round, compare — no arithmetic between numbers), must be exact for any length (NUMERIC(38) and
// beyond), and the candidates in the distribution (libmpdec, GMP) would add a dependency for
// three functions. No binary floating point anywhere on this path.
#include <algorithm>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void StripLeadingZeros(std::string* digits) {
  size_t n = 0;
  while (n < digits->size() && (*digits)[n] == '0') ++n;
  digits->erase(0, n);
}

bool AllZeros(std::string_view digits) {
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c == '0'; });
}

}  // namespace

bool Decimal::IsZero() const { return AllZeros(int_digits) && AllZeros(frac_digits); }

std::optional<Decimal> ParseDecimal(std::string_view text) {
  std::string_view s = TrimAscii(text);
  size_t i = 0;
  Decimal d;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    d.negative = s[i] == '-';
    ++i;
  }
  // Integer part, with optional thousands separators: the first group has 1-3 digits, every
  // later group exactly 3.
  std::string int_digits;
  const size_t int_start = i;
  i = ReadIntegerPart(s, i, [&](char c) {
    int_digits += c;
    return true;
  });
  if (i == std::string_view::npos) return std::nullopt;
  const bool grouped = s.substr(int_start, i - int_start).find(',') != std::string_view::npos;
  std::string frac_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) frac_digits += s[i++];
  }
  if (int_digits.empty() && frac_digits.empty()) return std::nullopt;
  int exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    if (grouped) return std::nullopt;
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      exp_negative = s[i] == '-';
      ++i;
    }
    if (i == s.size() || !IsDigit(s[i])) return std::nullopt;
    while (i < s.size() && IsDigit(s[i])) {
      exponent = exponent * 10 + (s[i++] - '0');
      if (exponent > kMaxExponent) return std::nullopt;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size()) return std::nullopt;

  if (exponent == 0) {
    d.int_digits = std::move(int_digits);
    d.frac_digits = std::move(frac_digits);
  } else {
    // Move the point: all digits, point after `point` of them.
    std::string all = int_digits + frac_digits;
    long point = static_cast<long>(int_digits.size()) + exponent;
    if (point <= 0) {
      d.frac_digits = std::string(static_cast<size_t>(-point), '0') + all;
    } else if (static_cast<size_t>(point) >= all.size()) {
      d.int_digits = all + std::string(static_cast<size_t>(point) - all.size(), '0');
    } else {
      d.int_digits = all.substr(0, static_cast<size_t>(point));
      d.frac_digits = all.substr(static_cast<size_t>(point));
    }
  }
  StripLeadingZeros(&d.int_digits);
  return d;
}

std::string FormatDecimal(Decimal d, int scale, Rounding rounding) {
  scale = std::max(scale, 0);
  const size_t kept = static_cast<size_t>(scale);
  std::string digits = d.int_digits;  // integer digits followed by the kept fraction digits
  size_t int_len = digits.size();
  if (d.frac_digits.size() <= kept) {
    digits += d.frac_digits;
    digits.append(kept - d.frac_digits.size(), '0');
  } else {
    digits.append(d.frac_digits, 0, kept);
    char first_dropped = d.frac_digits[kept];
    bool rest_nonzero = !AllZeros(std::string_view(d.frac_digits).substr(kept + 1));
    bool last_odd = !digits.empty() && ((digits.back() - '0') % 2 == 1);
    bool round_up = false;  // the magnitude: away from zero
    switch (rounding) {
      case Rounding::kHalfEven:
        round_up = first_dropped > '5' || (first_dropped == '5' && (rest_nonzero || last_odd));
        break;
      case Rounding::kHalfUp:
        round_up = first_dropped >= '5';
        break;
      case Rounding::kDown:
        break;
    }
    if (round_up) {
      size_t j = digits.size();
      while (j > 0 && digits[j - 1] == '9') digits[--j] = '0';
      if (j == 0) {
        digits.insert(digits.begin(), '1');
        ++int_len;
      } else {
        ++digits[j - 1];
      }
    }
  }
  std::string int_part = digits.substr(0, int_len);
  StripLeadingZeros(&int_part);
  if (int_part.empty()) int_part = "0";
  std::string out;
  out.reserve(int_part.size() + kept + 2);
  if (d.negative && !AllZeros(digits)) out += '-';
  out += int_part;
  if (kept > 0) {
    out += '.';
    out.append(digits, int_len, kept);
  }
  return out;
}

int CompareDecimals(const Decimal& a, const Decimal& b) {
  bool a_zero = a.IsZero();
  bool b_zero = b.IsZero();
  if (a_zero && b_zero) return 0;
  bool a_neg = a.negative && !a_zero;
  bool b_neg = b.negative && !b_zero;
  if (a_neg != b_neg) return a_neg ? -1 : 1;
  // Same sign: compare magnitudes, then flip for negatives.
  int magnitude = 0;
  if (a.int_digits.size() != b.int_digits.size()) {
    magnitude = a.int_digits.size() < b.int_digits.size() ? -1 : 1;
  } else if (int c = a.int_digits.compare(b.int_digits); c != 0) {
    magnitude = c < 0 ? -1 : 1;
  } else {
    size_t n = std::max(a.frac_digits.size(), b.frac_digits.size());
    for (size_t k = 0; k < n && magnitude == 0; ++k) {
      char x = k < a.frac_digits.size() ? a.frac_digits[k] : '0';
      char y = k < b.frac_digits.size() ? b.frac_digits[k] : '0';
      if (x != y) magnitude = x < y ? -1 : 1;
    }
  }
  return a_neg ? -magnitude : magnitude;
}

}  // namespace concord::quality_internal
