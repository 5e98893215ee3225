// Engine helpers that need no database: the parents-first order of flows, and the backoff used
// for transient failures.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/backoff.h"
#include "engine/engine.h"

namespace concord {
namespace {

// --- OrderFlowsParentsFirst ---

// An entity whose fields reference `parents` (by entity name).
EntitySpec Entity(const std::string& name, const std::vector<std::string>& parents = {}) {
  EntitySpec e;
  e.name = name;
  e.key = {"id"};
  FieldSpec id;
  id.name = "id";
  e.fields.push_back(id);
  for (const auto& p : parents) {
    FieldSpec ref;
    ref.name = p + "_ref";
    ref.type = FieldType::kReference;
    ref.entity = p;
    e.fields.push_back(ref);
  }
  return e;
}

FlowSpec Flow(const std::string& entity, const std::string& from = "crm",
              const std::string& to = "erp") {
  FlowSpec f;
  f.entity = entity;
  f.from = from;
  f.to = to;
  return f;
}

std::vector<std::string> Ids(const std::vector<const FlowSpec*>& flows) {
  std::vector<std::string> out;
  for (const FlowSpec* f : flows) out.push_back(f->Id());
  return out;
}

using Ids_ = std::vector<std::string>;

TEST(OrderFlowsParentsFirst, ChildDeclaredFirstRunsAfterItsParent) {
  ConfigSpec spec;
  spec.entities["customer"] = Entity("customer");
  spec.entities["order"] = Entity("order", {"customer"});
  spec.flows = {Flow("order"), Flow("customer")};
  EXPECT_EQ(Ids(OrderFlowsParentsFirst(spec)),
            (Ids_{"customer:crm->erp", "order:crm->erp"}));
}

TEST(OrderFlowsParentsFirst, ThreeLevelsAndTwoParents) {
  ConfigSpec spec;
  spec.entities["customer"] = Entity("customer");
  spec.entities["product"] = Entity("product");
  spec.entities["order"] = Entity("order", {"customer"});
  spec.entities["order_line"] = Entity("order_line", {"order", "product"});
  spec.flows = {Flow("order_line"), Flow("order"), Flow("product"), Flow("customer")};
  EXPECT_EQ(Ids(OrderFlowsParentsFirst(spec)),
            (Ids_{"product:crm->erp", "customer:crm->erp", "order:crm->erp",
                  "order_line:crm->erp"}));
}

TEST(OrderFlowsParentsFirst, StableWhenNothingReferences) {
  ConfigSpec spec;
  spec.entities["customer"] = Entity("customer");
  spec.entities["product"] = Entity("product");
  spec.flows = {Flow("product"), Flow("customer"), Flow("customer", "erp", "crm"),
                Flow("product", "erp", "crm")};
  EXPECT_EQ(Ids(OrderFlowsParentsFirst(spec)),
            (Ids_{"product:crm->erp", "customer:crm->erp", "customer:erp->crm",
                  "product:erp->crm"}));
}

TEST(OrderFlowsParentsFirst, StableWithinOneDepth) {
  ConfigSpec spec;
  spec.entities["customer"] = Entity("customer");
  spec.entities["product"] = Entity("product");
  spec.entities["order"] = Entity("order", {"customer"});
  spec.flows = {Flow("order", "crm", "erp"), Flow("customer", "crm", "erp"),
                Flow("order", "shop", "erp"), Flow("product", "erp", "shop"),
                Flow("customer", "erp", "crm")};
  EXPECT_EQ(Ids(OrderFlowsParentsFirst(spec)),
            (Ids_{"customer:crm->erp", "product:erp->shop", "customer:erp->crm",
                  "order:crm->erp", "order:shop->erp"}));
}

TEST(OrderFlowsParentsFirst, SelfReferenceDoesNotCount) {
  ConfigSpec spec;
  // An employee's manager is an employee: no flow can run before itself.
  spec.entities["employee"] = Entity("employee", {"employee"});
  spec.entities["customer"] = Entity("customer");
  spec.entities["ticket"] = Entity("ticket", {"employee"});
  spec.flows = {Flow("ticket"), Flow("employee"), Flow("customer")};
  EXPECT_EQ(Ids(OrderFlowsParentsFirst(spec)),
            (Ids_{"employee:crm->erp", "customer:crm->erp", "ticket:crm->erp"}));
}

TEST(OrderFlowsParentsFirst, ReferenceCycleTerminates) {
  ConfigSpec spec;
  // A customer points at its primary contact; a contact at its customer. Plus an entity that
  // hangs below the cycle.
  spec.entities["customer"] = Entity("customer", {"contact"});
  spec.entities["contact"] = Entity("contact", {"customer"});
  spec.entities["order"] = Entity("order", {"customer"});
  spec.entities["product"] = Entity("product");
  spec.flows = {Flow("order"), Flow("contact"), Flow("customer"), Flow("product")};
  std::vector<std::string> ids = Ids(OrderFlowsParentsFirst(spec));  // must return at all
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()),
            (std::set<std::string>{"order:crm->erp", "contact:crm->erp", "customer:crm->erp",
                                   "product:crm->erp"}));
  // Outside the cycle the order still holds: product (no references) first, order after
  // customer.
  EXPECT_EQ(ids.front(), "product:crm->erp");
  auto pos = [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id); };
  EXPECT_LT(pos("customer:crm->erp"), pos("order:crm->erp"));
}

TEST(OrderFlowsParentsFirst, EmptyConfig) {
  ConfigSpec spec;
  EXPECT_TRUE(OrderFlowsParentsFirst(spec).empty());
}

// --- Backoff ---

// Bounds of one delay: the base within ±20% (the jitter), truncated to whole milliseconds.
void ExpectWithinJitter(int64_t delay, int64_t base) {
  EXPECT_GE(delay, base * 8 / 10) << "base " << base;
  EXPECT_LE(delay, base * 12 / 10) << "base " << base;
}

TEST(Backoff, DoublesFromTheInitialDelay) {
  Backoff b(200, 30000);
  int64_t previous = 0;
  for (int64_t base : {200, 400, 800, 1600, 3200, 6400, 12800}) {
    int64_t d = b.NextDelayMs();
    ExpectWithinJitter(d, base);
    // Even with jitter each delay exceeds the previous: 1.2 × base < 0.8 × 2 × base.
    EXPECT_GT(d, previous);
    previous = d;
  }
  EXPECT_EQ(b.attempts(), 7);
}

TEST(Backoff, IsCappedAtMax) {
  Backoff b(200, 30000);
  for (int i = 0; i < 8; ++i) b.NextDelayMs();  // 200 .. 25600
  // From here on the base is the cap, however many attempts follow (the shift is bounded too).
  for (int i = 0; i < 100; ++i) {
    int64_t d = b.NextDelayMs();
    ExpectWithinJitter(d, 30000);
    EXPECT_LE(d, 30000) << "jitter must not push a delay past the cap";
  }
  EXPECT_EQ(b.attempts(), 108);
}

TEST(Backoff, SmallCap) {
  Backoff b(100, 250);
  ExpectWithinJitter(b.NextDelayMs(), 100);
  ExpectWithinJitter(b.NextDelayMs(), 200);
  ExpectWithinJitter(b.NextDelayMs(), 250);
  ExpectWithinJitter(b.NextDelayMs(), 250);
}

TEST(Backoff, JitterStaysWithinTwentyPercentAndVaries) {
  int64_t lo = INT64_MAX, hi = 0;
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    Backoff b(1000, 30000);
    int64_t d = b.NextDelayMs();
    ExpectWithinJitter(d, 1000);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    seen.insert(d);
  }
  // Several flows retrying one database must not retry in step: the delays spread over the
  // range (each bound below fails with probability far below 1e-100).
  EXPECT_LT(lo, 900);
  EXPECT_GT(hi, 1100);
  EXPECT_GT(seen.size(), 50u);
}

TEST(Backoff, ResetStartsOver) {
  Backoff b(200, 30000);
  for (int i = 0; i < 5; ++i) b.NextDelayMs();
  EXPECT_EQ(b.attempts(), 5);
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  ExpectWithinJitter(b.NextDelayMs(), 200);
  ExpectWithinJitter(b.NextDelayMs(), 400);
}

}  // namespace
}  // namespace concord
