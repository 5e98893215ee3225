// End-to-end: a web shop on MariaDB read through ODBC (MariaDB Connector/ODBC) with poll capture,
// synced into an ERP on PostgreSQL by the concord binary. Both servers are started by the test on
// free loopback ports; the ODBC driver is registered in a temporary odbcinst.ini. Checks the
// initial copy, an update read by its updated_at, a delete seen only by the key scan, hostile
// values carried exactly, and that nothing was installed in the shop's database; and the other
// way, the ERP writing into a shop table keyed by an id MariaDB generates (read back through ODBC).
#include <libpq-fe.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"
#include "servers/mariadb_server.h"
#include "servers/odbc_drivers.h"
#include "servers/postgres_server.h"

namespace concord::e2e {
namespace {

test_servers::PostgresServer* g_pg = nullptr;
concord::testing::MariadbServer* g_maria = nullptr;

class Servers : public ::testing::Environment {
 public:
  void SetUp() override {
    // The concord processes the test starts inherit the environment it sets.
    std::string error = test_servers::RegisterOdbcDrivers(odbc_dir_.path());
    ASSERT_EQ(error, "");
    pg_ = test_servers::PostgresServer::Start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    maria_ = concord::testing::MariadbServer::Start(&error);
    ASSERT_NE(maria_, nullptr) << error;
    g_pg = pg_.get();
    g_maria = maria_.get();
  }
  void TearDown() override {
    g_pg = nullptr;
    g_maria = nullptr;
    maria_.reset();
    pg_.reset();
  }

 private:
  TempDir odbc_dir_;
  std::unique_ptr<test_servers::PostgresServer> pg_;
  std::unique_ptr<concord::testing::MariadbServer> maria_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new Servers);

// Runs SQL on the ERP database with libpq; rows as "a|b\n".
std::string Pg(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string out;
  if (PQstatus(c) != CONNECTION_OK) {
    ADD_FAILURE() << PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    }
    for (int i = 0; i < PQntuples(r); ++i) {
      for (int j = 0; j < PQnfields(r); ++j) {
        out += std::string(j ? "|" : "") + (PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
      }
      out += "\n";
    }
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

class OdbcSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(g_pg, nullptr);
    db_ = "shop_" + std::to_string(++counter_);
    ASSERT_EQ(g_maria->Exec("CREATE DATABASE " + db_ + " CHARACTER SET utf8mb4"), "");
    ASSERT_EQ(g_maria->Exec("CREATE TABLE " + db_ +
                            ".accounts (account_no varchar(20) PRIMARY KEY, account_name "
                            "varchar(100) NOT NULL, credit decimal(20,2), updated_at datetime(6) "
                            "NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6), "
                            "KEY by_change (updated_at, account_no))"),
              "");
    Pg(g_pg->url(), "CREATE DATABASE " + db_);
    erp_url_ = g_pg->UrlFor(db_);
    Pg(erp_url_,
       "CREATE TABLE customers (cust_code text PRIMARY KEY, cust_name varchar(100) NOT NULL, "
       "credit_limit numeric(20,2))");
    WriteFile(dir_ / "concord.yaml", Config());
  }

  std::string Config() {
    return R"(version: 1
state: sqlite:state.db
systems:
  shop:
    connector: odbc
    connection_string: "Driver={MariaDB};Server=127.0.0.1;Port=)" +
           std::to_string(g_maria->port()) + ";Database=" + db_ + R"(;Uid=root"
  erp: {connector: postgres, url: ")" +
           erp_url_ + R"("}
entities:
  customer:
    key: code
    fields:
      code:  {type: string, required: true}
      name:  {type: string, required: true}
      limit: {type: decimal, scale: 2}
bindings:
  shop.customer:
    table: accounts
    key: account_no
    capture: poll
    poll: {column: updated_at, hold_back_s: 5, key_scan_interval_s: 60}
    fields: {code: account_no, name: account_name, limit: credit}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name, limit: credit_limit}
flows:
  - {entity: customer, from: shop, to: erp}
)";
  }

  void SyncOnce() {
    ProcResult r = RunConcord(dir_.path(), {"run", "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  void Shop(const std::string& sql) { ASSERT_EQ(g_maria->Exec("USE " + db_ + "; " + sql), ""); }
  std::string Erp(const std::string& sql) { return Pg(erp_url_, sql); }

  static inline int counter_ = 0;
  TempDir dir_;
  std::string db_, erp_url_;
};

TEST_F(OdbcSyncTest, PolledShopReachesTheErpWithUpdatesAndDeletes) {
  Shop("INSERT INTO accounts (account_no, account_name, credit) VALUES "
       "('C1', 'O''Brien \"Ltd\"; DROP TABLE x; -- 😀', 123456789012345678.25), "
       "('C2', '上海华联贸易', NULL), ('C3', 'back\\\\slash', 0.10)");
  SyncOnce();
  EXPECT_EQ(Erp("SELECT cust_code, cust_name, credit_limit FROM customers ORDER BY 1"),
            "C1|O'Brien \"Ltd\"; DROP TABLE x; -- 😀|123456789012345678.25\n"
            "C2|上海华联贸易|NULL\n"
            "C3|back\\slash|0.10\n");

  // An update (its updated_at moves), a delete (no row left to poll) and an insert.
  Shop("UPDATE accounts SET account_name = 'Renamed' WHERE account_no = 'C1'; "
       "DELETE FROM accounts WHERE account_no = 'C2'; "
       "INSERT INTO accounts (account_no, account_name, credit) VALUES ('C4', 'New', 1.00)");
  SyncOnce();
  EXPECT_EQ(Erp("SELECT cust_code, cust_name, credit_limit FROM customers ORDER BY 1"),
            "C1|Renamed|123456789012345678.25\n"
            "C3|back\\slash|0.10\n"
            "C4|New|1.00\n");

  // Nothing was installed in the shop's database: poll capture only reads.
  std::string error;
  auto tables = g_maria->Query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = '" + db_ + "'",
      &error);
  ASSERT_EQ(error, "");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0][0], "accounts");
  auto triggers = g_maria->Query(
      "SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = '" + db_ + "'",
      &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(triggers[0][0], "0");

  // The delete was the key scan's doing, recorded as an applied delete.
  Db state(dir_ / "state.db");
  EXPECT_EQ(state.Int("SELECT count(*) FROM audit WHERE flow = 'customer:shop->erp' AND "
                      "op = 'delete' AND outcome = 'applied'"),
            1);
  // A run with nothing new writes nothing.
  SyncOnce();
  EXPECT_EQ(state.Int("SELECT count(*) FROM audit WHERE flow = 'customer:shop->erp' AND "
                      "outcome = 'applied'"),
            3);  // C1's update, C2's delete, C4's insert (the first copy is "snapshot:applied")
}

// The other way: the ERP on PostgreSQL writes into a shop table keyed by an AUTO_INCREMENT id that
// the binding does not map. The ODBC sink inserts without the id and reads back the one MariaDB
// made (INSERT ... RETURNING); the xref then sends the ERP's later update and delete to that row.
TEST_F(OdbcSyncTest, ErpWritesIntoAShopTableKeyedByAGeneratedId) {
  Shop("CREATE TABLE members (id int AUTO_INCREMENT PRIMARY KEY, member_code varchar(20) UNIQUE, "
       "name varchar(100) NOT NULL, credit decimal(20,2), updated_at datetime(6) NOT NULL "
       "DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6))");
  std::string yaml = Config();
  yaml.replace(yaml.find("    table: accounts\n    key: account_no"),
               std::string("    table: accounts\n    key: account_no").size(),
               "    table: members\n    key: id");
  yaml.replace(yaml.find("{code: account_no, name: account_name, limit: credit}"),
               std::string("{code: account_no, name: account_name, limit: credit}").size(),
               "{code: member_code, name: name, limit: credit}");
  yaml.replace(yaml.find("{entity: customer, from: shop, to: erp}"),
               std::string("{entity: customer, from: shop, to: erp}").size(),
               "{entity: customer, from: erp, to: shop}");
  WriteFile(dir_ / "concord.yaml", yaml);
  Shop("INSERT INTO members (member_code, name) VALUES ('OLD', 'Already there')");  // id 1
  Erp("INSERT INTO customers VALUES ('C1', 'Alpha', 10.50), ('C2', 'O''Brien; --', NULL)");
  SyncOnce();
  auto members = [&] {
    std::string error;
    auto rows = g_maria->Query("SELECT id, member_code, name, IFNULL(credit, 'NULL') FROM " + db_ +
                                   ".members ORDER BY id",
                               &error);
    EXPECT_EQ(error, "");
    std::string out;
    for (const auto& r : rows) out += r[0] + "|" + r[1] + "|" + r[2] + "|" + r[3] + "\n";
    return out;
  };
  EXPECT_EQ(members(), "1|OLD|Already there|NULL\n2|C1|Alpha|10.50\n3|C2|O'Brien; --|NULL\n");

  Erp("UPDATE customers SET cust_name = 'Alpha 2' WHERE cust_code = 'C1'; "
      "DELETE FROM customers WHERE cust_code = 'C2'");
  SyncOnce();
  EXPECT_EQ(members(), "1|OLD|Already there|NULL\n2|C1|Alpha 2|10.50\n");
}

}  // namespace
}  // namespace concord::e2e
