// `concord check --repair`: turns a check's differences into writes that make the two systems
// agree, following the flows — never around them.
//
// A difference is repaired by running the record through the flow that carries the differing
// fields (FlowRunner::RetryKeys): the flow re-reads the source row as it is now, maps it, honours
// `owns`, conflicts, references and the DLQ exactly as sync does, writes the target, and records
// the write in the audit log (outcome "repair:<outcome>"). So a repair can never do what sync
// would not do, and there is one code path that writes. A field that both directions carry is
// repaired from the system named by `prefer` (else it is left, with the reason, in the plan).
//
// Threading: one thread; uses the engine's runners.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"
#include "reconcile/check.h"

namespace concord {

struct RepairAction {
  enum class Op { kCreate, kUpdate, kDelete };
  Op op = Op::kUpdate;
  std::string flow;         // the flow that writes ("customer:crm->erp")
  std::string target;       // the system written
  std::string source_key;   // the flow's source key (encoded), handed to RetryKeys
  std::string key_display;  // the canonical key for people
  std::vector<FieldDifference> fields;  // kUpdate: field, target's value now → source's value
};

struct RepairPlan {
  std::vector<RepairAction> actions;
  std::vector<std::string> skipped;  // "C020 phone: both flows carry it; pass --prefer crm|erp"
};

// The plan for `report`. `prefer` ("" for none) names the system that wins fields both directions
// carry.
Result<RepairPlan> PlanRepair(const ConfigSpec& spec, const MapperSet& mappers,
                              StateStore* state, const CheckReport& report,
                              const std::string& prefer);

// Applies `plan` through the engine's flow runners; returns how many actions ended in each
// outcome ("applied", "unchanged", "dlq", "conflict", ...).
Result<std::map<std::string, int64_t>> ApplyRepair(Engine* engine, const RepairPlan& plan);

std::string RepairPlanText(const RepairPlan& plan);

}  // namespace concord
