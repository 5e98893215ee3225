#include <gtest/gtest.h>

#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::Bad;
using testing::MakeField;
using testing::Ok;

Value T(const char* s) { return Value::Text(s); }

TEST(NormalizeTextTest, TextShapedTypes) {
  for (FieldType type : {FieldType::kString, FieldType::kText, FieldType::kEnum,
                         FieldType::kReference, FieldType::kPhone}) {
    SCOPED_TRACE(std::string(FieldTypeName(type)));
    FieldSpec f = MakeField("f", type);
    const std::vector<testing::NormCase> cases = {
        Ok(T("  spaced  "), T("  spaced  ")),
        Ok(T("上海浦东"), T("上海浦东")),
        Ok(T(""), T("")),
        Ok(Value::Int(42), T("42")),
        Ok(Value::Real(2.5), T("2.5")),
        Ok(Value::Null(), Value::Null()),
        Bad(Value::Blob("\xff"), "expected text, found x'ff'"),
    };
    testing::RunCases(f, cases);
  }
}

TEST(NormalizeEmailTest, Cases) {
  FieldSpec f = MakeField("email", FieldType::kEmail);
  const std::string what = "expected an email address like name@example.com, found ";
  const std::vector<testing::NormCase> cases = {
      Ok(T("Zhang.San@Example.COM"), T("Zhang.San@example.com")),
      Ok(T(" li@qq.com "), T("li@qq.com")),
      Ok(T("王@例子.中国"), T("王@例子.中国")),
      Ok(Value::Null(), Value::Null()),
      Bad(T("no-at-sign"), what + "\"no-at-sign\""),
      Bad(T("@example.com"), what + "\"@example.com\""),
      Bad(T("name@"), what + "\"name@\""),
      Bad(T("a@b@c.com"), what + "\"a@b@c.com\""),
      Bad(T("a b@c.com"), what + "\"a b@c.com\""),
      Bad(Value::Int(5), what + "5"),
  };
  testing::RunCases(f, cases);
  f.personal = true;
  auto got = NormalizeValue(f, T("zhang@b@example.com"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), what + "***");
}

TEST(DisplayValueTest, NotPersonal) {
  FieldSpec f = MakeField("name", FieldType::kString);
  EXPECT_EQ(DisplayValue(f, Value::Null()), "NULL");
  EXPECT_EQ(DisplayValue(f, Value::Int(-5)), "-5");
  EXPECT_EQ(DisplayValue(f, Value::Real(2.5)), "2.5");
  EXPECT_EQ(DisplayValue(f, T("ACME")), "\"ACME\"");
  EXPECT_EQ(DisplayValue(f, T("say \"hi\"\n")), "\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(DisplayValue(f, T(std::string(40, 'x').c_str())), "\"" + std::string(40, 'x') + "\"");
  EXPECT_EQ(DisplayValue(f, T(std::string(41, 'x').c_str())), "\"" + std::string(40, 'x') + "…\"");
  // Cut at 40 characters, not bytes: a multi-byte character is never split.
  std::string chinese;
  for (int i = 0; i < 45; ++i) chinese += "中";
  std::string want;
  for (int i = 0; i < 40; ++i) want += "中";
  EXPECT_EQ(DisplayValue(f, Value::Text(chinese)), "\"" + want + "…\"");
  EXPECT_EQ(DisplayValue(f, Value::Blob("\x01\x02")), "x'0102'");
}

TEST(DisplayValueTest, PersonalIsMasked) {
  FieldSpec phone = MakeField("phone", FieldType::kPhone);
  phone.personal = true;
  EXPECT_EQ(DisplayValue(phone, T("13812345678")), "138****5678");
  EXPECT_EQ(DisplayValue(phone, T("+86 138-1234-5678")), "861****5678");
  EXPECT_EQ(DisplayValue(phone, Value::Int(13812345678)), "138****5678");
  EXPECT_EQ(DisplayValue(phone, T("1234")), "***");  // too short to mask partly
  EXPECT_EQ(DisplayValue(phone, T("call me maybe")), "***");
  EXPECT_EQ(DisplayValue(phone, Value::Null()), "NULL");

  FieldSpec email = MakeField("email", FieldType::kEmail);
  email.personal = true;
  EXPECT_EQ(DisplayValue(email, T("zhang@example.com")), "z***@example.com");
  EXPECT_EQ(DisplayValue(email, T("张三@例子.中国")), "张***@例子.中国");
  EXPECT_EQ(DisplayValue(email, T("not an email")), "***");

  FieldSpec name = MakeField("name", FieldType::kString);
  name.personal = true;
  EXPECT_EQ(DisplayValue(name, T("张三")), "***");
  EXPECT_EQ(DisplayValue(name, Value::Int(42)), "***");
  EXPECT_EQ(DisplayValue(name, Value::Blob("secret")), "***");
}

TEST(FieldIssueTest, ToString) {
  FieldIssue issue{"credit_limit", "min", "-5.00 is below min 0", "fix it"};
  EXPECT_EQ(issue.ToString(), "field credit_limit: -5.00 is below min 0 (rule min); hint: fix it");
  issue.hint.clear();
  EXPECT_EQ(issue.ToString(), "field credit_limit: -5.00 is below min 0 (rule min)");
}

}  // namespace
}  // namespace concord
