// Unit tests of what a check compares (systems, fields, groups) and of its exact totals. The
// comparison itself runs against real databases in tests/e2e/check_e2e_test.cc.
#include <gtest/gtest.h>

#include "config/config.h"
#include "reconcile/amounts.h"
#include "reconcile/check_memo.h"
#include "reconcile/compared_fields.h"

namespace concord {
namespace {

ConfigSpec Load(const std::string& flows) {
  std::string yaml = R"(version: 1
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
  shop: {connector: sqlite, path: shop.db}
entities:
  customer:
    key: code
    fields:
      code:   {type: string}
      name:   {type: string}
      phone:  {type: string}
      grade:  {type: string}
      credit: {type: decimal, scale: 2, sum: true}
      opened: {type: date}
      note:   {type: string}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: name, phone: tel, grade: grade, credit: credit, opened: opened, note: note}
  erp.customer:
    table: customers
    key: code
    fields: {code: code, name: name, phone: mobile, grade: level, credit: credit_limit, opened: opened}
  shop.customer:
    table: clients
    key: id
    fields: {code: id, name: name}
)" + flows;
  std::vector<ConfigError> errors;
  auto spec = LoadConfigString(yaml, "concord.yaml", "/nonexistent", &errors);
  for (const auto& e : errors) ADD_FAILURE() << e.ToString();
  return spec.ok() ? std::move(spec).value() : ConfigSpec();
}

std::set<std::string> Compared(const ConfigSpec& spec, const std::string& l, const std::string& r,
                               const std::vector<std::string>& only = {}) {
  BindingMapper left(spec.entities.at("customer"), spec.bindings.at(l + ".customer"));
  BindingMapper right(spec.entities.at("customer"), spec.bindings.at(r + ".customer"));
  auto out = ComparedFields(spec, spec.entities.at("customer"), left, right, only);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::set<std::string>();
}

TEST(ComparedFields, WhatTheFlowsCarryBothWaysPlusTheKey) {
  ConfigSpec spec = Load(R"(flows:
  - {entity: customer, from: crm, to: erp, owns: [name, phone]}
  - {entity: customer, from: erp, to: crm, owns: [credit]}
)");
  EXPECT_EQ(Compared(spec, "crm", "erp"),
            (std::set<std::string>{"code", "name", "phone", "credit"}));
  // grade and opened: both map them, no flow carries them — they may differ by design.
}

TEST(ComparedFields, WithoutOwnsEveryFieldBothMap) {
  ConfigSpec spec = Load("flows:\n  - {entity: customer, from: crm, to: erp}\n");
  EXPECT_EQ(Compared(spec, "crm", "erp"),
            (std::set<std::string>{"code", "name", "phone", "grade", "credit", "opened"}));
}

TEST(ComparedFields, NoFlowBetweenTheTwoComparesWhatBothMap) {
  ConfigSpec spec = Load("flows:\n  - {entity: customer, from: crm, to: erp}\n");
  EXPECT_EQ(Compared(spec, "crm", "shop"), (std::set<std::string>{"code", "name"}));
}

TEST(ComparedFields, OnlyNarrowsAndRefusesUnknownFields) {
  ConfigSpec spec = Load("flows:\n  - {entity: customer, from: crm, to: erp, owns: [name]}\n");
  EXPECT_EQ(Compared(spec, "crm", "erp", {"name"}), (std::set<std::string>{"code", "name"}));
  BindingMapper left(spec.entities.at("customer"), spec.bindings.at("crm.customer"));
  BindingMapper right(spec.entities.at("customer"), spec.bindings.at("erp.customer"));
  auto bad = ComparedFields(spec, spec.entities.at("customer"), left, right, {"nme"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("did you mean \"name\""), std::string::npos)
      << bad.status().message();
}

TEST(ChooseSystems, DefaultIsTheFirstFlowAndNamesAreChecked) {
  ConfigSpec spec = Load("flows:\n  - {entity: customer, from: erp, to: crm}\n");
  auto pair = ChooseSystems(spec, "customer", "", "");
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(*pair, (std::pair<std::string, std::string>{"erp", "crm"}));
  auto typo = ChooseSystems(spec, "customer", "crn", "erp");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean \"crm\""), std::string::npos);
  EXPECT_FALSE(ChooseSystems(spec, "customer", "crm", "crm").ok());
  EXPECT_FALSE(ChooseSystems(spec, "customer", "crm", "").ok());
}

TEST(GroupBy, FieldOrMonthOfADate) {
  ConfigSpec spec = Load("");
  const EntitySpec& e = spec.entities.at("customer");
  BindingMapper left(e, spec.bindings.at("crm.customer"));
  BindingMapper right(e, spec.bindings.at("erp.customer"));
  auto by = ParseGroupBy(e, left, right, "opened:month");
  ASSERT_TRUE(by.ok()) << by.status().ToString();
  EXPECT_EQ(GroupValue(*by, {{"opened", Value::Text("2026-03-31")}}), "2026-03");
  EXPECT_EQ(GroupValue(*by, {}), "NULL");
  EXPECT_FALSE(ParseGroupBy(e, left, right, "grade:month").ok());  // not a date
  EXPECT_FALSE(ParseGroupBy(e, left, right, "opened:week").ok());
  EXPECT_FALSE(ParseGroupBy(e, left, right, "note").ok());  // erp does not map it
}

TEST(Amounts, ExactAtTheFieldScale) {
  ConfigSpec spec = Load("");
  const EntitySpec& e = spec.entities.at("customer");
  AmountSums sums;
  SideTotals totals;
  for (const char* v : {"0.10", "0.20", "-0.05", "12345678901234567.89", "1e3"}) {
    AddAmounts(e, {{"credit", Value::Text(v)}}, &totals, &sums);
  }
  AddAmounts(e, {{"credit", Value::Null()}}, &totals, &sums);
  AddAmounts(e, {{"credit", Value::Int(7)}}, &totals, &sums);
  FinishAmounts(e, sums, &totals);
  // 0.10 + 0.20 - 0.05 + 12345678901234567.89 + 7 = 12345678901234575.14; "1e3" is not canonical.
  EXPECT_EQ(totals.sums["credit"], "12345678901234575.14");
  EXPECT_EQ(sums["credit"].invalid, 1);
}

TEST(Amounts, NegativeTotalsAndFieldsTheSideDoesNotMap) {
  ConfigSpec spec = Load("");
  const EntitySpec& e = spec.entities.at("customer");
  AmountSums sums;
  SideTotals totals;
  AddAmounts(e, {{"credit", Value::Text("-0.01")}}, &totals, &sums);
  AddAmounts(e, {{"name", Value::Text("x")}}, &totals, &sums);  // no credit: nothing added
  FinishAmounts(e, sums, &totals);
  EXPECT_EQ(totals.sums["credit"], "-0.01");
}

// A bucket comes back with its entries and sums; its rows' system keys only when asked for
// (DecodeMemoBucketKeys), byte for byte; anything else is DataLoss (the memo is rebuilt).
TEST(CheckMemo, BucketAndItsKeysRoundTrip) {
  MemoBucket b;
  b.raw = {3, 11, 22};
  b.reusable = false;
  b.entries = {{1, 2, 0}, {3, 4, 5}};
  const std::vector<std::string> keys_in = {"[\"C1\"]", "", "[\"\x1f\xe4\xb8\xad\"]", "[17]"};
  for (const std::string& k : keys_in) b.AddSystemKey(k);
  const std::string bytes = EncodeMemoBucket(b);
  auto back = DecodeMemoBucket(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->raw, b.raw);
  EXPECT_FALSE(back->reusable);
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries[1].xref, 5u);
  EXPECT_TRUE(back->system_keys.empty());
  auto keys = DecodeMemoBucketKeys(bytes);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(*keys, keys_in);
  for (std::string bad : {bytes.substr(0, bytes.size() - 1), bytes + "x", std::string()}) {
    EXPECT_EQ(DecodeMemoBucket(bad).status().code(), Code::kDataLoss);
    EXPECT_EQ(DecodeMemoBucketKeys(bad).status().code(), Code::kDataLoss);
  }
}

// A side's totals come back from the memo exactly as written; anything else is DataLoss (the
// check then summarizes by bucket instead of trusting them).
TEST(CheckMemo, TotalsRoundTripAndRefuseOtherBytes) {
  MemoTotals t;
  t.raw = {1000000, 0xfedcba9876543210ULL, 7};
  t.complete = false;
  t.changed = true;
  t.rows = 999999;
  t.digest = 0x0123456789abcdefULL;
  t.sums["credit"] = {static_cast<__int128>(-12345) << 70, true, 3};
  auto back = DecodeMemoTotals(EncodeMemoTotals(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->raw, t.raw);
  EXPECT_EQ(back->complete, false);
  EXPECT_EQ(back->changed, true);
  EXPECT_EQ(back->rows, t.rows);
  EXPECT_EQ(back->digest, t.digest);
  ASSERT_EQ(back->sums.count("credit"), 1u);
  EXPECT_TRUE(back->sums["credit"].total == t.sums["credit"].total);
  EXPECT_EQ(back->sums["credit"].overflow, true);
  EXPECT_EQ(back->sums["credit"].invalid, 3);
  std::string bytes = EncodeMemoTotals(t);
  for (std::string bad : {std::string(), bytes.substr(0, bytes.size() - 1), bytes + "x",
                          EncodeMemoBucket(MemoBucket{})}) {
    auto r = DecodeMemoTotals(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kDataLoss);
  }
  // A row's digest depends on both its key hash and its row hash.
  EXPECT_NE(EntryDigest(1, 2), EntryDigest(2, 1));
  EXPECT_NE(EntryDigest(1, 2), EntryDigest(1, 3));
}

}  // namespace
}  // namespace concord
