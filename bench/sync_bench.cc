// SQLite → SQLite sync benchmark: what `concord run` sustains, against what SQLite itself can do
// on the same machine in the same run.
//
//   floor 1  copy:    INSERT INTO target SELECT * FROM attached source — SQLite copying rows with
//                     no concord at all (the physical limit of a snapshot)
//   floor 2  upserts: prepared INSERT ... ON CONFLICT DO UPDATE of every row, 500 per
//                     transaction, synchronous=FULL — the write pattern concord's sink uses, alone
//   snapshot:         `concord run --once` copying the same rows (capture installed, mapping,
//                     validation, audit, checkpoint)
//   stream:           `concord run` in real time while a writer inserts and updates rows as fast
//                     as it can; throughput from the first write to the target being equal, and
//                     lag = now − log time of the oldest change not yet applied, sampled every
//                     100 ms from the source changelog
//   steady lag:       the same at a fixed 1,000 changes/s
//
// Usage: sync_bench [rows=200000] [stream_changes=100000]. Prints a Markdown table.
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "e2e/harness.h"

using concord::e2e::Db;
using concord::e2e::RunConcord;
using concord::e2e::StartConcord;
using concord::e2e::TempDir;
using concord::e2e::WaitExit;
using concord::e2e::WriteFile;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr const char* kConfig = R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code:    {type: string, required: true, max_length: 20}
      name:    {type: string, required: true, max_length: 100}
      phone:   {type: string}
      email:   {type: email}
      grade:   {type: enum, values: [A, B, C, D]}
      limit:   {type: decimal, scale: 2, min: 0}
      city:    {type: string}
      since:   {type: date}
      active:  {type: bool}
      visits:  {type: int}
bindings:
  crm.customer:
    table: accounts
    key: code
    fields: {code: code, name: name, phone: phone, email: email, grade: grade, limit: credit,
             city: city, since: since, active: active, visits: visits}
  erp.customer:
    table: customers
    key: code
    fields: {code: code, name: name, phone: phone, email: email, grade: grade, limit: credit,
             city: city, since: since, active: active, visits: visits}
flows:
  - {entity: customer, from: crm, to: erp, max_batch_rows: 1000, max_batch_delay_ms: 0, poll_interval_ms: 10}
)";

constexpr const char* kTable =
    "(code TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT, email TEXT, grade TEXT, "
    "credit TEXT, city TEXT, since TEXT, active INTEGER, visits INTEGER)";

std::string Row(int64_t i) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "('K%08lld','Customer %lld Trading Co., Ltd.','+86138%08lld','c%lld@example.com',"
                "'%c','%lld.%02lld','Shanghai','2023-%02lld-%02lld',%lld,%lld)",
                (long long)i, (long long)i, (long long)(i % 100000000), (long long)i,
                "ABCD"[i % 4], (long long)(i % 100000), (long long)(i % 100), (long long)(i % 12 + 1),
                (long long)(i % 28 + 1), (long long)(i % 2), (long long)(i % 1000));
  return buf;
}

void Fill(Db& db, const std::string& table, int64_t from, int64_t to) {
  std::string sql = "BEGIN;";
  for (int64_t i = from; i < to; ++i) {
    sql += "INSERT INTO " + table + " VALUES " + Row(i) + ";";
    if ((i - from) % 5000 == 4999) {
      db.Exec(sql + "COMMIT;");
      sql = "BEGIN;";
    }
  }
  db.Exec(sql + "COMMIT;");
}

struct LagStats {
  int64_t p50 = 0, p99 = 0, max = 0;
};

LagStats Summarize(std::vector<int64_t> v) {
  LagStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  s.max = v.back();
  return s;
}

// Samples the lag every 100 ms until `stop`.
void SampleLag(const std::string& source_db, std::atomic<bool>* stop, std::vector<int64_t>* out) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(source_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(db, 1000);
  while (!stop->load()) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT min(at_ms) FROM _concord_changelog", -1, &st, nullptr) ==
        SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t oldest = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        out->push_back(oldest == 0 ? 0 : NowMs() - oldest);
      }
      sqlite3_finalize(st);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  sqlite3_close(db);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 200000;
  const int64_t stream = argc > 2 ? std::atoll(argv[2]) : 100000;
  std::printf("| measurement | rows/changes | seconds | per second | notes |\n");
  std::printf("|---|---:|---:|---:|---|\n");

  // --- floor 1: SQLite copying the table by itself ---
  {
    TempDir dir;
    Db src(dir / "crm.db");
    src.Exec(std::string("PRAGMA journal_mode=WAL; CREATE TABLE accounts ") + kTable);
    Fill(src, "accounts", 0, rows);
    Db dst(dir / "erp.db");
    dst.Exec(std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE customers ") + kTable);
    auto t = Clock::now();
    dst.Exec("ATTACH '" + (dir / "crm.db") + "' AS src; BEGIN; INSERT INTO customers SELECT * FROM "
             "src.accounts; COMMIT;");
    double s = Seconds(t);
    std::printf("| floor: SQLite INSERT…SELECT copy | %lld | %.2f | %.0f | no concord; the physical limit |\n",
                (long long)rows, s, rows / s);
  }
  // --- floor 2: the sink's write pattern alone ---
  {
    TempDir dir;
    Db dst(dir / "erp.db");
    dst.Exec(std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE customers ") + kTable);
    sqlite3* db = nullptr;
    sqlite3_open((dir / "erp.db").c_str(), &db);
    sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(code) DO "
                       "UPDATE SET name=excluded.name, phone=excluded.phone, email=excluded.email, "
                       "grade=excluded.grade, credit=excluded.credit, city=excluded.city, "
                       "since=excluded.since, active=excluded.active, visits=excluded.visits",
                       -1, &st, nullptr);
    auto t = Clock::now();
    for (int64_t i = 0; i < rows; ++i) {
      if (i % 500 == 0) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      char code[16], name[64], phone[24], email[40], credit[24], since[16];
      std::snprintf(code, sizeof code, "K%08lld", (long long)i);
      std::snprintf(name, sizeof name, "Customer %lld Trading Co., Ltd.", (long long)i);
      std::snprintf(phone, sizeof phone, "+86138%08lld", (long long)i);
      std::snprintf(email, sizeof email, "c%lld@example.com", (long long)i);
      std::snprintf(credit, sizeof credit, "%lld.%02lld", (long long)(i % 100000), (long long)(i % 100));
      std::snprintf(since, sizeof since, "2023-%02lld-%02lld", (long long)(i % 12 + 1), (long long)(i % 28 + 1));
      const char grade[2] = {"ABCD"[i % 4], 0};
      sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, phone, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 4, email, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 5, grade, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 6, credit, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 7, "Shanghai", -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 8, since, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 9, i % 2);
      sqlite3_bind_int64(st, 10, i % 1000);
      sqlite3_step(st);
      sqlite3_reset(st);
      if (i % 500 == 499 || i == rows - 1) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    double s = Seconds(t);
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::printf("| floor: prepared upserts, 500/txn, synchronous=FULL | %lld | %.2f | %.0f | the sink's write pattern, no concord |\n",
                (long long)rows, s, rows / s);
  }
  // --- concord snapshot ---
  {
    TempDir dir;
    WriteFile(dir / "concord.yaml", kConfig);
    Db src(dir / "crm.db");
    src.Exec(std::string("CREATE TABLE accounts ") + kTable);
    Fill(src, "accounts", 0, rows);
    Db dst(dir / "erp.db");
    dst.Exec(std::string("CREATE TABLE customers ") + kTable);
    auto t = Clock::now();
    auto r = RunConcord(dir.path(), {"run", "--once", "-q"});
    double s = Seconds(t);
    int64_t copied = dst.Int("SELECT count(*) FROM customers");
    std::printf("| concord snapshot (`run --once`) | %lld | %.2f | %.0f | exit %d, %lld rows in target |\n",
                (long long)rows, s, rows / s, r.exit_code, (long long)copied);
  }
  // --- concord streaming, as fast as the writer can go, then at a steady rate ---
  for (int steady_rate : {0, 1000}) {
    TempDir dir;
    WriteFile(dir / "concord.yaml", kConfig);
    Db src(dir / "crm.db");
    src.Exec(std::string("CREATE TABLE accounts ") + kTable);
    Db dst(dir / "erp.db");
    dst.Exec(std::string("CREATE TABLE customers ") + kTable);
    RunConcord(dir.path(), {"run", "--once", "-q"});  // installs capture
    pid_t pid = StartConcord(dir.path(), {"run", "-q"}, dir / "run.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int64_t n = steady_rate == 0 ? stream : std::min<int64_t>(stream, steady_rate * 20);
    std::atomic<bool> stop{false};
    std::vector<int64_t> lags;
    std::thread sampler(SampleLag, dir / "crm.db", &stop, &lags);
    auto t = Clock::now();
    // 70% inserts, 30% updates of earlier rows; 100 changes per source transaction.
    int64_t inserted = 0;
    for (int64_t done = 0; done < n;) {
      std::string sql = "BEGIN;";
      for (int k = 0; k < 100 && done < n; ++k, ++done) {
        if (inserted < 10 || done % 10 < 7) {
          sql += "INSERT INTO accounts VALUES " + Row(inserted++) + ";";
        } else {
          sql += "UPDATE accounts SET visits = visits + 1 WHERE code = 'K" +
                 std::string(8 - std::to_string(done % inserted).size(), '0') +
                 std::to_string(done % inserted) + "';";
        }
      }
      src.Exec(sql + "COMMIT;");
      if (steady_rate > 0) {
        double due = static_cast<double>(done) / steady_rate;
        double ahead = due - Seconds(t);
        if (ahead > 0) std::this_thread::sleep_for(std::chrono::duration<double>(ahead));
      }
    }
    double write_s = Seconds(t);
    // Done when the changelog is empty and the target equals the source.
    while (src.Int("SELECT count(*) FROM _concord_changelog") > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    double s = Seconds(t);
    stop.store(true);
    sampler.join();
    kill(pid, SIGTERM);
    WaitExit(pid);
    bool equal = src.Dump("SELECT * FROM accounts") == dst.Dump("SELECT * FROM customers");
    LagStats lag = Summarize(lags);
    if (steady_rate == 0) {
      std::printf("| concord stream, writer at full speed | %lld | %.2f | %.0f | writer took %.2f s; lag p50 %lld ms, p99 %lld ms, max %lld ms; equal: %s |\n",
                  (long long)n, s, n / s, write_s, (long long)lag.p50, (long long)lag.p99,
                  (long long)lag.max, equal ? "yes" : "NO");
    } else {
      std::printf("| concord stream, steady %d changes/s | %lld | %.2f | %.0f | lag p50 %lld ms, p99 %lld ms, max %lld ms; equal: %s |\n",
                  steady_rate, (long long)n, s, n / s, (long long)lag.p50, (long long)lag.p99,
                  (long long)lag.max, equal ? "yes" : "NO");
    }
  }
  return 0;
}
