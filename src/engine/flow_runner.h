// FlowRunner: moves one entity from one system to another (one `flows:` entry), through every
// stage of DESIGN.md's data flow: capture → to canonical → validate → filter → resolve (xref,
// ownership, conflicts, parents) → from canonical → apply → commit (audit, xref, record state,
// checkpoint) → acknowledge the source.
//
// Guarantees it implements (DESIGN.md "Guarantees"):
//  - Nothing lost: source changelog rows are deleted only after the target transaction and then
//    the state transaction committed; the seqs in between are recorded as pending acks in that
//    same state transaction and acknowledged first on restart.
//  - Nothing doubled: capture carries the current row image, apply is an upsert by key, and a
//    record already equal in the target is not written again ("unchanged").
//  - No echo: changes whose origin is this flow's target were written by concord and are skipped.
//  - Bad data never blocks good data: a record that fails mapping or validation goes to the DLQ;
//    a batch the target refuses is retried record by record and only the refused records go to
//    the DLQ.
//  - Parents first: a record whose referenced parent is not yet in the target is parked and
//    retried with backoff, then sent to the DLQ after `max_parent_wait_s`.
//
// Threading: one thread, except that the initial copy reads its next chunk from the source on a
// second thread while the current one is written; that thread is joined before Step returns, so
// between calls the runner holds no thread and uses no connection. The runner borrows the pool,
// state store, clock and mappers; they must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "config/spec.h"
#include "core/clock.h"
#include "core/status.h"
#include "engine/poll_capture.h"
#include "engine/system_pool.h"
#include "engine/task_thread.h"
#include "engine/when_filter.h"
#include "mapping/binding_mapper.h"
#include "state/state_store.h"

namespace concord {

// Counters for one flow since the process started.
struct FlowStats {
  int64_t read = 0;       // source changes and snapshot rows read
  int64_t applied = 0;    // records written to the target
  int64_t unchanged = 0;  // target already equal
  int64_t echo = 0;       // concord's own writes, skipped
  int64_t filtered = 0;   // `when:` false
  int64_t rejected = 0;   // sent to the DLQ
  int64_t parked = 0;     // waiting for a parent
  int64_t conflicts = 0;  // fields held back by a conflict rule
  int64_t batches = 0;
  int64_t last_lag_ms = 0;            // now − source log time of the newest change applied
  std::vector<int64_t> apply_ms;      // per-batch apply latency samples (bounded)
};

// What `concord plan` reports for one flow.
struct FlowPlan {
  std::string phase;  // "snapshot" (first run copies the table) or "streaming"
  int64_t creates = 0, updates = 0, deletes = 0, unchanged = 0, rejects = 0, filtered = 0;
  int64_t waiting = 0;  // children whose parent is not in the target yet
  std::vector<std::string> sample_creates, sample_updates, sample_deletes, sample_rejects,
      sample_waiting;
  std::string note;  // e.g. "capture not installed yet"
};

// All mappers of a config, by binding name ("crm.customer").
using MapperSet = std::map<std::string, std::unique_ptr<BindingMapper>>;

// The fields `flow` carries from `from` to `to`: its `owns`, or else every field both bindings
// map. (The runner adds the entity's key fields, which always travel.)
std::set<std::string> CarriedFields(const FlowSpec& flow, const BindingMapper& from,
                                    const BindingMapper& to);

class FlowRunner {
 public:
  // Chunks an initial copy into an empty target writes per step, at most (CopyOverlapped): the
  // writer goes on to the next chunk while the last one's state commits, except after the
  // step's last. db_sync_bench snapshot, 1M rows: 5.10-5.50 s against 6.02-7.18 s at one chunk
  // per step (alternating binaries).
  static constexpr int kCopyChunksPerStep = 4;
  // How often the initial copy logs its progress (clock ms).
  static constexpr int64_t kCopyProgressEveryMs = 10'000;

  FlowRunner(const ConfigSpec& spec, const FlowSpec& flow, SystemPool* pool, StateStore* state,
             const MapperSet* mappers, const Clock* clock);
  ~FlowRunner();  // where Item is complete (resolved_ahead_ holds items)

  const FlowSpec& flow() const { return flow_; }
  const std::string& id() const { return id_; }
  const FlowStats& stats() const { return stats_; }

  // Installs capture on the source (idempotent) and acknowledges changes that were applied but
  // not yet acknowledged when the previous process stopped.
  Status Prepare();

  // Does one unit of work: the next snapshot chunk, or the next batch of changes, then any parked
  // records that are due. Returns how many source rows/changes it consumed; 0 means idle.
  // `flush`: process a partial batch at once instead of waiting max_batch_delay_ms for it to fill.
  Result<int64_t> Step(bool flush);

  // Re-reads the current source rows for `source_keys` (encoded) and runs them through the flow
  // now — `concord dlq retry`, `concord check --repair`. Returns the outcome per key ("applied",
  // "dlq", ...). Audit entries get `audit_prefix` before the outcome ("repair:applied").
  Result<std::map<std::string, std::string>> RetryKeys(const std::vector<std::string>& source_keys,
                                                       const std::string& audit_prefix = "");

  // Parked records that are due (or all, with `all`), re-run. Returns how many left the park.
  Result<int64_t> RetryParked(bool all);

  // Resolves a manual conflict for `canonical_key` in favour of this flow's source: the source's
  // current values of the contested fields are written to the target. Returns the outcome.
  Result<std::string> TakeSourceSide(const std::string& canonical_key);

  // The pending backlog at the source (count, oldest log time).
  Result<Source::Backlog> Backlog();
  // About how many rows the source table holds (Source::EstimateRows): the initial copy's total.
  Result<int64_t> SourceRowEstimate();

  // Dry run: what the next run would do. Changes nothing anywhere.
  Result<FlowPlan> Plan();

  // When Step returned 0 while holding a partial batch back for max_batch_delay_ms: the clock
  // time it is due (an idle engine must look again by then); 0 when it holds none.
  int64_t partial_batch_due_ms() const {
    return partial_since_ms_ == 0 ? 0 : partial_since_ms_ + flow_.max_batch_delay_ms;
  }

  // Fields this flow writes to the target (its `owns`, else every field both bindings map).
  const std::set<std::string>& carried() const { return carried_; }

 private:
  struct Item;  // one source key in a batch
  enum class Outcome : uint8_t;  // what became of an item
  // As the audit and RetryKeys spell it: "applied", "unchanged", ...; "" while in progress.
  static std::string_view OutcomeName(Outcome o);
  struct BatchOutcome;

  Result<int64_t> SnapshotStep();
  // Whether the target table holds no row at all; false when that cannot be read.
  bool TargetIsEmpty();
  // The initial copy's rows after `after_text` (an encoded key; "" = the first chunk): those
  // read ahead when they are that chunk (prefetched_, dropped either way), else read now.
  Result<std::vector<Row>> TakeChunk(Source* source, const std::string& after_text, size_t chunk);
  // The rows after `after`, read on the copy's read-ahead thread (copy_reader_). The caller joins
  // the future before its step returns: the source's connection is the thread's until then.
  std::future<Result<std::vector<Row>>> ReadAhead(Source* source, const Key& after, size_t chunk);
  // Whether Resolve touches neither the target nor the state store in a copy into an empty
  // target: both keys mapped, no carried references, no contested or unique fields, no poll.
  bool ResolveIsLocal() const;
  // Up to kCopyChunksPerStep chunks of the initial copy into an empty target when
  // ResolveIsLocal: a chunk is written to the target on a second thread while the next chunk is
  // resolved here and the one after it is read from the source on a third; the next chunk's write
  // is queued behind this one's as soon as it is resolved, and this one's state commit (audit,
  // checkpoint) follows its write, as in ProcessItems. Each connection is used by one thread at a
  // time. Every thread is joined before it returns. What was done ahead (resolved_ahead_, prefetched_) is kept only when the
  // chunk before it is committed, and used only if the checkpoint says it comes next.
  Result<int64_t> CopyOverlapped(std::vector<Item> first, bool resolved, Source* source,
                                 size_t chunk);
  // One item per row read from the source: a snapshot row, or a row poll capture read.
  std::vector<Item> RowItems(std::vector<Row>& rows, bool snapshot);
  // One item per key: seqs to apply, echo seqs to skip, the newest log time.
  std::vector<Item> GroupByKey(const std::vector<SourceChange>& changes);
  Result<int64_t> StreamStep(bool flush);
  // capture: poll — the next page of the current pass (or the key scan when due), see
  // poll_capture.h. The watermark moves in the state transaction that commits the page.
  Result<int64_t> PollStep();
  // Deletes in a polled source: keys concord has seen there that the source no longer has.
  Result<int64_t> KeyScanStep(Source* source);
  // Runs items through resolve/apply/commit; `acks` are the changelog seqs consumed.
  Status ProcessItems(std::vector<Item>& items, const std::vector<int64_t>& acks,
                      const std::string& snapshot_after_key);
  // Everything short of writing: map, validate, filter, resolve keys, parents and conflicts.
  Status Resolve(std::vector<Item>& items, Source* source, Sink* sink);
  Status ApplyWrites(std::vector<Item>& items, Sink* sink);
  Status Commit(std::vector<Item>& items, const std::vector<int64_t>& acks,
                const std::string& snapshot_after_key);
  Result<Key> CanonicalKeyForDeletedRow(const Key& source_key);
  Status ResolveReferences(Item& item, Sink* sink);
  // Rejects the writes whose `unique:` values belong to another record of the target.
  Status CheckUniqueFields(std::vector<Item>& items);
  // The record state the store holds for `item`'s canonical key, into the item.
  Status ReadRecordState(Item& item);
  void Reject(Item& item, const std::string& rule, const std::string& field,
              const std::string& reason);
  // The fields `item` writes to the target (the carried ones unless a conflict rule held some).
  const std::set<std::string>& WriteFields(const Item& item) const;

  const ConfigSpec& spec_;
  const FlowSpec& flow_;
  const FlowSpec* reverse_ = nullptr;  // the flow to->from of the same entity, if any
  std::string id_;
  SystemPool* pool_;
  StateStore* state_;
  const MapperSet* mappers_;
  const Clock* clock_;
  const BindingMapper* from_;
  const BindingMapper* to_;
  const EntitySpec* entity_;
  std::set<std::string> carried_;
  BindingMapper::WritePlan write_carried_;  // to_'s plan for carried_ (records not narrowed)
  std::set<std::string> contested_;  // carried by this flow and by the reverse flow
  std::set<std::string> notes_logged_;  // the sink's ApplyResult::notes, each logged once
  // Changes acknowledged at the source (deleted from its changelog) whose pending acks are still
  // in the state: cleared inside the next batch's state transaction, or when the source has
  // nothing new, so that a batch costs one state transaction (one fsync), not two. Until then
  // a restart acknowledges them again, which is harmless (AckChanges is idempotent).
  std::vector<int64_t> acked_;
  std::vector<const FieldSpec*> unique_fields_;  // `unique:` fields it writes to the target
  // The flow's Lua (a Lua when, the entity's rules, computed fields), compiled at construction;
  // a compile failure is kept in lua_status_ and returned by Prepare.
  std::unique_ptr<FlowExpressions> lua_;
  Status lua_status_;
  std::shared_ptr<spdlog::logger> log_;
  FlowStats stats_;
  bool prepared_ = false;
  int64_t partial_since_ms_ = 0;  // when a partial batch was first seen (max_batch_delay_ms)
  std::unique_ptr<PollCapture> poll_;  // capture: poll only
  std::string commit_position_;        // poll: the watermark Commit() stores ("" = keep)
  // Whether the target table was empty when the initial copy began (before its first chunk; kept
  // in the checkpoint, so a copy resumed after a restart goes on as it began). Its rows can then
  // only be this copy's own (or another writer's, which the copy overwrites either way): with no
  // contested fields there is nothing in them to compare, so Resolve does not read them.
  std::optional<bool> copy_into_empty_;
  bool skip_target_read_ = false;  // set while such a copy's chunk is processed
  // The initial copy's next chunk, read ahead while the previous one was written (SnapshotStep):
  // the rows after `after_key`, used only if the checkpoint says they come next.
  struct Prefetched {
    std::string after_key;
    std::vector<Row> rows;
  };
  std::optional<Prefetched> prefetched_;
  // The copy's next chunk, resolved while the previous one was written (CopyOverlapped): the
  // items after `after_key`, used only if the checkpoint says they come next.
  struct ResolvedAhead {
    std::string after_key;
    std::vector<Item> items;
  };
  std::optional<ResolvedAhead> resolved_ahead_;
  // The initial copy's writer (CopyOverlapped) and read-ahead threads, kept until it completes.
  std::unique_ptr<TaskThread> copy_writer_;
  std::unique_ptr<TaskThread> copy_reader_;
  // Where the initial copy spent its time (wall seconds per stage), logged when it completes.
  struct CopyTimes {
    double read_s = 0, resolve_s = 0, apply_s = 0, commit_s = 0;
    int64_t rows = 0;
  };
  CopyTimes copy_times_;
  // The initial copy's progress log (LogCopyProgress): the source's row estimate (-1: none), and
  // from when this process copies: the clock time and the rows the checkpoint counted then.
  struct CopyProgress {
    bool begun = false;
    int64_t estimate = -1;
    int64_t began_ms = 0, rows_before = 0;
    int64_t logged_ms = 0;  // the last progress line
  };
  CopyProgress copy_progress_;
  // At this process's first copy step: the source's estimate, logged with where the copy starts
  // or resumes. After a step that copied rows: a progress line when kCopyProgressEveryMs passed.
  void BeginCopyProgress(const FlowCheckpoint& cp);
  void LogCopyProgress();
  // Commit's audit entries, reused from batch to batch (their strings keep their capacity).
  std::vector<AuditEntry> audits_;
};

}  // namespace concord
