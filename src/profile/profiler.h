// Profiler: the data-quality report of one binding (`concord profile <system>.<entity>`). Reads
// the binding's table through a connector's Source in key order, chunk by chunk (keyset paging:
// ReadChunk after the last key), maps each row to its canonical record with
// BindingMapper::ToCanonical, runs ValidateRecord on the fields that mapped and then — as a flow
// does, on records that passed — the entity's Lua `rules:` (engine/when_filter.h), and accumulates
// per field statistics (profile/field_profile.h) and suspected duplicates: records whose normalized
// value of a `phone` or `email` field is equal (grouped by the 64-bit hash of the canonical
// value). Duplicates of a `unique: true` field are failures (rule `unique`, counted per record
// after the first with the value, with examples naming both records).
//
// Moves nothing: only ReadChunk is called — no capture is installed, nothing is written to the
// system or to concord's state store.
//
// Not thread-safe. Keeps a reference to the mapper (and through it the ConfigSpec), which must
// outlive it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connectors/connector.h"
#include "core/status.h"
#include "mapping/binding_mapper.h"
#include "engine/when_filter.h"
#include "profile/field_profile.h"
#include "quality/normalize.h"

namespace concord {

struct DuplicateGroup {
  std::string value;  // the shared canonical value as shown (masked when personal)
  int64_t count = 0;  // records that share it
  std::vector<std::string> keys;  // the first few records' keys (display form)
};

struct DuplicateSummary {
  std::string field;
  int64_t groups = 0;   // values shared by more than one record
  int64_t records = 0;  // records in those groups
  std::vector<DuplicateGroup> examples;  // the largest groups first
};

struct ProfileReport {
  std::string binding;  // "crm.customer"
  std::string table;
  int64_t rows = 0;              // rows profiled (those matching `where`)
  int64_t rows_read = 0;         // rows read from the table
  std::string where;             // the --where filter as given, "" for none
  int64_t rows_with_issues = 0;  // records the engine would send to the DLQ
  std::vector<FieldSummary> fields;  // in data-dictionary order
  // The entity's `rules:` that records broke (rule name, count, examples without a value).
  std::vector<RuleIssues> entity_rules;
  // Why something could not be checked (an entity rule that does not compile), for the reader.
  std::vector<std::string> notes;
  std::vector<DuplicateSummary> duplicates;
};

struct ProfileOptions {
  size_t top_n = 10;
  size_t chunk_rows = 5000;
  size_t duplicate_examples = 5;      // groups shown per field
  size_t keys_per_duplicate = 5;      // keys shown per group
  // Threads that map and check rows during Scan (the statistics are gathered on the calling
  // thread). Default: the machine's cores, at most 4.
  size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  FieldProfile::Limits limits;
  // Only rows whose canonical record passes this filter (`--where`, the `when:` syntax, fields
  // the binding maps) are profiled; the others are read and skipped.
  std::optional<WhenSpec> where;
};

class Profiler {
 public:
  Profiler(const BindingMapper& mapper, const ProfileOptions& options);
  ~Profiler();

  // One row of the binding's table (as ReadChunk returns it).
  void AddRow(const Row& row);

  // Reads every row of the table through `source`, in key order, `chunk_rows` at a time, calling
  // AddRow for each and `progress(rows read so far, rows in the table)` after each chunk — the
  // total from Source::CountRows, asked once first, or -1 where the connector cannot count.
  // Returns the Source's error (naming the system and table) when a read fails; the rows read
  // until then stay counted. The mapping runs on `threads` threads; the Source is used from the
  // calling thread only.
  Status Scan(Source* source, const std::function<void(int64_t read, int64_t total)>& progress);

  ProfileReport Finish() const;

 private:
  struct Dup;     // one canonical value of a duplicate-checked field
  struct Mapped;  // one row mapped and checked
  Mapped MapRow(const Row& row, FlowExpressions* rules) const;
  void Accumulate(const Row& row, Mapped& m);
  std::string KeyOf(const Row& row) const;
  struct DupField {
    std::string field;
    std::unordered_map<uint64_t, Dup> seen;
  };
  // Counts `value` of `d` for the record of `row`; `*key` is its key, computed when first needed.
  // True when an earlier record already had the value.
  bool Track(DupField& d, const Value& value, const Row& row, std::string* key);
  // The `unique:` failures of `d` into the field's summary of `r`.
  void ReportUnique(const DupField& d, ProfileReport* r) const;

  FieldProfile* ProfileFor(const std::string& field);
  void AddRuleIssue(const FieldIssue& issue, const std::string& key);

  const BindingMapper& mapper_;
  ProfileOptions options_;
  std::set<std::string> mapped_;
  ValidationPlan validate_mapped_;  // what ValidateRecord checks when every mapped field mapped
  std::vector<std::string> order_;                     // field names in report order
  std::map<std::string, FieldProfile> profiles_;       // by field (nodes stay put)
  struct Slot {
    std::string field, column;
    FieldProfile* profile;
  };
  std::vector<Slot> slots_;  // the binding's fields, in order: what every row feeds
  std::map<std::string, std::string> columns_;         // field → column
  std::deque<FieldSpec> undeclared_;                   // specs for fields the entity lacks
  std::vector<DupField> dups_;
  // `unique: true` fields: values shared by records that pass every other check (as on a flow,
  // where only those reach the unique check). Every record after the first with a value fails.
  std::vector<DupField> uniques_;
  FlowSpec rules_flow_;  // a flow of this entity without when: or computed:, for its rules
  std::vector<std::unique_ptr<FlowExpressions>> rules_;  // one per mapping thread
  std::map<std::string, RuleIssues> rule_issues_;
  std::vector<std::string> notes_;
  int64_t rows_ = 0;
  int64_t rows_read_ = 0;
  int64_t rows_with_issues_ = 0;
};

}  // namespace concord
