// End-to-end: a CRM on SQLite and an ERP on a real PostgreSQL server (started by the test on a
// free loopback port), synced both ways by the concord binary. Checks the engine and the
// postgres connector together: initial copy, changes and deletes both ways, no echo through
// PostgreSQL's origin setting (trigger capture) or replication origin (logical capture), exact
// numerics, and a value that does not fit the target's
// varchar(100) going to the DLQ with the server's reason — never truncated.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"
#include "servers/postgres_server.h"

namespace concord::e2e {
namespace {

using test_servers::PostgresServer;

PostgresServer* g_server = nullptr;

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string error;
    server_ = PostgresServer::Start(&error);
    ASSERT_NE(server_, nullptr) << error;
    g_server = server_.get();
  }
  void TearDown() override {
    g_server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<PostgresServer> server_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// Runs SQL through psql on the test server; returns the unaligned output (rows as a|b lines).
std::string Psql(const std::string& db, const std::string& sql) {
  std::string error;
  std::string out = g_server->Psql(db, sql, &error);
  EXPECT_EQ(error, "") << "psql failed: " << sql;
  return out;
}

// `capture`: how the ERP's table is captured ("trigger" or "logical").
std::string Config(const std::string& pg_url, const std::string& capture = "trigger") {
  return R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: postgres, url: ")" +
         pg_url + R"("}
entities:
  customer:
    key: code
    fields:
      code:   {type: string, required: true}
      name:   {type: string, required: true}
      phone:  {type: string}
      limit:  {type: decimal, scale: 2}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, limit: credit}
  erp.customer:
    table: erp.customers
    key: cust_code
    capture: )" + capture + R"(
    fields: {code: cust_code, name: cust_name, phone: mobile, limit: credit_limit}
flows:
  - {entity: customer, from: crm, to: erp, owns: [name, phone]}
  - {entity: customer, from: erp, to: crm, owns: [limit]}
)";
}

class PostgresSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(g_server, nullptr);
    db_ = "erp_" + std::to_string(++counter_);
    Psql("postgres", "CREATE DATABASE " + db_ + ";");
    Psql(db_,
         "CREATE SCHEMA erp; CREATE TABLE erp.customers (cust_code text PRIMARY KEY, "
         "cust_name varchar(100) NOT NULL, mobile text, credit_limit numeric(20,2) NOT NULL "
         "DEFAULT 0);");
    crm_ = std::make_unique<Db>(dir_ / "crm.db");
    crm_->Exec("CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT,"
               " credit TEXT);");
    WriteFile(dir_ / "concord.yaml", Config(g_server->UrlFor(db_)));
  }

  void SyncOnce() {
    ProcResult r = RunConcord(dir_.path(), {"run", "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  std::string Erp(const std::string& sql) { return Psql(db_, sql); }

  // Two customers in the CRM (one hostile name), one in the ERP with an 18-digit limit, one run:
  // the names reach the ERP, and the ERP's limit (it owns it) reaches the CRM's text column exactly.
  void FirstSyncBothWays() {
    crm_->Exec("INSERT INTO accounts VALUES ('C1','上海华联贸易','13800000001',NULL),"
               "('C2','O''Brien \"Ltd\" 😀','13800000002',NULL);");
    Erp("INSERT INTO erp.customers VALUES ('C1','old name','1',123456789012345678.25);");
    SyncOnce();
    EXPECT_EQ(
        Erp("SELECT cust_code, cust_name, mobile, credit_limit FROM erp.customers ORDER BY 1"),
        "C1|上海华联贸易|13800000001|123456789012345678.25\n"
        "C2|O'Brien \"Ltd\" 😀|13800000002|0.00\n");
    EXPECT_EQ(crm_->Scalar("SELECT credit FROM accounts WHERE account_no='C1'"),
              "123456789012345678.25");
  }

  static inline int counter_ = 0;
  TempDir dir_;
  std::string db_;
  std::unique_ptr<Db> crm_;
};

TEST_F(PostgresSyncTest, BothWaysWithoutEcho) {
  FirstSyncBothWays();

  crm_->Exec("UPDATE accounts SET account_name='Shanghai Hualian' WHERE account_no='C1';"
             "DELETE FROM accounts WHERE account_no='C2';");
  Erp("UPDATE erp.customers SET credit_limit = 5000.10 WHERE cust_code = 'C1';");
  SyncOnce();
  EXPECT_EQ(Erp("SELECT cust_code, cust_name, credit_limit FROM erp.customers ORDER BY 1"),
            "C1|Shanghai Hualian|5000.10\n");
  EXPECT_EQ(crm_->Scalar("SELECT credit FROM accounts WHERE account_no='C1'"), "5000.10");
  // concord's writes into PostgreSQL came back only as echoes, and both changelogs are empty.
  Db state(dir_ / "state.db");
  EXPECT_GT(state.Int("SELECT count(*) FROM audit WHERE flow='customer:erp->crm' AND outcome='echo'"), 0);
  EXPECT_EQ(state.Int("SELECT count(*) FROM audit WHERE flow='customer:erp->crm' AND outcome='applied'"
                      " AND seq > 0"),
            1);  // the one real ERP change: the limit
  EXPECT_EQ(Erp("SELECT count(*) FROM _concord_changelog"), "0\n");
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM _concord_changelog"), 0);
}

// The same sync with the ERP read by logical decoding: a replication slot instead of a trigger,
// concord's writes into PostgreSQL recognised by their replication origin, `concord status`
// showing the slot, `concord uninstall` dropping it.
TEST_F(PostgresSyncTest, LogicalCaptureBothWaysWithoutEcho) {
  WriteFile(dir_ / "concord.yaml", Config(g_server->UrlFor(db_), "logical"));
  FirstSyncBothWays();
  EXPECT_EQ(Erp("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"),
            "1\n");
  EXPECT_EQ(Erp("SELECT to_regclass('erp._concord_changelog') IS NULL AND "
                "to_regclass('public._concord_changelog') IS NULL"),
            "t\n");  // no trigger, no changelog

  crm_->Exec("UPDATE accounts SET account_name='Shanghai Hualian' WHERE account_no='C1';"
             "DELETE FROM accounts WHERE account_no='C2';");
  Erp("UPDATE erp.customers SET credit_limit = 5000.10 WHERE cust_code = 'C1';"
      "INSERT INTO erp.customers VALUES ('E1','from the erp','2',7.5);");
  SyncOnce();
  EXPECT_EQ(Erp("SELECT cust_code, cust_name, credit_limit FROM erp.customers ORDER BY 1"),
            "C1|Shanghai Hualian|5000.10\nE1|from the erp|7.50\n");
  EXPECT_EQ(crm_->Scalar("SELECT credit FROM accounts WHERE account_no='C1'"), "5000.10");
  EXPECT_EQ(crm_->Scalar("SELECT credit FROM accounts WHERE account_no='E1'"), "7.50");
  // concord's own writes into PostgreSQL came back through the slot only as echoes.
  Db state(dir_ / "state.db");
  EXPECT_GT(state.Int("SELECT count(*) FROM audit WHERE flow='customer:erp->crm' AND outcome='echo'"), 0);
  EXPECT_EQ(state.Int("SELECT count(*) FROM audit WHERE flow='customer:erp->crm' AND outcome='applied'"
                      " AND seq > 0"),
            2);  // the limit, and E1
  // Nothing left to deliver: the slot confirmed everything.
  SyncOnce();
  EXPECT_EQ(state.Int("SELECT count(*) FROM audit WHERE flow='customer:erp->crm' AND outcome='applied'"
                      " AND seq > 0"),
            2);

  ProcResult status = RunConcord(dir_.path(), {"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("slot concord_customer_erp_crm_"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find(", retained WAL "), std::string::npos) << status.out;
  ProcResult json = RunConcord(dir_.path(), {"status", "--json"});
  EXPECT_NE(json.out.find("\"retained_wal_bytes\""), std::string::npos) << json.out;

  ProcResult uninstall = RunConcord(dir_.path(), {"uninstall"});
  EXPECT_EQ(uninstall.exit_code, 0) << uninstall.out << uninstall.err;
  EXPECT_EQ(Erp("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"),
            "0\n");
  EXPECT_EQ(Erp("SELECT count(*) FROM pg_publication"), "0\n");
}

TEST_F(PostgresSyncTest, ValueTooLongForTheTargetGoesToTheDlqNeverTruncated) {
  std::string long_name(150, 'x');
  crm_->Exec("INSERT INTO accounts VALUES ('C1','" + long_name + "','1',NULL),"
             "('C2','fits','2',NULL);");
  SyncOnce();
  EXPECT_EQ(Erp("SELECT cust_code, length(cust_name) FROM erp.customers ORDER BY 1"), "C2|4\n");
  ProcResult list = RunConcord(dir_.path(), {"dlq", "list"});
  EXPECT_NE(list.out.find("C1"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("target"), std::string::npos) << list.out;
  // The fix at the source travels on the next run; the entry closes.
  crm_->Exec("UPDATE accounts SET account_name='short now' WHERE account_no='C1';");
  SyncOnce();
  EXPECT_EQ(Erp("SELECT cust_name FROM erp.customers WHERE cust_code='C1'"), "short now\n");
  EXPECT_NE(RunConcord(dir_.path(), {"dlq", "list"}).out.find("empty"), std::string::npos);
}

// LISTEN/NOTIFY: with a 10 s poll interval, a change committed in PostgreSQL while `concord run`
// is idle reaches the target long before the engine's next poll: the capture trigger's NOTIFY
// woke it. Each change is made a moment after the previous one arrived, when the engine has
// settled into its wait, so an engine that only polls would need most of the interval for it.
// (The default max_batch_delay_ms holds the one-change batch back briefly; the wait honours it.)
// With logical capture the engine wakes on data arriving on the replication connection.
// The ERP's table changes shape under a running `concord run` (capture: the parameter). A new
// column is ignored (the binding does not map it); a mapped column dropped pauses the ERP's flow
// with an error naming the column, the ERP's changes wait at the source, and once the column is
// back they all arrive: nothing lost.
class PostgresSchemaChangeTest : public PostgresSyncTest,
                                 public ::testing::WithParamInterface<std::string> {};

TEST_P(PostgresSchemaChangeTest, AddedColumnIgnoredDroppedMappedColumnPausesAndLosesNothing) {
  WriteFile(dir_ / "concord.yaml", Config(g_server->UrlFor(db_), GetParam()));
  Erp("INSERT INTO erp.customers VALUES ('E1', 'Alpha', '1', 1.00);");
  pid_t pid = StartConcord(dir_.path(), {"run"}, dir_ / "run.log");
  ASSERT_GT(pid, 0);
  auto crm_credit = [&](const std::string& code) {
    return crm_->Scalar("SELECT credit FROM accounts WHERE account_no = '" + code + "'");
  };
  ASSERT_TRUE(WaitFor([&] { return crm_credit("E1") == "1.00"; }, 60000))
      << ReadFile(dir_ / "run.log");

  Erp("ALTER TABLE erp.customers ADD COLUMN fax text;"
      "UPDATE erp.customers SET fax = '021', credit_limit = 2.00 WHERE cust_code = 'E1';");
  ASSERT_TRUE(WaitFor([&] { return crm_credit("E1") == "2.00"; }, 60000))
      << "an added column stopped the flow\n" << ReadFile(dir_ / "run.log");

  Erp("ALTER TABLE erp.customers DROP COLUMN mobile;"
      "UPDATE erp.customers SET credit_limit = 3.00 WHERE cust_code = 'E1';"
      "INSERT INTO erp.customers (cust_code, cust_name, credit_limit) VALUES ('E2', 'Beta', 4.00);");
  ASSERT_TRUE(WaitFor([&] { return ReadFile(dir_ / "run.log").find("paused") != std::string::npos; },
                      60000))
      << ReadFile(dir_ / "run.log");
  std::string log = ReadFile(dir_ / "run.log");
  EXPECT_NE(log.find("mobile"), std::string::npos) << "the pause names the column\n" << log;
  SleepMs(1000);
  EXPECT_EQ(crm_credit("E1"), "2.00") << "nothing half-applied while paused";
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM accounts WHERE account_no = 'E2'"), 0);

  Erp("ALTER TABLE erp.customers ADD COLUMN mobile text;");
  EXPECT_TRUE(WaitFor([&] { return crm_credit("E1") == "3.00" && crm_credit("E2") == "4.00"; },
                      60000))
      << "the backlog did not arrive after the column came back\n" << ReadFile(dir_ / "run.log");
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0) << ReadFile(dir_ / "run.log");
  if (GetParam() == "logical") RunConcord(dir_.path(), {"uninstall"});
}

INSTANTIATE_TEST_SUITE_P(Capture, PostgresSchemaChangeTest, ::testing::Values("trigger", "logical"),
                         [](const auto& info) { return info.param; });

class PostgresWakeUpTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PostgresWakeUpTest, AChangeArrivesLongBeforeThePollIntervalWouldHaveWokenTheEngine) {
  ASSERT_NE(g_server, nullptr);
  constexpr int kPollIntervalMs = 10000;
  TempDir dir;
  const std::string wake = "wake_" + GetParam();
  Psql("postgres", "CREATE DATABASE " + wake + ";");
  Psql(wake, "CREATE TABLE accounts (account_no text PRIMARY KEY, account_name text);"
             "INSERT INTO accounts VALUES ('C0', 'first');");
  Db erp(dir / "erp.db");
  erp.Exec("CREATE TABLE customers (cust_code TEXT PRIMARY KEY, cust_name TEXT);");
  WriteFile(dir / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: postgres, url: ")" + g_server->UrlFor(wake) + R"("}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true}
      name: {type: string}
bindings:
  crm.customer: {table: accounts, key: account_no, capture: )" + GetParam() + R"(,
                 fields: {code: account_no, name: account_name}}
  erp.customer: {table: customers, key: cust_code, fields: {code: cust_code, name: cust_name}}
flows:
  - {entity: customer, from: crm, to: erp, poll_interval_ms: )" +
                                      std::to_string(kPollIntervalMs) + R"(}
)");
  pid_t pid = StartConcord(dir.path(), {"run"}, dir / "run.log");
  ASSERT_GT(pid, 0);
  auto arrived = [&](const std::string& code) {
    return erp.Int("SELECT count(*) FROM customers WHERE cust_code = '" + code + "'") == 1;
  };
  ASSERT_TRUE(WaitFor([&] { return arrived("C0"); }, 60000)) << ReadFile(dir / "run.log");
  for (int i = 1; i <= 3; ++i) {
    SleepMs(500);  // the engine is in its wait now
    std::string code = "C" + std::to_string(i);
    auto start = std::chrono::steady_clock::now();
    Psql(wake, "INSERT INTO accounts VALUES ('" + code + "', 'n" + code + "');");
    ASSERT_TRUE(WaitFor([&] { return arrived(code); }, 3 * kPollIntervalMs)) << code;
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    std::cout << code << " arrived after " << took << " ms (poll interval " << kPollIntervalMs
              << " ms)\n";
    EXPECT_LT(took, kPollIntervalMs / 2) << code << ": the engine waited for its poll, not the "
                                         << "NOTIFY\n" << ReadFile(dir / "run.log");
  }
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0) << ReadFile(dir / "run.log");
  if (GetParam() == "logical") {
    RunConcord(dir.path(), {"uninstall"});
    EXPECT_EQ(Psql(wake, "SELECT count(*) FROM pg_replication_slots"), "0\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Capture, PostgresWakeUpTest, ::testing::Values("trigger", "logical"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace concord::e2e
