#include "reconcile/repair.h"

#include <algorithm>

#include <fmt/format.h>

namespace concord {
namespace {

const FlowSpec* FindFlow(const ConfigSpec& spec, const std::string& entity, const std::string& from,
                         const std::string& to) {
  for (const auto& f : spec.flows) {
    if (f.entity == entity && f.from == from && f.to == to) return &f;
  }
  return nullptr;
}

// The fields `flow` writes (as FlowRunner computes them).
std::set<std::string> Carried(const MapperSet& mappers, const FlowSpec& flow) {
  const BindingMapper& from = *mappers.at(flow.from + "." + flow.entity);
  const BindingMapper& to = *mappers.at(flow.to + "." + flow.entity);
  return CarriedFields(flow, from, to);
}

}  // namespace

Result<RepairPlan> PlanRepair(const ConfigSpec& spec, const MapperSet& mappers,
                              StateStore* state, const CheckReport& report,
                              const std::string& prefer) {
  if (!prefer.empty() && prefer != report.left && prefer != report.right) {
    return InvalidArgument(fmt::format("--prefer {}: name one of the two systems compared, {} or {}",
                                       prefer, report.left, report.right));
  }
  RepairPlan plan;
  const FlowSpec* l2r = FindFlow(spec, report.entity, report.left, report.right);
  const FlowSpec* r2l = FindFlow(spec, report.entity, report.right, report.left);
  if (l2r == nullptr && r2l == nullptr) {
    if (!report.rows.empty()) {
      plan.skipped.push_back(fmt::format(
          "no flow of {} joins {} and {}: repair writes only through flows (add one, or fix by "
          "hand)",
          report.entity, report.left, report.right));
    }
    return plan;
  }
  std::set<std::string> l2r_fields = l2r ? Carried(mappers, *l2r) : std::set<std::string>();
  std::set<std::string> r2l_fields = r2l ? Carried(mappers, *r2l) : std::set<std::string>();

  // The source key of `d` for `flow` (whose source is `from`): the key the scan saw, or the one
  // the canonical key maps to (mapped key or xref) when the row is gone there.
  auto source_key = [&](const RowDifference& d, const FlowSpec& flow) -> Result<std::string> {
    bool from_left = flow.from == report.left;
    const std::optional<Key>& seen = from_left ? d.left_key : d.right_key;
    if (seen) return EncodeKey(*seen);
    const BindingMapper& m = *mappers.at(flow.from + "." + flow.entity);
    ASSIGN_OR_RETURN(Key ck, DecodeKey(d.canonical_key));
    if (auto k = m.SystemKeyFromCanonical(ck)) return EncodeKey(*k);
    ASSIGN_OR_RETURN(auto xref, state->SystemKey(flow.entity, d.canonical_key, flow.from));
    if (xref) return *xref;
    return std::string();
  };
  auto add = [&](RepairAction::Op op, const FlowSpec& flow, const RowDifference& d,
                 std::vector<FieldDifference> fields) -> Status {
    ASSIGN_OR_RETURN(std::string key, source_key(d, flow));
    if (key.empty()) {
      plan.skipped.push_back(fmt::format("{}: no key of it is known in {}", d.key_display, flow.from));
      return Status::Ok();
    }
    plan.actions.push_back({op, flow.Id(), flow.to, key, d.key_display, std::move(fields)});
    return Status::Ok();
  };

  for (const RowDifference& d : report.rows) {
    bool only_left = d.kind == RowDifference::Kind::kMissingRight;
    bool only_right = d.kind == RowDifference::Kind::kMissingLeft;
    if (only_left || only_right) {
      // The side that has the row copies it over when a flow goes that way; otherwise the flow
      // from the side that lacks it says the row is gone: the copy is deleted.
      const FlowSpec* copy = only_left ? l2r : r2l;
      const FlowSpec* remove = only_left ? r2l : l2r;
      if (copy != nullptr && (prefer.empty() || prefer == copy->from || remove == nullptr)) {
        RETURN_IF_ERROR(add(RepairAction::Op::kCreate, *copy, d, {}));
      } else {
        RETURN_IF_ERROR(add(RepairAction::Op::kDelete, *remove, d, {}));
      }
      continue;
    }
    std::vector<FieldDifference> to_right, to_left;
    for (const FieldDifference& f : d.fields) {
      bool l = l2r_fields.count(f.field) > 0, r = r2l_fields.count(f.field) > 0;
      if (l && r) {
        if (prefer.empty()) {
          plan.skipped.push_back(fmt::format(
              "{} {}: both flows carry it; pass --prefer {}|{} to say which side wins",
              d.key_display, f.field, report.left, report.right));
          continue;
        }
        (prefer == report.left ? to_right : to_left).push_back(f);
      } else if (l) {
        to_right.push_back(f);
      } else if (r) {
        to_left.push_back(f);
      } else {
        plan.skipped.push_back(fmt::format("{} {}: no flow between {} and {} carries it",
                                           d.key_display, f.field, report.left, report.right));
      }
    }
    if (!to_right.empty()) {
      for (auto& f : to_right) std::swap(f.left, f.right);  // target's value → source's
      RETURN_IF_ERROR(add(RepairAction::Op::kUpdate, *l2r, d, std::move(to_right)));
    }
    if (!to_left.empty()) RETURN_IF_ERROR(add(RepairAction::Op::kUpdate, *r2l, d, std::move(to_left)));
  }
  return plan;
}

Result<std::map<std::string, int64_t>> ApplyRepair(Engine* engine, const RepairPlan& plan) {
  std::map<std::string, std::vector<std::string>> by_flow;
  for (const auto& a : plan.actions) by_flow[a.flow].push_back(a.source_key);
  std::map<std::string, int64_t> outcomes;
  for (auto& [flow, keys] : by_flow) {
    FlowRunner* runner = engine->FindRunner(flow);
    if (runner == nullptr) return Internal("repair: no runner for flow " + flow);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    constexpr size_t kBatch = 200;
    for (size_t at = 0; at < keys.size(); at += kBatch) {
      std::vector<std::string> batch(keys.begin() + at,
                                     keys.begin() + std::min(keys.size(), at + kBatch));
      ASSIGN_OR_RETURN(auto out, runner->RetryKeys(batch, "repair:"));
      for (const auto& [key, outcome] : out) ++outcomes[outcome];
    }
  }
  return outcomes;
}

std::string RepairPlanText(const RepairPlan& plan) {
  std::string out = fmt::format("\nrepair plan ({} action(s)):\n", plan.actions.size());
  for (const auto& a : plan.actions) {
    switch (a.op) {
      case RepairAction::Op::kCreate:
        out += fmt::format("  {:<6} create {}  (flow {})\n", a.target, a.key_display, a.flow);
        break;
      case RepairAction::Op::kDelete:
        out += fmt::format("  {:<6} delete {}  (flow {}: gone from its source)\n", a.target,
                           a.key_display, a.flow);
        break;
      case RepairAction::Op::kUpdate:
        out += fmt::format("  {:<6} update {}  (flow {})\n", a.target, a.key_display, a.flow);
        for (const auto& f : a.fields) {
          out += fmt::format("           {}: {} → {}\n", f.field, f.left, f.right);
        }
        break;
    }
  }
  for (const auto& s : plan.skipped) out += "  not repaired: " + s + "\n";
  return out;
}

}  // namespace concord
