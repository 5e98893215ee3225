// Engine: runs every flow of a config — the realtime ones continuously, the scheduled ones when
// their `every`/`cron` schedule is due — with retries and backoff for transient failures, until
// asked to stop.
//
// Flows run in an order where parents come first (a flow of `customer` before a flow of `order`
// whose fields reference customer), so in a single pass children rarely have to wait.
//
// Threading: Run() and RunOnce() block the calling thread. RequestStop() may be called from any
// thread or a signal handler; the batch in flight is finished and committed before Run returns.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "config/spec.h"
#include "core/clock.h"
#include "core/status.h"
#include "engine/flow_runner.h"
#include "engine/system_pool.h"
#include "state/state_store.h"

namespace concord {

class Engine {
 public:
  // Builds mappers and runners for `spec`; opens the state store. Fails on a state store that
  // cannot be opened.
  static Result<std::unique_ptr<Engine>> Create(const ConfigSpec& spec, const Clock* clock);

  // Runs until RequestStop(). Returns OK on a requested stop.
  Status Run();

  // Applies everything pending in every flow (snapshot included, scheduled flows too) and
  // returns: for schedulers and scripts. A flow that keeps failing makes it return the error
  // after the other flows have drained.
  Status RunOnce();

  void RequestStop() { stop_.store(true); }
  bool stop_requested() const { return stop_.load(); }

  std::vector<std::unique_ptr<FlowRunner>>& runners() { return runners_; }
  FlowRunner* FindRunner(const std::string& flow_id);
  StateStore* state() { return state_.get(); }
  SystemPool* pool() { return pool_.get(); }
  const MapperSet& mappers() const { return mappers_; }

  // One line per flow with its counters, for the end of a run.
  std::string Summary() const;

 private:
  Engine(const ConfigSpec& spec, const Clock* clock) : spec_(spec), clock_(clock) {}
  void SleepMs(int64_t ms);
  // Idle: waits up to `ms` for one of `sources` to announce changes (Source::WaitForChanges), in
  // steps of at most 20 ms so a stop request is honoured quickly. A source that cannot announce
  // leaves the wait; with none left this is SleepMs. The poll interval stays the upper bound,
  // so a missed announcement only delays a change.
  void WaitForChanges(int64_t ms, std::vector<Source*> sources);

  const ConfigSpec& spec_;
  const Clock* clock_;
  std::unique_ptr<StateStore> state_;
  std::unique_ptr<SystemPool> pool_;
  MapperSet mappers_;
  std::vector<std::unique_ptr<FlowRunner>> runners_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> stop_{false};
};

// Orders flows so that a flow of an entity comes after the flows of the entities its reference
// fields point to. Stable otherwise (file order).
std::vector<const FlowSpec*> OrderFlowsParentsFirst(const ConfigSpec& spec);

}  // namespace concord
