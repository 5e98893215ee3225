#include "engine/when_filter.h"

#include "quality/normalize.h"

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

}  // namespace concord
