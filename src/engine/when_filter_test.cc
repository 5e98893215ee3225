// EvaluateWhen: the `when:` comparisons of a flow, table-driven. Covers text (byte-wise), numbers
// against decimal text (exact, never through binary floating point), NULL tests, comparisons that
// cannot be made (false, with a reason) and several comparisons joined by `and`.
#include "engine/when_filter.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"

namespace concord {
namespace {

using Op = WhenComparison::Op;

WhenComparison Cmp(std::string field, Op op, Value literal) {
  WhenComparison c;
  c.field = std::move(field);
  c.op = op;
  c.literal = std::move(literal);
  return c;
}

Value T(std::string s) { return Value::Text(std::move(s)); }
Value I(int64_t v) { return Value::Int(v); }
Value R(double v) { return Value::Real(v); }
Value N() { return Value::Null(); }

struct WhenCase {
  std::string name;
  std::vector<WhenComparison> all_of;
  Record record;
  bool pass;
  std::string detail;  // expected detail when !pass (exact); ignored when pass
};

void PrintTo(const WhenCase& c, std::ostream* os) { *os << c.name; }

class WhenTable : public ::testing::TestWithParam<WhenCase> {};

TEST_P(WhenTable, Evaluates) {
  const WhenCase& c = GetParam();
  WhenSpec when;
  when.text = "(table case)";
  when.all_of = c.all_of;
  WhenResult r = EvaluateWhen(when, c.record);
  EXPECT_EQ(r.pass, c.pass) << r.detail;
  if (c.pass) {
    EXPECT_EQ(r.detail, "");
  } else {
    EXPECT_EQ(r.detail, c.detail);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Text, WhenTable,
    ::testing::Values(
        WhenCase{"EqHolds", {Cmp("status", Op::kEq, T("approved"))},
                 {{"status", T("approved")}}, true, ""},
        WhenCase{"EqFails", {Cmp("status", Op::kEq, T("approved"))},
                 {{"status", T("draft")}}, false, "status == approved is false"},
        WhenCase{"EqIsCaseSensitive", {Cmp("status", Op::kEq, T("approved"))},
                 {{"status", T("Approved")}}, false, "status == approved is false"},
        WhenCase{"NeHolds", {Cmp("status", Op::kNe, T("void"))}, {{"status", T("draft")}},
                 true, ""},
        WhenCase{"NeFails", {Cmp("status", Op::kNe, T("void"))}, {{"status", T("void")}},
                 false, "status != void is false"},
        WhenCase{"LtByteWise", {Cmp("name", Op::kLt, T("b"))}, {{"name", T("abc")}}, true, ""},
        // Byte-wise: upper case sorts before lower case; a longer string after its prefix.
        WhenCase{"LtUpperBeforeLower", {Cmp("name", Op::kLt, T("b"))}, {{"name", T("Z")}}, true,
                 ""},
        WhenCase{"LtPrefixIsSmaller", {Cmp("name", Op::kLt, T("b"))}, {{"name", T("ba")}},
                 false, "name < b is false"},
        WhenCase{"LeEqual", {Cmp("name", Op::kLe, T("b"))}, {{"name", T("b")}}, true, ""},
        WhenCase{"GtUtf8", {Cmp("name", Op::kGt, T("z"))}, {{"name", T("重要")}}, true, ""},
        // A quoted literal compares as text even when both read as numbers.
        WhenCase{"QuotedNumberIsText", {Cmp("amount", Op::kEq, T("100.5"))},
                 {{"amount", T("100.50")}}, false, "amount == 100.5 is false"},
        // A number field against a text literal compares its text rendering.
        WhenCase{"IntFieldAgainstTextLiteral", {Cmp("qty", Op::kEq, T("17"))}, {{"qty", I(17)}},
                 true, ""}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Numbers, WhenTable,
    ::testing::Values(
        // Canonical decimals travel as text ("100.50"); the literal 100.5 is a number.
        WhenCase{"DecimalTextGeRealEqual", {Cmp("amount", Op::kGe, R(100.5))},
                 {{"amount", T("100.50")}}, true, ""},
        WhenCase{"DecimalTextEqReal", {Cmp("amount", Op::kEq, R(100.5))},
                 {{"amount", T("100.50")}}, true, ""},
        WhenCase{"DecimalTextGtRealEqualFails", {Cmp("amount", Op::kGt, R(100.5))},
                 {{"amount", T("100.50")}}, false, "amount > 100.5 is false"},
        WhenCase{"DecimalTextLtReal", {Cmp("amount", Op::kLt, R(100.5))},
                 {{"amount", T("100.49")}}, true, ""},
        WhenCase{"DecimalTextEqInt", {Cmp("amount", Op::kEq, I(100))},
                 {{"amount", T("100.00")}}, true, ""},
        WhenCase{"NumericNotLexical", {Cmp("amount", Op::kGt, I(9))}, {{"amount", T("10")}},
                 true, ""},
        WhenCase{"Negative", {Cmp("amount", Op::kLt, I(0))}, {{"amount", T("-0.01")}}, true,
                 ""},
        // Exact: as doubles both sides would be 1e17 and `>` would be false.
        WhenCase{"ExactBeyondDouble", {Cmp("amount", Op::kGt, I(99999999999999999))},
                 {{"amount", T("99999999999999999.01")}}, true, ""},
        WhenCase{"IntField", {Cmp("qty", Op::kGe, I(5))}, {{"qty", I(5)}}, true, ""},
        WhenCase{"IntFieldFails", {Cmp("qty", Op::kGe, I(5))}, {{"qty", I(4)}}, false,
                 "qty >= 5 is false"},
        WhenCase{"RealField", {Cmp("rate", Op::kLe, R(0.25))}, {{"rate", R(0.25)}}, true, ""},
        // A comparison that cannot be made is false, and the reason says why.
        WhenCase{"TextFieldAgainstNumber", {Cmp("name", Op::kGt, I(5))}, {{"name", T("abc")}},
                 false, "name > 5: name is not a number"},
        WhenCase{"TextFieldAgainstNumberNe", {Cmp("name", Op::kNe, I(5))},
                 {{"name", T("abc")}}, false, "name != 5: name is not a number"},
        WhenCase{"BlobFieldAgainstNumber", {Cmp("data", Op::kEq, I(1))},
                 {{"data", Value::Blob("\x01")}}, false, "data == 1: data is not a number"}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Nulls, WhenTable,
    ::testing::Values(
        WhenCase{"EqNullOnNull", {Cmp("email", Op::kEq, N())}, {{"email", N()}}, true, ""},
        WhenCase{"EqNullOnAbsentField", {Cmp("email", Op::kEq, N())}, {}, true, ""},
        WhenCase{"EqNullOnValue", {Cmp("email", Op::kEq, N())}, {{"email", T("a@x.example")}},
                 false, "email == NULL is false"},
        // The empty string is not NULL.
        WhenCase{"EqNullOnEmptyText", {Cmp("email", Op::kEq, N())}, {{"email", T("")}}, false,
                 "email == NULL is false"},
        WhenCase{"NeNullOnValue", {Cmp("email", Op::kNe, N())}, {{"email", T("a@x.example")}},
                 true, ""},
        WhenCase{"NeNullOnNull", {Cmp("email", Op::kNe, N())}, {{"email", N()}}, false,
                 "email != NULL is false"},
        // A NULL field never equals, nor orders against, a literal.
        WhenCase{"NullFieldEqText", {Cmp("status", Op::kEq, T("approved"))}, {}, false,
                 "status == approved is false"},
        WhenCase{"NullFieldNeText", {Cmp("status", Op::kNe, T("approved"))},
                 {{"status", N()}}, true, ""},
        WhenCase{"NullFieldLtNumber", {Cmp("amount", Op::kLt, I(100))}, {{"amount", N()}},
                 false, "amount < 100 is false"},
        WhenCase{"NullFieldGeNumber", {Cmp("amount", Op::kGe, I(100))}, {{"amount", N()}},
                 false, "amount >= 100 is false"}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    AllOf, WhenTable,
    ::testing::Values(
        WhenCase{"EmptyPasses", {}, {{"status", T("x")}}, true, ""},
        WhenCase{"BothHold",
                 {Cmp("status", Op::kEq, T("approved")), Cmp("amount", Op::kGe, I(100))},
                 {{"status", T("approved")}, {"amount", T("150.00")}}, true, ""},
        WhenCase{"SecondFailsAndIsNamed",
                 {Cmp("status", Op::kEq, T("approved")), Cmp("amount", Op::kGe, I(100))},
                 {{"status", T("approved")}, {"amount", T("99.99")}}, false,
                 "amount >= 100 is false"},
        WhenCase{"FirstFailureIsReported",
                 {Cmp("status", Op::kEq, T("approved")), Cmp("amount", Op::kGe, I(100))},
                 {{"status", T("draft")}, {"amount", T("99.99")}}, false,
                 "status == approved is false"},
        WhenCase{"ThreeWithNullTest",
                 {Cmp("status", Op::kNe, T("void")), Cmp("amount", Op::kGt, R(0.5)),
                  Cmp("email", Op::kNe, N())},
                 {{"status", T("approved")}, {"amount", T("0.51")}, {"email", N()}}, false,
                 "email != NULL is false"},
        WhenCase{"SameFieldRange",
                 {Cmp("amount", Op::kGe, I(10)), Cmp("amount", Op::kLt, I(20))},
                 {{"amount", T("20.00")}}, false, "amount < 20 is false"}),
    [](const auto& info) { return info.param.name; });

// The filter as a user writes it in concord.yaml, through the config loader: the literal 100.5
// must compare exactly with the decimal text "100.50", and the text filter byte-wise.
class WhenFromConfig : public ::testing::Test {
 protected:
  WhenSpec Load(const std::string& when_text) {
    std::string yaml = R"(version: 1
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  order:
    key: number
    fields:
      number: {type: string, required: true}
      amount: {type: decimal, scale: 2}
      status: {type: string}
bindings:
  crm.order:
    table: orders
    key: order_no
    fields: {number: order_no, amount: amount, status: status}
  erp.order:
    table: sales_orders
    key: so_no
    fields: {number: so_no, amount: total, status: status}
flows:
  - {entity: order, from: crm, to: erp, when: ")" +
                       when_text + R"("}
)";
    std::vector<ConfigError> errors;
    auto spec = LoadConfigString(yaml, "concord.yaml", "/nonexistent-dir", &errors);
    std::string all;
    for (const auto& e : errors) all += e.ToString() + "\n";
    EXPECT_TRUE(spec.ok()) << all;
    if (!spec.ok() || spec->flows.empty() || !spec->flows[0].when) return WhenSpec{};
    return *spec->flows[0].when;
  }
};

TEST_F(WhenFromConfig, DecimalLiteralAgainstDecimalText) {
  WhenSpec when = Load("amount >= 100.5 and status == 'approved'");
  ASSERT_EQ(when.all_of.size(), 2u);
  EXPECT_TRUE(EvaluateWhen(when, {{"amount", T("100.50")}, {"status", T("approved")}}).pass);
  WhenResult low = EvaluateWhen(when, {{"amount", T("100.49")}, {"status", T("approved")}});
  EXPECT_FALSE(low.pass);
  EXPECT_EQ(low.detail, "amount >= 100.5 is false");
  WhenResult wrong = EvaluateWhen(when, {{"amount", T("500.00")}, {"status", T("draft")}});
  EXPECT_FALSE(wrong.pass);
  EXPECT_EQ(wrong.detail, "status == approved is false");
}

TEST_F(WhenFromConfig, LongDecimalLiteralComparesExactly) {
  // More significant digits than a double holds: the literal keeps its decimal text
  // (WhenComparison::number), so nothing is rounded before CompareDecimal.
  WhenSpec when = Load("amount >= 12345678901234567.01");
  ASSERT_EQ(when.all_of.size(), 1u);
  WhenResult r = EvaluateWhen(when, {{"amount", T("12345678901234567.01")}});
  EXPECT_TRUE(r.pass) << r.detail;
  EXPECT_FALSE(EvaluateWhen(when, {{"amount", T("12345678901234567.00")}}).pass);
}

}  // namespace
}  // namespace concord

// FlowExpressions: a flow's Lua, loaded through the config loader as a user writes it.
namespace concord {
namespace {

constexpr const char* kLuaConfig = R"yaml(version: 1
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true}
      first: string
      last: string
      full_name: string
      grade: {type: enum, values: [A, B, C, D]}
      credit_limit: {type: decimal, scale: 2}
      phone: {type: phone, region: CN, personal: true}
    rules:
      - {name: credit_ok, check: "credit_limit >= 0 or grade == 'D'", message: "credit limit below 0"}
      - {name: phone_known, check: "phone ~= nil or grade == 'C'"}
      - {name: erp_only, check: "credit_limit == nil or credit_limit < 1e6"}
bindings:
  crm.customer:
    table: accounts
    key: code
    fields: {code: code, first: first, last: last, grade: grade, credit_limit: lim, phone: tel}
  erp.customer:
    table: customers
    key: code
    fields: {code: code, full_name: name, grade: grade, credit_limit: lim, phone: tel}
flows:
  - entity: customer
    from: crm
    to: erp
    owns: [grade, phone]
    when: "grade ~= 'A' or credit_limit > 100"
    computed: {full_name: "first .. ' ' .. string.upper(last)"}
)yaml";

class FlowExpressionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ConfigError> errors;
    auto spec = LoadConfigString(kLuaConfig, "t.yaml", "/srv", &errors);
    ASSERT_TRUE(spec.ok()) << (errors.empty() ? spec.status().ToString() : errors[0].ToString());
    spec_ = std::move(*spec);
    const FlowSpec& flow = spec_.flows[0];
    // The flow carries grade and phone (owns) plus full_name (computed) and the key; it does not
    // carry credit_limit, so rules reading it are not checked here.
    std::set<std::string> carried = {"code", "grade", "phone", "full_name"};
    auto x = FlowExpressions::Compile(flow, spec_.entities.at("customer"), carried);
    ASSERT_TRUE(x.ok()) << x.status().ToString();
    x_ = std::move(*x);
  }
  ConfigSpec spec_;
  std::unique_ptr<FlowExpressions> x_;
};

TEST_F(FlowExpressionsTest, RulesOnlyWhereTheFlowCarriesTheirFields) {
  EXPECT_EQ(x_->rule_names(), std::vector<std::string>{"phone_known"});
  auto all = FlowExpressions::Compile(
      spec_.flows[0], spec_.entities.at("customer"),
      {"code", "grade", "phone", "full_name", "credit_limit"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)->rule_names(),
            (std::vector<std::string>{"credit_ok", "phone_known", "erp_only"}));
  Record r = {{"code", T("C1")}, {"grade", T("B")}, {"credit_limit", T("-5.00")},
              {"phone", T("+8613812345678")}};
  auto issues = (*all)->CheckRules(r);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].ToString(),
            "field credit_limit, grade: credit limit below 0: credit_limit \"-5.00\", grade \"B\" "
            "(rule credit_ok); hint: the check is credit_limit >= 0 or grade == 'D'; fix the "
            "record in the source system");
  r["grade"] = T("D");
  EXPECT_TRUE((*all)->CheckRules(r).empty());
}

TEST_F(FlowExpressionsTest, RuleFailureMasksPersonalValuesAndNamesErrors) {
  Record r = {{"code", T("C1")}, {"grade", T("B")}, {"phone", N()}};
  auto issues = x_->CheckRules(r);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].rule, "phone_known");
  EXPECT_EQ(issues[0].field, "phone, grade");
  EXPECT_EQ(issues[0].message, "rule phone_known is false: phone NULL, grade \"B\"");
  r["phone"] = T("+8613812345678");
  EXPECT_TRUE(x_->CheckRules(r).empty());

  // A rule that fails with an error is an issue carrying the error, flow and expression named.
  auto all = FlowExpressions::Compile(spec_.flows[0], spec_.entities.at("customer"),
                                      {"code", "grade", "credit_limit"});
  ASSERT_TRUE(all.ok());
  issues = (*all)->CheckRules({{"code", T("C1")}, {"grade", T("B")}, {"credit_limit", N()}});
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].rule, "credit_ok");
  EXPECT_EQ(issues[0].message,
            "flow customer:crm->erp, rule credit_ok \"credit_limit >= 0 or grade == 'D'\": "
            "attempt to compare number with nil");
}

TEST_F(FlowExpressionsTest, LuaWhen) {
  auto w = x_->When({{"grade", T("B")}, {"credit_limit", T("5.00")}});
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->pass);
  w = x_->When({{"grade", T("A")}, {"credit_limit", T("100.00")}});
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->pass);
  EXPECT_EQ(w->detail, "grade ~= 'A' or credit_limit > 100 is false");
  w = x_->When({{"grade", T("A")}, {"credit_limit", T("100.01")}});
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->pass);
  // A NULL compared with > is an error for the caller to send to the DLQ, never a silent skip.
  w = x_->When({{"grade", T("A")}, {"credit_limit", N()}});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("flow customer:crm->erp, when "), std::string::npos);
}

TEST_F(FlowExpressionsTest, ComputedFieldsAreNormalized) {
  Record r = {{"first", T("Li")}, {"last", T("wei")}};
  EXPECT_TRUE(x_->ApplyComputed(&r).empty());
  EXPECT_EQ(r["full_name"], T("Li WEI"));
  r.erase("last");  // nil .. string is a Lua error: an issue, the field left NULL
  auto issues = x_->ApplyComputed(&r);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].field, "full_name");
  EXPECT_EQ(issues[0].rule, "computed");
  EXPECT_NE(issues[0].message.find("bad argument #1 to 'upper' (string expected, got nil)"), std::string::npos)
      << issues[0].message;
  EXPECT_TRUE(r["full_name"].is_null());
}

}  // namespace
}  // namespace concord
