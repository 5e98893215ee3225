// BindingMapper: how one entity lives in one system's table — translating rows of that table to
// canonical records and back, per the binding's field mapping, value maps and value layouts
// (format, time zone, encoding): normalizing each value to its data-dictionary type on the way in,
// and writing it in the system's own layout on the way out.
//
// Immutable after construction; safe to share between threads. Holds pointers into the
// ConfigSpec, which must outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/spec.h"
#include "connectors/connector.h"
#include "core/change.h"
#include "core/status.h"
#include "quality/normalize.h"

namespace concord {

class BindingMapper {
 public:
  BindingMapper(const EntitySpec& entity, const BindingSpec& binding);

  const EntitySpec& entity() const { return *entity_; }
  const BindingSpec& binding() const { return *binding_; }

  // The table as connectors see it: key columns plus every mapped column, in a stable order.
  const TableRef& table() const { return table_; }

  // True when every binding key column is mapped to an entity key field, in the same order — the
  // system key is then derived from the record. False for surrogate keys (e.g. an autoincrement
  // id that no canonical field maps), which live only in the xref.
  bool key_is_mapped() const { return key_is_mapped_; }

  // The canonical fields this binding maps.
  const std::set<std::string>& mapped_fields() const { return mapped_fields_; }

  struct Canonical {
    Record record;                   // mapped fields, normalized (failed fields are absent)
    std::vector<FieldIssue> issues;  // one per field that failed to map or normalize
  };
  // Row → canonical record: column → field by the mapping; DecodeValue by the mapping's encoding
  // (rule "encoding"); value map (system → canonical; a value absent from a non-empty map is an
  // issue, rule "value_map", unless the field is an enum with a `default`, which it becomes);
  // then NormalizeValue with the mapping's format and time zone (rule "type"). Does not run
  // ValidateRecord — the engine does, for the fields the flow carries.
  Canonical ToCanonical(const Row& row) const;

  // Canonical values of `fields` → the columns of this binding: reverse value map (a canonical
  // value with no system value is an error), or else FormatValue (the mapping's format, time zone
  // and encoding: a value that cannot be written so is an error). Fields this binding does not
  // map are skipped. Errors name the field and the column.
  // On failure, `*issue` (when given) names the field and the rule broken: "value_map" (no
  // system value for the canonical one) or "format" (the value cannot be written in the
  // binding's layout).
  Result<Row> FromCanonical(const Record& record, const std::set<std::string>& fields,
                            FieldIssue* issue = nullptr) const;
  // The mappings FromCanonical writes for a set of fields, worked out once for a set that many
  // records use (a flow's carried fields) rather than looked up by name for each record.
  struct WritePlan {
    std::set<std::string> fields;
    std::vector<uint32_t> mappings;  // the first mapping of each of `fields`, in column order
  };
  WritePlan PlanWrite(const std::set<std::string>& fields) const;
  // FromCanonical of the plan's fields.
  Result<Row> FromCanonical(const Record& record, const WritePlan& plan,
                            FieldIssue* issue = nullptr) const;

  // The table key of `row` (binding key columns, in order).
  Key SystemKeyOfRow(const Row& row) const;
  // The canonical key of `record` (entity key fields, in order); InvalidArgument naming the
  // field when a key field is missing or NULL.
  Result<Key> CanonicalKeyOf(const Record& record) const;
  // When key_is_mapped(): the system key for a canonical key (each value as FromCanonical writes
  // it). Otherwise nullopt — also when `canonical` has the wrong number of values or a value
  // cannot be written (FromCanonical reports that case as an error).
  std::optional<Key> SystemKeyFromCanonical(const Key& canonical) const;

 private:
  const EntitySpec* entity_;
  const BindingSpec* binding_;
  TableRef table_;
  bool key_is_mapped_ = false;
  std::set<std::string> mapped_fields_;
  // Parallel to binding().fields: the entity's FieldSpec of each mapping (nullptr when the entity
  // does not declare the field — config validation rejects that, ToCanonical reports it).
  std::vector<const FieldSpec*> field_specs_;
  // Parallel to binding().fields: each mapping's compiled layout, or why it does not compile (a
  // spec built in code that the loader would have refused; reported with every record).
  std::vector<BindingFormat> formats_;
  std::vector<std::string> format_errors_;

  // ToCanonical's plan, resolved once here rather than per record: the mappings in the order of
  // their canonical field names (stable, so the first mapping of a field still wins), which lets
  // each value be appended at the end of the record's tree.
  std::vector<uint32_t> by_field_;
  // Parallel to binding().fields: where in the last row seen its column was. A source sends its
  // rows with the same columns every time, so the column is almost always at the same position
  // again: one equality test instead of a binary search by name. A hint that is wrong only costs
  // the search, so threads sharing the mapper may overwrite each other's hints (relaxed atomics).
  std::unique_ptr<std::atomic<uint32_t>[]> column_at_;
  // The same kind of hint for where in the last record written mapping i's field was
  // (FromCanonical), where in the last row read the key's columns were (SystemKeyOfRow), and
  // where in the last record keyed the entity's key fields were (CanonicalKeyOf).
  std::unique_ptr<std::atomic<uint32_t>[]> field_at_;
  std::unique_ptr<std::atomic<uint32_t>[]> key_column_at_;
  std::unique_ptr<std::atomic<uint32_t>[]> key_field_at_;

  // FromCanonical's plan: the first mapping of each field, in column order.
  std::vector<uint32_t> write_order_;
  // Those of write_order_ that write one of `fields`.
  std::vector<uint32_t> MappingsWriting(const std::set<std::string>& fields) const;
  // FromCanonical by `mappings` (MappingsWriting(fields)).
  Result<Row> WriteRow(const Record& record, const std::vector<uint32_t>& mappings,
                       const std::set<std::string>& fields, FieldIssue* issue) const;
  // FromCanonical's error: the first of `fields` by name whose value cannot be written.
  Status FromCanonicalError(const Record& record, const std::set<std::string>& fields,
                            FieldIssue* issue) const;

  // The row's value of mapping `i`'s column, or nullptr when the row lacks it.
  const Value* ColumnValue(const Row& row, size_t i) const;
  // Canonical → system value of mapping `i`.
  Result<Value> ToSystem(size_t i, const Value& v) const;
  // One mapping of ToCanonical: `raw` is the row's value of its column (nullptr: missing). Returns
  // the field's canonical value, or nullopt with `*issue` set.
  std::optional<Value> MapField(size_t i, const Value* raw, FieldIssue* issue) const;
};

}  // namespace concord
