#include "config/config_keys.h"

#include <charconv>
#include <cstdlib>

#include "connectors/registry.h"

// The tables below use designated initializers and leave defaulted members out on purpose; GCC 12
// warns about that under -Wextra even though every member has a default.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace concord {

int64_t KeyDef::DefaultInt() const {
  int64_t v = 0;
  std::from_chars(default_value.data(), default_value.data() + default_value.size(), v);
  return v;
}

const KeyDef* SectionDef::Find(std::string_view name) const {
  for (const KeyDef& k : keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const KeyDef& SectionDef::Get(std::string_view name) const {
  const KeyDef* k = Find(name);
  if (k == nullptr) std::abort();  // a typo in config.cc, caught by every test
  return *k;
}

std::vector<std::string> SectionDef::Names() const {
  std::vector<std::string> out;
  for (const KeyDef& k : keys) out.emplace_back(k.name);
  return out;
}

std::string JoinNames(const std::vector<std::string>& names, std::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? std::string(last_sep) : std::string(", ");
    out += names[i];
  }
  return out;
}

namespace {

std::vector<std::string> FieldTypeNames() {
  std::vector<std::string> out;
  for (FieldType t : AllFieldTypes()) out.emplace_back(FieldTypeName(t));
  return out;
}

std::vector<std::string> ConnectorNames() {
  std::vector<std::string> out;
  for (const ConnectorDescriptor* d : AllConnectors()) out.emplace_back(d->name);
  return out;
}

}  // namespace

const SectionDef& TopSection() {
  static const SectionDef kSection{
      .path = "(top level)",
      .doc =
          "The file is one YAML map. Only `version` is required; a file without flows "
          "validates but moves nothing.",
      .keys = {
          {.name = "version",
           .type = "integer",
           .required = true,
           .min = 1,
           .max = 1,
           .doc = "Version of the configuration language. Must be 1."},
          {.name = "state",
           .type = "string",
           .default_value = "sqlite:concord-state.db",
           .doc = "Where concord keeps checkpoints, cross-references, the DLQ and the audit log: "
                  "`sqlite:<path>`, relative to the directory of concord.yaml."},
          {.name = "systems",
           .type = "map",
           .doc = "The business systems concord talks to, by "
                  "name. See `systems.<system>`."},
          {.name = "entities",
           .type = "map",
           .doc = "The data dictionary: canonical entities "
                  "by name. See `entities.<entity>`."},
          {.name = "bindings",
           .type = "map",
           .doc = "How each entity lives in each system, keyed "
                  "`<system>.<entity>`."},
          {.name = "flows",
           .type = "list",
           .doc = "Which entity moves from which system to "
                  "which, when, and who owns which fields."},
          {.name = "checks",
           .type = "list",
           .doc = "Scheduled `concord check` runs: results are kept with their history in the "
                  "state store and shown by `concord status`. See `checks[n]`."},
      }};
  return kSection;
}

const SectionDef& SystemSection() {
  static const SectionDef kSection{
      .path = "systems.<system>",
      .doc =
          "One business system. Every key other than `connector` is an option of that "
          "connector (see Connectors below); unknown options and missing required options "
          "are errors. An option value may be a secret: `${NAME}` is replaced by the "
          "environment variable NAME (unset is an error; `$${` writes a literal `${`), and a "
          "value `file:<path>` is replaced by the trimmed contents of that file (relative to "
          "the directory of concord.yaml). Secret values are never printed.",
      .keys = {
          {.name = "connector",
           .type = "string",
           .required = true,
           .allowed = ConnectorNames(),
           .doc = "The kind of system."},
      }};
  return kSection;
}

const SectionDef& EntitySection() {
  static const SectionDef kSection{
      .path = "entities.<entity>",
      .doc = "A canonical business object of the data dictionary.",
      .keys = {
          {.name = "key",
           .type = "string or list of strings",
           .required = true,
           .doc = "The field(s) that identify a record across systems, in order."},
          {.name = "fields",
           .type = "map",
           .required = true,
           .doc = "The entity's fields by name. A field's value is a map of the keys below, or "
                  "just a type name (`born: date`)."},
          {.name = "rules",
           .type = "list of maps",
           .doc = "Cross-field rules every record must meet, each a Lua condition (see Rules "
                  "below and docs/rules.md). A record that fails one goes to the DLQ with the "
                  "rule's name and message."},
      }};
  return kSection;
}

const SectionDef& RuleSection() {
  static const SectionDef kSection{
      .path = "entities.<entity>.rules[n]",
      .doc = "One cross-field rule. It is checked on a flow that carries every field it reads "
             "(after normalization), and a record for which it is false or nil — or for which "
             "it fails with an error — goes to the DLQ with rule `<name>`.",
      .keys = {
          {.name = "name",
           .type = "string",
           .required = true,
           .doc = "The rule's name (an identifier), shown in DLQ reasons."},
          {.name = "check",
           .type = "expression",
           .required = true,
           .doc = "A Lua expression over the entity's fields that is true for a good record, "
                  "e.g. `credit_limit >= 0 or grade == 'D'`."},
          {.name = "message",
           .type = "string",
           .doc = "What the DLQ reason says when the rule fails."},
      }};
  return kSection;
}

const SectionDef& FieldSection() {
  using T = FieldType;
  static const SectionDef kSection{
      .path = "entities.<entity>.fields.<field>",
      .doc = "One canonical field. Keys that apply only to some types are errors on others.",
      .keys = {
          {.name = "type",
           .type = "string",
           .required = true,
           .allowed = FieldTypeNames(),
           .doc = "The canonical type; values are normalised to it."},
          {.name = "required",
           .type = "boolean",
           .default_value = "false",
           .doc = "A record without a value goes to the DLQ."},
          {.name = "max_length",
           .type = "integer",
           .min = 1,
           .max = 1000000000,
           .only_for = {T::kString, T::kText, T::kPhone, T::kEmail},
           .doc = "Longest value, in characters."},
          {.name = "min",
           .type = "number",
           .only_for = {T::kInt, T::kDecimal},
           .doc = "Smallest value, compared exactly as a decimal."},
          {.name = "max",
           .type = "number",
           .only_for = {T::kInt, T::kDecimal},
           .doc = "Largest value, compared exactly as a decimal."},
          {.name = "scale",
           .type = "integer",
           .default_value = "2",
           .min = 0,
           .max = 18,
           .only_for = {T::kDecimal},
           .doc = "Digits after the decimal point."},
          {.name = "values",
           .type = "list of strings",
           .only_for = {T::kEnum},
           .doc = "The allowed canonical values; required for enum."},
          {.name = "entity",
           .type = "string",
           .only_for = {T::kReference},
           .doc = "The referenced entity (its key is the value); required for reference."},
          {.name = "personal",
           .type = "boolean",
           .default_value = "false",
           .doc = "Personal data: the value is masked in DLQ reasons and logs."},
          {.name = "unique",
           .type = "boolean",
           .default_value = "false",
           .only_for = {T::kString, T::kText, T::kInt, T::kDecimal, T::kDate, T::kTimestamp,
                        T::kPhone, T::kEmail, T::kReference},
           .doc = "No two records of one system may hold the same value, compared in canonical "
                  "form (`+86 138-1234-5678` and `13812345678` are one phone number). On a flow, "
                  "a record whose value already belongs to another record of the target — in its "
                  "table, or earlier in the same batch — goes to the DLQ with rule `unique`, "
                  "naming the other record; `concord profile` counts such duplicates. NULL and "
                  "empty values are exempt. Not for key fields (the key is unique already)."},
          {.name = "pattern",
           .type = "string",
           .only_for = {T::kString, T::kText, T::kPhone, T::kEmail},
           .doc = "A regular expression (RE2 syntax, e.g. `^[A-Z]{2}[0-9]{4}$`) the canonical "
                  "value must match; it may match anywhere unless anchored with `^` and `$`. "
                  "RE2 runs in time linear in the value whatever the pattern."},
          {.name = "sum",
           .type = "boolean",
           .default_value = "false",
           .only_for = {T::kInt, T::kDecimal},
           .doc = "An amount: `concord check` compares its exact total per system (and per "
                  "group with `--by`), besides comparing it record by record."},
          {.name = "precision",
           .type = "string",
           .default_value = "ns",
           .allowed = {"s", "ms", "us", "ns"},
           .only_for = {T::kTimestamp},
           .doc = "The precision at which `concord check` compares the field: with `s`, "
                  "`08:00:00.123Z` and `08:00:00Z` agree (a system that keeps whole seconds is "
                  "not reported as different from one that keeps milliseconds)."},
          {.name = "default",
           .type = "string",
           .only_for = {T::kEnum},
           .doc = "The value that a value outside `values` (or outside a binding's value map) "
                  "becomes. Without it such a value goes to the DLQ. Must be one of `values`."},
          {.name = "region",
           .type = "string",
           .only_for = {T::kPhone},
           .doc = "The region (ISO 3166 code, e.g. `CN`) of numbers written without "
                  "`+<country code>`: with `CN`, `13812345678` and `(0755) 8888 1234` are "
                  "Chinese numbers. Without it such numbers go to the DLQ. Numbers are stored as "
                  "E.164 (`+8613812345678`)."},
          {.name = "currency",
           .type = "boolean",
           .default_value = "false",
           .only_for = {T::kDecimal},
           .doc = "Accept and strip one currency symbol or code before or after the number "
                  "(`¥1,234.50`, `1234.50元`, `RMB 12`, `US$5`), and accounting negatives "
                  "(`(12.00)`)."},
          {.name = "rounding",
           .type = "string",
           .default_value = "half_even",
           .allowed = {"half_even", "half_up", "down"},
           .only_for = {T::kDecimal},
           .doc = "How values with more digits than `scale` are rounded: to the even neighbour "
                  "on a tie, away from zero on a tie, or toward zero."},
          {.name = "trim",
           .type = "boolean",
           .default_value = "false",
           .only_for = {T::kString, T::kText, T::kEnum, T::kReference},
           .doc = "Remove blanks at both ends, Unicode ones included (ideographic space U+3000, "
                  "no-break space, zero-width space)."},
          {.name = "collapse_spaces",
           .type = "boolean",
           .default_value = "false",
           .only_for = {T::kString, T::kText, T::kEnum, T::kReference},
           .doc = "Replace every run of blanks inside the value with one space."},
          {.name = "nfkc",
           .type = "boolean",
           .default_value = "false",
           .only_for = {T::kString, T::kText, T::kEnum, T::kReference},
           .doc = "Unicode NFKC: full-width letters, digits and punctuation become half-width "
                  "(`ＡＢＣ１２３` → `ABC123`), compatibility forms their plain equivalents. "
                  "Phone, int, decimal, date, timestamp, bool and email values always get "
                  "this."},
          {.name = "case",
           .type = "string",
           .allowed = {"upper", "lower"},
           .only_for = {T::kString, T::kText, T::kEnum, T::kReference},
           .doc = "Convert letters to upper or lower case (Unicode rules)."},
          {.name = "chinese",
           .type = "string",
           .allowed = {"simplified", "traditional"},
           .only_for = {T::kString, T::kText},
           .doc = "Convert Chinese text to simplified (`數據` → `数据`) or traditional "
                  "characters with OpenCC, phrase by phrase."},
      }};
  return kSection;
}

const SectionDef& BindingSection() {
  static const SectionDef kSection{
      .path = "bindings.<system>.<entity>",
      .doc = "How one entity lives in one system. The system and the entity must be declared.",
      .keys = {
          {.name = "table",
           .type = "string",
           .required = true,
           .doc = "The table that holds the entity."},
          {.name = "key",
           .type = "string or list of strings",
           .required = true,
           .doc = "The table's key column(s). They need not be mapped (surrogate keys)."},
          {.name = "capture",
           .type = "string",
           .default_value = "trigger",
           .allowed = {"trigger", "poll", "logical", "none"},
           .doc = "How changes are captured: `trigger` (concord installs capture triggers), "
                  "`poll` (reads rows by a change column; needs only SELECT, see `poll`), "
                  "`logical` (PostgreSQL only: logical decoding on a replication slot concord "
                  "creates; no triggers, needs `wal_level = logical` and the REPLICATION "
                  "attribute), or `none` for a system that is only written to."},
          {.name = "poll",
           .type = "map",
           .doc = "With `capture: poll`: the change column and how often deletes are looked "
                  "for (the keys below)."},
          {.name = "timezone",
           .type = "string",
           .doc = "The time zone of this system's date and timestamp values that carry no "
                  "offset: an IANA name (`Asia/Shanghai`), `UTC` or a fixed offset (`+08:00`). "
                  "For every date and timestamp field without its own `timezone`."},
          {.name = "encoding",
           .type = "string",
           .default_value = "utf-8",
           .allowed = {"utf-8", "gbk", "gb18030", "big5", "utf-16le", "utf-16be"},
           .doc = "The character encoding of this system's text, for every string, text, enum, "
                  "reference, phone and email field without its own `encoding`."},
          {.name = "fields",
           .type = "map",
           .required = true,
           .doc = "Canonical field → column name, or → `{column, map}`. Every field must be a "
                  "field of the entity; a column may be mapped once."},
      }};
  return kSection;
}

const SectionDef& MappingSection() {
  static const SectionDef kSection{
      .path = "bindings.<system>.<entity>.fields.<field>",
      .doc =
          "The long form of a field mapping, for value maps and for how the system writes "
          "the value. Read from the system, any layout that means one thing is accepted "
          "whatever `format` says; written to it, the value takes the `format`, `timezone` "
          "and `encoding` given here.",
      .keys = {
          {.name = "column", .type = "string", .required = true, .doc = "The column."},
          {.name = "format",
           .type = "string",
           .doc = "Phone fields: `e164` (the default), `national` (as dialled within the "
                  "field's `region`; other numbers international), `international`, or a digit "
                  "pattern such as "
                  "`138-1234-5678` whose digits are replaced by the national number's. "
                  "Date and timestamp fields: `iso` (the default), `dmy` or `mdy` (the only way "
                  "`31-01-2023` and `01/31/2023` are accepted; written `DD-MM-YYYY` and "
                  "`MM/DD/YYYY`), `unix_s`, `unix_ms`, `excel` (dates: Excel serial day "
                  "numbers), or a pattern of `YYYY`, `MM`, `M`, `DD`, `D`, `HH`, `H`, `mm`, `ss`, "
                  "`SSS`, `XXX` (offset) and literal text, e.g. `YYYYMMDD` or `YYYY年M月D日`."},
          {.name = "timezone",
           .type = "string",
           .doc = "Date and timestamp fields: the zone of the system's values that carry no "
                  "offset, as for the binding's `timezone` (which it overrides). Naive times "
                  "read are placed in this zone; times written are converted to it."},
          {.name = "encoding",
           .type = "string",
           .allowed = {"utf-8", "gbk", "gb18030", "big5", "utf-16le", "utf-16be"},
           .doc = "Text-shaped fields: the column's encoding, overriding the binding's. Bytes "
                  "(and text that is not valid UTF-8) are decoded to UTF-8; a sequence that is "
                  "not valid in the encoding goes to the DLQ. Values are written back encoded, "
                  "as bytes."},
          {.name = "map",
           .type = "map",
           .doc = "System value → canonical value (`{VIP: A}`), compared as text. Written back "
                  "in reverse: a canonical value becomes the first system value that maps to it. "
                  "For enum fields the canonical values must be among the field's values."},
      }};
  return kSection;
}

const SectionDef& FlowSection() {
  static const SectionDef kSection{
      .path = "flows[n]",
      .doc =
          "Entity `entity` moves from system `from` to system `to`. Both bindings must "
          "exist, the `from` binding must capture changes, and it must map the entity's key "
          "fields. One flow per entity, from and to.",
      .keys = {
          {.name = "entity", .type = "string", .required = true, .doc = "The entity."},
          {.name = "from", .type = "string", .required = true, .doc = "The source system."},
          {.name = "to",
           .type = "string",
           .required = true,
           .doc = "The target system; not the source."},
          {.name = "mode",
           .type = "schedule",
           .default_value = "realtime",
           .doc = "When the flow runs: `realtime`, `every <n><s|m|h|d>` or `cron <5 fields>` "
                  "(see Schedules)."},
          {.name = "owns",
           .type = "list of strings",
           .doc = "The fields this flow writes; each must be mapped by both bindings. Empty or "
                  "absent: every field both bindings map."},
          {.name = "when",
           .type = "expression",
           .doc = "Only records matching this filter move: comparisons joined by `and`, or a Lua "
                  "expression (see Filters)."},
          {.name = "computed",
           .type = "map",
           .doc = "Field → Lua expression over the record read from `from`: the field's value "
                  "written to `to` (normalized to its type, then validated), in place of any "
                  "value read (see docs/rules.md)."},
          {.name = "conflict",
           .type = "string or map",
           .default_value = "newest",
           .allowed = {"newest", "manual", "{prefer: <system>}"},
           .doc = "When both sides changed a field: the newer change wins, a person decides "
                  "(conflict queue), or one of the flow's two systems wins."},
          {.name = "max_batch_rows",
           .type = "integer",
           .default_value = "2000",
           .min = 1,
           .max = 100000,
           .doc = "Most changes applied in one target transaction. Only a backlog fills a batch "
                  "(at a steady trickle each batch holds what arrived since the last), so this "
                  "sets how fast a backlog drains and the memory it takes, not the latency "
                  "(bench/RESULTS.md: a 200,000-change backlog between MariaDB and PostgreSQL "
                  "drains 1.6-1.8× faster at 2,000 than at 500)."},
          {.name = "snapshot_batch_rows",
           .type = "integer",
           .default_value = "5000",
           .min = 1,
           .max = 100000,
           .doc = "Initial copy: rows read and written (in one target transaction) per step. "
                  "Larger than max_batch_rows because each step has a fixed cost — a read, a "
                  "look at the target's rows, a write, a state commit (bench/RESULTS.md: 1M rows "
                  "MariaDB→PostgreSQL 3.1× faster at 5,000 than at 500)."},
          {.name = "max_batch_delay_ms",
           .type = "integer",
           .default_value = "200",
           .min = 0,
           .max = 60000,
           .doc = "Realtime: how long to wait for a batch to fill."},
          {.name = "poll_interval_ms",
           .type = "integer",
           .default_value = "200",
           .min = 10,
           .max = 3600000,
           .doc = "Realtime: how often to look for new changes."},
          {.name = "max_parent_wait_s",
           .type = "integer",
           .default_value = "3600",
           .min = 0,
           .max = 2592000,
           .doc = "How long a child record waits for its parent before it goes to the DLQ."},
      }};
  return kSection;
}

const SectionDef& CheckSection() {
  static const SectionDef kSection{
      .path = "checks[n]",
      .doc = "A check that `concord run` performs on a schedule, as `concord check` would (see "
             "docs/check.md). Each result is kept in the state store; when more records differ "
             "than `alert_above`, concord logs an error naming the check and the counts.",
      .keys = {
          {.name = "entity",
           .type = "string",
           .required = true,
           .doc = "The entity to compare."},
          {.name = "between",
           .type = "list of strings",
           .doc = "The two systems, e.g. `[crm, erp]`. Default: the systems of the entity's first "
                  "flow."},
          {.name = "schedule",
           .type = "string",
           .required = true,
           .doc = "`every <n>s|m|h|d` or `cron <min> <hour> <day> <month> <weekday>` (local "
                  "time)."},
          {.name = "where",
           .type = "string",
           .doc = "Only records matching this filter (the comparison form of `when:`)."},
          {.name = "alert_above",
           .type = "integer",
           .default_value = "0",
           .min = 0,
           .doc = "How many differing records are tolerated before the check alerts."},
      }};
  return kSection;
}

const SectionDef& ConflictSection() {
  static const SectionDef kSection{
      .path = "flows[n].conflict",
      .doc = "The map form of `conflict`.",
      .keys = {
          {.name = "prefer",
           .type = "string",
           .required = true,
           .doc = "The system whose change wins: the flow's `from` or `to`."},
      }};
  return kSection;
}

const SectionDef& PollSection() {
  static const SectionDef kSection{
      .path = "bindings.<system>.<entity>.poll",
      .doc = "Poll capture reads the rows whose change column moved past a watermark kept in "
             "concord's state, ordered by (column, key), so it needs no trigger and no write "
             "access to the source. Rows a transaction commits late (with an older change "
             "value) are caught by the hold-back window: the watermark never passes a row "
             "concord first saw less than `hold_back_s` ago, so such rows are read again. "
             "Deletes leave no row to poll: every `key_scan_interval_s` concord compares the "
             "source's keys with the records it has seen there and deletes the missing ones "
             "in the target. Index (column, key) in the source.",
      .keys = {
          {.name = "column",
           .type = "string",
           .required = true,
           .doc = "The change column: an updated_at timestamp every write sets, or an "
                  "increasing number (a version or an ever-growing key). Should be NOT NULL: "
                  "rows where it is NULL are not polled."},
          {.name = "hold_back_s",
           .type = "integer",
           .default_value = "10",
           .min = 0,
           .max = 86400,
           .doc = "How long a transaction may take to commit after a later one became visible "
                  "and still not be missed."},
          {.name = "key_scan_interval_s",
           .type = "integer",
           .default_value = "600",
           .min = 0,
           .max = 604800,
           .doc = "How often the source's keys are compared with concord's to see deletes; 0 "
                  "never (deletes are then not carried)."},
      }};
  return kSection;
}

const std::vector<const SectionDef*>& AllSections() {
  static const std::vector<const SectionDef*> kAll = {
      &TopSection(),     &SystemSection(),  &EntitySection(), &FieldSection(),
      &RuleSection(),
      &BindingSection(), &PollSection(),    &MappingSection(), &FlowSection(),
      &ConflictSection(), &CheckSection(),
  };
  return kAll;
}

}  // namespace concord
