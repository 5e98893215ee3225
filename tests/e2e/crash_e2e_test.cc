// The crash test: a stream of mixed inserts, updates and deletes on both systems while
// `concord run` is killed with SIGKILL at random moments and restarted. At the end the two
// systems must be equal row for row, every changelog must be drained, and the audit log must
// show each source change applied exactly once (stream_scenario.h).
//
// The random kills run for three pairings: SQLite ↔ SQLite, and PostgreSQL ↔ MariaDB with trigger
// capture on both, and again with logical capture (a replication slot) on PostgreSQL (real
// servers the test starts; both flow directions, so each database is once the source and once
// the target). With logical capture a transaction partly applied when concord was killed is
// delivered again whole: the check is then "each change applied, none lost", not "exactly once".
//
// Sizes can be set from the environment: CONCORD_CRASH_CHANGES (SQLite, default 50000),
// CONCORD_CRASH_KILLS (SQLite, default 60: the issue asks for at least 20; more kills land in the
// narrow windows between a batch's commits more often), CONCORD_CRASH_SERVER_CHANGES and
// CONCORD_CRASH_SERVER_KILLS (PostgreSQL ↔ MariaDB, default 6000 and 20: every start opens
// server connections and re-checks capture, so a run costs more), CONCORD_CRASH_POINT_CHANGES
// (default 8000), CONCORD_CRASH_SEED (default: random, printed).
#include <signal.h>

#include <iostream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"
#include "e2e/stream_scenario.h"

namespace concord::e2e {
namespace {

// The end of every crash scenario: the killed processes must have done real work (or the test
// would prove nothing); a last `run --once` drains what a process killed mid-batch left pending;
// then the checks.
void DrainAndVerify(StreamScenario& scenario, int total_changes) {
  scenario.JoinWriter();
  int64_t consumed = scenario.Consumed();
  std::cout << "changes consumed by the killed processes: " << consumed << "\n";
  EXPECT_GT(consumed, total_changes / 2);
  ProcResult last = RunConcord(scenario.dir(), {"run", "--once", "-q"});
  ASSERT_EQ(last.exit_code, 0) << last.err << ReadFile(scenario.log());
  scenario.Verify();
}

struct Pairing {
  Backend crm, erp;
  const char* changes_env;
  int changes;
  const char* kills_env;
  int kills;
  int min_life_ms, max_life_ms;  // how long each `concord run` lives before the kill
  int writer_rate;               // changes/s (0: as fast as it goes), spread over the kills
  Capture capture = Capture::kTrigger;  // of the PostgreSQL side
};

// What ctest shows after a test's name ("postgres <-> mysql", not the struct's bytes).
void PrintTo(const Pairing& p, std::ostream* os) {
  *os << BackendName(p.crm) << " <-> " << BackendName(p.erp) << " (" << CaptureName(p.capture)
      << ")";
}

class CrashTest : public ::testing::TestWithParam<Pairing> {
 protected:
  void SetUp() override { ASSERT_TRUE(SharedServersUp({GetParam().crm, GetParam().erp})); }
};

TEST_P(CrashTest, KilledAtRandomMomentsNothingLostNothingDoubled) {
  const Pairing& p = GetParam();
  const int total_changes = EnvInt(p.changes_env, p.changes);
  const int min_kills = EnvInt(p.kills_env, p.kills);
  const uint32_t seed = SeedFromEnv();
  StreamScenario scenario(p.crm, p.erp, total_changes, seed, p.capture);
  scenario.InitialSync();
  scenario.StartWriter(p.writer_rate);
  std::mt19937 rng(seed + 3);
  std::uniform_int_distribution<int> lifetime_ms(p.min_life_ms, p.max_life_ms);
  int kills = 0;
  // On a loaded machine short-lived runs may not get through half the stream before the writer
  // ends, which DrainAndVerify requires (or the kills would prove little): kill on until they have.
  auto more = [&] {
    return scenario.writing() || kills < min_kills ||
           (kills < 20 * min_kills && scenario.Consumed() <= total_changes / 2);
  };
  while (more()) {
    pid_t pid = StartConcord(scenario.dir(), {"run", "-q"}, scenario.log());
    ASSERT_GT(pid, 0);
    SleepMs(lifetime_ms(rng));
    kill(pid, SIGKILL);
    EXPECT_EQ(WaitExit(pid), 128 + SIGKILL);
    ++kills;
  }
  std::cout << "killed concord " << kills << " times with SIGKILL\n";
  EXPECT_GE(kills, min_kills);
  DrainAndVerify(scenario, total_changes);
}

INSTANTIATE_TEST_SUITE_P(
    Pairings, CrashTest,
    ::testing::Values(Pairing{Backend::kSqlite, Backend::kSqlite, "CONCORD_CRASH_CHANGES", 50000,
                              "CONCORD_CRASH_KILLS", 60, 30, 400, 0},
                      Pairing{Backend::kPostgres, Backend::kMysql,
                              "CONCORD_CRASH_SERVER_CHANGES", 6000, "CONCORD_CRASH_SERVER_KILLS",
                              20, 100, 800, 600},
                      Pairing{Backend::kPostgres, Backend::kMysql,
                              "CONCORD_CRASH_SERVER_CHANGES", 6000, "CONCORD_CRASH_SERVER_KILLS",
                              20, 100, 800, 600, Capture::kLogical}),
    [](const auto& info) {
      return BackendName(info.param.crm) + "_" + BackendName(info.param.erp) +
             (info.param.capture == Capture::kLogical ? "_logical" : "");
    });

// The same stream, but concord kills itself at an exact point of the commit protocol — the
// windows random kills hit only by luck.
class CrashPointTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CrashPointTest, KilledAtThePointNothingLostNothingDoubled) {
  const uint32_t seed = SeedFromEnv();
  const int total_changes = EnvInt("CONCORD_CRASH_POINT_CHANGES", 8000);
  StreamScenario scenario(Backend::kSqlite, Backend::kSqlite, total_changes, seed);
  scenario.InitialSync();
  scenario.StartWriter();
  std::mt19937 rng(seed + 4);
  std::uniform_int_distribution<int> nth(1, 6);
  int crashes = 0, runs = 0;
  // A run crashing at its n-th pass consumes at most n-1 batches: when the writer is fast, 12 runs
  // may not get through half the stream, which DrainAndVerify requires. Run on until they have.
  auto more = [&] {
    return scenario.writing() || runs < 12 ||
           (runs < 200 && scenario.Consumed() <= total_changes / 2);
  };
  while (more()) {
    std::string point = GetParam() + ":" + std::to_string(nth(rng));
    pid_t pid = StartConcord(scenario.dir(), {"run", "-q"}, scenario.log(),
                             {"CONCORD_CRASH_POINT=" + point});
    ASSERT_GT(pid, 0);
    int code = 0;
    // Wait for the self-kill; a run that never reaches its n-th pass is killed after a while.
    if (!WaitFor([&] { return Exited(pid, &code); }, 3000)) {
      kill(pid, SIGKILL);
      code = WaitExit(pid);
    } else {
      ++crashes;
    }
    EXPECT_EQ(code, 128 + SIGKILL);
    ++runs;
  }
  std::cout << runs << " runs, " << crashes << " crashed at " << GetParam() << "\n";
  EXPECT_GT(crashes, runs / 2) << "the crash point was rarely reached";
  DrainAndVerify(scenario, total_changes);
}

INSTANTIATE_TEST_SUITE_P(CommitProtocol, CrashPointTest,
                         ::testing::Values("after_target_commit", "after_state_commit",
                                           "after_source_ack"),
                         [](const auto& info) { return info.param; });

// An initial copy into an empty table writes the next chunk while the last one's state commits
// (FlowRunner::CopyOverlapped), so a kill between a chunk's target commit and its state commit
// may leave the target a chunk or two ahead of the checkpoint. Killed there again and again (SQLite
// into PostgreSQL, whose sink COPYs straight into the table and falls back to a merge when a row
// exists), the copy must still complete with every row once, nothing sent to the DLQ, and each
// row audited exactly once (copied, or found already there by the run after a kill).
TEST(InitialCopyCrashTest, KilledBetweenTheTwoCommitsEveryRowOnce) {
  const uint32_t seed = SeedFromEnv();
  const int rows = EnvInt("CONCORD_CRASH_COPY_ROWS", 3000);
  TempDir dir;
  auto crm = MakeSystemDb(Backend::kSqlite, dir, "crm");
  auto erp = MakeSystemDb(Backend::kPostgres, dir, "erp");
  crm->Exec("CREATE TABLE accounts (account_no VARCHAR(40) PRIMARY KEY, account_name "
            "VARCHAR(200) NOT NULL)");
  erp->Exec("CREATE TABLE customers (cust_code VARCHAR(40) PRIMARY KEY, cust_name VARCHAR(200) "
            "NOT NULL)");
  crm->Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
            std::to_string(rows) +
            ") INSERT INTO accounts SELECT printf('C%06d', i), 'Customer ' || i FROM n");
  WriteFile(dir / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: )" + crm->SystemYaml() + R"(
  erp: )" + erp->SystemYaml() + R"(
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true}
      name: {type: string, required: true}
bindings:
  crm.customer: {table: accounts, key: account_no, fields: {code: account_no, name: account_name}}
  erp.customer: {table: customers, key: cust_code, fields: {code: cust_code, name: cust_name}}
flows:
  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 100}
)");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> nth(2, 9);
  int crashes = 0, runs = 0;
  for (; runs < 60; ++runs) {
    const std::string point = "after_target_commit:" + std::to_string(nth(rng));
    pid_t pid = StartConcord(dir.path(), {"run", "--once", "-q"}, dir / "run.log",
                             {"CONCORD_CRASH_POINT=" + point});
    ASSERT_GT(pid, 0);
    const int code = WaitExit(pid);
    if (code == 0) break;  // the copy completed before the n-th pass
    ASSERT_EQ(code, 128 + SIGKILL) << ReadFile(dir / "run.log");
    ++crashes;
  }
  std::cout << runs + 1 << " runs, " << crashes << " killed between the commits\n";
  EXPECT_GE(crashes, 3) << "the copy rarely reached the crash point";
  ProcResult last = RunConcord(dir.path(), {"run", "--once", "-q"});
  ASSERT_EQ(last.exit_code, 0) << last.err << ReadFile(dir / "run.log");

  EXPECT_EQ(erp->Dump("SELECT cust_code, cust_name FROM customers"),
            crm->Dump("SELECT account_no, account_name FROM accounts"));
  Db state(dir / "state.db");
  EXPECT_EQ(state.Int("SELECT count(*) FROM dlq"), 0);
  EXPECT_EQ(state.Int("SELECT coalesce(sum(rows), 0) FROM audit WHERE outcome IN "
                      "('snapshot:applied', 'snapshot:unchanged')"),
            rows);
}

}  // namespace
}  // namespace concord::e2e
