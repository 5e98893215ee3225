// A two-way sync under fire, for the crash and server-restart tests: a CRM (`accounts`) and an
// ERP (`customers`) on SQLite, PostgreSQL or MariaDB, synced both ways by the concord binary
// (trigger capture on both sides, or logical capture on the PostgreSQL side), while an application writes a stream of mixed inserts,
// updates and deletes on both. The test disturbs concord or a server meanwhile; at the end the
// two systems must be equal row for row, every changelog drained, and the audit log must show
// each application change applied exactly once.
//
// Servers are started on first use, one of each kind per test process (tests/servers), and
// stopped when the process exits. Threading: the writer thread owns the workloads while it runs;
// everything else is the test's thread.
#pragma once

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "e2e/harness.h"

namespace concord::test_servers {
class PostgresServer;
}
namespace concord::testing {
class MariadbServer;
}

namespace concord::e2e {

enum class Backend { kSqlite, kPostgres, kMysql };
std::string BackendName(Backend b);
inline void PrintTo(Backend b, std::ostream* os) { *os << BackendName(b); }

// How the PostgreSQL sides are captured: `trigger`, or `logical` (a replication slot; delivery
// is at-least-once across crashes, so Verify then allows a change applied twice — by key and
// current image, which is harmless — and checks that none was lost).
enum class Capture { kTrigger, kLogical };
std::string CaptureName(Capture c);

// An integer from the environment (test sizes), or `fallback`.
int EnvInt(const char* name, int fallback);
// CONCORD_CRASH_SEED, else a random seed; printed so a failure can be repeated.
uint32_t SeedFromEnv();

// The test process's servers, started on first use. nullptr when one cannot start (the test has
// then failed with the reason): a test asserts SharedServersUp in SetUp before using them.
test_servers::PostgresServer* SharedPostgres();
testing::MariadbServer* SharedMariadb();
// Whether the servers `backends` run on are up (SQLite needs none), starting them on first use.
// False when one cannot start; the test has then failed with the reason, and an ASSERT on this
// in SetUp stops it before anything dereferences the missing server.
bool SharedServersUp(std::initializer_list<Backend> backends);

// One system's database as the test's application sees it.
class SystemDb {
 public:
  virtual ~SystemDb() = default;
  using Rows = std::vector<std::vector<std::string>>;
  // Runs one or more statements; fails the test (ADD_FAILURE) and returns false on error.
  bool Exec(const std::string& sql) { return Run(sql, nullptr); }
  // Rows as text ("NULL" for NULL); fails the test on error.
  Rows Query(const std::string& sql) {
    Rows rows;
    Run(sql, &rows);
    return rows;
  }
  // Opens the connection again (after the server restarted).
  virtual void Reconnect() {}
  // The statement that opens a write transaction.
  virtual std::string Begin() const { return "BEGIN;"; }
  // The system's entry under `systems:` in concord.yaml.
  virtual std::string SystemYaml() const = 0;
  // How many changelog rows were ever logged, where the log numbers them without gaps (SQLite
  // AUTOINCREMENT); -1 elsewhere: a PostgreSQL sequence or an InnoDB auto-increment value taken
  // by a transaction that rolled back (a killed concord's write to a captured target) is gone.
  virtual int64_t LoggedChanges() { return -1; }

  int64_t Int(const std::string& sql);
  // Rows joined as "a|b|c" lines, sorted: for comparing two tables.
  std::string Dump(const std::string& sql);

 protected:
  // Runs `sql`, keeping the rows of its (last) result in `*rows` when given. Failures fail the
  // test and return false.
  virtual bool Run(const std::string& sql, Rows* rows) = 0;
};

// A fresh database named `name` (a file in `dir` for SQLite, a new database on the shared
// server otherwise).
std::unique_ptr<SystemDb> MakeSystemDb(Backend backend, const TempDir& dir,
                                       const std::string& name);

// One side's application: writes only keys with its own prefix (the sides never race on one
// record; conflict rules have their own tests) and counts the changes it makes.
class Workload {
 public:
  Workload(SystemDb* db, std::string table, std::string key_col, std::string name_col,
           std::string phone_col, char prefix, uint32_t seed);
  void Seed(int n);
  // One transaction of 1..8 statements, each changing exactly one row. Returns the count.
  int Step();
  int64_t changes() const { return changes_; }

 private:
  std::string InsertSql();
  std::string PickLive(bool remove);

  SystemDb* db_;
  std::string table_, key_col_, name_col_, phone_col_;
  char prefix_;
  std::mt19937 rng_;
  std::vector<std::string> live_;
  int64_t next_id_ = 1;
  int64_t changes_ = 0;
};

class StreamScenario {
 public:
  // Seeds 500 rows on each side and writes concord.yaml; nothing runs yet.
  StreamScenario(Backend crm, Backend erp, int total_changes, uint32_t seed,
                 Capture capture = Capture::kTrigger);
  ~StreamScenario();

  const std::string& dir() const { return dir_.path(); }
  std::string log() const { return dir_ / "run.log"; }
  SystemDb& crm() { return *crm_db_; }
  SystemDb& erp() { return *erp_db_; }

  // `run --once`: the initial copy, which installs capture, so every later change is logged.
  void InitialSync();
  // Starts the application's writer thread: `total_changes` spread over both sides, at about
  // `changes_per_s` (0: as fast as it goes, with short pauses).
  void StartWriter(int changes_per_s = 0);
  bool writing() const { return writing_.load(); }
  void JoinWriter();
  // While a side is held, the writer writes only to the other one (its server is down). Hold
  // waits for a transaction in progress on that side; Release reconnects the side first.
  void Hold(SystemDb& side);
  void Release(SystemDb& side);

  // How many changes the `concord run` processes have consumed so far (audit rows with a seq).
  int64_t Consumed();
  // Whether both changelogs are empty and the two tables equal (for waiting on a drain). A side
  // read by logical capture counts as empty here (its slot cannot be inspected while concord
  // streams from it); Verify checks it.
  bool Converged();
  // The final checks: equal tables, drained changelogs, each application change applied once.
  void Verify();

 private:
  struct Side;
  TempDir dir_;
  int total_changes_;
  uint32_t seed_;
  std::unique_ptr<SystemDb> crm_db_, erp_db_;
  bool crm_logical_ = false, erp_logical_ = false;  // read through a replication slot
  std::unique_ptr<Side> crm_, erp_;
  std::atomic<bool> writing_{false};
  std::thread writer_;
};

}  // namespace concord::e2e
