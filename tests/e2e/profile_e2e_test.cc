// End-to-end: `concord profile` on a messy SQLite CRM (mixed phone and date layouts, GBK bytes,
// full-width digits, duplicates, markup in a name) gives exact counts in --json, writes an
// escaped HTML page and changes nothing; `concord dlq list` groups entries by reason.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/harness.h"

namespace concord::e2e {
namespace {

constexpr const char* kConfig = R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code:   {type: string, required: true}
      name:   {type: string, required: true, nfkc: true}
      phone:  {type: phone, region: CN, personal: true}
      email:  {type: email}
      since:  {type: date}
      credit: {type: decimal, scale: 2, min: 0}
      grade:  {type: enum, values: [A, B, C, D]}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields:
      code: account_no
      name: {column: account_name, encoding: gbk}
      phone: tel
      email: email
      since: since
      credit: credit
      grade: {column: level, map: {VIP: A, 重要: B, 普通: C}}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name, phone: mobile, email: email, since: since,
             credit: credit, grade: grade}
flows:
  - {entity: customer, from: crm, to: erp}
)";

constexpr const char* kSchemas = R"sql(
CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name BLOB, tel TEXT, email TEXT,
                       since TEXT, credit TEXT, level TEXT);
)sql";

// C01 张三 in GBK bytes; C04 bytes that are not GBK; full-width digits in C01's credit and C05's
// phone; one mobile number in three layouts (C01, C02) and another in two (C03, C05); one e-mail
// address twice (domain case differs).
constexpr const char* kMessyRows = R"sql(
INSERT INTO accounts VALUES
 ('C01', X'D5C5C8FD', '+86-138-1234-5678', 'zs@example.com', '2023/01/01', '１２３.５', 'VIP'),
 ('C02', 'Li Si', '13812345678', 'ls@example.com', '2023年1月2日', '1,234.5', '重要'),
 ('C03', '<script>alert(1)</script>', '139 0000 1111', 'zs@EXAMPLE.com', '20230103', '-5', '普通'),
 ('C04', X'D6D0FF', '12', 'bad-email', '01/02/2023', 'abc', 'GOLD'),
 ('C05', 'Wang', '１３９００００１１１１', NULL, NULL, NULL, NULL),
 ('C06', '', NULL, NULL, '2023-01-05', '0', 'VIP');
)sql";

class ProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crm_ = std::make_unique<Db>(dir_ / "crm.db");
    crm_->Exec(kSchemas);
    WriteFile(dir_ / "concord.yaml", kConfig);
  }

  ProcResult Concord(const std::vector<std::string>& args) {
    return RunConcord(dir_.path(), args);
  }

  static const nlohmann::json& Field(const nlohmann::json& report, const std::string& name) {
    for (const auto& f : report["fields"]) {
      if (f["field"] == name) return f;
    }
    static const nlohmann::json kNone;
    ADD_FAILURE() << "no field " << name;
    return kNone;
  }

  // rule → count of a field's issues.
  static std::map<std::string, int> Rules(const nlohmann::json& field) {
    std::map<std::string, int> out;
    for (const auto& i : field["issues"]) out[i["rule"]] = i["count"];
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Db> crm_;
};

TEST_F(ProfileTest, MessyCrmExactCounts) {
  crm_->Exec(kMessyRows);
  ProcResult r = Concord({"profile", "crm.customer", "--json", "--html", "report.html"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["binding"], "crm.customer");
  EXPECT_EQ(j["rows"], 6);
  EXPECT_EQ(j["rows_with_issues"], 3);  // C03 credit below min, C04, C06 without a name

  const auto& name = Field(j, "name");
  EXPECT_EQ(name["filled"], 5);  // C06 is empty
  EXPECT_EQ(name["failing_rows"], 2);
  EXPECT_EQ(Rules(name), (std::map<std::string, int>{{"encoding", 1}, {"required", 1}}));
  bool decoded = false;  // the GBK bytes of C01 arrive as UTF-8
  for (const auto& t : name["top"]) decoded = decoded || t["value"] == "张三";
  EXPECT_TRUE(decoded) << name.dump();

  const auto& phone = Field(j, "phone");
  EXPECT_EQ(phone["filled"], 5);
  EXPECT_EQ(phone["valid"], 4);
  EXPECT_EQ(phone["distinct"], 2);  // five layouts, two numbers
  EXPECT_EQ(phone["distinct_exact"], true);
  EXPECT_EQ(Rules(phone), (std::map<std::string, int>{{"type", 1}}));
  EXPECT_EQ(phone["top"][0]["count"], 2);
  // personal: no number appears in clear
  EXPECT_EQ(phone.dump().find("12345678"), std::string::npos) << phone.dump();
  EXPECT_EQ(phone.dump().find("00001111"), std::string::npos) << phone.dump();

  const auto& email = Field(j, "email");
  EXPECT_EQ(email["filled"], 4);
  EXPECT_EQ(email["distinct"], 2);
  EXPECT_EQ(Rules(email), (std::map<std::string, int>{{"type", 1}}));
  EXPECT_EQ(email["issues"][0]["examples"][0]["key"], "C04");

  const auto& since = Field(j, "since");
  EXPECT_EQ(since["filled"], 5);
  EXPECT_EQ(since["distinct"], 4);
  EXPECT_EQ(since["min"], "2023-01-01");
  EXPECT_EQ(since["max"], "2023-01-05");
  EXPECT_EQ(Rules(since), (std::map<std::string, int>{{"type", 1}}));  // 01/02/2023: ambiguous

  const auto& credit = Field(j, "credit");
  EXPECT_EQ(credit["valid"], 4);
  EXPECT_EQ(credit["min"], "-5.00");
  EXPECT_EQ(credit["max"], "1234.50");
  EXPECT_EQ(Rules(credit), (std::map<std::string, int>{{"min", 1}, {"type", 1}}));

  const auto& grade = Field(j, "grade");
  EXPECT_EQ(grade["distinct"], 3);
  EXPECT_EQ(grade["top"][0]["value"], "A");
  EXPECT_EQ(grade["top"][0]["count"], 2);
  EXPECT_EQ(Rules(grade), (std::map<std::string, int>{{"value_map", 1}}));

  ASSERT_EQ(j["duplicates"].size(), 2u);
  EXPECT_EQ(j["duplicates"][0]["field"], "phone");
  EXPECT_EQ(j["duplicates"][0]["groups"], 2);
  EXPECT_EQ(j["duplicates"][0]["records"], 4);
  EXPECT_EQ(j["duplicates"][0]["examples"][0]["keys"], nlohmann::json({"C01", "C02"}));
  EXPECT_EQ(j["duplicates"][0]["examples"][1]["keys"], nlohmann::json({"C03", "C05"}));
  EXPECT_EQ(j["duplicates"][1]["field"], "email");
  EXPECT_EQ(j["duplicates"][1]["groups"], 1);
  EXPECT_EQ(j["duplicates"][1]["examples"][0]["value"], "zs@example.com");
  EXPECT_EQ(j["duplicates"][1]["examples"][0]["keys"], nlohmann::json({"C01", "C03"}));

  std::string html = ReadFile(dir_ / "report.html");
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // nothing loaded from elsewhere

  // It moved nothing: no state store, no capture installed, the rows as they were.
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state.db"));
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%concord%'"), 0);
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM accounts"), 6);
}

TEST_F(ProfileTest, TextReportAndTopN) {
  crm_->Exec(kMessyRows);
  ProcResult r = Concord({"profile", "crm.customer", "--top", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("crm.customer (table accounts): 6 rows, 3 with issues"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 rows fail rule value_map"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("phone: 2 values shared by 4 records"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  top: A ×2\n"), std::string::npos) << r.out;  // one value only
}

TEST_F(ProfileTest, WhereProfilesOnlyMatchingRows) {
  crm_->Exec(kMessyRows);
  // Canonical values: C01 and C06 have level VIP, which the value map makes grade A.
  ProcResult r = Concord({"profile", "crm.customer", "--json", "--where", "grade == 'A'"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"], 2);
  EXPECT_EQ(j["rows_read"], 6);
  EXPECT_EQ(j["where"], "grade == 'A'");
  EXPECT_EQ(j["rows_with_issues"], 1);  // C06 without a name
  EXPECT_EQ(Field(j, "code")["distinct"], 2);
  r = Concord({"profile", "crm.customer", "--where", "grade == 'A'"});
  EXPECT_NE(r.out.find("only rows where grade == 'A' (2 of 6 read)"), std::string::npos) << r.out;

  r = Concord({"profile", "crm.customer", "--where", "grad == 'A'"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("concord profile: --where: field \"grad\" is not mapped by binding "
                       "crm.customer"),
            std::string::npos)
      << r.err;
  r = Concord({"profile", "crm.customer", "--where", "grade =="});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("concord profile: --where \"grade ==\": at column"), std::string::npos)
      << r.err;
}

TEST_F(ProfileTest, UnknownBindingIsAUsageErrorWithASuggestion) {
  ProcResult r = Concord({"profile", "crm.custmer"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no binding \"crm.custmer\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean \"crm.customer\"?"), std::string::npos) << r.err;
}

TEST_F(ProfileTest, MissingTableIsARuntimeErrorNamingIt) {
  WriteFile(dir_ / "concord.yaml", std::string(kConfig).replace(
                                       std::string(kConfig).find("table: accounts"),
                                       std::string("table: accounts").size(), "table: acounts"));
  ProcResult r = Concord({"profile", "crm.customer"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("acounts"), std::string::npos) << r.err;
}

TEST_F(ProfileTest, DlqListGroupsByReason) {
  Db erp(dir_ / "erp.db");
  erp.Exec("CREATE TABLE customers (cust_code TEXT PRIMARY KEY, cust_name TEXT, mobile TEXT, "
           "email TEXT, since TEXT, credit TEXT, grade TEXT);");
  crm_->Exec(
      "INSERT INTO accounts VALUES "
      "('K1', 'a', '12', NULL, NULL, NULL, NULL), ('K2', 'b', '34', NULL, NULL, NULL, NULL),"
      "('K3', 'c', '56', NULL, NULL, NULL, NULL),"
      "('K4', 'd', NULL, NULL, NULL, NULL, 'GOLD'), ('K5', 'e', NULL, NULL, NULL, NULL, 'TIN'),"
      "('K6', 'f', '13812345678', NULL, NULL, NULL, 'VIP');");
  ProcResult run = Concord({"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(erp.Int("SELECT count(*) FROM customers"), 1);

  ProcResult groups = Concord({"dlq", "list", "--json", "--groups"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  nlohmann::json g = nlohmann::json::parse(groups.out);
  ASSERT_EQ(g.size(), 2u) << g.dump(2);
  EXPECT_EQ(g[0]["count"], 3);
  EXPECT_EQ(g[0]["rule"], "type");
  EXPECT_EQ(g[0]["field"], "phone");
  EXPECT_EQ(g[0]["flows"], nlohmann::json({"customer:crm->erp"}));
  EXPECT_EQ(g[0]["example_key"], "K1");
  EXPECT_EQ(g[1]["count"], 2);
  EXPECT_EQ(g[1]["rule"], "value_map");
  EXPECT_NE(g[1]["reason"].get<std::string>().find("\"…\""), std::string::npos);
  EXPECT_NE(g[1]["reason"].get<std::string>().find("hint"), std::string::npos);

  ProcResult text = Concord({"dlq", "list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("5 open entries in 2 reason(s)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("type / phone"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("value_map / grade"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("TIN"), std::string::npos) << text.out;  // only the oldest example

  ProcResult one_rule = Concord({"dlq", "list", "--entries", "--rule", "value_map"});
  ASSERT_EQ(one_rule.exit_code, 0) << one_rule.err;
  EXPECT_NE(one_rule.out.find("K4"), std::string::npos) << one_rule.out;
  EXPECT_NE(one_rule.out.find("K5"), std::string::npos) << one_rule.out;
  EXPECT_NE(one_rule.out.find("TIN"), std::string::npos) << one_rule.out;
  EXPECT_EQ(one_rule.out.find("K1"), std::string::npos) << one_rule.out;

  ProcResult entries = Concord({"dlq", "list", "--json"});  // unchanged: one object per entry
  nlohmann::json e = nlohmann::json::parse(entries.out);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0]["key"], "K1");
  EXPECT_EQ(e[0]["reason_pattern"], g[0]["reason"]);
}

}  // namespace
}  // namespace concord::e2e
