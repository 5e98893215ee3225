// End-to-end behaviour of `concord` between two SQLite systems, run as a process: initial sync,
// changes both ways, no echo, ownership, the three conflict rules, DLQ and retry, parents before
// children, surrogate keys, config errors, and a clean stop on SIGTERM.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"

namespace concord::e2e {
namespace {

constexpr const char* kCrmSchema = R"sql(
CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT, email TEXT,
                       level TEXT);
CREATE TABLE orders (order_no TEXT PRIMARY KEY, account_no TEXT, amount TEXT, status TEXT);
)sql";

constexpr const char* kErpSchema = R"sql(
CREATE TABLE customers (cust_code TEXT PRIMARY KEY, cust_name TEXT NOT NULL, mobile TEXT,
                        email TEXT, grade TEXT);
CREATE TABLE sales_orders (so_no TEXT PRIMARY KEY, cust_code TEXT, total NUMERIC, status TEXT);
)sql";

// Entities and bindings shared by every test; `flows` is the part tests vary.
std::string Config(const std::string& flows, int name_max_length = 100) {
  return R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code:  {type: string, required: true}
      name:  {type: string, required: true, max_length: )" +
         std::to_string(name_max_length) + R"(}
      phone: {type: string}
      email: {type: email, personal: true}
      grade: {type: enum, values: [A, B, C, D]}
  order:
    key: number
    fields:
      number:   {type: string, required: true}
      customer: {type: reference, entity: customer, required: true}
      amount:   {type: decimal, scale: 2, min: 0}
      status:   {type: enum, values: [draft, approved, cancelled]}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields:
      code: account_no
      name: account_name
      phone: tel
      email: email
      grade: {column: level, map: {VIP: A, 重要: B, 普通: C, 冻结: D}}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name, phone: mobile, email: email, grade: grade}
  crm.order:
    table: orders
    key: order_no
    fields: {number: order_no, customer: account_no, amount: amount, status: status}
  erp.order:
    table: sales_orders
    key: so_no
    fields: {number: so_no, customer: cust_code, amount: total, status: status}
flows:
)" + flows;
}

constexpr const char* kBothWays =
    "  - {entity: customer, from: crm, to: erp}\n"
    "  - {entity: customer, from: erp, to: crm}\n";

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crm_ = std::make_unique<Db>(dir_ / "crm.db");
    erp_ = std::make_unique<Db>(dir_ / "erp.db");
    crm_->Exec(kCrmSchema);
    erp_->Exec(kErpSchema);
  }

  void UseConfig(const std::string& yaml) { WriteFile(dir_ / "concord.yaml", yaml); }

  ProcResult Concord(const std::vector<std::string>& args) {
    ProcResult r = RunConcord(dir_.path(), args);
    last_ = r;
    return r;
  }

  // `run --once`, which must succeed.
  void SyncOnce() {
    ProcResult r = Concord({"run", "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  std::string Customers(Db& db, bool crm) {
    return crm ? db.Dump("SELECT account_no, account_name, tel, email FROM accounts")
               : db.Dump("SELECT cust_code, cust_name, mobile, email FROM customers");
  }

  int64_t Audit(const std::string& flow, const std::string& outcome) {
    Db state(dir_ / "state.db");
    return state.Int("SELECT count(*) FROM audit WHERE flow = '" + flow + "' AND outcome = '" +
                     outcome + "'");
  }

  TempDir dir_;
  std::unique_ptr<Db> crm_, erp_;
  ProcResult last_;
};

TEST_F(SyncTest, InitialSyncBothWays) {
  crm_->Exec(
      "INSERT INTO accounts VALUES ('C1','Alpha','13800000001','a@x.example','VIP'),"
      "('C2','Beta','13800000002','b@x.example','普通');");
  erp_->Exec("INSERT INTO customers VALUES ('E1','Epsilon','13900000001','e@y.example','B');");
  UseConfig(Config(kBothWays));
  SyncOnce();
  EXPECT_EQ(Customers(*crm_, true), Customers(*erp_, false));
  EXPECT_EQ(erp_->Scalar("SELECT grade FROM customers WHERE cust_code='C1'"), "A");
  EXPECT_EQ(crm_->Scalar("SELECT level FROM accounts WHERE account_no='E1'"), "重要");
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM accounts"), 3);
}

TEST_F(SyncTest, InsertsUpdatesDeletesBothWays) {
  UseConfig(Config(kBothWays));
  SyncOnce();
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1','a@x.example','VIP');"
             "INSERT INTO accounts VALUES ('C2','Beta','2','b@x.example','VIP');");
  erp_->Exec("INSERT INTO customers VALUES ('E1','Epsilon','3',NULL,'C');");
  SyncOnce();
  EXPECT_EQ(Customers(*crm_, true), Customers(*erp_, false));

  crm_->Exec("UPDATE accounts SET account_name='Alpha Ltd' WHERE account_no='C1';"
             "DELETE FROM accounts WHERE account_no='C2';");
  erp_->Exec("UPDATE customers SET mobile='33' WHERE cust_code='E1';");
  SyncOnce();
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers WHERE cust_code='C1'"), "Alpha Ltd");
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers WHERE cust_code='C2'"), 0);
  EXPECT_EQ(crm_->Scalar("SELECT tel FROM accounts WHERE account_no='E1'"), "33");
  EXPECT_EQ(Customers(*crm_, true), Customers(*erp_, false));

  erp_->Exec("DELETE FROM customers WHERE cust_code='E1';");
  SyncOnce();
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM accounts WHERE account_no='E1'"), 0);
  EXPECT_EQ(Customers(*crm_, true), Customers(*erp_, false));
}

TEST_F(SyncTest, NoEchoLoop) {
  UseConfig(Config(kBothWays));
  SyncOnce();
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1','a@x.example','VIP');");
  SyncOnce();
  // The CRM change reached the ERP once...
  EXPECT_EQ(Audit("customer:crm->erp", "applied"), 1);
  // ...and the ERP's write came back only as an echo, never as a change applied to the CRM.
  EXPECT_EQ(Audit("customer:erp->crm", "applied"), 0);
  EXPECT_EQ(Audit("customer:erp->crm", "echo"), 1);
  // Running again finds nothing: no ping-pong.
  SyncOnce();
  EXPECT_EQ(Audit("customer:crm->erp", "applied"), 1);
  EXPECT_EQ(Audit("customer:erp->crm", "applied"), 0);
  Db state(dir_ / "state.db");
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM _concord_changelog"), 0);
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM _concord_changelog"), 0);
}

TEST_F(SyncTest, OwnershipIsRespected) {
  UseConfig(Config(
      "  - {entity: customer, from: crm, to: erp, owns: [name, phone, email]}\n"
      "  - {entity: customer, from: erp, to: crm, owns: [grade]}\n"));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1','a@x.example','VIP');");
  erp_->Exec("INSERT INTO customers VALUES ('C1','Old name','9',NULL,'B');");
  SyncOnce();
  // CRM owns the name; ERP owns the grade.
  EXPECT_EQ(erp_->Scalar("SELECT cust_name || '/' || grade FROM customers"), "Alpha/B");
  EXPECT_EQ(crm_->Scalar("SELECT account_name || '/' || level FROM accounts"), "Alpha/重要");
  // A change to a field the other side owns does not travel.
  erp_->Exec("UPDATE customers SET cust_name='ERP rename' WHERE cust_code='C1';");
  crm_->Exec("UPDATE accounts SET level='冻结' WHERE account_no='C1';");
  SyncOnce();
  EXPECT_EQ(crm_->Scalar("SELECT account_name FROM accounts"), "Alpha");
  EXPECT_EQ(erp_->Scalar("SELECT grade FROM customers"), "B");
}

class ConflictTest : public SyncTest {
 protected:
  // Both sides change C1's name before concord runs; the ERP's change is the later one.
  void CollideOnName() {
    crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,'VIP');");
    SyncOnce();
    crm_->Exec("UPDATE accounts SET account_name='CRM name' WHERE account_no='C1';");
    SleepMs(20);
    erp_->Exec("UPDATE customers SET cust_name='ERP name' WHERE cust_code='C1';");
  }
};

TEST_F(ConflictTest, NewestWins) {
  UseConfig(Config(
      "  - {entity: customer, from: crm, to: erp, conflict: newest}\n"
      "  - {entity: customer, from: erp, to: crm, conflict: newest}\n"));
  CollideOnName();
  SyncOnce();
  EXPECT_EQ(crm_->Scalar("SELECT account_name FROM accounts"), "ERP name");
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers"), "ERP name");
  // And the other way round: now the CRM's change is the later one.
  erp_->Exec("UPDATE customers SET cust_name='ERP again' WHERE cust_code='C1';");
  SleepMs(20);
  crm_->Exec("UPDATE accounts SET account_name='CRM later' WHERE account_no='C1';");
  SyncOnce();
  EXPECT_EQ(crm_->Scalar("SELECT account_name FROM accounts"), "CRM later");
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers"), "CRM later");
}

TEST_F(ConflictTest, PreferOneSystem) {
  UseConfig(Config(
      "  - {entity: customer, from: crm, to: erp, conflict: {prefer: crm}}\n"
      "  - {entity: customer, from: erp, to: crm, conflict: {prefer: crm}}\n"));
  CollideOnName();  // the ERP's change is newer, but the CRM is preferred
  SyncOnce();
  EXPECT_EQ(crm_->Scalar("SELECT account_name FROM accounts"), "CRM name");
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers"), "CRM name");
}

TEST_F(ConflictTest, ManualQueuesForAPerson) {
  UseConfig(Config(
      "  - {entity: customer, from: crm, to: erp, conflict: manual}\n"
      "  - {entity: customer, from: erp, to: crm, conflict: manual}\n"));
  CollideOnName();
  crm_->Exec("UPDATE accounts SET tel='555' WHERE account_no='C1';");  // not contested by erp
  SyncOnce();
  // Neither side's name was overwritten; the uncontested phone went through.
  EXPECT_EQ(crm_->Scalar("SELECT account_name FROM accounts"), "CRM name");
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers"), "ERP name");
  EXPECT_EQ(erp_->Scalar("SELECT mobile FROM customers"), "555");
  ProcResult list = Concord({"conflicts", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("CRM name"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("ERP name"), std::string::npos) << list.out;

  ProcResult bad = Concord({"conflicts", "resolve", "1", "--take", "shop"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--take must be crm or erp"), std::string::npos) << bad.err;

  ProcResult resolve = Concord({"conflicts", "resolve", "1", "--take", "crm"});
  ASSERT_EQ(resolve.exit_code, 0) << resolve.out << resolve.err;
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers"), "CRM name");
  SyncOnce();
  EXPECT_EQ(crm_->Scalar("SELECT account_name FROM accounts"), "CRM name");
  EXPECT_EQ(Concord({"conflicts", "list"}).out.find("No open conflicts"), 0u) << last_.out;
}

TEST_F(SyncTest, InvalidRecordGoesToDlqWhileTheRestProceed) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"));
  crm_->Exec(
      "INSERT INTO accounts VALUES ('C1','Alpha','1','a@x.example','VIP'),"
      "('C2','Beta','2','not-an-email','VIP'), ('C3','Gamma','3',NULL,'GOLD'),"
      "('C4','Delta','4',NULL,NULL);");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT cust_code FROM customers"), "C1\nC4\n");
  ProcResult list = Concord({"dlq", "list"});
  ASSERT_EQ(list.exit_code, 0);
  // Reasons name the field and the rule; personal values are masked.
  EXPECT_NE(list.out.find("email"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("not-an-email"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("GOLD"), std::string::npos) << list.out;
  ProcResult show = Concord({"dlq", "show", "2"});
  EXPECT_NE(show.out.find("value_map"), std::string::npos) << show.out;

  // The user fixes the source records; the next change applies them and closes the entries.
  crm_->Exec("UPDATE accounts SET email='b@x.example' WHERE account_no='C2';"
             "UPDATE accounts SET level='重要' WHERE account_no='C3';");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT cust_code FROM customers"), "C1\nC2\nC3\nC4\n");
  EXPECT_NE(Concord({"dlq", "list"}).out.find("empty"), std::string::npos) << last_.out;
}

TEST_F(SyncTest, DlqRetryAfterTheRuleChanged) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n", /*name_max_length=*/5));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A very long name','1',NULL,NULL);");
  SyncOnce();
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers"), 0);
  ProcResult list = Concord({"dlq", "list"});
  EXPECT_NE(list.out.find("max_length"), std::string::npos) << list.out;
  // The rule was too strict: relax it and retry the entry.
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n", 100));
  ProcResult retry = Concord({"dlq", "retry", "1"});
  ASSERT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers"), "A very long name");
}

TEST_F(SyncTest, TargetRefusalIsIsolatedToTheRecord) {
  // The ERP refuses a customer without a name (NOT NULL); the dictionary allows it here.
  std::string yaml = Config("  - {entity: customer, from: crm, to: erp}\n");
  size_t at = yaml.find("name:  {type: string, required: true,");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, std::string("name:  {type: string, required: true,").size(),
               "name:  {type: string,");
  UseConfig(yaml);
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL), ('C2',NULL,'2',NULL,NULL),"
             "('C3','Gamma','3',NULL,NULL);");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT cust_code FROM customers"), "C1\nC3\n");
  ProcResult list = Concord({"dlq", "list"});
  EXPECT_NE(list.out.find("NOT NULL"), std::string::npos) << list.out;
}

// A copy killed half way: `concord status` says how far it got (rows written, the last key
// recorded), and the next run goes on from there to the end.
TEST_F(SyncTest, StatusShowsHowFarAnInterruptedCopyGot) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 2}\n"));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A','1',NULL,NULL), ('C2','B','2',NULL,NULL),"
             "('C3','C','3',NULL,NULL), ('C4','D','4',NULL,NULL), ('C5','E','5',NULL,NULL),"
             "('C6','F','6',NULL,NULL);");
  pid_t pid = StartConcord(dir_.path(), {"run", "--once"}, dir_ / "killed.log",
                           {"CONCORD_CRASH_POINT=after_state_commit:2"});
  ASSERT_GT(pid, 0);
  ASSERT_EQ(WaitExit(pid), 128 + SIGKILL) << ReadFile(dir_ / "killed.log");
  ProcResult status = Concord({"status"});
  EXPECT_NE(status.out.find(
                "initial copy: 4 rows written, 0 rejected, up to key C4 (about 66% of 6)\n"),
            std::string::npos)
      << status.out;
  ProcResult json = Concord({"status", "--json"});
  EXPECT_NE(json.out.find("\"snapshot_after_key\": \"[\\\"C4\\\"]\""), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"snapshot_estimate_rows\": 6"), std::string::npos) << json.out;
  SyncOnce();
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers"), 6);
  status = Concord({"status"});
  EXPECT_EQ(status.out.find("initial copy:"), std::string::npos) << status.out;
}

TEST_F(SyncTest, OrderWaitsForItsCustomer) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"
                   "  - {entity: order, from: crm, to: erp}\n"));
  // The customer is invalid at first, so the order's parent cannot reach the ERP.
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1','bad',NULL);"
             "INSERT INTO orders VALUES ('O1','C1','100.5','approved');");
  SyncOnce();
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM sales_orders"), 0);
  ProcResult status = Concord({"status", "--json"});
  EXPECT_NE(status.out.find("\"parked\": 1"), std::string::npos) << status.out;
  // Fixing the customer lets the waiting order through; nothing was dropped.
  crm_->Exec("UPDATE accounts SET email='a@x.example' WHERE account_no='C1';");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT so_no, cust_code, total FROM sales_orders"), "O1|C1|100.5\n");
  status = Concord({"status", "--json"});
  EXPECT_NE(status.out.find("\"parked\": 0"), std::string::npos) << status.out;
}

TEST_F(SyncTest, WhenFilterAndPlanChangeNothing) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"
                   "  - {entity: order, from: crm, to: erp, when: \"status == 'approved'\"}\n"));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL);"
             "INSERT INTO orders VALUES ('O1','C1','1','approved'), ('O2','C1','2','draft');");
  ProcResult plan = Concord({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("create      1"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("filtered     1"), std::string::npos) << plan.out;
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers"), 0);  // plan changed nothing
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT so_no FROM sales_orders"), "O1\n");
  crm_->Exec("UPDATE orders SET status='approved' WHERE order_no='O2';");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT so_no FROM sales_orders"), "O1\nO2\n");
}

TEST_F(SyncTest, SurrogateKeyInTheTarget) {
  // The ERP keys customers by an autoincrement id; the business code is a plain column.
  erp_->Exec("DROP TABLE customers; CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT,"
             " cust_code TEXT UNIQUE, cust_name TEXT NOT NULL, mobile TEXT, email TEXT, grade TEXT);");
  std::string yaml = Config(kBothWays);
  yaml.replace(yaml.find("    key: cust_code"), std::string("    key: cust_code").size(),
               "    key: id");
  UseConfig(yaml);
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL), ('C2','Beta','2',NULL,NULL);");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT id, cust_code, cust_name FROM customers"), "1|C1|Alpha\n2|C2|Beta\n");
  crm_->Exec("UPDATE accounts SET account_name='Alpha 2' WHERE account_no='C1';");
  erp_->Exec("UPDATE customers SET mobile='77' WHERE id=2;");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT id, cust_code, cust_name FROM customers"),
            "1|C1|Alpha 2\n2|C2|Beta\n");
  EXPECT_EQ(crm_->Scalar("SELECT tel FROM accounts WHERE account_no='C2'"), "77");
  erp_->Exec("DELETE FROM customers WHERE id=1;");
  SyncOnce();
  EXPECT_EQ(crm_->Dump("SELECT account_no FROM accounts"), "C2\n");
}

TEST_F(SyncTest, HostileValuesAreCarriedExactly) {
  UseConfig(Config(kBothWays));
  crm_->Exec("INSERT INTO accounts VALUES ('K''1; DROP TABLE customers;--',"
             " 'O''Brien \"Ltd\" \\ 😀 ; --', '1', NULL, NULL);");
  SyncOnce();
  EXPECT_EQ(Customers(*crm_, true), Customers(*erp_, false));
  EXPECT_EQ(erp_->Scalar("SELECT cust_name FROM customers"), "O'Brien \"Ltd\" \\ 😀 ; --");
}

TEST_F(SyncTest, RunStopsCleanlyOnSigterm) {
  UseConfig(Config(kBothWays));
  pid_t pid = StartConcord(dir_.path(), {"run"}, dir_ / "run.log");
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL);");
  EXPECT_TRUE(WaitFor([&] { return erp_->Int("SELECT count(*) FROM customers") == 1; }, 30000))
      << ReadFile(dir_ / "run.log");
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0) << ReadFile(dir_ / "run.log");
  EXPECT_NE(ReadFile(dir_ / "run.log").find("stopped"), std::string::npos);
}

TEST_F(SyncTest, LockedTargetIsRetriedAndNothingIsLost) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL);");
  pid_t pid = StartConcord(dir_.path(), {"run"}, dir_ / "run.log");
  ASSERT_TRUE(WaitFor([&] { return erp_->Int("SELECT count(*) FROM customers") == 1; }, 30000));
  // Another program holds the ERP's write lock for a while.
  Db locker(dir_ / "erp.db");
  locker.Exec("BEGIN EXCLUSIVE;");
  crm_->Exec("INSERT INTO accounts VALUES ('C2','Beta','2',NULL,NULL);");
  SleepMs(7000);  // longer than the connector's busy timeout: concord must back off and retry
  locker.Exec("COMMIT;");
  EXPECT_TRUE(WaitFor([&] { return erp_->Int("SELECT count(*) FROM customers") == 2; }, 60000))
      << ReadFile(dir_ / "run.log");
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
  EXPECT_NE(ReadFile(dir_ / "run.log").find("retrying"), std::string::npos)
      << ReadFile(dir_ / "run.log");
}

TEST_F(SyncTest, RenamedColumnIsRefusedAtStart) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL);");
  SyncOnce();
  erp_->Exec("ALTER TABLE customers RENAME COLUMN mobile TO phone_no;");
  crm_->Exec("UPDATE accounts SET tel='2' WHERE account_no='C1';");
  ProcResult r = Concord({"run", "--once"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("erp.customers: column \"mobile\" does not exist"), std::string::npos)
      << r.err;
  // Nothing was lost: after the schema is put right, the change arrives.
  erp_->Exec("ALTER TABLE customers RENAME COLUMN phone_no TO mobile;");
  SyncOnce();
  EXPECT_EQ(erp_->Scalar("SELECT mobile FROM customers"), "2");
}

TEST_F(SyncTest, ColumnRenamedWhileRunningPausesTheFlowAndLosesNothing) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL);");
  pid_t pid = StartConcord(dir_.path(), {"run"}, dir_ / "run.log");
  ASSERT_TRUE(WaitFor([&] { return erp_->Int("SELECT count(*) FROM customers") == 1; }, 30000));
  erp_->Exec("ALTER TABLE customers RENAME COLUMN mobile TO phone_no;");
  crm_->Exec("UPDATE accounts SET tel='2' WHERE account_no='C1';");
  EXPECT_TRUE(WaitFor([&] { return ReadFile(dir_ / "run.log").find("paused") != std::string::npos; },
                      30000));
  std::string log = ReadFile(dir_ / "run.log");
  EXPECT_NE(log.find("mobile"), std::string::npos) << log;
  EXPECT_NE(log.find("customers"), std::string::npos) << log;
  erp_->Exec("ALTER TABLE customers RENAME COLUMN phone_no TO mobile;");
  EXPECT_TRUE(WaitFor([&] { return erp_->Scalar("SELECT mobile FROM customers") == "2"; }, 60000))
      << ReadFile(dir_ / "run.log");
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
}

TEST_F(SyncTest, MissingDatabaseFileIsRetriedUntilItAppears) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"));
  erp_.reset();
  std::remove((dir_ / "erp.db").c_str());
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL,NULL);");
  pid_t pid = StartConcord(dir_.path(), {"run"}, dir_ / "run.log");
  // The message names the system and the file; concord keeps running.
  EXPECT_TRUE(WaitFor([&] {
    return ReadFile(dir_ / "run.log").find("does not exist") != std::string::npos;
  }, 30000)) << ReadFile(dir_ / "run.log");
  EXPECT_NE(ReadFile(dir_ / "run.log").find("erp"), std::string::npos);
  // The ERP's database comes back (a share remounted, a restore finished): the backlog drains.
  {
    Db erp(dir_ / "erp.db.tmp");
    erp.Exec(kErpSchema);
  }
  std::rename((dir_ / "erp.db.tmp").c_str(), (dir_ / "erp.db").c_str());
  erp_ = std::make_unique<Db>(dir_ / "erp.db");
  EXPECT_TRUE(WaitFor([&] { return erp_->Int("SELECT count(*) FROM customers") == 1; }, 60000))
      << ReadFile(dir_ / "run.log");
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
}

struct ConfigErrorCase {
  std::string name;
  std::string yaml_from;  // replaced in the valid config...
  std::string yaml_to;    // ...by this
  std::string expected;   // substring of stderr
};

void PrintTo(const ConfigErrorCase& c, std::ostream* os) { *os << c.name; }

class ConfigErrorTest : public SyncTest,
                        public ::testing::WithParamInterface<ConfigErrorCase> {};

TEST_P(ConfigErrorTest, IsRefusedWithLocationAndHint) {
  std::string yaml = Config(kBothWays);
  const auto& c = GetParam();
  size_t at = yaml.find(c.yaml_from);
  ASSERT_NE(at, std::string::npos) << c.yaml_from;
  yaml.replace(at, c.yaml_from.size(), c.yaml_to);
  UseConfig(yaml);
  ProcResult r = Concord({"validate", "--connect"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("concord.yaml:"), std::string::npos) << r.err;
  // run refuses the same config before touching anything.
  EXPECT_EQ(Concord({"run", "--once"}).exit_code, 2);
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM sqlite_master WHERE name='_concord_changelog'"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Pinned, ConfigErrorTest,
    ::testing::Values(
        ConfigErrorCase{"UnknownKey", "    table: accounts", "    tabel: accounts",
                        "did you mean \"table\"?"},
        ConfigErrorCase{"UnknownSystem", "from: erp, to: crm}", "from: epr, to: crm}",
                        "did you mean \"erp\"?"},
        ConfigErrorCase{"UnknownField", "code: account_no\n      name: account_name",
                        "code: account_no\n      nmae: account_name", "did you mean \"name\"?"},
        ConfigErrorCase{"UnknownType", "phone: {type: string}", "phone: {type: strng}",
                        "did you mean \"string\"?"},
        ConfigErrorCase{"MissingColumn", "phone: mobile", "phone: mobil",
                        "did you mean \"mobile\"?"},
        ConfigErrorCase{"MissingTable", "table: customers", "table: customer",
                        "did you mean \"customers\"?"}),
    [](const auto& info) { return info.param.name; });

// Lua through the binary: an entity rule sends a record to the DLQ with its name and message, a
// Lua when: filters, a computed field is written; a Lua syntax error is refused at load (exit 2)
// at the file:line:col of the token.
TEST_F(SyncTest, LuaRuleFilterAndComputedField) {
  std::string yaml = Config(
      "  - entity: customer\n"
      "    from: crm\n"
      "    to: erp\n"
      "    when: \"grade ~= 'D' or name == 'Keep'\"\n"
      "    computed: {phone: \"'tel:' .. (phone or '?')\"}\n");
  const std::string grade = "      grade: {type: enum, values: [A, B, C, D]}\n";
  yaml.replace(yaml.find(grade), grade.size(),
               grade + "    rules:\n"
                       "      - {name: vip_email, check: \"grade ~= 'A' or email ~= nil\",\n"
                       "         message: a VIP needs an e-mail}\n");
  UseConfig(yaml);
  crm_->Exec(
      "INSERT INTO accounts VALUES ('C1','Alpha','1','a@x.example','VIP'),"
      "('C2','Beta','2',NULL,'VIP'), ('C3','Drop','3',NULL,'冻结'), ('C4','Keep',NULL,NULL,'冻结');");
  SyncOnce();
  EXPECT_EQ(erp_->Dump("SELECT cust_code, mobile FROM customers"), "C1|tel:1\nC4|tel:?\n");
  ProcResult list = Concord({"dlq", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("vip_email"), std::string::npos) << list.out;
  ProcResult show = Concord({"dlq", "show", "1"});
  EXPECT_NE(show.out.find("a VIP needs an e-mail: grade \"A\", email NULL"), std::string::npos)
      << show.out;

  // A syntax error never reaches a record: the file is refused with where the token is.
  const std::string bad = "grade ~= 'D' or or name == 'Keep'";
  std::string broken = yaml;
  size_t at = broken.find("grade ~= 'D' or name == 'Keep'");
  broken.replace(at, bad.size() - 3, bad);
  UseConfig(broken);
  size_t token = at + bad.find("or name");
  size_t line_start = broken.rfind('\n', token) + 1;
  std::string where = "concord.yaml:" +
                      std::to_string(std::count(broken.begin(), broken.begin() + token, '\n') + 1) +
                      ":" + std::to_string(token - line_start + 1) + ": flows[0].when: ";
  ProcResult r = Concord({"validate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(where + "not a Lua expression: unexpected symbol near 'or'"),
            std::string::npos)
      << where << "\n" << r.err;
}

TEST_F(SyncTest, MissingConfigFileIsAUsageError) {
  ProcResult r = Concord({"validate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("concord.yaml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace concord::e2e
