// PollCapture: passes over the source by (change column, key), and the hold-back rule that decides
// how far the durable watermark may move. See poll_capture.h.
#include "engine/poll_capture.h"

#include "core/hash.h"

namespace concord {
namespace {

// Skipping already-run images only saves work (the engine would find them unchanged), so the
// memory for it is bounded: past this many keys it starts afresh.
constexpr size_t kMaxSeen = 200000;
// Completed passes waiting for their hold-back to pass; the newest eligible one is used, so old
// ones can be dropped.
constexpr size_t kMaxCandidates = 256;

uint64_t Combine(uint64_t h, uint64_t v) { return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)); }

}  // namespace

uint64_t HashRow(const Row& row) {
  uint64_t h = 0;
  for (const auto& [name, value] : row) {
    h = Combine(h, HashValue(Value::Text(name)));
    h = Combine(h, HashValue(value));
  }
  return h;
}

PollCapture::PollCapture(const PollSpec& spec, const BindingMapper* from)
    : spec_(spec), from_(from) {}

bool PollCapture::KeyScanDue(int64_t now_ms) const {
  return spec_.key_scan_interval_s > 0 &&
         now_ms - last_key_scan_ms_ >= spec_.key_scan_interval_s * 1000;
}

namespace {

// A row's poll position: [change value, key values...].
Key PositionOf(const Value& change, const Key& key) {
  Key position;
  position.reserve(key.size() + 1);
  position.push_back(change);
  position.insert(position.end(), key.begin(), key.end());
  return position;
}

}  // namespace

Result<Source::Backlog> PollBacklog(Source* source, const BindingMapper& from,
                                    const std::string& column, const std::string& watermark,
                                    int64_t cap) {
  constexpr size_t kPage = 5000;
  Source::Backlog backlog;
  std::optional<Key> after;
  if (!watermark.empty()) {
    ASSIGN_OR_RETURN(Key k, DecodeKey(watermark));
    after = std::move(k);
  }
  while (true) {
    // One row more than the cap allows, to tell "exactly cap" from "more".
    size_t want = static_cast<size_t>(std::min<int64_t>(kPage, cap - backlog.count + 1));
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     source->ReadChangedSince(from.table(), column, after, want));
    if (backlog.count + static_cast<int64_t>(rows.size()) > cap) {
      backlog.count = cap;
      backlog.at_least = true;
      return backlog;
    }
    backlog.count += static_cast<int64_t>(rows.size());
    if (rows.size() < want) return backlog;
    auto it = rows.back().find(column);
    if (it == rows.back().end() || it->second.is_null()) {  // no position to page on from
      backlog.at_least = true;
      return backlog;
    }
    after = PositionOf(it->second, from.SystemKeyOfRow(rows.back()));
  }
}

Result<PollCapture::Page> PollCapture::Next(Source* source, const std::string& watermark,
                                            size_t limit, int64_t now_ms) {
  if (!in_pass_) {
    cursor_.reset();
    if (!watermark.empty()) {
      ASSIGN_OR_RETURN(Key k, DecodeKey(watermark));
      cursor_ = std::move(k);
    }
    pass_end_.reset();
    pass_started_ms_ = now_ms;
    in_pass_ = true;
  }
  const TableRef& t = from_->table();
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   source->ReadChangedSince(t, spec_.column, cursor_, limit));
  Page page;
  page.read_ms = now_ms;
  page.read = static_cast<int64_t>(rows.size());
  std::optional<Key> last;
  for (Row& row : rows) {
    auto it = row.find(spec_.column);
    if (it == row.end() || it->second.is_null()) {
      ++page.null_column;
      continue;
    }
    Key key = from_->SystemKeyOfRow(row);
    last = PositionOf(it->second, key);
    std::string key_text = EncodeKey(key);
    uint64_t hash = HashRow(row);
    auto s = seen_.find(key_text);
    if (s != seen_.end() && s->second == hash) continue;
    page.hashes.emplace_back(std::move(key_text), hash);
    page.fresh.push_back(std::move(row));
  }
  if (last) {
    cursor_ = last;
    pass_end_ = std::move(last);
  } else if (!rows.empty() && rows.size() >= limit) {
    in_pass_ = false;
    return InvalidArgument(t.table + ": " + std::to_string(rows.size()) +
                           " rows in a row have no value in the poll column \"" + spec_.column +
                           "\", so poll capture cannot go past them; give them a value (and make "
                           "the column NOT NULL)");
  }
  if (rows.size() < limit) {
    page.pass_end = true;
    // The newest completed pass whose end was seen at least hold_back before this pass began:
    // this pass has read every row up to that end that committed in the meantime.
    const int64_t hold_back_ms = spec_.hold_back_s * 1000;
    std::optional<Key> eligible;
    for (const Candidate& c : candidates_) {
      if (c.seen_ms + hold_back_ms <= pass_started_ms_) eligible = c.end;
    }
    if (hold_back_ms == 0 && pass_end_) eligible = pass_end_;
    if (eligible) page.advance = EncodeKey(*eligible);
  }
  return page;
}

void PollCapture::Committed(const Page& page) {
  if (seen_.size() + page.hashes.size() > kMaxSeen) seen_.clear();
  for (const auto& [key, hash] : page.hashes) seen_[key] = hash;
  if (!page.pass_end) return;
  if (!page.advance.empty()) candidates_.clear();  // they ended before the new watermark's pass
  if (pass_end_ && !(page.advance == EncodeKey(*pass_end_))) {
    candidates_.push_back({*pass_end_, page.read_ms});
  }
  while (candidates_.size() > kMaxCandidates) candidates_.pop_front();
  in_pass_ = false;
}

void PollCapture::Abort() { in_pass_ = false; }

}  // namespace concord
