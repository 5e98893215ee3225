#include "reconcile/check_scheduler.h"

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "engine/logging.h"
#include "reconcile/compared_fields.h"

namespace concord {

CheckRunEntry CheckHistoryEntry(const std::string& name, const std::string& trigger,
                                int64_t started_ms, int64_t finished_ms,
                                const Result<CheckReport>& result) {
  CheckRunEntry e;
  e.check = name;
  e.trigger = trigger;
  e.started_ms = started_ms;
  e.finished_ms = finished_ms;
  if (!result.ok()) {
    e.outcome = "failed";
    e.summary = result.status().message();
    return e;
  }
  const CheckReport& r = *result;
  e.outcome = r.Equal() ? "equal" : "different";
  e.left_rows = r.left_totals.rows;
  e.right_rows = r.right_totals.rows;
  e.missing_left = r.missing_left;
  e.missing_right = r.missing_right;
  e.differing = r.differing;
  e.summary = r.Equal() ? fmt::format("{} = {} rows", r.left_totals.rows, r.right_totals.rows)
                        : fmt::format("{} missing in {}, {} missing in {}, {} differ",
                                      r.missing_right, r.right, r.missing_left, r.left,
                                      r.differing);
  int64_t unplaced = r.left_totals.unmappable + r.right_totals.unmappable;
  if (unplaced > 0) e.summary += fmt::format(", {} without a usable key", unplaced);
  return e;
}

CheckOptions OptionsFor(const CheckSpec& check) {
  CheckOptions o;
  o.entity = check.entity;
  o.left = check.left;
  o.right = check.right;
  o.where = check.where;
  return o;
}

Status CheckScheduler::Start() {
  if (spec_.checks.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(engine_, Engine::Create(spec_, clock_));
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void CheckScheduler::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void CheckScheduler::Loop() {
  std::map<std::string, int64_t> last_started;  // by history name
  auto latest = engine_->state()->LatestCheckRuns();
  if (latest.ok()) {
    for (const auto& run : *latest) last_started[run.check] = run.started_ms;
  }
  std::vector<std::string> names;  // as the history names them: the systems resolved
  std::vector<int64_t> next;
  for (const CheckSpec& c : spec_.checks) {
    auto systems = ChooseSystems(spec_, c.entity, c.left, c.right);
    names.push_back(systems.ok() ? CheckName(c.entity, systems->first, systems->second)
                                 : c.Id());
    auto last = last_started.find(names.back());
    next.push_back(last == last_started.end() ? clock_->NowMs()
                                              : c.schedule.NextAfter(last->second));
  }
  while (!stop_.load()) {
    for (size_t i = 0; i < spec_.checks.size() && !stop_.load(); ++i) {
      if (clock_->NowMs() < next[i]) continue;
      int64_t started = clock_->NowMs();
      RunOne(spec_.checks[i], names[i]);
      next[i] = spec_.checks[i].schedule.NextAfter(started);
    }
    for (int waited = 0; waited < 1000 && !stop_.load(); waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void CheckScheduler::RunOne(const CheckSpec& check, const std::string& name) {
  auto log = ComponentLogger("check");
  CheckOptions options = OptionsFor(check);
  options.stop_requested = [this] { return stop_.load(); };
  int64_t started = clock_->NowMs();
  log->info("check {}: scheduled run ({})", name, check.schedule.text);
  Result<CheckReport> result = RunCheck(spec_, engine_->mappers(), engine_->pool(),
                                        engine_->state(), options);
  int64_t finished = clock_->NowMs();
  if (!result.ok() && stop_.load()) return;  // stopped: no verdict to keep
  CheckRunEntry entry = CheckHistoryEntry(name, "schedule", started, finished, result);
  Status saved = engine_->state()->AddCheckRun(entry).status();
  if (!saved.ok()) log->warn("check {}: result not kept: {}", name, saved.ToString());
  if (!result.ok()) {
    log->error("check {} failed: {}", name, result.status().ToString());
  } else if (result->missing_left + result->missing_right + result->differing +
                 result->left_totals.unmappable + result->right_totals.unmappable >
             check.alert_above) {
    log->error("check {}: ALERT: {} (alert above {})", name, entry.summary, check.alert_above);
  } else {
    log->info("check {}: {} ({})", name, entry.outcome, entry.summary);
  }
}

}  // namespace concord
