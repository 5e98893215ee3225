// Normalizers and validators: turn what a system holds into the canonical form its data-
// dictionary type declares, and check the canonical record against the dictionary's rules.
//
// Canonical forms (see core/value.h): string/text/enum/phone/email/reference → Text;
// int → Int; bool → Int 0/1; decimal → Text with exactly `scale` digits after the point
// ("1234.50", "-0.05"), computed exactly from text (no binary floating point on the path);
// date → Text "YYYY-MM-DD"; timestamp → Text "YYYY-MM-DDTHH:MM:SS[.fff]" with "Z" or "+08:00"
// kept when the input had a zone (the fraction keeps up to 9 digits, trailing zeros removed, so
// each instant as written has one canonical text). NULL stays NULL for every type.
// The accepted input layouts per type are listed in quality/README.md.
//
// Pure functions, no state; safe from any thread.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "config/spec.h"
#include "core/status.h"
#include "core/value.h"

namespace concord {

// One problem with one field of one record; goes into the DLQ reason.
struct FieldIssue {
  std::string field;
  std::string rule;     // "type", "required", "max_length", "min", "max", "enum", "key", ...
  std::string message;  // what was expected, what was found (value masked when personal)
  std::string hint;     // what to do; may be empty
  // "field credit_limit: -5.00 is below min 0 (rule min); hint: ..."
  std::string ToString() const;
};

// Converts `raw` (as read from a system, after any value map) to the canonical form of `field`.
// On failure returns InvalidArgument whose message says what was expected and what was found,
// e.g. `expected a decimal number, found "12,3x"`, with the value masked when the field is
// personal. The message does not name the field (FieldIssue carries it).
Result<Value> NormalizeValue(const FieldSpec& field, const Value& raw);

// Checks a canonical record against the entity's rules: required (NULL or "" for required
// fields), max_length (UTF-8 code points), min/max (exact decimal comparison for int and
// decimal), enum membership. Only fields in `present` are checked (a flow that carries a subset
// of fields must not be rejected for fields it does not carry); key fields are always required.
std::vector<FieldIssue> ValidateRecord(const EntitySpec& entity, const Record& record,
                                       const std::set<std::string>& present);

// A value as it may appear in messages: the value itself (quoted, cut at 40 characters), or
// masked ("138****5678", "z***@example.com", "***") when the field is personal.
std::string DisplayValue(const FieldSpec& field, const Value& v);

// Exact comparison of two decimal numbers given as text ("-1.50" vs "2"): -1, 0, 1.
// InvalidArgument when either is not a decimal number.
Result<int> CompareDecimal(const std::string& a, const std::string& b);

}  // namespace concord
