// Test harness for end-to-end tests: temp directories, running the concord binary as a process
// (to completion, or in the background to be signalled or killed), and a small SQLite client to
// seed and inspect the systems' databases. Hermetic: temp dirs only, no network.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

struct sqlite3;

namespace concord::e2e {

// A fresh directory under $TMPDIR, removed at destruction unless CONCORD_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

struct ProcResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `concord args...` in `dir` to completion.
ProcResult RunConcord(const std::string& dir, const std::vector<std::string>& args);

// Starts `concord args...` in `dir` in the background; stdout and stderr go to `log_path`.
// `env` entries ("NAME=value") are added to the child's environment.
pid_t StartConcord(const std::string& dir, const std::vector<std::string>& args,
                   const std::string& log_path, const std::vector<std::string>& env = {});
// Whether `pid` has exited; if so, its exit code (as WaitExit) is stored in `*code`.
bool Exited(pid_t pid, int* code);
// Waits for `pid`; returns its exit code, or 128 + signal when killed.
int WaitExit(pid_t pid);

// A connection to an SQLite file, with a busy timeout so it waits for concord's transactions.
class Db {
 public:
  explicit Db(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements; fails the test (ADD_FAILURE) on error and returns false.
  bool Exec(const std::string& sql);
  // Rows as text ("NULL" for NULL).
  std::vector<std::vector<std::string>> Query(const std::string& sql);
  // First column of the first row, "" when there is none.
  std::string Scalar(const std::string& sql);
  int64_t Int(const std::string& sql);
  // Rows joined as "a|b|c" lines, sorted — for comparing two tables.
  std::string Dump(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

// Rows joined as "a|b|c" lines, sorted, one per line — for comparing two tables (Db::Dump).
std::string SortedLines(const std::vector<std::vector<std::string>>& rows);

// Polls `condition` every 50 ms for up to `max_ms`; returns whether it became true. Used to wait
// for a background process — never as a performance assertion.
template <typename F>
bool WaitFor(F condition, int max_ms);
void SleepMs(int ms);

template <typename F>
bool WaitFor(F condition, int max_ms) {
  for (int waited = 0; waited <= max_ms; waited += 50) {
    if (condition()) return true;
    SleepMs(50);
  }
  return condition();
}

}  // namespace concord::e2e
