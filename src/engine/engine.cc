#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "engine/backoff.h"
#include "engine/logging.h"

namespace concord {

std::vector<const FlowSpec*> OrderFlowsParentsFirst(const ConfigSpec& spec) {
  // Depth of an entity in the reference graph (cycles cut).
  std::map<std::string, int> depth;
  std::function<int(const std::string&, std::set<std::string>&)> depth_of =
      [&](const std::string& name, std::set<std::string>& visiting) -> int {
    if (auto it = depth.find(name); it != depth.end()) return it->second;
    auto e = spec.entities.find(name);
    if (e == spec.entities.end() || visiting.count(name)) return 0;
    visiting.insert(name);
    int d = 0;
    for (const auto& f : e->second.fields) {
      if (f.type == FieldType::kReference && f.entity != name) {
        d = std::max(d, 1 + depth_of(f.entity, visiting));
      }
    }
    visiting.erase(name);
    depth[name] = d;
    return d;
  };
  std::vector<const FlowSpec*> out;
  for (const auto& f : spec.flows) out.push_back(&f);
  std::stable_sort(out.begin(), out.end(), [&](const FlowSpec* a, const FlowSpec* b) {
    std::set<std::string> va, vb;
    return depth_of(a->entity, va) < depth_of(b->entity, vb);
  });
  return out;
}

Result<std::unique_ptr<Engine>> Engine::Create(const ConfigSpec& spec, const Clock* clock) {
  std::unique_ptr<Engine> e(new Engine(spec, clock));
  e->log_ = ComponentLogger("engine");
  auto state = StateStore::Open(spec.state_path);
  if (!state.ok()) return state.status().WithContext("state store " + spec.state_path);
  e->state_ = std::move(state).value();
  e->pool_ = std::make_unique<SystemPool>(spec);
  for (const auto& [name, binding] : spec.bindings) {
    const EntitySpec& entity = spec.entities.at(binding.entity);
    e->mappers_[name] = std::make_unique<BindingMapper>(entity, binding);
  }
  for (const FlowSpec* f : OrderFlowsParentsFirst(spec)) {
    e->runners_.push_back(std::make_unique<FlowRunner>(spec, *f, e->pool_.get(), e->state_.get(),
                                                       &e->mappers_, clock));
  }
  return e;
}

FlowRunner* Engine::FindRunner(const std::string& flow_id) {
  for (auto& r : runners_) {
    if (r->id() == flow_id) return r.get();
  }
  return nullptr;
}

namespace {
constexpr int64_t kStopCheckMs = 20;  // how long a stop request may wait for an idle engine
}  // namespace

void Engine::SleepMs(int64_t ms) {
  // Sleep in small steps so a stop request is honoured quickly.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop_.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(ms, kStopCheckMs)));
  }
}

void Engine::WaitForChanges(int64_t ms, std::vector<Source*> sources) {
  using Clock = std::chrono::steady_clock;
  auto until = Clock::now() + std::chrono::milliseconds(ms);
  while (!stop_.load() && !sources.empty()) {
    int64_t left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return;
    // Each source gets a share of one step, so none waits long while another is announcing.
    int64_t share = std::max<int64_t>(
        1, std::min(left, kStopCheckMs) / static_cast<int64_t>(sources.size()));
    for (auto it = sources.begin(); it != sources.end();) {
      switch ((*it)->WaitForChanges(share)) {
        case Source::WakeUp::kChanged:
          return;
        case Source::WakeUp::kNoSignal:
          it = sources.erase(it);
          break;
        case Source::WakeUp::kTimedOut:
          ++it;
          break;
      }
    }
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  if (left > 0) SleepMs(left);
}

namespace {

constexpr int64_t kPausedRetryMs = 10000;
// An idle engine looks again at least this often at flows waiting for their schedule or their
// backoff (their times are on the injectable clock, which a test may move).
constexpr int64_t kClockCheckMs = 1000;

struct FlowClock {
  Backoff backoff;
  int64_t next_attempt_ms = 0;  // after a failure
  int64_t next_run_ms = 0;      // scheduled flows: next due time
  bool draining = false;        // scheduled flow: a due run is in progress
  bool failing = false;
  std::string last_error;
};

}  // namespace

Status Engine::Run() {
  std::vector<FlowClock> clocks(runners_.size());
  int64_t now = clock_->NowMs();
  for (size_t i = 0; i < runners_.size(); ++i) {
    const Schedule& s = runners_[i]->flow().schedule;
    if (s.kind != Schedule::Kind::kRealtime) {
      auto cp = state_->GetCheckpoint(runners_[i]->id());
      int64_t last = cp.ok() ? cp->last_run_ms : 0;
      // A flow that never ran starts with its initial copy at once.
      clocks[i].next_run_ms = last == 0 ? now : s.NextAfter(last);
    }
  }
  log_->info("running {} flow(s); stop with Ctrl-C", runners_.size());
  while (!stop_.load()) {
    int64_t busy = 0;
    // How long an idle round may wait: the flows' poll intervals, a partial batch's delay, and
    // at most kClockCheckMs for flows that are waiting for their time.
    int64_t wait_ms = -1;
    auto wait_at_most = [&wait_ms](int64_t ms) {
      ms = std::max<int64_t>(0, ms);
      wait_ms = wait_ms < 0 ? ms : std::min(wait_ms, ms);
    };
    // Systems whose realtime flows found nothing: an idle round waits on them as sources. A
    // failed step may have dropped its systems' connections, which are not waited on.
    std::set<std::string> idle_systems, failed_systems;
    for (size_t i = 0; i < runners_.size() && !stop_.load(); ++i) {
      FlowRunner& r = *runners_[i];
      FlowClock& fc = clocks[i];
      now = clock_->NowMs();
      if (now < fc.next_attempt_ms) {
        wait_at_most(std::min(kClockCheckMs, fc.next_attempt_ms - now));
        continue;
      }
      const Schedule& sched = r.flow().schedule;
      bool realtime = sched.kind == Schedule::Kind::kRealtime;
      if (!realtime && !fc.draining) {
        if (now < fc.next_run_ms) {
          wait_at_most(std::min(kClockCheckMs, fc.next_run_ms - now));
          continue;
        }
        fc.draining = true;
        log_->info("flow {}: scheduled run ({})", r.id(), sched.text);
        auto cp = state_->GetCheckpoint(r.id());
        if (cp.ok()) {
          cp->last_run_ms = now;
          state_->PutCheckpoint(*cp).IgnoreError();
        }
      }
      wait_at_most(r.flow().poll_interval_ms);
      auto done = r.Step(/*flush=*/!realtime);
      if (done.ok()) {
        if (fc.failing) {
          log_->info("flow {}: recovered", r.id());
          fc.failing = false;
        }
        fc.backoff.Reset();
        busy += *done;
        if (realtime && *done == 0) {
          if (int64_t due = r.partial_batch_due_ms(); due > 0) {
            wait_at_most(due - clock_->NowMs());
          }
          idle_systems.insert(r.flow().from);
        }
        if (!realtime && *done == 0) {
          fc.draining = false;
          fc.next_run_ms = sched.NextAfter(clock_->NowMs());
        }
      } else {
        const Status& s = done.status();
        failed_systems.insert({r.flow().from, r.flow().to});
        // Not transient (a table or column is missing): an operator has to act; look again every
        // 10 s so the flow resumes soon after the fix.
        int64_t delay = s.IsRetryable() ? fc.backoff.NextDelayMs() : kPausedRetryMs;
        fc.next_attempt_ms = clock_->NowMs() + delay;
        if (!fc.failing || fc.last_error != s.message()) {
          if (s.IsRetryable()) {
            log_->warn("flow {}: {}; retrying in {} ms", r.id(), s.ToString(), delay);
          } else {
            log_->error("flow {} paused: {}; nothing is lost, retrying in {} s", r.id(),
                        s.ToString(), delay / 1000);
          }
        }
        fc.failing = true;
        fc.last_error = s.message();
      }
    }
    if (busy == 0) {
      std::vector<Source*> sources;
      for (const std::string& system : idle_systems) {
        if (failed_systems.count(system)) continue;
        auto conn = pool_->Get(system);  // open: its flow has just used it
        if (conn.ok() && (*conn)->source() != nullptr) sources.push_back((*conn)->source());
      }
      WaitForChanges(wait_ms < 0 ? kClockCheckMs : wait_ms, std::move(sources));
    }
  }
  log_->info("stopped; every applied batch is committed");
  return Status::Ok();
}

Status Engine::RunOnce() {
  // Passes over every flow until one pass finds nothing to do: a flow applied late in a pass
  // (erp->crm) leaves work for a flow earlier in it (its echo in crm's changelog, children
  // waiting for a parent). Converges: records already equal are never written again.
  constexpr int kMaxPasses = 50;
  std::map<std::string, Status> errors;
  for (int pass = 0; pass < kMaxPasses && !stop_.load(); ++pass) {
    int64_t work = 0;
    for (auto& runner : runners_) {
      if (errors.count(runner->id())) continue;
      Backoff backoff(100, 2000);
      int attempts = 0;
      while (!stop_.load()) {
        auto done = runner->Step(/*flush=*/true);
        if (!done.ok()) {
          if (done.status().IsRetryable() && attempts++ < 8) {
            SleepMs(backoff.NextDelayMs());
            continue;
          }
          log_->error("flow {}: {}", runner->id(), done.status().ToString());
          errors[runner->id()] = done.status().WithContext("flow " + runner->id());
          break;
        }
        attempts = 0;
        work += *done;
        if (*done == 0) break;
      }
      // Children parked above may find their parents now.
      auto unparked = runner->RetryParked(/*all=*/true);
      if (unparked.ok()) work += *unparked;
    }
    if (work == 0) break;
  }
  int64_t now = clock_->NowMs();
  for (auto& runner : runners_) {
    auto cp = state_->GetCheckpoint(runner->id());
    if (cp.ok()) {
      cp->last_run_ms = now;
      state_->PutCheckpoint(*cp).IgnoreError();
    }
  }
  return errors.empty() ? Status::Ok() : errors.begin()->second;
}

std::string Engine::Summary() const {
  std::string out;
  for (const auto& r : runners_) {
    const FlowStats& s = r->stats();
    out += fmt::format(
        "{:<32} read {:>7}  applied {:>7}  unchanged {:>6}  echo {:>6}  filtered {:>5}  "
        "rejected {:>5}  parked {:>4}  conflicts {:>4}\n",
        r->id(), s.read, s.applied, s.unchanged, s.echo, s.filtered, s.rejected, s.parked,
        s.conflicts);
  }
  return out;
}

}  // namespace concord
