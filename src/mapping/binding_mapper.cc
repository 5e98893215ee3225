#include "mapping/binding_mapper.h"

#include <algorithm>

namespace concord {
namespace {

// Value maps are short (a handful of codes), so a linear scan beats building hash maps per
// binding and keeps file order, which decides the reverse direction (Forward, below, likewise).
const std::string* Reverse(const FieldMapping& m, const std::string& canonical_value) {
  for (const auto& [system, canonical] : m.value_map) {
    if (canonical == canonical_value) return &system;
  }
  return nullptr;
}

// "VIP, 重要, 普通" (the system side, or the canonical side without repeats), cut after ten.
std::string ListValues(const FieldMapping& m, bool canonical_side) {
  constexpr size_t kMaxListed = 10;
  std::vector<const std::string*> seen;
  for (const auto& [system, canonical] : m.value_map) {
    const std::string* v = canonical_side ? &canonical : &system;
    if (std::none_of(seen.begin(), seen.end(), [&](const std::string* s) { return *s == *v; })) {
      seen.push_back(v);
    }
  }
  std::string out;
  for (size_t i = 0; i < seen.size() && i < kMaxListed; ++i) {
    if (i > 0) out += ", ";
    out += *seen[i];
  }
  if (seen.size() > kMaxListed)
    out += ", … (" + std::to_string(seen.size() - kMaxListed) + " more)";
  return out;
}

}  // namespace

BindingMapper::BindingMapper(const EntitySpec& entity, const BindingSpec& binding)
    : entity_(&entity), binding_(&binding) {
  table_.table = binding.table;
  table_.key_columns = binding.key;
  table_.capture = std::string(CaptureModeName(binding.capture));
  table_.columns = binding.key;
  for (const FieldMapping& m : binding.fields) {
    if (std::find(table_.columns.begin(), table_.columns.end(), m.column) == table_.columns.end()) {
      table_.columns.push_back(m.column);
    }
    mapped_fields_.insert(m.field);
    const FieldSpec* spec = entity.Field(m.field);
    field_specs_.push_back(spec);
    Result<BindingFormat> format =
        spec ? BindingFormat::Compile(*spec, m) : Result<BindingFormat>(BindingFormat());
    formats_.push_back(format.ok() ? *format : BindingFormat());
    format_errors_.push_back(format.ok() ? "" : format.status().message());
  }
  for (uint32_t i = 0; i < binding.fields.size(); ++i) by_field_.push_back(i);
  column_at_ = std::make_unique<std::atomic<uint32_t>[]>(binding.fields.size());
  field_at_ = std::make_unique<std::atomic<uint32_t>[]>(binding.fields.size());
  key_column_at_ = std::make_unique<std::atomic<uint32_t>[]>(binding.key.size());
  key_field_at_ = std::make_unique<std::atomic<uint32_t>[]>(entity.key.size());
  std::stable_sort(by_field_.begin(), by_field_.end(), [&](uint32_t a, uint32_t b) {
    return binding.fields[a].field < binding.fields[b].field;
  });
  // FromCanonical's plan: the first mapping of each field (the one written, as ForField), in
  // column order; one column written by two fields keeps their field-name order.
  for (uint32_t i : by_field_) {
    const std::string& field = binding.fields[i].field;
    if (write_order_.empty() || binding.fields[write_order_.back()].field != field) {
      write_order_.push_back(i);
    }
  }
  std::stable_sort(write_order_.begin(), write_order_.end(), [&](uint32_t a, uint32_t b) {
    return binding.fields[a].column < binding.fields[b].column;
  });
  key_is_mapped_ = !binding.key.empty() && binding.key.size() == entity.key.size();
  for (size_t i = 0; key_is_mapped_ && i < binding.key.size(); ++i) {
    const FieldMapping* m = binding.ForField(entity.key[i]);
    key_is_mapped_ = m != nullptr && m->column == binding.key[i];
  }
}

namespace {

// The value's text for a value map lookup, without a copy for Text.
bool SameText(const Value& v, const std::string& text) {
  return v.kind() == ValueKind::kText ? v.text() == text : v.ToString() == text;
}

const std::string* Forward(const FieldMapping& m, const Value& system_value) {
  for (const auto& [system, canonical] : m.value_map) {
    if (SameText(system_value, system)) return &canonical;
  }
  return nullptr;
}

// FindAt (core/value.h) with a hint the mapper's threads share: one that is wrong only costs the
// search, so they may overwrite each other's (relaxed atomics), and it is written only when it
// moves.
const Value* FindHinted(const NameMap<Value>& map, const std::string& name,
                        std::atomic<uint32_t>& at) {
  const uint32_t before = at.load(std::memory_order_relaxed);
  uint32_t hint = before;
  const Value* value = FindAt(map, name, &hint);
  if (hint != before) at.store(hint, std::memory_order_relaxed);
  return value;
}

}  // namespace

const Value* BindingMapper::ColumnValue(const Row& row, size_t i) const {
  return FindHinted(row, binding_->fields[i].column, column_at_[i]);
}

std::optional<Value> BindingMapper::MapField(size_t i, const Value* raw_value,
                                             FieldIssue* issue) const {
  const FieldMapping& m = binding_->fields[i];
  const FieldSpec* spec = field_specs_[i];
  if (spec == nullptr) {
    *issue = {
        m.field, "type",
        "not a field of entity " + entity_->name + " (mapped from column \"" + m.column + "\")",
        "declare the field in the data dictionary or remove the mapping"};
    return std::nullopt;
  }
  if (!format_errors_[i].empty()) {
    *issue = {m.field, "format", format_errors_[i],
              "fix the binding's format, timezone or encoding"};
    return std::nullopt;
  }
  if (raw_value == nullptr) {
    *issue = {m.field, "type",
              "column \"" + m.column + "\" of " + binding_->table + " is missing from the row",
              "check that the table has this column and the binding names it"};
    return std::nullopt;
  }
  Value decoded_text;  // what DecodeValue decodes into, when there is anything to decode
  auto decoded = DecodeValue(*spec, *raw_value, formats_[i], &decoded_text);
  if (!decoded.ok()) {
    *issue = {m.field, "encoding", decoded.status().message(),
              formats_[i].encoding() == TextEncoding::kUtf8
                  ? "column \"" + m.column + "\" of " + binding_->table +
                        " holds bytes in another encoding; declare it on the binding (encoding: "
                        "gbk, gb18030, big5, utf-16le or utf-16be)"
                  : "column \"" + m.column + "\" of " + binding_->table +
                        " holds bytes that are not " +
                        std::string(TextEncodingName(formats_[i].encoding())) +
                        "; fix the value in the source system, or the binding's encoding"};
    return std::nullopt;
  }
  const Value* raw = *decoded;
  Value mapped;
  if (!m.value_map.empty() && !raw->is_null()) {
    const std::string* canonical = Forward(m, *raw);
    if (canonical == nullptr && spec->type == FieldType::kEnum && spec->default_value) {
      canonical = &*spec->default_value;
    }
    if (canonical == nullptr) {
      *issue = {
          m.field, "value_map",
          DisplayValue(*spec, *raw) + " of column \"" + m.column + "\" is not in the value map",
          "mapped values: " + ListValues(m, false) + "; add this value to the binding's map"};
      return std::nullopt;
    }
    mapped = Value::Text(*canonical);
    raw = &mapped;
  }
  auto normalized = NormalizeValue(*spec, *raw, formats_[i]);
  if (!normalized.ok()) {
    *issue = {m.field, "type", normalized.status().message(),
              "column \"" + m.column + "\" of " + binding_->table +
                  " holds a value the data dictionary's type does not accept"};
    return std::nullopt;
  }
  return std::move(normalized).value();
}

BindingMapper::Canonical BindingMapper::ToCanonical(const Row& row) const {
  Canonical out;
  const size_t n = binding_->fields.size();
  // The row's value of each mapping's column, all looked up before any is mapped, so that
  // fetching the row's long texts from memory overlaps rather than waiting, one by one, for each
  // normalizer to read its own.
  constexpr size_t kInline = 32;
  const Value* inline_found[kInline];
  std::vector<const Value*> heap_found;
  const Value** found = inline_found;
  if (n > kInline) {
    heap_found.resize(n);
    found = heap_found.data();
  }
  for (size_t i = 0; i < n; ++i) {
    found[i] = ColumnValue(row, i);
    if (found[i] != nullptr) __builtin_prefetch(found[i]->text().data());
  }
  // The record is built as its sorted sequence: the mappings come in field-name order, so each
  // field is appended at the end (no search, no shifting); a field mapped twice is kept from its
  // first mapping.
  Record::sequence_type fields = out.record.extract_sequence();
  fields.reserve(n);
  // Issues are reported in mapping order, whatever order the fields were mapped in.
  std::vector<std::pair<uint32_t, FieldIssue>> issues;
  for (uint32_t i : by_field_) {
    const std::string& name = binding_->fields[i].field;
    FieldIssue issue;
    std::optional<Value> value = MapField(i, found[i], &issue);
    if (value) {
      if (fields.empty() || fields.back().first != name) {
        fields.emplace_back(name, std::move(*value));
      }
    } else {
      issues.emplace_back(i, std::move(issue));
    }
  }
  out.record.adopt_sequence(boost::container::ordered_unique_range, std::move(fields));
  if (!issues.empty()) {
    std::sort(issues.begin(), issues.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out.issues.reserve(issues.size());
    for (auto& [i, issue] : issues) out.issues.push_back(std::move(issue));
  }
  return out;
}

Result<Value> BindingMapper::ToSystem(size_t i, const Value& v) const {
  const FieldMapping& m = binding_->fields[i];
  const FieldSpec* spec = field_specs_[i];
  if (v.is_null()) return v;
  if (!format_errors_[i].empty()) return InvalidArgument(format_errors_[i]);
  if (!m.value_map.empty()) {
    const std::string* system = Reverse(m, v.ToString());
    if (system == nullptr) {
      std::string shown = spec ? DisplayValue(*spec, v) : "***";
      return InvalidArgument("field " + m.field + ": canonical value " + shown +
                             " has no entry in the value map of " + binding_->Name() +
                             " column \"" + m.column + "\" (it maps to " + ListValues(m, true) +
                             "); add one to the binding's map");
    }
    if (spec == nullptr) return Value::Text(*system);
    auto encoded = EncodeValue(*spec, Value::Text(*system), formats_[i]);
    if (!encoded.ok()) {
      return encoded.status().WithContext("field " + m.field);
    }
    return encoded;
  }
  if (spec == nullptr) return v;
  auto written = FormatValue(*spec, v, formats_[i]);
  if (!written.ok()) {
    return written.status().WithContext("field " + m.field + " (" + binding_->Name() +
                                        " column \"" + m.column + "\")");
  }
  return written;
}

std::vector<uint32_t> BindingMapper::MappingsWriting(const std::set<std::string>& fields) const {
  std::vector<uint32_t> mappings;
  for (uint32_t i : write_order_) {
    if (fields.count(binding_->fields[i].field)) mappings.push_back(i);
  }
  return mappings;
}

BindingMapper::WritePlan BindingMapper::PlanWrite(const std::set<std::string>& fields) const {
  return WritePlan{fields, MappingsWriting(fields)};
}

Result<Row> BindingMapper::FromCanonical(const Record& record, const std::set<std::string>& fields,
                                         FieldIssue* issue) const {
  return WriteRow(record, MappingsWriting(fields), fields, issue);
}

Result<Row> BindingMapper::FromCanonical(const Record& record, const WritePlan& plan,
                                         FieldIssue* issue) const {
  return WriteRow(record, plan.mappings, plan.fields, issue);
}

Result<Row> BindingMapper::WriteRow(const Record& record, const std::vector<uint32_t>& mappings,
                                    const std::set<std::string>& fields, FieldIssue* issue) const {
  // The row is built as its sorted sequence: the mappings come in column order, so each column
  // is appended at the end (no search, no shifting). A column two fields write gets the value of
  // the later field by name, as it always did.
  Row::sequence_type columns;
  columns.reserve(mappings.size());
  for (uint32_t i : mappings) {
    const FieldMapping& m = binding_->fields[i];
    const Value* value = FindHinted(record, m.field, field_at_[i]);
    if (value == nullptr) continue;
    auto system = ToSystem(i, *value);
    if (!system.ok()) return FromCanonicalError(record, fields, issue);
    if (!columns.empty() && columns.back().first == m.column) {
      columns.back().second = std::move(*system);
    } else {
      columns.emplace_back(m.column, std::move(*system));
    }
  }
  Row row;
  row.adopt_sequence(boost::container::ordered_unique_range, std::move(columns));
  return row;
}

Status BindingMapper::FromCanonicalError(const Record& record, const std::set<std::string>& fields,
                                         FieldIssue* issue) const {
  // The first field by name whose value cannot be written (FromCanonical found one).
  for (const std::string& field : fields) {
    auto it = record.find(field);
    const FieldMapping* m = it == record.end() ? nullptr : binding_->ForField(field);
    if (m == nullptr) continue;
    const size_t i = static_cast<size_t>(m - binding_->fields.data());
    auto system = ToSystem(i, it->second);
    if (system.ok()) continue;
    if (issue != nullptr) {
      bool unmapped = !m->value_map.empty() && format_errors_[i].empty() &&
                      Reverse(*m, it->second.ToString()) == nullptr;
      *issue = FieldIssue{field, unmapped ? "value_map" : "format", system.status().message(), ""};
    }
    return system.status();
  }
  return Internal("FromCanonical: a value could not be written, then could");
}

Key BindingMapper::SystemKeyOfRow(const Row& row) const {
  Key key;
  key.reserve(binding_->key.size());
  for (size_t i = 0; i < binding_->key.size(); ++i) {
    const Value* value = FindHinted(row, binding_->key[i], key_column_at_[i]);
    key.push_back(value == nullptr ? Value::Null() : *value);
  }
  return key;
}

Result<Key> BindingMapper::CanonicalKeyOf(const Record& record) const {
  Key key;
  key.reserve(entity_->key.size());
  for (size_t i = 0; i < entity_->key.size(); ++i) {
    const Value* value = FindHinted(record, entity_->key[i], key_field_at_[i]);
    if (value == nullptr || value->is_null()) {
      return InvalidArgument("key field \"" + entity_->key[i] + "\" is missing or NULL");
    }
    key.push_back(*value);
  }
  return key;
}

std::optional<Key> BindingMapper::SystemKeyFromCanonical(const Key& canonical) const {
  if (!key_is_mapped_ || canonical.size() != entity_->key.size()) return std::nullopt;
  Key key;
  key.reserve(canonical.size());
  for (size_t i = 0; i < canonical.size(); ++i) {
    const FieldMapping* m = binding_->ForField(entity_->key[i]);
    auto system = ToSystem(static_cast<size_t>(m - binding_->fields.data()), canonical[i]);
    if (!system.ok()) return std::nullopt;
    key.push_back(std::move(*system));
  }
  return key;
}

}  // namespace concord
