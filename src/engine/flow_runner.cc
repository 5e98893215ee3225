#include "engine/flow_runner.h"

#include <algorithm>
#include <chrono>
#include <future>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "engine/crash_points.h"
#include "engine/logging.h"
#include "engine/when_filter.h"
#include "mapping/unique_check.h"
#include "quality/normalize.h"

namespace concord {

enum class FlowRunner::Outcome : uint8_t {
  kPending,  // in progress
  kApplied,
  kUnchanged,
  kEcho,
  kFiltered,
  kDlq,
  kParked,
  kConflict,
};

// One source key in a batch, from capture to commit.
struct FlowRunner::Item {
  // What few records need: a rejected, filtered, parked, conflicting or retried record's, or
  // that of a flow that keeps record states (contested fields, poll capture). Made on first use
  // (set_rare), read through rare(): every Item is made, zeroed and destroyed once per record,
  // and with these inline an Item was 896 bytes, which a copy of a million rows paid ~6% of its
  // CPU for.
  struct Rare {
    std::string audit_prefix;  // retry: put before the outcome in the audit ("repair:")
    // The fields written when a conflict rule held some back (narrowed); else WriteFields gives
    // the flow's carried fields, with no copy per record.
    std::set<std::string> narrowed_fields;
    std::set<std::string> held_fields;  // contested fields not written (conflict rule)
    std::unique_ptr<ConflictEntry> conflict;
    std::optional<RecordState> record_state;
    std::string rule, field, reason;  // dlq (and filtered: reason)
    std::string park_reason;
    std::string park_field;  // the reference field whose parent is missing
  };
  const Rare& rare() const {
    static const Rare kNone;
    return rare_ ? *rare_ : kNone;
  }
  Rare& set_rare() {
    if (!rare_) rare_ = std::make_unique<Rare>();
    return *rare_;
  }

  // --- from capture ---
  Key source_key;
  std::string source_key_text;
  std::vector<int64_t> seqs;       // changes to apply (not concord's own)
  std::vector<int64_t> echo_seqs;  // concord's own writes, skipped
  ChangeOp op = ChangeOp::kUpdate;
  int64_t at_ms = 0;               // newest log time among seqs
  std::optional<Row> image;        // current source row; nullopt = deleted
  bool snapshot = false;
  bool retry = false;              // re-run of a parked or DLQ record
  bool polled = false;             // read by poll capture (no changelog seq)

  // --- resolved ---
  bool is_delete = false;
  bool target_key_in_xref = false; // target_key came from the xref (no need to write it again)
  bool xref_from_changed = false;  // the source's xref entry must be written
  bool narrowed = false;           // a conflict rule held fields back: Rare::narrowed_fields
  Record canon;
  Key canon_key;
  std::string canon_key_text;
  std::optional<Key> target_key;   // known key in the target
  std::optional<Row> target_row;
  Record target_canon;
  Row reference_columns;           // reference columns translated through the xref

  // --- decided ---
  Outcome outcome = Outcome::kPending;
  bool write = false;
  WriteOp op_to_apply;
  Key written_key;

 private:
  std::unique_ptr<Rare> rare_;
};

std::string_view FlowRunner::OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPending: return "";
    case Outcome::kApplied: return "applied";
    case Outcome::kUnchanged: return "unchanged";
    case Outcome::kEcho: return "echo";
    case Outcome::kFiltered: return "filtered";
    case Outcome::kDlq: return "dlq";
    case Outcome::kParked: return "parked";
    case Outcome::kConflict: return "conflict";
  }
  return "";
}

namespace {

constexpr size_t kMaxLatencySamples = 4096;

// Resolve was not given the target (a local resolve, CopyOverlapped) and needed it.
Status TargetNotGiven() { return Internal("resolve: the target was needed in a local resolve"); }
constexpr std::string_view kSnapshotAudit = "snapshot:";  // the audit outcome's prefix in a copy

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string RecordJson(const EntitySpec& entity, const Record& record) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : record) {
    const FieldSpec* f = entity.Field(name);
    if (f != nullptr && f->personal && !value.is_null()) {
      j[name] = DisplayValue(*f, value);
    } else {
      j[name] = nlohmann::json::parse(value.ToJson(), nullptr, false);
    }
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ValuesJson(const EntitySpec& entity, const Record& record,
                       const std::set<std::string>& fields) {
  Record subset;
  for (const auto& f : fields) {
    auto it = record.find(f);
    subset[f] = it == record.end() ? Value::Null() : it->second;
  }
  return RecordJson(entity, subset);
}

std::string JoinIssues(const std::vector<FieldIssue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    if (!out.empty()) out += "; ";
    out += i.ToString();
  }
  return out;
}

const FlowSpec* FindReverse(const ConfigSpec& spec, const FlowSpec& flow) {
  for (const auto& f : spec.flows) {
    if (f.entity == flow.entity && f.from == flow.to && f.to == flow.from) return &f;
  }
  return nullptr;
}

int64_t ParkDelayMs(int64_t attempts) {
  int64_t delay = 500LL << std::min<int64_t>(attempts, 6);  // 0.5 s .. 32 s
  return std::min<int64_t>(delay, 30000);
}

}  // namespace

std::set<std::string> CarriedFields(const FlowSpec& flow, const BindingMapper& from,
                                    const BindingMapper& to) {
  std::set<std::string> out;
  if (!flow.owns.empty()) {
    out.insert(flow.owns.begin(), flow.owns.end());
  } else {
    for (const auto& f : from.mapped_fields()) {
      if (to.mapped_fields().count(f)) out.insert(f);
    }
  }
  return out;
}

FlowRunner::~FlowRunner() = default;

FlowRunner::FlowRunner(const ConfigSpec& spec, const FlowSpec& flow, SystemPool* pool,
                       StateStore* state, const MapperSet* mappers, const Clock* clock)
    : spec_(spec),
      flow_(flow),
      id_(flow.Id()),
      pool_(pool),
      state_(state),
      mappers_(mappers),
      clock_(clock) {
  from_ = mappers->at(flow.from + "." + flow.entity).get();
  to_ = mappers->at(flow.to + "." + flow.entity).get();
  entity_ = &spec.entities.at(flow.entity);
  carried_ = CarriedFields(flow, *from_, *to_);
  // Key fields always travel: they identify the record in the target.
  for (const auto& k : entity_->key) {
    if (to_->mapped_fields().count(k)) carried_.insert(k);
  }
  // Computed fields are written by this flow (the loader checked that the target maps them).
  for (const auto& c : flow.computed) {
    if (to_->mapped_fields().count(c.field)) carried_.insert(c.field);
  }
  write_carried_ = to_->PlanWrite(carried_);
  unique_fields_ = UniqueFieldsToCheck(*to_, carried_);
  reverse_ = FindReverse(spec, flow);
  if (reverse_ != nullptr) {
    const BindingMapper* rfrom = to_;
    const BindingMapper* rto = from_;
    std::set<std::string> reverse_carried = CarriedFields(*reverse_, *rfrom, *rto);
    for (const auto& f : carried_) {
      bool is_key = std::find(entity_->key.begin(), entity_->key.end(), f) != entity_->key.end();
      if (!is_key && reverse_carried.count(f)) contested_.insert(f);
    }
  }
  log_ = ComponentLogger(fmt::format("flow:{} {}->{}", flow.entity, flow.from, flow.to));
  std::set<std::string> checked = carried_;
  checked.insert(entity_->key.begin(), entity_->key.end());
  auto lua = FlowExpressions::Compile(flow, *entity_, checked);
  if (lua.ok()) {
    lua_ = std::move(*lua);
  } else {
    lua_status_ = lua.status();
  }
  if (from_->binding().capture == CaptureMode::kPoll) {
    poll_ = std::make_unique<PollCapture>(from_->binding().poll, from_);
  }
}

Status FlowRunner::Prepare() {
  RETURN_IF_ERROR(lua_status_);
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  Source* source = src->source();
  if (source == nullptr) return InvalidArgument(flow_.from + ": its connector cannot be read from");
  // Poll capture installs nothing: it only reads.
  Status s = poll_ ? Status::Ok() : source->InstallCapture(from_->table(), id_);
  if (!s.ok()) {
    pool_->Drop(flow_.from);
    return s.WithContext(
        fmt::format("installing capture on {}.{}", flow_.from, from_->table().table));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> pending, state_->PendingAcks(id_));
  if (!pending.empty()) {
    RETURN_IF_ERROR(source->AckChanges(id_, pending));
    RETURN_IF_ERROR(state_->ClearPendingAcks(id_, pending));
    log_->info("acknowledged {} changes applied before the last stop", pending.size());
  }
  ASSIGN_OR_RETURN(FlowCheckpoint cp, state_->GetCheckpoint(id_));
  if (cp.phase == "pending") {
    cp.phase = "snapshot";
    RETURN_IF_ERROR(state_->PutCheckpoint(cp));
    log_->info("{}; initial copy of {}.{} starts", poll_ ? "poll capture" : "capture installed",
               flow_.from, from_->table().table);
  }
  prepared_ = true;
  return Status::Ok();
}

Result<int64_t> FlowRunner::Step(bool flush) {
  if (!prepared_) RETURN_IF_ERROR(Prepare());
  ASSIGN_OR_RETURN(FlowCheckpoint cp, state_->GetCheckpoint(id_));
  int64_t done = 0;
  if (cp.phase == "snapshot") {
    ASSIGN_OR_RETURN(done, SnapshotStep());
    if (done > 0) {
      LogCopyProgress();
      return done;
    }
  }
  ASSIGN_OR_RETURN(int64_t streamed, StreamStep(flush));
  ASSIGN_OR_RETURN(int64_t unparked, RetryParked(false));
  return streamed + unparked;
}

Result<int64_t> FlowRunner::SnapshotStep() {
  ASSIGN_OR_RETURN(FlowCheckpoint cp, state_->GetCheckpoint(id_));
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  Source* source = src->source();
  const size_t chunk = static_cast<size_t>(flow_.snapshot_batch_rows);
  if (!copy_progress_.begun) BeginCopyProgress(cp);
  // Resolved by the previous step (CopyOverlapped), while it wrote the chunk before.
  std::optional<ResolvedAhead> ahead = std::move(resolved_ahead_);
  resolved_ahead_.reset();
  if (ahead && ahead->after_key == cp.snapshot_after_key && !ahead->items.empty()) {
    return CopyOverlapped(std::move(ahead->items), /*resolved=*/true, source, chunk);
  }
  Result<std::vector<Row>> read = TakeChunk(source, cp.snapshot_after_key, chunk);
  if (!read.ok()) {
    pool_->Drop(flow_.from);
    return read.status();
  }
  std::vector<Row> rows = std::move(*read);
  if (rows.empty()) {
    cp.phase = "streaming";
    RETURN_IF_ERROR(state_->PutCheckpoint(cp));
    copy_writer_.reset();
    copy_reader_.reset();
    copy_progress_ = CopyProgress{};
    const CopyTimes& t = copy_times_;
    log_->info("initial copy complete; streaming changes ({} rows this run; waited for the "
               "source {:.2f} s; resolve {:.2f} s, apply {:.2f} s, commit {:.2f} s)",
               t.rows, t.read_s, t.resolve_s, t.apply_s, t.commit_s);
    return 0;
  }
  if (cp.snapshot_after_key.empty()) {
    // Decided before the first row, and kept in the checkpoint: a copy resumed after a stop goes
    // on as it began. The rows it finds in the target then (those the stopped process wrote after
    // its last state commit, or an application's) make the direct write a merge.
    copy_into_empty_ = contested_.empty() && TargetIsEmpty();
    if (cp.snapshot_into_empty != *copy_into_empty_) {
      cp.snapshot_into_empty = *copy_into_empty_;
      RETURN_IF_ERROR(state_->PutCheckpoint(cp));
    }
  } else if (!copy_into_empty_) {
    copy_into_empty_ = cp.snapshot_into_empty && contested_.empty();
  }
  std::vector<Item> items = RowItems(rows, /*snapshot=*/true);
  if (copy_into_empty_.value_or(false) && ResolveIsLocal()) {
    return CopyOverlapped(std::move(items), /*resolved=*/false, source, chunk);
  }
  std::string last_key = items.back().source_key_text;
  stats_.read += static_cast<int64_t>(items.size());
  copy_times_.rows += static_cast<int64_t>(items.size());

  // The next chunk is read on the read-ahead thread while this one is resolved, written and
  // committed. The source connection is that thread's alone until it is joined below, before this
  // step returns (the flow's own stages use the target and the state store; a flow's two systems
  // are never one). The checkpoint moves only with the commit of this chunk; the rows read ahead
  // are used by the next step only if the checkpoint then says they come next.
  std::future<Result<std::vector<Row>>> next;
  if (rows.size() == chunk) next = ReadAhead(source, items.back().source_key, chunk);
  skip_target_read_ = copy_into_empty_.value_or(false);
  Status s = ProcessItems(items, {}, last_key);
  skip_target_read_ = false;
  if (next.valid()) {
    auto wait_started = std::chrono::steady_clock::now();
    Result<std::vector<Row>> ahead = next.get();
    copy_times_.read_s += SecondsSince(wait_started);
    // A failed read is left to the next step, which reads again and reports it.
    if (s.ok() && ahead.ok()) prefetched_ = Prefetched{last_key, std::move(*ahead)};
  }
  RETURN_IF_ERROR(s);
  return static_cast<int64_t>(items.size());
}

void FlowRunner::BeginCopyProgress(const FlowCheckpoint& cp) {
  copy_progress_.begun = true;
  copy_progress_.began_ms = copy_progress_.logged_ms = clock_->NowMs();
  copy_progress_.rows_before = cp.rows_done();
  Result<int64_t> estimate = SourceRowEstimate();
  copy_progress_.estimate = estimate.ok() ? *estimate : -1;
  const std::string table = flow_.from + "." + from_->table().table;
  const std::string about =
      estimate.ok() ? fmt::format("about {} rows in {}", *estimate, table)
                    : fmt::format("{} cannot estimate its rows ({})", table,
                                  estimate.status().message());
  if (cp.snapshot_after_key.empty()) {
    log_->info("initial copy: {}", about);
  } else {
    log_->info("initial copy resumes after key {}: {} rows written before; {}",
               KeyForDisplay(cp.snapshot_after_key), copy_progress_.rows_before, about);
  }
}

void FlowRunner::LogCopyProgress() {
  const int64_t now = clock_->NowMs();
  if (now - copy_progress_.logged_ms < kCopyProgressEveryMs) return;
  auto cp = state_->GetCheckpoint(id_);
  if (!cp.ok() || cp->phase != "snapshot") return;
  copy_progress_.logged_ms = now;
  const int64_t rows = cp->rows_done();
  const double seconds = static_cast<double>(now - copy_progress_.began_ms) / 1000;
  const double per_s =
      seconds > 0 ? static_cast<double>(rows - copy_progress_.rows_before) / seconds : 0;
  std::string line = fmt::format("initial copy: {} rows written", rows);
  if (cp->rejected_total > 0) line += fmt::format(" ({} rejected)", cp->rejected_total);
  const int64_t estimate = copy_progress_.estimate;
  if (estimate > 0 && rows <= estimate) {
    line += fmt::format(" of about {} ({}%)", estimate, rows * 100 / estimate);
  }
  line += fmt::format(", {:.0f} rows/s", per_s);
  if (estimate > rows && per_s > 0) {
    const int64_t left_s = static_cast<int64_t>((estimate - rows) / per_s) + 1;
    line += left_s < 120 ? fmt::format(", about {} s left", left_s)
                         : fmt::format(", about {} min left", (left_s + 59) / 60);
  }
  log_->info("{}", line);
}

Result<std::vector<Row>> FlowRunner::TakeChunk(Source* source, const std::string& after_text,
                                               size_t chunk) {
  std::optional<Prefetched> ready = std::move(prefetched_);
  prefetched_.reset();
  if (ready && ready->after_key == after_text) return std::move(ready->rows);
  std::optional<Key> after;
  if (!after_text.empty()) {
    ASSIGN_OR_RETURN(Key k, DecodeKey(after_text));
    after = std::move(k);
  }
  auto started = std::chrono::steady_clock::now();
  Result<std::vector<Row>> rows = source->ReadChunk(from_->table(), after, chunk);
  copy_times_.read_s += SecondsSince(started);
  return rows;
}

std::future<Result<std::vector<Row>>> FlowRunner::ReadAhead(Source* source, const Key& after,
                                                            size_t chunk) {
  // One thread kept for the whole copy rather than one started per chunk (see CopyOverlapped).
  if (!copy_reader_) copy_reader_ = std::make_unique<TaskThread>("copy-read");
  return copy_reader_->Run([source, table = from_->table(), after, chunk] {
    return source->ReadChunk(table, after, chunk);
  });
}

bool FlowRunner::ResolveIsLocal() const {
  if (poll_ || !contested_.empty() || !unique_fields_.empty()) return false;
  if (!from_->key_is_mapped() || !to_->key_is_mapped()) return false;
  return std::none_of(entity_->fields.begin(), entity_->fields.end(), [&](const FieldSpec& f) {
    return f.type == FieldType::kReference && carried_.count(f.name);
  });
}

Result<int64_t> FlowRunner::CopyOverlapped(std::vector<Item> first, bool resolved,
                                           Source* source, size_t chunk) {
  using SteadyClock = std::chrono::steady_clock;
  using Chunk = std::unique_ptr<std::vector<Item>>;  // stays put while the writer holds it
  auto dst = pool_->Get(flow_.to);
  if (!dst.ok()) return dst.status();
  Sink* sink = (*dst)->sink();
  if (sink == nullptr) return InvalidArgument(flow_.to + ": its connector cannot be written to");
  Chunk items = std::make_unique<std::vector<Item>>(std::move(first));
  skip_target_read_ = true;
  auto started = SteadyClock::now();
  Status s = resolved ? Status::Ok() : Resolve(*items, nullptr, nullptr);  // touches neither system
  copy_times_.resolve_s += SecondsSince(started);
  if (!s.ok()) {
    skip_target_read_ = false;
    return s;
  }

  // The writer and read-ahead threads are kept for the whole copy rather than started per chunk:
  // median concord CPU 4.6 s against 5.0 s, peak RSS 66-67 against 70-74 MiB (db_sync_bench,
  // five runs each).
  if (!copy_writer_) copy_writer_ = std::make_unique<TaskThread>("copy-write");
  // The writer thread: a chunk into the target, on the target's connection. Two writes may be
  // queued at once; each reports its seconds in its own slot (by round parity).
  double apply_s[2] = {0, 0};
  auto write_on_thread = [&](std::vector<Item>* chunk_items, int round) {
    double* seconds = &apply_s[round % 2];
    return copy_writer_->Run([this, chunk_items, sink, seconds] {
      auto began = SteadyClock::now();
      Status st = ApplyWrites(*chunk_items, sink);
      *seconds = SecondsSince(began);
      return st;
    });
  };
  std::future<Status> write = write_on_thread(items.get(), 1);
  Chunk next;
  std::future<Result<std::vector<Row>>> ahead;
  std::string ahead_after;  // the encoded key the rows read ahead follow
  std::string last_key;     // of the last chunk committed
  int64_t copied = 0;
  for (int round = 1;; ++round) {
    const std::string chunk_last_key = items->back().source_key_text;
    stats_.read += static_cast<int64_t>(items->size());
    copy_times_.rows += static_cast<int64_t>(items->size());
    // Here, meanwhile: the next chunk's rows (read ahead, or read now) are resolved, while the
    // reader thread reads the chunk after them on the source's connection.
    next.reset();
    if (items->size() == chunk) {
      Result<std::vector<Row>> rows = TakeChunk(source, chunk_last_key, chunk);
      // A failed read is left to the next step, which reads again and reports it.
      if (rows.ok()) {
        next = std::make_unique<std::vector<Item>>(RowItems(*rows, /*snapshot=*/true));
        if (next->size() == chunk) {
          ahead_after = next->back().source_key_text;
          ahead = ReadAhead(source, next->back().source_key, chunk);
        }
        started = SteadyClock::now();
        if (!Resolve(*next, nullptr, nullptr).ok()) next.reset();  // the next step says why
        copy_times_.resolve_s += SecondsSince(started);
      }
    }
    // The target is the slower stage: the next chunk is queued to the writer as soon as it is
    // resolved, so the writer goes on to it the moment this chunk's write ends, without waiting
    // for this thread to wake (handing it over after that cost 0.2-0.4 s of a 1M-row copy), and
    // before this chunk's state commit, which only records what the target holds (were it lost,
    // the chunk would be written again, as after a crash between the two commits). A few chunks
    // per step, so that a step stays short.
    const bool go_on = next && !next->empty() && round < kCopyChunksPerStep;
    std::future<Status> next_write;
    if (go_on) next_write = write_on_thread(next.get(), round + 1);
    Status written = write.get();
    copy_times_.apply_s += apply_s[round % 2];
    if (!written.ok()) {
      // The next chunk's write uses the connection dropped here: it ends first (it fails, or
      // what it wrote is written again by a later step).
      if (next_write.valid()) next_write.get().IgnoreError();
      pool_->Drop(flow_.to);
      s = written;
      break;
    }
    write = std::move(next_write);
    started = SteadyClock::now();
    s = Commit(*items, {}, chunk_last_key);
    copy_times_.commit_s += SecondsSince(started);
    if (!s.ok()) break;
    copied += static_cast<int64_t>(items->size());
    last_key = chunk_last_key;
    if (!go_on) break;
    items = std::move(next);  // the committed chunk is freed here, by the thread that made it
    if (ahead.valid()) {
      auto waited = SteadyClock::now();
      Result<std::vector<Row>> rows = ahead.get();
      copy_times_.read_s += SecondsSince(waited);
      if (rows.ok()) prefetched_ = Prefetched{ahead_after, std::move(*rows)};
    }
  }
  // Every thread is joined before this step returns: a write still running when a commit failed
  // is waited for (what it wrote is written again by a later step). What was done ahead is kept
  // only when the chunk before it is committed, and used only if the checkpoint then says it
  // comes next.
  if (write.valid()) write.get().IgnoreError();  // its chunk is not committed: written again later
  auto waited = SteadyClock::now();
  Result<std::vector<Row>> after_next =
      ahead.valid() ? ahead.get() : Result<std::vector<Row>>(NotFound("not read"));
  copy_times_.read_s += SecondsSince(waited);
  skip_target_read_ = false;
  RETURN_IF_ERROR(s);
  if (next) resolved_ahead_ = ResolvedAhead{last_key, std::move(*next)};
  if (after_next.ok() && resolved_ahead_) {
    prefetched_ = Prefetched{ahead_after, std::move(*after_next)};
  }
  return copied;
}

bool FlowRunner::TargetIsEmpty() {
  auto dst = pool_->Get(flow_.to);
  if (!dst.ok() || (*dst)->source() == nullptr) return false;
  auto rows = (*dst)->source()->ReadChunk(to_->table(), std::nullopt, 1);
  return rows.ok() && rows->empty();
}

std::vector<FlowRunner::Item> FlowRunner::RowItems(std::vector<Row>& rows, bool snapshot) {
  std::vector<Item> items(rows.size());
  const int64_t now = clock_->NowMs();
  for (size_t i = 0; i < rows.size(); ++i) {
    Item& item = items[i];
    item.source_key = from_->SystemKeyOfRow(rows[i]);
    item.source_key_text = EncodeKey(item.source_key);
    item.op = snapshot ? ChangeOp::kInsert : ChangeOp::kUpdate;
    item.image = std::move(rows[i]);
    item.snapshot = snapshot;
    item.polled = !snapshot;  // poll capture (PollStep, Plan)
    item.at_ms = now;
  }
  return items;
}

std::vector<FlowRunner::Item> FlowRunner::GroupByKey(const std::vector<SourceChange>& changes) {
  // First-seen order; every change of one key carries the same (current) image.
  std::vector<Item> items;
  std::map<std::string, size_t> index;
  for (const SourceChange& c : changes) {
    std::string key_text = EncodeKey(c.key);
    auto [it, inserted] = index.emplace(key_text, items.size());
    if (inserted) {
      Item item;
      item.source_key = c.key;
      item.source_key_text = std::move(key_text);
      item.image = c.row;
      items.push_back(std::move(item));
    }
    Item& item = items[it->second];
    if (c.origin == flow_.to) {
      item.echo_seqs.push_back(c.seq);  // concord's own write: never sent back
    } else {
      item.seqs.push_back(c.seq);
      item.op = c.op;
      item.at_ms = std::max(item.at_ms, c.at_ms);
    }
  }
  return items;
}

Result<int64_t> FlowRunner::PollStep() {
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  int64_t now = clock_->NowMs();
  if (poll_->KeyScanDue(now)) {
    auto deleted = KeyScanStep(src->source());
    if (!deleted.ok()) {
      pool_->Drop(flow_.from);
      return deleted.status();
    }
    poll_->KeyScanDone(now);
    if (*deleted > 0) return *deleted;
  }
  ASSIGN_OR_RETURN(FlowCheckpoint cp, state_->GetCheckpoint(id_));
  auto page = poll_->Next(src->source(), cp.position, static_cast<size_t>(flow_.max_batch_rows),
                          now);
  if (!page.ok()) {
    pool_->Drop(flow_.from);
    return page.status();
  }
  if (page->null_column > 0) {
    log_->warn("{} rows of {}.{} have no value in the poll column {} and are not polled",
               page->null_column, flow_.from, from_->table().table, poll_->column());
  }
  std::vector<Item> items = RowItems(page->fresh, /*snapshot=*/false);
  stats_.read += static_cast<int64_t>(items.size());
  Status s = Status::Ok();
  if (!items.empty()) {
    commit_position_ = page->advance;
    s = ProcessItems(items, {}, "");
    commit_position_.clear();
  } else if (!page->advance.empty() && page->advance != cp.position) {
    // Nothing new to apply: everything up to the new watermark was committed by earlier pages.
    s = state_->Begin();
    if (s.ok()) {
      cp.position = page->advance;
      s = state_->PutCheckpoint(cp);
      if (s.ok()) s = state_->Commit();
      if (!s.ok()) state_->Rollback();
    }
  }
  if (!s.ok()) {
    poll_->Abort();
    return s;
  }
  poll_->Committed(*page);
  return static_cast<int64_t>(items.size());
}

Result<int64_t> FlowRunner::KeyScanStep(Source* source) {
  constexpr size_t kKeyScanChunk = 5000;
  TableRef keys_only = from_->table();
  keys_only.columns = keys_only.key_columns;
  std::set<std::string> present;  // canonical keys the source has
  std::optional<Key> after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<Row> rows, source->ReadChunk(keys_only, after, kKeyScanChunk));
    if (rows.empty()) break;
    for (const Row& row : rows) {
      Key sk = from_->SystemKeyOfRow(row);
      auto ck = CanonicalKeyForDeletedRow(sk);
      if (ck.ok()) present.insert(EncodeKey(*ck));
      after = std::move(sk);
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> known,
                   state_->RecordStateKeys(flow_.entity, flow_.from));
  std::vector<Key> missing;
  for (const std::string& ck : known) {
    if (present.count(ck)) continue;
    ASSIGN_OR_RETURN(Key canon, DecodeKey(ck));
    std::optional<Key> sk = from_->SystemKeyFromCanonical(canon);
    if (!sk) {
      ASSIGN_OR_RETURN(auto xref, state_->SystemKey(flow_.entity, ck, flow_.from));
      if (!xref) continue;
      ASSIGN_OR_RETURN(Key k, DecodeKey(*xref));
      sk = std::move(k);
    }
    missing.push_back(std::move(*sk));
  }
  if (missing.empty()) return 0;
  // A row inserted after the scan passed its key is not missing: look once more.
  ASSIGN_OR_RETURN(std::vector<Row> back, source->ReadRows(from_->table(), missing));
  std::set<std::string> back_keys;
  for (const Row& row : back) back_keys.insert(EncodeKey(from_->SystemKeyOfRow(row)));
  std::vector<Item> items;
  for (Key& k : missing) {
    Item item;
    item.source_key_text = EncodeKey(k);
    if (back_keys.count(item.source_key_text)) continue;
    item.source_key = std::move(k);
    item.op = ChangeOp::kDelete;
    item.polled = true;
    item.at_ms = clock_->NowMs();
    items.push_back(std::move(item));
  }
  if (items.empty()) return 0;
  log_->info("key scan: {} records seen in {}.{} are gone; deleting them in {}", items.size(),
             flow_.from, from_->table().table, flow_.to);
  stats_.read += static_cast<int64_t>(items.size());
  RETURN_IF_ERROR(ProcessItems(items, {}, ""));
  return static_cast<int64_t>(items.size());
}

Result<int64_t> FlowRunner::StreamStep(bool flush) {
  if (poll_) return PollStep();
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  auto changes = src->source()->ReadChanges(from_->table(), id_,
                                            static_cast<size_t>(flow_.max_batch_rows));
  if (!changes.ok()) {
    pool_->Drop(flow_.from);
    return changes.status();
  }
  if (changes->empty()) {
    partial_since_ms_ = 0;
    if (!acked_.empty()) {  // idle: the acks of the last batch leave the state now
      RETURN_IF_ERROR(state_->ClearPendingAcks(id_, acked_));
      acked_.clear();
    }
    return 0;
  }
  int64_t now = clock_->NowMs();
  if (!flush && static_cast<int64_t>(changes->size()) < flow_.max_batch_rows &&
      flow_.max_batch_delay_ms > 0) {
    if (partial_since_ms_ == 0) partial_since_ms_ = now;
    if (now - partial_since_ms_ < flow_.max_batch_delay_ms) return 0;
  }
  partial_since_ms_ = 0;

  std::vector<Item> items = GroupByKey(*changes);
  std::vector<int64_t> acks;
  acks.reserve(changes->size());
  for (const SourceChange& c : *changes) acks.push_back(c.seq);
  stats_.read += static_cast<int64_t>(changes->size());
  RETURN_IF_ERROR(ProcessItems(items, acks, ""));
  return static_cast<int64_t>(changes->size());
}

Result<int64_t> FlowRunner::RetryParked(bool all) {
  int64_t now = clock_->NowMs();
  ASSIGN_OR_RETURN(std::vector<ParkedChange> due,
                   state_->DueParked(id_, all ? INT64_MAX : now));
  if (due.empty()) return 0;
  std::vector<std::string> keys;
  for (const auto& p : due) keys.push_back(p.source_key);
  ASSIGN_OR_RETURN(auto outcomes, RetryKeys(keys));
  int64_t left = 0;
  for (const auto& [key, outcome] : outcomes) {
    if (outcome != OutcomeName(Outcome::kParked)) ++left;
  }
  return left;
}

Result<std::map<std::string, std::string>> FlowRunner::RetryKeys(
    const std::vector<std::string>& source_keys, const std::string& audit_prefix) {
  if (!prepared_) RETURN_IF_ERROR(Prepare());
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  std::vector<Key> keys;
  for (const auto& text : source_keys) {
    ASSIGN_OR_RETURN(Key k, DecodeKey(text));
    keys.push_back(std::move(k));
  }
  auto rows = src->source()->ReadRows(from_->table(), keys);
  if (!rows.ok()) {
    pool_->Drop(flow_.from);
    return rows.status();
  }
  std::map<std::string, Row> by_key;
  for (Row& row : *rows) by_key[EncodeKey(from_->SystemKeyOfRow(row))] = std::move(row);
  std::vector<Item> items;
  for (size_t i = 0; i < keys.size(); ++i) {
    Item item;
    item.source_key = keys[i];
    item.source_key_text = source_keys[i];
    item.retry = true;
    if (!audit_prefix.empty()) item.set_rare().audit_prefix = audit_prefix;
    item.at_ms = clock_->NowMs();
    auto it = by_key.find(source_keys[i]);
    if (it != by_key.end()) {
      item.image = it->second;
      item.op = ChangeOp::kUpdate;
    } else {
      item.op = ChangeOp::kDelete;
    }
    items.push_back(std::move(item));
  }
  RETURN_IF_ERROR(ProcessItems(items, {}, ""));
  std::map<std::string, std::string> out;
  for (const auto& item : items) out[item.source_key_text] = std::string(OutcomeName(item.outcome));
  return out;
}

const std::set<std::string>& FlowRunner::WriteFields(const Item& item) const {
  return item.narrowed ? item.rare().narrowed_fields : carried_;
}

Status FlowRunner::ReadRecordState(Item& item) {
  ASSIGN_OR_RETURN(std::optional<RecordState> agreed,
                   state_->GetRecordState(flow_.entity, item.canon_key_text));
  if (agreed || item.rare().record_state) item.set_rare().record_state = std::move(agreed);
  return Status::Ok();
}

void FlowRunner::Reject(Item& item, const std::string& rule, const std::string& field,
                        const std::string& reason) {
  item.outcome = Outcome::kDlq;
  Item::Rare& rare = item.set_rare();
  rare.rule = rule;
  rare.field = field;
  rare.reason = reason;
  item.write = false;
}

Result<Key> FlowRunner::CanonicalKeyForDeletedRow(const Key& source_key) {
  if (from_->key_is_mapped()) {
    Row partial;
    const auto& cols = from_->binding().key;
    for (size_t i = 0; i < cols.size() && i < source_key.size(); ++i) {
      partial[cols[i]] = source_key[i];
    }
    BindingMapper::Canonical c = from_->ToCanonical(partial);
    return from_->CanonicalKeyOf(c.record);
  }
  ASSIGN_OR_RETURN(auto canonical,
                   state_->CanonicalKey(flow_.entity, flow_.from, EncodeKey(source_key)));
  if (!canonical) return NotFound("never synced");
  return DecodeKey(*canonical);
}

Status FlowRunner::ResolveReferences(Item& item, Sink* sink) {
  for (const FieldSpec& f : entity_->fields) {
    if (f.type != FieldType::kReference || !WriteFields(item).count(f.name)) continue;
    auto it = item.canon.find(f.name);
    if (it == item.canon.end() || it->second.is_null()) continue;
    const EntitySpec* parent = nullptr;
    if (auto p = spec_.entities.find(f.entity); p != spec_.entities.end()) parent = &p->second;
    if (parent == nullptr || parent->key.size() != 1) continue;
    const FieldSpec* parent_key_field = parent->Field(parent->key[0]);
    if (parent_key_field == nullptr) continue;

    // Source side: a surrogate parent key in the source is translated to the canonical key.
    Value canonical_parent = it->second;
    auto from_parent = mappers_->find(flow_.from + "." + f.entity);
    if (from_parent != mappers_->end() && !from_parent->second->key_is_mapped() && item.image) {
      const FieldMapping* m = from_->binding().ForField(f.name);
      Value raw = m && item.image->count(m->column) ? item.image->at(m->column) : it->second;
      ASSIGN_OR_RETURN(auto ck, state_->CanonicalKey(f.entity, flow_.from, EncodeKey({raw})));
      if (!ck) {
        item.set_rare().park_field = f.name;
        item.set_rare().park_reason =
            fmt::format("{} {} (field {}) has not been synced from {} yet", f.entity,
                        raw.ToString(), f.name, flow_.from);
        return Status::Ok();
      }
      ASSIGN_OR_RETURN(Key decoded, DecodeKey(*ck));
      canonical_parent = decoded.empty() ? Value::Null() : decoded[0];
      item.canon[f.name] = canonical_parent;
    }
    auto normalized = NormalizeValue(*parent_key_field, canonical_parent);
    if (!normalized.ok()) continue;  // validation reports a bad reference value
    Key parent_key = {*normalized};

    auto to_parent = mappers_->find(flow_.to + "." + f.entity);
    if (to_parent == mappers_->end()) continue;  // the target does not hold the parent entity
    const BindingMapper& pm = *to_parent->second;
    if (pm.key_is_mapped()) {
      std::optional<Key> tkey = pm.SystemKeyFromCanonical(parent_key);
      if (!tkey) continue;
      if (sink == nullptr) return TargetNotGiven();
      auto rows = sink->ReadRows(pm.table(), {*tkey});
      if (!rows.ok()) return rows.status();
      if (rows->empty()) {
        item.set_rare().park_field = f.name;
        item.set_rare().park_reason =
            fmt::format("{} {} (field {}) is not in {} yet", f.entity,
                        KeyForDisplay(EncodeKey(parent_key)), f.name, flow_.to);
        return Status::Ok();
      }
    } else {
      ASSIGN_OR_RETURN(auto sk, state_->SystemKey(f.entity, EncodeKey(parent_key), flow_.to));
      if (!sk) {
        item.set_rare().park_field = f.name;
        item.set_rare().park_reason =
            fmt::format("{} {} (field {}) is not in {} yet", f.entity,
                        KeyForDisplay(EncodeKey(parent_key)), f.name, flow_.to);
        return Status::Ok();
      }
      ASSIGN_OR_RETURN(Key decoded, DecodeKey(*sk));
      const FieldMapping* m = to_->binding().ForField(f.name);
      if (m != nullptr && decoded.size() == 1) item.reference_columns[m->column] = decoded[0];
    }
  }
  return Status::Ok();
}

// Resolve: everything up to (not including) writing. Reads only.
Status FlowRunner::Resolve(std::vector<Item>& items, Source* source, Sink* sink) {
  std::set<std::string> check_fields = carried_;
  for (const auto& k : entity_->key) check_fields.insert(k);
  const ValidationPlan validation = PlanValidation(*entity_, check_fields);

  for (Item& item : items) {
    if (item.seqs.empty() && !item.snapshot && !item.retry && !item.polled) {
      item.outcome = Outcome::kEcho;
      continue;
    }
    item.is_delete = !item.image.has_value();
    if (item.is_delete) {
      auto ck = CanonicalKeyForDeletedRow(item.source_key);
      if (!ck.ok()) {
        item.outcome = Outcome::kUnchanged;  // never synced: nothing to delete in the target
        continue;
      }
      item.canon_key = std::move(*ck);
    } else {
      BindingMapper::Canonical c = from_->ToCanonical(*item.image);
      item.canon = std::move(c.record);
      // Only issues on fields this flow carries reject the record.
      std::vector<FieldIssue> issues;
      for (auto& issue : c.issues) {
        if (check_fields.count(issue.field)) issues.push_back(std::move(issue));
      }
      if (issues.empty() && lua_) issues = lua_->ApplyComputed(&item.canon);
      if (issues.empty()) issues = ValidateRecord(item.canon, validation);
      if (issues.empty() && lua_) issues = lua_->CheckRules(item.canon);
      if (!issues.empty()) {
        Reject(item, issues[0].rule, issues[0].field, JoinIssues(issues));
        continue;
      }
      auto ck = from_->CanonicalKeyOf(item.canon);
      if (!ck.ok()) {
        Reject(item, "key", entity_->key.empty() ? "" : entity_->key[0],
               ck.status().message() +
                   "; hint: every record needs its key; check that the source fills it");
        continue;
      }
      item.canon_key = std::move(*ck);
      if (flow_.when) {
        WhenResult w;
        if (flow_.when->lua && lua_) {
          Result<WhenResult> lw = lua_->When(item.canon);
          if (!lw.ok()) {  // e.g. a NULL compared with <: a person decides, nothing is dropped
            Reject(item, "when", "", lw.status().message());
            continue;
          }
          w = *lw;
        } else {
          w = EvaluateWhen(*flow_.when, item.canon);
        }
        if (!w.pass) {
          item.outcome = Outcome::kFiltered;
          item.set_rare().reason = w.detail;
          continue;
        }
      }
      if (!from_->key_is_mapped()) {
        std::string canonical_text = EncodeKey(item.canon_key);
        ASSIGN_OR_RETURN(auto known,
                         state_->SystemKey(flow_.entity, canonical_text, flow_.from));
        item.xref_from_changed = !known || *known != item.source_key_text;
      }
    }
    // Mostly the canonical key is the source key itself: its text is then the one RowItems
    // encoded (text and integers only: a real -0 equals 0 but is spelled differently).
    bool same_key = (item.snapshot || item.polled) && item.canon_key == item.source_key &&
                    std::all_of(item.canon_key.begin(), item.canon_key.end(), [](const Value& v) {
                      return v.kind() == ValueKind::kText || v.kind() == ValueKind::kInt;
                    });
    item.canon_key_text = same_key ? item.source_key_text : EncodeKey(item.canon_key);

    if (poll_ && !item.is_delete) {
      // No changelog tags concord's own writes in a polled source. A polled row whose carried
      // fields all hash to what concord last agreed (and wrote) for the record brings nothing
      // new: it is concord's own write coming back, or a change to columns this flow does not
      // carry. Sending it on could overwrite a newer value in the target.
      RETURN_IF_ERROR(ReadRecordState(item));
      if (item.polled && item.rare().record_state) {
        bool agreed = true;
        for (const auto& f : carried_) {
          auto h = item.rare().record_state->field_hashes.find(f);
          auto v = item.canon.find(f);
          if (h == item.rare().record_state->field_hashes.end() ||
              h->second != HashValue(v == item.canon.end() ? Value::Null() : v->second)) {
            agreed = false;
            break;
          }
        }
        if (agreed) {
          item.outcome = Outcome::kUnchanged;
          continue;
        }
      }
    }

    // The record's key in the target.
    if (to_->key_is_mapped()) {
      item.target_key = to_->SystemKeyFromCanonical(item.canon_key);
    } else {
      ASSIGN_OR_RETURN(auto known, state_->SystemKey(flow_.entity, item.canon_key_text, flow_.to));
      if (known) {
        ASSIGN_OR_RETURN(Key k, DecodeKey(*known));
        item.target_key = std::move(k);
        item.target_key_in_xref = true;
      } else {
        // Not in the xref: look for the record by its canonical key columns, so that a replay
        // after a crash finds the row it inserted instead of inserting it twice.
        TableRef natural = to_->table();
        natural.key_columns.clear();
        for (const auto& k : entity_->key) {
          const FieldMapping* m = to_->binding().ForField(k);
          if (m == nullptr) {
            natural.key_columns.clear();
            break;
          }
          natural.key_columns.push_back(m->column);
        }
        if (!natural.key_columns.empty()) {
          if (sink == nullptr) return TargetNotGiven();
          auto rows = sink->ReadRows(natural, {item.canon_key});
          if (!rows.ok()) return rows.status();
          if (!rows->empty()) item.target_key = to_->SystemKeyOfRow(rows->front());
        }
      }
    }
    if (!item.is_delete) {
      RETURN_IF_ERROR(ResolveReferences(item, sink));
      if (!item.rare().park_reason.empty()) {
        item.outcome = Outcome::kParked;
        continue;
      }
    }
  }

  // Current target rows, one query for the batch (none to read in a copy into an empty table).
  std::vector<Key> target_keys;
  for (const Item& item : items) {
    if (item.outcome == Outcome::kPending && item.target_key && !skip_target_read_) {
      target_keys.push_back(*item.target_key);
    }
  }
  std::map<std::string, Row> target_rows;
  if (!target_keys.empty()) {
    if (sink == nullptr) return TargetNotGiven();
    auto rows = sink->ReadRows(to_->table(), target_keys);
    if (!rows.ok()) return rows.status();
    for (Row& row : *rows) target_rows[EncodeKey(to_->SystemKeyOfRow(row))] = std::move(row);
  }

  // Conflict detection needs the target's pending (not yet synced back) change times.
  std::map<std::string, int64_t> target_pending_ms;
  if (!contested_.empty() && reverse_ != nullptr && !target_keys.empty()) {
    auto conn = pool_->Get(flow_.to);
    if (conn.ok() && (*conn)->source() != nullptr) {
      auto pending = (*conn)->source()->LatestPendingMs(to_->table(), reverse_->Id(), target_keys,
                                                        flow_.from);
      if (pending.ok()) target_pending_ms = std::move(*pending);
    }
  }

  // The target key's text is needed only to find what was read for it.
  const bool key_text_needed = !target_rows.empty() || !target_pending_ms.empty();
  for (Item& item : items) {
    if (item.outcome != Outcome::kPending) continue;
    std::string target_key_text =
        item.target_key && key_text_needed ? EncodeKey(*item.target_key) : "";
    if (item.target_key && !target_rows.empty()) {
      auto it = target_rows.find(target_key_text);
      if (it != target_rows.end()) {
        item.target_row = it->second;
        item.target_canon = to_->ToCanonical(it->second).record;
      }
    }
    if (item.is_delete) {
      if (item.target_row) {
        item.write = true;
        item.op_to_apply.kind = WriteOp::Kind::kDelete;
        item.op_to_apply.key = *item.target_key;
      } else {
        item.outcome = Outcome::kUnchanged;
      }
      continue;
    }

    // Ownership and conflicts: which contested fields may this change write?
    if (!contested_.empty()) {
      RETURN_IF_ERROR(ReadRecordState(item));
      ASSIGN_OR_RETURN(auto open_conflict,
                       state_->OpenConflictFor(flow_.entity, item.canon_key_text));
      std::set<std::string> clash;
      if (item.target_row && item.rare().record_state) {
        for (const auto& f : contested_) {
          auto agreed = item.rare().record_state->field_hashes.find(f);
          if (agreed == item.rare().record_state->field_hashes.end()) continue;
          Value src = item.canon.count(f) ? item.canon.at(f) : Value::Null();
          Value tgt = item.target_canon.count(f) ? item.target_canon.at(f) : Value::Null();
          if (src == tgt) continue;
          bool source_changed = HashValue(src) != agreed->second;
          bool target_changed = HashValue(tgt) != agreed->second;
          if (source_changed && target_changed) clash.insert(f);
        }
      }
      if (open_conflict) {
        // A person has to decide; until then the fields in question stay as they are on both
        // sides.
        auto fields = nlohmann::json::parse(open_conflict->values_a_json, nullptr, false);
        if (fields.is_object()) {
          for (const auto& [name, v] : fields.items()) {
            if (contested_.count(name)) clash.insert(name);
          }
        }
      }
      if (!clash.empty()) {
        bool source_wins = false;
        if (!open_conflict) {
          switch (flow_.conflict) {
            case ConflictRule::kNewest: {
              int64_t target_ms = 0;
              if (item.rare().record_state) {
                auto it = item.rare().record_state->last_change_ms.find(flow_.to);
                if (it != item.rare().record_state->last_change_ms.end()) target_ms = it->second;
              }
              auto p = target_pending_ms.find(target_key_text);
              if (p != target_pending_ms.end()) target_ms = std::max(target_ms, p->second);
              source_wins = item.at_ms >= target_ms;
              break;
            }
            case ConflictRule::kPrefer:
              source_wins = flow_.prefer == flow_.from;
              break;
            case ConflictRule::kManual:
              source_wins = false;
              break;
          }
        }
        if (!source_wins) {
          Item::Rare& rare = item.set_rare();
          rare.held_fields = clash;
          rare.narrowed_fields = carried_;
          item.narrowed = true;
          for (const auto& f : clash) rare.narrowed_fields.erase(f);
          if (open_conflict || flow_.conflict == ConflictRule::kManual) {
            ConflictEntry c = open_conflict ? *open_conflict : ConflictEntry{};
            c.entity = flow_.entity;
            c.canonical_key = item.canon_key_text;
            // An entry keeps the side order it was opened with; both sides' values refresh.
            bool swapped = open_conflict && open_conflict->system_a == flow_.to;
            c.system_a = swapped ? flow_.to : flow_.from;
            c.system_b = swapped ? flow_.from : flow_.to;
            std::string source_values = ValuesJson(*entity_, item.canon, clash);
            std::string target_values = ValuesJson(*entity_, item.target_canon, clash);
            c.values_a_json = swapped ? target_values : source_values;
            c.values_b_json = swapped ? source_values : target_values;
            rare.conflict = std::make_unique<ConflictEntry>(std::move(c));
          }
        }
      }
    }

    // Unchanged: the target already holds these values.
    if (item.target_row) {
      bool same = true;
      for (const auto& f : WriteFields(item)) {
        Value src = item.canon.count(f) ? item.canon.at(f) : Value::Null();
        auto t = item.target_canon.find(f);
        if (t == item.target_canon.end() || t->second != src) {
          same = false;
          break;
        }
      }
      // A translated reference column must match the raw target column too.
      for (const auto& [col, v] : item.reference_columns) {
        auto t = item.target_row->find(col);
        if (t == item.target_row->end() || t->second != v) same = false;
      }
      if (same) {
        item.outcome = item.rare().held_fields.empty() ? Outcome::kUnchanged : Outcome::kConflict;
        continue;
      }
    }
    FieldIssue issue;
    auto row = item.narrowed ? to_->FromCanonical(item.canon, item.rare().narrowed_fields, &issue)
                             : to_->FromCanonical(item.canon, write_carried_, &issue);
    if (!row.ok()) {
      Reject(item, issue.rule.empty() ? "format" : issue.rule, issue.field,
             row.status().message() + "; hint: " +
                 (issue.rule == "value_map"
                      ? "add the value to the target binding's map"
                      : "the target binding's format or encoding cannot hold this value: change "
                        "it, or fix the value in the source system"));
      continue;
    }
    for (const auto& [col, v] : item.reference_columns) (*row)[col] = v;
    item.write = true;
    item.op_to_apply.kind = WriteOp::Kind::kUpsert;
    item.op_to_apply.key = item.target_key.value_or(Key{});
    item.op_to_apply.values = std::move(*row);
  }
  // The source rows are mapped: nothing after this reads them (is_delete says what their absence
  // meant). Freed now, a chunk resolved ahead of its write holds its records only.
  for (Item& item : items) {
    if (item.image) item.image.emplace();
  }
  return CheckUniqueFields(items);
}

// `unique:` fields — a value may belong to one record of the target only (mapping/unique_check.h).
Status FlowRunner::CheckUniqueFields(std::vector<Item>& items) {
  if (unique_fields_.empty()) return Status::Ok();
  std::vector<UniqueCandidate> candidates;
  std::vector<Item*> writers;
  std::vector<Key> deleted;
  for (Item& item : items) {
    if (!item.write || item.outcome != Outcome::kPending) continue;
    if (item.op_to_apply.kind == WriteOp::Kind::kDelete) {
      deleted.push_back(item.op_to_apply.key);
      continue;
    }
    candidates.push_back({&item.canon, &WriteFields(item), KeyForDisplay(item.canon_key_text),
                          item.target_key});
    writers.push_back(&item);
  }
  if (candidates.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(Connection * target, pool_->Get(flow_.to));
  auto find = [&](const TableRef& t, const std::string& column, const std::vector<Value>& values)
      -> Result<std::vector<Row>> {
    if (target->source() == nullptr) {
      return InvalidArgument(flow_.to + ": its connector cannot read, so unique fields cannot be "
                             "checked there");
    }
    auto rows = target->source()->FindByColumn(t, column, values);
    if (!rows.ok() && rows.status().code() == Code::kInvalidArgument) {
      return rows.status().WithContext(flow_.to + ": checking unique field values: ");
    }
    return rows;
  };
  auto describe = [&](const Key& key) -> Result<std::string> {
    std::string shown = KeyForDisplay(EncodeKey(key));
    if (to_->key_is_mapped()) return shown;
    ASSIGN_OR_RETURN(auto canonical,
                     state_->CanonicalKey(flow_.entity, flow_.to, EncodeKey(key)));
    if (!canonical) return flow_.to + " key " + shown + ", not synced by concord";
    return KeyForDisplay(*canonical) + " (" + flow_.to + " key " + shown + ")";
  };
  ASSIGN_OR_RETURN(
      std::vector<UniqueClash> clashes,
      CheckUnique(*to_, unique_fields_, candidates, deleted, flow_.to, find, describe));
  for (const UniqueClash& c : clashes) {
    Reject(*writers[c.index], c.issue.rule, c.issue.field, c.issue.ToString());
  }
  return Status::Ok();
}

Status FlowRunner::ApplyWrites(std::vector<Item>& items, Sink* sink) {
  std::vector<WriteOp> ops;
  std::vector<Item*> writers;
  ops.reserve(items.size());
  writers.reserve(items.size());
  for (Item& item : items) {
    if (item.write && item.outcome == Outcome::kPending) {
      ops.push_back(std::move(item.op_to_apply));  // nothing reads it after this
      writers.push_back(&item);
    }
  }
  if (ops.empty()) return Status::Ok();
  int64_t started = clock_->NowMs();
  auto result = sink->Apply(to_->table(), ops, flow_.from);
  if (result.ok()) {
    for (const std::string& note : result->notes) {
      if (notes_logged_.insert(note).second) {
        log_->warn("{}.{}: {}", flow_.to, to_->table().table, note);
      }
    }
    for (size_t i = 0; i < writers.size(); ++i) {
      writers[i]->written_key = i < result->keys.size() ? std::move(result->keys[i]) : Key{};
      writers[i]->outcome = Outcome::kApplied;
    }
  } else if (result.status().IsRetryable()) {
    return result.status();
  } else {
    // The target refused the batch: isolate the record(s) it refuses, one by one.
    log_->warn("{}.{} refused a batch of {} ({}); retrying record by record", flow_.to,
               to_->table().table, ops.size(), result.status().message());
    for (size_t i = 0; i < writers.size(); ++i) {
      auto one = sink->Apply(to_->table(), {ops[i]}, flow_.from);
      if (one.ok()) {
        writers[i]->written_key = one->keys.empty() ? Key{} : one->keys[0];
        writers[i]->outcome = Outcome::kApplied;
      } else if (one.status().IsRetryable()) {
        return one.status();
      } else {
        Reject(*writers[i], "target", "",
               fmt::format("{}.{} refused the record: {}; hint: fix the record in the source "
                           "system, or make the data dictionary as strict as the target's "
                           "columns (required, max_length) so the source is told first",
                           flow_.to, to_->table().table, one.status().message()));
      }
    }
  }
  int64_t took = clock_->NowMs() - started;
  if (stats_.apply_ms.size() < kMaxLatencySamples) stats_.apply_ms.push_back(took);
  // Back to their items: freed with them, by the thread that made them (CopyOverlapped writes on
  // a thread of its own; glibc's frees of another thread's blocks cost it twice the CPU).
  for (size_t i = 0; i < writers.size(); ++i) writers[i]->op_to_apply = std::move(ops[i]);
  return Status::Ok();
}

Status FlowRunner::Commit(std::vector<Item>& items, const std::vector<int64_t>& acks,
                          const std::string& snapshot_after_key) {
  int64_t now = clock_->NowMs();
  ASSIGN_OR_RETURN(FlowCheckpoint cp, state_->GetCheckpoint(id_));
  RETURN_IF_ERROR(state_->Begin());
  auto body = [&]() -> Status {
    // The previous batch's acks, acknowledged at the source since its commit.
    if (!acked_.empty()) RETURN_IF_ERROR(state_->ClearPendingAcks(id_, acked_));
    int64_t applied = 0, rejected = 0, newest_source_ms = 0;
    // Most batches have nothing waiting or rejected: then skip the per-record look-ups.
    ASSIGN_OR_RETURN(int64_t open_dlq, state_->CountOpenDlq(id_));
    ASSIGN_OR_RETURN(int64_t waiting, state_->CountParked(id_));
    // Written together after the loop, in this order. The entries of the previous batch are
    // overwritten in place: their strings keep their capacity, so a batch allocates nothing here.
    size_t audit_count = 0;
    // An initial copy audits runs: consecutive records of the chunk (read in key order) with one
    // outcome share an entry (its last key and count). Exceptions (dlq, parked, conflict) are one
    // record each, as every streamed change is.
    // The open run: the last entry written, for records of this outcome and op.
    struct OpenRun {
      Outcome outcome;
      ChangeOp op;
    };
    std::optional<OpenRun> run;
    for (Item& item : items) {
      const ChangeOp change_op = item.is_delete ? ChangeOp::kDelete : item.op;
      const std::string_view op = ChangeOpName(change_op);
      std::optional<ParkedChange> parked;
      if (waiting > 0 && item.outcome != Outcome::kEcho) {
        ASSIGN_OR_RETURN(parked, state_->ParkedFor(id_, item.source_key_text));
      }
      if (parked && item.outcome == Outcome::kParked &&
          now - parked->first_seen_ms >= flow_.max_parent_wait_s * 1000) {
        // Waited long enough: the parent is not coming. Give it to a person.
        FieldIssue issue{item.rare().park_field, "reference",
                         fmt::format("waited {} s for the parent: {}", flow_.max_parent_wait_s,
                                     item.rare().park_reason),
                         "the referenced record must reach the target first: look for it in "
                         "the DLQ of its own flow, or fix the reference in the source"};
        Reject(item, "reference", item.rare().park_field, issue.ToString());
      }
      // Audit: one entry per consumed change; snapshot and retried rows get one with seq 0.
      auto audit = [&](int64_t seq, std::string_view prefix, std::string_view outcome) {
        if (audit_count == audits_.size()) audits_.emplace_back();
        AuditEntry& e = audits_[audit_count++];
        e.flow.assign(id_);
        e.entity.assign(flow_.entity);
        e.source_key.assign(item.source_key_text);
        e.seq = seq;
        e.op.assign(op);
        e.outcome.assign(prefix);
        e.outcome.append(outcome);
        e.at_ms = now;
        e.last_key.clear();
        e.rows = 1;
      };
      for (int64_t seq : item.echo_seqs) audit(seq, "", "echo");
      stats_.echo += static_cast<int64_t>(item.echo_seqs.size());  // one per skipped change
      if (item.outcome == Outcome::kEcho) {
        run.reset();
        continue;
      }
      const bool in_run = item.snapshot && item.seqs.empty() && item.echo_seqs.empty() &&
                          item.outcome != Outcome::kDlq && item.outcome != Outcome::kParked &&
                          item.outcome != Outcome::kConflict;
      if (in_run && run && run->outcome == item.outcome && run->op == change_op) {
        AuditEntry& last = audits_[audit_count - 1];
        last.last_key.assign(item.source_key_text);
        ++last.rows;
      } else if (item.seqs.empty()) {
        audit(0, item.snapshot ? kSnapshotAudit : item.rare().audit_prefix,
              OutcomeName(item.outcome));
      }
      run = in_run ? std::optional<OpenRun>(OpenRun{item.outcome, change_op}) : std::nullopt;
      for (int64_t seq : item.seqs) audit(seq, "", OutcomeName(item.outcome));

      const Outcome o = item.outcome;
      if (o == Outcome::kApplied || o == Outcome::kUnchanged || o == Outcome::kConflict) {
        if (o == Outcome::kApplied) {
          ++applied;
          newest_source_ms = std::max(newest_source_ms, item.at_ms);
        }
        // xref
        if (item.is_delete) {
          if (o == Outcome::kApplied) {
            RETURN_IF_ERROR(state_->DeleteXref(flow_.entity, item.canon_key_text, flow_.to));
            RETURN_IF_ERROR(state_->DeleteXref(flow_.entity, item.canon_key_text, flow_.from));
            RETURN_IF_ERROR(state_->DeleteRecordState(flow_.entity, item.canon_key_text));
          }
        } else {
          if (item.xref_from_changed) {
            RETURN_IF_ERROR(state_->PutXref(flow_.entity, item.canon_key_text, flow_.from,
                                            item.source_key_text));
          }
          if (!to_->key_is_mapped()) {
            Key k = !item.written_key.empty() ? item.written_key : item.target_key.value_or(Key{});
            bool known = item.target_key_in_xref && item.target_key && *item.target_key == k;
            if (!k.empty() && !known) {
              RETURN_IF_ERROR(
                  state_->PutXref(flow_.entity, item.canon_key_text, flow_.to, EncodeKey(k)));
            }
          }
          if (!contested_.empty() || poll_) {  // poll: the agreed hashes recognise echoes
            RecordState rs = item.rare().record_state.value_or(RecordState{});
            for (const auto& f : WriteFields(item)) {
              auto it = item.canon.find(f);
              rs.field_hashes[f] = HashValue(it == item.canon.end() ? Value::Null() : it->second);
            }
            int64_t& seen = rs.last_change_ms[flow_.from];
            seen = std::max(seen, item.at_ms);
            RETURN_IF_ERROR(state_->PutRecordState(flow_.entity, item.canon_key_text, rs));
          }
        }
        if (item.rare().conflict) {
          ConflictEntry c = *item.rare().conflict;
          c.updated_ms = now;
          if (c.created_ms == 0) c.created_ms = now;
          RETURN_IF_ERROR(state_->PutConflict(c).status());
          ++stats_.conflicts;
        }
        if (open_dlq > 0) {
          ASSIGN_OR_RETURN(auto dlq, state_->OpenDlqFor(id_, item.source_key_text));
          if (dlq) RETURN_IF_ERROR(state_->SetDlqStatus(dlq->id, "resolved"));
        }
      }
      if (o == Outcome::kParked) {
        ParkedChange p = parked.value_or(ParkedChange{});
        if (!parked) p.first_seen_ms = now;
        p.flow = id_;
        p.source_key = item.source_key_text;
        p.seq = item.seqs.empty() ? p.seq : item.seqs.back();
        p.reason = item.rare().park_reason;
        p.next_attempt_ms = now + ParkDelayMs(p.attempts);
        RETURN_IF_ERROR(state_->PutParked(p).status());
        if (!parked) ++stats_.parked;  // a record that starts to wait (not each retry)
      } else if (parked) {
        // Applied, filtered, rejected or deleted: it no longer waits.
        RETURN_IF_ERROR(state_->DeleteParked(parked->id));
      }
      if (o == Outcome::kDlq) {
        ++rejected;
        DlqEntry e;
        e.flow = id_;
        e.entity = flow_.entity;
        e.source_key = item.source_key_text;
        e.op = std::string(op);
        e.seq = item.seqs.empty() ? 0 : item.seqs.back();
        e.reason = item.rare().reason;
        e.field = item.rare().field;
        e.rule = item.rare().rule;
        e.record_json = item.canon.empty() ? "" : RecordJson(*entity_, item.canon);
        e.first_seen_ms = now;
        e.last_seen_ms = now;
        RETURN_IF_ERROR(state_->PutDlq(e).status());
        log_->warn("record {} rejected ({}): {}", KeyForDisplay(item.source_key_text),
                   item.rare().rule, item.rare().reason);
      }
      if (o == Outcome::kApplied) ++stats_.applied;
      else if (o == Outcome::kUnchanged) ++stats_.unchanged;
      else if (o == Outcome::kFiltered) ++stats_.filtered;
    }
    stats_.rejected += rejected;
    audits_.resize(audit_count);
    RETURN_IF_ERROR(state_->AddAudits(audits_));
    if (!acks.empty()) {
      RETURN_IF_ERROR(state_->AddPendingAcks(id_, acks));
      cp.last_seq = std::max(cp.last_seq, *std::max_element(acks.begin(), acks.end()));
    }
    if (!snapshot_after_key.empty()) cp.snapshot_after_key = snapshot_after_key;
    if (!commit_position_.empty()) cp.position = commit_position_;
    cp.applied_total += applied;
    cp.rejected_total += rejected;
    if (applied > 0) {
      cp.last_applied_ms = now;
      if (newest_source_ms > 0) {
        cp.last_source_ms = std::max(cp.last_source_ms, newest_source_ms);
        stats_.last_lag_ms = now - newest_source_ms;
      }
    }
    return state_->PutCheckpoint(cp);
  };
  CrashPoint("after_target_commit");
  Status s = body();
  if (s.ok() && FailPoint("state_commit")) {
    s = Unavailable("state: the commit failed (CONCORD_FAIL_POINT state_commit)");
  }
  if (!s.ok()) {
    state_->Rollback();
    return s;
  }
  RETURN_IF_ERROR(state_->Commit());
  acked_.clear();
  CrashPoint("after_state_commit");
  ++stats_.batches;

  // Only now may the source forget the changes: delete-on-consume.
  if (!acks.empty()) {
    ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
    Status ack = src->source()->AckChanges(id_, acks);
    if (!ack.ok()) {
      // Harmless: they are pending acks in the state and are acknowledged on the next start.
      pool_->Drop(flow_.from);
      prepared_ = false;
      return ack;
    }
    CrashPoint("after_source_ack");
    acked_.insert(acked_.end(), acks.begin(), acks.end());
  }
  return Status::Ok();
}

Status FlowRunner::ProcessItems(std::vector<Item>& items, const std::vector<int64_t>& acks,
                                const std::string& snapshot_after_key) {
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  auto dst = pool_->Get(flow_.to);
  if (!dst.ok()) return dst.status();
  Sink* sink = (*dst)->sink();
  if (sink == nullptr) return InvalidArgument(flow_.to + ": its connector cannot be written to");
  // Stage times are kept for the initial copy's closing log line.
  const bool copy = !snapshot_after_key.empty();
  auto started = std::chrono::steady_clock::now();
  Status s = Resolve(items, src->source(), sink);
  if (copy) copy_times_.resolve_s += SecondsSince(started);
  if (s.ok()) {
    started = std::chrono::steady_clock::now();
    s = ApplyWrites(items, sink);
    if (copy) copy_times_.apply_s += SecondsSince(started);
  }
  if (!s.ok()) {
    pool_->Drop(flow_.to);
    return s;
  }
  started = std::chrono::steady_clock::now();
  s = Commit(items, acks, snapshot_after_key);
  if (copy) copy_times_.commit_s += SecondsSince(started);
  return s;
}

Result<std::string> FlowRunner::TakeSourceSide(const std::string& canonical_key) {
  ASSIGN_OR_RETURN(Key ck, DecodeKey(canonical_key));
  std::optional<Key> source_key = from_->SystemKeyFromCanonical(ck);
  if (!source_key) {
    ASSIGN_OR_RETURN(auto known, state_->SystemKey(flow_.entity, canonical_key, flow_.from));
    if (!known) return NotFound("no key of " + KeyForDisplay(canonical_key) + " in " + flow_.from);
    ASSIGN_OR_RETURN(Key k, DecodeKey(*known));
    source_key = std::move(k);
  }
  // Agree on the target's current values first, so only the source counts as changed.
  std::optional<Key> target_key = to_->SystemKeyFromCanonical(ck);
  if (!target_key) {
    ASSIGN_OR_RETURN(auto known, state_->SystemKey(flow_.entity, canonical_key, flow_.to));
    if (known) {
      ASSIGN_OR_RETURN(Key k, DecodeKey(*known));
      target_key = std::move(k);
    }
  }
  ASSIGN_OR_RETURN(Connection * dst, pool_->Get(flow_.to));
  RecordState rs;
  ASSIGN_OR_RETURN(auto existing, state_->GetRecordState(flow_.entity, canonical_key));
  if (existing) rs = *existing;
  if (target_key) {
    ASSIGN_OR_RETURN(std::vector<Row> rows, dst->sink()->ReadRows(to_->table(), {*target_key}));
    if (!rows.empty()) {
      Record target = to_->ToCanonical(rows[0]).record;
      for (const auto& f : contested_) {
        auto it = target.find(f);
        rs.field_hashes[f] = HashValue(it == target.end() ? Value::Null() : it->second);
      }
    }
  }
  RETURN_IF_ERROR(state_->PutRecordState(flow_.entity, canonical_key, rs));
  ASSIGN_OR_RETURN(auto outcomes, RetryKeys({EncodeKey(*source_key)}));
  return outcomes.begin()->second;
}

Result<int64_t> FlowRunner::SourceRowEstimate() {
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  return src->source()->EstimateRows(from_->table());
}

Result<Source::Backlog> FlowRunner::Backlog() {
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  if (poll_) {
    // A polled source keeps no log of pending changes: count the rows after the watermark.
    constexpr int64_t kCap = 100000;
    ASSIGN_OR_RETURN(FlowCheckpoint cp, state_->GetCheckpoint(id_));
    return PollBacklog(src->source(), *from_, poll_->column(), cp.position, kCap);
  }
  return src->source()->PendingChanges(id_);
}

Result<FlowPlan> FlowRunner::Plan() {
  FlowPlan plan;
  ASSIGN_OR_RETURN(FlowCheckpoint cp, state_->GetCheckpoint(id_));
  ASSIGN_OR_RETURN(Connection * src, pool_->Get(flow_.from));
  ASSIGN_OR_RETURN(Connection * dst, pool_->Get(flow_.to));
  Source* source = src->source();
  Sink* sink = dst->sink();
  constexpr size_t kSamples = 5;
  auto tally = [&](std::vector<Item>& items) {
    for (Item& item : items) {
      const std::string& key = KeyForDisplay(item.source_key_text);
      if (item.outcome == Outcome::kDlq) {
        ++plan.rejects;
        if (plan.sample_rejects.size() < kSamples)
          plan.sample_rejects.push_back(key + " (" + item.rare().reason + ")");
      } else if (item.outcome == Outcome::kFiltered) {
        ++plan.filtered;
      } else if (item.outcome == Outcome::kParked) {
        ++plan.waiting;
        if (plan.sample_waiting.size() < kSamples)
          plan.sample_waiting.push_back(key + " (" + item.rare().park_reason + ")");
      } else if (item.outcome == Outcome::kUnchanged || item.outcome == Outcome::kEcho ||
                 item.outcome == Outcome::kConflict) {
        ++plan.unchanged;
      } else if (item.is_delete) {
        ++plan.deletes;
        if (plan.sample_deletes.size() < kSamples) plan.sample_deletes.push_back(key);
      } else if (!item.target_row) {
        ++plan.creates;
        if (plan.sample_creates.size() < kSamples) plan.sample_creates.push_back(key);
      } else {
        ++plan.updates;
        if (plan.sample_updates.size() < kSamples) plan.sample_updates.push_back(key);
      }
    }
  };
  if (cp.phase != "streaming") {
    plan.phase = "snapshot";
    std::optional<Key> after;
    if (!cp.snapshot_after_key.empty()) {
      ASSIGN_OR_RETURN(Key k, DecodeKey(cp.snapshot_after_key));
      after = std::move(k);
    }
    while (true) {
      ASSIGN_OR_RETURN(std::vector<Row> rows, source->ReadChunk(from_->table(), after, 1000));
      if (rows.empty()) break;
      std::vector<Item> items = RowItems(rows, /*snapshot=*/true);
      after = items.back().source_key;
      RETURN_IF_ERROR(Resolve(items, source, sink));
      tally(items);
    }
    return plan;
  }
  plan.phase = "streaming";
  if (poll_) {
    std::optional<Key> after;
    if (!cp.position.empty()) {
      ASSIGN_OR_RETURN(Key k, DecodeKey(cp.position));
      after = std::move(k);
    }
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     source->ReadChangedSince(from_->table(), poll_->column(), after, 1000));
    std::vector<Item> items = RowItems(rows, /*snapshot=*/false);
    RETURN_IF_ERROR(Resolve(items, source, sink));
    tally(items);
    return plan;
  }
  auto changes = source->ReadChanges(from_->table(), id_, 1000000);
  if (!changes.ok()) return changes.status();
  std::vector<Item> items = GroupByKey(*changes);
  RETURN_IF_ERROR(Resolve(items, source, sink));
  tally(items);
  return plan;
}

}  // namespace concord
