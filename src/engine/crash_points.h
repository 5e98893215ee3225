// Fault injection for the crash tests. When the environment variable CONCORD_CRASH_POINT is
// "name:n", the n-th time the process passes CrashPoint("name") it kills itself with SIGKILL —
// as abrupt as `kill -9`, at exactly the moment a test wants to prove safe (between the target's
// commit and the state's, between the state's commit and the source's acknowledgement, ...).
// Random kills find these windows only by luck; named points find them every time.
// Without the variable a CrashPoint costs one predictable branch. Thread-safe.
//
// FailPoint is the same for a failure rather than a kill: when CONCORD_FAIL_POINT is "name:n",
// the n-th pass through FailPoint("name") returns true, and the caller fails there as the real
// fault would (a state commit refused, say), so that a test can prove what follows a failure at
// one exact moment: what was done is kept, what was not is done again, nothing twice.
#pragma once

#include <string>

namespace concord {

void CrashPoint(const char* name);

bool FailPoint(const char* name);
// Tests that run in one process: sets the fail point as CONCORD_FAIL_POINT would ("" for none),
// its count started again.
void SetFailPointForTesting(const std::string& spec);

}  // namespace concord
