// `concord demo`: the whole promise of concord on one screen, with nothing configured by hand.
//
// Generates a sample CRM and ERP (generator.h) and a tutorial concord.yaml in `dir`, validates
// the config, shows the plan, runs the initial sync both ways (Engine::RunOnce), then simulates
// `seconds` of business on both databases (simulator.h) while an Engine runs in real time on a
// second thread, with a one-line live progress display; then catches up (RunOnce) and prints the
// report: records synced per flow, rejections grouped by reason (from the DLQ), conflicts,
// end-to-end latency p50/p99, and the final check (reconcile/check.h) that the two systems agree
// except for the rows concord rejected (or that wait for a rejected parent), which it names.
//
// The initial part of the output (generation, plan, initial sync, its rejections) is
// deterministic for a seed; the live part depends on timing. The README tour quotes only the
// deterministic part (demo_e2e_test checks that).
//
// Threading: blocks the caller; uses one extra thread for the engine.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "core/status.h"

namespace concord::demo {

struct DemoOptions {
  std::string dir = "demo-out";
  int seconds = 30;
  uint64_t seed = 2026;
  int events_per_second = 40;  // business events simulated per second
  bool tty = false;            // stderr is a terminal: redraw one progress line in place
};

// Runs the demo, writing the story to `out` and the progress display to `err`. Errors:
// InvalidArgument (bad options, or a generated config that does not validate — a bug),
// Unavailable (a database stayed locked), others from the engine.
Status RunDemo(const DemoOptions& options, std::ostream& out, std::ostream& err);

}  // namespace concord::demo
