#include "config/config.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config_keys.h"
#include "config/value_format.h"

namespace concord {
namespace {

namespace fs = std::filesystem;

// A valid configuration; error cases change one line of it (keeping line numbers) or append.
constexpr const char* kPrelude = R"(version: 1
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true}
      name: {type: string, max_length: 100}
      grade: {type: enum, values: [A, B, C]}
      limit: {type: decimal, min: 0}
      active: bool
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, grade: level, active: is_active}
  erp.customer:
    table: customers
    key: id
    fields: {code: cust_code, name: cust_name, limit: credit_limit}
)";

std::string Prelude(const std::string& from = "", const std::string& to = "") {
  std::string s = kPrelude;
  if (!from.empty()) {
    size_t p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    if (p != std::string::npos) s.replace(p, from.size(), to);
  }
  return s;
}

// The prelude with crm's field "active" declared as `field` and mapped as `mapping`.
std::string WithActive(const std::string& field, const std::string& mapping) {
  std::string s = Prelude("active: bool", "active: " + field);
  s.replace(s.find("active: is_active"), 17, "active: " + mapping);
  return s;
}

std::string AllErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) out += e.ToString() + "\n";
  return out;
}

std::vector<ConfigError> Load(const std::string& yaml, ConfigSpec* spec = nullptr) {
  std::vector<ConfigError> errors;
  Result<ConfigSpec> r = LoadConfigString(yaml, "t.yaml", "/srv/concord", &errors);
  EXPECT_EQ(r.ok(), errors.empty());
  if (r.ok() && spec != nullptr) *spec = *r;
  return errors;
}

TEST(ConfigTest, ValidPreludeLoads) {
  ConfigSpec spec;
  std::vector<ConfigError> errors = Load(Prelude() + R"(flows:
  - {entity: customer, from: erp, to: crm, when: "limit >= 100.5"}
  - entity: customer
    from: crm
    to: erp
    mode: every 15m
    owns: [name]
    when: "code < 'C9' and name != null and active == true and grade == 'A'"
    conflict: {prefer: erp}
    max_batch_rows: 100
)",
                                         &spec);
  ASSERT_TRUE(errors.empty()) << AllErrors(errors);
  EXPECT_EQ(spec.path, "t.yaml");
  EXPECT_EQ(spec.base_dir, "/srv/concord");
  EXPECT_EQ(spec.state, "sqlite:concord-state.db");
  EXPECT_EQ(spec.state_path, "/srv/concord/concord-state.db");
  ASSERT_EQ(spec.systems.size(), 2u);
  EXPECT_EQ(spec.systems.at("crm").connector, "sqlite");
  EXPECT_EQ(spec.systems.at("crm").options.at("path"), "crm.db");
  EXPECT_TRUE(spec.systems.at("crm").secret_options.empty());
  EXPECT_EQ(spec.systems.at("crm").loc.ToString(), "t.yaml:3:3");

  const EntitySpec& c = spec.entities.at("customer");
  EXPECT_EQ(c.key, std::vector<std::string>{"code"});
  ASSERT_EQ(c.fields.size(), 5u);
  EXPECT_EQ(c.fields[0].name, "code");
  EXPECT_TRUE(c.fields[0].required);
  EXPECT_EQ(c.Field("name")->max_length, 100);
  EXPECT_EQ(c.Field("grade")->values, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(c.Field("limit")->type, FieldType::kDecimal);
  EXPECT_EQ(c.Field("limit")->scale, 2);  // the declared default
  EXPECT_EQ(c.Field("limit")->min, "0");
  EXPECT_FALSE(c.Field("limit")->max.has_value());
  EXPECT_EQ(c.Field("active")->type, FieldType::kBool);  // short form
  EXPECT_EQ(c.Field("nope"), nullptr);

  const BindingSpec* b = spec.Binding("crm", "customer");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->Name(), "crm.customer");
  EXPECT_EQ(b->table, "accounts");
  EXPECT_EQ(b->key, std::vector<std::string>{"account_no"});
  EXPECT_EQ(b->capture, CaptureMode::kTrigger);
  EXPECT_EQ(b->ForField("name")->column, "account_name");
  EXPECT_EQ(b->ForColumn("level")->field, "grade");
  EXPECT_EQ(b->ForColumn("nope"), nullptr);
  EXPECT_EQ(spec.Binding("crm", "order"), nullptr);

  ASSERT_EQ(spec.flows.size(), 2u);
  const FlowSpec& f0 = spec.flows[0];
  EXPECT_EQ(f0.Id(), "customer:erp->crm");
  EXPECT_EQ(f0.schedule.kind, Schedule::Kind::kRealtime);
  EXPECT_EQ(f0.conflict, ConflictRule::kNewest);
  EXPECT_TRUE(f0.owns.empty());
  ASSERT_TRUE(f0.when.has_value());
  EXPECT_EQ(f0.when->text, "limit >= 100.5");
  ASSERT_EQ(f0.when->all_of.size(), 1u);
  EXPECT_EQ(f0.when->all_of[0].field, "limit");
  EXPECT_EQ(f0.when->all_of[0].op, WhenComparison::Op::kGe);
  EXPECT_EQ(f0.when->all_of[0].literal, Value::Real(100.5));
  EXPECT_EQ(f0.max_batch_rows, 2000);
  EXPECT_EQ(f0.loc.ToString(), "t.yaml:24:5");
  const FlowSpec& f1 = spec.flows[1];
  EXPECT_EQ(f1.schedule.kind, Schedule::Kind::kEvery);
  EXPECT_EQ(f1.schedule.every_ms, 15 * 60 * 1000);
  EXPECT_EQ(f1.owns, std::vector<std::string>{"name"});
  EXPECT_EQ(f1.conflict, ConflictRule::kPrefer);
  EXPECT_EQ(f1.prefer, "erp");
  EXPECT_EQ(f1.max_batch_rows, 100);
  ASSERT_TRUE(f1.when.has_value());
  ASSERT_EQ(f1.when->all_of.size(), 4u);
  EXPECT_EQ(f1.when->all_of[0].field, "code");
  EXPECT_EQ(f1.when->all_of[0].op, WhenComparison::Op::kLt);
  EXPECT_EQ(f1.when->all_of[0].literal, Value::Text("C9"));
  EXPECT_EQ(f1.when->all_of[1].op, WhenComparison::Op::kNe);
  EXPECT_TRUE(f1.when->all_of[1].literal.is_null());
  EXPECT_EQ(f1.when->all_of[2].literal, Value::Int(1));
  EXPECT_EQ(f1.when->all_of[3].literal, Value::Text("A"));
}

TEST(ConfigTest, LongFormsAndValueMaps) {
  ConfigSpec spec;
  std::vector<ConfigError> errors =
      Load(Prelude("grade: level,", "grade: {column: level, map: {VIP: A, 重要: B, \"1\": A}},") +
               R"(flows:
  - {entity: customer, from: crm, to: erp, owns: [name], conflict: manual, mode: "cron 0 8,12,16 * * *"}
)",
           &spec);
  ASSERT_TRUE(errors.empty()) << AllErrors(errors);
  const FieldMapping* m = spec.Binding("crm", "customer")->ForField("grade");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->column, "level");
  std::vector<std::pair<std::string, std::string>> want = {{"VIP", "A"}, {"重要", "B"}, {"1", "A"}};
  EXPECT_EQ(m->value_map, want);
  EXPECT_EQ(spec.flows[0].conflict, ConflictRule::kManual);
  EXPECT_EQ(spec.flows[0].schedule.kind, Schedule::Kind::kCron);
  EXPECT_TRUE(spec.flows[0].schedule.hours[12]);
}

TEST(ConfigTest, CompositeKeysAndState) {
  ConfigSpec spec;
  std::string yaml = Prelude("key: code", "key: [code, name]");
  yaml = "state: sqlite:../var/state.db\n" + yaml;
  std::vector<ConfigError> errors = Load(yaml, &spec);
  ASSERT_TRUE(errors.empty()) << AllErrors(errors);
  EXPECT_EQ(spec.entities.at("customer").key, (std::vector<std::string>{"code", "name"}));
  EXPECT_EQ(spec.state, "sqlite:../var/state.db");
  EXPECT_EQ(spec.state_path, "/srv/var/state.db");
}

TEST(ConfigTest, LuaRulesFiltersComputedFieldsAndPatterns) {
  ConfigSpec spec;
  std::string yaml =
      Prelude("      active: bool\n",
              "      active: bool\n"
              "    rules:\n"
              "      - {name: limit_ok, check: \"limit >= 0 or grade == 'C'\", message: too low}\n"
              "      - name: named\n"
              "        check: \"name ~= nil and #name > 1\"\n") +
      "flows:\n"
      "  - {entity: customer, from: crm, to: erp, when: \"name == 'a' or not active\",\n"
      "     computed: {name: \"string.upper(name) .. ' ' .. grade\"}}\n"
      "  - {entity: customer, from: erp, to: crm, when: \"limit >= 100.5\"}\n";
  size_t p = yaml.find("max_length: 100");
  yaml.replace(p, 15, "max_length: 100, pattern: '^[A-Z]'");
  std::vector<ConfigError> errors = Load(yaml, &spec);
  ASSERT_TRUE(errors.empty()) << AllErrors(errors);
  const EntitySpec& c = spec.entities.at("customer");
  EXPECT_EQ(c.Field("name")->pattern, "^[A-Z]");
  ASSERT_EQ(c.rules.size(), 2u);
  EXPECT_EQ(c.rules[0].name, "limit_ok");
  EXPECT_EQ(c.rules[0].check, "limit >= 0 or grade == 'C'");
  EXPECT_EQ(c.rules[0].message, "too low");
  EXPECT_EQ(c.rules[0].fields, (std::vector<std::string>{"limit", "grade"}));
  EXPECT_EQ(c.rules[0].loc.ToString(), "t.yaml:15:33");
  EXPECT_EQ(c.rules[1].fields, (std::vector<std::string>{"name"}));
  const FlowSpec& f0 = spec.flows[0];
  ASSERT_TRUE(f0.when.has_value());
  EXPECT_TRUE(f0.when->lua);
  EXPECT_TRUE(f0.when->all_of.empty());
  EXPECT_EQ(f0.when->lua_fields, (std::vector<std::string>{"name", "active"}));
  ASSERT_EQ(f0.computed.size(), 1u);
  EXPECT_EQ(f0.computed[0].field, "name");
  EXPECT_EQ(f0.computed[0].fields, (std::vector<std::string>{"name", "grade"}));
  // The comparison form stays the comparison form.
  ASSERT_TRUE(spec.flows[1].when.has_value());
  EXPECT_FALSE(spec.flows[1].when->lua);
  EXPECT_EQ(spec.flows[1].when->all_of.size(), 1u);
}

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string want;  // a substring of the joined ToString() of all errors
};

std::string Flow(const std::string& inner) { return Prelude() + "flows:\n  - {" + inner + "}\n"; }

const char* const kFlowLine = "t.yaml:24:";  // where Flow() puts the flow

std::vector<ErrorCase> ErrorCases() {
  return {
      // The example from the style guide, pinned exactly.
      {"UnknownBindingField", Prelude("name: account_name", "nme: account_name"),
       "t.yaml:18:32: bindings.crm.customer.fields.nme: unknown field \"nme\" for entity customer\n"
       "  hint: did you mean \"name\"?\n"},
      {"UnknownBindingFieldNoMatch", Prelude("name: account_name", "zzzzzz: account_name"),
       "unknown field \"zzzzzz\" for entity customer\n"
       "  hint: entity customer has fields: code, name, grade, limit, active\n"},
      // Top level.
      {"MissingVersion", Prelude("version: 1\n", "\n"),
       "t.yaml:1:1: missing required key \"version\"\n  hint: add version: <integer>"},
      {"WrongVersion", Prelude("version: 1", "version: 2"),
       "t.yaml:1:10: version: must be 1, found 2"},
      {"VersionNotInt", Prelude("version: 1", "version: one"),
       "t.yaml:1:10: version: expected an integer, found a string \"one\""},
      {"UnknownTopKey", Prelude() + "flow: []\n",
       "t.yaml:23:1: flow: unknown key \"flow\"\n  hint: did you mean \"flows\"? (allowed keys: "
       "version, state, systems, entities, bindings, flows, checks)"},
      {"DuplicateKey", Prelude("  erp: {", "  crm: {"),
       "t.yaml:4:3: systems.crm: duplicate key \"crm\" (first at t.yaml:3:3)"},
      {"StateNotSqlite", "state: postgresql://concord:hunter2@db/erp\n" + Prelude(),
       "t.yaml:1:8: state: expected \"sqlite:<path>\", found a \"postgresql\" URL"},
      {"TopNotMap", "- 1\n- 2\n", "t.yaml:1:1: expected a map at the top level, found a list"},
      {"EmptyFile", "", "t.yaml: the file is empty"},
      {"SyntaxError", "version: 1\nsystems: {crm: [1, 2}\n", "t.yaml:2:"},
      // Systems.
      {"UnknownConnector", Prelude("connector: sqlite, path: crm.db", "connector: sqllite"),
       "t.yaml:3:20: systems.crm.connector: unknown connector \"sqllite\"\n"
       "  hint: did you mean \"sqlite\"? (available connectors: sqlite"},
      {"UnknownOption", Prelude("path: crm.db", "path: crm.db, paht: x"),
       "t.yaml:3:42: systems.crm.paht: unknown option \"paht\" for connector sqlite\n"
       "  hint: did you mean \"path\"? (connector sqlite accepts: path"},
      {"MissingRequiredOption", Prelude("connector: sqlite, path: crm.db", "connector: sqlite"),
       "t.yaml:3:3: systems.crm: missing required option \"path\" for connector sqlite"},
      {"MissingConnector", Prelude("connector: sqlite, path: crm.db", "path: crm.db"),
       "t.yaml:3:3: systems.crm: missing required key \"connector\""},
      {"BadSystemName", Prelude("  erp: {", "  my-erp: {"),
       "t.yaml:4:3: systems.my-erp: system name \"my-erp\" must be letters, digits and "
       "underscores"},
      {"OptionNotScalar", Prelude("path: erp.db", "path: [a, b]"),
       "systems.erp.path: expected a string, found a list"},
      // Entities and fields.
      {"UnknownType", Prelude("active: bool", "active: boool"),
       "t.yaml:13:15: entities.customer.fields.active: unknown type \"boool\"\n"
       "  hint: did you mean \"bool\"? (types: string, text, int, decimal, bool"},
      {"UnknownFieldKey", Prelude("max_length: 100", "max_lenght: 100"),
       "t.yaml:10:28: entities.customer.fields.name.max_lenght: unknown key \"max_lenght\"\n"
       "  hint: did you mean \"max_length\"? (allowed keys: type, required, max_length"},
      {"KeyNotForType", Prelude("{type: decimal, min: 0}", "{type: decimal, max_length: 5}"),
       "t.yaml:12:30: entities.customer.fields.limit.max_length: max_length applies to string, "
       "text, phone and email fields, not decimal"},
      {"MaxLengthZero", Prelude("max_length: 100", "max_length: 0"),
       "t.yaml:10:40: entities.customer.fields.name.max_length: must be between 1 and 1000000000, "
       "found 0"},
      {"ScaleTooLarge", Prelude("min: 0}", "scale: 19}"),
       "entities.customer.fields.limit.scale: must be between 0 and 18, found 19"},
      {"MinNotNumber", Prelude("min: 0}", "min: lots}"),
       "t.yaml:12:35: entities.customer.fields.limit.min: expected a number like 0, -5 or 99.50, "
       "found a string \"lots\""},
      {"MinAboveMax", Prelude("min: 0}", "min: 10.5, max: 9.99}"),
       "t.yaml:12:7: entities.customer.fields.limit: min 10.5 is greater than max 9.99"},
      {"RequiredNotBool", Prelude("required: true", "required: yes"),
       "t.yaml:9:38: entities.customer.fields.code.required: expected true or false, found a "
       "string \"yes\""},
      {"EnumWithoutValues", Prelude("{type: enum, values: [A, B, C]}", "{type: enum}"),
       "t.yaml:11:7: entities.customer.fields.grade: an enum field needs values"},
      {"EnumEmptyValues", Prelude("values: [A, B, C]", "values: []"),
       "entities.customer.fields.grade.values: expected at least one name, found an empty list"},
      {"ReferenceToUnknownEntity",
       Prelude("active: bool", "active: {type: reference, entity: custmer}"),
       "t.yaml:13:41: entities.customer.fields.active.entity: unknown entity \"custmer\"\n"
       "  hint: did you mean \"customer\"?"},
      {"ReferenceShortForm", Prelude("active: bool", "active: reference"),
       "a reference field needs entity, so it cannot be written in the short form"},
      {"EntityKeyNotField", Prelude("key: code", "key: cod"),
       "t.yaml:7:10: entities.customer.key: key field \"cod\" is not a field of entity customer\n"
       "  hint: did you mean \"code\"?"},
      {"FieldsNotMap", "version: 1\nentities:\n  customer:\n    key: code\n    fields: [code]\n",
       "t.yaml:5:13: entities.customer.fields: expected a map, found a list"},
      // Bindings.
      {"BindingName", Prelude("crm.customer:", "crm_customer:"),
       "t.yaml:15:3: bindings.crm_customer: expected a key \"<system>.<entity>\", found "
       "\"crm_customer\""},
      {"BindingUnknownSystem", Prelude("crm.customer:", "crn.customer:"),
       "t.yaml:15:3: bindings.crn.customer: unknown system \"crn\"\n  hint: did you mean \"crm\"?"},
      {"BindingUnknownEntity", Prelude("crm.customer:", "crm.customers:"),
       "t.yaml:15:3: bindings.crm.customers: unknown entity \"customers\"\n"
       "  hint: did you mean \"customer\"?"},
      {"BindingMissingTable", Prelude("    table: accounts\n", "\n"),
       "t.yaml:15:3: bindings.crm.customer: missing required key \"table\""},
      {"BindingUnknownCapture", Prelude("    table: accounts", "    capture: triger"),
       "t.yaml:16:14: bindings.crm.customer.capture: unknown capture mode \"triger\"\n"
       "  hint: did you mean \"trigger\"?"},
      {"BindingLogicalNotPostgres",
       Prelude("    table: accounts", "    table: accounts\n    capture: logical"),
       "t.yaml:17:14: bindings.crm.customer.capture: connector sqlite does not support capture "
       "\"logical\"\n  hint: logical capture reads PostgreSQL's write-ahead log (connector "
       "postgres); use \"trigger\", \"poll\" or \"none\""},
      {"ColumnMappedTwice", Prelude("grade: level,", "grade: account_name,"),
       "t.yaml:18:52: bindings.crm.customer.fields.grade: column \"account_name\" is already "
       "mapped "
       "by field \"name\""},
      {"ValueMapNotEnumValue", Prelude("grade: level,", "grade: {column: level, map: {VIP: AA}},"),
       "t.yaml:18:86: bindings.crm.customer.fields.grade.map.VIP: \"AA\" is not a value of enum "
       "field customer.grade\n  hint: did you mean \"A\"?"},
      {"MappingUnknownKey", Prelude("grade: level,", "grade: {col: level},"),
       "bindings.crm.customer.fields.grade.col: unknown key \"col\"\n"
       "  hint: did you mean \"column\"?"},
      // Flows.
      {"FlowsNotList", Prelude() + "flows: {entity: customer}\n",
       "t.yaml:23:8: flows: expected a list, found a map"},
      {"OwnsNotList", Flow("entity: customer, from: crm, to: erp, owns: name"),
       std::string(kFlowLine) + "50: flows[0].owns: expected a list, found a string \"name\""},
      {"FlowMissingTo", Flow("entity: customer, from: crm"),
       std::string(kFlowLine) + "5: flows[0]: missing required key \"to\""},
      {"FlowUnknownKey", Flow("entity: customer, from: crm, to: erp, onws: [name]"),
       "flows[0].onws: unknown key \"onws\"\n  hint: did you mean \"owns\"?"},
      {"FlowUnknownEntity", Flow("entity: custmer, from: crm, to: erp"),
       std::string(kFlowLine) + "14: flows[0].entity: unknown entity \"custmer\"\n"
                                "  hint: did you mean \"customer\"?"},
      {"FlowUnknownSystem", Flow("entity: customer, from: crm, to: epr"),
       "flows[0].to: unknown system \"epr\"\n  hint: did you mean \"erp\"?"},
      {"FlowToItself", Flow("entity: customer, from: crm, to: crm"),
       "flows[0].to: a flow cannot go from crm to itself"},
      {"FlowMissingBinding",
       Prelude(
           "  erp: {connector: sqlite, path: erp.db}",
           "  erp: {connector: sqlite, path: erp.db}\n  shop: {connector: sqlite, path: s.db}") +
           "flows:\n  - {entity: customer, from: crm, to: shop}\n",
       "flows[0].to: no binding shop.customer for this flow\n"
       "  hint: add bindings.shop.customer with table, key and fields"},
      {"FlowFromCaptureNone",
       Prelude("    key: id\n", "    key: id\n    capture: none\n") +
           "flows:\n  - {entity: customer, from: erp, to: crm}\n",
       "flows[0].from: binding erp.customer has capture: none, so it cannot be a flow's source"},
      {"FlowFromWithoutKeyField",
       Prelude("{code: cust_code, ", "{") + "flows:\n  - {entity: customer, from: erp, to: crm}\n",
       "flows[0].from: binding erp.customer does not map key field \"code\" of entity customer"},
      {"OwnsNotMapped", Flow("entity: customer, from: crm, to: erp, owns: [name, grade]"),
       std::string(kFlowLine) +
           "57: flows[0].owns: field \"grade\" is not mapped by binding "
           "erp.customer\n  hint: add it to bindings.erp.customer.fields, or remove it from owns"},
      {"OwnsUnknownField", Flow("entity: customer, from: crm, to: erp, owns: [nmae]"),
       "flows[0].owns: unknown field \"nmae\" for entity customer\n  hint: did you mean \"name\"?"},
      {"DuplicateFlow",
       Prelude() + "flows:\n  - {entity: customer, from: crm, to: erp}\n"
                   "  - {entity: customer, from: crm, to: erp, mode: every 1h}\n",
       "t.yaml:25:5: flows[1]: duplicate flow customer:crm->erp (first at t.yaml:24:5)"},
      {"PreferOther", Flow("entity: customer, from: crm, to: erp, conflict: {prefer: shop}"),
       "flows[0].conflict.prefer: \"shop\" is not a system of this flow; expected \"crm\" or "
       "\"erp\""},
      {"ConflictTypo", Flow("entity: customer, from: crm, to: erp, conflict: newst"),
       "flows[0].conflict: expected \"newest\", \"manual\" or {prefer: <system>}, found a string "
       "\"newst\"\n  hint: did you mean \"newest\"?"},
      {"ConflictPreferString",
       Flow("entity: customer, from: crm, to: erp, conflict: \"prefer: erp\""),
       "hint: write conflict: {prefer: <system>}"},
      {"ModeEveryWords", Flow("entity: customer, from: crm, to: erp, mode: every 15 minutes"),
       "flows[0].mode: every: expected a positive whole number and a unit s, m, h or d"},
      {"ModeCronRange", Flow("entity: customer, from: crm, to: erp, mode: \"cron 0 25 * * *\""),
       "flows[0].mode: cron: hour \"25\" is out of range 0-23"},
      {"ModeTypo", Flow("entity: customer, from: crm, to: erp, mode: realtme"),
       "flows[0].mode: expected \"realtime\", \"every <n><s|m|h|d>\" or \"cron <minute> <hour> "
       "<day-of-month> <month> <day-of-week>\", found \"realtme\"\n"
       "  hint: did you mean \"realtime\"?"},
      {"BatchRowsRange", Flow("entity: customer, from: crm, to: erp, max_batch_rows: 0"),
       std::string(kFlowLine) + "60: flows[0].max_batch_rows: must be between 1 and 100000, "
                                "found 0"},
      {"BatchRowsQuoted", Flow("entity: customer, from: crm, to: erp, max_batch_rows: \"500\""),
       "flows[0].max_batch_rows: expected an integer, found a string \"500\""},
      {"PollIntervalRange", Flow("entity: customer, from: crm, to: erp, poll_interval_ms: 5"),
       "flows[0].poll_interval_ms: must be between 10 and 3600000, found 5"},
      // Filters: the location points into the expression.
      {"WhenUnknownField", Flow("entity: customer, from: crm, to: erp, when: \"nmae == 'x'\""),
       std::string(kFlowLine) + "51: flows[0].when: unknown field \"nmae\" for entity customer\n"
                                "  hint: did you mean \"name\"?"},
      {"WhenSecondFieldUnknown",
       Flow("entity: customer, from: crm, to: erp, when: name == 'x' and limt > 5"),
       std::string(kFlowLine) + "66: flows[0].when: unknown field \"limt\""},
      {"WhenSingleEquals", Flow("entity: customer, from: crm, to: erp, when: \"name = 'x'\""),
       std::string(kFlowLine) + "56: flows[0].when: expected a comparison operator (==, !=, <, <=, "
                                ">, >=) after \"name\", found \"=\"\n  hint: did you mean \"==\"?"},
      // `name == x` is a Lua expression (a name as a value), whose x is no field.
      {"WhenUnquoted", Flow("entity: customer, from: crm, to: erp, when: \"name == x\""),
       std::string(kFlowLine) + "59: flows[0].when: unknown name \"x\": not a field of entity "
                                "customer nor a Lua library name\n  hint: quote text: 'x'"},
      {"WhenUnterminated", Flow("entity: customer, from: crm, to: erp, when: \"name == 'a\""),
       "flows[0].when: unterminated string starting at 'a"},
      {"WhenNullOrdering", Flow("entity: customer, from: crm, to: erp, when: \"limit > null\""),
       "null compares only with == or !=, found \">\""},
      {"WhenDecimalVsText", Flow("entity: customer, from: erp, to: crm, when: \"limit >= '5'\""),
       "flows[0].when: limit is a decimal field; expected a number to compare it with, found '5'"},
      {"WhenTextVsNumber", Flow("entity: customer, from: crm, to: erp, when: \"code == 17\""),
       "flows[0].when: code is a string field; expected a quoted string, found 17\n"
       "  hint: write '17'"},
      {"WhenEnumValue", Flow("entity: customer, from: crm, to: erp, when: \"grade == 'E'\""),
       "'E' is not a value of enum field customer.grade"},
      {"WhenBool", Flow("entity: customer, from: crm, to: erp, when: \"active == 'yes'\""),
       "active is a bool field; expected true or false, found 'yes'"},
      {"WhenFieldNotMappedAtSource",
       Flow("entity: customer, from: erp, to: crm, when: \"grade == 'A'\""),
       std::string(kFlowLine) + "51: flows[0].when: field \"grade\" is not mapped by binding "
                                "erp.customer, so it is always empty when the filter runs\n"
                                "  hint: add grade: <column> to bindings.erp.customer.fields"},
      {"ShortFormEnum", Prelude("active: bool", "active: enum"),
       "t.yaml:13:15: entities.customer.fields.active: an enum field needs values, so it cannot be "
       "written in the short form\n  hint: write {type: enum, values: [A, B]}"},
      {"WhenEmpty", Flow("entity: customer, from: crm, to: erp, when: \"\""),
       "flows[0].when: the expression is empty"},
      // Lua filters, rules and computed fields: syntax and names are checked at load.
      {"WhenLuaSyntax",
       Flow("entity: customer, from: crm, to: erp, when: \"name == 'a' or or grade == 'B'\""),
       std::string(kFlowLine) + "66: flows[0].when: not a Lua expression: unexpected symbol "
                                "near 'or'"},
      {"WhenLuaBangEquals",
       Flow("entity: customer, from: crm, to: erp, when: \"name != 'a' or grade == 'B'\""),
       std::string(kFlowLine) + "56: flows[0].when: not a Lua expression: ')' expected "
                                "near '!'\n  hint: Lua writes not-equal as ~= (the simple filter "
                                "form also accepts !=)"},
      {"WhenLuaUnknownName",
       Flow("entity: customer, from: crm, to: erp, when: \"name == 'a' or grdae == 'B'\""),
       std::string(kFlowLine) + "66: flows[0].when: unknown name \"grdae\": not a field of entity "
                                "customer nor a Lua library name\n  hint: did you mean \"grade\"?"},
      {"WhenLuaFieldNotMapped",
       Flow("entity: customer, from: erp, to: crm, when: \"limit > 0 or grade == 'A'\""),
       std::string(kFlowLine) + "64: flows[0].when: field \"grade\" is not mapped by binding "
                                "erp.customer, so it is always nil in the expression"},
      {"RuleSyntax",
       Prelude("      active: bool\n",
               "      active: bool\n    rules:\n      - {name: limit_ok, check: \"limit >= 0 or or\"}\n"),
       "t.yaml:15:48: entities.customer.rules[0].check: not a Lua expression: unexpected symbol "
       "near 'or'"},
      {"RuleUnknownName",
       Prelude("      active: bool\n",
               "      active: bool\n    rules:\n      - {name: limit_ok, check: \"lmit >= 0\"}\n"),
       "t.yaml:15:34: entities.customer.rules[0].check: unknown name \"lmit\": not a field of "
       "entity customer nor a Lua library name\n  hint: did you mean \"limit\"?"},
      {"RuleWithoutName",
       Prelude("      active: bool\n", "      active: bool\n    rules:\n      - {check: \"limit >= 0\"}\n"),
       "t.yaml:15:9: entities.customer.rules[0]: missing required key \"name\""},
      {"RuleDuplicate",
       Prelude("      active: bool\n",
               "      active: bool\n    rules:\n      - {name: a, check: \"true\"}\n"
               "      - {name: a, check: \"true\"}\n"),
       "t.yaml:16:16: entities.customer.rules[1].name: duplicate rule \"a\" (first at t.yaml:15:16)"},
      {"PatternInvalid", Prelude("max_length: 100", "pattern: '[a-'"),
       "entities.customer.fields.name.pattern: not a regular expression: missing ]: [a-"},
      {"PatternNotForDecimal", Prelude("limit: {type: decimal, min: 0}", "limit: {type: decimal, pattern: x}"),
       "pattern applies to string, text, phone and email fields, not decimal"},
      {"ComputedKey", Flow("entity: customer, from: crm, to: erp, computed: {code: \"name\"}"),
       "flows[0].computed.code: key field \"code\" cannot be computed"},
      {"ComputedNowhere", Flow("entity: customer, from: crm, to: erp, computed: {grade: \"'A'\"}"),
       "flows[0].computed.grade: field \"grade\" is not mapped by binding erp.customer, so the "
       "computed value has nowhere to go"},
      {"ComputedSyntax", Flow("entity: customer, from: crm, to: erp, computed: {name: \"name ..\"}"),
       "flows[0].computed.name: not a Lua expression: unexpected symbol near ')'"},
      // Normalization keys of fields.
      {"UnknownRegion", Prelude("active: bool", "active: {type: phone, region: cn}"),
       "t.yaml:13:37: entities.customer.fields.active.region: unknown phone region \"cn\"\n"
       "  hint: did you mean \"CN\"?"},
      {"RegionNotForString", Prelude("max_length: 100", "region: CN"),
       "entities.customer.fields.name.region: region applies to phone fields, not string"},
      {"RoundingTypo", Prelude("min: 0}", "rounding: half_evn}"),
       "t.yaml:12:40: entities.customer.fields.limit.rounding: expected \"half_even\", "
       "\"half_up\" or \"down\", found \"half_evn\"\n  hint: did you mean \"half_even\"?"},
      {"CaseValue", Prelude("max_length: 100", "case: title"),
       "entities.customer.fields.name.case: expected \"upper\" or \"lower\", found \"title\""},
      {"ChineseNotForEnum", Prelude("values: [A, B, C]", "values: [A, B, C], chinese: simplified"),
       "entities.customer.fields.grade.chinese: chinese applies to string and text fields, not "
       "enum"},
      {"TrimNotBool", Prelude("max_length: 100", "trim: yes"),
       "entities.customer.fields.name.trim: expected true or false, found a string \"yes\""},
      {"CurrencyNotForInt", Prelude("active: bool", "active: {type: int, currency: true}"),
       "currency applies to decimal fields, not int"},
      {"UniqueNotBool", Prelude("active: bool", "active: {type: bool, unique: true}"),
       "t.yaml:13:28: entities.customer.fields.active.unique: unique applies to string, text, "
       "int, decimal, date, timestamp, phone, email and reference fields, not bool"},
      {"UniqueKey", Prelude("code: {type: string, required: true}",
                            "code: {type: string, required: true, unique: true}"),
       "t.yaml:9:44: entities.customer.fields.code.unique: key field \"code\" is unique "
       "already\n  hint: remove unique: the key identifies one record per system"},
      {"UniqueNotBoolean", Prelude("max_length: 100", "unique: 1"),
       "entities.customer.fields.name.unique: expected true or false"},
      {"EnumDefaultNotValue", Prelude("values: [A, B, C]", "values: [A, B, C], default: E"),
       "t.yaml:11:55: entities.customer.fields.grade.default: \"E\" is not one of the field's "
       "values"},
      // Layout keys of bindings and mappings.
      {"UnknownTimeZone",
       Prelude("    table: accounts", "    table: accounts\n    timezone: Asia/Shanghia"),
       "bindings.crm.customer.timezone: unknown time zone \"Asia/Shanghia\"\n"
       "  hint: did you mean \"Asia/Shanghai\"?"},
      {"BadOffset", Prelude("    table: accounts", "    table: accounts\n    timezone: \"+8\""),
       "bindings.crm.customer.timezone: unknown time zone \"+8\"\n"
       "  hint: write an IANA name such as Asia/Shanghai, UTC, or an offset such as +08:00"},
      {"BindingEncodingTypo",
       Prelude("    table: accounts", "    table: accounts\n    encoding: gkb"),
       "bindings.crm.customer.encoding: expected \"utf-8\", \"gbk\", \"gb18030\", \"big5\", "
       "\"utf-16le\" or \"utf-16be\", found \"gkb\"\n  hint: did you mean \"gbk\"?"},
      {"DateFormatTypo", WithActive("date", "{column: is_active, format: dym}"),
       "bindings.crm.customer.fields.active.format: expected iso, dmy, mdy, excel, unix_s or "
       "unix_ms or a pattern such as \"YYYYMMDD\", found \"dym\"\n  hint: did you mean \"dmy\"?"},
      {"DatePatternLowercase", WithActive("date", "{column: is_active, format: \"yyyyMMDD\"}"),
       "bindings.crm.customer.fields.active.format: expected iso, dmy, mdy, excel, unix_s or "
       "unix_ms or a pattern"},
      {"DatePatternTimeInDate",
       WithActive("date", "{column: is_active, format: \"YYYY-MM-DD HH:mm\"}"),
       "in date pattern \"YYYY-MM-DD HH:mm\": \"HH\" is a time part; a date field's pattern "
       "has only YYYY, M/MM and D/DD"},
      {"DatePatternAmbiguous",
       WithActive("timestamp", "{column: is_active, format: \"YYYYMD H:mm\"}"),
       "M, D and H take one or two digits, so they need a separator after them"},
      {"FormatNotForDecimal",
       Prelude("limit: credit_limit", "limit: {column: credit_limit, format: dmy}"),
       "bindings.erp.customer.fields.limit.format: format applies to phone, date and timestamp "
       "fields, not decimal"},
      {"TimezoneNotForString",
       Prelude("name: cust_name", "name: {column: cust_name, timezone: UTC}"),
       "bindings.erp.customer.fields.name.timezone: timezone applies to date and timestamp "
       "fields, not string"},
      {"EncodingNotForDecimal",
       Prelude("limit: credit_limit", "limit: {column: credit_limit, encoding: gbk}"),
       "bindings.erp.customer.fields.limit.encoding: encoding applies to string, text, enum, "
       "reference, phone and email fields, not decimal"},
      {"NationalNeedsRegion", WithActive("phone", "{column: is_active, format: national}"),
       "bindings.crm.customer.fields.active.format: format \"national\" writes numbers without "
       "their country code, so field customer.active needs a region\n"
       "  hint: add region: <code> (e.g. CN) to entities.customer.fields.active"},
      {"PhoneFormatWord",
       WithActive("{type: phone, region: CN}", "{column: is_active, format: internatonal}"),
       "expected e164, national, international or a digit pattern such as \"138-1234-5678\", "
       "found \"internatonal\"\n  hint: did you mean \"international\"?"},
  };
}

class ErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorTest, ReportsError) {
  const ErrorCase& c = GetParam();
  std::vector<ConfigError> errors = Load(c.yaml);
  ASSERT_FALSE(errors.empty()) << "expected an error for:\n" << c.yaml;
  std::string all = AllErrors(errors);
  EXPECT_NE(all.find(c.want), std::string::npos) << "want:\n" << c.want << "\ngot:\n" << all;
}

INSTANTIATE_TEST_SUITE_P(Config, ErrorTest, ::testing::ValuesIn(ErrorCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigTest, NormalizationAndLayoutKeys) {
  ConfigSpec spec;
  std::string yaml = Prelude(
      "      active: bool\n",
      "      active: bool\n"
      "      phone: {type: phone, region: CN, unique: true}\n"
      "      born: date\n"
      "      seen: timestamp\n"
      "      note: {type: text, trim: true, collapse_spaces: true, nfkc: true, case: upper, "
      "chinese: simplified}\n");
  yaml.replace(yaml.find("{type: enum, values: [A, B, C]}"), 31,
               "{type: enum, values: [A, B, C], default: C}");
  yaml.replace(yaml.find("{type: decimal, min: 0}"), 23,
               "{type: decimal, min: 0, currency: true, rounding: half_up}");
  yaml.replace(yaml.find("    key: account_no\n"), 20,
               "    key: account_no\n    timezone: Asia/Shanghai\n    encoding: gbk\n");
  yaml.replace(yaml.find("active: is_active}"), 18,
               "active: is_active, phone: {column: tel, format: \"138-1234-5678\"}, "
               "born: {column: dob, format: \"YYYY年M月D日\"}, "
               "seen: {column: seen_at, format: unix_ms, timezone: \"+09:00\"}, "
               "note: {column: memo, encoding: big5}}");
  std::vector<ConfigError> errors = Load(yaml, &spec);
  ASSERT_TRUE(errors.empty()) << AllErrors(errors);
  const EntitySpec& c = spec.entities.at("customer");
  EXPECT_EQ(c.Field("phone")->region, "CN");
  EXPECT_TRUE(c.Field("phone")->unique);
  EXPECT_FALSE(c.Field("name")->unique);
  EXPECT_EQ(c.Field("grade")->default_value, "C");
  EXPECT_TRUE(c.Field("limit")->currency);
  EXPECT_EQ(c.Field("limit")->rounding, Rounding::kHalfUp);
  EXPECT_EQ(c.Field("name")->rounding, Rounding::kHalfEven);
  const FieldSpec* note = c.Field("note");
  EXPECT_TRUE(note->trim && note->collapse_spaces && note->nfkc);
  EXPECT_EQ(note->letter_case, LetterCase::kUpper);
  EXPECT_EQ(note->chinese, ChineseScript::kSimplified);

  const BindingSpec& b = spec.bindings.at("crm.customer");
  EXPECT_EQ(b.timezone, "Asia/Shanghai");
  EXPECT_EQ(b.ForField("phone")->format, FormatKind::kDigitPattern);
  EXPECT_EQ(b.ForField("phone")->format_text, "138-1234-5678");
  EXPECT_EQ(b.ForField("phone")->encoding, TextEncoding::kGbk);  // the binding's
  EXPECT_EQ(b.ForField("phone")->timezone, "");                  // not a date field
  EXPECT_EQ(b.ForField("born")->format, FormatKind::kDatePattern);
  EXPECT_EQ(b.ForField("born")->timezone, "Asia/Shanghai");  // the binding's
  EXPECT_EQ(b.ForField("born")->encoding, TextEncoding::kUtf8);
  EXPECT_EQ(b.ForField("seen")->format, FormatKind::kUnixMillis);
  EXPECT_EQ(b.ForField("seen")->timezone, "+09:00");  // its own
  EXPECT_EQ(b.ForField("note")->encoding, TextEncoding::kBig5);
  EXPECT_EQ(b.ForField("limit"), nullptr);
  EXPECT_EQ(b.ForField("code")->encoding, TextEncoding::kGbk);
  EXPECT_EQ(b.ForField("active")->encoding, TextEncoding::kUtf8);  // bool: not text-shaped
}

TEST(ValueFormatTest, Offsets) {
  EXPECT_EQ(ParseUtcOffset("+08:00"), 8 * 3600);
  EXPECT_EQ(ParseUtcOffset("-05:30"), -(5 * 3600 + 1800));
  EXPECT_EQ(ParseUtcOffset("+0800"), 8 * 3600);
  EXPECT_EQ(ParseUtcOffset("+08"), 8 * 3600);
  EXPECT_EQ(ParseUtcOffset("UTC"), 0);
  EXPECT_EQ(ParseUtcOffset("Z"), 0);
  EXPECT_EQ(ParseUtcOffset("+14:00"), 14 * 3600);
  EXPECT_EQ(ParseUtcOffset("+14:30"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+8"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("08:00"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+08:60"), std::nullopt);
  EXPECT_TRUE(IsKnownTimeZone("Asia/Shanghai"));
  EXPECT_TRUE(IsKnownTimeZone("America/New_York"));
  EXPECT_TRUE(IsKnownTimeZone("UTC"));
  EXPECT_FALSE(IsKnownTimeZone("asia/shanghai"));
  EXPECT_FALSE(IsKnownTimeZone("Mars/Olympus"));
  EXPECT_TRUE(IsKnownPhoneRegion("CN"));
  EXPECT_FALSE(IsKnownPhoneRegion("XX"));
}

TEST(ValueFormatTest, DatePatterns) {
  std::string error;
  auto p = ParseDatePattern("YYYY年M月D日 HH:mm:ss.SSSXXX", true, &error);
  ASSERT_TRUE(p) << error;
  using K = DatePatternPart::Kind;
  std::vector<K> kinds;
  for (const auto& part : *p) kinds.push_back(part.kind);
  EXPECT_EQ(kinds, (std::vector<K>{K::kYear, K::kLiteral, K::kMonth, K::kLiteral, K::kDay,
                                   K::kLiteral, K::kHour2, K::kLiteral, K::kMinute, K::kLiteral,
                                   K::kSecond, K::kLiteral, K::kMillis, K::kOffset}));
  EXPECT_EQ((*p)[1].literal, "年");
  EXPECT_TRUE(ParseDatePattern("YYYYMMDD", false, &error));
  EXPECT_TRUE(ParseDatePattern("DD.MM.YYYY", false, &error));
  EXPECT_TRUE(ParseDatePattern("YYYYMMDDHHmmss", true, &error));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"YYYY-MM", "a pattern needs YYYY, a month (MM or M) and a day (DD or D)"},
      {"YY-MM-DD", "unknown pattern letters \"YY\" (write YYYY: two-digit years are ambiguous)"},
      {"yyyy-MM-dd", "unknown pattern letters \"yyyy\" (write YYYY)"},
      {"YYYY-MM-DD-DD", "\"DD\" appears twice"},
      {"YYYY-MM-DD-D", "\"D\" appears twice"},
      {"YYYY-MM-DD", "a timestamp pattern needs an hour (HH or H) and minutes (mm)"},
      {"YYYY-MM-DD HH:mm.SSS", "SSS needs ss"},
      {"YYYY-MM-DD 2 HH:mm", "digits are not allowed as literal text"},
  };
  for (const auto& [pattern, want] : bad) {
    EXPECT_FALSE(ParseDatePattern(pattern, true, &error)) << pattern;
    EXPECT_EQ(error, want) << pattern;
  }
}

TEST(ConfigTest, ErrorFormat) {
  ConfigError e{{"concord.yaml", 12, 5},
                "bindings.crm.customer.fields.nme",
                "unknown field \"nme\" for entity customer",
                "did you mean \"name\"?"};
  EXPECT_EQ(e.ToString(),
            "concord.yaml:12:5: bindings.crm.customer.fields.nme: unknown field \"nme\" for entity "
            "customer\n  hint: did you mean \"name\"?");
  ConfigError bare{{}, "", "cannot read x.yaml: No such file or directory", ""};
  EXPECT_EQ(bare.ToString(), "cannot read x.yaml: No such file or directory");
}

TEST(ConfigTest, ReportsEveryErrorInFileOrder) {
  std::string yaml = Prelude("version: 1", "version: 3");
  yaml.replace(yaml.find("name: account_name"), 4, "nme");
  yaml.replace(yaml.find("path: crm.db"), 4, "paht");
  yaml += "flows:\n  - {entity: customer, from: crm, to: crm}\n";
  std::vector<ConfigError> errors;
  Result<ConfigSpec> r = LoadConfigString(yaml, "t.yaml", "/srv", &errors);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "t.yaml: 5 errors");
  ASSERT_EQ(errors.size(), 5u) << AllErrors(errors);
  EXPECT_EQ(errors[0].path, "version");
  EXPECT_EQ(errors[1].path, "systems.crm");  // path is now missing
  EXPECT_EQ(errors[2].path, "systems.crm.paht");
  EXPECT_EQ(errors[3].path, "bindings.crm.customer.fields.nme");
  EXPECT_EQ(errors[4].path, "flows[0].to");
  for (size_t i = 1; i < errors.size(); ++i) {
    EXPECT_LE(std::pair(errors[i - 1].loc.line, errors[i - 1].loc.col),
              std::pair(errors[i].loc.line, errors[i].loc.col));
  }
}

TEST(ConfigTest, NoEchoErrors) {
  // A field with a bad type is still a field: bindings naming it get no second error.
  std::vector<ConfigError> errors = Load(Prelude("active: bool", "active: boolean"));
  EXPECT_EQ(errors.size(), 1u) << AllErrors(errors);
  // An unknown connector does not also complain about its options.
  errors = Load(Prelude("connector: sqlite, path: crm.db", "connector: mysql, host: x"));
  EXPECT_EQ(errors.size(), 1u) << AllErrors(errors);
}

TEST(ConfigTest, SyntaxErrorHasLineAndColumn) {
  std::vector<ConfigError> errors = Load("version: 1\nsystems:\n  crm: {connector: sqlite\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].loc.file, "t.yaml");
  EXPECT_GT(errors[0].loc.line, 0);
  EXPECT_EQ(errors[0].message.rfind("invalid YAML: ", 0), 0u) << errors[0].message;
}

TEST(ConfigTest, ColumnsCountCharactersNotBytes) {
  std::vector<ConfigError> errors =
      Load(Prelude("grade: level,", "grade: {column: 等级, map: {重要: X}},"));
  ASSERT_EQ(errors.size(), 1u) << AllErrors(errors);
  // `    fields: {code: account_no, name: account_name, grade: {column: 等级, map: {重要: X}},`
  EXPECT_EQ(errors[0].loc.ToString(), "t.yaml:18:82");
}

TEST(ConfigTest, StateUrlPasswordIsNotPrinted) {
  std::vector<ConfigError> errors = Load("state: postgresql://u:hunter2@db/x\n" + Prelude());
  EXPECT_EQ(AllErrors(errors).find("hunter2"), std::string::npos) << AllErrors(errors);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "concord-config-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }

 private:
  std::string path_;
};

TEST(ConfigTest, MissingFile) {
  std::vector<ConfigError> errors;
  Result<ConfigSpec> r = LoadConfigFile("concord.yaml", &errors);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(), "cannot read concord.yaml: No such file or directory");
}

TEST(ConfigTest, LoadsFileRelativeToItsDirectory) {
  TempDir dir;
  std::string path = dir.Write("concord.yaml", Prelude());
  std::vector<ConfigError> errors;
  Result<ConfigSpec> r = LoadConfigFile(path, &errors);
  ASSERT_TRUE(r.ok()) << AllErrors(errors);
  EXPECT_EQ(r->path, path);
  EXPECT_EQ(r->base_dir, fs::path(dir.path()).lexically_normal().string());
  EXPECT_EQ(r->state_path, dir.path() + "/concord-state.db");
}

TEST(ConfigTest, SecretsFromEnvironmentAndFiles) {
  TempDir dir;
  dir.Write("pw.txt", "s3cret-from-file\n");
  setenv("CONCORD_TEST_DB", "erp-from-env.db", 1);
  ConfigSpec spec;
  std::vector<ConfigError> errors;
  std::string yaml = Prelude("path: erp.db",
                             "path: \"/data/${CONCORD_TEST_DB}\", "
                             "busy_timeout_ms: file:pw.txt");
  Result<ConfigSpec> r = LoadConfigString(yaml, "t.yaml", dir.path(), &errors);
  ASSERT_TRUE(r.ok()) << AllErrors(errors);
  const SystemSpec& erp = r->systems.at("erp");
  EXPECT_EQ(erp.options.at("path"), "/data/erp-from-env.db");
  EXPECT_EQ(erp.options.at("busy_timeout_ms"), "s3cret-from-file");
  EXPECT_EQ(erp.secret_options, (std::set<std::string>{"busy_timeout_ms", "path"}));
  EXPECT_EQ(RedactSecrets(*r, "cannot open /data/erp-from-env.db"), "cannot open <redacted>");

  // `$${` is a literal `${` and not a secret.
  r = LoadConfigString(Prelude("path: erp.db", "path: \"a$${b}\""), "t.yaml", dir.path(), &errors);
  ASSERT_TRUE(r.ok()) << AllErrors(errors);
  EXPECT_EQ(r->systems.at("erp").options.at("path"), "a${b}");
  EXPECT_TRUE(r->systems.at("erp").secret_options.empty());
  unsetenv("CONCORD_TEST_DB");
}

TEST(ConfigTest, SecretErrorsNameTheSourceButNotTheValue) {
  unsetenv("CONCORD_TEST_UNSET");
  std::vector<ConfigError> errors =
      Load(Prelude("path: erp.db", "path: \"${CONCORD_TEST_UNSET}\""));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "t.yaml:4:34: systems.erp.path: environment variable CONCORD_TEST_UNSET is not set\n"
            "  hint: set CONCORD_TEST_UNSET in concord's environment, or use file:<path>");
  errors = Load(Prelude("path: erp.db", "path: file:/nonexistent/secret"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message,
            "cannot read secret file \"/nonexistent/secret\": No such file or directory");
  errors = Load(Prelude("path: erp.db", "path: \"${BAD NAME}\""));
  ASSERT_EQ(errors.size(), 1u);
  // A secret value never appears, even in errors about the option's name.
  setenv("CONCORD_TEST_PW", "topsecret", 1);
  errors = Load(Prelude("path: erp.db", "path: erp.db, pasword: \"${CONCORD_TEST_PW}\""));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(AllErrors(errors).find("topsecret"), std::string::npos);
  unsetenv("CONCORD_TEST_PW");
}

TEST(ClosestMatchTest, Table) {
  const std::vector<std::string> fields = {"code", "name", "grade", "limit", "max_length"};
  EXPECT_EQ(ClosestMatch("nme", fields), "name");
  EXPECT_EQ(ClosestMatch("naem", fields), "name");  // transposition counts once
  EXPECT_EQ(ClosestMatch("NAME", fields), "name");  // case only
  EXPECT_EQ(ClosestMatch("max_lenght", fields), "max_length");
  EXPECT_EQ(ClosestMatch("maxlength", fields), "max_length");
  EXPECT_EQ(ClosestMatch("zzzz", fields), "");
  EXPECT_EQ(ClosestMatch("to", {"id"}), "");                             // never the whole word
  EXPECT_EQ(ClosestMatch("col", {"column", "map"}), "column");           // an abbreviation
  EXPECT_EQ(ClosestMatch("max", {"max_length", "max_batch_rows"}), "");  // but not ambiguous
  EXPECT_EQ(ClosestMatch("", fields), "");
  EXPECT_EQ(ClosestMatch("cust_nmae", {"cust_code", "cust_name"}), "cust_name");
}

TEST(ConfigTest, FlowDefaultsMatchTheDeclaredSpec) {
  // spec.h and config_keys.cc both state the defaults; they must agree.
  FlowSpec flow;
  const SectionDef& s = FlowSection();
  EXPECT_EQ(flow.max_batch_rows, s.Get("max_batch_rows").DefaultInt());
  EXPECT_EQ(flow.snapshot_batch_rows, s.Get("snapshot_batch_rows").DefaultInt());
  EXPECT_EQ(flow.max_batch_delay_ms, s.Get("max_batch_delay_ms").DefaultInt());
  EXPECT_EQ(flow.poll_interval_ms, s.Get("poll_interval_ms").DefaultInt());
  EXPECT_EQ(flow.max_parent_wait_s, s.Get("max_parent_wait_s").DefaultInt());
  EXPECT_EQ(flow.schedule.text, s.Get("mode").default_value);
  EXPECT_EQ(ConflictRuleName(flow.conflict), s.Get("conflict").default_value);
  EXPECT_EQ(CaptureModeName(BindingSpec().capture), BindingSection().Get("capture").default_value);
  for (FieldType t : AllFieldTypes()) EXPECT_EQ(FieldTypeFromName(FieldTypeName(t)), t);
}

TEST(Docs, ExampleIsValid) {
  setenv("ERP_DB", "erp.db", 1);
  ConfigSpec spec;
  std::vector<ConfigError> errors = Load(std::string(ExampleConfigYaml()), &spec);
  EXPECT_TRUE(errors.empty()) << AllErrors(errors);
  EXPECT_EQ(spec.flows.size(), 3u);
  unsetenv("ERP_DB");
}

TEST(Docs, ShownErrorIsReal) {
  // The reference shows the error a typo in its own example gives; keep that honest.
  setenv("ERP_DB", "erp.db", 1);
  std::string yaml(ExampleConfigYaml());
  yaml.replace(yaml.find("      name: account_name"), 24, "      nme: account_name");
  std::vector<ConfigError> errors;
  Result<ConfigSpec> r = LoadConfigString(yaml, "concord.yaml", "/srv", &errors);
  unsetenv("ERP_DB");
  ASSERT_FALSE(r.ok());
  ASSERT_FALSE(errors.empty());  // then flows[0].owns: "name" is not mapped by crm.customer
  std::string shown = errors[0].ToString();
  EXPECT_EQ(shown,
            "concord.yaml:33:7: bindings.crm.customer.fields.nme: unknown field \"nme\" for entity "
            "customer\n  hint: did you mean \"name\"?");
  EXPECT_NE(ConfigReferenceMarkdown().find("```text\n" + shown + "\n```"), std::string::npos);
}

// docs/configuration.md is generated; this keeps it in step. To regenerate after changing the
// spec: CONCORD_UPDATE_DOCS=1 config_test --gtest_filter='Docs.*'
TEST(Docs, ConfigurationPageIsGenerated) {
  fs::path doc =
      fs::path(__FILE__).parent_path().parent_path().parent_path() / "docs" / "configuration.md";
  std::string want = ConfigReferenceMarkdown();
  if (std::getenv("CONCORD_UPDATE_DOCS") != nullptr) std::ofstream(doc) << want;
  std::ifstream in(doc);
  ASSERT_TRUE(in.good()) << "missing " << doc;
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_TRUE(got.str() == want)
      << doc << " is out of date; run CONCORD_UPDATE_DOCS=1 config_test --gtest_filter='Docs.*'";
}

// --- CheckAgainstDatabases, against real SQLite files.

void Exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(CheckAgainstDatabasesTest, FindsMissingTablesAndColumns) {
  TempDir dir;
  Exec(dir.path() + "/crm.db",
       "CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, level TEXT, "
       "is_active INTEGER);");
  Exec(dir.path() + "/erp.db",
       "CREATE TABLE customers (id INTEGER PRIMARY KEY, cust_code TEXT, cust_name TEXT, "
       "credit_limit TEXT);");
  std::vector<ConfigError> errors;
  Result<ConfigSpec> ok = LoadConfigString(Prelude(), "t.yaml", dir.path(), &errors);
  ASSERT_TRUE(ok.ok()) << AllErrors(errors);
  EXPECT_TRUE(CheckAgainstDatabases(*ok).empty()) << AllErrors(CheckAgainstDatabases(*ok));

  std::string yaml = Prelude("cust_name", "cust_nmae");
  yaml.replace(yaml.find("table: accounts"), 15, "table: acounts");
  Result<ConfigSpec> bad = LoadConfigString(yaml, "t.yaml", dir.path(), &errors);
  ASSERT_TRUE(bad.ok()) << AllErrors(errors);
  std::string all = AllErrors(CheckAgainstDatabases(*bad));
  EXPECT_NE(all.find("t.yaml:16:12: bindings.crm.customer.table: crm: table \"acounts\" does not "
                     "exist\n  hint: did you mean \"accounts\"?"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("t.yaml:22:31: bindings.erp.customer.fields.name: erp.customers: column "
                     "\"cust_nmae\" does not exist\n  hint: did you mean \"cust_name\"?"),
            std::string::npos)
      << all;

  yaml = Prelude("    key: account_no\n",
                 "    key: account_no\n    capture: poll\n    poll: {column: updated_at}\n");
  Result<ConfigSpec> bad_poll = LoadConfigString(yaml, "t.yaml", dir.path(), &errors);
  ASSERT_TRUE(bad_poll.ok()) << AllErrors(errors);
  all = AllErrors(CheckAgainstDatabases(*bad_poll));
  EXPECT_NE(all.find("bindings.crm.customer.poll.column: crm.accounts: poll column "
                     "\"updated_at\" does not exist"),
            std::string::npos)
      << all;

  yaml = Prelude("key: id", "key: [id, region]");
  Result<ConfigSpec> bad_key = LoadConfigString(yaml, "t.yaml", dir.path(), &errors);
  ASSERT_TRUE(bad_key.ok()) << AllErrors(errors);
  all = AllErrors(CheckAgainstDatabases(*bad_key));
  EXPECT_NE(all.find("t.yaml:21:10: bindings.erp.customer.key: erp.customers: key column "
                     "\"region\" does not exist"),
            std::string::npos)
      << all;
}

TEST(CheckAgainstDatabasesTest, SystemThatCannotOpenYieldsOneError) {
  TempDir dir;
  Exec(dir.path() + "/crm.db",
       "CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, level TEXT, "
       "is_active INTEGER);");
  std::vector<ConfigError> errors;
  std::string yaml = Prelude() +
                     "  erp.other:\n    table: t\n    key: k\n    fields: {}\n"
                     "  crm.other:\n    table: t2\n    key: k\n    fields: {}\n";
  yaml.replace(yaml.find("  customer:\n"), 12,
               "  other:\n    key: code\n    fields: {code: "
               "string}\n  customer:\n");
  Result<ConfigSpec> spec = LoadConfigString(yaml, "t.yaml", dir.path(), &errors);
  ASSERT_TRUE(spec.ok()) << AllErrors(errors);
  std::vector<ConfigError> live = CheckAgainstDatabases(*spec);
  int open_errors = 0;
  for (const ConfigError& e : live) open_errors += e.path == "systems.erp";
  EXPECT_EQ(open_errors, 1) << AllErrors(live);
  EXPECT_NE(AllErrors(live).find("t.yaml:4:3: systems.erp: cannot open erp: "), std::string::npos)
      << AllErrors(live);
}

}  // namespace
}  // namespace concord
