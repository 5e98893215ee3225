// PollCapture: `capture: poll` for one flow — which source rows to run through the flow next, and
// how far the durable watermark may move, for systems where concord cannot install triggers
// (no privilege, or an ODBC database it has no trigger dialect for).
//
// The source is read in passes. A pass starts at the durable watermark (FlowCheckpoint::position,
// the encoded [change value, key...] of a row) and pages through every row after it in (change
// column, key) order — Source::ReadChangedSince, so the database decides how its types sort.
// Rows whose image was already run through the flow in this process are skipped (a hash per
// key, kept in memory only: after a restart they are run again and the engine finds them
// unchanged).
//
// Hold-back: a transaction may commit after a later one became visible, with an older change
// value. The watermark therefore never moves on to the end E of a pass until a later pass that
// started at least `hold_back_s` after E was seen has completed: any row at or before E that
// committed within the hold-back window was read by that later pass. Time here is concord's own
// clock (when a row was seen), never the value of the change column, so neither the source's
// clock nor the time zone of a naive timestamp column matter, and an increasing number works as
// well as a timestamp.
//
// The caller commits the rows of a page and the watermark the page returns in one state
// transaction (so a crash never skips a row and never runs one twice), then calls Committed();
// on any failure it calls Abort() and the next page starts the pass again from the durable
// watermark.
//
// Threading: one thread (the flow's). Borrows the mapper, which must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/spec.h"
#include "connectors/connector.h"
#include "core/change.h"
#include "mapping/binding_mapper.h"

namespace concord {

class PollCapture {
 public:
  PollCapture(const PollSpec& spec, const BindingMapper* from);

  struct Page {
    std::vector<Row> fresh;  // rows to run through the flow (new or changed since last seen)
    int64_t read = 0;        // rows the source returned
    int64_t null_column = 0; // rows skipped because their change column is NULL
    bool pass_end = false;   // the source had no more rows after this page
    // The watermark to store with this page's rows ("" = do not move it).
    std::string advance;
   private:
    friend class PollCapture;
    std::vector<std::pair<std::string, uint64_t>> hashes;  // per fresh row: key, image hash
    int64_t read_ms = 0;                                   // when it was read
  };

  // Reads the next page (up to `limit` rows) of the current pass; starts a pass at `watermark`
  // when none is in progress. InvalidArgument when a full page holds only rows whose change column
  // is NULL (no position to go on from); the source's errors otherwise.
  Result<Page> Next(Source* source, const std::string& watermark, size_t limit, int64_t now_ms);

  // The page's rows and watermark were committed: remember the images, end the pass if it ended.
  void Committed(const Page& page);

  // Processing the page failed: the next page starts the pass again from the durable watermark.
  void Abort();

  // Whether the periodic key scan (deletes) is due, and that it ran.
  bool KeyScanDue(int64_t now_ms) const;
  void KeyScanDone(int64_t now_ms) { last_key_scan_ms_ = now_ms; }

  const std::string& column() const { return spec_.column; }

 private:
  struct Candidate {
    Key end;          // the last row position of a completed pass
    int64_t seen_ms;  // when that pass completed
  };

  PollSpec spec_;
  const BindingMapper* from_;
  bool in_pass_ = false;
  int64_t pass_started_ms_ = 0;
  std::optional<Key> cursor_;    // where the next page of the pass starts
  std::optional<Key> pass_end_;  // the last row position of the pass so far
  std::deque<Candidate> candidates_;
  std::unordered_map<std::string, uint64_t> seen_;  // source key → image hash last run
  int64_t last_key_scan_ms_ = 0;
};

// A polled flow's backlog, for `concord status`: the rows of `from`'s table after `watermark` (the
// durable position) in (`column`, key) order, counted by paging through them, up to `cap`
// (Backlog::at_least when reached). It includes rows a running process has already run but the
// watermark has not passed yet (the hold-back window), so it is an upper bound. No log time:
// the change column is the application's, not a time concord can trust.
Result<Source::Backlog> PollBacklog(Source* source, const BindingMapper& from,
                                    const std::string& column, const std::string& watermark,
                                    int64_t cap);

// A content hash of a whole row (every column's name and value), to see whether an image changed.
uint64_t HashRow(const Row& row);

}  // namespace concord
