// The `checks:` of concord.yaml, run by `concord run` on their schedules, and the history every
// check leaves in the state store (by hand or scheduled) for `concord status`.
//
// Scheduled checks run on a thread of their own with their own connections and state-store
// handle (an Engine of their own, whose flows they never step), so a long check never holds up
// the flows. When more records differ than `alert_above`, an error is logged naming the check and
// the counts.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "config/spec.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "reconcile/check.h"

namespace concord {

// The history row for a finished check (`report`) or a failed one (`failure`).
CheckRunEntry CheckHistoryEntry(const std::string& name, const std::string& trigger,
                                int64_t started_ms, int64_t finished_ms,
                                const Result<CheckReport>& result);

// Options of `concord check` that a configured check stands for.
CheckOptions OptionsFor(const CheckSpec& check);

class CheckScheduler {
 public:
  CheckScheduler(const ConfigSpec& spec, const Clock* clock) : spec_(spec), clock_(clock) {}
  ~CheckScheduler() { Stop(); }
  CheckScheduler(const CheckScheduler&) = delete;
  CheckScheduler& operator=(const CheckScheduler&) = delete;

  // Starts the thread (no-op without checks). A check that never ran is due at once; otherwise
  // its next time follows its last run in the history.
  Status Start();
  // Asks a running check to stop between chunks and joins the thread.
  void Stop();

 private:
  void Loop();
  // Runs `check` now, records it under `name`, logs the result (or the alert).
  void RunOne(const CheckSpec& check, const std::string& name);

  const ConfigSpec& spec_;
  const Clock* clock_;
  std::unique_ptr<Engine> engine_;  // connections, mappers and state for the checks
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace concord
