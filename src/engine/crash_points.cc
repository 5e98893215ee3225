#include "engine/crash_points.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace concord {
namespace {

struct Target {
  std::string name;
  long at = 0;
};

const Target& Configured() {
  static const Target target = [] {
    Target t;
    const char* env = std::getenv("CONCORD_CRASH_POINT");
    if (env == nullptr) return t;
    std::string v(env);
    size_t colon = v.rfind(':');
    t.name = v.substr(0, colon);
    t.at = colon == std::string::npos ? 1 : std::atol(v.c_str() + colon + 1);
    return t;
  }();
  return target;
}

std::atomic<long> g_passes{0};

}  // namespace

void CrashPoint(const char* name) {
  const Target& t = Configured();
  if (t.name.empty() || t.name != name) return;
  if (g_passes.fetch_add(1) + 1 == t.at) kill(getpid(), SIGKILL);
}

}  // namespace concord
