// UniqueCheck: `unique: true` fields on a flow. Before a batch is written to its target, every
// record that sets a unique field must be the only holder of its canonical value in the target
// system: a value that already belongs to another record — a row of the target table with another
// key, or a record earlier in the same batch — rejects the record (rule `unique`) instead of
// letting the write overwrite, duplicate, or fail the whole batch on the target's constraint.
//
// Comparison is in canonical form. The target column holds the binding's layout (a phone written
// `national` is `138 1234 5678`), so the lookup sends, per value, the spellings a column may hold
// (quality's LookupSpellings: the binding's layout, the canonical form, common phone layouts),
// and every row found is normalized through the target binding and compared canonically. A value
// stored in a layout outside those spellings is not found (`concord profile` finds it: it
// normalizes every row).
//
// The I/O is the caller's: `find` reads the target (Source::FindByColumn), one call per unique
// field per batch; `describe` names the record a target row belongs to (through the xref). This
// file only decides. Not thread-safe per call; no state between calls.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "mapping/binding_mapper.h"
#include "quality/normalize.h"

namespace concord {

// One record about to be written to the target.
struct UniqueCandidate {
  const Record* record = nullptr;               // canonical, validated
  const std::set<std::string>* fields = nullptr;  // the fields this write sets
  std::string key_display;                      // its canonical key, for messages ("C1")
  std::optional<Key> target_key;                // its row in the target, when it has one
};

// A candidate that may not be written.
struct UniqueClash {
  size_t index = 0;  // into the candidates
  FieldIssue issue;  // rule "unique": the field, the value (masked when personal), the holder
};

using FindByColumnFn = std::function<Result<std::vector<Row>>(
    const TableRef& t, const std::string& column, const std::vector<Value>& values)>;
// "C00042 (erp key 17)": the record that the target row with this key holds.
using DescribeKeyFn = std::function<Result<std::string>(const Key& target_key)>;

// The entity's unique fields that `target` maps and `carried` contains — what a flow must check;
// empty when there is nothing to do.
std::vector<const FieldSpec*> UniqueFieldsToCheck(const BindingMapper& target,
                                                  const std::set<std::string>& carried);

// Checks `candidates` (in batch order) for `fields` against each other and against the target.
// Rows of the target whose key is that of a candidate which moves the field to another value, or
// of `deleted` (rows this batch deletes), do not hold their old value any more. A candidate
// clashes at most once (its first clashing field). Errors: those of `find` and `describe`.
Result<std::vector<UniqueClash>> CheckUnique(const BindingMapper& target,
                                             const std::vector<const FieldSpec*>& fields,
                                             const std::vector<UniqueCandidate>& candidates,
                                             const std::vector<Key>& deleted,
                                             const std::string& target_system,
                                             const FindByColumnFn& find,
                                             const DescribeKeyFn& describe);

}  // namespace concord
