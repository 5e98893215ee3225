// One thread that runs the tasks given to it, one at a time, in the order given. FlowRunner's
// initial copy keeps two (the chunk writer and the read-ahead) for the whole copy instead of
// starting a thread per chunk with std::async. The thread carries a name (top -H, gdb, and the
// per-thread CPU that bench/db_sync_bench reports).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace concord {

class TaskThread {
 public:
  // `name`: the thread's name as the system shows it, cut to its 15 bytes.
  explicit TaskThread(std::string name);
  // Runs the tasks still queued, then joins the thread.
  ~TaskThread();
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  // Queues `f`; its result (or exception) arrives through the future.
  template <class F>
  auto Run(F f) -> std::future<decltype(f())> {
    using R = decltype(f());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    std::future<R> result = task->get_future();
    Push([task] { (*task)(); });
    return result;
  }

 private:
  void Push(std::function<void()> task);
  void Loop();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace concord
