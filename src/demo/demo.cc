// `concord demo` (see demo.h): generate, configure, plan, sync, simulate, report.
#include "demo/demo.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "config/config.h"
#include "core/change.h"
#include "core/clock.h"
#include "core/text.h"
#include "demo/generator.h"
#include "demo/simulator.h"
#include "engine/engine.h"
#include "reconcile/check.h"

namespace concord::demo {
namespace {


void Heading(std::ostream& out, const std::string& title) { out << "\n== " << title << "\n"; }

int64_t Percentile(std::vector<int64_t> v, int pct) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t i = (v.size() * static_cast<size_t>(pct) + 99) / 100;
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

void PrintDataset(std::ostream& out, const Dataset& d, const DemoOptions& o) {
  Heading(out, fmt::format("Two systems that should agree (generated, seed {})", o.seed));
  auto line = [&](const std::string& sys, const std::string& label) {
    std::string text;
    for (const auto& [name, n] : d.rows) {
      if (name.rfind(sys + ".", 0) != 0) continue;
      text += fmt::format("{}{} {}", text.empty() ? "" : " · ", name.substr(sys.size() + 1),
                          Thousands(n));
    }
    out << fmt::format("  {:<4} {}\n       {}\n", sys, label, text);
  };
  line("crm", "crm.db — English names; phones and dates as reps typed them");
  line("erp", "erp.db — Chinese naming (cust_name, 联系电话, 信用额度), +86 phones");
  out << fmt::format("  The ERP already knew {} of the CRM's customers. {} accounts are duplicates "
                     "of another.\n",
                     Thousands(d.erp_known_customers), Thousands(d.duplicates.size()));
  std::map<std::string, int> problems;
  for (const auto& r : d.invalid) problems[r.system + "." + r.table + ": " + r.problem]++;
  out << fmt::format("  {} rows are invalid on purpose:\n", Thousands(d.invalid.size()));
  for (const auto& [p, n] : problems) out << fmt::format("  {:>6}  {}\n", n, p);
}

struct FlowLine {
  std::string id;
  FlowStats stats;
};

std::vector<FlowLine> Snapshot(Engine& engine) {
  std::vector<FlowLine> out;
  for (auto& r : engine.runners()) out.push_back({r->id(), r->stats()});
  return out;
}

// `more` (a later engine's counters, same flows in the same order) added to `sum`.
void AddStats(std::vector<FlowLine>* sum, const std::vector<FlowLine>& more) {
  for (size_t i = 0; i < sum->size() && i < more.size(); ++i) {
    FlowStats& s = (*sum)[i].stats;
    const FlowStats& m = more[i].stats;
    s.read += m.read;
    s.applied += m.applied;
    s.unchanged += m.unchanged;
    s.echo += m.echo;
    s.filtered += m.filtered;
    s.rejected += m.rejected;
    s.parked += m.parked;
    s.conflicts += m.conflicts;
    s.apply_ms.insert(s.apply_ms.end(), m.apply_ms.begin(), m.apply_ms.end());
  }
}

// Per flow: what it did (since `before`, when given) and how many records wait for a parent now.
void PrintStatsTable(std::ostream& out, StateStore* state, const std::vector<FlowLine>& now,
                     const std::vector<FlowLine>* before) {
  out << fmt::format("  {:<24} {:>7} {:>8} {:>9} {:>8} {:>8} {:>8}\n", "FLOW", "READ",
                     "WRITTEN", "UNCHANGED", "FILTERED", "REJECTED", "WAITING");
  for (size_t i = 0; i < now.size(); ++i) {
    FlowStats s = now[i].stats;
    if (before != nullptr) {
      const FlowStats& b = (*before)[i].stats;
      s.read -= b.read;
      s.applied -= b.applied;
      s.unchanged -= b.unchanged;
      s.filtered -= b.filtered;
      s.rejected -= b.rejected;
    }
    auto waiting = state->CountParked(now[i].id);
    out << fmt::format("  {:<24} {:>7} {:>8} {:>9} {:>8} {:>8} {:>8}\n", now[i].id,
                       Thousands(s.read), Thousands(s.applied), Thousands(s.unchanged),
                       Thousands(s.filtered), Thousands(s.rejected),
                       waiting.ok() ? Thousands(*waiting) : "?");
  }
}

// Open DLQ entries grouped by flow, rule and field, with one example each.
Status PrintRejections(std::ostream& out, StateStore* state) {
  ASSIGN_OR_RETURN(auto entries, state->ListDlq("", "open"));
  if (entries.empty()) {
    out << "  The DLQ is empty.\n";
    return Status::Ok();
  }
  struct Group {
    int64_t n = 0;
    std::string example;
  };
  std::map<std::string, Group> groups;
  for (const auto& e : entries) {
    Group& g = groups[fmt::format("{:<20} {}{}", e.flow, e.rule,
                                  e.field.empty() ? "" : " (" + e.field + ")")];
    if (g.n++ == 0) g.example = KeyForDisplay(e.source_key) + ": " + e.reason;
  }
  for (const auto& [name, g] : groups) {
    std::string ex = g.example.size() > 150 ? g.example.substr(0, 147) + "..." : g.example;
    out << fmt::format("  {:>5}  {}\n         e.g. {}\n", g.n, name, ex);
  }
  return Status::Ok();
}

// End-to-end latency of the live phase: for each change a flow applied, the time from the
// simulator's commit of that row (the latest one before the apply) to concord's commit.
std::vector<int64_t> EndToEndLatencies(const ConfigSpec& spec, Engine& engine,
                                       const BusinessSimulator& sim, int64_t since_ms) {
  std::vector<int64_t> out;
  for (auto& r : engine.runners()) {
    const BindingSpec* b = spec.Binding(r->flow().from, r->flow().entity);
    if (b == nullptr) continue;
    auto table = sim.writes().find(r->flow().from + "." + b->table);
    if (table == sim.writes().end()) continue;
    auto audit = engine.state()->ListAudit(r->id(), 0);
    if (!audit.ok()) continue;
    for (const AuditEntry& a : *audit) {
      if (a.seq == 0 || a.outcome != "applied" || a.at_ms < since_ms) continue;
      auto key = table->second.find(a.source_key);
      if (key == table->second.end()) continue;
      auto it = std::upper_bound(key->second.begin(), key->second.end(), a.at_ms);
      if (it == key->second.begin()) continue;
      out.push_back(a.at_ms - *std::prev(it));
    }
  }
  return out;
}

// One line of live progress: what the business did, what concord did.
class Progress {
 public:
  Progress(std::ostream& err, bool tty, StateStore* state, int seconds)
      : err_(err), tty_(tty), state_(state), seconds_(seconds) {}

  void Show(double elapsed_s, int64_t events) {
    int64_t applied = 0, rejected = 0;
    auto cps = state_->AllCheckpoints();
    if (cps.ok()) {
      for (const auto& cp : *cps) {
        applied += cp.applied_total;
        rejected += cp.rejected_total;
      }
    }
    auto waiting = state_->CountParked("");
    std::string line = fmt::format(
        "[{:>4.0f}s/{}s] business events {:>6} · concord applied {:>7} · rejected {:>5} · "
        "waiting {:>4}",
        elapsed_s, seconds_, Thousands(events), Thousands(applied), Thousands(rejected),
        waiting.ok() ? Thousands(*waiting) : "?");
    if (tty_) {
      err_ << "\r\033[K" << line << std::flush;
    } else {
      err_ << line << "\n";
    }
  }
  void Done() {
    if (tty_) err_ << "\n";
  }

 private:
  std::ostream& err_;
  bool tty_;
  StateStore* state_;
  int seconds_;
};

// The final check: per entity, `concord check` between the two systems; every row that differs
// must be one concord rejected (open in the DLQ) or one that waits for a rejected parent. Prints
// those rows by key, and any other difference loudly (it would be a bug). Returns how many rows
// differ without such an explanation.
Result<int64_t> FinalCheck(std::ostream& out, const ConfigSpec& spec, Engine& engine) {
  int64_t unexplained = 0;
  for (const auto& [name, entity] : spec.entities) {
    // Why a key may differ: "DLQ type phone" or "waits for its parent".
    std::map<std::string, std::string> explained;
    for (auto& r : engine.runners()) {
      if (r->flow().entity != name) continue;
      ASSIGN_OR_RETURN(auto dlq, engine.state()->ListDlq(r->id(), "open"));
      for (const auto& e : dlq) {
        explained[KeyForDisplay(e.source_key)] =
            fmt::format("rejected by {}: {} {}", r->id(), e.rule, e.field);
      }
      ASSIGN_OR_RETURN(auto parked, engine.state()->DueParked(r->id(), INT64_MAX));
      for (const auto& pc : parked) {
        explained[KeyForDisplay(pc.source_key)] = "waits for its parent, which was rejected";
      }
    }
    CheckOptions o;
    o.entity = name;
    o.max_reported_rows = 100000;
    // Drafts never leave the CRM (the order flow's `when:`), so they are not compared.
    if (name == "order") o.where = "status != 'draft'";
    ASSIGN_OR_RETURN(CheckReport report, RunCheck(spec, engine.mappers(), engine.pool(),
                                                  engine.state(), o));
    int64_t differ = report.missing_left + report.missing_right + report.differing;
    std::vector<std::string> named, other;
    for (const RowDifference& d : report.rows) {
      auto why = explained.find(d.key_display);
      if (why != explained.end()) {
        named.push_back(d.key_display);
      } else {
        other.push_back(fmt::format("{} ({})", d.key_display, RowDifferenceKindName(d.kind)));
      }
    }
    out << fmt::format("  {:<10} {} {:>6} rows · {} {:>6} rows · ", name, report.left,
                       Thousands(report.left_totals.rows), report.right,
                       Thousands(report.right_totals.rows));
    if (differ == 0) {
      out << "they agree\n";
      continue;
    }
    if (other.empty()) {
      out << fmt::format("{} differ, all of them rows concord rejected or that wait for a "
                         "rejected parent:\n",
                         Thousands(differ));
    } else {
      out << fmt::format("{} differ, {} of them NOT explained by a rejection:\n",
                         Thousands(differ), Thousands(other.size()));
    }
    auto list = [&](const std::vector<std::string>& keys, const char* label) {
      if (keys.empty()) return;
      std::string text;
      for (size_t i = 0; i < keys.size() && i < 10; ++i) text += (i ? ", " : "") + keys[i];
      if (keys.size() > 10) text += fmt::format(", … ({} in all)", keys.size());
      out << fmt::format("             {}: {}\n", label, text);
    };
    list(named, "rejected or waiting");
    list(other, "unexplained");
    unexplained += static_cast<int64_t>(other.size());
  }
  return unexplained;
}

Status RemoveOld(const std::string& dir) {
  std::error_code ec;
  for (const char* f : {"concord-state.db", "concord-state.db-wal", "concord-state.db-shm"}) {
    std::filesystem::remove(dir + "/" + f, ec);
    if (ec) return InvalidArgument("demo: cannot remove " + dir + "/" + f + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace

Status RunDemo(const DemoOptions& o, std::ostream& out, std::ostream& err) {
  if (o.seconds < 0 || o.seconds > 3600) {
    return InvalidArgument(fmt::format("--seconds must be 0 to 3600, not {}", o.seconds));
  }
  const Clock* clock = &SystemClock::Get();
  out << fmt::format("concord demo — seed {}, {} s of business, everything in {}/\n", o.seed,
                     o.seconds, o.dir);

  // 1. The two systems and the config.
  GeneratorOptions g;
  g.seed = o.seed;
  ASSIGN_OR_RETURN(Dataset data, GenerateDatabases(o.dir, g));
  PrintDataset(out, data, o);
  RETURN_IF_ERROR(RemoveOld(o.dir));
  const std::string config_path = o.dir + "/concord.yaml";
  {
    std::ofstream f(config_path, std::ios::trunc);
    f << DemoConfigYaml();
    if (!f) return InvalidArgument("demo: cannot write " + config_path);
  }
  std::vector<ConfigError> errors;
  auto loaded = LoadConfigFile(config_path, &errors);
  if (!loaded.ok()) {
    std::string all;
    for (const auto& e : errors) all += "\n" + e.ToString();
    return InvalidArgument("demo: the generated config does not validate (a bug):" + all);
  }
  auto spec = std::make_unique<ConfigSpec>(std::move(loaded).value());
  Heading(out, "concord validate");
  out << fmt::format("  {}/concord.yaml: OK — {} systems, {} entities, {} bindings, {} flows "
                     "(read it: every flow explains itself)\n",
                     o.dir, spec->systems.size(), spec->entities.size(), spec->bindings.size(),
                     spec->flows.size());

  ASSIGN_OR_RETURN(auto engine, Engine::Create(*spec, clock));

  // 2. The plan: a dry run.
  Heading(out, "concord plan   (dry run: nothing is written)");
  out << fmt::format("  {:<24} {:>7} {:>7} {:>9} {:>7} {:>8} {:>7}\n", "FLOW", "CREATE",
                     "UPDATE", "UNCHANGED", "REJECT", "FILTERED", "WAITING");
  for (auto& r : engine->runners()) {
    auto p = r->Plan();
    if (!p.ok()) {
      out << "  " << r->id() << ": cannot plan: " << p.status().ToString() << "\n";
      continue;
    }
    out << fmt::format("  {:<24} {:>7} {:>7} {:>9} {:>7} {:>8} {:>7}\n", r->id(),
                       Thousands(p->creates), Thousands(p->updates), Thousands(p->unchanged),
                       Thousands(p->rejects), Thousands(p->filtered), Thousands(p->waiting));
  }

  // 3. The initial sync, both ways.
  Heading(out, "Initial sync, both ways   (concord run --once)");
  auto run_id = engine->state()->StartRun("demo", clock->NowMs());
  RETURN_IF_ERROR(engine->RunOnce());
  std::vector<FlowLine> initial = Snapshot(*engine);
  PrintStatsTable(out, engine->state(), initial, nullptr);
  out << "  Rejected, by reason (concord dlq list):\n";
  RETURN_IF_ERROR(PrintRejections(out, engine->state()));

  // 4. Live business while concord runs in real time on its own thread.
  Heading(out, fmt::format("{} s of business on both systems while concord runs in real time",
                           o.seconds));
  ASSIGN_OR_RETURN(auto sim, BusinessSimulator::Open(o.dir, o.seed, clock));
  ASSIGN_OR_RETURN(auto progress_state, StateStore::Open(spec->state_path));
  Progress progress(err, o.tty, progress_state.get(), o.seconds);
  const int64_t live_start = clock->NowMs();
  Status engine_status;
  std::thread engine_thread([&] { engine_status = engine->Run(); });
  Status sim_status;
  const int64_t total_events = static_cast<int64_t>(o.seconds) * o.events_per_second;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_shown = t0 - std::chrono::seconds(10);
  const auto show_every = std::chrono::milliseconds(o.tty ? 250 : 5000);
  while (sim->total() < total_events && sim_status.ok()) {
    // Events are paced evenly over the run; a slow machine does them all, just later.
    auto due = t0 + std::chrono::milliseconds(sim->total() * 1000 / o.events_per_second);
    std::this_thread::sleep_until(due);
    sim_status = sim->Step();
    auto now = std::chrono::steady_clock::now();
    if (now - last_shown >= show_every) {
      progress.Show(std::chrono::duration<double>(now - t0).count(), sim->total());
      last_shown = now;
    }
  }
  engine->RequestStop();
  engine_thread.join();
  progress.Show(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                sim->total());
  progress.Done();
  RETURN_IF_ERROR(sim_status);
  RETURN_IF_ERROR(engine_status);
  // Whatever was still in flight (and the scheduled stock flow) is applied now, by a fresh
  // engine: a stopped one stays stopped.
  std::vector<FlowLine> final_stats = Snapshot(*engine);
  engine.reset();
  ASSIGN_OR_RETURN(engine, Engine::Create(*spec, clock));
  RETURN_IF_ERROR(engine->RunOnce());
  AddStats(&final_stats, Snapshot(*engine));
  for (const auto& [kind, n] : sim->counts()) out << fmt::format("  {:>6}  {}\n", n, kind);

  // 5. The report.
  Heading(out, "Report");
  out << "  Synced during the live phase, per flow:\n";
  PrintStatsTable(out, engine->state(), final_stats, &initial);
  out << "  Rejected, by reason — everything that is in the DLQ now (concord dlq list):\n";
  RETURN_IF_ERROR(PrintRejections(out, engine->state()));
  // From the audit log: a change whose field the other side had changed too since the last sync.
  ASSIGN_OR_RETURN(int64_t conflicts_seen, engine->state()->CountAudit("", "conflict"));
  ASSIGN_OR_RETURN(int64_t conflicts_open, engine->state()->CountOpenConflicts(""));
  out << fmt::format("  Conflicts: {} change(s) met a change to the same field from the other "
                     "side, settled by the flows' rule (prefer: erp); {} open for a person "
                     "(concord conflicts list).\n",
                     conflicts_seen, conflicts_open);
  std::vector<int64_t> e2e = EndToEndLatencies(*spec, *engine, *sim, live_start);
  std::vector<int64_t> apply;
  for (const auto& f : final_stats) {
    apply.insert(apply.end(), f.stats.apply_ms.begin(), f.stats.apply_ms.end());
  }
  if (e2e.empty()) {
    out << "  Latency: no live change was applied (run longer: --seconds).\n";
  } else {
    out << fmt::format("  Latency, business commit → committed in the other system: p50 {} ms, "
                       "p99 {} ms over {} changes (the stock flow runs every 5 s, by design)\n",
                       Percentile(e2e, 50), Percentile(e2e, 99), Thousands(e2e.size()));
  }
  if (!apply.empty()) {
    out << fmt::format("  Batch write time in the target: p50 {} ms, p99 {} ms over {} batches\n",
                       Percentile(apply, 50), Percentile(apply, 99), Thousands(apply.size()));
  }
  Heading(out, "Final check: do the two systems agree?   (concord check <entity>)");
  ASSIGN_OR_RETURN(int64_t unexplained, FinalCheck(out, *spec, *engine));
  if (unexplained == 0) {
    out << "  The CRM and the ERP agree, except for the rows named above: fix them in their "
           "source system, then `concord dlq retry --all`.\n";
  }
  if (run_id.ok()) {
    engine->state()->FinishRun(*run_id, "ok", engine->Summary(), clock->NowMs()).IgnoreError();
  }

  out << fmt::format(
      "\nEverything is in {0}/. Look around:\n"
      "  cd {0} && concord status            per flow: phase, backlog, lag, DLQ\n"
      "  cd {0} && concord dlq list          what was rejected and why\n"
      "  cd {0} && concord conflicts list --all\n"
      "  sqlite3 {0}/erp.db 'SELECT * FROM bd_customer LIMIT 5'\n",
      o.dir);
  return Status::Ok();
}

}  // namespace concord::demo
