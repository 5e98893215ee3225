// The crash test: a stream of mixed inserts, updates and deletes on both systems while
// `concord run` is killed with SIGKILL at random moments and restarted. At the end the two
// systems must be equal row for row, every changelog must be drained, and the audit log must
// show each source change applied exactly once.
//
// Sizes can be raised from the environment: CONCORD_CRASH_CHANGES (default 50000),
// CONCORD_CRASH_POINT_CHANGES (default 8000),
// CONCORD_CRASH_KILLS (default 60: the issue asks for at least 20; more kills land in the
// narrow windows between a batch's commits more often), CONCORD_CRASH_SEED (default: random, printed).
#include <signal.h>

#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <iostream>

#include "e2e/harness.h"

namespace concord::e2e {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
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
      code:    {type: string, required: true}
      name:    {type: string, required: true}
      phone:   {type: string}
      balance: {type: int}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, balance: balance}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name, phone: mobile, balance: balance}
flows:
  - {entity: customer, from: crm, to: erp, max_batch_rows: 100, max_batch_delay_ms: 0, poll_interval_ms: 20}
  - {entity: customer, from: erp, to: crm, max_batch_rows: 100, max_batch_delay_ms: 0, poll_interval_ms: 20}
)";

// One side's application: writes only keys with its own prefix (the sides never race on one
// record; conflict rules have their own tests) and counts the changes it makes.
class Workload {
 public:
  Workload(const std::string& db_path, const std::string& table, const std::string& key_col,
           const std::string& name_col, const std::string& phone_col, char prefix, uint32_t seed)
      : db_(db_path),
        table_(table),
        key_col_(key_col),
        name_col_(name_col),
        phone_col_(phone_col),
        prefix_(prefix),
        rng_(seed) {}

  void Seed(int n) {
    std::string sql = "BEGIN;";
    for (int i = 0; i < n; ++i) sql += InsertSql();
    db_.Exec(sql + "COMMIT;");
  }

  // One transaction of 1..8 statements, each changing exactly one row. Returns the count.
  int Step() {
    std::uniform_int_distribution<int> count(1, 8), pct(0, 99);
    int n = count(rng_);
    std::string sql = "BEGIN IMMEDIATE;";
    for (int i = 0; i < n; ++i) {
      int p = pct(rng_);
      if (live_.size() < 50 || p < 35) {
        sql += InsertSql();
      } else if (p < 85) {
        sql += "UPDATE " + table_ + " SET " + name_col_ + " = 'name " + std::to_string(rng_()) +
               "', balance = balance + 1 WHERE " + key_col_ + " = '" + PickLive(false) + "';";
      } else {
        sql += "DELETE FROM " + table_ + " WHERE " + key_col_ + " = '" + PickLive(true) + "';";
      }
    }
    db_.Exec(sql + "COMMIT;");
    changes_ += n;
    return n;
  }

  int64_t changes() const { return changes_; }

 private:
  std::string InsertSql() {
    std::string key = std::string(1, prefix_) + std::to_string(next_id_++);
    live_.push_back(key);
    return "INSERT INTO " + table_ + " (" + key_col_ + ", " + name_col_ + ", " + phone_col_ +
           ", balance) VALUES ('" + key + "', 'new " + key + "', '1380000" +
           std::to_string(next_id_ % 10000) + "', 0);";
  }
  std::string PickLive(bool remove) {
    std::uniform_int_distribution<size_t> pick(0, live_.size() - 1);
    size_t i = pick(rng_);
    std::string key = live_[i];
    if (remove) {
      live_[i] = live_.back();
      live_.pop_back();
    }
    return key;
  }

  Db db_;
  std::string table_, key_col_, name_col_, phone_col_;
  char prefix_;
  std::mt19937 rng_;
  std::vector<std::string> live_;
  int64_t next_id_ = 1;
  int64_t changes_ = 0;
};

// One crash scenario: two systems seeded, an initial sync, then a stream of `total_changes`
// on both sides while `kill_loop` starts and kills concord; then a final drain and the checks.
class CrashScenario {
 public:
  CrashScenario(int total_changes, uint32_t seed)
      : total_changes_(total_changes),
        seed_(seed),
        crm_(InitDb(dir_ / "crm.db", "accounts", "account_no", "account_name", "tel"), "accounts",
             "account_no", "account_name", "tel", 'C', seed),
        erp_(InitDb(dir_ / "erp.db", "customers", "cust_code", "cust_name", "mobile"),
             "customers", "cust_code", "cust_name", "mobile", 'E', seed + 1) {
    WriteFile(dir_ / "concord.yaml", kConfig);
    crm_.Seed(500);
    erp_.Seed(500);
  }

  const std::string& dir() const { return dir_.path(); }
  std::string log() const { return dir_ / "run.log"; }

  // Runs the stream; `kill_loop(writing)` is called until it returns false with writing done.
  template <typename KillLoop>
  void Run(KillLoop kill_loop) {
    // Initial copy; installs capture, so every later change is logged.
    ProcResult first = RunConcord(dir(), {"run", "--once", "-q"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::atomic<bool> writing{true};
    std::thread writer([&] {
      std::mt19937 rng(seed_ + 2);
      int64_t done = 0;
      while (done < total_changes_) {
        done += (rng() % 2 == 0) ? crm_.Step() : erp_.Step();
        if (rng() % 4 == 0) SleepMs(1);  // spread the stream over the kills
      }
      writing.store(false);
    });
    while (kill_loop(writing.load())) {
    }
    writer.join();
    std::cout << "crm made " << crm_.changes() << " changes, erp " << erp_.changes() << "\n";
    {
      // The killed processes must have done real work, or this test would prove nothing.
      Db state(dir_ / "state.db");
      int64_t consumed = state.Int("SELECT count(*) FROM audit WHERE seq > 0");
      std::cout << "changes consumed by the killed processes: " << consumed << "\n";
      EXPECT_GT(consumed, total_changes_ / 2);
    }
    // Drain what is left (a process killed mid-batch left it pending).
    ProcResult last = RunConcord(dir(), {"run", "--once", "-q"});
    ASSERT_EQ(last.exit_code, 0) << last.err << ReadFile(log());
  }

  void Verify() {
    Db crm_db(dir_ / "crm.db"), erp_db(dir_ / "erp.db"), state(dir_ / "state.db");
    // 1. The systems are equal, row for row.
    std::string crm_rows =
        crm_db.Dump("SELECT account_no, account_name, tel, balance FROM accounts");
    std::string erp_rows =
        erp_db.Dump("SELECT cust_code, cust_name, mobile, balance FROM customers");
    EXPECT_EQ(crm_db.Int("SELECT count(*) FROM accounts"),
              erp_db.Int("SELECT count(*) FROM customers"));
    EXPECT_TRUE(crm_rows == erp_rows) << "the systems differ after the crash test";
    // 2. Every changelog is drained.
    EXPECT_EQ(crm_db.Int("SELECT count(*) FROM _concord_changelog"), 0);
    EXPECT_EQ(erp_db.Int("SELECT count(*) FROM _concord_changelog"), 0);
    // 3. Each logged change has exactly one audit entry (seq values are 1..max, no gaps).
    struct Side {
      std::string flow;
      Db* source;
      int64_t app_changes;
    };
    for (const Side& side : {Side{"customer:crm->erp", &crm_db, crm_.changes()},
                             Side{"customer:erp->crm", &erp_db, erp_.changes()}}) {
      int64_t logged = side.source->Int(
          "SELECT seq FROM sqlite_sequence WHERE name = '_concord_changelog'");
      std::string where = " FROM audit WHERE flow = '" + side.flow + "' AND seq > 0";
      EXPECT_EQ(state.Int("SELECT count(*)" + where), logged) << side.flow;
      EXPECT_EQ(state.Int("SELECT count(DISTINCT seq)" + where), logged) << side.flow;
      EXPECT_EQ(state.Int("SELECT max(seq)" + where), logged) << side.flow;
      EXPECT_EQ(state.Dump("SELECT seq, count(*) AS n" + where + " GROUP BY seq HAVING n > 1"),
                "")
          << side.flow << ": changes applied more than once";
      // The application's own changes — not concord's echoes — were applied, each once.
      EXPECT_EQ(state.Int("SELECT count(*)" + where + " AND outcome <> 'echo'"), side.app_changes)
          << side.flow;
      EXPECT_EQ(state.Int("SELECT count(*)" + where + " AND outcome = 'dlq'"), 0) << side.flow;
    }
    EXPECT_EQ(state.Int("SELECT count(*) FROM dlq"), 0);
  }

 private:
  static std::string InitDb(const std::string& path, const std::string& table,
                            const std::string& key, const std::string& name,
                            const std::string& phone) {
    Db db(path);
    db.Exec("CREATE TABLE " + table + " (" + key + " TEXT PRIMARY KEY, " + name +
            " TEXT NOT NULL, " + phone + " TEXT, balance INTEGER NOT NULL DEFAULT 0);");
    return path;
  }

  TempDir dir_;
  int total_changes_;
  uint32_t seed_;
  Workload crm_, erp_;
};

uint32_t Seed() {
  uint32_t seed = static_cast<uint32_t>(EnvInt("CONCORD_CRASH_SEED", std::random_device{}()));
  std::cout << "seed " << seed << " (set CONCORD_CRASH_SEED to repeat)\n";
  return seed;
}

TEST(CrashTest, KilledAtRandomMomentsNothingLostNothingDoubled) {
  const int total_changes = EnvInt("CONCORD_CRASH_CHANGES", 50000);
  const int min_kills = EnvInt("CONCORD_CRASH_KILLS", 60);
  const uint32_t seed = Seed();
  CrashScenario scenario(total_changes, seed);
  std::mt19937 rng(seed + 3);
  std::uniform_int_distribution<int> lifetime_ms(30, 400);
  int kills = 0;
  scenario.Run([&](bool writing) {
    if (!writing && kills >= min_kills) return false;
    pid_t pid = StartConcord(scenario.dir(), {"run", "-q"}, scenario.log());
    EXPECT_GT(pid, 0);
    SleepMs(lifetime_ms(rng));
    kill(pid, SIGKILL);
    EXPECT_EQ(WaitExit(pid), 128 + SIGKILL);
    ++kills;
    return true;
  });
  std::cout << "killed concord " << kills << " times with SIGKILL\n";
  EXPECT_GE(kills, min_kills);
  scenario.Verify();
}

// The same stream, but concord kills itself at an exact point of the commit protocol — the
// windows random kills hit only by luck.
class CrashPointTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CrashPointTest, KilledAtThePointNothingLostNothingDoubled) {
  const uint32_t seed = Seed();
  CrashScenario scenario(EnvInt("CONCORD_CRASH_POINT_CHANGES", 8000), seed);
  std::mt19937 rng(seed + 4);
  std::uniform_int_distribution<int> nth(1, 6);
  int crashes = 0, runs = 0;
  scenario.Run([&](bool writing) {
    if (!writing && runs >= 12) return false;
    std::string point = GetParam() + ":" + std::to_string(nth(rng));
    pid_t pid = StartConcord(scenario.dir(), {"run", "-q"}, scenario.log(),
                             {"CONCORD_CRASH_POINT=" + point});
    EXPECT_GT(pid, 0);
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
    return true;
  });
  std::cout << runs << " runs, " << crashes << " crashed at " << GetParam() << "\n";
  EXPECT_GT(crashes, runs / 2) << "the crash point was rarely reached";
  scenario.Verify();
}

INSTANTIATE_TEST_SUITE_P(CommitProtocol, CrashPointTest,
                         ::testing::Values("after_target_commit", "after_state_commit",
                                           "after_source_ack"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace concord::e2e
