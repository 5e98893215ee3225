// The configuration spec declared as data: every section of concord.yaml and every key it
// accepts, with its type, whether it is required, its default, its range or allowed values, the
// field types it applies to, and a one-line doc.
//
// The loader (config.cc) takes unknown-key checks, required keys, ranges and defaults from these
// tables; ConfigReferenceMarkdown() renders them into docs/configuration.md. Adding a key means
// adding a row here, reading it in config.cc, and regenerating the docs page (the test says how).
//
// Internal to src/config. The tables are built once and immutable; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/spec.h"

namespace concord {

struct KeyDef {
  std::string_view name;
  std::string_view type;  // as documented: "integer", "string or list of strings", ...
  bool required = false;
  std::string default_value;   // as documented; "" when none
  std::optional<int64_t> min;  // integers: inclusive range
  std::optional<int64_t> max;
  std::vector<std::string> allowed;  // enumerated values, in documented order
  std::vector<FieldType> only_for;   // field keys: the types the key applies to (empty: all)
  std::string_view doc;

  // The default parsed as an integer (integer keys with a default only).
  int64_t DefaultInt() const;
};

struct SectionDef {
  std::string_view path;  // as documented: "flows[n]", "entities.<entity>.fields.<field>"
  std::string_view doc;   // a paragraph
  std::vector<KeyDef> keys;

  const KeyDef* Find(std::string_view name) const;  // nullptr when not a key of this section
  const KeyDef& Get(std::string_view name) const;   // the key, which must exist
  std::vector<std::string> Names() const;           // in declared order
};

const SectionDef& TopSection();
const SectionDef& SystemSection();  // `connector` only; options come from the connector
const SectionDef& EntitySection();
const SectionDef& FieldSection();
const SectionDef& RuleSection();  // one of an entity's `rules:`
const SectionDef& BindingSection();
const SectionDef& MappingSection();  // the long form {column, map} of a binding field
const SectionDef& PollSection();     // `poll:` of a binding with capture: poll
const SectionDef& FlowSection();
const SectionDef& CheckSection();                     // checks[n]
const SectionDef& ConflictSection();                  // the map form {prefer: <system>}
const std::vector<const SectionDef*>& AllSections();  // in documented order

// "a, b and c" for messages and docs.
std::string JoinNames(const std::vector<std::string>& names, std::string_view last_sep = " and ");

}  // namespace concord

namespace concord {

// The complete, valid example shown at the top of the reference (it reads ${ERP_DB}).
std::string_view ExampleConfigYaml();

}  // namespace concord
