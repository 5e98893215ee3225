// The server-restart test: one `concord run` syncs PostgreSQL ↔ MariaDB both ways (trigger
// capture on both) while the application writes on both sides. Mid-stream one server process is
// stopped, kept down for a few seconds while changes keep arriving on the other side, and started
// again on the same port and data directory. The stopped server is the source of one flow (its
// changes logged just before the stop wait in its changelog) and the target of the other (the
// other side's changes pile up as a backlog). concord must notice (its log says it is retrying),
// retry with backoff, drain the backlog once the server is back, and end with nothing lost or
// doubled — the crash test's checks (stream_scenario.h). A second test starts `concord run`
// while one server is already down: the run must keep retrying, not exit, and drain the backlog
// when the server comes up.
//
// The stop is a clean shutdown (the test servers run with fsync off; a crash of the server would
// lose commits it acknowledged, which is not what this test is about: concord's crashes are the
// crash test's). Environment: CONCORD_RESTART_CHANGES (default 6000, written at 500/s),
// CONCORD_RESTART_DOWN_MS (default 4000), CONCORD_CRASH_SEED (default: random, printed).
#include <signal.h>
#include <sys/wait.h>

#include <iostream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"
#include "e2e/stream_scenario.h"
#include "servers/mariadb_server.h"
#include "servers/postgres_server.h"

namespace concord::e2e {
namespace {

class RestartTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { ASSERT_TRUE(SharedServersUp({Backend::kPostgres, Backend::kMysql})); }
  void StopServer() {
    if (GetParam() == Backend::kPostgres) {
      SharedPostgres()->Shutdown();
    } else {
      SharedMariadb()->Stop();
    }
  }
  void RestartServer() {
    std::string error;
    bool ok = GetParam() == Backend::kPostgres ? SharedPostgres()->Restart(&error)
                                               : SharedMariadb()->Restart(&error);
    ASSERT_TRUE(ok) << error;
  }
  // After the outage: the writer finishes, the backlog drains, a stop exits 0, the log shows the
  // outage was noticed and recovered from, and nothing was lost or doubled.
  static void DrainStopAndVerify(StreamScenario& scenario, pid_t pid, int64_t consumed_before) {
    scenario.JoinWriter();
    bool drained = WaitFor([&] { return scenario.Converged(); }, 300000);
    kill(pid, SIGTERM);
    EXPECT_EQ(WaitExit(pid), 0) << "a requested stop exits 0";
    std::string log = ReadFile(scenario.log());
    ASSERT_TRUE(drained) << "the backlog did not drain after the server came back\n" << log;
    EXPECT_NE(log.find("retrying in"), std::string::npos) << "the outage went unnoticed\n" << log;
    EXPECT_NE(log.find("recovered"), std::string::npos) << log;
    EXPECT_GT(scenario.Consumed(), consumed_before);
    scenario.Verify();
  }
};

TEST_P(RestartTest, ServerStoppedMidStreamNothingLostNothingDoubled) {
  const int total_changes = EnvInt("CONCORD_RESTART_CHANGES", 6000);
  const int down_ms = EnvInt("CONCORD_RESTART_DOWN_MS", 4000);
  const uint32_t seed = SeedFromEnv();
  StreamScenario scenario(Backend::kPostgres, Backend::kMysql, total_changes, seed);
  SystemDb& stopped = GetParam() == Backend::kPostgres ? scenario.crm() : scenario.erp();
  scenario.InitialSync();
  const int64_t synced = scenario.Consumed();  // the initial copy's echoes
  scenario.StartWriter(500);
  pid_t pid = StartConcord(scenario.dir(), {"run"}, scenario.log());
  ASSERT_GT(pid, 0);

  // Streaming: the application's changes flow before the stop.
  ASSERT_TRUE(WaitFor([&] { return scenario.Consumed() > synced + 300; }, 60000))
      << ReadFile(scenario.log());
  scenario.Hold(stopped);
  StopServer();
  int64_t at_stop = scenario.Consumed();
  SleepMs(down_ms);
  EXPECT_TRUE(scenario.writing()) << "the other side kept changing while the server was down";
  RestartServer();
  scenario.Release(stopped);
  std::cout << "server down for " << down_ms << " ms; " << at_stop - synced
            << " changes consumed by `concord run` before the stop\n";

  DrainStopAndVerify(scenario, pid, at_stop);
}

// Down at start: `concord run` starts while one server is stopped. It must not exit: it warns,
// retries with backoff while the other side's changes pile up, and drains them once the server
// is back.
TEST_P(RestartTest, ServerDownAtStartBacklogDrainsWhenItReturns) {
  const int total_changes = EnvInt("CONCORD_RESTART_CHANGES", 6000) / 2;
  const int down_ms = EnvInt("CONCORD_RESTART_DOWN_MS", 4000);
  const uint32_t seed = SeedFromEnv();
  StreamScenario scenario(Backend::kPostgres, Backend::kMysql, total_changes, seed);
  SystemDb& stopped = GetParam() == Backend::kPostgres ? scenario.crm() : scenario.erp();
  scenario.InitialSync();
  const int64_t synced = scenario.Consumed();
  scenario.Hold(stopped);
  StopServer();
  scenario.StartWriter(500);
  pid_t pid = StartConcord(scenario.dir(), {"run"}, scenario.log());
  ASSERT_GT(pid, 0);
  SleepMs(down_ms);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0)
      << "concord run exited while a server was down\n" << ReadFile(scenario.log());
  EXPECT_TRUE(scenario.writing()) << "the other side kept changing while the server was down";
  RestartServer();
  scenario.Release(stopped);

  DrainStopAndVerify(scenario, pid, synced);
}

INSTANTIATE_TEST_SUITE_P(StoppedServer, RestartTest,
                         ::testing::Values(Backend::kPostgres, Backend::kMysql),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace concord::e2e
