#include "profile/profiler.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "config/config.h"
#include "connectors/registry.h"
#include "profile/report.h"

namespace concord {
namespace {

constexpr const char* kConfig = R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
entities:
  customer:
    key: code
    fields:
      code:   {type: string, required: true}
      name:   {type: string, required: true, max_length: 10}
      phone:  {type: phone, region: CN, personal: true}
      email:  {type: email}
      since:  {type: date}
      credit: {type: decimal, scale: 2, min: 0}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, email: email, since: since,
             credit: credit}
flows: []
)";

class ProfilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("profiler_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    ASSERT_NO_FATAL_FAILURE(Load(kConfig, &spec_, &mapper_));
  }
  // `config` loaded, and a mapper of its crm.customer.
  void Load(const std::string& config, std::unique_ptr<ConfigSpec>* spec,
            std::unique_ptr<BindingMapper>* mapper) {
    std::vector<ConfigError> errors;
    auto loaded = LoadConfigString(config, "concord.yaml", dir_.string(), &errors);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    *spec = std::make_unique<ConfigSpec>(std::move(*loaded));
    *mapper = std::make_unique<BindingMapper>((*spec)->entities.at("customer"),
                                              (*spec)->bindings.at("crm.customer"));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static Row R(const char* code, const char* name, const char* tel, const char* email,
               const char* since, const char* credit) {
    auto v = [](const char* s) { return s == nullptr ? Value::Null() : Value::Text(s); };
    return {{"account_no", v(code)}, {"account_name", v(name)}, {"tel", v(tel)},
            {"email", v(email)},     {"since", v(since)},       {"credit", v(credit)}};
  }

  static const FieldSummary& F(const ProfileReport& r, const std::string& field) {
    for (const auto& f : r.fields) {
      if (f.field == field) return f;
    }
    throw std::runtime_error("no field " + field);
  }

  std::filesystem::path dir_;
  std::unique_ptr<ConfigSpec> spec_;
  std::unique_ptr<BindingMapper> mapper_;
  // The config with `unique: true` on phone and e-mail, and a mapper of crm.customer under it.
  void UseUniquePhoneAndEmail() {
    std::string config = kConfig;
    config.replace(config.find("personal: true}"), 15, "personal: true, unique: true}");
    config.replace(config.find("email:  {type: email}"), 21,
                   "email:  {type: email, unique: true}");
    Load(config, &unique_spec_, &unique_mapper_);
  }
  std::unique_ptr<ConfigSpec> unique_spec_;
  std::unique_ptr<BindingMapper> unique_mapper_;
};

TEST_F(ProfilerTest, CountsFillDistinctIssuesAndDuplicates) {
  Profiler p(*mapper_, {});
  p.AddRow(R("C1", "Alpha", "+86-138-1234-5678", "a@x.example", "2023/01/01", "100.5"));
  p.AddRow(R("C2", "Beta", "13812345678", "b@X.EXAMPLE", "2023年1月2日", "１２３"));
  p.AddRow(R("C3", "A much too long name", "12", "b@x.example", "2023-01-03", "-5"));
  p.AddRow(R("C4", "", nullptr, "not-an-email", "01/02/2023", "abc"));
  p.AddRow(R("C5", "Eve", "138 1234 5678", nullptr, nullptr, nullptr));
  ProfileReport r = p.Finish();
  EXPECT_EQ(r.binding, "crm.customer");
  EXPECT_EQ(r.table, "accounts");
  EXPECT_EQ(r.rows, 5);
  EXPECT_EQ(r.rows_with_issues, 2);  // C3, C4 (C5 has only NULLs in optional fields)

  const FieldSummary& phone = F(r, "phone");
  EXPECT_EQ(phone.filled, 4);
  EXPECT_EQ(phone.valid, 3);
  EXPECT_EQ(phone.distinct, 1);  // three layouts of one number
  ASSERT_EQ(phone.issues.size(), 1u);
  EXPECT_EQ(phone.issues[0].rule, "type");
  EXPECT_EQ(phone.issues[0].examples[0].key, "C3");

  const FieldSummary& name = F(r, "name");
  EXPECT_EQ(name.filled, 4);
  EXPECT_EQ(name.failing_rows, 2);  // C3 too long, C4 empty (required)
  ASSERT_EQ(name.issues.size(), 2u);

  const FieldSummary& since = F(r, "since");
  EXPECT_EQ(since.min, "2023-01-01");
  EXPECT_EQ(since.max, "2023-01-03");
  EXPECT_EQ(since.failing_rows, 1);  // 01/02/2023: day and month order unknown

  const FieldSummary& credit = F(r, "credit");
  EXPECT_EQ(credit.min, "-5.00");  // normalized, then below min 0
  EXPECT_EQ(credit.max, "123.00");
  ASSERT_EQ(credit.issues.size(), 2u);  // min (C3), type (C4)

  ASSERT_EQ(r.duplicates.size(), 2u);  // phone, email
  EXPECT_EQ(r.duplicates[0].field, "phone");
  EXPECT_EQ(r.duplicates[0].groups, 1);
  EXPECT_EQ(r.duplicates[0].records, 3);
  EXPECT_EQ(r.duplicates[0].examples[0].keys, (std::vector<std::string>{"C1", "C2", "C5"}));
  EXPECT_EQ(r.duplicates[0].examples[0].value.find("12345678"), std::string::npos);
  EXPECT_EQ(r.duplicates[1].field, "email");
  EXPECT_EQ(r.duplicates[1].groups, 1);  // the domain is lower-cased: b@X.EXAMPLE = b@x.example
  EXPECT_EQ(r.duplicates[1].examples[0].value, "b@x.example");  // email is not personal here
}

// Through the real SQLite connector, in chunks smaller than the table: every row once.
TEST_F(ProfilerTest, ScanReadsEveryRowInKeyedChunks) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "crm.db").c_str(), &db), SQLITE_OK);
  std::string sql =
      "CREATE TABLE accounts(account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT, "
      "email TEXT, since TEXT, credit TEXT);";
  for (int i = 0; i < 23; ++i) {
    sql += "INSERT INTO accounts VALUES ('K" + std::to_string(100 + i) + "', 'n', NULL, NULL, "
           "NULL, '" + std::to_string(i) + "');";
  }
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  const ConnectorDescriptor* d = FindConnector("sqlite");
  ASSERT_NE(d, nullptr);
  const SystemSpec& sys = spec_->systems.at("crm");
  auto conn = d->open({"crm", sys.options, spec_->base_dir});
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ProfileOptions options;
  options.chunk_rows = 5;
  Profiler p(*mapper_, options);
  std::vector<std::pair<int64_t, int64_t>> progress;
  Status s = p.Scan((*conn)->source(),
                    [&](int64_t rows, int64_t total) { progress.emplace_back(rows, total); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ProfileReport r = p.Finish();
  EXPECT_EQ(r.rows, 23);
  EXPECT_EQ(F(r, "code").distinct, 23);
  EXPECT_EQ(F(r, "credit").max, "22.00");
  // The total is counted first (CountRows), so every step knows it.
  EXPECT_EQ(progress, (std::vector<std::pair<int64_t, int64_t>>{
                          {5, 23}, {10, 23}, {15, 23}, {20, 23}, {23, 23}}));
  // Read only: no changelog or trigger was installed.
  sqlite3_open((dir_ / "crm.db").c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%concord%'", -1,
                     &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(ProfilerTest, ScanReportsAMissingTable) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "crm.db").c_str(), &db), SQLITE_OK);
  sqlite3_close(db);
  auto conn = FindConnector("sqlite")->open({"crm", spec_->systems.at("crm").options,
                                             spec_->base_dir});
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  Profiler p(*mapper_, {});
  Status s = p.Scan((*conn)->source(), nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("accounts"), std::string::npos) << s.ToString();
}

TEST_F(ProfilerTest, HtmlEscapesEveryValueAndLoadsNothing) {
  Profiler p(*mapper_, {});
  p.AddRow(R("<b>1</b>", "<script>x()</script>", nullptr, "\"q\"@x.example", nullptr, "'1'"));
  p.AddRow(R("C&2", "<script>x()</script>", nullptr, nullptr, nullptr, nullptr));
  std::string html = ReportToHtml(p.Finish());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;x()&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>1"), std::string::npos);
  EXPECT_NE(html.find("C&amp;2"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // no external asset
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(HtmlEscape("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
}

// The entity's Lua rules run on records that passed the field rules, as on a flow.
TEST(ProfilerRules, EntityRulesAreCheckedOnValidRecords) {
  std::string yaml = kConfig;
  std::string at = "      credit: {type: decimal, scale: 2, min: 0}\n";
  yaml.replace(yaml.find(at), at.size(),
               at + "    rules:\n      - {name: named_credit, check: \"credit == nil or name ~= 'x'\", "
                    "message: a customer with credit needs a real name}\n");
  std::vector<ConfigError> errors;
  auto spec = LoadConfigString(yaml, "concord.yaml", "/", &errors);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString() << (errors.empty() ? "" : errors[0].ToString());
  BindingMapper mapper(spec->entities.at("customer"), spec->bindings.at("crm.customer"));
  Profiler p(mapper, {});
  auto row = [](const char* code, const char* name, const char* credit) {
    return Row{{"account_no", Value::Text(code)}, {"account_name", Value::Text(name)},
               {"tel", Value::Null()}, {"email", Value::Null()}, {"since", Value::Null()},
               {"credit", credit ? Value::Text(credit) : Value::Null()}};
  };
  p.AddRow(row("C1", "x", "10"));   // breaks the rule
  p.AddRow(row("C2", "x", nullptr));
  p.AddRow(row("C3", "ok", "10"));
  p.AddRow(row("C4", "x", "-1"));   // min fails first: the rule is not run
  ProfileReport r = p.Finish();
  EXPECT_EQ(r.rows_with_issues, 2);
  ASSERT_EQ(r.entity_rules.size(), 1u);
  EXPECT_EQ(r.entity_rules[0].rule, "named_credit");
  EXPECT_EQ(r.entity_rules[0].count, 1);
  EXPECT_EQ(r.entity_rules[0].examples[0].key, "C1");
  EXPECT_NE(r.entity_rules[0].examples[0].message.find("real name"), std::string::npos);
  EXPECT_TRUE(r.notes.empty());
}

TEST_F(ProfilerTest, JsonAndTextCarryTheCounts) {
  Profiler p(*mapper_, {});
  p.AddRow(R("C1", "Alpha", "13812345678", nullptr, nullptr, "1"));
  p.AddRow(R("C2", "Alpha", "13812345678", nullptr, nullptr, "x"));
  ProfileReport r = p.Finish();
  nlohmann::json j = ReportToJson(r);
  EXPECT_EQ(j["rows"], 2);
  EXPECT_EQ(j["rows_with_issues"], 1);
  EXPECT_EQ(j["fields"][1]["field"], "name");
  EXPECT_EQ(j["fields"][1]["top"][0]["value"], "Alpha");
  EXPECT_EQ(j["fields"][1]["top"][0]["count"], 2);
  EXPECT_EQ(j["fields"][5]["issues"][0]["rule"], "type");
  EXPECT_EQ(j["duplicates"][0]["groups"], 1);
  std::string text = ReportToText(r);
  EXPECT_NE(text.find("crm.customer (table accounts): 2 rows, 1 with issues"), std::string::npos)
      << text;
  EXPECT_NE(text.find("1 rows fail rule type"), std::string::npos) << text;
}

TEST_F(ProfilerTest, UniqueFieldDuplicatesAreFailures) {
  ASSERT_NO_FATAL_FAILURE(UseUniquePhoneAndEmail());
  Profiler p(*unique_mapper_, {});
  // One number in three layouts (C1, C2, C5), another twice (C3, C6); C4 has the number too but
  // fails another rule, so a flow would never reach its unique check; one e-mail twice.
  p.AddRow(R("C1", "Alpha", "+86-138-1234-5678", "a@x.example", nullptr, nullptr));
  p.AddRow(R("C2", "Beta", "13812345678", "A@x.EXAMPLE", nullptr, nullptr));
  p.AddRow(R("C3", "Gamma", "139 0000 1111", "a@x.example", nullptr, nullptr));
  p.AddRow(R("C4", "", "138 1234 5678", nullptr, nullptr, nullptr));
  p.AddRow(R("C5", "Eve", "138 1234 5678", nullptr, nullptr, nullptr));
  p.AddRow(R("C6", "Zed", "13900001111", nullptr, nullptr, nullptr));
  ProfileReport r = p.Finish();
  const FieldSummary& phone = F(r, "phone");
  ASSERT_EQ(phone.issues.size(), 1u);
  EXPECT_EQ(phone.issues[0].rule, "unique");
  EXPECT_EQ(phone.issues[0].count, 3);  // C2, C5 (after C1) and C6 (after C3)
  EXPECT_EQ(phone.failing_rows, 3);
  ASSERT_EQ(phone.issues[0].examples.size(), 2u);
  EXPECT_EQ(phone.issues[0].examples[0].key, "C2");
  EXPECT_EQ(phone.issues[0].examples[0].value, "861****5678");  // personal: masked
  EXPECT_EQ(phone.issues[0].examples[0].message,
            "861****5678 also belongs to C1 (3 records share it)");
  EXPECT_EQ(phone.issues[0].examples[1].message, "861****1111 also belongs to C3");
  const FieldSummary& email = F(r, "email");
  ASSERT_EQ(email.issues.size(), 1u);
  EXPECT_EQ(email.issues[0].count, 1);  // C3 (A@x.EXAMPLE is another address: local parts differ)
  EXPECT_EQ(email.issues[0].examples[0].message, "a@x.example also belongs to C1");
  EXPECT_EQ(r.rows_with_issues, 1 + 3 + 1);  // C4's name, then the unique failures
}

TEST_F(ProfilerTest, ARecordRepeatingTwoUniqueFieldsIsOneRecordWithIssues) {
  ASSERT_NO_FATAL_FAILURE(UseUniquePhoneAndEmail());
  Profiler p(*unique_mapper_, {});
  p.AddRow(R("C1", "Alpha", "+86-138-1234-5678", "a@x.example", nullptr, nullptr));
  p.AddRow(R("C2", "Beta", "13812345678", "a@x.example", nullptr, nullptr));  // both repeat
  p.AddRow(R("C3", "Gamma", "139 0000 1111", "a@x.example", nullptr, nullptr));  // e-mail only
  ProfileReport r = p.Finish();
  EXPECT_EQ(F(r, "phone").failing_rows, 1);
  EXPECT_EQ(F(r, "email").failing_rows, 2);
  EXPECT_EQ(r.rows_with_issues, 2);  // C2 once, though it fails two fields; C3
}

}  // namespace
}  // namespace concord
