// What `concord check` compares: which two systems, which fields, and how records are grouped.
// Derived from the config (flows and bindings) so that a check compares what sync promises to
// keep equal, no more: a field that no flow carries between the two systems may differ by design.
//
// Pure functions over the config; safe from any thread.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/spec.h"
#include "core/status.h"
#include "mapping/binding_mapper.h"

namespace concord {

// The two systems to compare for `entity`: `left`/`right` when given (each must bind the entity),
// else the systems of the entity's first flow, else its first two bindings. InvalidArgument naming
// the systems that would do when the choice is impossible.
Result<std::pair<std::string, std::string>> ChooseSystems(const ConfigSpec& spec,
                                                          const std::string& entity,
                                                          const std::string& left,
                                                          const std::string& right);

// The fields to compare between the two bindings: every field the flows between the two systems
// carry (both directions, `owns` respected) plus the key fields both map; where no flow joins
// them, every field both bindings map. `only` (when non-empty) restricts the set; a name in it
// that is not a compared field is an error naming the compared ones.
Result<std::set<std::string>> ComparedFields(const ConfigSpec& spec, const EntitySpec& entity,
                                             const BindingMapper& left, const BindingMapper& right,
                                             const std::vector<std::string>& only);

// `--by status` or `--by order_date:month`.
struct GroupBy {
  std::string field;
  bool month = false;  // group a date/timestamp by its "YYYY-MM"
};
Result<GroupBy> ParseGroupBy(const EntitySpec& entity, const BindingMapper& left,
                             const BindingMapper& right, const std::string& text);
// The group a canonical record falls in ("NULL" when the field is NULL or absent).
std::string GroupValue(const GroupBy& by, const Record& record);

}  // namespace concord
