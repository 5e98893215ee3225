// ConfigReferenceMarkdown: docs/configuration.md, rendered from the declared spec.
#include <string>

#include "config/config.h"
#include "config/config_keys.h"
#include "connectors/registry.h"

namespace concord {

std::string_view ExampleConfigYaml() {
  return R"(version: 1
state: sqlite:concord-state.db

systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: "${ERP_DB}"}   # from the environment; never printed

entities:
  customer:
    key: code
    fields:
      code:  {type: string, required: true}
      name:  {type: string, required: true, max_length: 100}
      phone: {type: phone, region: CN, personal: true}   # stored as E.164: +8613812345678
      grade: {type: enum, values: [A, B, C, D]}
      limit: {type: decimal, scale: 2, min: 0, max: 1000000}
      born:  date                                # short form: just the type
  order:
    key: number
    fields:
      number:   {type: string, required: true}
      customer: {type: reference, entity: customer}
      status:   {type: enum, values: [draft, approved, void]}
      amount:   {type: decimal, scale: 2}

bindings:
  crm.customer:
    table: accounts
    key: account_no
    capture: trigger
    fields:
      code: account_no
      name: account_name
      phone: tel
      grade: {column: level, map: {VIP: A, 重要: B, 普通: C}}
  erp.customer:
    table: customers
    key: id                                      # a surrogate key need not be mapped
    timezone: Asia/Shanghai                      # its times carry no offset: Beijing time
    fields:
      code: cust_code
      name: cust_name
      phone: {column: mobile, format: national}  # written as 138 1234 5678
      grade: grade
      limit: credit_limit
  crm.order:
    table: orders
    key: order_no
    fields: {number: order_no, customer: account_no, status: state, amount: total}
  erp.order:
    table: sales_orders
    key: so_number
    capture: none                                # only written to
    fields: {number: so_number, customer: cust_code, status: status, amount: amount}

flows:
  - {entity: customer, from: crm, to: erp, mode: realtime, owns: [name, phone], conflict: newest}
  - {entity: customer, from: erp, to: crm, mode: "every 15m", owns: [grade], conflict: {prefer: erp}}
  - entity: order
    from: crm
    to: erp
    when: "status == 'approved' and amount >= 100"
    mode: "cron 0 8,12,16 * * *"
    conflict: manual
)";
}

namespace {

std::string Cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string Backticks(std::string_view s) { return "`" + std::string(s) + "`"; }

std::string KeyTable(const SectionDef& section) {
  std::string out = "| key | type | required | default | values | description |\n";
  out += "| --- | --- | --- | --- | --- | --- |\n";
  for (const KeyDef& k : section.keys) {
    std::string values;
    if (k.min && k.max) {
      values = *k.min == *k.max ? std::to_string(*k.min)
                                : std::to_string(*k.min) + " to " + std::to_string(*k.max);
    }
    for (size_t i = 0; i < k.allowed.size(); ++i) {
      values += (i ? ", " : "") + Backticks(k.allowed[i]);
    }
    std::string doc(k.doc);
    if (!k.only_for.empty()) {
      std::vector<std::string> types;
      for (FieldType t : k.only_for) types.emplace_back(FieldTypeName(t));
      doc += " Only for " + JoinNames(types, " and ") + ".";
    }
    out += "| " + Backticks(k.name) + " | " + Cell(k.type) + " | " + (k.required ? "yes" : "no") +
           " | " + (k.default_value.empty() ? "" : Backticks(k.default_value)) + " | " +
           Cell(values) + " | " + Cell(doc) + " |\n";
  }
  return out;
}

}  // namespace

std::string ConfigReferenceMarkdown() {
  std::string out;
  out += "# concord.yaml reference\n\n";
  out +=
      "<!-- Generated from src/config/config_keys.cc and the connector registry by\n"
      "     ConfigReferenceMarkdown(); do not edit by hand. After changing the spec, run\n"
      "     CONCORD_UPDATE_DOCS=1 <build>/src/config/config_test --gtest_filter='Docs.*' -->\n\n";
  out +=
      "concord reads one YAML file, `concord.yaml`. It is validated in full before anything "
      "starts, and every\nproblem is reported at once, each with `file:line:col`, the dotted "
      "path of the key, what was\nexpected, what was found, and a hint:\n\n";
  out +=
      "```text\n"
      "concord.yaml:33:7: bindings.crm.customer.fields.nme: unknown field \"nme\" for entity "
      "customer\n"
      "  hint: did you mean \"name\"?\n"
      "```\n\n";
  out +=
      "Unknown keys and names are errors (never ignored), values out of range are errors "
      "(never clamped).\n`concord validate` runs these checks; `concord validate --connect` "
      "also opens every system and\nchecks that each binding's table, key columns and mapped "
      "columns exist.\n\n";
  out += "## Example\n\n```yaml\n" + std::string(ExampleConfigYaml()) + "```\n\n";
  out +=
      "## Names\n\n"
      "System, entity and field names are letters, digits and underscores, starting with a "
      "letter or\nunderscore. A binding is named `<system>.<entity>`; a flow is identified as "
      "`<entity>:<from>-><to>`.\n"
      "Table and column names are written as the system spells them.\n\n";
  out += "## Keys\n\n";
  for (const SectionDef* s : AllSections()) {
    out += "### `" + std::string(s->path) + "`\n\n" + std::string(s->doc) + "\n\n" + KeyTable(*s) +
           "\n";
  }
  out +=
      "## Connectors\n\n"
      "The options a system accepts depend on its connector.\n\n";
  for (const ConnectorDescriptor* d : AllConnectors()) {
    out += "### " + Backticks(d->name) + "\n\n" + std::string(d->description) + "\n\n";
    out += "| option | required | description |\n| --- | --- | --- |\n";
    for (const auto& [name, doc] : d->options) {
      bool required = false;
      for (std::string_view r : d->required) required = required || r == name;
      out +=
          "| " + Backticks(name) + " | " + (required ? "yes" : "no") + " | " + Cell(doc) + " |\n";
    }
    out += "\nCapture modes: ";
    for (size_t i = 0; i < d->capture_modes.size(); ++i) {
      out += (i ? ", " : "") + Backticks(d->capture_modes[i]);
    }
    out += d->capture_modes.empty() ? "`none`" : ", `none`";
    out += ".\n\n";
  }
  out +=
      "## Schedules (`mode`)\n\n"
      "| mode | meaning |\n| --- | --- |\n"
      "| `realtime` | Runs continuously, applying changes as they are captured (the default). "
      "|\n"
      "| `every <n><unit>` | Runs every n seconds (`s`), minutes (`m`), hours (`h`) or days "
      "(`d`): `every 30s`, `every 15m`. |\n"
      "| `cron <min> <hour> <day> <month> <weekday>` | Five-field cron in the machine's local "
      "time: `cron 0 8,12,16 * * *`. |\n\n"
      "Cron fields take `*`, numbers, lists (`1,15`), ranges (`1-5`) and steps (`*/10`, "
      "`0-30/5`);\nmonths and weekdays also take names (`jan`, `mon-fri`); weekday 0 and 7 are "
      "Sunday. When both\nday-of-month and weekday are restricted, a day matching either runs. "
      "A job due in the hour that a\nspring-forward clock change skips runs right after the "
      "change; in the hour repeated in autumn it\nruns once, unless its hour field is `*`. A "
      "schedule that can never run (`cron 0 0 30 2 *`) is an error.\n\n";
  out +=
      "## Filters (`when`)\n\n"
      "A filter is comparisons of the entity's fields with literals, joined by `and`:\n\n"
      "```text\n"
      "status == 'approved' and amount >= 100\n"
      "email != null\n"
      "```\n\n"
      "Operators: `==`, `!=`, `<`, `<=`, `>`, `>=`. Literals: `'text'` or `\"text\"` (a quote "
      "inside is\nwritten twice), integers, decimals (`99.50`), `true`, `false` and `null` "
      "(with `==` and `!=` only).\nInt and decimal fields compare with numbers, bool fields with "
      "`true`/`false`, the other types with\nquoted text; an enum field's literal must be one of "
      "its values.\nEach field must be mapped by the flow's `from` binding.\n\n"
      "Anything this form does not have — `or`, `not`, parentheses, functions, arithmetic — makes "
      "the\nfilter a Lua expression instead (docs/rules.md): `status == 'approved' or amount > "
      "1000`. Lua\nwrites not-equal as `~=` (`!=` is refused with that hint), NULL is `nil` "
      "(`null` works too),\nand its syntax errors and unknown names are refused at load. A Lua "
      "filter that fails on a record\n(e.g. compares a NULL with `<`) sends it to the DLQ "
      "with rule `when`.\n\n"
      "## Rules and computed fields\n\n"
      "An entity's `rules:` and a flow's `computed:` are Lua expressions too, compiled once per "
      "flow and\nrun in a sandbox (no io, os, require or load; instruction and memory limits): "
      "see docs/rules.md.\n\n";
  out +=
      "## Secrets\n\n"
      "Connector options may come from the environment (`password: \"${ERP_PASSWORD}\"`) or "
      "from a file\n(`password: file:/run/secrets/erp`, the contents trimmed). Such options are "
      "secret: concord never\nprints them, and messages from a connector that quote them are "
      "redacted. A missing variable or an\nunreadable file is an error naming the variable or "
      "the file.\n";
  return out;
}

}  // namespace concord
