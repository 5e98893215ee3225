#include <gtest/gtest.h>

#include <limits>

#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::Bad;
using testing::MakeField;
using testing::Ok;

Value T(const char* s) { return Value::Text(s); }
Value I(int64_t v) { return Value::Int(v); }

TEST(NormalizeIntTest, Cases) {
  FieldSpec f = MakeField("qty", FieldType::kInt);
  const std::string range =
      "expected an integer between -9223372036854775808 and "
      "9223372036854775807, found ";
  const std::vector<testing::NormCase> cases = {
      Ok(I(42), I(42)),
      Ok(I(-7), I(-7)),
      Ok(Value::Real(3.0), I(3)),
      Ok(Value::Real(-0.0), I(0)),
      Ok(Value::Real(1e15), I(1000000000000000)),
      Ok(T("42"), I(42)),
      Ok(T("  -17 "), I(-17)),
      Ok(T("+5"), I(5)),
      Ok(T("0007"), I(7)),
      Ok(T("４２"), I(42)),  // full-width digits
      Ok(T("－１７"), I(-17)),
      Ok(T("　42　"), I(42)),  // ideographic spaces
      Ok(T("9223372036854775807"), I(std::numeric_limits<int64_t>::max())),
      Ok(T("-9223372036854775808"), I(std::numeric_limits<int64_t>::min())),
      Ok(Value::Null(), Value::Null()),
      Bad(T("4x2"), "expected an integer, found \"4x2\""),
      Bad(T(""), "expected an integer, found \"\""),
      Bad(T("-"), "expected an integer, found \"-\""),
      Bad(T("4.0"), "expected an integer, found \"4.0\""),
      Bad(T("1,000"), "expected an integer, found \"1,000\""),
      Bad(T("4 2"), "expected an integer, found \"4 2\""),
      Bad(T("四十二"), "expected an integer, found \"四十二\""),
      Bad(T("9223372036854775808"), range + "\"9223372036854775808\""),
      Bad(T("-9223372036854775809"), range + "\"-9223372036854775809\""),
      Bad(T("99999999999999999999999"), range + "\"99999999999999999999999\""),
      Bad(Value::Real(4.5), "expected an integer, found 4.5"),
      Bad(Value::Real(1e19), range + "1e+19"),
      Bad(Value::Real(std::numeric_limits<double>::infinity()),
          "expected an integer, found Infinity"),
      Bad(Value::Blob("ab"), "expected an integer, found x'6162'"),
  };
  testing::RunCases(f, cases);
}

TEST(NormalizeBoolTest, Cases) {
  FieldSpec f = MakeField("active", FieldType::kBool);
  const std::string what = "expected a boolean (true/false, yes/no, 1/0, 是/否), found ";
  const std::vector<testing::NormCase> cases = {
      Ok(I(1), I(1)),
      Ok(I(0), I(0)),
      Ok(Value::Real(1.0), I(1)),
      Ok(T("true"), I(1)),
      Ok(T("FALSE"), I(0)),
      Ok(T("Yes"), I(1)),
      Ok(T("no"), I(0)),
      Ok(T("Y"), I(1)),
      Ok(T("n"), I(0)),
      Ok(T("t"), I(1)),
      Ok(T("F"), I(0)),
      Ok(T("1"), I(1)),
      Ok(T("0"), I(0)),
      Ok(T("On"), I(1)),
      Ok(T("OFF"), I(0)),
      Ok(T(" yes "), I(1)),
      Ok(T("是"), I(1)),
      Ok(T("否"), I(0)),
      Ok(T(" 是 "), I(1)),
      Ok(T("\xe3\x80\x80否"), I(0)),  // an ideographic space first
      Ok(T("Ｙ"), I(1)),              // full-width
      Ok(T("ｆａｌｓｅ"), I(0)),
      Ok(Value::Null(), Value::Null()),
      Bad(I(2), what + "2"),
      Bad(I(-1), what + "-1"),
      Bad(Value::Real(0.5), what + "0.5"),
      Bad(T("maybe"), what + "\"maybe\""),
      Bad(T(""), what + "\"\""),
      Bad(T("yess"), what + "\"yess\""),
      Bad(T("是的"), what + "\"是的\""),
      Bad(T("truee"), what + "\"truee\""),
  };
  testing::RunCases(f, cases);
}

}  // namespace
}  // namespace concord
