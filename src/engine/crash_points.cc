#include "engine/crash_points.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace concord {
namespace {

struct Target {
  std::string name;
  long at = 0;
};

// "name:n" (n = 1 when left out); an empty name for none.
Target Parse(const char* spec) {
  Target t;
  if (spec == nullptr) return t;
  std::string v(spec);
  size_t colon = v.rfind(':');
  t.name = v.substr(0, colon);
  t.at = colon == std::string::npos ? 1 : std::atol(v.c_str() + colon + 1);
  return t;
}

const Target& Configured() {
  static const Target target = Parse(std::getenv("CONCORD_CRASH_POINT"));
  return target;
}

std::atomic<long> g_passes{0};

// The fail point: set from the environment at the first pass, or by a test.
struct FailState {
  std::mutex mu;
  bool loaded = false;
  Target target;
  long passes = 0;
};
FailState& Fail() {
  static FailState state;
  return state;
}
std::atomic<bool> g_fail_set{true};  // until the first pass has read the environment

}  // namespace

void CrashPoint(const char* name) {
  const Target& t = Configured();
  if (t.name.empty() || t.name != name) return;
  if (g_passes.fetch_add(1) + 1 == t.at) kill(getpid(), SIGKILL);
}

bool FailPoint(const char* name) {
  if (!g_fail_set.load(std::memory_order_relaxed)) return false;
  FailState& f = Fail();
  std::lock_guard lock(f.mu);
  if (!f.loaded) {
    f.target = Parse(std::getenv("CONCORD_FAIL_POINT"));
    f.loaded = true;
    g_fail_set.store(!f.target.name.empty(), std::memory_order_relaxed);
  }
  if (f.target.name.empty() || f.target.name != name) return false;
  return ++f.passes == f.target.at;
}

void SetFailPointForTesting(const std::string& spec) {
  FailState& f = Fail();
  std::lock_guard lock(f.mu);
  f.target = Parse(spec.empty() ? nullptr : spec.c_str());
  f.loaded = true;
  f.passes = 0;
  g_fail_set.store(!f.target.name.empty(), std::memory_order_relaxed);
}

}  // namespace concord
