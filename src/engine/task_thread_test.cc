#include "engine/task_thread.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace concord {
namespace {

TEST(TaskThreadTest, RunsTasksInOrderOnOneThreadOtherThanTheCaller) {
  TaskThread worker("test-worker");
  std::vector<int> order;  // only the worker touches it until the futures are ready
  std::vector<std::future<std::thread::id>> ids;
  for (int i = 0; i < 50; ++i) {
    ids.push_back(worker.Run([&order, i] {
      order.push_back(i);
      return std::this_thread::get_id();
    }));
  }
  std::thread::id first = ids[0].get();
  EXPECT_NE(first, std::this_thread::get_id());
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(ids[i].get(), first);
  std::vector<int> expected;
  for (int i = 0; i < 50; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
}

// The name shows where the system shows threads' names, cut to the 15 bytes it keeps.
TEST(TaskThreadTest, TheThreadCarriesItsName) {
  TaskThread worker("a-name-longer-than-fifteen");
  std::string name = worker
                         .Run([] {
                           char buf[32] = {};
                           pthread_getname_np(pthread_self(), buf, sizeof buf);
                           return std::string(buf);
                         })
                         .get();
  EXPECT_EQ(name, "a-name-longer-t");
}

TEST(TaskThreadTest, AnExceptionReachesTheFutureAndTheThreadGoesOn) {
  TaskThread worker("test-worker");
  auto failed = worker.Run([]() -> int { throw std::runtime_error("no"); });
  auto next = worker.Run([] { return std::string("still here"); });
  EXPECT_THROW(failed.get(), std::runtime_error);
  EXPECT_EQ(next.get(), "still here");
}

TEST(TaskThreadTest, DestroyingItRunsWhatIsQueuedFirst) {
  int done = 0;
  {
    TaskThread worker("test-worker");
    for (int i = 0; i < 20; ++i) {
      worker.Run([&done] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++done;
      });
    }
  }
  EXPECT_EQ(done, 20);
}

}  // namespace
}  // namespace concord
