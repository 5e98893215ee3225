// End-to-end behaviour of scheduled flows (`mode: "every ..."`, `mode: "cron ..."`), run as a
// process: a scheduled flow applies changes at its scheduled runs, not continuously, and
// `run --once` applies everything pending whatever the schedule. Waits are bounded polls for a
// background process, never performance claims.
#include <signal.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"

namespace concord::e2e {
namespace {

constexpr const char* kCrmSchema = R"sql(
CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT);
CREATE TABLE orders (order_no TEXT PRIMARY KEY, account_no TEXT, amount TEXT);
)sql";

constexpr const char* kErpSchema = R"sql(
CREATE TABLE customers (cust_code TEXT PRIMARY KEY, cust_name TEXT NOT NULL, mobile TEXT);
CREATE TABLE sales_orders (so_no TEXT PRIMARY KEY, cust_code TEXT, total NUMERIC);
)sql";

std::string Config(const std::string& flows) {
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
      name:  {type: string, required: true}
      phone: {type: string}
  order:
    key: number
    fields:
      number:   {type: string, required: true}
      customer: {type: reference, entity: customer, required: true}
      amount:   {type: decimal, scale: 2, min: 0}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name, phone: mobile}
  crm.order:
    table: orders
    key: order_no
    fields: {number: order_no, customer: account_no, amount: amount}
  erp.order:
    table: sales_orders
    key: so_no
    fields: {number: so_no, customer: cust_code, amount: total}
flows:
)" + flows;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crm_ = std::make_unique<Db>(dir_ / "crm.db");
    erp_ = std::make_unique<Db>(dir_ / "erp.db");
    crm_->Exec(kCrmSchema);
    erp_->Exec(kErpSchema);
  }

  void TearDown() override {
    if (pid_ > 0) {  // a failed assertion left the process running
      kill(pid_, SIGKILL);
      WaitExit(pid_);
    }
  }

  void UseConfig(const std::string& yaml) { WriteFile(dir_ / "concord.yaml", yaml); }
  std::string Log() { return ReadFile(dir_ / "run.log"); }

  void Start() { pid_ = StartConcord(dir_.path(), {"run"}, dir_ / "run.log"); }

  // SIGTERM, and the process must stop cleanly.
  void Stop() {
    ASSERT_GT(pid_, 0);
    kill(pid_, SIGTERM);
    int code = WaitExit(pid_);
    pid_ = -1;
    EXPECT_EQ(code, 0) << Log();
    EXPECT_NE(Log().find("stopped"), std::string::npos) << Log();
  }

  // Waits until `n` flows have finished their initial copy (capture installed, streaming).
  bool WaitStreaming(size_t n) {
    return WaitFor([&] { return Count(Log(), "initial copy complete") >= n; }, 30000);
  }

  TempDir dir_;
  std::unique_ptr<Db> crm_, erp_;
  pid_t pid_ = -1;
};

TEST_F(ScheduleTest, EveryFlowAppliesAChangeAtItsScheduledRun) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp, mode: \"every 2s\"}\n"));
  Start();
  ASSERT_TRUE(WaitStreaming(1)) << Log();
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1');");
  EXPECT_TRUE(WaitFor([&] { return erp_->Int("SELECT count(*) FROM customers") == 1; }, 30000))
      << Log();
  EXPECT_EQ(erp_->Dump("SELECT cust_code, cust_name, mobile FROM customers"), "C1|Alpha|1\n");
  std::string log = Log();
  EXPECT_NE(log.find("flow customer:crm->erp: scheduled run (every 2s)"), std::string::npos)
      << log;
  Stop();
}

TEST_F(ScheduleTest, ScheduledFlowWaitsForItsRunAndOnceAppliesIt) {
  // Customers stream in real time; orders move hourly. After its first run (the initial copy,
  // at start) the order flow is not due again during this test.
  UseConfig(Config("  - {entity: customer, from: crm, to: erp}\n"
                   "  - {entity: order, from: crm, to: erp, mode: \"every 1h\"}\n"));
  Start();
  ASSERT_TRUE(WaitStreaming(2)) << Log();
  crm_->Exec("INSERT INTO orders VALUES ('O1','C1','10.50');");
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1');");
  // The realtime flow saw a change made after the order's...
  ASSERT_TRUE(WaitFor([&] { return erp_->Int("SELECT count(*) FROM customers") == 1; }, 30000))
      << Log();
  // ...and a few more engine passes go by (realtime polls every 200 ms, waits 200 ms for a
  // batch): the hourly flow still holds the order for its next run.
  SleepMs(1500);
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM sales_orders"), 0) << Log();
  EXPECT_EQ(Count(Log(), "flow order:crm->erp: scheduled run (every 1h)"), 1u) << Log();
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM _concord_changelog "
                      "WHERE consumer = 'order:crm->erp'"),
            1);
  Stop();

  // Once means once, whatever the schedule: everything pending is applied.
  ProcResult once = RunConcord(dir_.path(), {"run", "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.out << once.err;
  EXPECT_EQ(erp_->Dump("SELECT so_no, cust_code, total FROM sales_orders"), "O1|C1|10.5\n");
}

TEST_F(ScheduleTest, RunOnceAppliesEverythingPendingOnACronFlow) {
  UseConfig(Config("  - {entity: customer, from: crm, to: erp, mode: \"cron 0 3 * * *\"}\n"
                   "  - {entity: order, from: crm, to: erp, mode: \"cron 0 3 * * *\"}\n"));
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1'), ('C2','Beta','2');"
             "INSERT INTO orders VALUES ('O1','C1','1.00');");
  ProcResult first = RunConcord(dir_.path(), {"run", "--once"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(erp_->Dump("SELECT cust_code, cust_name FROM customers"), "C1|Alpha\nC2|Beta\n");
  EXPECT_EQ(erp_->Dump("SELECT so_no FROM sales_orders"), "O1\n");

  // The first run recorded its time; a second `--once` right after is not "too early".
  crm_->Exec("UPDATE accounts SET account_name='Alpha 2' WHERE account_no='C1';"
             "INSERT INTO accounts VALUES ('C3','Gamma','3');"
             "DELETE FROM accounts WHERE account_no='C2';"
             "INSERT INTO orders VALUES ('O2','C3','2.00');");
  ProcResult second = RunConcord(dir_.path(), {"run", "--once"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(erp_->Dump("SELECT cust_code, cust_name FROM customers"), "C1|Alpha 2\nC3|Gamma\n");
  EXPECT_EQ(erp_->Dump("SELECT so_no, cust_code FROM sales_orders"), "O1|C1\nO2|C3\n");
  EXPECT_EQ(crm_->Int("SELECT count(*) FROM _concord_changelog"), 0);
}

}  // namespace
}  // namespace concord::e2e
