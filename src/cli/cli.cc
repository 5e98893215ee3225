#include "cli/cli.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/check_command.h"
#include "cli/context.h"
#include "reconcile/check_scheduler.h"
#include "config/config.h"
#include "config/when.h"
#include "core/change.h"
#include "core/clock.h"
#include "demo/demo_command.h"
#include "init/init_command.h"
#include "engine/engine.h"
#include "engine/logging.h"
#include "core/did_you_mean.h"
#include "mapping/binding_mapper.h"
#include "profile/dlq_groups.h"
#include "profile/profiler.h"
#include "profile/report.h"

namespace concord {
namespace {

std::atomic<Engine*> g_running_engine{nullptr};

void OnStopSignal(int) {
  Engine* e = g_running_engine.load();
  if (e != nullptr) e->RequestStop();
}

std::string FormatTime(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatDuration(int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms < 120000) return fmt::format("{:.1f} s", ms / 1000.0);
  if (ms < 7200000) return fmt::format("{} min", ms / 60000);
  return fmt::format("{:.1f} h", ms / 3600000.0);
}

int CmdValidate(const Common& c, bool connect) {
  auto spec = LoadOrReport(c.config);
  if (!spec) return kExitUsage;
  if (connect) {
    auto errors = CheckAgainstDatabases(*spec);
    for (const auto& e : errors) std::cerr << e.ToString() << "\n";
    if (!errors.empty()) {
      std::cerr << c.config << ": " << errors.size() << " problem(s) found in the databases\n";
      return kExitUsage;
    }
  }
  std::cout << c.config << ": OK — " << spec->systems.size() << " systems, "
            << spec->entities.size() << " entities, " << spec->bindings.size() << " bindings, "
            << spec->flows.size() << " flows" << (connect ? "; every table and column exists" : "")
            << "\n";
  return kExitOk;
}

// Tables and columns must exist before a run starts; a system that cannot be reached is only a
// warning (the engine retries it). Returns false when the run must not start.
int CmdRun(const Common& c, bool once) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kEngine, &rc, /*check_live_schema=*/true);
  if (!ctx) return rc;
  Engine* engine = ctx->engine.get();
  g_running_engine.store(engine);
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  auto run_id = engine->state()->StartRun(once ? "run --once" : "run", SystemClock::Get().NowMs());
  CheckScheduler checks(*ctx->spec, &SystemClock::Get());  // `checks:`, on their schedules
  if (!once) {
    Status started = checks.Start();
    if (!started.ok()) std::cerr << "concord: scheduled checks: " << started.ToString() << "\n";
  }
  Status s = once ? engine->RunOnce() : engine->Run();
  checks.Stop();
  g_running_engine.store(nullptr);
  std::string summary = engine->Summary();
  if (run_id.ok()) {
    engine->state()->FinishRun(*run_id, s.ok() ? "ok" : s.ToString(), summary,
                                  SystemClock::Get().NowMs()).IgnoreError();
  }
  if (!c.quiet) std::cout << summary;
  if (!s.ok()) {
    std::cerr << "concord: " << s.ToString() << "\n";
    return kExitRuntime;
  }
  return kExitOk;
}

void PrintSamples(const char* label, const std::vector<std::string>& samples, int64_t total) {
  if (samples.empty()) return;
  std::cout << "    " << label << ": ";
  for (size_t i = 0; i < samples.size(); ++i) std::cout << (i ? ", " : "") << samples[i];
  if (total > static_cast<int64_t>(samples.size())) std::cout << ", …";
  std::cout << "\n";
}

int CmdPlan(const Common& c) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kEngine, &rc);
  if (!ctx) return rc;
  Engine* engine = ctx->engine.get();
  std::cout << "Plan (dry run — nothing is changed):\n";
  for (auto& r : engine->runners()) {
    auto plan = r->Plan();
    if (!plan.ok()) {
      std::cout << "  " << r->id() << ": cannot plan: " << plan.status().ToString() << "\n";
      rc = kExitRuntime;
      continue;
    }
    std::cout << fmt::format("  {:<32} {:<9}  create {:>6}  update {:>6}  delete {:>6}  "
                             "unchanged {:>6}  reject {:>5}  filtered {:>5}  waiting {:>4}\n",
                             r->id(), plan->phase, plan->creates, plan->updates, plan->deletes,
                             plan->unchanged, plan->rejects, plan->filtered, plan->waiting);
    PrintSamples("create", plan->sample_creates, plan->creates);
    PrintSamples("update", plan->sample_updates, plan->updates);
    PrintSamples("delete", plan->sample_deletes, plan->deletes);
    PrintSamples("reject", plan->sample_rejects, plan->rejects);
    PrintSamples("waiting", plan->sample_waiting, plan->waiting);
  }
  return rc;
}

// "512 bytes", "1.5 MB": WAL sizes in `concord status` (units of 1024, as PostgreSQL's).
std::string FormatBytes(int64_t n) {
  if (n < 1024) return std::to_string(n) + " bytes";
  const char* units[] = {"kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

int CmdStatus(const Common& c, bool json) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kEngine, &rc);
  if (!ctx) return rc;
  Engine* engine = ctx->engine.get();
  StateStore* state = engine->state();
  int64_t now = SystemClock::Get().NowMs();
  nlohmann::json out = nlohmann::json::array();
  if (!json) {
    std::cout << fmt::format("{:<32} {:<10} {:>8} {:>10} {:>9} {:>5} {:>6} {:>9}  {}\n", "FLOW",
                             "STATE", "BACKLOG", "LAG", "APPLIED", "DLQ", "PARKED", "CONFLICTS",
                             "LAST APPLIED");
  }
  for (auto& r : engine->runners()) {
    auto cp = state->GetCheckpoint(r->id());
    auto dlq = state->CountOpenDlq(r->id());
    auto parked = state->CountParked(r->id());
    auto conflicts = state->CountOpenConflicts(r->flow().entity);
    auto backlog = r->Backlog();
    std::string phase = cp.ok() ? cp->phase : "?";
    std::string backlog_text =
        backlog.ok() ? std::to_string(backlog->count) + (backlog->at_least ? "+" : "") : "?";
    int64_t lag_ms = -1;
    if (backlog.ok() && backlog->count > 0 && backlog->oldest_at_ms > 0) {
      lag_ms = now - backlog->oldest_at_ms;
    } else if (backlog.ok()) {
      lag_ms = 0;
    }
    if (!backlog.ok()) phase += " (source unavailable)";
    if (json) {
      out.push_back({{"flow", r->id()},
                     {"phase", phase},
                     {"schedule", r->flow().schedule.text},
                     {"backlog", backlog.ok() ? backlog->count : -1},
                     {"backlog_at_least", backlog.ok() && backlog->at_least},
                     {"lag_ms", lag_ms},
                     {"last_seq", cp.ok() ? cp->last_seq : 0},
                     {"applied_total", cp.ok() ? cp->applied_total : 0},
                     {"rejected_total", cp.ok() ? cp->rejected_total : 0},
                     {"last_applied_ms", cp.ok() ? cp->last_applied_ms : 0},
                     {"dlq_open", dlq.ok() ? *dlq : -1},
                     {"parked", parked.ok() ? *parked : -1},
                     {"conflicts_open", conflicts.ok() ? *conflicts : -1},
                     {"error", backlog.ok() ? "" : backlog.status().ToString()}});
      if (cp.ok() && cp->phase == "snapshot") {
        out.back()["snapshot_after_key"] = cp->snapshot_after_key;
        auto estimate = r->SourceRowEstimate();
        out.back()["snapshot_estimate_rows"] = estimate.ok() ? *estimate : -1;
      }
      if (backlog.ok() && !backlog->slot.empty()) {
        out.back()["slot"] = backlog->slot;
        out.back()["slot_lag_bytes"] = backlog->slot_lag_bytes;
        out.back()["retained_wal_bytes"] = backlog->retained_bytes;
        out.back()["warning"] = backlog->warning;
      }
    } else {
      std::cout << fmt::format("{:<32} {:<10} {:>8} {:>10} {:>9} {:>5} {:>6} {:>9}  {}\n",
                               r->id(), phase, backlog_text, FormatDuration(lag_ms),
                               cp.ok() ? cp->applied_total : 0, dlq.ok() ? *dlq : -1,
                               parked.ok() ? *parked : -1, conflicts.ok() ? *conflicts : -1,
                               FormatTime(cp.ok() ? cp->last_applied_ms : 0));
      if (!backlog.ok()) std::cout << "    " << backlog.status().ToString() << "\n";
      if (cp.ok() && cp->phase == "snapshot") {
        // How far the initial copy got: what it wrote and rejected, and the last key it
        // recorded (the next run goes on after it), against the source's estimated rows.
        const int64_t done = cp->rows_done();
        auto estimate = r->SourceRowEstimate();
        std::string of;
        if (estimate.ok() && *estimate > 0 && done <= *estimate) {
          of = fmt::format(" (about {}% of {})", done * 100 / *estimate, *estimate);
        }
        std::cout << "    initial copy: "
                  << (cp->snapshot_after_key.empty()
                          ? std::string("not started")
                          : fmt::format("{} rows written, {} rejected, up to key {}{}",
                                        cp->applied_total, cp->rejected_total,
                                        KeyForDisplay(cp->snapshot_after_key), of))
                  << "\n";
      }
      if (backlog.ok() && !backlog->slot.empty()) {
        // Logical capture: how far the replication slot is behind, and what it keeps on disk.
        std::cout << "    slot " << backlog->slot << ": lag " << FormatBytes(backlog->slot_lag_bytes)
                  << ", retained WAL " << FormatBytes(backlog->retained_bytes) << "\n";
      }
      if (backlog.ok() && !backlog->warning.empty()) {
        std::cout << "    warning: " << backlog->warning << "\n";
      }
    }
  }
  if (json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  auto runs = state->LatestCheckRuns();
  if (runs.ok() && !runs->empty()) {
    std::cout << fmt::format("\n{:<32} {:<19} {:<10} {}\n", "CHECK", "LAST RUN", "RESULT", "");
    for (const auto& r : *runs) {
      std::cout << fmt::format("{:<32} {:<19} {:<10} {}\n", r.check, FormatTime(r.started_ms),
                               r.outcome, r.summary);
    }
  }
  return kExitOk;
}

struct DlqListOptions {
  std::string flow, rule, field;
  bool all = false, json = false, entries = false, groups = false;
};

// Default: one line per reason (values stripped, so equal problems group) with its count, age,
// flows and one example in full. --entries: one line per entry. --json: the entries (each with
// its reason pattern), or with --groups the groups.
int CmdDlqList(const Common& c, const DlqListOptions& o) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kState, &rc);
  if (!ctx) return rc;
  StateStore* state = ctx->state.get();
  auto listed = state->ListDlq(o.flow, o.all ? "" : "open");
  if (!listed.ok()) {
    std::cerr << "concord: " << listed.status().ToString() << "\n";
    return kExitRuntime;
  }
  std::vector<DlqEntry> entries;
  for (auto& e : *listed) {
    if ((o.rule.empty() || e.rule == o.rule) && (o.field.empty() || e.field == o.field)) {
      entries.push_back(std::move(e));
    }
  }
  std::vector<DlqGroup> groups = GroupDlq(entries);
  if (o.json && o.groups) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : groups) {
      out.push_back({{"rule", g.rule}, {"field", g.field}, {"reason", g.pattern},
                     {"count", g.count}, {"oldest_ms", g.oldest_ms}, {"newest_ms", g.newest_ms},
                     {"flows", g.flows}, {"example_id", g.example_id},
                     {"example_key", g.example_key}, {"example_reason", g.example_reason}});
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
      out.push_back({{"id", e.id}, {"flow", e.flow}, {"key", KeyForDisplay(e.source_key)},
                     {"op", e.op}, {"rule", e.rule}, {"field", e.field}, {"reason", e.reason},
                     {"reason_pattern", ReasonPattern(e.reason)},
                     {"attempts", e.attempts}, {"status", e.status},
                     {"first_seen_ms", e.first_seen_ms}, {"last_seen_ms", e.last_seen_ms}});
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (entries.empty()) {
    std::cout << "The DLQ is empty" << (o.all ? "" : " (no open entries)")
              << (o.rule.empty() && o.field.empty() ? "" : " for this rule/field") << ".\n";
    return kExitOk;
  }
  if (o.entries) {
    std::cout << fmt::format("{:>5}  {:<28} {:<14} {:<8} {:>3}  {}\n", "ID", "FLOW", "KEY",
                             "STATUS", "TRY", "REASON");
    for (const auto& e : entries) {
      std::string reason = e.reason.size() > 110 ? e.reason.substr(0, 107) + "..." : e.reason;
      std::cout << fmt::format("{:>5}  {:<28} {:<14} {:<8} {:>3}  {}\n", e.id, e.flow,
                               KeyForDisplay(e.source_key), e.status, e.attempts, reason);
    }
    return kExitOk;
  }
  std::cout << fmt::format("{} {} in {} reason(s), largest first:\n\n", entries.size(),
                           o.all ? "entries" : "open entries", groups.size());
  std::cout << fmt::format("{:>6}  {:<19}  {:<19}  {:<20}  {}\n", "COUNT", "OLDEST", "NEWEST",
                           "RULE / FIELD", "FLOWS");
  for (const auto& g : groups) {
    std::string flows;
    for (const auto& f : g.flows) flows += (flows.empty() ? "" : ", ") + f;
    std::cout << fmt::format("{:>6}  {:<19}  {:<19}  {:<20}  {}\n", g.count,
                             FormatTime(g.oldest_ms), FormatTime(g.newest_ms),
                             g.rule + (g.field.empty() ? "" : " / " + g.field), flows);
    std::cout << "        reason:  " << g.pattern << "\n";
    std::cout << "        e.g. #" << g.example_id << " (key " << g.example_key
              << "): " << g.example_reason << "\n";
  }
  std::cout << "\nOne line per entry: concord dlq list --entries [--rule R] [--field F]; "
               "one in full: concord dlq show ID\n";
  return kExitOk;
}

int CmdDlqShow(const Common& c, int64_t id) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kState, &rc);
  if (!ctx) return rc;
  StateStore* state = ctx->state.get();
  auto e = state->GetDlq(id);
  if (!e.ok() || !*e) {
    std::cerr << "concord: no DLQ entry " << id << " (see `concord dlq list --all`)\n";
    return kExitUsage;
  }
  const DlqEntry& d = **e;
  std::cout << "id:          " << d.id << "\n"
            << "flow:        " << d.flow << "\n"
            << "entity:      " << d.entity << "\n"
            << "source key:  " << KeyForDisplay(d.source_key) << "\n"
            << "operation:   " << d.op << "\n"
            << "status:      " << d.status << "\n"
            << "rule:        " << d.rule << (d.field.empty() ? "" : " (field " + d.field + ")")
            << "\n"
            << "reason:      " << d.reason << "\n"
            << "attempts:    " << d.attempts << "\n"
            << "first seen:  " << FormatTime(d.first_seen_ms) << "\n"
            << "last seen:   " << FormatTime(d.last_seen_ms) << "\n";
  if (!d.record_json.empty()) std::cout << "record:      " << d.record_json << "\n";
  std::cout << "\nFix the record in the source system, then: concord dlq retry " << d.id << "\n";
  return kExitOk;
}

int CmdDlqRetry(const Common& c, const std::vector<int64_t>& ids, bool all,
                const std::string& flow) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kEngine, &rc);
  if (!ctx) return rc;
  Engine* engine = ctx->engine.get();
  StateStore* state = engine->state();
  std::vector<DlqEntry> entries;
  if (all) {
    auto list = state->ListDlq(flow, "open");
    if (!list.ok()) {
      std::cerr << "concord: " << list.status().ToString() << "\n";
      return kExitRuntime;
    }
    entries = *list;
  } else {
    for (int64_t id : ids) {
      auto e = state->GetDlq(id);
      if (!e.ok() || !*e) {
        std::cerr << "concord: no DLQ entry " << id << "\n";
        return kExitUsage;
      }
      entries.push_back(**e);
    }
  }
  int failures = 0, fixed = 0;
  for (const auto& e : entries) {
    FlowRunner* r = engine->FindRunner(e.flow);
    if (r == nullptr) {
      std::cerr << "entry " << e.id << ": flow " << e.flow << " is no longer configured; dismiss it\n";
      ++failures;
      continue;
    }
    auto out = r->RetryKeys({e.source_key});
    if (!out.ok()) {
      std::cerr << "entry " << e.id << ": " << out.status().ToString() << "\n";
      ++failures;
      continue;
    }
    std::string outcome = out->begin()->second;
    if (outcome == "dlq") {
      auto again = state->OpenDlqFor(e.flow, e.source_key);
      std::cout << fmt::format("{:>5}  {}  still rejected: {}\n", e.id, KeyForDisplay(e.source_key),
                               again.ok() && *again ? (*again)->reason : "?");
      ++failures;
    } else {
      if (outcome != "parked") {
        state->SetDlqStatus(e.id, "resolved").IgnoreError();
        ++fixed;
      }
      std::cout << fmt::format("{:>5}  {}  {}\n", e.id, KeyForDisplay(e.source_key), outcome);
    }
  }
  std::cout << fixed << " of " << entries.size() << " entries applied\n";
  return failures == 0 ? kExitOk : kExitRuntime;
}

int CmdDlqDismiss(const Common& c, const std::vector<int64_t>& ids) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kState, &rc);
  if (!ctx) return rc;
  StateStore* state = ctx->state.get();
  for (int64_t id : ids) {
    auto e = state->GetDlq(id);
    if (!e.ok() || !*e) {
      std::cerr << "concord: no DLQ entry " << id << "\n";
      return kExitUsage;
    }
    Status s = state->SetDlqStatus(id, "dismissed");
    if (!s.ok()) {
      std::cerr << "concord: " << s.ToString() << "\n";
      return kExitRuntime;
    }
    std::cout << "dismissed " << id << "\n";
  }
  return kExitOk;
}

int CmdConflictsList(const Common& c, bool all, bool json) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kState, &rc);
  if (!ctx) return rc;
  StateStore* state = ctx->state.get();
  auto list = state->ListConflicts(all ? "" : "open");
  if (!list.ok()) {
    std::cerr << "concord: " << list.status().ToString() << "\n";
    return kExitRuntime;
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *list) {
      out.push_back({{"id", e.id}, {"entity", e.entity}, {"key", KeyForDisplay(e.canonical_key)},
                     {"system_a", e.system_a}, {"values_a", nlohmann::json::parse(e.values_a_json, nullptr, false)},
                     {"system_b", e.system_b}, {"values_b", nlohmann::json::parse(e.values_b_json, nullptr, false)},
                     {"status", e.status}, {"resolution", e.resolution}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (list->empty()) {
    std::cout << "No " << (all ? "" : "open ") << "conflicts.\n";
    return kExitOk;
  }
  for (const auto& e : *list) {
    std::cout << fmt::format("{:>5}  {} {}  [{}]\n", e.id, e.entity, KeyForDisplay(e.canonical_key),
                             e.status + (e.resolution.empty() ? "" : " → " + e.resolution));
    std::cout << fmt::format("       {:<8} {}\n       {:<8} {}\n", e.system_a, e.values_a_json,
                             e.system_b, e.values_b_json);
  }
  std::cout << "\nResolve with: concord conflicts resolve ID --take SYSTEM\n";
  return kExitOk;
}

int CmdConflictsResolve(const Common& c, int64_t id, const std::string& take) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kEngine, &rc);
  if (!ctx) return rc;
  Engine* engine = ctx->engine.get();
  StateStore* state = engine->state();
  auto entry = state->GetConflict(id);
  if (!entry.ok() || !*entry) {
    std::cerr << "concord: no conflict " << id << " (see `concord conflicts list --all`)\n";
    return kExitUsage;
  }
  const ConflictEntry& e = **entry;
  if (take != e.system_a && take != e.system_b) {
    std::cerr << "concord: --take must be " << e.system_a << " or " << e.system_b << ", not \""
              << take << "\"\n";
    return kExitUsage;
  }
  std::string loser = take == e.system_a ? e.system_b : e.system_a;
  FlowRunner* r = engine->FindRunner(e.entity + ":" + take + "->" + loser);
  if (r == nullptr) {
    std::cerr << "concord: no flow " << e.entity << " " << take << "->" << loser
              << " to carry the winning values\n";
    return kExitUsage;
  }
  Status s = state->ResolveConflict(id, take, SystemClock::Get().NowMs());
  if (!s.ok()) {
    std::cerr << "concord: " << s.ToString() << "\n";
    return kExitRuntime;
  }
  auto outcome = r->TakeSourceSide(e.canonical_key);
  if (!outcome.ok()) {
    std::cerr << "concord: " << outcome.status().ToString() << "\n";
    return kExitRuntime;
  }
  std::cout << "conflict " << id << " resolved: " << take << "'s values "
            << (*outcome == "applied" ? "written to " + loser : "kept (" + *outcome + ")") << "\n";
  return kExitOk;
}

int CmdUninstall(const Common& c) {
  int rc = kExitOk;
  auto ctx = Context::Open(c, Context::kEngine, &rc);
  if (!ctx) return rc;
  Engine* engine = ctx->engine.get();
  for (auto& r : engine->runners()) {
    const FlowSpec& f = r->flow();
    const auto& mapper = engine->mappers().at(f.from + "." + f.entity);
    if (mapper->binding().capture != CaptureMode::kTrigger &&
        mapper->binding().capture != CaptureMode::kLogical) {
      continue;  // poll installs nothing
    }
    auto conn = engine->pool()->Get(f.from);
    Status s = conn.ok() ? (*conn)->source()->RemoveCapture(mapper->table(), r->id()) : conn.status();
    if (s.ok()) {
      std::cout << "removed capture for " << r->id() << " on " << f.from << "."
                << mapper->table().table << "\n";
    } else {
      std::cerr << r->id() << ": " << s.ToString() << "\n";
      rc = kExitRuntime;
    }
  }
  return rc;
}

struct ProfileArgs {
  std::string target;  // "crm.customer"
  std::string html;
  std::string where;  // `--where`, the when: syntax
  bool json = false;
  int top = 10;
};

// `concord profile`: reads one binding's table (ReadChunk only — no capture installed, nothing
// written, the state store not opened) and prints its data-quality report.
int CmdProfile(const Common& c, const ProfileArgs& a) {
  auto spec = LoadOrReport(c.config);
  if (!spec) return kExitUsage;
  if (a.top < 1) {
    std::cerr << "concord profile: --top must be at least 1, not " << a.top << "\n";
    return kExitUsage;
  }
  const BindingSpec* binding = nullptr;
  if (auto it = spec->bindings.find(a.target); it != spec->bindings.end()) binding = &it->second;
  if (binding == nullptr) {
    std::vector<std::string> names;
    for (const auto& [name, b] : spec->bindings) names.push_back(name);
    std::string near = ClosestMatch(a.target, names);
    std::cerr << "concord profile: no binding \"" << a.target << "\" in " << c.config
              << (near.empty() ? "" : " (did you mean \"" + near + "\"?)") << "; bindings:";
    for (const auto& n : names) std::cerr << " " << n;
    std::cerr << "\n";
    return kExitUsage;
  }
  auto entity = spec->entities.find(binding->entity);
  if (entity == spec->entities.end()) {
    std::cerr << "concord profile: entity \"" << binding->entity << "\" is not declared\n";
    return kExitUsage;
  }
  BindingMapper mapper(entity->second, *binding);
  SystemPool pool(*spec);
  auto conn = pool.Get(binding->system);
  if (!conn.ok()) {
    std::cerr << "concord: " << conn.status().ToString() << "\n";
    return kExitRuntime;
  }
  Source* source = (*conn)->source();
  if (source == nullptr) {
    std::cerr << "concord profile: the connector of " << binding->system << " cannot read\n";
    return kExitRuntime;
  }
  ProfileOptions options;
  options.top_n = static_cast<size_t>(a.top);
  if (!a.where.empty()) {
    auto where = ParseWhereOption(
        a.where, [&](const std::string& f) { return mapper.mapped_fields().count(f) > 0; },
        "not mapped by binding " + binding->Name());
    if (!where.ok()) {
      std::cerr << "concord profile: " << where.status().message() << "\n";
      return kExitUsage;
    }
    options.where = std::move(*where);
  }
  Profiler profiler(mapper, options);
  // A progress line on stderr when it is a terminal: rows read of the table's rows (counted
  // first, where the connector can) and the rate, redrawn in place.
  const bool show_progress = !c.quiet && isatty(STDERR_FILENO);
  const auto started = std::chrono::steady_clock::now();
  auto progress = [&](int64_t rows, int64_t total) {
    if (!show_progress) return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string read = total < 0 ? fmt::format("{} rows read", rows)
                                 : fmt::format("{} of {} rows read ({:.0f}%)", rows, total,
                                               total > 0 ? 100.0 * rows / total : 100.0);
    std::cerr << fmt::format("\r{}: {}, {:.0f} rows/s ", a.target, read, s > 0 ? rows / s : 0.0)
              << std::flush;
  };
  Status scanned = profiler.Scan(source, progress);
  if (show_progress) std::cerr << "\n";
  if (!scanned.ok()) {
    std::cerr << "concord: " << scanned.ToString() << "\n";
    return kExitRuntime;
  }
  ProfileReport report = profiler.Finish();
  if (!a.html.empty()) {
    std::ofstream out(a.html, std::ios::binary | std::ios::trunc);
    out << ReportToHtml(report);
    out.close();
    if (!out) {
      std::cerr << "concord profile: cannot write \"" << a.html << "\"\n";
      return kExitRuntime;
    }
    if (!a.json && !c.quiet) std::cerr << "report written to " << a.html << "\n";
  }
  if (a.json) {
    std::cout << ReportToJson(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << ReportToText(report);
  }
  return kExitOk;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"concord — keeps a company's business systems in sync, and proves it"};
  app.require_subcommand(1);
  app.fallthrough();  // -c, -v, -q also after the command: `concord run -q`
  Common c;
  app.add_option("-c,--config", c.config, "configuration file")->capture_default_str();
  app.add_flag("-v,--verbose", c.verbose, "debug logging");
  app.add_flag("-q,--quiet", c.quiet, "warnings and errors only");

  bool once = false;
  auto* run = app.add_subcommand("run", "run every flow in the foreground (Ctrl-C stops cleanly)");
  run->add_flag("--once", once, "apply everything pending, then exit");

  bool connect = false;
  auto* validate = app.add_subcommand("validate", "check the configuration; exit 2 on errors");
  validate->add_flag("--connect", connect, "also check tables and columns in the live databases");

  auto* plan = app.add_subcommand("plan", "dry run: what each flow would create/update/delete");

  bool json = false;
  auto* status = app.add_subcommand("status", "per flow: state, backlog, lag, DLQ, conflicts");
  status->add_flag("--json", json, "machine-readable output");

  auto* dlq = app.add_subcommand("dlq", "records that could not be applied");
  dlq->require_subcommand(1);
  std::string flow;
  bool all = false;
  std::vector<int64_t> ids;
  int64_t id = 0;
  DlqListOptions dlq_opts;
  auto* dlq_list = dlq->add_subcommand("list", "open entries grouped by reason, with counts");
  dlq_list->add_option("--flow", dlq_opts.flow, "only this flow (e.g. customer:crm->erp)");
  dlq_list->add_option("--rule", dlq_opts.rule, "only entries that broke this rule (e.g. type)");
  dlq_list->add_option("--field", dlq_opts.field, "only entries about this field");
  dlq_list->add_flag("--all", dlq_opts.all, "include resolved and dismissed entries");
  dlq_list->add_flag("--entries", dlq_opts.entries, "one line per entry instead of per reason");
  dlq_list->add_flag("--json", dlq_opts.json, "machine-readable output: the entries");
  dlq_list->add_flag("--groups", dlq_opts.groups, "with --json: the groups instead");
  auto* dlq_show = dlq->add_subcommand("show", "one entry in full");
  dlq_show->add_option("id", id, "entry id")->required();
  auto* dlq_retry = dlq->add_subcommand("retry", "re-read the source record(s) and apply now");
  dlq_retry->add_option("ids", ids, "entry ids");
  dlq_retry->add_flag("--all", all, "every open entry");
  dlq_retry->add_option("--flow", flow, "with --all: only this flow");
  auto* dlq_dismiss = dlq->add_subcommand("dismiss", "stop tracking entries");
  dlq_dismiss->add_option("ids", ids, "entry ids")->required();

  auto* conflicts = app.add_subcommand("conflicts", "fields both sides changed (conflict: manual)");
  conflicts->require_subcommand(1);
  auto* conflicts_list = conflicts->add_subcommand("list", "list open conflicts");
  conflicts_list->add_flag("--all", all, "include resolved ones");
  conflicts_list->add_flag("--json", json, "machine-readable output");
  std::string take;
  auto* conflicts_resolve = conflicts->add_subcommand("resolve", "pick the winning system");
  conflicts_resolve->add_option("id", id, "conflict id")->required();
  conflicts_resolve->add_option("--take", take, "the system whose values win")->required();

  auto* uninstall = app.add_subcommand("uninstall", "remove concord's triggers and changelogs");
  CheckCommand check(&app);
  demo::DemoCommand demo_cmd(&app);
  init::InitCommand init_cmd(&app);

  ProfileArgs profile_args;
  auto* profile = app.add_subcommand(
      "profile", "data-quality report of one binding's table (reads only, changes nothing)");
  profile->add_option("binding", profile_args.target, "<system>.<entity>, e.g. crm.customer")
      ->required();
  profile->add_option("--html", profile_args.html, "also write a self-contained HTML report");
  profile->add_flag("--json", profile_args.json, "machine-readable output");
  profile->add_option("--where", profile_args.where,
                      "only rows matching this filter (when: syntax, as for check), e.g. "
                      "\"grade == 'A'\"");
  profile->add_option("--top", profile_args.top, "most frequent values shown per field")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  SetLogLevel(c.verbose ? spdlog::level::debug
                        : (c.quiet ? spdlog::level::warn : spdlog::level::info));

  if (run->parsed()) return CmdRun(c, once);
  if (validate->parsed()) return CmdValidate(c, connect);
  if (plan->parsed()) return CmdPlan(c);
  if (status->parsed()) return CmdStatus(c, json);
  if (dlq_list->parsed()) return CmdDlqList(c, dlq_opts);
  if (dlq_show->parsed()) return CmdDlqShow(c, id);
  if (dlq_retry->parsed()) {
    if (!all && ids.empty()) {
      std::cerr << "concord dlq retry: give entry ids or --all\n";
      return kExitUsage;
    }
    return CmdDlqRetry(c, ids, all, flow);
  }
  if (dlq_dismiss->parsed()) return CmdDlqDismiss(c, ids);
  if (conflicts_list->parsed()) return CmdConflictsList(c, all, json);
  if (conflicts_resolve->parsed()) return CmdConflictsResolve(c, id, take);
  if (uninstall->parsed()) return CmdUninstall(c);
  if (check.parsed()) return check.Run(c);
  if (demo_cmd.parsed()) return demo_cmd.Run(c.verbose);
  if (init_cmd.parsed()) return init_cmd.Run();
  if (profile->parsed()) return CmdProfile(c, profile_args);
  return kExitUsage;
}

}  // namespace concord
