// Profiler: the data-quality report of one binding (`concord profile <system>.<entity>`). Reads
// the binding's table through a connector's Source in key order, chunk by chunk (keyset paging:
// ReadChunk after the last key), maps each row to its canonical record with
// BindingMapper::ToCanonical, runs ValidateRecord on the fields that mapped, and accumulates per
// field statistics (profile/field_profile.h) and suspected duplicates: records whose normalized
// value of a `phone` or `email` field is equal (grouped by the 64-bit hash of the canonical
// value).
//
// Moves nothing: only ReadChunk is called — no capture is installed, nothing is written to the
// system or to concord's state store.
//
// Not thread-safe. Keeps a reference to the mapper (and through it the ConfigSpec), which must
// outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/connector.h"
#include "core/status.h"
#include "mapping/binding_mapper.h"
#include "profile/field_profile.h"

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
  int64_t rows = 0;
  int64_t rows_with_issues = 0;  // records the engine would send to the DLQ
  std::vector<FieldSummary> fields;  // in data-dictionary order
  std::vector<DuplicateSummary> duplicates;
};

struct ProfileOptions {
  size_t top_n = 10;
  size_t chunk_rows = 5000;
  size_t duplicate_examples = 5;      // groups shown per field
  size_t keys_per_duplicate = 5;      // keys shown per group
  FieldProfile::Limits limits;
};

class Profiler {
 public:
  Profiler(const BindingMapper& mapper, const ProfileOptions& options);
  ~Profiler();

  // One row of the binding's table (as ReadChunk returns it).
  void AddRow(const Row& row);

  // Reads every row of the table through `source`, in key order, `chunk_rows` at a time, calling
  // AddRow for each and `progress(rows read so far)` after each chunk. Returns the Source's error
  // (naming the system and table) when a read fails; the rows read until then stay counted.
  Status Scan(Source* source, const std::function<void(int64_t)>& progress);

  ProfileReport Finish() const;

 private:
  struct Dup;  // one canonical value of a duplicate-checked field
  struct DupField {
    std::string field;
    std::unordered_map<uint64_t, Dup> seen;
  };

  FieldProfile* ProfileFor(const std::string& field);

  const BindingMapper& mapper_;
  ProfileOptions options_;
  std::set<std::string> mapped_;
  std::vector<std::string> order_;                     // field names in report order
  std::map<std::string, FieldProfile> profiles_;       // by field
  std::map<std::string, std::string> columns_;         // field → column
  std::deque<FieldSpec> undeclared_;                   // specs for fields the entity lacks
  std::vector<DupField> dups_;
  int64_t rows_ = 0;
  int64_t rows_with_issues_ = 0;
};

}  // namespace concord
