#include "config/spec.h"

namespace concord {

std::string Location::ToString() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::string_view FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "string";
    case FieldType::kText:
      return "text";
    case FieldType::kInt:
      return "int";
    case FieldType::kDecimal:
      return "decimal";
    case FieldType::kBool:
      return "bool";
    case FieldType::kDate:
      return "date";
    case FieldType::kTimestamp:
      return "timestamp";
    case FieldType::kEnum:
      return "enum";
    case FieldType::kReference:
      return "reference";
    case FieldType::kPhone:
      return "phone";
    case FieldType::kEmail:
      return "email";
  }
  return "?";
}

const std::vector<FieldType>& AllFieldTypes() {
  static const std::vector<FieldType> kAll = {
      FieldType::kString,    FieldType::kText,  FieldType::kInt,       FieldType::kDecimal,
      FieldType::kBool,      FieldType::kDate,  FieldType::kTimestamp, FieldType::kEnum,
      FieldType::kReference, FieldType::kPhone, FieldType::kEmail,
  };
  return kAll;
}

std::optional<FieldType> FieldTypeFromName(std::string_view name) {
  for (FieldType t : AllFieldTypes()) {
    if (FieldTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view RoundingName(Rounding r) {
  switch (r) {
    case Rounding::kHalfEven:
      return "half_even";
    case Rounding::kHalfUp:
      return "half_up";
    case Rounding::kDown:
      return "down";
  }
  return "?";
}

std::string_view TextEncodingName(TextEncoding e) {
  switch (e) {
    case TextEncoding::kUtf8:
      return "utf-8";
    case TextEncoding::kGbk:
      return "gbk";
    case TextEncoding::kGb18030:
      return "gb18030";
    case TextEncoding::kBig5:
      return "big5";
    case TextEncoding::kUtf16Le:
      return "utf-16le";
    case TextEncoding::kUtf16Be:
      return "utf-16be";
  }
  return "?";
}

std::string_view CaptureModeName(CaptureMode m) {
  switch (m) {
    case CaptureMode::kTrigger:
      return "trigger";
    case CaptureMode::kPoll:
      return "poll";
    case CaptureMode::kNone:
      return "none";
    case CaptureMode::kLogical:
      return "logical";
  }
  return "?";
}

std::string_view ConflictRuleName(ConflictRule r) {
  switch (r) {
    case ConflictRule::kNewest:
      return "newest";
    case ConflictRule::kPrefer:
      return "prefer";
    case ConflictRule::kManual:
      return "manual";
  }
  return "?";
}

const FieldSpec* EntitySpec::Field(const std::string& field_name) const {
  for (const FieldSpec& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

const FieldMapping* BindingSpec::ForField(const std::string& field) const {
  for (const FieldMapping& m : fields) {
    if (m.field == field) return &m;
  }
  return nullptr;
}

const FieldMapping* BindingSpec::ForColumn(const std::string& column) const {
  for (const FieldMapping& m : fields) {
    if (m.column == column) return &m;
  }
  return nullptr;
}

const BindingSpec* ConfigSpec::Binding(const std::string& system, const std::string& entity) const {
  auto it = bindings.find(system + "." + entity);
  return it == bindings.end() ? nullptr : &it->second;
}

}  // namespace concord
