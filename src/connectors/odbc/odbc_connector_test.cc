// The odbc connector against real servers through real drivers: PostgreSQL through psqlODBC
// (odbc-postgresql) and MariaDB through MariaDB Connector/ODBC (odbc-mariadb). The test starts
// one server of each kind and registers both drivers in a temporary odbcinst.ini (ODBCSYSINI /
// ODBCINI point into a temp dir; /etc is never touched). Every case runs against both.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "connectors/odbc/odbc_conn.h"
#include "connectors/odbc/odbc_connector.h"
#include "servers/mariadb_server.h"
#include "servers/odbc_drivers.h"
#include "servers/postgres_server.h"

namespace concord {
namespace {

using ::testing::HasSubstr;

test_servers::PostgresServer* g_pg = nullptr;
testing::MariadbServer* g_maria = nullptr;

class Servers : public ::testing::Environment {
 public:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("concord-odbc-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::string error = test_servers::RegisterOdbcDrivers(dir_.string());
    ASSERT_EQ(error, "");
    pg_ = test_servers::PostgresServer::Start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    maria_ = testing::MariadbServer::Start(&error);
    ASSERT_NE(maria_, nullptr) << error;
    ASSERT_EQ(maria_->Exec("CREATE DATABASE shop CHARACTER SET utf8mb4"), "");
    g_pg = pg_.get();
    g_maria = maria_.get();
  }
  void TearDown() override {
    g_pg = nullptr;
    g_maria = nullptr;
    maria_.reset();
    pg_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<test_servers::PostgresServer> pg_;
  std::unique_ptr<testing::MariadbServer> maria_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new Servers);

std::string PgConnectionString() {
  return "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=" + std::to_string(g_pg->port()) +
         ";Database=postgres;Uid=postgres;BoolsAsChar=0";
}
std::string MariaConnectionString() {
  return "Driver={MariaDB};Server=127.0.0.1;Port=" + std::to_string(g_maria->port()) +
         ";Database=shop;Uid=root";
}

Value I(int64_t v) { return Value::Int(v); }
Value T(std::string s) { return Value::Text(std::move(s)); }

// The DDL for one backend (types and quoting differ; the connector must not care).
struct Backend {
  std::string name;
  std::string (*connection_string)();
  std::string accounts_ddl;   // accounts(id, region, name varchar(20), balance decimal(20,2), ...)
  std::string hostile_ddl;    // a table and columns whose names need quoting
  std::string hostile_table;  // its name as a binding writes it
  std::string events_ddl;     // events(id, updated_at timestamp, note)
};

const Backend kPostgres = {
    "postgres", &PgConnectionString,
    "DROP TABLE IF EXISTS accounts; CREATE TABLE accounts (id integer NOT NULL, region "
    "varchar(10) NOT NULL, name varchar(20), balance numeric(20,2), note text, PRIMARY KEY (id, "
    "region))",
    "DROP TABLE IF EXISTS \"we\"\"ird; tab\"; CREATE TABLE \"we\"\"ird; tab\" (\"k ey\" "
    "varchar(50) PRIMARY KEY, \"va\"\"l\" text)",
    "we\"ird; tab",
    "DROP TABLE IF EXISTS events; CREATE TABLE events (id integer PRIMARY KEY, updated_at "
    "timestamp NOT NULL, note text)"};

const Backend kMariadb = {
    "mariadb", &MariaConnectionString,
    "DROP TABLE IF EXISTS accounts; CREATE TABLE accounts (id int NOT NULL, region varchar(10) "
    "NOT NULL, name varchar(20), balance decimal(20,2), note text, PRIMARY KEY (id, region))",
    "DROP TABLE IF EXISTS `we``ird; tab`; CREATE TABLE `we``ird; tab` (`k ey` varchar(50) "
    "PRIMARY KEY, `va``l` text)",
    "we`ird; tab",
    "DROP TABLE IF EXISTS events; CREATE TABLE events (id int PRIMARY KEY, updated_at "
    "datetime(6) NOT NULL, note text)"};

class OdbcTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_NE(g_pg, nullptr);
    ConnectionParams p;
    p.system = "erp";
    p.options["connection_string"] = GetParam().connection_string();
    auto c = OdbcConnectorDescriptor().open(p);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    Exec(GetParam().accounts_ddl);
  }
  // Runs DDL/DML statements (separated by "; " at top level) through the driver.
  void Exec(const std::string& script) {
    auto c = odbc_connector::OdbcConn::Connect("admin", GetParam().connection_string(), "admin", 10);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    size_t pos = 0;
    while (pos < script.size()) {
      // Statements here never hold "; " inside a quoted name except the hostile one, which
      // is split on "; CREATE" / "; DROP" boundaries only.
      size_t next = std::string::npos;
      for (const char* kw : {"; CREATE ", "; DROP ", "; INSERT ", "; UPDATE "}) {
        size_t at = script.find(kw, pos);
        if (at != std::string::npos && (next == std::string::npos || at < next)) next = at;
      }
      std::string stmt = script.substr(pos, next == std::string::npos ? next : next - pos);
      auto st = (*c)->NewStmt();
      ASSERT_TRUE(st.ok());
      Status s = (*st)->Execute(stmt, {}, {}, "admin");
      ASSERT_TRUE(s.ok()) << stmt << ": " << s.ToString();
      if (next == std::string::npos) break;
      pos = next + 2;
    }
  }
  TableRef Accounts() { return {"accounts", {"id", "region"}, {"id", "region", "name", "balance", "note"}}; }
  Source* source() { return conn_->source(); }
  Sink* sink() { return conn_->sink(); }

  std::unique_ptr<Connection> conn_;
};

WriteOp Upsert(Key key, Row values) {
  WriteOp op;
  op.key = std::move(key);
  op.values = std::move(values);
  return op;
}

TEST_P(OdbcTest, SnapshotReadsEveryRowInKeyOrderByPages) {
  Exec("INSERT INTO accounts (id, region, name) VALUES (2, 'b', 'B2'), (1, 'z', 'Z1'), "
       "(1, 'a', 'A1'), (3, 'a', 'A3'), (2, 'a', 'A2')");
  std::vector<std::string> seen;
  std::optional<Key> after;
  int pages = 0;
  while (true) {
    auto rows = source()->ReadChunk(Accounts(), after, 2);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows->empty()) break;
    ++pages;
    for (const Row& r : *rows) {
      seen.push_back(r.at("name").text());
      after = Key{r.at("id"), r.at("region")};
    }
  }
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ::testing::ElementsAre("A1", "Z1", "A2", "B2", "A3"));
}

TEST_P(OdbcTest, UpsertUpdatesOrInsertsAndDeleteRemoves) {
  auto r = sink()->Apply(Accounts(),
                         {Upsert({I(1), T("a")}, {{"name", T("first")}, {"balance", T("10.50")}}),
                          Upsert({I(2), T("a")}, {{"name", T("second")}})},
                         "crm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The same values again (MariaDB counts no changed row), then a real update and a delete.
  r = sink()->Apply(Accounts(), {Upsert({I(1), T("a")}, {{"name", T("first")}})}, "crm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  WriteOp del;
  del.kind = WriteOp::Kind::kDelete;
  del.key = {I(2), T("a")};
  WriteOp missing = del;
  missing.key = {I(9), T("x")};
  r = sink()->Apply(Accounts(), {Upsert({I(1), T("a")}, {{"name", T("renamed")}}), del, missing},
                    "crm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rows = source()->ReadRows(Accounts(), {{I(1), T("a")}, {I(2), T("a")}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).at("name"), T("renamed"));
  EXPECT_EQ(rows->at(0).at("balance"), T("10.50"));  // untouched by the update, exact
}

TEST_P(OdbcTest, HostileIdentifiersAndValuesAreCarriedExactly) {
  Exec(GetParam().hostile_ddl);
  TableRef t{GetParam().hostile_table, {"k ey"}, {"k ey", "va\"l"}};
  if (GetParam().name == "mariadb") t.columns = {"k ey", "va`l"};
  const std::string val_col = t.columns[1];
  const std::vector<std::string> values = {
      "it's \"quoted\"", "semi; DROP TABLE accounts; --", "back\\slash\\", "emoji 😀🎉 中文",
      "", "tab\tnew\nline"};
  std::vector<WriteOp> ops;
  for (size_t i = 0; i < values.size(); ++i) {
    ops.push_back(Upsert({T("k'" + std::to_string(i) + "😀")}, {{val_col, T(values[i])}}));
  }
  ops.push_back(Upsert({T("null")}, {{val_col, Value::Null()}}));
  auto r = sink()->Apply(t, ops, "crm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rows = source()->ReadChunk(t, std::nullopt, 100);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), values.size() + 1);
  std::map<std::string, Value> by_key;
  for (const Row& row : *rows) by_key[row.at("k ey").text()] = row.at(val_col);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(by_key["k'" + std::to_string(i) + "😀"], T(values[i])) << i;
  }
  EXPECT_TRUE(by_key["null"].is_null());  // NULL stays NULL, '' stays ''
  EXPECT_EQ(by_key["k'4😀"], T(""));
  auto accounts = source()->ReadChunk(Accounts(), std::nullopt, 10);
  EXPECT_TRUE(accounts.ok()) << "the table named in a value is still there";
}

TEST_P(OdbcTest, DecimalsAreExact) {
  auto r = sink()->Apply(Accounts(),
                         {Upsert({I(1), T("a")}, {{"balance", T("123456789012345678.91")}}),
                          Upsert({I(2), T("a")}, {{"balance", T("-0.01")}})},
                         "crm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rows = source()->ReadChunk(Accounts(), std::nullopt, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).at("balance"), T("123456789012345678.91"));
  EXPECT_EQ(rows->at(1).at("balance"), T("-0.01"));
}

TEST_P(OdbcTest, ErrorsNameTableColumnAndSqlstate) {
  TableRef typo{"acounts", {"id"}, {"id"}};
  auto missing = source()->ReadChunk(typo, std::nullopt, 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("erp.acounts: table \"acounts\" does not exist"));
  EXPECT_THAT(missing.status().message(), HasSubstr("did you mean \"accounts\""));

  auto column = sink()->Apply(Accounts(), {Upsert({I(1), T("a")}, {{"nmae", T("x")}})}, "crm");
  ASSERT_FALSE(column.ok());
  EXPECT_EQ(column.status().code(), Code::kNotFound);
  EXPECT_THAT(column.status().message(),
              HasSubstr("erp.accounts: column \"nmae\" does not exist (did you mean \"name\"?)"));

  // 21 characters into varchar(20): refused by the database, never cut to fit.
  auto too_long = sink()->Apply(
      Accounts(), {Upsert({I(1), T("a")}, {{"name", T("abcdefghijklmnopqrstu")}})}, "crm");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(too_long.status().message(), HasSubstr("erp.accounts"));
  EXPECT_THAT(too_long.status().message(), HasSubstr("22001"));
  EXPECT_THAT(too_long.status().message(), HasSubstr("name"));
  auto rows = source()->ReadRows(Accounts(), {{I(1), T("a")}});
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty()) << "the failed batch wrote nothing";
}

TEST_P(OdbcTest, ReadChangedSinceOrdersByColumnThenKey) {
  Exec(GetParam().events_ddl);
  Exec("INSERT INTO events (id, updated_at, note) VALUES (1, '2024-01-01 10:00:02', 'a'), "
       "(2, '2024-01-01 10:00:01', 'b'), (3, '2024-01-01 10:00:01', 'c'), "
       "(4, '2024-01-01 10:00:03.5', 'd')");
  TableRef events{"events", {"id"}, {"id", "note"}};
  auto first = source()->ReadChangedSince(events, "updated_at", std::nullopt, 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(first->at(0).at("id"), I(2));
  EXPECT_EQ(first->at(1).at("id"), I(3));
  Key after{first->at(1).at("updated_at"), first->at(1).at("id")};
  auto rest = source()->ReadChangedSince(events, "updated_at", after, 10);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ(rest->at(0).at("id"), I(1));
  EXPECT_EQ(rest->at(1).at("id"), I(4));
  Key end{rest->at(1).at("updated_at"), rest->at(1).at("id")};
  auto none = source()->ReadChangedSince(events, "updated_at", end, 10);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty()) << "the fractional second survives the round trip";
}

TEST_P(OdbcTest, DescribeAndListTables) {
  auto cols = conn_->DescribeTable("accounts");
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->size(), 5u);
  EXPECT_EQ(cols->at(0).name, "id");
  EXPECT_TRUE(cols->at(0).primary_key);
  EXPECT_TRUE(cols->at(1).not_null);
  EXPECT_FALSE(cols->at(2).not_null);
  EXPECT_THAT(cols->at(3).declared_type, HasSubstr("(20,2)"));
  auto tables = conn_->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_THAT(*tables, ::testing::Contains("accounts"));
}

TEST_P(OdbcTest, TriggerCaptureIsRefusedWithTheWayOut) {
  Status s = source()->InstallCapture(Accounts(), "f");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("capture: poll"));
}

INSTANTIATE_TEST_SUITE_P(Drivers, OdbcTest, ::testing::Values(kPostgres, kMariadb),
                         [](const auto& info) { return info.param.name; });

TEST(OdbcConnect, UnknownDriverSaysWhatToCheck) {
  ConnectionParams p;
  p.system = "erp";
  p.options["connection_string"] = "Driver={No Such Driver};Server=127.0.0.1;PWD=hunter2";
  auto c = OdbcConnectorDescriptor().open(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("No Such Driver"));
  EXPECT_THAT(c.status().message(), HasSubstr("odbcinst.ini"));
  EXPECT_THAT(c.status().message(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(OdbcConnect, ServerDownIsUnavailable) {
  ConnectionParams p;
  p.system = "erp";
  // A port nothing listens on: the server is "down".
  p.options["connection_string"] = "Driver={MariaDB};Server=127.0.0.1;Port=1;Database=shop;Uid=root";
  p.options["connect_timeout_s"] = "2";
  auto c = OdbcConnectorDescriptor().open(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable) << c.status().ToString();
}

TEST(OdbcConnect, OptionsAreChecked) {
  ConnectionParams p;
  p.system = "erp";
  p.options["dsnn"] = "x";
  auto c = OdbcConnectorDescriptor().open(p);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("did you mean \"dsn\""));
  p.options.clear();
  c = OdbcConnectorDescriptor().open(p);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("exactly one of dsn"));
}

}  // namespace
}  // namespace concord

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
