#include "reconcile/check.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <xxhash.h>

#include "config/when.h"
#include "core/did_you_mean.h"
#include "core/hash.h"
#include "core/page_size.h"
#include "engine/logging.h"
#include "engine/when_filter.h"
#include "quality/normalize.h"
#include "reconcile/amounts.h"
#include "reconcile/check_memo.h"
#include "reconcile/compared_fields.h"

namespace concord {
namespace {

// Rows of a keyset page: they start at kPageRows and adapt to how long each page takes (the
// database's side of it: reading, hashing, sending), aiming at kPageTargetMs.
constexpr size_t kPageRows = 2000;
constexpr size_t kMinPageRows = 200;
constexpr size_t kMaxPageRows = 50000;
constexpr int64_t kPageTargetMs = 250;
constexpr size_t kRereadBatch = 500;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One side of the comparison: a system's binding of the entity.
struct Side {
  std::string system;
  const BindingMapper* mapper = nullptr;
  Source* source = nullptr;
};

// The keys of a row that was read (an entry from the memo has none until its bucket is read).
struct EntryKeys {
  std::string canonical_key;  // EncodeKey of the canonical key
  std::string system_key;     // EncodeKey of the system key
};
constexpr uint32_t kNoKeys = UINT32_MAX;

// One row of one side, as the scan keeps it: 24 bytes and trivially copyable, so that millions
// sort and move fast; its keys, where known, sit apart (SideScan::keys).
struct Entry {
  uint64_t key_hash = 0;
  uint64_t row_hash = 0;
  uint32_t bucket = 0;
  uint32_t keys = kNoKeys;  // index into SideScan::keys; kNoKeys for an entry from the memo
  bool from_memo() const { return keys == kNoKeys; }
};

std::string_view KindName(RowDifference::Kind k) {
  switch (k) {
    case RowDifference::Kind::kMissingLeft: return "missing_left";
    case RowDifference::Kind::kMissingRight: return "missing_right";
    case RowDifference::Kind::kDiffers: return "differs";
  }
  return "?";
}

// A canonical timestamp cut to `digits` fraction digits ("2026-01-02T08:00:00.123Z" at 0 →
// "2026-01-02T08:00:00Z"); trailing zeros dropped as the canonical form does.
std::string CutFraction(const std::string& ts, int digits) {
  size_t dot = ts.find('.', 10);
  if (dot == std::string::npos) return ts;
  size_t end = dot + 1;
  while (end < ts.size() && ts[end] >= '0' && ts[end] <= '9') ++end;
  std::string frac = ts.substr(dot + 1, std::min<size_t>(end - dot - 1, digits));
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return ts.substr(0, dot) + (frac.empty() ? "" : "." + frac) + ts.substr(end);
}

class Checker {
 public:
  Checker(const ConfigSpec& spec, const MapperSet& mappers, SystemPool* pool, StateStore* state,
          const CheckOptions& options, const CheckProgress& progress)
      : spec_(spec), mappers_(mappers), pool_(pool), state_(state), options_(options),
        progress_(progress) {}

  Result<CheckReport> Run() {
    const int64_t started = started_ms_;
    RETURN_IF_ERROR(Resolve());
    {
      std::ifstream in(spec_.path, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      config_text_ = text.str();
    }
    std::vector<Candidate> candidates;
    {
      SideScan left, right;
      ASSIGN_OR_RETURN(bool decided, ScanBoth(&left, &right));
      Trace("both sides scanned{}", decided ? ": decided by the totals" : "");
      // A difference involving only memo entries has no key yet: read those buckets and compare
      // again. Each pass turns memo buckets into read ones, so this ends.
      while (!decided) {
        std::set<uint32_t> need_left, need_right;
        candidates = CompareSegments(left, right, &need_left, &need_right);
        Trace("compared: {} candidates, memo buckets to read: {} left, {} right",
              candidates.size(), need_left.size(), need_right.size());
        if (need_left.empty() && need_right.empty()) break;
        RETURN_IF_ERROR(ReadBucketsAgain(left_, &left, need_left));
        RETURN_IF_ERROR(ReadBucketsAgain(right_, &right, need_right));
      }
      RETURN_IF_ERROR(SaveMemo(left_, left));
      RETURN_IF_ERROR(SaveMemo(right_, right));
      Trace("memos saved");
      report_.left_scan = left.info;
      report_.right_scan = right.info;
    }
    RETURN_IF_ERROR(Reread(candidates));
    Trace("differences re-read");
    report_.elapsed_ms = NowMs() - started;
    return std::move(report_);
  }

 private:
  // A debug line (`concord -v check`) with the milliseconds since the check began: where the
  // time of a check goes, side by side.
  template <typename... Args>
  void Trace(fmt::format_string<Args...> format, Args&&... args) {
    if (!log_->should_log(spdlog::level::debug)) return;
    log_->debug("+{} ms: {}", NowMs() - started_ms_,
                fmt::format(format, std::forward<Args>(args)...));
  }

  // What one look at a key found on each side: the row's hash, or nullopt when it was absent.
  struct Observation {
    std::optional<uint64_t> left, right;
    bool operator==(const Observation&) const = default;
  };
  struct Candidate {
    std::string canonical_key;
    std::optional<std::string> left_key, right_key;  // encoded system keys, where known
    Observation seen;                                // the latest observation
  };


  Status Resolve() {
    auto entity_it = spec_.entities.find(options_.entity);
    if (entity_it == spec_.entities.end()) {
      std::vector<std::string> names;
      for (const auto& [name, e] : spec_.entities) names.push_back(name);
      std::string match = ClosestMatch(options_.entity, names);
      return InvalidArgument(fmt::format(
          "unknown entity \"{}\"; {}", options_.entity,
          match.empty() ? fmt::format("the config declares {}", fmt::join(names, ", ")) : "did you mean \"" + match + "\"?"));
    }
    entity_ = &entity_it->second;
    report_.entity = entity_->name;
    ASSIGN_OR_RETURN(auto pair, ChooseSystems(spec_, entity_->name, options_.left, options_.right));
    report_.left = pair.first;
    report_.right = pair.second;
    left_.system = pair.first;
    right_.system = pair.second;
    left_.mapper = mappers_.at(left_.system + "." + entity_->name).get();
    right_.mapper = mappers_.at(right_.system + "." + entity_->name).get();
    ASSIGN_OR_RETURN(compared_, ComparedFields(spec_, *entity_, *left_.mapper, *right_.mapper,
                                               options_.fields));
    report_.compared_fields.assign(compared_.begin(), compared_.end());
    if (!options_.where.empty()) {
      ASSIGN_OR_RETURN(
          WhenSpec where,
          ParseWhereOption(
              options_.where,
              [&](const std::string& f) {
                return left_.mapper->mapped_fields().count(f) &&
                       right_.mapper->mapped_fields().count(f);
              },
              fmt::format("not mapped in both {} and {}", left_.system, right_.system)));
      where_ = std::move(where);
    }
    if (!options_.group_by.empty()) {
      ASSIGN_OR_RETURN(group_, ParseGroupBy(*entity_, *left_.mapper, *right_.mapper,
                                            options_.group_by));
    }
    for (Side* side : {&left_, &right_}) {
      ASSIGN_OR_RETURN(Connection * conn, pool_->Get(side->system));
      side->source = conn->source();
      if (side->source == nullptr) {
        return InvalidArgument(side->system + ": its connector cannot be read from");
      }
    }
    return Status::Ok();
  }


  // How field `f` of a mapped row is compared: the normalizer's message when the value did not
  // normalize (an invalid value on one side is a difference, not a hole; *problem is set), else
  // its canonical value — a timestamp cut to the field's precision.
  Value ComparedValue(const std::string& f, const BindingMapper::Canonical& c,
                      const std::string** problem) const {
    *problem = nullptr;
    for (const FieldIssue& issue : c.issues) {
      if (issue.field == f) {
        *problem = &issue.message;
        return Value::Null();
      }
    }
    auto it = c.record.find(f);
    if (it == c.record.end()) return Value::Null();
    const FieldSpec* fs = entity_->Field(f);
    if (fs != nullptr && fs->type == FieldType::kTimestamp && fs->precision_digits < 9 &&
        it->second.kind() == ValueKind::kText) {
      return Value::Text(CutFraction(it->second.text(), fs->precision_digits));
    }
    return it->second;
  }

  uint64_t FieldHash(const std::string& f, const BindingMapper::Canonical& c) const {
    const std::string* problem = nullptr;
    Value v = ComparedValue(f, c, &problem);
    if (problem != nullptr) {
      return XXH3_64bits(problem->data(), problem->size()) ^ 0x9e3779b97f4a7c15ULL;
    }
    return HashValue(v);
  }

  // The hash of the compared fields, in their (sorted) order.
  uint64_t RowHash(const BindingMapper::Canonical& c) const {
    std::vector<uint64_t> hashes;
    hashes.reserve(compared_.size());
    for (const auto& f : compared_) hashes.push_back(FieldHash(f, c));
    return XXH3_64bits(hashes.data(), hashes.size() * sizeof(uint64_t));
  }

  // The canonical key of a mapped row: from the record, or through the xref for a system whose
  // key no canonical field maps. nullopt (with *why) when neither gives one.
  Result<std::optional<std::string>> CanonicalKeyOf(const Side& side, const Row& row,
                                                    const BindingMapper::Canonical& canon,
                                                    std::string* why, bool* via_xref = nullptr) {
    auto key = side.mapper->CanonicalKeyOf(canon.record);
    if (key.ok()) return std::optional<std::string>(EncodeKey(*key));
    if (via_xref != nullptr) *via_xref = true;
    std::string system_key = EncodeKey(side.mapper->SystemKeyOfRow(row));
    Result<std::optional<std::string>> from_xref = std::optional<std::string>();
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      from_xref = state_->CanonicalKey(entity_->name, side.system, system_key);
    }
    RETURN_IF_ERROR(from_xref.status());
    if (*from_xref) return *from_xref;
    *why = key.status().message();
    for (const auto& issue : canon.issues) {
      if (std::find(entity_->key.begin(), entity_->key.end(), issue.field) != entity_->key.end()) {
        *why = issue.ToString();
      }
    }
    return std::optional<std::string>();
  }

  bool PassesWhere(const Record& record) const {
    return !where_ || EvaluateWhen(*where_, record).pass;
  }

  // What scanning one side yields. Each side is scanned on a thread of its own (the two systems
  // have separate connections), so the result is kept apart and merged afterwards.
  struct SideScan {
    // The rows read and mapped by this check, by key hash, then canonical key (SortEntries). The
    // rows of buckets reused from the memo stay in `memo` (not copied: a memo check of a large
    // table reads nothing and would otherwise move every entry only to sum it).
    std::vector<Entry> entries;
    std::vector<EntryKeys> keys;
    SideTotals totals;
    std::map<std::string, std::pair<SideTotals, AmountSums>> groups;  // by group value
    std::vector<std::string> unmappable_examples;
    Status status;
    // The memo (check_memo.h): every bucket as it stands after this check, and which to write.
    std::string memo_name, fingerprint;
    uint32_t buckets = 0;
    std::vector<MemoBucket> memo;
    std::vector<bool> read;  // by bucket: read by this check (its rows are in `entries`)
    std::set<uint32_t> changed;
    bool rebuilt = false;
    bool memo_found = false;  // a memo under this fingerprint is stored (LoadMemo reads it)
    std::optional<MemoTotals> memo_totals;  // its totals, when stored and readable
    std::string write_mark;  // Source::WriteMark as this check began (empty: none)
    bool expect_changed = false;  // BeginMemo asked for bucket summaries at once (see there)
    bool memo_loaded = false;     // LoadMemo ran
    std::future<Result<BucketSum>> pending_total;              // TableSum under way
    std::future<Result<std::vector<BucketSum>>> pending_sums;  // BucketSums under way
    std::optional<std::vector<BucketSum>> sums_now;  // BucketSums' answer, once taken
    std::optional<BucketSum> total_now;  // the whole table now (TableSum, or BucketSums added up)
    bool unchanged = false;              // total_now equals memo_totals: no bucket summaries
    CheckReport::SideScanInfo info;
  };

  void Scan(const Side& side, SideScan* out) { out->status = ScanSide(side, out); }

  // Maps one row read from `side`: into `out` (entries, totals, groups) and into `bucket`, the
  // memo of the row's bucket being rebuilt.
  Status MapRow(const Side& side, const HashedRow& h, MemoBucket* bucket, SideScan* out) {
    bucket->raw.Add(h.hash1, h.hash2);
    std::string system_key = EncodeKey(side.mapper->SystemKeyOfRow(h.row));
    bucket->AddSystemKey(system_key);
    ++out->info.rows_mapped;
    BindingMapper::Canonical canon = side.mapper->ToCanonical(h.row);
    std::string why;
    bool via_xref = false;
    ASSIGN_OR_RETURN(auto ckey, CanonicalKeyOf(side, h.row, canon, &why, &via_xref));
    if (!ckey) {
      bucket->reusable = false;
      ++out->totals.unmappable;
      if (out->unmappable_examples.size() < 10) {
        out->unmappable_examples.push_back(fmt::format(
            "{} row {}: {}", side.system,
            KeyForDisplay(system_key), why));
      }
      return Status::Ok();
    }
    if (!PassesWhere(canon.record)) return Status::Ok();
    Entry e;
    e.key_hash = XXH3_64bits(ckey->data(), ckey->size());
    e.keys = static_cast<uint32_t>(out->keys.size());
    out->keys.push_back({std::move(*ckey), std::move(system_key)});
    // Keyed through the xref: the memo keeps the system key's hash, to see the xref change.
    uint64_t xref = via_xref ? XrefHash(out->keys.back().system_key) : 0;
    e.row_hash = RowHash(canon);
    e.bucket = h.bucket;
    AddAmounts(*entity_, canon.record, &out->totals, &bucket->sums);
    if (group_) {
      auto& [gt, gs] = out->groups[GroupValue(*group_, canon.record)];
      ++gt.rows;
      AddAmounts(*entity_, canon.record, &gt, &gs);
    }
    bucket->entries.push_back({e.key_hash, e.row_hash, xref});
    out->entries.push_back(e);
    return Status::Ok();
  }

  // Reads and maps the rows of `which` (every bucket when empty) among `buckets` of `side`, in
  // key order, each into (*memo)[its bucket]. `expected` rows of `which` (when known, else 0)
  // are asked for in one page: a page of some buckets walks the table's key order from its
  // position until it has its rows, so each page costs up to a scan of the table.
  Status ReadAndMap(const Side& side, uint32_t buckets, const std::vector<uint32_t>& which,
                    std::vector<MemoBucket>* memo, SideScan* out, int64_t total,
                    int64_t expected = 0) {
    std::optional<Key> after;
    size_t first = kPageRows;
    if (!which.empty() && expected > 0) first = static_cast<size_t>(expected + expected / 8 + 16);
    PageSize page(first, kMinPageRows, kMaxPageRows, kPageTargetMs);
    const std::string phase = "reading " + side.system;
    while (true) {
      if (options_.stop_requested && options_.stop_requested()) {
        return Unavailable("check stopped before it finished");
      }
      const size_t asked = page.rows();
      const int64_t started = NowMs();
      auto rows = side.source->ReadBuckets(side.mapper->table(), buckets, which, after, asked);
      if (!rows.ok()) {
        return rows.status().WithContext(
            fmt::format("reading {}.{}", side.system, side.mapper->table().table));
      }
      page.Took(rows->size(), NowMs() - started);
      if (rows->empty()) break;
      for (const HashedRow& h : *rows) {
        if (h.bucket >= buckets) {
          return Internal(fmt::format("{}: the connector returned bucket {} of {}", side.system,
                                      h.bucket, buckets));
        }
        RETURN_IF_ERROR(MapRow(side, h, &(*memo)[h.bucket], out));
      }
      after = side.mapper->SystemKeyOfRow(rows->back().row);
      Progress(phase, out->info.rows_mapped, total);
      if (rows->size() < asked) break;
    }
    return Status::Ok();
  }

  // Looks up the memo of `side` in the state store and, when there is one made under this
  // fingerprint (config, build, fields, filter), asks the database for its whole-table totals
  // (SideScan::pending_total; TakeTotals waits for them) — or, for a connector that hashes in
  // concord or a memo without totals, for its bucket summaries (SideScan::pending_sums) — for
  // both sides at once.
  Status BeginMemo(const Side& side, SideScan* out) {
    out->info.hashed_in = side.source->BucketsInDatabase() ? "database" : "concord";
    std::vector<std::string> fields(compared_.begin(), compared_.end());
    out->memo_name = MemoName(entity_->name, side.system, fields, options_.where);
    out->fingerprint = MemoFingerprint(config_text_, entity_->name, side.system,
                                       side.source->BucketsInDatabase(), fields, options_.where);
    // A hint only (it orders the queries): a database that cannot tell gives no mark.
    if (auto mark = side.source->WriteMark(side.mapper->table()); mark.ok() && *mark) {
      out->write_mark = std::move(**mark);
    }
    // With --by the memo is not read (it keeps no groups), but it is written.
    if (options_.full || group_) return Status::Ok();
    std::unique_lock<std::mutex> lock(state_mu_);
    ASSIGN_OR_RETURN(auto header, state_->GetCheckMemo(out->memo_name));
    if (!header || header->fingerprint != out->fingerprint || header->buckets == 0) {
      return Status::Ok();
    }
    out->buckets = header->buckets;
    out->memo_found = true;
    ASSIGN_OR_RETURN(auto totals_header, state_->GetCheckMemo(MemoTotalsName(out->memo_name)));
    if (totals_header && totals_header->fingerprint == out->fingerprint) {
      RETURN_IF_ERROR(state_->ForEachCheckMemoBucket(
          MemoTotalsName(out->memo_name), [&](uint32_t, std::string_view data) {
            auto decoded = DecodeMemoTotals(data);
            if (decoded.ok()) out->memo_totals = std::move(*decoded);
          }));
    }
    lock.unlock();
    // Whether the side is expected to have changed since its memo: its write mark says so where
    // both marks are known; otherwise it had changed at the check before.
    out->expect_changed = out->memo_totals && out->memo_totals->changed;
    if (out->memo_totals && !out->write_mark.empty() && !out->memo_totals->write_mark.empty()) {
      out->expect_changed = out->write_mark != out->memo_totals->write_mark;
      out->info.written_since = out->expect_changed;
    }
    if (out->memo_totals && side.source->BucketsInDatabase() && !out->expect_changed) {
      // The totals first: an unchanged side then needs no bucket summaries.
      out->pending_total = std::async(std::launch::async, [&side] {
        return side.source->TableSum(side.mapper->table());
      });
    } else {
      StartBucketSums(side, out);
    }
    return Status::Ok();
  }

  void StartBucketSums(const Side& side, SideScan* out) {
    out->info.bucket_summaries = true;
    out->pending_sums = std::async(std::launch::async, [&side, buckets = out->buckets] {
      return side.source->BucketSums(side.mapper->table(), buckets);
    });
  }

  // Waits for what BeginMemo asked of the database of a side with memo totals: its whole-table
  // totals (the bucket summaries' sum, for a connector that computes them in concord), and
  // whether they equal the memo's. Each side on a thread of its own.
  void TakeTotals(const Side& side, SideScan* out) {
    if (!out->status.ok() || !out->memo_totals) return;
    if (out->pending_total.valid()) {
      auto total = out->pending_total.get();
      if (!total.ok()) {
        out->status = total.status().WithContext(
            fmt::format("summing {}.{}", side.system, side.mapper->table().table));
        return;
      }
      out->total_now = *total;
    } else if (out->pending_sums.valid()) {
      auto sums = out->pending_sums.get();
      if (!sums.ok()) {
        out->status = sums.status().WithContext(
            fmt::format("summarizing {}.{}", side.system, side.mapper->table().table));
        return;
      }
      BucketSum all;
      for (const BucketSum& b : *sums) all.Merge(b);
      out->total_now = all;
      out->sums_now = std::move(*sums);
    }
    out->unchanged = out->total_now && *out->total_now == out->memo_totals->raw;
    out->info.unchanged_by_totals = out->unchanged;
    // A changed side is summarized by bucket at once (while the other side's totals, if still
    // under way, finish).
    if (!out->unchanged && !out->sums_now) StartBucketSums(side, out);
  }

  // Both sides unchanged since their memos, which agree: the check is decided by the totals
  // alone (see check_memo.h for the odds), and reports them.
  bool DecideFromTotals(SideScan* l, SideScan* r) {
    for (const SideScan* s : {l, r}) {
      if (!s->unchanged || !s->memo_totals->complete) return false;
    }
    const MemoTotals& lt = *l->memo_totals;
    const MemoTotals& rt = *r->memo_totals;
    if (lt.rows != rt.rows || lt.digest != rt.digest) return false;
    for (SideScan* s : {l, r}) {
      s->totals.rows = s->memo_totals->rows;
      FinishAmounts(*entity_, s->memo_totals->sums, &s->totals);
      s->info.memo = true;
      s->info.buckets = s->buckets;
      s->info.buckets_reused = s->buckets;
    }
    report_.decided_by_totals = true;
    report_.segments = static_cast<int>(SegmentsFor(lt.rows));
    report_.differing_segments = 0;
    return true;
  }

  // Reads and decodes the memo BeginMemo found (out->memo stays empty when there is none, or when
  // it cannot be used: a bucket this build cannot read, an interrupted write).
  Status LoadMemo(SideScan* out) {
    if (!out->memo_found || out->memo_loaded) return Status::Ok();
    out->memo_loaded = true;
    std::vector<MemoBucket> memo(out->buckets);
    size_t stored = 0;
    bool usable = true;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      RETURN_IF_ERROR(state_->ForEachCheckMemoBucket(
          out->memo_name, [&](uint32_t bucket, std::string_view data) {
            if (!usable) return;
            auto decoded = DecodeMemoBucket(data);
            if (!decoded.ok() || bucket >= out->buckets) {
              usable = false;  // rebuilt
              return;
            }
            memo[bucket] = std::move(*decoded);
            ++stored;
          }));
    }
    if (!usable || stored != out->buckets) return Status::Ok();  // else an interrupted write
    out->memo = std::move(memo);
    return Status::Ok();
  }

  // For a memo with rows keyed through the xref: what the xref maps each system key to now
  // (XrefHash → hash of the canonical key CanonicalKey would return). Empty otherwise.
  using XrefNowMap = std::unordered_map<uint64_t, uint64_t>;
  Result<XrefNowMap> XrefNow(const Side& side, const std::vector<MemoBucket>& memo) {
    XrefNowMap out;
    bool any = false;
    for (const MemoBucket& b : memo) {
      for (const MemoBucket::Entry& e : b.entries) any = any || e.xref != 0;
      if (any) break;
    }
    if (!any) return out;
    std::string last;
    std::lock_guard<std::mutex> lock(state_mu_);
    RETURN_IF_ERROR(state_->ForEachXref(
        entity_->name, side.system, [&](const std::string& system_key, const std::string& ckey) {
          if (system_key == last) return;  // the first canonical key of a system key counts
          last = system_key;
          out[XrefHash(system_key)] = XXH3_64bits(ckey.data(), ckey.size());
        }));
    return out;
  }

  static bool XrefUnchanged(const MemoBucket& bucket, const XrefNowMap& xref) {
    for (const MemoBucket::Entry& e : bucket.entries) {
      if (e.xref == 0) continue;
      auto it = xref.find(e.xref);
      if (it == xref.end() || it->second != e.key_hash) return false;
    }
    return true;
  }

  // The bucket summaries of a side with a memo: the database's, or, for a side its totals showed
  // unchanged, the memo's own — when they add up to those totals (they do unless writing the
  // memo was interrupted between its buckets and its totals; then the database is asked).
  Result<std::vector<BucketSum>> SumsNow(const Side& side, SideScan* out) {
    if (out->sums_now) return std::move(*out->sums_now);
    if (out->unchanged) {
      std::vector<BucketSum> sums(out->buckets);
      BucketSum all;
      for (uint32_t b = 0; b < out->buckets; ++b) {
        sums[b] = out->memo[b].raw;
        all.Merge(sums[b]);
      }
      if (all == *out->total_now) return sums;
      out->unchanged = false;
      out->info.unchanged_by_totals = false;
      StartBucketSums(side, out);
    }
    return out->pending_sums.get();
  }

  Status ScanSide(const Side& side, SideScan* out) {
    const TableRef& table = side.mapper->table();
    RETURN_IF_ERROR(out->status);  // from BeginMemo
    RETURN_IF_ERROR(LoadMemo(out));
    Trace("{}: memo {}", side.system, out->memo.empty() ? "not used" : "loaded");
    std::vector<uint32_t> stale;
    std::vector<BucketSum> sums_now;  // the database's bucket summaries, when asked for
    int64_t total = -1, stale_rows = 0;
    if (out->pending_sums.valid() && out->memo.empty()) out->pending_sums.wait();
    if (!out->memo.empty()) {
      ASSIGN_OR_RETURN(auto xref, XrefNow(side, out->memo));  // while the database sums
      auto sums = SumsNow(side, out);
      if (!sums.ok()) {
        return sums.status().WithContext(
            fmt::format("summarizing {}.{}", side.system, table.table));
      }
      total = 0;
      for (uint32_t b = 0; b < out->buckets; ++b) {
        total += (*sums)[b].rows;
        if (!out->memo[b].reusable || out->memo[b].raw != (*sums)[b] ||
            !XrefUnchanged(out->memo[b], xref)) {
          stale.push_back(b);
          stale_rows += (*sums)[b].rows;
        }
      }
      sums_now = std::move(*sums);
      Trace("{}: summaries compared, {} buckets ({} rows) changed", side.system, stale.size(),
            stale_rows);
      // Mostly changed: one full read costs no more than reading the changed buckets.
      if (stale.size() > out->buckets / 4) out->memo.clear();
    }
    if (out->memo.empty()) {
      // No memo: read every row in kReadBuckets buckets, then fold them into as many as the row
      // count calls for (a bucket modulo a divisor of kReadBuckets is the folded bucket).
      std::vector<MemoBucket> read(kReadBuckets);
      RETURN_IF_ERROR(ReadAndMap(side, kReadBuckets, {}, &read, out, total));
      int64_t rows = 0;
      for (const MemoBucket& b : read) rows += b.raw.rows;
      out->buckets = FoldedBuckets(rows);
      out->memo.assign(out->buckets, MemoBucket{});
      for (uint32_t b = 0; b < kReadBuckets; ++b) {
        MemoBucket& into = out->memo[b % out->buckets];
        MemoBucket& from = read[b];
        into.raw.Merge(from.raw);
        into.reusable = into.reusable && from.reusable;
        into.entries.insert(into.entries.end(), from.entries.begin(), from.entries.end());
        into.system_keys += from.system_keys;
        into.system_key_count += from.system_key_count;
        MergeAmounts(from.sums, &into.sums);
      }
      for (Entry& e : out->entries) e.bucket %= out->buckets;
      out->read.assign(out->buckets, true);
      out->rebuilt = true;
    } else {
      out->info.memo = true;
      out->read.assign(out->buckets, false);
      for (uint32_t b : stale) {
        out->read[b] = true;
        out->memo[b] = MemoBucket{};
        out->changed.insert(b);
      }
      out->info.buckets_reused = out->buckets - static_cast<int64_t>(stale.size());
      if (!stale.empty()) {
        std::vector<uint32_t> rest;
        RETURN_IF_ERROR(ReadByKeys(side, stale, sums_now, out, &rest));
        Trace("{}: {} of {} changed buckets read by their keys", side.system,
              stale.size() - rest.size(), stale.size());
        if (!rest.empty()) {
          int64_t rest_rows = 0;
          for (uint32_t b : rest) rest_rows += sums_now[b].rows;
          RETURN_IF_ERROR(
              ReadAndMap(side, out->buckets, rest, &out->memo, out, total, rest_rows));
          Trace("{}: {} buckets read by a scan", side.system, rest.size());
        }
      }
    }
    out->info.buckets = out->buckets;
    out->totals.rows = static_cast<int64_t>(out->entries.size());
    for (uint32_t b = 0; out->info.memo && b < out->buckets; ++b) {
      if (!out->read[b]) out->totals.rows += static_cast<int64_t>(out->memo[b].entries.size());
    }
    AmountSums sums;
    for (const MemoBucket& b : out->memo) MergeAmounts(b.sums, &sums);
    FinishAmounts(*entity_, sums, &out->totals);
    for (auto& [name, g] : out->groups) FinishAmounts(*entity_, g.second, &g.first);
    SortEntries(out->keys, &out->entries);
    // Two entries with one key hash: the same key twice (refused), or a memo entry whose key is
    // not known yet — its bucket is read to tell. Only pairs with a row read by this check need
    // a look: two memo entries were both known to the check that read the later of them, which
    // compared them then (and wrote no memo had they clashed).
    while (true) {
      std::set<uint32_t> unsure;
      const std::vector<Entry>& entries = out->entries;
      if (!entries.empty()) {
        // A hash set, not a binary search of `entries`: this visits every memo entry (a
        // million, against a few thousand read), 14 ms against 70 for a million.
        std::unordered_set<uint64_t> read_hashes;
        read_hashes.reserve(entries.size());
        for (const Entry& e : entries) read_hashes.insert(e.key_hash);
        ForEachMemoEntry(*out, [&](const Entry& m) {
          if (read_hashes.count(m.key_hash)) unsure.insert(m.bucket);
        });
      }
      for (size_t i = 1; i < entries.size(); ++i) {
        const Entry& a = entries[i - 1];
        const Entry& b = entries[i];
        if (a.key_hash != b.key_hash) continue;
        if (out->keys[a.keys].canonical_key == out->keys[b.keys].canonical_key) {
          return InvalidArgument(fmt::format(
              "{}.{}: two rows ({} and {}) have the same {} key {}; concord check needs a key "
              "that identifies one row — check the binding's key columns and the entity's key",
              side.system, table.table, KeyForDisplay(out->keys[a.keys].system_key),
              KeyForDisplay(out->keys[b.keys].system_key), entity_->name,
              KeyForDisplay(out->keys[b.keys].canonical_key)));
        }
      }
      if (unsure.empty()) break;
      RETURN_IF_ERROR(ReadBucketsAgain(side, out, unsure));
    }
    return Status::Ok();
  }

  // Reads the buckets `which` (sorted) of `side` by the system keys its memo kept for them
  // (MemoBucket::system_keys, as stored), mapping their rows into (*memo)[bucket] (the scan's
  // own memo when null) and `out`, as ReadAndMap does. A bucket whose rows read by key do not
  // add up to `sums_now[b]` (a row was added to it, or its keys were not kept) maps nothing and
  // goes to *rest, to be read by a scan.
  Status ReadByKeys(const Side& side, const std::vector<uint32_t>& which,
                    const std::vector<BucketSum>& sums_now, SideScan* out,
                    std::vector<uint32_t>* rest, std::vector<MemoBucket>* memo = nullptr) {
    if (memo == nullptr) memo = &out->memo;
    std::map<uint32_t, std::vector<std::string>> kept;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      RETURN_IF_ERROR(state_->ForEachCheckMemoBucketOf(
          out->memo_name, which, [&](uint32_t b, std::string_view data) {
            auto keys = DecodeMemoBucketKeys(data);
            if (keys.ok()) kept[b] = std::move(*keys);
          }));
    }
    std::vector<Key> keys;
    for (uint32_t b : which) {
      auto it = kept.find(b);
      if (it == kept.end()) continue;
      std::vector<Key> bucket_keys;
      bucket_keys.reserve(it->second.size());
      for (const std::string& encoded : it->second) {
        auto key = DecodeKey(encoded);
        if (!key.ok()) break;
        bucket_keys.push_back(std::move(*key));
      }
      if (bucket_keys.size() != it->second.size()) {
        kept.erase(it);  // a key that does not decode: the bucket is read by a scan
        continue;
      }
      std::move(bucket_keys.begin(), bucket_keys.end(), std::back_inserter(keys));
    }
    std::vector<HashedRow> rows;
    if (!keys.empty()) {
      // sums_now has one summary per bucket of the memo.
      auto read = side.source->ReadBucketRows(side.mapper->table(),
                                              static_cast<uint32_t>(sums_now.size()), keys);
      if (!read.ok()) {
        return read.status().WithContext(
            fmt::format("reading {}.{} by key", side.system, side.mapper->table().table));
      }
      rows = std::move(*read);
    }
    std::map<uint32_t, std::vector<const HashedRow*>> by_bucket;
    for (const HashedRow& h : rows) by_bucket[h.bucket].push_back(&h);
    for (uint32_t b : which) {
      if (!kept.count(b)) {
        rest->push_back(b);
        continue;
      }
      BucketSum got;
      for (const HashedRow* h : by_bucket[b]) got.Add(h->hash1, h->hash2);
      if (!(got == sums_now[b])) {
        rest->push_back(b);
        continue;
      }
      for (const HashedRow* h : by_bucket[b]) RETURN_IF_ERROR(MapRow(side, *h, &(*memo)[b], out));
      ++out->info.buckets_read_by_key;
    }
    return Status::Ok();
  }

  // Reads the memo buckets `which` of `side` again, replacing their memo entries with read ones
  // (and their memo, which is then written back).
  Status ReadBucketsAgain(const Side& side, SideScan* scan, const std::set<uint32_t>& which) {
    if (which.empty()) return Status::Ok();
    std::vector<Entry>& entries = scan->entries;
    SideScan read;  // totals stay as scanned; only entries and the memo are replaced
    read.memo_name = scan->memo_name;  // where ReadByKeys finds the buckets' keys
    // The memo's summaries are the buckets' now (these buckets did not change).
    std::vector<BucketSum> sums(scan->buckets);
    for (uint32_t b : which) {
      sums[b] = scan->memo[b].raw;
      scan->read[b] = true;
      scan->memo[b] = MemoBucket{};
      scan->changed.insert(b);
      --scan->info.buckets_reused;
    }
    std::vector<uint32_t> rest;
    RETURN_IF_ERROR(ReadByKeys(side, {which.begin(), which.end()}, sums, &read, &rest,
                               &scan->memo));
    scan->info.buckets_read_by_key += read.info.buckets_read_by_key;
    if (!rest.empty()) {
      int64_t expected = 0;
      for (uint32_t b : rest) expected += sums[b].rows;
      RETURN_IF_ERROR(ReadAndMap(side, scan->buckets, rest, &scan->memo, &read, -1, expected));
    }
    scan->info.rows_mapped += read.info.rows_mapped;
    const uint32_t offset = static_cast<uint32_t>(scan->keys.size());
    for (Entry e : read.entries) {
      e.keys += offset;
      entries.push_back(e);
    }
    for (EntryKeys& k : read.keys) scan->keys.push_back(std::move(k));
    SortEntries(scan->keys, &entries);
    return Status::Ok();
  }

  // Calls `fn` with each entry of the buckets `scan` reused from the memo (from_memo()).
  template <typename Fn>
  static void ForEachMemoEntry(const SideScan& scan, Fn&& fn) {
    if (!scan.info.memo) return;
    for (uint32_t b = 0; b < scan.buckets; ++b) {
      if (scan.read[b]) continue;
      for (const MemoBucket::Entry& m : scan.memo[b].entries) {
        fn(Entry{m.key_hash, m.row_hash, b, kNoKeys});
      }
    }
  }

  // Orders entries by key hash, and entries with one key hash by canonical key where known
  // (memo entries, whose key is not known, first). `keys` are the read entries' keys.
  static void SortEntries(const std::vector<EntryKeys>& keys, std::vector<Entry>* entries) {
    std::sort(entries->begin(), entries->end(), [&](const Entry& a, const Entry& b) {
      if (a.key_hash != b.key_hash) return a.key_hash < b.key_hash;
      if (a.from_memo() || b.from_memo()) return a.from_memo() && !b.from_memo();
      return keys[a.keys].canonical_key < keys[b.keys].canonical_key;
    });
  }

  // Writes what changed in the memo of `side` (all of it after a full read).
  // The header is written by every check that used or made the memo (its time says when it was
  // last used), and memos unused for kMemoKeptDays are dropped: each --where/--fields
  // combination has its own, about 40 bytes per row per side (with the rows' keys).
  // The totals (MemoTotals) are written after the buckets, from the same buckets; a check
  // decided by the totals writes the headers only.
  Status SaveMemo(const Side& side, const SideScan& scan) {
    if (scan.memo_name.empty() || (!scan.rebuilt && !scan.info.memo)) return Status::Ok();
    const bool decided = report_.decided_by_totals;
    std::vector<CheckMemoBucket> buckets, totals;
    auto add = [&](uint32_t b) { buckets.push_back({b, EncodeMemoBucket(scan.memo[b])}); };
    if (scan.rebuilt) {
      for (uint32_t b = 0; b < scan.buckets; ++b) add(b);
    } else {
      for (uint32_t b : scan.changed) add(b);
    }
    if (!decided) {
      MemoTotals t = TotalsOf(scan.memo);
      t.changed = scan.info.memo && !scan.unchanged;
      t.write_mark = scan.write_mark;
      totals.push_back({0, EncodeMemoTotals(t)});
    } else if (scan.memo_totals && scan.memo_totals->write_mark != scan.write_mark) {
      // Written, but to the same rows (or its counters moved): the new mark is kept so that the
      // next check asks for the totals first again.
      MemoTotals t = *scan.memo_totals;
      t.write_mark = scan.write_mark;
      totals.push_back({0, EncodeMemoTotals(t)});
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    CheckMemoHeader header{scan.fingerprint, scan.buckets, now};
    std::lock_guard<std::mutex> lock(state_mu_);
    const std::string what = "saving the check memo of " + side.system;
    RETURN_IF_ERROR(
        state_->PutCheckMemo(scan.memo_name, header, buckets, scan.rebuilt).WithContext(what));
    RETURN_IF_ERROR(state_
                        ->PutCheckMemo(MemoTotalsName(scan.memo_name),
                                       {scan.fingerprint, 1, now}, totals, !totals.empty())
                        .WithContext(what));
    return state_->DropCheckMemosUnusedSince(now - kMemoKeptDays * 86400000LL)
        .WithContext("dropping old check memos");
  }

  // The totals of a side's memo buckets, as the memo keeps them.
  static MemoTotals TotalsOf(const std::vector<MemoBucket>& memo) {
    MemoTotals t;
    for (const MemoBucket& b : memo) {
      t.raw.Merge(b.raw);
      t.complete = t.complete && b.reusable;
      t.rows += static_cast<int64_t>(b.entries.size());
      for (const MemoBucket::Entry& e : b.entries) {
        t.digest += EntryDigest(e.key_hash, e.row_hash);
        t.complete = t.complete && e.xref == 0;
      }
      MergeAmounts(b.sums, &t.sums);
    }
    return t;
  }

  // Scans both sides at once, then merges their totals, groups and examples into the report.
  // Returns true when the memos' totals decided the check (DecideFromTotals): nothing was read.
  Result<bool> ScanBoth(SideScan* l, SideScan* r) {
    l->status = BeginMemo(left_, l);
    r->status = BeginMemo(right_, r);
    // Each side on a thread of its own: its totals, then its scan. A side that the totals show
    // changed (or that has none) rules out a decision by the totals, so it goes on at once,
    // without waiting for the other side's totals; an unchanged side waits for the decision,
    // made here once both sides' totals are in (only then are both threads waiting).
    std::promise<bool> left_may, right_may, decision;
    std::shared_future<bool> decided_by_totals = decision.get_future().share();
    // When the totals cannot decide the check (a side lacks them or is expected to have changed,
    // or the two memos already disagree), both memos will be needed: each is loaded while its
    // database is still summing.
    bool totals_may_decide = true;
    for (const SideScan* s : {l, r}) {
      totals_may_decide = totals_may_decide && s->status.ok() && s->memo_totals &&
                          s->memo_totals->complete && !s->expect_changed;
    }
    totals_may_decide = totals_may_decide && l->memo_totals->rows == r->memo_totals->rows &&
                        l->memo_totals->digest == r->memo_totals->digest;
    auto side = [&](const Side& which, SideScan* scan, std::promise<bool>* may_decide) {
      if (!totals_may_decide && scan->status.ok()) scan->status = LoadMemo(scan);
      TakeTotals(which, scan);
      Trace("{}: {}", which.system,
            !scan->memo_totals        ? "no memo totals"
            : scan->info.written_since ? "written since its memo: summaries asked at once"
            : scan->unchanged          ? "totals unchanged"
                                       : "totals changed: summaries asked");
      const bool may = scan->status.ok() && scan->unchanged && scan->memo_totals->complete;
      may_decide->set_value(may);
      if (may && decided_by_totals.get()) return;
      Scan(which, scan);
    };
    std::thread right([&] { side(right_, r, &right_may); });
    std::thread left([&] { side(left_, l, &left_may); });
    const bool both_may = left_may.get_future().get() & right_may.get_future().get();
    const bool decided = both_may && DecideFromTotals(l, r);
    decision.set_value(decided);
    left.join();
    right.join();
    if (!l->status.ok()) pool_->Drop(left_.system);
    if (!r->status.ok()) pool_->Drop(right_.system);
    RETURN_IF_ERROR(l->status);
    RETURN_IF_ERROR(r->status);
    report_.left_totals = l->totals;
    report_.right_totals = r->totals;
    std::map<std::string, GroupTotals> groups;
    for (auto& [name, g] : l->groups) groups[name].left = g.first;
    for (auto& [name, g] : r->groups) groups[name].right = g.first;
    for (auto& [name, g] : groups) {
      g.group = name;
      report_.groups.push_back(std::move(g));
    }
    for (SideScan* s : {l, r}) {
      report_.unmappable_examples.insert(report_.unmappable_examples.end(),
                                         s->unmappable_examples.begin(),
                                         s->unmappable_examples.end());
    }
    return decided;
  }

  void Progress(std::string_view phase, int64_t done, int64_t total) {
    if (!progress_) return;
    std::lock_guard<std::mutex> lock(progress_mu_);
    progress_(phase, done, total);
  }

  // Segments by key hash; the rows of segments whose checksums differ are merged by key. A
  // difference that involves no read row (memo entries only) has no key yet: its memo buckets
  // go to *need_left / *need_right instead, to be read.
  std::vector<Candidate> CompareSegments(const SideScan& left_scan, const SideScan& right_scan,
                                         std::set<uint32_t>* need_left,
                                         std::set<uint32_t>* need_right) {
    auto ckey_of = [](const SideScan& s, const Entry& e) -> const std::string& {
      return s.keys[e.keys].canonical_key;
    };
    size_t segments = SegmentsFor(std::max(left_scan.totals.rows, right_scan.totals.rows));
    report_.segments = static_cast<int>(segments);
    // Each side's segment checksums: sums, so the entries need no order.
    auto checksums = [segments](const SideScan& scan) {
      std::vector<uint64_t> sums(segments, 0);
      auto add = [&](const Entry& e) {
        sums[e.key_hash % segments] += EntryDigest(e.key_hash, e.row_hash);
      };
      for (const Entry& e : scan.entries) add(e);
      ForEachMemoEntry(scan, add);
      return sums;
    };
    std::vector<uint64_t> ls = checksums(left_scan), rs = checksums(right_scan);
    std::vector<bool> differs(segments, false);
    report_.differing_segments = 0;
    for (size_t i = 0; i < segments; ++i) {
      if (ls[i] != rs[i]) {
        differs[i] = true;
        ++report_.differing_segments;
      }
    }
    // The entries of differing segments only, in merge order.
    auto differing = [&](const SideScan& scan) {
      std::vector<Entry> out;
      if (report_.differing_segments == 0) return out;
      auto keep = [&](const Entry& e) {
        if (differs[e.key_hash % segments]) out.push_back(e);
      };
      for (const Entry& e : scan.entries) keep(e);
      ForEachMemoEntry(scan, keep);
      SortEntries(scan.keys, &out);
      return out;
    };
    const std::vector<Entry> left = differing(left_scan), right = differing(right_scan);
    auto key_of = [](const SideScan& s, const Entry& e) {
      return e.from_memo() ? std::nullopt : std::optional<std::string>(s.keys[e.keys].system_key);
    };
    std::vector<Candidate> out;
    size_t i = 0, j = 0;
    while (i < left.size() || j < right.size()) {
      int cmp = 0;
      if (i == left.size()) {
        cmp = 1;
      } else if (j == right.size()) {
        cmp = -1;
      } else if (left[i].key_hash != right[j].key_hash) {
        cmp = left[i].key_hash < right[j].key_hash ? -1 : 1;
      } else if (!left[i].from_memo() && !right[j].from_memo()) {
        cmp = ckey_of(left_scan, left[i]).compare(ckey_of(right_scan, right[j]));
      }
      if (cmp < 0) {
        const Entry& l = left[i++];
        if (!differs[l.key_hash % segments]) continue;
        if (l.from_memo()) {
          need_left->insert(l.bucket);
        } else {
          out.push_back({ckey_of(left_scan, l), key_of(left_scan, l), std::nullopt,
                         {l.row_hash, std::nullopt}});
        }
      } else if (cmp > 0) {
        const Entry& r = right[j++];
        if (!differs[r.key_hash % segments]) continue;
        if (r.from_memo()) {
          need_right->insert(r.bucket);
        } else {
          out.push_back({ckey_of(right_scan, r), std::nullopt, key_of(right_scan, r),
                         {std::nullopt, r.row_hash}});
        }
      } else {
        const Entry& l = left[i++];
        const Entry& r = right[j++];
        if (l.row_hash == r.row_hash) continue;
        if (l.from_memo() && r.from_memo()) {
          need_left->insert(l.bucket);
          continue;
        }
        // The memo side's system key is derived from the canonical key when the binding maps
        // its key; otherwise its bucket is read.
        const std::string& ckey = l.from_memo() ? ckey_of(right_scan, r) : ckey_of(left_scan, l);
        Candidate c{ckey, key_of(left_scan, l), key_of(right_scan, r), {l.row_hash, r.row_hash}};
        const Side& memo_side = l.from_memo() ? left_ : right_;
        if ((l.from_memo() || r.from_memo()) && !DerivableKey(memo_side, ckey)) {
          (l.from_memo() ? need_left : need_right)->insert(l.from_memo() ? l.bucket : r.bucket);
          continue;
        }
        out.push_back(std::move(c));
      }
    }
    return out;
  }

  // Segments of the comparison: as asked, or about 64 rows each (at most 65,536: the sums stay
  // in cache). Only the entries of differing segments are sorted and merged, so the smaller the
  // segments, the less work for a few differences: at 1,024 rows each, 100 differences among a
  // million rows meant sorting a tenth of each side.
  size_t SegmentsFor(int64_t rows) const {
    if (options_.segments > 0) return static_cast<size_t>(options_.segments);
    size_t segments = 1;
    while (static_cast<int64_t>(segments) * 64 < rows && segments < 65536) segments *= 2;
    return segments;
  }

  // Whether the system key of `canonical_key` on `side` follows from the binding's key mapping.
  static bool DerivableKey(const Side& side, const std::string& canonical_key) {
    auto ckey = DecodeKey(canonical_key);
    return ckey.ok() && side.mapper->SystemKeyFromCanonical(*ckey).has_value();
  }

  // The system key of `canonical_key` on `side` when the scan did not see the row there.
  Result<std::optional<Key>> SystemKeyFor(const Side& side, const std::string& canonical_key) {
    ASSIGN_OR_RETURN(Key ckey, DecodeKey(canonical_key));
    if (auto k = side.mapper->SystemKeyFromCanonical(ckey)) return k;
    ASSIGN_OR_RETURN(auto xref, state_->SystemKey(entity_->name, canonical_key, side.system));
    if (!xref) return std::optional<Key>();
    ASSIGN_OR_RETURN(Key k, DecodeKey(*xref));
    return std::optional<Key>(std::move(k));
  }

  // A row as re-read: mapped, with its system key (encoded).
  struct Current {
    BindingMapper::Canonical canon;
    std::string system_key;
  };
  using CurrentRows = std::map<std::string, Current>;  // canonical key (encoded) → row

  // Reads the current rows of `keys` on `side`, by canonical key, for rows that exist and pass
  // the filter. Matching by canonical key (not by the key asked for) lets a key derived from the
  // canonical one find its row however the database spells it (17 for "17").
  Result<CurrentRows> ReadCurrent(const Side& side, const std::vector<Key>& keys) {
    CurrentRows out;
    for (size_t at = 0; at < keys.size(); at += kRereadBatch) {
      std::vector<Key> batch(keys.begin() + at,
                             keys.begin() + std::min(keys.size(), at + kRereadBatch));
      auto rows = side.source->ReadRows(side.mapper->table(), batch);
      if (!rows.ok()) {
        pool_->Drop(side.system);
        return rows.status().WithContext(
            fmt::format("re-reading {}.{}", side.system, side.mapper->table().table));
      }
      for (const Row& row : *rows) {
        BindingMapper::Canonical canon = side.mapper->ToCanonical(row);
        if (!PassesWhere(canon.record)) continue;
        std::string why;
        ASSIGN_OR_RETURN(auto ckey, CanonicalKeyOf(side, row, canon, &why));
        if (!ckey) continue;
        out[*ckey] = {std::move(canon), EncodeKey(side.mapper->SystemKeyOfRow(row))};
      }
    }
    return out;
  }

  // Re-reads the candidates from both sides, after a moment so that changes being synced while
  // the scan ran have landed, until each one is equal (it was in flight: not reported) or looks
  // the same twice in a row (it persists: reported). A row still changing after the last round is
  // reported too, as it is: concord cannot prove it equal.
  Status Reread(std::vector<Candidate>& candidates) {
    constexpr int kRounds = 3;
    for (Candidate& c : candidates) {
      for (auto [side, key] : {std::pair{&left_, &c.left_key}, std::pair{&right_, &c.right_key}}) {
        if (*key) continue;
        ASSIGN_OR_RETURN(auto k, SystemKeyFor(*side, c.canonical_key));
        if (k) *key = EncodeKey(*k);
      }
    }
    for (int round = 1; round <= kRounds && !candidates.empty(); ++round) {
      bool settle = options_.settle_ms > 0;
      if (settle && round == 1) {
        ASSIGN_OR_RETURN(settle, SyncMayCarry(candidates));
        Trace("{}", settle ? "a sync may be under way: re-reading after --settle-ms"
                           : "no change to a difference is waiting in a flow: re-reading now");
      }
      if (settle) {
        ++report_.settle_waits;
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.settle_ms));
      }
      Progress("re-reading differences", 0, static_cast<int64_t>(candidates.size()));
      std::vector<Key> left_keys, right_keys;
      for (const Candidate& c : candidates) {
        if (c.left_key) left_keys.push_back(DecodeKey(*c.left_key).value());
        if (c.right_key) right_keys.push_back(DecodeKey(*c.right_key).value());
      }
      ASSIGN_OR_RETURN(auto left_now, ReadCurrent(left_, left_keys));
      ASSIGN_OR_RETURN(auto right_now, ReadCurrent(right_, right_keys));
      std::vector<Candidate> again;
      for (Candidate& c : candidates) {
        const Current* l = Find(left_now, c.canonical_key);
        const Current* r = Find(right_now, c.canonical_key);
        Observation now{l ? std::optional(RowHash(l->canon)) : std::nullopt,
                        r ? std::optional(RowHash(r->canon)) : std::nullopt};
        if (now.left == now.right) {
          ++report_.transient;  // equal now (or gone from both sides)
          continue;
        }
        if (now != c.seen && round < kRounds) {
          c.seen = now;
          again.push_back(std::move(c));
          continue;
        }
        RETURN_IF_ERROR(Report(c, l, r));
      }
      candidates = std::move(again);
    }
    std::sort(report_.rows.begin(), report_.rows.end(),
              [](const RowDifference& a, const RowDifference& b) {
                return a.canonical_key < b.canonical_key;
              });
    return Status::Ok();
  }

  // Whether a sync between the two sides may still carry a change to one of `candidates` (see
  // CheckReport::settle_waits). Asked before the re-read: a change that the re-read sees and
  // that was applied after this answer would have changed the row since the scan, and so sends
  // its difference to another round.
  Result<bool> SyncMayCarry(const std::vector<Candidate>& candidates) {
    for (const FlowSpec& flow : spec_.flows) {
      if (flow.entity != entity_->name) continue;
      const bool from_left = flow.from == left_.system && flow.to == right_.system;
      const bool from_right = flow.from == right_.system && flow.to == left_.system;
      if (!from_left && !from_right) continue;
      const Side& from = from_left ? left_ : right_;
      const TableRef& table = from.mapper->table();
      if (!from.source->PendingChangesReadable(table)) return true;
      std::vector<Key> keys;
      for (const Candidate& c : candidates) {
        const std::optional<std::string>& key = from_left ? c.left_key : c.right_key;
        if (!key) return true;  // a row the flow's source may know under a key we do not
        ASSIGN_OR_RETURN(Key k, DecodeKey(*key));
        keys.push_back(std::move(k));
      }
      // Changes concord itself wrote into the source (origin: the flow's target) are echoes,
      // which the flow skips.
      ASSIGN_OR_RETURN(auto pending,
                       from.source->LatestPendingMs(table, flow.Id(), keys, flow.to));
      if (!pending.empty()) return true;
    }
    return false;
  }

  static const Current* Find(const CurrentRows& rows, const std::string& key) {
    auto it = rows.find(key);
    return it == rows.end() ? nullptr : &it->second;
  }

  Status Report(const Candidate& c, const Current* l, const Current* r) {
    RowDifference d;
    d.canonical_key = c.canonical_key;
    d.key_display = KeyForDisplay(c.canonical_key);
    if (l == nullptr) {
      d.kind = RowDifference::Kind::kMissingLeft;
      ++report_.missing_left;
    } else if (r == nullptr) {
      d.kind = RowDifference::Kind::kMissingRight;
      ++report_.missing_right;
    } else {
      d.kind = RowDifference::Kind::kDiffers;
      d.fields = FieldDifferences(l->canon, r->canon);
      ++report_.differing;
    }
    if (l != nullptr) {
      ASSIGN_OR_RETURN(Key k, DecodeKey(l->system_key));
      d.left_key = std::move(k);
      d.left_record = l->canon.record;
    }
    if (r != nullptr) {
      ASSIGN_OR_RETURN(Key k, DecodeKey(r->system_key));
      d.right_key = std::move(k);
      d.right_record = r->canon.record;
    }
    if (report_.rows.size() < options_.max_reported_rows) report_.rows.push_back(std::move(d));
    return Status::Ok();
  }

  std::string Display(const std::string& field, const BindingMapper::Canonical& c) const {
    const std::string* problem = nullptr;
    Value v = ComparedValue(field, c, &problem);
    if (problem != nullptr) return "invalid: " + *problem;
    if (v.is_null()) return "NULL";
    const FieldSpec* fs = entity_->Field(field);
    return fs != nullptr ? DisplayValue(*fs, v) : v.ToString();
  }

  std::vector<FieldDifference> FieldDifferences(const BindingMapper::Canonical& l,
                                                const BindingMapper::Canonical& r) const {
    std::vector<FieldDifference> out;
    for (const auto& f : compared_) {
      if (FieldHash(f, l) == FieldHash(f, r)) continue;
      out.push_back({f, Display(f, l), Display(f, r)});
    }
    return out;
  }

  const ConfigSpec& spec_;
  const MapperSet& mappers_;
  SystemPool* pool_;
  StateStore* state_;
  const CheckOptions& options_;
  const CheckProgress& progress_;
  const EntitySpec* entity_ = nullptr;
  Side left_, right_;
  std::set<std::string> compared_;
  std::optional<WhenSpec> where_;
  std::optional<GroupBy> group_;
  std::string config_text_;  // the config file's bytes, for the memo's fingerprint
  std::mutex state_mu_;     // the state store is read by both scanning threads (xref, memo)
  std::mutex progress_mu_;
  CheckReport report_;
  const int64_t started_ms_ = NowMs();
  std::shared_ptr<spdlog::logger> log_ = ComponentLogger("check");
};

}  // namespace

std::string_view RowDifferenceKindName(RowDifference::Kind k) { return KindName(k); }

std::string CheckName(const std::string& entity, const std::string& left,
                      const std::string& right) {
  return entity + ":" + left + "<->" + right;
}

std::string CheckReport::Name() const { return CheckName(entity, left, right); }

Result<CheckReport> RunCheck(const ConfigSpec& spec, const MapperSet& mappers, SystemPool* pool,
                             StateStore* state, const CheckOptions& options,
                             const CheckProgress& progress) {
  Checker checker(spec, mappers, pool, state, options, progress);
  return checker.Run();
}

}  // namespace concord
