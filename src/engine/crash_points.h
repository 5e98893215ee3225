// Fault injection for the crash tests. When the environment variable CONCORD_CRASH_POINT is
// "name:n", the n-th time the process passes CrashPoint("name") it kills itself with SIGKILL —
// as abrupt as `kill -9`, at exactly the moment a test wants to prove safe (between the target's
// commit and the state's, between the state's commit and the source's acknowledgement, ...).
// Random kills find these windows only by luck; named points find them every time.
// Without the variable a CrashPoint costs one predictable branch. Thread-safe.
#pragma once

namespace concord {

void CrashPoint(const char* name);

}  // namespace concord
