// `concord check`: proves that two systems hold the same records of an entity — or says exactly
// which records and fields differ — by comparing their canonical forms.
//
// Each side's table is read in key order in chunks (Source::ReadBuckets), every row is mapped to
// its canonical record through the same BindingMapper the flows use (so a difference of format
// that the mapping resolves, "138-1234-5678" vs "+8613812345678", is no difference), and hashed
// over the compared fields. Records are paired by canonical key: the key the record carries, or,
// for a system whose key is a surrogate that no canonical field maps, the xref concord keeps.
// Rows are bucketed into segments by a hash of the canonical key; a segment whose checksums agree
// is done, a differing one is resolved down to rows. Every difference found is re-read from both
// sides (ReadRows) before it is reported, so rows that changed during the scan (live sync) raise
// no false alarm: only differences that persist are reported.
//
// Compared fields: those the flows between the two systems carry (both directions), or, where no
// flow joins them, every field both bindings map. Counts, and the exact sums of the fields the
// entity marks `sum: true`, are kept per side (optionally per value of a dimension).
//
// Checksums are computed in concord over the canonical form (CheckReport::computed_in says so).
// Each side's rows are read in key-hash buckets (Source::ReadBuckets), and a memo of each bucket
// is kept in the state store (check_memo.h): a later check asks the databases for their
// whole-table totals (Source::TableSum); an unchanged side needs nothing more, and when both are
// unchanged and their memos agree the check is decided there. A changed side is asked for its
// bucket summaries (Source::BucketSums), and only the buckets that changed are read and mapped.
//
// Threading: one thread; uses the connections of the SystemPool it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/spec.h"
#include "core/status.h"
#include "core/value.h"
#include "engine/flow_runner.h"  // MapperSet
#include "engine/system_pool.h"
#include "state/state_store.h"

namespace concord {

struct CheckOptions {
  std::string entity;
  // The two systems to compare ("crm", "erp"). Empty: the two systems of the entity's first flow
  // (or its first two bindings when it has no flow).
  std::string left, right;
  // A filter on canonical fields in the `when:` language ("status == 'approved'"); "" for none.
  std::string where;
  // Group counts and sums by this canonical field; "field:month" groups a date/timestamp field
  // by its YYYY-MM. "" for none.
  std::string group_by;
  // Restrict the comparison to these fields (must be compared fields); empty: all compared.
  std::vector<std::string> fields;
  int segments = 0;               // 0: chosen from the row count
  size_t max_reported_rows = 1000;  // row differences kept in the report (all are counted)
  // How long to wait before re-reading the differences the scan found, so that changes being
  // synced while the scan ran have landed (only when there are differences, and only when a sync
  // may be under way: see CheckReport::settle_waits).
  int64_t settle_ms = 1500;
  // Ignore the memo of earlier checks (check_memo.h): map every row, and write the memo anew.
  bool full = false;
  // Asked between chunks; when it returns true the check stops with Unavailable ("stopped").
  std::function<bool()> stop_requested;
};

struct FieldDifference {
  std::string field;
  std::string left;   // display text of each side's canonical value ("NULL", "''" for empty),
  std::string right;  // masked when the field is personal
};

struct RowDifference {
  enum class Kind { kMissingLeft, kMissingRight, kDiffers };
  Kind kind = Kind::kDiffers;
  std::string canonical_key;         // encoded (EncodeKey)
  std::string key_display;           // "C001" or "C001|2" for composite keys
  std::optional<Key> left_key;       // the system keys, where the row exists
  std::optional<Key> right_key;
  std::vector<FieldDifference> fields;  // kDiffers only
  Record left_record, right_record;     // canonical records as re-read (empty when missing)
};
std::string_view RowDifferenceKindName(RowDifference::Kind k);  // "missing_left", ...

// "customer:crm<->erp": how checks are named in the history and in `concord status`.
std::string CheckName(const std::string& entity, const std::string& left,
                      const std::string& right);

struct SideTotals {
  int64_t rows = 0;
  int64_t unmappable = 0;            // rows whose key could not be made canonical (listed apart)
  std::map<std::string, std::string> sums;  // field → exact decimal text
};

struct GroupTotals {
  std::string group;  // the dimension's value ("2026-03", "approved", "NULL")
  SideTotals left, right;
};

struct CheckReport {
  std::string entity, left, right;
  std::vector<std::string> compared_fields;
  std::string computed_in = "concord";  // where the canonical checksums were computed
  // How each side was read (check_memo.h).
  struct SideScanInfo {
    std::string hashed_in;        // where the bucket summaries were computed: database | concord
    bool memo = false;            // an earlier check's memo was used
    uint32_t buckets = 0;
    uint32_t buckets_reused = 0;  // buckets unchanged since the memo was written
    int64_t rows_mapped = 0;      // rows read and mapped to canonical form
    // The whole-table totals equal the memo's: the side is unchanged since (no bucket summaries).
    bool unchanged_by_totals = false;
    bool bucket_summaries = false;  // the side was summarized by bucket (Source::BucketSums)
    // The database's write mark differs from the memo's (Source::WriteMark): the side was
    // written since, so it was summarized by bucket at once, without asking for its totals.
    bool written_since = false;
    // Changed buckets read by the keys the memo kept for them (Source::ReadBucketRows) rather
    // than by a scan of the table.
    int64_t buckets_read_by_key = 0;
  };
  SideScanInfo left_scan, right_scan;
  // Both sides were unchanged since their memos, which agree: decided by the totals alone, no
  // row or bucket was read.
  bool decided_by_totals = false;
  SideTotals left_totals, right_totals;
  std::vector<GroupTotals> groups;      // when group_by was given, ordered by group
  int segments = 0;
  int differing_segments = 0;
  int64_t missing_left = 0, missing_right = 0, differing = 0;  // after re-read
  int64_t transient = 0;  // differences seen in the scan that were gone on re-read
  // Re-reads that waited settle_ms first. The first re-read waits only when a sync between the
  // two systems may still carry a change to a difference: a flow between them whose capture
  // keeps no changelog that this process can read (poll, logical), a change to a difference's
  // key still in a flow's changelog, or a difference whose key on a flow's source is unknown.
  // Otherwise nothing is on its way, and the differences are re-read at once.
  int settle_waits = 0;
  std::vector<RowDifference> rows;  // the first max_reported_rows differences, by key
  std::vector<std::string> unmappable_examples;  // "crm row id=7: field phone: ..."
  int64_t elapsed_ms = 0;
  // "customer:crm<->erp" — the check's name in the history and in `concord status`.
  std::string Name() const;
  // No row differs, and every row could be paired (a row without a usable key is a difference
  // concord cannot place, so it is not "equal" either).
  bool Equal() const {
    return missing_left == 0 && missing_right == 0 && differing == 0 &&
           left_totals.unmappable == 0 && right_totals.unmappable == 0;
  }
};

// Called now and then during the scan: rows read so far on each side, and the total when known
// (-1 when not).
using CheckProgress = std::function<void(std::string_view phase, int64_t done, int64_t total)>;

// Runs the check. Errors: InvalidArgument for a bad entity/system/field/where (the message says
// what is allowed) or a table whose key does not identify one row; Unavailable when a system
// cannot be read (names it).
Result<CheckReport> RunCheck(const ConfigSpec& spec, const MapperSet& mappers, SystemPool* pool,
                             StateStore* state, const CheckOptions& options,
                             const CheckProgress& progress = nullptr);

// Renderings of a report.
std::string CheckReportText(const CheckReport& report);
std::string CheckReportJson(const CheckReport& report);
std::string CheckReportHtml(const CheckReport& report);

}  // namespace concord
