#include <gtest/gtest.h>

#include <random>

#include "quality/normalize_internal.h"
#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::Bad;
using testing::MakeField;
using testing::Ok;

Value T(const char* s) { return Value::Text(s); }

TEST(NormalizeDecimalTest, ScaleTwo) {
  FieldSpec f = MakeField("credit_limit", FieldType::kDecimal, 2);
  const std::vector<testing::NormCase> cases = {
      Ok(T("1234.5"), T("1234.50")),
      Ok(T("-0.05"), T("-0.05")),
      Ok(T("+3"), T("3.00")),
      Ok(T("  42  "), T("42.00")),
      Ok(T("007.10"), T("7.10")),
      Ok(T(".5"), T("0.50")),
      Ok(T("5."), T("5.00")),
      Ok(T("1,234.50"), T("1234.50")),
      Ok(T("-1,234,567.891"), T("-1234567.89")),
      Ok(T("1e3"), T("1000.00")),
      Ok(T("2.5E-1"), T("0.25")),
      Ok(T("1.2345e2"), T("123.45")),
      // Half-even rounding.
      Ok(T("2.345"), T("2.34")),
      Ok(T("2.355"), T("2.36")),
      Ok(T("-2.345"), T("-2.34")),
      Ok(T("-2.355"), T("-2.36")),
      Ok(T("2.3450001"), T("2.35")),
      Ok(T("2.344999"), T("2.34")),
      Ok(T("9.995"), T("10.00")),
      Ok(T("999.999"), T("1000.00")),
      // Negative zero is zero.
      Ok(T("-0.00"), T("0.00")),
      Ok(T("-0.001"), T("0.00")),
      Ok(T("-0"), T("0.00")),
      // Storage kinds other than text.
      Ok(Value::Int(12), T("12.00")),
      Ok(Value::Int(-7), T("-7.00")),
      Ok(Value::Real(0.1), T("0.10")),
      Ok(Value::Real(2.345), T("2.34")),
      Ok(Value::Real(1e20), T("100000000000000000000.00")),
      Ok(Value::Real(-1.5e-5), T("0.00")),
      Ok(Value::Null(), Value::Null()),
      // Garbage.
      Bad(T("12,3x"), "expected a decimal number, found \"12,3x\""),
      Bad(T("12,3"), "expected a decimal number, found \"12,3\""),
      Bad(T("1,23.5"), "expected a decimal number, found \"1,23.5\""),
      Bad(T("1234,567"), "expected a decimal number, found \"1234,567\""),
      Bad(T(",123"), "expected a decimal number, found \",123\""),
      Bad(T("1,234e3"), "expected a decimal number, found \"1,234e3\""),
      Bad(T("1.2.3"), "expected a decimal number, found \"1.2.3\""),
      Bad(T(""), "expected a decimal number, found \"\""),
      Bad(T("-"), "expected a decimal number, found \"-\""),
      Bad(T("."), "expected a decimal number, found \".\""),
      Bad(T("NaN"), "expected a decimal number, found \"NaN\""),
      Bad(T("Infinity"), "expected a decimal number, found \"Infinity\""),
      Bad(T("1e"), "expected a decimal number, found \"1e\""),
      Bad(T("1e99999"), "expected a decimal number, found \"1e99999\""),
      Bad(T("1 000"), "expected a decimal number, found \"1 000\""),
      Bad(T("¥12"), "expected a decimal number, found \"¥12\""),
      Bad(Value::Real(std::numeric_limits<double>::quiet_NaN()),
          "expected a decimal number, found NaN"),
      Bad(Value::Real(-std::numeric_limits<double>::infinity()),
          "expected a decimal number, found -Infinity"),
      Bad(Value::Blob("\x01"), "expected a decimal number, found x'01'"),
  };
  testing::RunCases(f, cases);
}

TEST(NormalizeDecimalTest, ScaleZeroAndLarge) {
  FieldSpec whole = MakeField("qty", FieldType::kDecimal, 0);
  const std::vector<testing::NormCase> whole_cases = {
      Ok(T("0.5"), T("0")),      Ok(T("1.5"), T("2")),  Ok(T("2.5"), T("2")),
      Ok(T("-2.5"), T("-2")),    Ok(T("-0.4"), T("0")), Ok(T("99.5"), T("100")),
      Ok(T("1,000"), T("1000")),
  };
  testing::RunCases(whole, whole_cases);
  FieldSpec fine = MakeField("rate", FieldType::kDecimal, 6);
  const std::vector<testing::NormCase> fine_cases = {
      Ok(T("1e-6"), T("0.000001")),
      Ok(T("1e-7"), T("0.000000")),
      Ok(T("0.0000005"), T("0.000000")),
      Ok(T("0.0000015"), T("0.000002")),
  };
  testing::RunCases(fine, fine_cases);
}

TEST(NormalizeDecimalTest, ThirtyEightDigits) {
  FieldSpec f = MakeField("big", FieldType::kDecimal, 2);
  const std::vector<testing::NormCase> cases = {
      Ok(T("12345678901234567890123456789012345678"),
         T("12345678901234567890123456789012345678.00")),
      Ok(T("-123456789012345678901234567890123456.785"),
         T("-123456789012345678901234567890123456.78")),
      Ok(T("123456789012345678901234567890123456.795"),
         T("123456789012345678901234567890123456.80")),
      Ok(T("99999999999999999999999999999999999999.995"),
         T("100000000000000000000000000000000000000.00")),
      Ok(T("12,345,678,901,234,567,890,123,456,789,012,345,678.5"),
         T("12345678901234567890123456789012345678.50")),
  };
  testing::RunCases(f, cases);
  FieldSpec f10 = MakeField("precise", FieldType::kDecimal, 10);
  const std::vector<testing::NormCase> f10_cases = {
      Ok(T("1234567890123456789012345678.12345678905"),
         T("1234567890123456789012345678.1234567890")),
      Ok(T("1234567890123456789012345678.12345678915"),
         T("1234567890123456789012345678.1234567892")),
  };
  testing::RunCases(f10, f10_cases);
}

TEST(NormalizeDecimalTest, FullWidthDigits) {
  FieldSpec f = MakeField("credit_limit", FieldType::kDecimal, 2);
  const std::vector<testing::NormCase> cases = {
      Ok(T("１２３４．５"), T("1234.50")),
      Ok(T("１，２３４．５６"), T("1234.56")),
      Ok(T("－１２"), T("-12.00")),
      Ok(T("　４２　"), T("42.00")),                              // ideographic spaces
      Bad(T("¥12"), "expected a decimal number, found \"¥12\""),  // no currency: true
  };
  testing::RunCases(f, cases);
}

TEST(NormalizeDecimalTest, Currency) {
  FieldSpec f = MakeField("amount", FieldType::kDecimal, 2);
  f.currency = true;
  const std::string what = "expected an amount like ¥1,234.50, found ";
  const std::vector<testing::NormCase> cases = {
      Ok(T("¥1,234.50"), T("1234.50")),
      Ok(T("￥1,234.5"), T("1234.50")),
      Ok(T("￥１，２３４．５６"), T("1234.56")),
      Ok(T("¥ 12"), T("12.00")),
      Ok(T("1234.50元"), T("1234.50")),
      Ok(T("1234.50 元"), T("1234.50")),
      Ok(T("RMB 12"), T("12.00")),
      Ok(T("RMB12.345"), T("12.34")),
      Ok(T("CNY1,000"), T("1000.00")),
      Ok(T("人民币 500"), T("500.00")),
      Ok(T("500 人民币"), T("500.00")),
      Ok(T("US$5"), T("5.00")),
      Ok(T("HK$ 1,000.5"), T("1000.50")),
      Ok(T("$ 3.5"), T("3.50")),
      Ok(T("12.5 USD"), T("12.50")),
      Ok(T("€9.99"), T("9.99")),
      Ok(T("£0.5"), T("0.50")),
      Ok(T("-¥12"), T("-12.00")),
      Ok(T("¥-12"), T("-12.00")),
      Ok(T("+¥12"), T("12.00")),
      Ok(T("(1,234.50)"), T("-1234.50")),
      Ok(T("(¥1,234.50)"), T("-1234.50")),
      Ok(T("¥(12.00)"), T("-12.00")),
      Ok(T("1,234.50"), T("1234.50")),  // the mark is optional
      Ok(Value::Int(12), T("12.00")),
      Bad(T("¥¥12"), what + "\"¥¥12\""),
      Bad(T("-¥-12"), what + "\"-¥-12\""),
      Bad(T("(-12)"), what + "\"(-12)\""),
      Bad(T("12 ¥ 3"), what + "\"12 ¥ 3\""),
      Bad(T("¥"), what + "\"¥\""),
      Bad(T("人民币100元"), what + "\"人民币100元\""),
      Bad(T("about ¥12"), what + "\"about ¥12\""),
  };
  testing::RunCases(f, cases);
}

TEST(NormalizeDecimalTest, RoundingModes) {
  FieldSpec up = MakeField("amount", FieldType::kDecimal, 2);
  up.rounding = Rounding::kHalfUp;
  testing::RunCases(up, {
                            Ok(T("2.345"), T("2.35")),
                            Ok(T("2.355"), T("2.36")),
                            Ok(T("-2.345"), T("-2.35")),
                            Ok(T("2.344999"), T("2.34")),
                            Ok(T("9.995"), T("10.00")),
                            Ok(T("-0.004"), T("0.00")),
                            Ok(T("-0.005"), T("-0.01")),
                        });
  FieldSpec down = MakeField("amount", FieldType::kDecimal, 2);
  down.rounding = Rounding::kDown;
  testing::RunCases(down, {
                              Ok(T("2.349"), T("2.34")),
                              Ok(T("-2.349"), T("-2.34")),
                              Ok(T("9.999"), T("9.99")),
                              Ok(T("-0.009"), T("0.00")),
                              Ok(T("1e-9"), T("0.00")),
                          });
  FieldSpec whole = MakeField("qty", FieldType::kDecimal, 0);
  whole.rounding = Rounding::kHalfUp;
  testing::RunCases(whole, {Ok(T("2.5"), T("3")), Ok(T("-2.5"), T("-3"))});
}

// A canonical decimal normalizes to itself, in every rounding mode.
TEST(NormalizeDecimalTest, CanonicalIsStable) {
  for (Rounding r : {Rounding::kHalfEven, Rounding::kHalfUp, Rounding::kDown}) {
    FieldSpec f = MakeField("amount", FieldType::kDecimal, 2);
    f.rounding = r;
    for (const char* v : {"0.00", "-0.01", "1234.50", "99999999999999999999.99"}) {
      auto got = NormalizeValue(f, T(v));
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(*got, T(v));
    }
  }
}

TEST(NormalizeDecimalTest, PersonalValueIsMasked) {
  FieldSpec f = MakeField("salary", FieldType::kDecimal, 2);
  f.personal = true;
  auto got = NormalizeValue(f, T("12,3x"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "expected a decimal number, found ***");
}

TEST(CompareDecimalTest, Exact) {
  struct Case {
    const char* a;
    const char* b;
    int want;
  };
  const Case cases[] = {
      {"-1.50", "2", -1},
      {"2", "-1.50", 1},
      {"1.50", "1.5", 0},
      {"-0", "0.00", 0},
      {"0", "-0.001", 1},
      {"-0.001", "0", -1},
      {"10", "9.999", 1},
      {"-10", "-9.999", -1},
      {"0.1", "0.10000000000000000001", -1},
      {"12345678901234567890123456789012345678", "12345678901234567890123456789012345677.99", 1},
      {"1,000", "1e3", 0},
      {"007", "7", 0},
      {"100", "100.0000001", -1},
  };
  for (const Case& c : cases) {
    auto got = CompareDecimal(c.a, c.b);
    ASSERT_TRUE(got.ok()) << c.a << " vs " << c.b;
    EXPECT_EQ(*got, c.want) << c.a << " vs " << c.b;
  }
  auto bad = CompareDecimal("1", "x1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "expected a decimal number, found \"x1\"");
}

TEST(NormalizeDecimalTest, CurrencyMarkBeforeAPlainNumber) {
  // "¥" + a plain number is answered without NFKC and StripCurrency; "￥" (full width) + the same
  // number takes that path: the answers are the same, refusals included.
  FieldSpec f = MakeField("amount", FieldType::kDecimal, 2);
  f.currency = true;
  const std::pair<const char*, const char*> kMarks[] = {
      {"¥", "￥"}, {"$", "＄"}, {"RMB", "ＲＭＢ"}, {"US$", "ＵＳ＄"}, {"HK$", "ＨＫ＄"}};
  std::mt19937 rng(12);
  const std::string alphabet = "0123456789,.-+ (";
  for (int k = 0; k < 20000; ++k) {
    std::string number;
    for (size_t j = rng() % 10; j > 0; --j) number += alphabet[rng() % alphabet.size()];
    for (const auto& [mark, wide] : kMarks) {
      auto fast = NormalizeValue(f, T((mark + number).c_str()));
      auto slow = NormalizeValue(f, T((wide + number).c_str()));
      ASSERT_EQ(fast.ok(), slow.ok()) << mark << number;
      if (fast.ok()) ASSERT_EQ(*fast, *slow) << mark << number;
    }
  }
}

TEST(NormalizeDecimalTest, PlainDecimalAgreesWithTheDigitStrings) {
  // The 64-bit path against ParseDecimal + FormatDecimal: wherever it answers, the same text.
  using quality_internal::FormatDecimal;
  using quality_internal::ParseDecimal;
  using quality_internal::PlainDecimal;
  std::mt19937 rng(4);
  const std::string alphabet = "0123456789000999,,..+-e5 ";
  const Rounding kModes[] = {Rounding::kHalfEven, Rounding::kHalfUp, Rounding::kDown};
  size_t answered = 0, inputs = 0;
  auto check = [&](const std::string& s) {
    for (int scale = 0; scale <= 20; ++scale) {
      for (Rounding r : kModes) {
        ++inputs;
        auto fast = PlainDecimal(s, scale, r);
        if (!fast) continue;
        ++answered;
        auto d = ParseDecimal(s);
        ASSERT_TRUE(d.has_value()) << "\"" << s << "\"";
        ASSERT_EQ(*fast, FormatDecimal(*d, scale, r)) << "\"" << s << "\" scale " << scale;
      }
    }
  };
  for (const char* s : {"0",
                        "-0",
                        "+0",
                        "-0.005",
                        "0.5",
                        "1.5",
                        "2.5",
                        "-2.5",
                        ".5",
                        "5.",
                        "999999999999999999",
                        "99999999999999999.9",
                        "0.999999999999999999",
                        "1,234.50",
                        "-1,234,567.891",
                        "12,345,678,901,234,567",
                        "1,23",
                        "12,3456",
                        ",123",
                        "1,,234",
                        "-",
                        "+",
                        ".",
                        "",
                        "1e3",
                        " 1",
                        "1 ",
                        "--1"}) {
    check(s);
  }
  for (int k = 0; k < 40000; ++k) {
    std::string s;
    const size_t len = rng() % 24;
    for (size_t j = 0; j < len; ++j) s += alphabet[rng() % alphabet.size()];
    check(s);
  }
  EXPECT_GT(answered, inputs / 20);
  // The bench's and most systems' shapes take it.
  EXPECT_EQ(PlainDecimal("1,234.50", 2, Rounding::kHalfEven), "1234.50");
  EXPECT_EQ(PlainDecimal("12.345", 2, Rounding::kHalfEven), "12.34");
  EXPECT_EQ(PlainDecimal("-0.001", 2, Rounding::kHalfEven), "0.00");
}

}  // namespace
}  // namespace concord
