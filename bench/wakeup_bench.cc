// Change-to-visible latency of PostgreSQL trigger capture while `concord run` is idle, with the
// LISTEN/NOTIFY wake-up (`listen: true`, the default) and without it (`listen: false`: the engine
// sleeps its poll interval between idle rounds, as before the wake-up existed).
//
// One PostgreSQL server (tests/servers/postgres.sh) is the source, an SQLite file the target, so
// the target side costs next to nothing. For each (listen, poll_interval_ms, max_batch_delay_ms)
// a fresh database is synced once, `concord run` is started, and then `changes` single-row
// INSERTs are committed one at a time, each after a random pause of 0–300 ms once the previous
// one is visible (isolated changes: the case the wake-up is for; a busy engine reads
// continuously anyway). Latency = first time the row is seen in the target (polled every 1 ms)
// − the moment the INSERT's commit returned.
//
// Then the same at a steady rate (`rate` single-row INSERTs per second, from a second thread, for
// 10 s): the target's highest key is polled every 1 ms, and each change's latency is the first
// poll that saw it (a batch commits at once, and changes are applied in order).
//
// Usage: wakeup_bench [changes=100] [rate=1000]. Prints a Markdown table.
#include <libpq-fe.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "e2e/harness.h"
#include "servers/postgres_server.h"

using concord::e2e::Db;
using concord::e2e::RunConcord;
using concord::e2e::StartConcord;
using concord::e2e::TempDir;
using concord::e2e::WaitExit;
using concord::e2e::WriteFile;
using concord::test_servers::PostgresServer;

namespace {

using Clock = std::chrono::steady_clock;

bool Exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok) std::fprintf(stderr, "%s: %s", sql.c_str(), PQerrorMessage(c));
  PQclear(r);
  return ok;
}

struct Run {
  bool listen;
  int poll_ms;
  int batch_delay_ms;
  int rate = 0;  // changes/s; 0: isolated changes
};

// Latencies (ms) of `changes` isolated INSERTs, each 0–300 ms after the previous one arrived.
std::vector<double> Isolated(PGconn* pg, Db& target, int changes, std::mt19937& rng) {
  std::vector<double> ms;
  std::uniform_int_distribution<int> pause(0, 300);
  for (int i = 0; i < changes; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
    std::string code = "K" + std::to_string(i);
    Exec(pg, "INSERT INTO accounts VALUES ('" + code + "', 'n')");
    auto committed = Clock::now();
    std::string probe = "SELECT count(*) FROM customers WHERE code = '" + code + "'";
    while (target.Int(probe) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - committed).count());
  }
  return ms;
}

// Latencies (ms) of `changes` INSERTs made at `rate` per second on a connection to `url`.
std::vector<double> Steady(const std::string& url, Db& target, int changes, int rate) {
  std::vector<Clock::time_point> committed(changes), seen(changes);
  std::thread writer([&] {
    PGconn* w = PQconnectdb(url.c_str());
    auto start = Clock::now();
    for (int i = 0; i < changes; ++i) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(int64_t{i} * 1000000 / rate));
      char code[16];
      std::snprintf(code, sizeof code, "K%08d", i);
      Exec(w, std::string("INSERT INTO accounts VALUES ('") + code + "', 'n')");
      committed[i] = Clock::now();
    }
    PQfinish(w);
  });
  for (int visible = 0; visible < changes;) {
    std::string top = target.Scalar("SELECT max(code) FROM customers");
    int upto = top.size() > 1 ? std::atoi(top.c_str() + 1) + 1 : 0;
    auto now = Clock::now();
    for (; visible < upto; ++visible) seen[visible] = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  writer.join();
  std::vector<double> ms;
  for (int i = 0; i < changes; ++i) {
    double d = std::chrono::duration<double, std::milli>(seen[i] - committed[i]).count();
    ms.push_back(std::max(0.0, d));  // seen before the commit call returned: 0
  }
  return ms;
}

std::string Config(const std::string& url, const Run& run) {
  return std::string(R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: postgres, url: ")") +
         url + R"(", listen: )" + (run.listen ? "true" : "false") + R"(}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true}
      name: {type: string}
bindings:
  crm.customer: {table: accounts, key: code, fields: {code: code, name: name}}
  erp.customer: {table: customers, key: code, fields: {code: code, name: name}}
flows:
  - {entity: customer, from: crm, to: erp, poll_interval_ms: )" +
         std::to_string(run.poll_ms) +
         ", max_batch_delay_ms: " + std::to_string(run.batch_delay_ms) + R"(}
)";
}

}  // namespace

int main(int argc, char** argv) {
  const int changes = argc > 1 ? std::atoi(argv[1]) : 100;
  const int rate = argc > 2 ? std::atoi(argv[2]) : 1000;
  std::string error;
  auto server = PostgresServer::Start(&error);
  if (!server) {
    std::fprintf(stderr, "cannot start PostgreSQL: %s\n", error.c_str());
    return 1;
  }
  std::printf("| listen | poll_interval_ms | max_batch_delay_ms | changes | p50 ms | p90 ms | p99 ms | max ms |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  std::mt19937 rng(42);
  int n = 0;
  for (Run run : {Run{false, 200, 0}, Run{true, 200, 0}, Run{false, 1000, 0}, Run{true, 1000, 0},
                  Run{false, 200, 200}, Run{true, 200, 200}, Run{false, 200, 0, rate},
                  Run{true, 200, 0, rate}}) {
    std::string db = "wake" + std::to_string(++n);
    server->Psql("postgres", "CREATE DATABASE " + db, &error);
    PGconn* pg = PQconnectdb(server->UrlFor(db).c_str());
    if (PQstatus(pg) != CONNECTION_OK) {
      std::fprintf(stderr, "connect: %s", PQerrorMessage(pg));
      return 1;
    }
    Exec(pg, "CREATE TABLE accounts (code text PRIMARY KEY, name text)");
    TempDir dir;
    WriteFile(dir / "concord.yaml", Config(server->UrlFor(db), run));
    Db target(dir / "erp.db");
    target.Exec("CREATE TABLE customers (code TEXT PRIMARY KEY, name TEXT)");
    RunConcord(dir.path(), {"run", "--once", "-q"});  // installs capture
    pid_t pid = StartConcord(dir.path(), {"run", "-q"}, dir / "run.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    int count = run.rate > 0 ? run.rate * 10 : changes;
    std::vector<double> ms = run.rate > 0 ? Steady(server->UrlFor(db), target, count, run.rate)
                                          : Isolated(pg, target, count, rng);
    kill(pid, SIGTERM);
    WaitExit(pid);
    PQfinish(pg);
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * ms.size()))]; };
    std::string what = std::to_string(count);
    if (run.rate > 0) what += " at " + std::to_string(run.rate) + "/s";
    std::printf("| %s | %d | %d | %s | %.0f | %.0f | %.0f | %.0f |\n",
                run.listen ? "true" : "false", run.poll_ms, run.batch_delay_ms, what.c_str(),
                at(0.5), at(0.9), at(0.99), ms.back());
    std::fflush(stdout);
  }
  return 0;
}
