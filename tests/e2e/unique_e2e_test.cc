// End-to-end: `unique: true` fields on a flow between SQLite files. A CRM record whose phone or
// e-mail already belongs to another ERP record — in the ERP table (written there in another
// layout), or earlier in the same batch — goes to the DLQ with rule `unique`, the field, the value
// (masked for a personal field), the other record and a hint; the rest of the batch lands, and
// nothing is overwritten. The ERP table has its own UNIQUE index on the phone column: without the
// check the batch would hit it.
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"

namespace concord::e2e {
namespace {

// `%KEY%`: how the ERP keys its rows — by the customer code (mapped) or by a surrogate id that only
// the xref knows.
constexpr const char* kConfig = R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code:  {type: string, required: true}
      name:  {type: string}
      phone: {type: phone, region: CN, personal: true, unique: true}
      email: {type: email, unique: true}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, email: email}
  erp.customer:
    table: customers
    key: %KEY%
    fields:
      code: cust_code
      name: cust_name
      phone: {column: mobile, format: national}
      email: email
flows:
  - {entity: customer, from: crm, to: erp}
)";

struct Case {
  const char* name;
  const char* key;     // the ERP binding's key column
  const char* schema;  // the ERP table
  const char* holder;  // how the DLQ names the ERP record that holds the values
};

class UniqueTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    std::string config = kConfig;
    config.replace(config.find("%KEY%"), 5, GetParam().key);
    WriteFile(dir_ / "concord.yaml", config);
    crm_ = std::make_unique<Db>(dir_ / "crm.db");
    erp_ = std::make_unique<Db>(dir_ / "erp.db");
    crm_->Exec(
        "CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT, "
        "email TEXT);");
    erp_->Exec(GetParam().schema);
    // An ERP customer that concord did not write, its phone in the national layout.
    erp_->Exec(
        "INSERT INTO customers (cust_code, cust_name, mobile, email) "
        "VALUES ('E90', 'Old', '138 1234 5678', 'zs@example.com');");
  }

  ProcResult Concord(const std::vector<std::string>& args) {
    return RunConcord(dir_.path(), args);
  }

  // "rule|field|reason" of the open DLQ entry of CRM key `code`, "" when there is none.
  std::string Dlq(const std::string& code) {
    Db state(dir_ / "state.db");
    return state.Scalar(
        "SELECT rule || '|' || field || '|' || reason FROM dlq WHERE status = 'open' AND "
        "source_key = '[\"" + code + "\"]'");
  }

  TempDir dir_;
  std::unique_ptr<Db> crm_, erp_;
};

TEST_P(UniqueTest, DuplicatesGoToTheDlqAndTheRestLands) {
  crm_->Exec(
      "INSERT INTO accounts VALUES "
      // the ERP's E90 holds this number (as "138 1234 5678")
      "('C01', 'Zhang', '+86-138-1234-5678', 'c01@example.com'),"
      "('C02', 'Li', '13900001111', 'c02@example.com'),"
      // C02's number in another layout, in the same batch
      "('C03', 'Wang', '139-0000-1111', 'c03@example.com'),"
      "('C04', 'Zhao', '13700002222', 'c04@example.com'),"
      // E90's e-mail address (the domain's case differs; canonical e-mail lower-cases it)
      "('C05', 'Qian', '13600003333', 'zs@EXAMPLE.com'),"
      "('C06', 'Sun', NULL, NULL);");
  ProcResult r = Concord({"run", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const std::string holder = GetParam().holder;
  EXPECT_EQ(Dlq("C01"),
            "unique|phone|field phone: 861****5678 already belongs to record " + holder +
                " in erp (rule unique); hint: a unique field holds each value once per system: "
                "correct the value (or merge the two records) in the source system, then run "
                "concord dlq retry");
  EXPECT_EQ(Dlq("C03"),
            "unique|phone|field phone: 861****1111 also belongs to record C02, earlier in the "
            "same batch to erp (rule unique); hint: a unique field holds each value once per "
            "system: correct the value (or merge the two records) in the source system, then run "
            "concord dlq retry");
  EXPECT_NE(Dlq("C05").find("unique|email|field email: \"zs@example.com\" already belongs to "
                            "record " + holder + " in erp"),
            std::string::npos)
      << Dlq("C05");
  EXPECT_EQ(Dlq("C02"), "");
  EXPECT_EQ(Dlq("C04"), "");
  EXPECT_EQ(Dlq("C06"), "");  // no values: nothing to clash

  // The rest landed, in the ERP's layout; E90 was not overwritten.
  EXPECT_EQ(erp_->Dump("SELECT cust_code, cust_name, mobile, email FROM customers"),
            "C02|Li|139 0000 1111|c02@example.com\n"
            "C04|Zhao|137 0000 2222|c04@example.com\n"
            "C06|Sun|NULL|NULL\n"
            "E90|Old|138 1234 5678|zs@example.com\n");

  // A record keeps its own value on later changes; a fixed duplicate lands on retry.
  crm_->Exec("UPDATE accounts SET account_name = 'Li Si' WHERE account_no = 'C02';");
  crm_->Exec("UPDATE accounts SET tel = '13500004444' WHERE account_no = 'C03';");
  r = Concord({"run", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Dlq("C03"), "");
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers WHERE cust_code = 'C02'"), "Li Si");
  EXPECT_EQ(erp_->Scalar("SELECT mobile FROM customers WHERE cust_code = 'C03'"),
            "135 0000 4444");

  // A value that moves from one record to another in one batch is no duplicate.
  crm_->Exec("UPDATE accounts SET tel = '13100005555' WHERE account_no = 'C04';");
  crm_->Exec("UPDATE accounts SET tel = '13700002222' WHERE account_no = 'C06';");
  r = Concord({"run", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Dlq("C06"), "");
  EXPECT_EQ(erp_->Scalar("SELECT mobile FROM customers WHERE cust_code = 'C06'"),
            "137 0000 2222");
  EXPECT_EQ(Dlq("C01").substr(0, 13), "unique|phone|");  // still waiting for a person
}

INSTANTIATE_TEST_SUITE_P(
    Erp, UniqueTest,
    ::testing::Values(
        Case{"MappedKey", "cust_code",
             "CREATE TABLE customers (cust_code TEXT PRIMARY KEY, cust_name TEXT, "
             "mobile TEXT UNIQUE, email TEXT);",
             "E90"},
        Case{"SurrogateKey", "id",
             "CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, cust_code TEXT "
             "UNIQUE, cust_name TEXT, mobile TEXT UNIQUE, email TEXT);",
             "erp key 1, not synced by concord"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace concord::e2e
