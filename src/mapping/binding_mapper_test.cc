#include "mapping/binding_mapper.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace concord {
namespace {

Value T(const char* s) { return Value::Text(s); }

FieldSpec Field(std::string name, FieldType type, int scale = 0) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = type;
  f.scale = scale;
  return f;
}

FieldMapping Map(std::string field, std::string column,
                 std::vector<std::pair<std::string, std::string>> value_map = {},
                 FormatKind format = FormatKind::kCanonical, std::string format_text = "",
                 std::string timezone = "", TextEncoding encoding = TextEncoding::kUtf8) {
  FieldMapping m;
  m.field = std::move(field);
  m.column = std::move(column);
  m.value_map = std::move(value_map);
  m.format = format;
  m.format_text = std::move(format_text);
  m.timezone = std::move(timezone);
  m.encoding = encoding;
  return m;
}

EntitySpec Customer() {
  EntitySpec e;
  e.name = "customer";
  e.key = {"code"};
  FieldSpec phone = Field("phone", FieldType::kPhone);
  phone.personal = true;
  phone.region = "CN";
  FieldSpec grade = Field("credit_grade", FieldType::kEnum);
  grade.values = {"A", "B", "C", "D"};
  e.fields = {Field("code", FieldType::kString),
              Field("name", FieldType::kString),
              phone,
              grade,
              Field("credit_limit", FieldType::kDecimal, 2),
              Field("active", FieldType::kBool),
              Field("since", FieldType::kDate)};
  return e;
}

// crm.customer: the canonical key is the table key; grade and active go through value maps.
BindingSpec Crm() {
  BindingSpec b;
  b.system = "crm";
  b.entity = "customer";
  b.table = "accounts";
  b.key = {"account_no"};
  b.fields = {
      Map("code", "account_no"),
      Map("name", "account_name"),
      Map("phone", "tel", {}, FormatKind::kDigitPattern, "13812345678"),
      Map("credit_grade", "level", {{"VIP", "A"}, {"重要", "B"}, {"普通", "C"}, {"C", "C"}}),
      Map("active", "status", {{"启用", "1"}, {"停用", "0"}}),
      Map("credit_limit", "limit_amt"),
      Map("since", "created")};
  return b;
}

TEST(BindingMapperTest, TableRef) {
  EntitySpec e = Customer();
  BindingSpec b = Crm();
  b.fields.push_back(Map("name", "account_name"));  // a duplicate column is listed once
  BindingMapper m(e, b);
  EXPECT_EQ(m.table().table, "accounts");
  EXPECT_EQ(m.table().key_columns, std::vector<std::string>{"account_no"});
  EXPECT_EQ(m.table().columns,
            (std::vector<std::string>{"account_no", "account_name", "tel", "level", "status",
                                      "limit_amt", "created"}));
  EXPECT_TRUE(m.key_is_mapped());
  EXPECT_EQ(m.mapped_fields(), (std::set<std::string>{"code", "name", "phone", "credit_grade",
                                                      "active", "credit_limit", "since"}));
}

TEST(BindingMapperTest, ToCanonicalNormalizesAndMaps) {
  EntitySpec e = Customer();
  BindingSpec b = Crm();
  BindingMapper m(e, b);
  Row row = {{"account_no", T("C001")},    {"account_name", T("上海某某公司")},
             {"tel", T("13812345678")},    {"level", T("VIP")},
             {"status", T("启用")},        {"limit_amt", Value::Real(1234.5)},
             {"created", T("2023/01/31")}, {"unmapped", T("ignored")}};
  auto c = m.ToCanonical(row);
  EXPECT_TRUE(c.issues.empty());
  Record want = {
      {"code", T("C001")},       {"name", T("上海某某公司")}, {"phone", T("+8613812345678")},
      {"credit_grade", T("A")},  {"active", Value::Int(1)},   {"credit_limit", T("1234.50")},
      {"since", T("2023-01-31")}};
  EXPECT_EQ(c.record, want);
  // NULL passes value maps and normalizers as NULL.
  row["level"] = Value::Null();
  c = m.ToCanonical(row);
  EXPECT_TRUE(c.issues.empty());
  EXPECT_EQ(c.record.at("credit_grade"), Value::Null());
}

TEST(BindingMapperTest, ToCanonicalIssues) {
  EntitySpec e = Customer();
  BindingSpec b = Crm();
  BindingMapper m(e, b);
  Row row = {{"account_no", T("C001")}, {"account_name", T("ACME")}, {"tel", T("1381234")},
             {"level", T("金牌")},      {"status", T("启用")},       {"limit_amt", T("12,3x")}};
  auto c = m.ToCanonical(row);
  ASSERT_EQ(c.issues.size(), 4u);
  EXPECT_EQ(c.issues[0].field, "phone");
  EXPECT_EQ(c.issues[0].rule, "type");
  EXPECT_EQ(c.issues[0].message, "expected a phone number, found *** (not a number in use in CN)");
  c.issues.erase(c.issues.begin());
  EXPECT_EQ(c.issues[0].field, "credit_grade");
  EXPECT_EQ(c.issues[0].rule, "value_map");
  EXPECT_EQ(c.issues[0].message, "\"金牌\" of column \"level\" is not in the value map");
  EXPECT_EQ(c.issues[0].hint,
            "mapped values: VIP, 重要, 普通, C; add this value to the binding's map");
  EXPECT_EQ(c.issues[1].field, "credit_limit");
  EXPECT_EQ(c.issues[1].rule, "type");
  EXPECT_EQ(c.issues[1].message, "expected a decimal number, found \"12,3x\"");
  EXPECT_EQ(c.issues[2].field, "since");
  EXPECT_EQ(c.issues[2].rule, "type");
  EXPECT_EQ(c.issues[2].message, "column \"created\" of accounts is missing from the row");
  // Failed fields are left out; the rest is there.
  EXPECT_EQ(c.record.count("credit_grade"), 0u);
  EXPECT_EQ(c.record.count("credit_limit"), 0u);
  EXPECT_EQ(c.record.count("since"), 0u);
  EXPECT_EQ(c.record.at("active"), Value::Int(1));
  EXPECT_EQ(c.record.count("phone"), 0u);
}

TEST(BindingMapperTest, ValueMapIssueMasksPersonalValue) {
  EntitySpec e = Customer();
  BindingSpec b = Crm();
  b.fields[2].value_map = {{"none", ""}};
  BindingMapper m(e, b);
  auto c = m.ToCanonical({{"account_no", T("C1")}, {"tel", T("13812345678")}});
  auto it = std::find_if(c.issues.begin(), c.issues.end(),
                         [](const FieldIssue& i) { return i.field == "phone"; });
  ASSERT_NE(it, c.issues.end());
  EXPECT_EQ(it->rule, "value_map");
  EXPECT_EQ(it->message, "138****5678 of column \"tel\" is not in the value map");
}

TEST(BindingMapperTest, RoundTripRowCanonicalRow) {
  EntitySpec e = Customer();
  BindingSpec b = Crm();
  BindingMapper m(e, b);
  const std::vector<Row> rows = {
      {{"account_no", T("C001")},
       {"account_name", T("ACME")},
       {"tel", T("13812345678")},
       {"level", T("VIP")},
       {"status", T("启用")},
       {"limit_amt", T("100.00")},
       {"created", T("2023-01-31")}},
      {{"account_no", T("C002")},
       {"account_name", T("某某")},
       {"tel", Value::Null()},
       {"level", T("普通")},
       {"status", T("停用")},
       {"limit_amt", T("-0.05")},
       {"created", Value::Null()}},
      {{"account_no", T("C003")},
       {"account_name", T("")},
       {"tel", T("02168881234")},
       {"level", T("重要")},
       {"status", Value::Null()},
       {"limit_amt", Value::Null()},
       {"created", T("2024-02-29")}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.at("account_no").ToString());
    auto c = m.ToCanonical(row);
    ASSERT_TRUE(c.issues.empty()) << c.issues[0].ToString();
    auto back = m.FromCanonical(c.record, m.mapped_fields());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, row);
  }
  // The reverse map picks the first system value in file order: canonical C came from both
  // "普通" and "C"; it goes back as "普通".
  auto c = m.ToCanonical({{"account_no", T("C4")}, {"level", T("C")}});
  auto back = m.FromCanonical(c.record, {"credit_grade"});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (Row{{"level", T("普通")}}));
}

TEST(BindingMapperTest, FromCanonicalSubsetAndErrors) {
  EntitySpec e = Customer();
  BindingSpec b = Crm();
  b.fields.pop_back();  // "since" is not mapped by this binding
  BindingMapper m(e, b);
  Record r = {{"code", T("C001")},
              {"name", T("ACME")},
              {"credit_grade", T("B")},
              {"since", T("2023-01-31")},
              {"credit_limit", T("5.00")}};
  auto row = m.FromCanonical(r, {"name", "credit_grade", "since", "phone"});
  ASSERT_TRUE(row.ok());
  // Only requested, mapped and present fields: "since" is unmapped, "phone" absent.
  EXPECT_EQ(*row, (Row{{"account_name", T("ACME")}, {"level", T("重要")}}));

  r["credit_grade"] = T("D");
  auto bad = m.FromCanonical(r, {"credit_grade"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "field credit_grade: canonical value \"D\" has no entry in the value map of "
            "crm.customer column \"level\" (it maps to A, B, C); add one to the binding's map");
  FieldIssue issue;
  ASSERT_FALSE(m.FromCanonical(r, {"credit_grade"}, &issue).ok());
  EXPECT_EQ(issue.field, "credit_grade");
  EXPECT_EQ(issue.rule, "value_map");
}

TEST(BindingMapperTest, Keys) {
  EntitySpec e = Customer();
  BindingSpec b = Crm();
  BindingMapper m(e, b);
  EXPECT_EQ(m.SystemKeyOfRow({{"account_no", T("C001")}, {"tel", T("1")}}), Key{T("C001")});
  EXPECT_EQ(m.SystemKeyOfRow({{"tel", T("1")}}), Key{Value::Null()});
  auto key = m.CanonicalKeyOf({{"code", T("C001")}});
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, Key{T("C001")});
  for (const Record& r : {Record{{"name", T("x")}}, Record{{"code", Value::Null()}}}) {
    auto missing = m.CanonicalKeyOf(r);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().message(), "key field \"code\" is missing or NULL");
  }
  EXPECT_EQ(m.SystemKeyFromCanonical({T("C001")}), Key{T("C001")});
  EXPECT_EQ(m.SystemKeyFromCanonical({T("C001"), T("extra")}), std::nullopt);
}

TEST(BindingMapperTest, SurrogateKey) {
  // erp.customer: an autoincrement id no canonical field maps; the code is an ordinary column.
  EntitySpec e = Customer();
  BindingSpec b;
  b.system = "erp";
  b.entity = "customer";
  b.table = "customers";
  b.key = {"id"};
  b.fields = {Map("code", "cust_code"), Map("name", "cust_name")};
  BindingMapper m(e, b);
  EXPECT_FALSE(m.key_is_mapped());
  EXPECT_EQ(m.table().columns, (std::vector<std::string>{"id", "cust_code", "cust_name"}));
  Row row = {{"id", Value::Int(17)}, {"cust_code", T("C001")}, {"cust_name", T("ACME")}};
  auto c = m.ToCanonical(row);
  EXPECT_TRUE(c.issues.empty());
  EXPECT_EQ(c.record, (Record{{"code", T("C001")}, {"name", T("ACME")}}));
  EXPECT_EQ(m.SystemKeyOfRow(row), Key{Value::Int(17)});
  EXPECT_EQ(m.SystemKeyFromCanonical({T("C001")}), std::nullopt);
  auto back = m.FromCanonical(c.record, m.mapped_fields());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (Row{{"cust_code", T("C001")}, {"cust_name", T("ACME")}}));

  // Same key count, different column: still not mapped.
  b.fields = {Map("code", "cust_code")};
  b.key = {"cust_no"};
  EXPECT_FALSE(BindingMapper(e, b).key_is_mapped());
}

TEST(BindingMapperTest, CompositeKey) {
  EntitySpec e;
  e.name = "order_line";
  e.key = {"order_no", "line_no"};
  e.fields = {Field("order_no", FieldType::kString), Field("line_no", FieldType::kInt),
              Field("qty", FieldType::kDecimal, 3), Field("order_type", FieldType::kString)};
  BindingSpec b;
  b.system = "erp";
  b.entity = "order_line";
  b.table = "so_lines";
  b.key = {"so_no", "seq"};
  b.fields = {Map("qty", "qty"), Map("line_no", "seq"),
              Map("order_no", "so_no", {{"SO-1", "1001"}, {"SO-2", "1002"}})};
  BindingMapper m(e, b);
  EXPECT_TRUE(m.key_is_mapped());
  EXPECT_EQ(m.table().columns, (std::vector<std::string>{"so_no", "seq", "qty"}));

  Row row = {{"so_no", T("SO-1")}, {"seq", T("3")}, {"qty", T("2.5")}};
  auto c = m.ToCanonical(row);
  EXPECT_TRUE(c.issues.empty());
  EXPECT_EQ(c.record,
            (Record{{"order_no", T("1001")}, {"line_no", Value::Int(3)}, {"qty", T("2.500")}}));
  EXPECT_EQ(m.SystemKeyOfRow(row), (Key{T("SO-1"), T("3")}));
  auto key = m.CanonicalKeyOf(c.record);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, (Key{T("1001"), Value::Int(3)}));
  EXPECT_EQ(m.SystemKeyFromCanonical(*key), (Key{T("SO-1"), Value::Int(3)}));
  // No reverse entry for the key value: no system key can be derived.
  EXPECT_EQ(m.SystemKeyFromCanonical({T("9999"), Value::Int(3)}), std::nullopt);
  auto missing = m.CanonicalKeyOf({{"order_no", T("1001")}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "key field \"line_no\" is missing or NULL");

  // Key columns in the other order than the entity key: not mapped.
  b.key = {"seq", "so_no"};
  EXPECT_FALSE(BindingMapper(e, b).key_is_mapped());
}

// The issue's example: a messy CRM (GBK bytes, full-width digits, traditional characters, mixed
// phone and date layouts, naive local times) lands clean in an ERP with its own layouts.
class MessyCrmTest : public ::testing::Test {
 protected:
  MessyCrmTest() {
    entity_.name = "customer";
    entity_.key = {"code"};
    FieldSpec name = Field("name", FieldType::kString);
    name.nfkc = name.trim = true;
    name.chinese = ChineseScript::kSimplified;
    FieldSpec phone = Field("phone", FieldType::kPhone);
    phone.region = "CN";
    phone.personal = true;
    FieldSpec grade = Field("grade", FieldType::kEnum);
    grade.values = {"A", "B", "C", "D"};
    grade.default_value = "D";
    FieldSpec limit = Field("limit", FieldType::kDecimal, 2);
    limit.currency = true;
    entity_.fields = {Field("code", FieldType::kString),
                      name,
                      phone,
                      grade,
                      limit,
                      Field("since", FieldType::kDate),
                      Field("updated", FieldType::kTimestamp)};
    crm_.system = "crm";
    crm_.entity = "customer";
    crm_.table = "accounts";
    crm_.key = {"account_no"};
    crm_.fields = {
        Map("code", "account_no"),
        Map("name", "account_name", {}, FormatKind::kCanonical, "", "", TextEncoding::kGbk),
        Map("phone", "tel"),
        Map("grade", "level"),
        Map("limit", "credit"),
        Map("since", "created"),
        Map("updated", "modified", {}, FormatKind::kCanonical, "", "Asia/Shanghai")};
    erp_.system = "erp";
    erp_.entity = "customer";
    erp_.table = "customers";
    erp_.key = {"cust_code"};
    erp_.fields = {Map("code", "cust_code"),
                   Map("name", "cust_name", {}, FormatKind::kCanonical, "", "", TextEncoding::kGbk),
                   Map("phone", "mobile", {}, FormatKind::kDigitPattern, "138-1234-5678"),
                   Map("grade", "grade", {{"1", "A"}, {"2", "B"}, {"3", "C"}, {"9", "D"}}),
                   Map("limit", "credit_limit"),
                   Map("since", "open_date", {}, FormatKind::kDatePattern, "YYYYMMDD"),
                   Map("updated", "mtime", {}, FormatKind::kUnixMillis, "unix_ms")};
  }
  EntitySpec entity_;
  BindingSpec crm_, erp_;
};

TEST_F(MessyCrmTest, LandsCleanInTheErp) {
  BindingMapper crm(entity_, crm_);
  BindingMapper erp(entity_, erp_);
  const std::vector<Row> rows = {
      {{"account_no", T("C1")},
       {"account_name", Value::Blob("\xc9\xcf\xba\xa3\xc6\xd6\xb6\xab")},  // 上海浦东 in GBK
       {"tel", T("+86-138-1234-5678")},
       {"level", T("A")},
       {"credit", T("¥1,234.5")},
       {"created", T("2023/01/31")},
       {"modified", T("2023-01-31 08:00:00")}},
      {{"account_no", T("C2")},
       {"account_name", T("　臺灣ＡＢＣ公司 ")},
       {"tel", T("１３８１２３４５６７８")},
       {"level", T("VIP")},
       {"credit", T("１２３４．５")},
       {"created", T("2023年1月31日")},
       {"modified", T("2023年1月31日 8时")}},
  };
  const Row want = {{"cust_code", T("C1")},
                    {"cust_name", Value::Blob("\xc9\xcf\xba\xa3\xc6\xd6\xb6\xab")},
                    {"mobile", T("138-1234-5678")},
                    {"grade", T("1")},
                    {"credit_limit", T("1234.50")},
                    {"open_date", T("20230131")},
                    {"mtime", Value::Int(1675123200000)}};
  auto c1 = crm.ToCanonical(rows[0]);
  ASSERT_TRUE(c1.issues.empty()) << c1.issues[0].ToString();
  EXPECT_EQ(c1.record, (Record{{"code", T("C1")},
                               {"name", T("上海浦东")},
                               {"phone", T("+8613812345678")},
                               {"grade", T("A")},
                               {"limit", T("1234.50")},
                               {"since", T("2023-01-31")},
                               {"updated", T("2023-01-31T00:00:00Z")}}));
  auto out = erp.FromCanonical(c1.record, erp.mapped_fields());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, want);
  // And what the ERP holds reads back as the same record.
  auto back = erp.ToCanonical(*out);
  ASSERT_TRUE(back.issues.empty()) << back.issues[0].ToString();
  EXPECT_EQ(back.record, c1.record);

  auto c2 = crm.ToCanonical(rows[1]);
  ASSERT_TRUE(c2.issues.empty()) << c2.issues[0].ToString();
  EXPECT_EQ(c2.record.at("name"), T("台湾ABC公司"));
  EXPECT_EQ(c2.record.at("phone"), T("+8613812345678"));
  EXPECT_EQ(c2.record.at("grade"), T("D"));  // unknown → the declared default
  EXPECT_EQ(c2.record.at("limit"), T("1234.50"));
  EXPECT_EQ(c2.record.at("since"), T("2023-01-31"));
  EXPECT_EQ(c2.record.at("updated"), T("2023-01-31T00:00:00Z"));
  out = erp.FromCanonical(c2.record, {"grade", "name"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->at("grade"), T("9"));
}

TEST_F(MessyCrmTest, BadRowsSayWhy) {
  BindingMapper crm(entity_, crm_);
  auto c = crm.ToCanonical({{"account_no", T("C3")},
                            {"account_name", Value::Blob("\xd6\xd0\xff")},
                            {"tel", T("123")},
                            {"level", T("B")},
                            {"credit", T("¥¥5")},
                            {"created", T("01/02/2023")},
                            {"modified", T("2023-01-31 25:00")}});
  std::vector<std::string> got;
  for (const FieldIssue& i : c.issues) got.push_back(i.ToString());
  EXPECT_EQ(
      got, (std::vector<std::string>{
               "field name: expected gbk text, found x'd6d0ff' (not valid gbk at byte 3) (rule "
               "encoding); hint: column \"account_name\" of accounts holds bytes that are not gbk; "
               "fix the value in the source system, or the binding's encoding",
               "field phone: expected a phone number, found *** (too short) (rule type); hint: "
               "column \"tel\" of accounts holds a value the data dictionary's type does not "
               "accept",
               "field limit: expected an amount like ¥1,234.50, found \"¥¥5\" (rule type); hint: "
               "column \"credit\" of accounts holds a value the data dictionary's type does not "
               "accept",
               "field since: expected a date like 2023-01-31, found \"01/02/2023\" (day and month "
               "order is not known: declare format dmy or mdy on the binding) (rule type); hint: "
               "column \"created\" of accounts holds a value the data dictionary's type does not "
               "accept",
               "field updated: expected a timestamp like 2023-01-31T08:00:00+08:00, found "
               "\"2023-01-31 25:00\" (rule type); hint: column \"modified\" of accounts holds a "
               "value the data dictionary's type does not accept",
           }));
  EXPECT_EQ(c.record.at("grade"), T("B"));

  // Text that is not UTF-8 in a column without a declared encoding.
  crm_.fields[1].encoding = TextEncoding::kUtf8;
  BindingMapper plain(entity_, crm_);
  c = plain.ToCanonical({{"account_no", T("C4")}, {"account_name", T("\xd6\xd0\xce\xc4")}});
  ASSERT_EQ(c.issues.size(), 6u);  // the other five columns are missing from the row
  EXPECT_EQ(c.issues[0].ToString(),
            "field name: expected UTF-8 text, found x'd6d0cec4' (not valid UTF-8 at byte 1) (rule "
            "encoding); hint: column \"account_name\" of accounts holds bytes in another "
            "encoding; declare it on the binding (encoding: gbk, gb18030, big5, utf-16le or "
            "utf-16be)");
}

TEST_F(MessyCrmTest, WriteErrorsNameFieldAndColumn) {
  BindingMapper erp(entity_, erp_);
  auto out = erp.FromCanonical({{"phone", T("+8675588881234")}}, {"phone"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "field phone (erp.customer column \"mobile\"): cannot write 867****1234 as "
            "\"138-1234-5678\": the number has 12 digits, the pattern 11");
  FieldIssue issue;
  ASSERT_FALSE(erp.FromCanonical({{"phone", T("+8675588881234")}}, {"phone"}, &issue).ok());
  EXPECT_EQ(issue.field, "phone");
  EXPECT_EQ(issue.rule, "format");
  out = erp.FromCanonical({{"name", T("笑😀")}}, {"name"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "field name (erp.customer column \"cust_name\"): \"笑😀\" cannot be written in gbk: "
            "\"😀\" has no representation there");
}

TEST_F(MessyCrmTest, ValueMapDefaultsAndEncodedKeys) {
  // An unmapped system code becomes the enum's default instead of an issue.
  BindingMapper erp(entity_, erp_);
  auto c = erp.ToCanonical({{"cust_code", T("C1")}, {"grade", T("7")}});
  EXPECT_EQ(c.record.at("grade"), T("D"));
  // Keys are written as FromCanonical writes them (here: GBK bytes).
  erp_.key = {"cust_name"};
  entity_.key = {"name"};
  BindingMapper by_name(entity_, erp_);
  ASSERT_TRUE(by_name.key_is_mapped());
  EXPECT_EQ(by_name.SystemKeyFromCanonical({T("中文")}), Key{Value::Blob("\xd6\xd0\xce\xc4")});
  EXPECT_EQ(by_name.SystemKeyFromCanonical({T("😀")}), std::nullopt);
}

TEST_F(MessyCrmTest, LayoutThatDoesNotCompileIsReportedPerRecord) {
  crm_.fields[0].timezone = "Asia/Shanghai";  // on a string field: the loader would refuse it
  BindingMapper crm(entity_, crm_);
  auto c = crm.ToCanonical({{"account_no", T("C1")}});
  ASSERT_FALSE(c.issues.empty());
  EXPECT_EQ(c.issues[0].ToString(),
            "field code: column \"account_no\": timezone applies to date and timestamp fields, "
            "not string (rule format); hint: fix the binding's format, timezone or encoding");
}

}  // namespace
}  // namespace concord
