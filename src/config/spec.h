// The typed form of concord.yaml after it has been parsed and validated in full.
//
// Everything downstream (engine, CLI, connectors) reads these structs, never YAML. Every element
// keeps the Location it came from so later checks (e.g. `concord validate --connect` finding a
// missing column) can still point at file:line:col. Plain data; no behaviour beyond lookups.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/schedule.h"
#include "core/value.h"

namespace concord {

struct Location {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int col = 0;   // 1-based
  std::string ToString() const;  // "concord.yaml:12:5"
};

enum class FieldType {
  kString,
  kText,
  kInt,
  kDecimal,
  kBool,
  kDate,
  kTimestamp,
  kEnum,
  kReference,
  kPhone,
  kEmail,
};
std::string_view FieldTypeName(FieldType t);  // "string", "decimal", ...
const std::vector<FieldType>& AllFieldTypes();  // in declaration order
// The type named `name` ("decimal"); nullopt when no type has that name.
std::optional<FieldType> FieldTypeFromName(std::string_view name);

// How a decimal is rounded to its scale.
enum class Rounding { kHalfEven, kHalfUp, kDown };
std::string_view RoundingName(Rounding r);  // "half_even", "half_up", "down"

enum class LetterCase { kKeep, kUpper, kLower };
enum class ChineseScript { kKeep, kSimplified, kTraditional };

// One field of the data dictionary.
struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = false;
  std::optional<int64_t> max_length;  // characters (UTF-8 code points), string/text
  std::optional<std::string> min;     // decimal text, compared exactly (int, decimal)
  std::optional<std::string> max;
  int scale = 0;                      // decimal: digits after the point
  std::vector<std::string> values;    // enum: allowed canonical values
  std::string entity;                 // reference: the referenced entity
  bool personal = false;              // mask the value in DLQ reasons and logs
  // No two records of one system may hold the same canonical value (NULL and "" are exempt).
  // Checked on every flow against the target (mapping/unique_check.h) and by `concord profile`.
  bool unique = false;
  bool sum = false;                   // int/decimal: an amount `concord check` totals
  int precision_digits = 9;           // timestamp: fraction digits `concord check` compares
  // phone: the region assumed for numbers written without +<country code> ("CN"); "" for none.
  std::string region;
  // decimal: strip one currency symbol or code ("¥", "US$", "RMB", "元"); how to round.
  bool currency = false;
  Rounding rounding = Rounding::kHalfEven;
  // string/text (trim, collapse_spaces, nfkc and case also enum/reference): applied in the order
  // nfkc, trim, collapse_spaces, case, chinese.
  bool trim = false;             // Unicode blanks at both ends (incl. U+3000, NBSP, U+200B)
  bool collapse_spaces = false;  // every run of blanks inside → one ASCII space
  bool nfkc = false;             // NFKC: full-width → half-width, compatibility forms
  LetterCase letter_case = LetterCase::kKeep;
  ChineseScript chinese = ChineseScript::kKeep;  // OpenCC t2s / s2t
  // enum: the canonical value a value outside `values` (or outside a binding's value map)
  // becomes; nullopt: such a value is an issue.
  std::optional<std::string> default_value;
  // string/text/phone/email: an RE2 regular expression the whole canonical value must match
  // ("" none). RE2: linear time whatever the data, UTF-8 like the canonical text.
  std::string pattern;
  Location loc;
};

// An entity-level rule (`rules:` of an entity): a Lua condition every record must meet. Checked
// on a flow only when the flow carries every field it reads (rules/lua_sandbox.h says what the
// expression sees).
struct RuleSpec {
  std::string name;
  std::string check;                // the Lua expression; true passes, false or nil fails
  std::string message;              // for the DLQ reason; may be ""
  std::vector<std::string> fields;  // the entity's fields it reads
  Location loc;                     // of the check expression
};

struct EntitySpec {
  std::string name;
  std::vector<std::string> key;     // canonical key fields, in order
  std::vector<FieldSpec> fields;    // in declaration order
  std::vector<RuleSpec> rules;      // in declaration order
  Location loc;
  const FieldSpec* Field(const std::string& name) const;  // nullptr when absent
};

struct SystemSpec {
  std::string name;
  std::string connector;                       // "sqlite"
  std::map<std::string, std::string> options;  // resolved (secrets substituted)
  std::set<std::string> secret_options;        // options that came from ${ENV} or file:
  Location loc;
};

// `format:` of a field mapping: how a system writes phone numbers, dates and timestamps.
enum class FormatKind {
  kCanonical,       // not given, `e164` or `iso`: written canonically; any unambiguous layout read
  kNational,        // phone: as dialled within the field's region ("138 1234 5678")
  kInternational,   // phone: "+86 138 1234 5678"
  kDigitPattern,    // phone: the national number's digits put into `format_text` ("138-1234-5678")
  kDayMonthYear,    // date/timestamp `dmy`: also reads 31-01-2023; writes DD-MM-YYYY
  kMonthDayYear,    // date/timestamp `mdy`: also reads 01/31/2023; writes MM/DD/YYYY
  kExcel,           // date: Excel serial day numbers (1900 date system)
  kUnixSeconds,     // date/timestamp `unix_s`
  kUnixMillis,      // date/timestamp `unix_ms`
  kDatePattern,     // date/timestamp: `format_text` is a pattern ("YYYYMMDD", "YYYY年M月D日")
};

// `encoding:` of a field mapping: what the system's bytes are. Text that is valid UTF-8 is taken
// as UTF-8 for GBK, GB18030 and Big5 (ASCII is the same in all of them); UTF-16 always decodes.
enum class TextEncoding { kUtf8, kGbk, kGb18030, kBig5, kUtf16Le, kUtf16Be };
std::string_view TextEncodingName(TextEncoding e);  // "utf-8", "gbk", "gb18030", "big5", ...

// How one canonical field maps to one column of a binding.
struct FieldMapping {
  std::string field;   // canonical field
  std::string column;  // column in the system's table
  // Value map, system value → canonical value (`map: {VIP: A}`), in file order. Applied in
  // reverse on write: a canonical value maps back to the first system value that yields it.
  // Values compare as text.
  std::vector<std::pair<std::string, std::string>> value_map;
  FormatKind format = FormatKind::kCanonical;
  std::string format_text;  // as written ("" when not given); the pattern for the pattern kinds
  // date/timestamp: the zone the system's naive times are in — an IANA name ("Asia/Shanghai"),
  // "UTC" or a fixed offset ("+08:00"); "" for none. The binding's `timezone` when the mapping
  // has none (the loader copies it).
  std::string timezone;
  // text-shaped fields: the system's encoding (the binding's `encoding` when the mapping has
  // none).
  TextEncoding encoding = TextEncoding::kUtf8;
  Location loc;
};

// kNone: the system is only written to. kLogical: PostgreSQL logical decoding (a replication slot).
enum class CaptureMode { kTrigger, kPoll, kNone, kLogical };
std::string_view CaptureModeName(CaptureMode m);

// `poll:` of a binding with `capture: poll` (engine/poll_capture.h).
struct PollSpec {
  std::string column;                 // an updated_at timestamp or an increasing number
  int64_t hold_back_s = 10;           // rows seen this recently are read again next pass
  int64_t key_scan_interval_s = 600;  // how often deletes are looked for; 0 = never
  Location loc;
};

struct BindingSpec {
  std::string system;
  std::string entity;
  std::string table;
  std::vector<std::string> key;  // key column(s) of the table
  CaptureMode capture = CaptureMode::kTrigger;
  PollSpec poll;         // capture: poll only
  std::string timezone;  // default for the date/timestamp mappings ("" none)
  TextEncoding encoding = TextEncoding::kUtf8;  // default for the text-shaped mappings
  std::vector<FieldMapping> fields;
  Location loc;        // the "<system>.<entity>" key
  Location table_loc;  // the table name
  Location key_loc;    // the key column(s)
  std::string Name() const { return system + "." + entity; }
  const FieldMapping* ForField(const std::string& field) const;    // nullptr when unmapped
  const FieldMapping* ForColumn(const std::string& column) const;  // nullptr when unmapped
};

enum class ConflictRule { kNewest, kPrefer, kManual };
std::string_view ConflictRuleName(ConflictRule r);

// A `when:` filter: comparisons of canonical fields with literals, joined by `and`.
//   status == 'approved'       amount >= 100 and status != 'void'      email == null
struct WhenComparison {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  std::string field;
  Op op = Op::kEq;
  Value literal;  // Null, Int, Real (numbers compare numerically) or Text
  // A number literal exactly as written ("12345678901234567.01"): comparisons use this text so
  // that no decimal literal is rounded through a double. Empty for other literals.
  std::string number;
};
struct WhenSpec {
  std::string text;  // as written, for messages
  std::vector<WhenComparison> all_of;
  // Not the comparison form above: `text` is a Lua expression (rules/lua_sandbox.h) that reads
  // `lua_fields`; all_of is empty.
  bool lua = false;
  std::vector<std::string> lua_fields;
  Location loc;
};

// A computed field of a flow (`computed: {full_name: "first .. ' ' .. last"}`): a Lua expression
// evaluated on the canonical record read from the source, normalized to the field's type and
// written to the target in place of any value read.
struct ComputedSpec {
  std::string field;
  std::string expression;
  std::vector<std::string> fields;  // the entity's fields it reads
  Location loc;                     // of the expression
};

struct FlowSpec {
  std::string entity;
  std::string from;
  std::string to;
  Schedule schedule;               // realtime by default
  std::vector<std::string> owns;   // empty: every field both bindings map
  std::optional<WhenSpec> when;
  std::vector<ComputedSpec> computed;  // in file order
  ConflictRule conflict = ConflictRule::kNewest;
  std::string prefer;              // system name when conflict == kPrefer
  int64_t max_batch_rows = 2000;
  int64_t snapshot_batch_rows = 5000;  // rows per step of the initial copy
  int64_t max_batch_delay_ms = 200;  // realtime: how long to wait for a batch to fill
  int64_t poll_interval_ms = 200;    // realtime: how often to look for new changes
  int64_t max_parent_wait_s = 3600;  // a child waits this long for its parent, then DLQ
  Location loc;
  // "customer:crm->erp" — stable id used for state, changelog consumer, logs and the CLI.
  std::string Id() const { return entity + ":" + from + "->" + to; }
};

// A scheduled `concord check` (`checks:`): the entity, the two systems, when, and how many
// differences are tolerated before it alerts.
struct CheckSpec {
  std::string entity;
  std::string left, right;  // "" for the entity's first flow's systems
  Schedule schedule;        // every / cron
  std::string where;        // "" for none
  int64_t alert_above = 0;  // alert when more records than this differ
  Location loc;
  // "customer" or "customer:crm<->erp" when the systems are named — the name in history.
  std::string Id() const { return left.empty() ? entity : entity + ":" + left + "<->" + right; }
};

struct ConfigSpec {
  std::string path;      // the file it was read from
  std::string base_dir;  // its directory (relative paths resolve against it)
  int version = 1;
  std::string state;     // "sqlite:path" — resolved to an absolute path in state_path
  std::string state_path;
  std::map<std::string, SystemSpec> systems;
  std::map<std::string, EntitySpec> entities;
  std::map<std::string, BindingSpec> bindings;  // keyed "system.entity"
  std::vector<FlowSpec> flows;                  // in file order
  std::vector<CheckSpec> checks;                // in file order

  const BindingSpec* Binding(const std::string& system, const std::string& entity) const;
};

}  // namespace concord
