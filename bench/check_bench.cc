// Benchmark of `concord check`: N customers (default 1,000,000) in MariaDB (the CRM) and in
// PostgreSQL (the ERP, other column names, phones in another layout), compared (a) identical and
// (b) with 100 scattered differences, which must all be found — each the first time (every row
// read and mapped) and with the memo of the previous check (reconcile/check_memo.h: each
// database first sums its whole table; an identical pair is decided there, and a changed side is
// summarized by bucket and only its changed buckets are read). In the same run it measures the
// floor: the time each database takes to scan and hash the table by itself (PostgreSQL
// `sum(hashtext(row::text))`, MariaDB `SUM(CRC32(CONCAT_WS(...)))`), and reports the check's time
// as a multiple of the slower side's floor.
//
// Usage: check_bench [rows]. Starts its own servers (tests/servers) on loopback; prints Markdown.
// CHECK_BENCH_TRACE=1 prints each check's `concord -v` timeline; CHECK_BENCH_HOLD=FILE keeps the
// servers after the run while FILE exists; CHECK_BENCH_BUFFER_POOL=SIZE sets MariaDB's buffer
// pool (1G).
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "e2e/harness.h"
#include "servers/mariadb_server.h"
#include "servers/postgres_server.h"

using concord::e2e::ProcResult;
using concord::e2e::RunConcord;
using concord::e2e::TempDir;
using concord::e2e::WriteFile;
using concord::testing::MariadbServer;
using concord::test_servers::PostgresServer;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "check_bench: %s\n", what.c_str());
  std::exit(1);
}

void Pg(const PostgresServer& pg, const std::string& db, const std::string& sql) {
  std::string error;
  pg.Psql(db, sql, &error);
  if (!error.empty()) Die("postgres: " + error);
}

void My(MariadbServer& my, const std::string& sql) {
  std::string error = my.Exec(sql);
  if (!error.empty()) Die("mariadb: " + error);
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::atol(argv[1]) : 1000000;
  std::string error;
  auto pg = PostgresServer::Start(&error);
  if (!pg) Die(error);
  // MariaDB's InnoDB buffer pool holds the table (1G; CHECK_BENCH_BUFFER_POOL=SIZE sets another),
  // as on a server that serves it: the test server's 64M does not hold a million rows (~150 MB),
  // and its floor and by-key reads then measure pages copied in from the OS cache.
  MariadbServer::Options my_options;
  const char* pool = std::getenv("CHECK_BENCH_BUFFER_POOL");
  my_options.extra_args.push_back(std::string("--innodb-buffer-pool-size=") +
                                  (pool && *pool ? pool : "1G"));
  auto my = MariadbServer::Start(my_options, &error);
  if (!my) Die(error);
  TempDir dir;
  std::string n = std::to_string(rows);

  auto t = std::chrono::steady_clock::now();
  My(*my, "CREATE DATABASE crm; USE crm; CREATE TABLE accounts (account_no VARCHAR(20) PRIMARY KEY, "
          "account_name VARCHAR(100), tel VARCHAR(30), email VARCHAR(100), credit DECIMAL(12,2), "
          "opened DATE, grade VARCHAR(10)); "
          "INSERT INTO accounts SELECT CONCAT('C', LPAD(seq, 8, '0')), CONCAT('Customer ', seq), "
          "CONCAT('138', LPAD(seq, 8, '0')), CONCAT('c', seq, '@example.com'), "
          "(seq % 100000) / 100, DATE_ADD('2020-01-01', INTERVAL seq % 2000 DAY), "
          "ELT(1 + seq % 3, 'A', 'B', 'C') FROM seq_1_to_" + n);
  double load_my = Seconds(t);
  t = std::chrono::steady_clock::now();
  Pg(*pg, "postgres", "CREATE DATABASE erp");
  Pg(*pg, "erp",
     "CREATE TABLE customers (cust_code varchar(20) PRIMARY KEY, cust_name varchar(100), "
     "mobile varchar(30), email varchar(100), credit_limit numeric(12,2), opened date, "
     "level varchar(10)); "
     "INSERT INTO customers SELECT 'C' || lpad(s::text, 8, '0'), 'Customer ' || s, "
     "'+86138' || lpad(s::text, 8, '0'), 'c' || s || '@example.com', (s % 100000) / 100.0, "
     "date '2020-01-01' + (s % 2000), (ARRAY['A','B','C'])[1 + s % 3] "
     "FROM generate_series(1, " + n + ") s; VACUUM ANALYZE customers;");
  double load_pg = Seconds(t);

  // The floor: each database scanning and hashing the table by itself (best of 2).
  double floor_pg = 1e9, floor_my = 1e9;
  for (int i = 0; i < 2; ++i) {
    t = std::chrono::steady_clock::now();
    Pg(*pg, "erp", "SELECT count(*), sum(hashtext(c::text)::bigint) FROM customers c");
    floor_pg = std::min(floor_pg, Seconds(t));
    t = std::chrono::steady_clock::now();
    std::vector<std::vector<std::string>> r = my->Query(
        "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', account_no, account_name, tel, email, credit, "
        "opened, grade))) FROM crm.accounts", &error);
    if (!error.empty()) Die(error);
    floor_my = std::min(floor_my, Seconds(t));
  }

  // What a check with the memo waits for: each database summarizing 16,384 key-hash buckets
  // (the queries Source::BucketSums sends, see postgres_scan.cc and mysql_scan.cc).
  t = std::chrono::steady_clock::now();
  Pg(*pg, "erp",
     "SET parallel_tuple_cost = 0; SELECT b, count(*), sum(h) FROM (SELECT "
     "hashtextextended(coalesce(t.cust_code::text, ''), 0) & (16384 - 1) AS b, "
     "hashtextextended(ROW(t.cust_code, t.cust_name, t.mobile, t.email, t.credit_limit, "
     "t.opened, t.level)::text, 1) AS h FROM customers AS t OFFSET 0) AS t GROUP BY b");
  double sums_pg = Seconds(t);
  t = std::chrono::steady_clock::now();
  const std::string quoted_text =
      "CONCAT_WS(0x1f, QUOTE(t.account_no), QUOTE(t.account_name), QUOTE(t.tel), QUOTE(t.email), "
      "QUOTE(t.credit), QUOTE(t.opened), QUOTE(t.grade))";
  const std::string plain_text =
      "CONCAT_WS(0x1f, t.account_no, t.account_name, t.tel, t.email, t.credit, t.opened, t.grade)";
  my->Query("SELECT CRC32(CONCAT_WS(0x1f, QUOTE(t.account_no))) % 16384 AS b, COUNT(*), SUM(CRC32(" +
                quoted_text + ")), SUM(CRC32C(" + plain_text + ")) FROM crm.accounts AS t GROUP BY b",
            &error);
  if (!error.empty()) Die(error);
  double sums_my = Seconds(t);

  // What a check with the memo asks first (Source::TableSum): each database's whole-table totals
  // over the same row hashes, without grouping. An unchanged side needs nothing more.
  t = std::chrono::steady_clock::now();
  Pg(*pg, "erp",
     "SELECT count(*), sum(hashtextextended(ROW(t.cust_code, t.cust_name, t.mobile, t.email, "
     "t.credit_limit, t.opened, t.level)::text, 1)) FROM customers AS t");
  double totals_pg = Seconds(t);
  t = std::chrono::steady_clock::now();
  my->Query("SELECT COUNT(*), SUM(CRC32(" + quoted_text + ")), SUM(CRC32C(" + plain_text +
                ")) FROM crm.accounts AS t",
            &error);
  if (!error.empty()) Die(error);
  double totals_my = Seconds(t);

  WriteFile(dir / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: mysql, host: 127.0.0.1, port: )" + std::to_string(my->port()) +
                                      R"(, user: root, database: crm}
  erp: {connector: postgres, url: ")" + pg->UrlFor("erp") + R"("}
entities:
  customer:
    key: code
    fields:
      code:   {type: string, required: true}
      name:   {type: string}
      phone:  {type: phone, region: CN}
      email:  {type: email}
      credit: {type: decimal, scale: 2, sum: true}
      opened: {type: date}
      grade:  {type: enum, values: [A, B, C]}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, email: email, credit: credit,
             opened: opened, grade: grade}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name, phone: mobile, email: email, credit: credit_limit,
             opened: opened, grade: level}
)");

  // CPU seconds the concord process used (user + system), from the children's rusage.
  auto child_cpu = [] {
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  auto check = [&](const char* label, int expect_exit, long expect_diffs, double* cpu,
                   bool full = false, bool expect_decided_by_totals = false) {
    double cpu0 = child_cpu();
    auto t0 = std::chrono::steady_clock::now();
    // The default --settle-ms: with no flow between the two, nothing can be on its way, so the
    // re-read does not wait (the JSON's settle_waits, checked below).
    std::vector<std::string> args = {"check", "customer", "--between", "crm,erp", "--json",
                                     "-q"};
    // CHECK_BENCH_TRACE=1: each check's `concord -v` timeline on stderr.
    const bool trace = std::getenv("CHECK_BENCH_TRACE") != nullptr;
    if (trace) args.insert(args.begin(), "-v");
    if (full) args.push_back("--full");
    ProcResult r = RunConcord(dir.path(), args);
    double s = Seconds(t0);
    *cpu = child_cpu() - cpu0;
    if (trace) std::fprintf(stderr, "%s\n%s", label, r.err.c_str());
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (r.exit_code != expect_exit || j.is_discarded()) {
      Die(std::string(label) + ": exit " + std::to_string(r.exit_code) + "\n" + r.out + r.err);
    }
    long found = j["differing"].get<long>() + j["missing_left"].get<long>() +
                 j["missing_right"].get<long>();
    if (j["settle_waits"].get<int>() != 0) Die(std::string(label) + ": the re-read waited");
    if (j["decided_by_totals"].get<bool>() != expect_decided_by_totals) {
      Die(std::string(label) + ": decided_by_totals is " + j["decided_by_totals"].dump());
    }
    // How each side was read (memo, totals or bucket summaries, write mark), for the reading.
    std::fprintf(stderr, "%s: %.2f s; crm %s; erp %s\n", label, s, j["scan"]["crm"].dump().c_str(),
                 j["scan"]["erp"].dump().c_str());
    if (found != expect_diffs) {
      Die(std::string(label) + ": found " + std::to_string(found) + " differences, expected " +
          std::to_string(expect_diffs));
    }
    return s;
  };
  double cpu_identical = 0, cpu_memo = 0, cpu_hundred = 0, cpu_again = 0, cpu_hundred_full = 0;
  double identical = check("identical", 0, 0, &cpu_identical);  // no memo yet
  double memo = check("identical, memo", 0, 0, &cpu_memo, false, true);
  // 100 scattered differences: every (rows/100)-th customer's credit changes in the ERP.
  Pg(*pg, "erp", "UPDATE customers SET credit_limit = credit_limit + 0.01 WHERE "
                 "substr(cust_code, 2)::int % " + std::to_string(std::max(1L, rows / 100)) +
                 " = 7");
  double hundred = check("100 differences", 3, std::min(100L, rows), &cpu_hundred);
  // Checked again with no change since: both sides unchanged, but their memos differ.
  double again = check("100 differences, again", 3, std::min(100L, rows), &cpu_again);
  double hundred_full =
      check("100 differences, --full", 3, std::min(100L, rows), &cpu_hundred_full, true);

  double floor = std::max(floor_pg, floor_my);
  std::printf("rows: %ld (load: MariaDB %.1f s, PostgreSQL %.1f s)\n\n", rows, load_my, load_pg);
  std::printf("| what | seconds | concord CPU s | rows/s (per side) | × slower floor |\n"
              "| --- | ---: | ---: | ---: | ---: |\n");
  std::printf("| floor: PostgreSQL scans and hashes the table | %.2f | | %.0f | |\n", floor_pg,
              rows / floor_pg);
  std::printf("| floor: MariaDB scans and hashes the table | %.2f | | %.0f | |\n", floor_my,
              rows / floor_my);
  std::printf("| bucket summaries: PostgreSQL (what the memo waits for) | %.2f | | %.0f | |\n",
              sums_pg, rows / sums_pg);
  std::printf("| bucket summaries: MariaDB (what the memo waits for) | %.2f | | %.0f | |\n",
              sums_my, rows / sums_my);
  std::printf("| whole-table totals: PostgreSQL (asked first) | %.2f | | %.0f | |\n", totals_pg,
              rows / totals_pg);
  std::printf("| whole-table totals: MariaDB (asked first) | %.2f | | %.0f | |\n", totals_my,
              rows / totals_my);
  auto line = [&](const char* what, double s, double cpu) {
    std::printf("| %s | %.2f | %.2f | %.0f | %.1f× |\n", what, s, cpu, rows / s, s / floor);
  };
  line("concord check, identical, first check (every row mapped)", identical, cpu_identical);
  line("concord check, identical, with the memo (decided by the totals)", memo, cpu_memo);
  line("concord check, 100 differences (all found), with the memo", hundred, cpu_hundred);
  line("concord check, 100 differences (all found), again (no change since)", again, cpu_again);
  line("concord check, 100 differences (all found), --full", hundred_full, cpu_hundred_full);
  // CHECK_BENCH_HOLD=FILE: the servers and the directory stay while FILE exists, to run or
  // profile checks by hand (`concord -v check customer ...` in the directory printed).
  if (const char* hold = std::getenv("CHECK_BENCH_HOLD"); hold && *hold) {
    std::fprintf(stderr, "holding while %s exists; concord.yaml and state in %s\n", hold,
                 dir.path().c_str());
    while (std::filesystem::exists(hold)) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return 0;
}
