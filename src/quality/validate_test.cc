#include <gtest/gtest.h>

#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::MakeField;

Value T(const char* s) { return Value::Text(s); }

EntitySpec Customer() {
  EntitySpec e;
  e.name = "customer";
  e.key = {"code"};
  FieldSpec code = MakeField("code", FieldType::kString);
  FieldSpec name = MakeField("name", FieldType::kString);
  name.required = true;
  name.max_length = 10;
  FieldSpec grade = MakeField("grade", FieldType::kEnum);
  grade.values = {"A", "B", "C", "D"};
  FieldSpec limit = MakeField("credit_limit", FieldType::kDecimal, 2);
  limit.min = "0";
  limit.max = "1000000";
  FieldSpec qty = MakeField("qty", FieldType::kInt);
  qty.min = "-10";
  qty.max = "10";
  FieldSpec phone = MakeField("phone", FieldType::kPhone);
  phone.personal = true;
  phone.max_length = 11;
  FieldSpec salary = MakeField("salary", FieldType::kDecimal, 2);
  salary.personal = true;
  salary.max = "100";
  FieldSpec active = MakeField("active", FieldType::kBool);
  e.fields = {code, name, grade, limit, qty, phone, salary, active};
  return e;
}

const std::set<std::string> kAll = {"code", "name",  "grade",  "credit_limit",
                                    "qty",  "phone", "salary", "active"};

std::vector<std::string> Strings(const std::vector<FieldIssue>& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(i.field + "|" + i.rule + "|" + i.message);
  return out;
}

Record Good() {
  return {{"code", T("C001")},         {"name", T("ACME")},      {"grade", T("A")},
          {"credit_limit", T("5.00")}, {"qty", Value::Int(3)},   {"phone", T("13812345678")},
          {"salary", T("99.99")},      {"active", Value::Int(1)}};
}

TEST(ValidateRecordTest, GoodRecordHasNoIssues) {
  EXPECT_TRUE(ValidateRecord(Customer(), Good(), kAll).empty());
  // Boundaries are inclusive.
  Record r = Good();
  r["credit_limit"] = T("0.00");
  r["qty"] = Value::Int(-10);
  r["salary"] = T("100.00");
  r["name"] = T("中文名字中文名字中文");  // 10 characters, 30 bytes
  EXPECT_TRUE(ValidateRecord(Customer(), r, kAll).empty());
}

TEST(ValidateRecordTest, Required) {
  for (Value missing : {Value::Null(), T("")}) {
    Record r = Good();
    r["name"] = missing;
    auto issues = ValidateRecord(Customer(), r, kAll);
    EXPECT_EQ(Strings(issues), std::vector<std::string>{"name|required|required but missing"});
  }
  Record r = Good();
  r.erase("name");
  auto issues = ValidateRecord(Customer(), r, kAll);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].ToString(),
            "field name: required but missing (rule required); hint: fill it in the source "
            "system, or make the field optional");
  // A flow that does not carry the field is not rejected for it.
  EXPECT_TRUE(ValidateRecord(Customer(), r, {"code", "grade"}).empty());
}

TEST(ValidateRecordTest, KeyAlwaysRequired) {
  Record r = Good();
  r.erase("code");
  EXPECT_EQ(Strings(ValidateRecord(Customer(), r, {"grade"})),
            std::vector<std::string>{"code|key|required but missing"});
  r["code"] = T("");
  EXPECT_EQ(Strings(ValidateRecord(Customer(), r, {})),
            std::vector<std::string>{"code|key|required but missing"});
  // A key field the dictionary does not declare is still required.
  EntitySpec e = Customer();
  e.key = {"code", "branch"};
  EXPECT_EQ(Strings(ValidateRecord(e, Good(), {})),
            std::vector<std::string>{"branch|key|required but missing"});
}

TEST(ValidateRecordTest, MaxLengthCountsCharacters) {
  Record r = Good();
  r["name"] = T("中文名字中文名字中文字");  // 11 characters
  EXPECT_EQ(Strings(ValidateRecord(Customer(), r, kAll)),
            std::vector<std::string>{"name|max_length|11 characters, longer than max_length 10"});
  // Longer than max_length in bytes, not in characters: 10 characters in 30 bytes, 10 in 12.
  for (const char* ten : {"中文名字中文名字中文", "Zoë Müller"}) {
    r["name"] = T(ten);
    EXPECT_EQ(Strings(ValidateRecord(Customer(), r, kAll)), std::vector<std::string>{}) << ten;
  }
  r["name"] = T("Zoë Müller!");  // 11 characters in 13 bytes
  EXPECT_EQ(Strings(ValidateRecord(Customer(), r, kAll)),
            std::vector<std::string>{"name|max_length|11 characters, longer than max_length 10"});
}

TEST(ValidateRecordTest, MinMax) {
  Record r = Good();
  r["credit_limit"] = T("-5.00");
  r["qty"] = Value::Int(11);
  r["salary"] = T("100.01");
  EXPECT_EQ(
      Strings(ValidateRecord(Customer(), r, kAll)),
      (std::vector<std::string>{"credit_limit|min|-5.00 is below min 0",
                                "qty|max|11 is above max 10", "salary|max|*** is above max 100"}));
  r = Good();
  r["credit_limit"] = T("1000000.01");
  r["qty"] = Value::Int(-11);
  EXPECT_EQ(Strings(ValidateRecord(Customer(), r, kAll)),
            (std::vector<std::string>{"credit_limit|max|1000000.01 is above max 1000000",
                                      "qty|min|-11 is below min -10"}));
}

TEST(ValidateRecordTest, IssuesComeInDeclarationOrder) {
  // Declared z…a: the issues follow the declaration, not the names' order.
  EntitySpec e;
  e.name = "t";
  e.key = {"zz_key"};
  for (const char* name : {"zz_key", "yy", "mm", "aa"}) {
    FieldSpec f = MakeField(name, FieldType::kInt);
    f.max = "1";
    e.fields.push_back(f);
  }
  Record r = {{"aa", Value::Int(2)}, {"mm", Value::Int(2)}, {"yy", Value::Int(2)}};
  EXPECT_EQ(Strings(ValidateRecord(e, r, {"aa", "mm", "yy", "not_a_field"})),
            (std::vector<std::string>{"zz_key|key|required but missing", "yy|max|2 is above max 1",
                                      "mm|max|2 is above max 1", "aa|max|2 is above max 1"}));
  // Long names that share their first eight bytes, or differ only after them.
  EntitySpec l;
  l.name = "long";
  l.key = {"customer_zz"};
  for (const char* name : {"customer_zz", "customer_name_long", "customer_code_long",
                           "customer_code_lon", "customer", "customeq_x", "customer_code_longer"}) {
    FieldSpec f = MakeField(name, FieldType::kInt);
    f.max = "1";
    l.fields.push_back(f);
  }
  Record lr;
  for (const FieldSpec& f : l.fields) lr[f.name] = Value::Int(2);
  lr.erase("customer_code_lon");
  std::set<std::string> lp;
  for (const FieldSpec& f : l.fields) lp.insert(f.name);
  lp.erase("customeq_x");
  EXPECT_EQ(Strings(ValidateRecord(l, lr, lp)),
            (std::vector<std::string>{
                "customer_zz|max|2 is above max 1", "customer_name_long|max|2 is above max 1",
                "customer_code_long|max|2 is above max 1", "customer|max|2 is above max 1",
                "customer_code_longer|max|2 is above max 1"}));
}

TEST(ValidateRecordTest, EntitiesOfTheSameSizeInTurn) {
  // The name order a thread keeps from one call is checked, not trusted, on the next.
  auto entity = [](std::vector<std::string> names) {
    EntitySpec e;
    e.name = "t";
    e.key = {names[0]};
    for (const std::string& name : names) {
      FieldSpec f = MakeField(name, FieldType::kInt);
      f.max = "1";
      e.fields.push_back(f);
    }
    return e;
  };
  const EntitySpec a = entity({"b", "a", "c"}), b = entity({"x", "z", "y"});
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Strings(ValidateRecord(a, {{"a", Value::Int(2)}, {"b", Value::Int(0)}}, {"a", "c"})),
              std::vector<std::string>{"a|max|2 is above max 1"});
    EXPECT_EQ(Strings(ValidateRecord(b, {{"x", Value::Int(0)}, {"y", Value::Int(5)}}, {"y", "z"})),
              std::vector<std::string>{"y|max|5 is above max 1"});
  }
}

TEST(ValidateRecordTest, IntBoundsOfEveryShape) {
  // Plain integer bounds are compared as integers, others as decimals: the same answers.
  EntitySpec e;
  e.name = "t";
  e.key = {"n"};
  FieldSpec n = MakeField("n", FieldType::kInt);
  e.fields = {n};
  struct Case {
    const char* min;
    const char* max;
    int64_t value;
    size_t issues;
  };
  const Case cases[] = {
      {"0", "10", 10, 0},       {"0", "10", 11, 1},         {"-5", "5", -6, 1},
      {"1e1", "1e2", 10, 0},    {"1e1", "1e2", 9, 1},       {"10.5", "20.5", 11, 0},
      {"10.5", "20.5", 10, 1},  {"-0", "+3", 0, 0},         {"007", "9", 6, 1},
      {"-9223372036854775808", "9223372036854775807", INT64_MIN, 0},
      {"-9223372036854775807", "9223372036854775806", INT64_MAX, 1},
  };
  for (const Case& c : cases) {
    e.fields[0].min = c.min;
    e.fields[0].max = c.max;
    EXPECT_EQ(ValidateRecord(e, {{"n", Value::Int(c.value)}}, {"n"}).size(), c.issues)
        << c.min << " <= " << c.value << " <= " << c.max;
  }
}

TEST(ValidateRecordTest, DecimalBoundsOfEveryShape) {
  // Plain values and bounds are compared as integers, others as digit strings: the same answers.
  EntitySpec e;
  e.name = "t";
  e.key = {"d"};
  e.fields = {MakeField("d", FieldType::kDecimal, 2)};
  struct Case {
    const char* min;
    const char* max;
    const char* value;
    size_t issues;
  };
  const Case cases[] = {
      {"10.5", "10.5", "10.50", 0},   {"10.51", "11", "10.50", 1},   {"1e1", "1e2", "10.00", 0},
      {"1e1", "1e2", "9.99", 1},      {"-0", "0", "0.00", 0},        {"-0.01", "0", "-0.00", 0},
      {"+10", "20", "10.00", 0},      {".5", "5.", "0.49", 1},       {"0", "5", "-0.01", 1},
      {"-5", "-1", "-0.50", 1},       {"-5", "-1", "-5.00", 0},      {"-5", "-1", "-5.01", 1},
      {"0", "999999999999999999", "999999999999999999.99", 1},
      {"0", "99999999999999999.9", "99999999999999999.90", 0},
      {"0", "1,000", "1000.01", 1},   {"0", "1000", "1,000.00", 0},  {"0", "1000", "1e3", 0},
  };
  for (const Case& c : cases) {
    e.fields[0].min = c.min;
    e.fields[0].max = c.max;
    EXPECT_EQ(ValidateRecord(e, {{"d", T(c.value)}}, {"d"}).size(), c.issues)
        << c.min << " <= " << c.value << " <= " << c.max;
  }
}

TEST(ValidateRecordTest, BoundThatIsNotANumberIsReported) {
  // The loader refuses it; a spec built in code gets an issue rather than a value let through.
  EntitySpec e = Customer();
  for (FieldSpec& f : e.fields) {
    if (f.name == "qty") f.max = "ten";
    if (f.name == "credit_limit") f.min = "1e999";
  }
  EXPECT_EQ(Strings(ValidateRecord(e, Good(), kAll)),
            (std::vector<std::string>{"credit_limit|min|min \"1e999\" is not a decimal number",
                                      "qty|max|max \"ten\" is not a decimal number"}));
}

TEST(ValidateRecordTest, Enum) {
  Record r = Good();
  r["grade"] = T("Z");
  auto issues = ValidateRecord(Customer(), r, kAll);
  EXPECT_EQ(Strings(issues), std::vector<std::string>{"grade|enum|\"Z\" is not one of A, B, C, D"});
  EXPECT_NE(issues[0].hint.find("value map"), std::string::npos);
  // NULL is allowed for a field that is not required.
  r["grade"] = Value::Null();
  EXPECT_TRUE(ValidateRecord(Customer(), r, kAll).empty());
}

TEST(ValidateRecordTest, Type) {
  Record r = Good();
  r["qty"] = T("3");
  r["credit_limit"] = T("lots");
  r["active"] = Value::Int(2);
  r["phone"] = Value::Int(13812345678);
  EXPECT_EQ(Strings(ValidateRecord(Customer(), r, kAll)),
            (std::vector<std::string>{
                "credit_limit|type|expected a canonical decimal value, found text \"lots\"",
                "qty|type|expected a canonical int value, found text \"3\"",
                "phone|type|expected a canonical phone value, found integer 138****5678",
                "active|type|expected a canonical bool value, found integer 2"}));
}

TEST(ValidateRecordTest, APlanChecksWhatItsPresentFieldsSay) {
  // The plan (worked out once for a flow) and the set (per call) check the same fields; records
  // whose fields sit at other positions than the last one's (stale position hints) are read right.
  EntitySpec with_branch = Customer();
  with_branch.key = {"code", "branch"};
  Record shifted = Good();
  shifted.erase("active");
  shifted.erase("code");
  shifted["aaa"] = T("before every field");
  shifted["grade"] = T("Z");
  Record overlong = Good();
  overlong["name"] = T("far too long a name");
  for (const EntitySpec& e : {Customer(), with_branch}) {
    for (const std::set<std::string>& present :
         {kAll, std::set<std::string>{}, std::set<std::string>{"grade", "name"}}) {
      const ValidationPlan plan = PlanValidation(e, present);
      for (const Record* r : {&overlong, &shifted, &overlong}) {
        EXPECT_EQ(Strings(ValidateRecord(*r, plan)), Strings(ValidateRecord(e, *r, present)));
      }
    }
  }
  const ValidationPlan plan = PlanValidation(with_branch, {"grade", "name"});
  EXPECT_EQ(Strings(ValidateRecord(overlong, plan)),
            (std::vector<std::string>{"name|max_length|19 characters, longer than max_length 10",
                                      "branch|key|required but missing"}));
  EXPECT_EQ(Strings(ValidateRecord(shifted, plan)),
            (std::vector<std::string>{"code|key|required but missing",
                                      "grade|enum|\"Z\" is not one of A, B, C, D",
                                      "branch|key|required but missing"}));
}

TEST(ValidateRecordTest, OnlyPresentFieldsAreChecked) {
  Record r = Good();
  r["grade"] = T("Z");
  r["qty"] = Value::Int(100);
  EXPECT_EQ(Strings(ValidateRecord(Customer(), r, {"qty"})),
            std::vector<std::string>{"qty|max|100 is above max 10"});
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

TEST(ValidateRecordTest, Pattern) {
  EntitySpec e = Customer();
  for (auto& f : e.fields) {
    if (f.name == "code") f.pattern = "^[A-Z]\\d{3}$";
    if (f.name == "name") f.pattern = "^\\p{Han}+$";  // UTF-8 aware: Chinese characters only
    if (f.name == "phone") {
      f.pattern = "^\\+86";
      f.max_length.reset();
    }
  }
  Record r = Good();
  r["name"] = T("中文名");
  r["phone"] = T("+8613812345678");
  EXPECT_TRUE(ValidateRecord(e, r, kAll).empty());
  r["code"] = T("C0011");  // anchored: a longer value does not match
  r["name"] = T("ACME");
  r["phone"] = T("+85212345678");  // personal: masked in the message
  EXPECT_EQ(Strings(ValidateRecord(e, r, kAll)),
            (std::vector<std::string>{
                "code|pattern|\"C0011\" does not match pattern ^[A-Z]\\d{3}$",
                "name|pattern|\"ACME\" does not match pattern ^\\p{Han}+$",
                "phone|pattern|852****5678 does not match pattern ^\\+86"}));
  // An empty value is absent: no pattern applies to it.
  r = Good();
  r["name"] = T("");
  r["phone"] = T("+8613812345678");
  e.fields[1].required = false;
  EXPECT_TRUE(ValidateRecord(e, r, kAll).empty());
}

TEST(ValidateRecordTest, PatternThatDoesNotCompileIsAnIssue) {
  EntitySpec e = Customer();
  e.fields[0].pattern = "[a-";
  auto issues = ValidateRecord(e, Good(), kAll);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].rule, "pattern");
  EXPECT_NE(issues[0].message.find("is not a regular expression"), std::string::npos);
}

}  // namespace
}  // namespace concord
