// Normalizers and validators: turn what a system holds into the canonical form its data-
// dictionary type declares, write canonical values back in each system's own layout, and check
// the canonical record against the dictionary's rules.
//
// Canonical forms (see core/value.h): string/text/enum/reference → Text (UTF-8, with the field's
// nfkc/trim/collapse_spaces/case/chinese applied); phone → Text E.164 ("+8613812345678");
// email → Text with the domain lower-cased; int → Int; bool → Int 0/1; decimal → Text with
// exactly `scale` digits after the point ("1234.50", "-0.05"), computed exactly from text (no
// binary floating point on the path); date → Text "YYYY-MM-DD"; timestamp → Text
// "YYYY-MM-DDTHH:MM:SS[.f]" followed by "Z" when the instant is known (the input carried an
// offset, or the binding declared its time zone: every instant then has one canonical text, in
// UTC) and by nothing for a wall-clock time of unknown zone; the fraction keeps up to 9 digits,
// trailing zeros removed. NULL stays NULL for every type. The accepted input layouts per type are
// listed in quality/README.md.
//
// Reading from a binding is two steps — DecodeValue (bytes → UTF-8 text, per the binding's
// encoding) then NormalizeValue (→ canonical) — so that value maps sit between them. Writing is
// FormatValue (canonical → the binding's format and time zone, then its encoding).
//
// Pure functions; BindingFormat is immutable. Safe from any thread.
#pragma once

#include <memory>
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
  std::string rule;     // "type", "encoding", "required", "max_length", "min", "max", "enum", ...
  std::string message;  // what was expected, what was found (value masked when personal)
  std::string hint;     // what to do; may be empty
  // "field credit_limit: -5.00 is below min 0 (rule min); hint: ..."
  std::string ToString() const;
};

// How one binding holds one field — its mapping's `format`, `timezone` and `encoding` —
// compiled once (pattern parsed, time zone looked up). Copies share the compiled form.
class BindingFormat {
 public:
  BindingFormat();  // canonical layouts, no time zone, UTF-8
  // InvalidArgument when the mapping's layout does not apply to the field or does not parse (the
  // config loader reports these first; this guards specs built in code).
  static Result<BindingFormat> Compile(const FieldSpec& field, const FieldMapping& mapping);

  FormatKind kind() const;
  TextEncoding encoding() const;

  struct Compiled;  // defined in normalize_internal.h
  const Compiled& compiled() const { return *compiled_; }

 private:
  explicit BindingFormat(std::shared_ptr<const Compiled> c) : compiled_(std::move(c)) {}
  std::shared_ptr<const Compiled> compiled_;
};

// Step 1 of reading: bytes → UTF-8. With an encoding declared, a Blob (and a Text that is not
// valid UTF-8; any Text for UTF-16) is decoded from it; other values pass unchanged. Fails with
// InvalidArgument (rule "encoding") for a sequence that is invalid in the declared encoding —
// `expected gbk text, found x'd6d0ff' (not valid gbk at byte 3)` — and for a Text that is not
// valid UTF-8 when no encoding is declared — `expected UTF-8 text, found x'd6d0cec4' (not valid
// UTF-8 at byte 1)`. Values are masked when the field is personal.
Result<Value> DecodeValue(const FieldSpec& field, const Value& raw, const BindingFormat& format);
// The same for the record path, without copying a value that needs no decoding (most do not):
// points at `raw` itself then, else at `*decoded`, which receives the decoded value.
Result<const Value*> DecodeValue(const FieldSpec& field, const Value& raw,
                                 const BindingFormat& format, Value* decoded);

// Step 2: a decoded value (after any value map) → the canonical form of `field`, reading also the
// layouts `format` allows (dmy/mdy, Unix units, Excel serials, a pattern) and placing naive times
// in its time zone. Fails with InvalidArgument (rule "type") whose message says what was expected,
// what was found and, where there is more to say, why: `expected a phone number, found "123" (too
// short)`; `expected a date like 2023-01-31, found "01/02/2023" (day and month order is not
// known: declare format dmy or mdy on the binding)`. The value is masked when the field is
// personal; the message does not name the field (FieldIssue carries it).
Result<Value> NormalizeValue(const FieldSpec& field, const Value& decoded,
                             const BindingFormat& format);

// Both steps with the default format (canonical layouts, no time zone, UTF-8).
Result<Value> NormalizeValue(const FieldSpec& field, const Value& raw);

// Canonical → how the binding writes it: phone numbers in its format; dates and timestamps in its
// format and time zone (an instant converted to the zone; Unix and Excel formats as Int); then
// text in its encoding (as a Blob). NULL stays NULL. Fails with InvalidArgument when the value
// cannot be written so: a number that does not fit a digit pattern, a character the encoding
// lacks, a value that is not canonical.
Result<Value> FormatValue(const FieldSpec& field, const Value& canonical,
                          const BindingFormat& format);

// Only the encoding step of FormatValue (for values that come from a value map).
Result<Value> EncodeValue(const FieldSpec& field, const Value& value, const BindingFormat& format);
// The same, taking `value` over when it is written as it is.
Result<Value> EncodeValue(const FieldSpec& field, Value&& value, const BindingFormat& format);

// The texts under which a system's column may hold the canonical value `canonical` of `field`,
// for an exact-match lookup in the system's database (`unique:`): first how the binding writes it
// (FormatValue with `format`), then the canonical form, then for phone numbers the layouts people
// type — E.164 with and without `+`, international, and for numbers of the field's region the
// national format, with blanks or `-`, and its bare digits (`+8613812345678`, `8613812345678`,
// `+86 138 1234 5678`, `+86-138-1234-5678`, `138 1234 5678`, `138-1234-5678`, `13812345678`).
// A value stored in any other layout is not found by such a lookup (`concord profile` reads
// every row and finds it). Rows found must still be normalized and compared: the list is a
// filter, not a proof. Distinct values; empty for NULL and "".
std::vector<Value> LookupSpellings(const FieldSpec& field, const Value& canonical,
                                   const BindingFormat& format);

// Checks a canonical record against the entity's rules: required (NULL or "" for required
// fields), max_length (UTF-8 code points), min/max (exact decimal comparison for int and
// decimal), enum membership, pattern (RE2, matching anywhere unless anchored; rule "pattern").
// Only fields in `present` are checked (a flow that carries a subset
// of fields must not be rejected for fields it does not carry); key fields are always required.
std::vector<FieldIssue> ValidateRecord(const EntitySpec& entity, const Record& record,
                                       const std::set<std::string>& present);
// Which of an entity's fields ValidateRecord checks for a set of present fields, worked out once
// for a set that many records share (a flow's carried fields) rather than for every record.
// Points into `entity`, which must outlive it.
struct ValidationPlan {
  const EntitySpec* entity = nullptr;
  std::vector<bool> checked;                 // by index in entity->fields: present, or a key
  std::vector<std::string> undeclared_keys;  // key fields the dictionary does not declare
};
ValidationPlan PlanValidation(const EntitySpec& entity, const std::set<std::string>& present);
// ValidateRecord of the plan's entity and fields.
std::vector<FieldIssue> ValidateRecord(const Record& record, const ValidationPlan& plan);

// A value as it may appear in messages: the value itself (quoted, cut at 40 characters; text that
// is not valid UTF-8 as hex), or masked ("138****5678", "z***@example.com", "***") when the field
// is personal.
std::string DisplayValue(const FieldSpec& field, const Value& v);

// Exact comparison of two decimal numbers given as text ("-1.50" vs "2"): -1, 0, 1.
// InvalidArgument when either is not a decimal number.
Result<int> CompareDecimal(const std::string& a, const std::string& b);

}  // namespace concord
