// Evaluates a flow's `when:` filter on a canonical record, and runs the flow's Lua expressions.
//
// EvaluateWhen: the comparison form. Comparisons of a field with a literal, all of which must hold. Numbers compare numerically and
// exactly (decimals as text through CompareDecimal), text compares byte-wise, `== null` / `!= null`
// test for NULL. A comparison that cannot be made (a text field against a number literal, a NULL
// with `<`) is false — the record is not sent — and the reason is returned for the log.
// Pure; thread-safe.
//
// FlowExpressions: the Lua side of one flow — a `when:` the comparison form does not cover, the
// entity's `rules:`, the flow's `computed:` fields — compiled once into one sandbox
// (rules/lua_sandbox.h) when the flow is set up. Not thread-safe: one per FlowRunner.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/spec.h"
#include "core/status.h"
#include "core/value.h"
#include "quality/normalize.h"
#include "rules/lua_sandbox.h"

namespace concord {

struct WhenResult {
  bool pass = true;
  std::string detail;  // which comparison failed and why; empty when pass
};

WhenResult EvaluateWhen(const WhenSpec& when, const Record& record);

class FlowExpressions {
 public:
  // Compiles the flow's Lua expressions. `carried`: the fields a record of this flow carries; a
  // rule that reads any other field is not checked on this flow (it would only see nil there).
  // InvalidArgument when an expression does not compile (the config loader refuses those first).
  static Result<std::unique_ptr<FlowExpressions>> Compile(const FlowSpec& flow,
                                                          const EntitySpec& entity,
                                                          const std::set<std::string>& carried,
                                                          LuaLimits limits = {});

  // The rules this flow checks, by name (for tests and the log).
  std::vector<std::string> rule_names() const;

  // Sets each computed field on `record` (in file order, each seeing the ones before), normalized
  // to the field's type. One issue (rule "computed") per expression that fails or whose value the
  // type refuses; the field is then left NULL.
  std::vector<FieldIssue> ApplyComputed(Record* record);

  // Checks the rules on a record that passed the field rules. One issue per rule that is false
  // or nil — rule: its name; field: the fields it reads; message: its message and those fields'
  // values (masked where personal); hint: the check — or that fails with an error (the error).
  std::vector<FieldIssue> CheckRules(const Record& record);

  // A Lua `when:` (flow.when->lua): pass, or not with the detail for the log. InvalidArgument
  // when the expression fails on this record (the caller sends the record to the DLQ).
  Result<WhenResult> When(const Record& record);

 private:
  FlowExpressions() = default;
  const FlowSpec* flow_ = nullptr;
  const EntitySpec* entity_ = nullptr;
  std::unique_ptr<LuaSandbox> lua_;
  int when_ = -1;
  std::vector<std::pair<const RuleSpec*, int>> rules_;
  std::vector<std::pair<const ComputedSpec*, int>> computed_;
};

}  // namespace concord
