#include "engine/when_filter.h"

namespace concord {
namespace {

// The value as decimal text when it is a number (Int, Real, or Text that reads as a decimal).
bool AsNumberText(const Value& v, std::string* out) {
  switch (v.kind()) {
    case ValueKind::kInt:
    case ValueKind::kReal:
      *out = v.ToString();
      return true;
    case ValueKind::kText:
      if (CompareDecimal(v.text(), "0").ok()) {
        *out = v.text();
        return true;
      }
      return false;
    default:
      return false;
  }
}

std::string_view OpText(WhenComparison::Op op) {
  switch (op) {
    case WhenComparison::Op::kEq: return "==";
    case WhenComparison::Op::kNe: return "!=";
    case WhenComparison::Op::kLt: return "<";
    case WhenComparison::Op::kLe: return "<=";
    case WhenComparison::Op::kGt: return ">";
    case WhenComparison::Op::kGe: return ">=";
  }
  return "?";
}

bool Holds(WhenComparison::Op op, int cmp) {
  switch (op) {
    case WhenComparison::Op::kEq: return cmp == 0;
    case WhenComparison::Op::kNe: return cmp != 0;
    case WhenComparison::Op::kLt: return cmp < 0;
    case WhenComparison::Op::kLe: return cmp <= 0;
    case WhenComparison::Op::kGt: return cmp > 0;
    case WhenComparison::Op::kGe: return cmp >= 0;
  }
  return false;
}

}  // namespace

WhenResult EvaluateWhen(const WhenSpec& when, const Record& record) {
  for (const WhenComparison& c : when.all_of) {
    auto it = record.find(c.field);
    Value v = it == record.end() ? Value::Null() : it->second;
    std::string what = c.field + " " + std::string(OpText(c.op)) + " " +
                       (c.number.empty() ? c.literal.ToString() : c.number);
    bool pass = false;
    if (c.literal.is_null() || v.is_null()) {
      bool both_null = c.literal.is_null() && v.is_null();
      if (c.op == WhenComparison::Op::kEq) pass = both_null;
      else if (c.op == WhenComparison::Op::kNe) pass = !both_null;
      else pass = false;
    } else if (c.literal.kind() == ValueKind::kText) {
      if (v.kind() == ValueKind::kText) {
        int cmp = v.text().compare(c.literal.text());
        pass = Holds(c.op, cmp < 0 ? -1 : (cmp > 0 ? 1 : 0));
      } else {
        std::string text = v.ToString();
        int cmp = text.compare(c.literal.text());
        pass = Holds(c.op, cmp < 0 ? -1 : (cmp > 0 ? 1 : 0));
      }
    } else {
      std::string a, b;
      bool literal_ok = !c.number.empty() ? (b = c.number, true) : AsNumberText(c.literal, &b);
      if (AsNumberText(v, &a) && literal_ok) {
        auto cmp = CompareDecimal(a, b);
        pass = cmp.ok() && Holds(c.op, *cmp);
      } else {
        return {false, what + ": " + c.field + " is not a number"};
      }
    }
    if (!pass) return {false, what + " is false"};
  }
  return {};
}

Result<std::unique_ptr<FlowExpressions>> FlowExpressions::Compile(
    const FlowSpec& flow, const EntitySpec& entity, const std::set<std::string>& carried,
    LuaLimits limits) {
  std::unique_ptr<FlowExpressions> out(new FlowExpressions());
  out->flow_ = &flow;
  out->entity_ = &entity;
  ASSIGN_OR_RETURN(out->lua_, LuaSandbox::Create("flow " + flow.Id(), &entity, limits));
  if (flow.when && flow.when->lua) {
    ASSIGN_OR_RETURN(out->when_, out->lua_->Compile("when", flow.when->text));
  }
  for (const RuleSpec& rule : entity.rules) {
    bool readable = true;
    for (const auto& f : rule.fields) readable = readable && carried.count(f) > 0;
    if (!readable) continue;
    ASSIGN_OR_RETURN(int h, out->lua_->Compile("rule " + rule.name, rule.check));
    out->rules_.emplace_back(&rule, h);
  }
  for (const ComputedSpec& c : flow.computed) {
    ASSIGN_OR_RETURN(int h, out->lua_->Compile("computed " + c.field, c.expression));
    out->computed_.emplace_back(&c, h);
  }
  return out;
}

std::vector<std::string> FlowExpressions::rule_names() const {
  std::vector<std::string> out;
  for (const auto& [rule, h] : rules_) out.push_back(rule->name);
  return out;
}

std::vector<FieldIssue> FlowExpressions::ApplyComputed(Record* record) {
  std::vector<FieldIssue> issues;
  for (const auto& [c, h] : computed_) {
    const FieldSpec* field = entity_->Field(c->field);
    Result<Value> v = lua_->Evaluate(h, *record);
    if (v.ok() && field != nullptr) v = NormalizeValue(*field, *v);
    if (!v.ok()) {
      (*record)[c->field] = Value::Null();
      issues.push_back({c->field, "computed", v.status().message(),
                        "fix the expression, or the record it reads: " + c->expression});
      continue;
    }
    (*record)[c->field] = std::move(*v);
  }
  return issues;
}

std::vector<FieldIssue> FlowExpressions::CheckRules(const Record& record) {
  std::vector<FieldIssue> issues;
  for (const auto& [rule, h] : rules_) {
    Result<bool> pass = lua_->Test(h, record);
    if (pass.ok() && *pass) continue;
    std::string fields, values;
    for (const auto& name : rule->fields) {
      fields += (fields.empty() ? "" : ", ") + name;
      const FieldSpec* f = entity_->Field(name);
      auto it = record.find(name);
      Value v = it == record.end() ? Value::Null() : it->second;
      values += (values.empty() ? "" : ", ") + name + " " +
                (f != nullptr && !v.is_null() ? DisplayValue(*f, v) : v.ToString());
    }
    if (!pass.ok()) {
      issues.push_back({fields, rule->name, pass.status().message(),
                        "make the check hold for such records, e.g. test for nil first"});
      continue;
    }
    std::string message = rule->message.empty() ? "rule " + rule->name + " is false"
                                                : rule->message;
    issues.push_back({fields, rule->name, message + ": " + values,
                      "the check is " + rule->check + "; fix the record in the source system"});
  }
  return issues;
}

Result<WhenResult> FlowExpressions::When(const Record& record) {
  if (when_ < 0) return WhenResult{};
  ASSIGN_OR_RETURN(bool pass, lua_->Test(when_, record));
  if (pass) return WhenResult{};
  return WhenResult{false, flow_->when->text + " is false"};
}

}  // namespace concord
