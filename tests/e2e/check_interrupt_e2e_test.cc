// An interrupted `concord check` restarts cleanly (issue 5, "Bad input and faults"): a check is
// killed with SIGKILL at several moments — while it reads and maps the rows, while it writes its
// memo, or after it finished — and every check that follows must report exactly the seeded
// differences, whatever state the killed one left in the state store.
//
// SQLite on both sides, 60,000 customers: a first check takes long enough (it maps every row of
// both sides) for the early kills to land inside it. Which moment each kill hits depends on the
// machine; the test asserts only that at least one check was killed before it ended, and that
// every check after a kill is exact.
#include <signal.h>

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/check_report.h"
#include "e2e/harness.h"

namespace concord::e2e {
namespace {

constexpr int kCustomers = 60000;

void WriteConfig(const TempDir& dir) {
  WriteFile(dir / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code:   {type: string}
      name:   {type: string, trim: true}
      phone:  {type: phone, region: CN}
      credit: {type: decimal, scale: 2, sum: true}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, credit: credit}
  erp.customer:
    table: customers
    key: code
    fields: {code: code, name: cust_name, phone: mobile, credit: credit_limit}
flows:
  - {entity: customer, from: crm, to: erp}
)");
}

// Both systems hold the same customers, in their own layouts (the ERP's phones in E.164, its
// names padded), then three differences are seeded.
void Seed(const TempDir& dir) {
  Db crm(dir / "crm.db");
  Db erp(dir / "erp.db");
  crm.Exec("CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT, "
           "credit NUMERIC)");
  erp.Exec("CREATE TABLE customers (code TEXT PRIMARY KEY, cust_name TEXT, mobile TEXT, "
           "credit_limit TEXT)");
  crm.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
           std::to_string(kCustomers) +
           ") INSERT INTO accounts SELECT printf('C%06d', i), 'Customer ' || i, "
           "printf('138-%04d-%04d', i / 10000, i % 10000), (i % 1000) || '.50' FROM n");
  erp.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
           std::to_string(kCustomers) +
           ") INSERT INTO customers SELECT printf('C%06d', i), ' Customer ' || i || ' ', "
           "printf('+86138%04d%04d', i / 10000, i % 10000), (i % 1000) || '.5' FROM n");
  erp.Exec("DELETE FROM customers WHERE code = 'C000777'");                  // missing in erp
  erp.Exec("UPDATE customers SET cust_name = 'Renamed' WHERE code = 'C012345'");
  crm.Exec("UPDATE accounts SET credit = 99.99 WHERE account_no = 'C054321'");
}

void ExpectTheSeededDifferences(const ProcResult& r, const std::string& after) {
  ASSERT_EQ(r.exit_code, 3) << after << "\n" << r.out << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << after << "\n" << r.out << r.err;
  std::map<std::string, std::string> found = DifferencesByKey(j);
  std::map<std::string, std::string> expected = {{"C000777", "missing_right"},
                                                 {"C012345", "differs name"},
                                                 {"C054321", "differs credit"}};
  EXPECT_EQ(found, expected) << after << "\n" << j.dump(2);
  EXPECT_EQ(j["totals"]["crm"]["rows"], kCustomers) << after;
  EXPECT_EQ(j["totals"]["erp"]["rows"], kCustomers - 1) << after;
}

TEST(CheckInterrupted, EveryCheckAfterAKillIsExact) {
  TempDir dir;
  WriteConfig(dir);
  Seed(dir);
  const std::vector<std::string> check = {"check", "customer", "--json", "--settle-ms", "0",
                                          "-q"};
  int killed_running = 0;
  for (int delay_ms : {150, 400, 900, 1600, 2500, 4000}) {
    pid_t pid = StartConcord(dir.path(), check, dir / "killed.log");
    SleepMs(delay_ms);
    int code = 0;
    if (!Exited(pid, &code)) {
      kill(pid, SIGKILL);
      code = WaitExit(pid);
      if (code == 128 + SIGKILL) ++killed_running;
    }
    std::string after = "after a check killed at " + std::to_string(delay_ms) + " ms (exit " +
                        std::to_string(code) + ")";
    ExpectTheSeededDifferences(RunConcord(dir.path(), check), after);
  }
  EXPECT_GE(killed_running, 1) << "no check was still running when killed";
  // The memo the last complete check left is sound: it still sees a change made after it.
  {
    Db erp(dir / "erp.db");
    erp.Exec("UPDATE customers SET credit_limit = '1.00' WHERE code = 'C000001'");
  }
  ProcResult r = RunConcord(dir.path(), check);
  ASSERT_EQ(r.exit_code, 3) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out << r.err;
  EXPECT_EQ(j["differing"], 3) << j.dump(2);
  EXPECT_EQ(j["missing_right"], 1) << j.dump(2);
}

}  // namespace
}  // namespace concord::e2e
