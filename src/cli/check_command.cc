#include "cli/check_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "core/clock.h"
#include "engine/logging.h"
#include "reconcile/check_scheduler.h"

namespace concord {

CheckCommand::CheckCommand(CLI::App* app) {
  cmd_ = app->add_subcommand(
      "check", "prove two systems hold the same records of an entity; exit 3 when they differ");
  cmd_->add_option("entity", options_.entity, "the entity to compare (e.g. customer)")->required();
  cmd_->add_option("--between", between_, "the two systems, e.g. crm,erp (default: the "
                                          "entity's first flow)")
      ->delimiter(',');
  cmd_->add_option("--where", options_.where,
                   "only records matching this filter (when: syntax), e.g. \"status == 'won'\"");
  cmd_->add_option("--by", options_.group_by,
                   "counts and sums per value of this field (field:month for dates)");
  cmd_->add_option("--fields", options_.fields, "compare only these fields (comma-separated)")
      ->delimiter(',');
  cmd_->add_option("--limit", options_.max_reported_rows, "row differences to list")
      ->capture_default_str();
  cmd_->add_option("--segments", options_.segments, "key-hash segments (default: by row count)");
  cmd_->add_option("--settle-ms", options_.settle_ms,
                   "wait this long before re-reading differences (changes in flight land)")
      ->capture_default_str();
  cmd_->add_flag("--full", options_.full,
                 "ignore the memo of earlier checks: read and map every row (and rebuild it)");
  cmd_->add_flag("--json", json_, "machine-readable report on stdout");
  cmd_->add_option("--html", html_, "also write an HTML report to this file");
  cmd_->add_flag("--repair", repair_, "print the plan that makes the systems agree (via the flows)");
  cmd_->add_flag("--yes", yes_, "with --repair: apply the plan, then check again");
  cmd_->add_option("--prefer", prefer_,
                   "with --repair: the system whose values win for fields both flows carry");
}

int CheckCommand::Run(const Common& c) {
  if (!between_.empty() && between_.size() != 2) {
    std::cerr << "concord check: --between takes two systems, e.g. --between crm,erp\n";
    return kExitUsage;
  }
  if (between_.size() == 2) {
    options_.left = between_[0];
    options_.right = between_[1];
  }
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kEngine, &rc);
  if (!ctx) return rc;
  Engine& engine = *ctx->engine;
  bool tty = isatty(STDERR_FILENO) == 1 && !c.quiet;
  CheckProgress progress = [tty](std::string_view phase, int64_t done, int64_t total) {
    if (!tty) return;
    if (total >= 0) {
      std::cerr << fmt::format("\r\033[K{}: {} of {}", phase, done, total) << std::flush;
    } else {
      std::cerr << fmt::format("\r\033[K{}: {} rows", phase, done) << std::flush;
    }
  };
  int64_t started = SystemClock::Get().NowMs();
  auto report = RunCheck(*ctx->spec, engine.mappers(), engine.pool(), engine.state(), options_,
                         progress);
  if (tty) std::cerr << "\r\033[K" << std::flush;
  Keep(engine, started, report);
  if (!report.ok()) {
    std::cerr << "concord check: " << report.status().message() << "\n";
    return report.status().code() == Code::kInvalidArgument ? kExitUsage : kExitRuntime;
  }
  if (json_) {
    std::cout << CheckReportJson(*report);
  } else {
    std::cout << CheckReportText(*report);
  }
  if (!html_.empty()) {
    std::ofstream out(html_, std::ios::binary | std::ios::trunc);
    out << CheckReportHtml(*report);
    if (!out.good()) {
      std::cerr << "concord check: cannot write " << html_ << "\n";
      return kExitRuntime;
    }
  }
  if (!repair_ || report->Equal()) return report->Equal() ? kExitOk : kExitDifferent;
  return Repair(*ctx->spec, engine, *report, progress);
}

void CheckCommand::Keep(Engine& engine, int64_t started, const Result<CheckReport>& report) {
  if (!report.ok() && report.status().code() == Code::kInvalidArgument) return;  // usage error
  std::string name = report.ok() ? report->Name() : options_.entity;
  engine.state()
      ->AddCheckRun(CheckHistoryEntry(name, "manual", started, SystemClock::Get().NowMs(), report))
      .status()
      .IgnoreError();  // the history is a convenience; the verdict is the exit code
}

int CheckCommand::Repair(const ConfigSpec& spec, Engine& engine, const CheckReport& report,
                         const CheckProgress& progress) {
  auto plan = PlanRepair(spec, engine.mappers(), engine.state(), report, prefer_);
  if (!plan.ok()) {
    std::cerr << "concord check: " << plan.status().message() << "\n";
    return kExitUsage;
  }
  std::ostream& out = json_ ? std::cerr : std::cout;
  out << RepairPlanText(*plan);
  if (!yes_) {
    out << fmt::format("\nnothing was changed; run again with --yes to apply {} action(s)\n",
                       plan->actions.size());
    return kExitDifferent;
  }
  auto outcomes = ApplyRepair(&engine, *plan);
  if (!outcomes.ok()) {
    std::cerr << "concord check: repair: " << outcomes.status().ToString() << "\n";
    return kExitRuntime;
  }
  std::string summary;
  for (const auto& [outcome, n] : *outcomes) {
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, outcome);
  }
  out << "\nrepaired: " << (summary.empty() ? "nothing to do" : summary)
      << " (each in the audit log as repair:<outcome>)\n\nchecking again:\n";
  int64_t started = SystemClock::Get().NowMs();
  auto again = RunCheck(spec, engine.mappers(), engine.pool(), engine.state(), options_,
                        progress);
  Keep(engine, started, again);
  if (!again.ok()) {
    std::cerr << "concord check: " << again.status().message() << "\n";
    return kExitRuntime;
  }
  out << CheckReportText(*again);
  return again->Equal() ? kExitOk : kExitDifferent;
}

}  // namespace concord
