#include "profile/dlq_groups.h"

#include <gtest/gtest.h>

namespace concord {
namespace {

TEST(ReasonPattern, StripsValuesKeepsTheProblem) {
  struct Case {
    const char* reason;
    const char* want;
  };
  const Case cases[] = {
      {"field phone: expected a phone number, found \"123\" (too short) (rule type)",
       "field phone: expected a phone number, found \"…\" (too short) (rule type)"},
      {"field phone: expected a phone number, found \"12\\\"3\" (too short) (rule type)",
       "field phone: expected a phone number, found \"…\" (too short) (rule type)"},
      {"field credit_limit: -5.00 is below min 0 (rule min); hint: fix the value",
       "field credit_limit: N is below min N (rule min); hint: fix the value"},
      {"field email: expected an email address, found z***@example.com (rule type)",
       "field email: expected an email address, found *** (rule type)"},
      {"field name: expected gbk text, found x'd6d0ff' (not valid gbk at byte 3) (rule encoding)",
       "field name: expected gbk text, found x'…' (not valid gbk at byte N) (rule encoding)"},
      {"field address2: 120 characters, longer than max_length 100 (rule max_length)",
       "field address2: N characters, longer than max_length N (rule max_length)"},
      {"field since: expected a date like 2023-01-31, found 01/02/2023.",
       "field since: expected a date like N, found N/N/N."},
      {"erp.customers refused the record: NOT NULL constraint failed: customers.cust_name",
       "erp.customers refused the record: NOT NULL constraint failed: customers.cust_name"},
      {"field grade: \"GOLD\" of column \"level\" is not in the value map (rule value_map)",
       "field grade: \"…\" of column \"level\" is not in the value map (rule value_map)"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(ReasonPattern(c.reason), c.want) << c.reason;
}

DlqEntry Entry(int64_t id, std::string flow, std::string rule, std::string field,
               std::string reason, int64_t first, int64_t last) {
  DlqEntry e;
  e.id = id;
  e.flow = std::move(flow);
  e.rule = std::move(rule);
  e.field = std::move(field);
  e.reason = std::move(reason);
  e.source_key = "[\"C" + std::to_string(id) + "\"]";
  e.first_seen_ms = first;
  e.last_seen_ms = last;
  return e;
}

TEST(GroupDlq, EqualProblemsGroupAcrossValuesAndFlows) {
  std::vector<DlqEntry> entries = {
      Entry(1, "customer:crm->erp", "type", "phone", "field phone: found \"12\" (too short)", 100, 150),
      Entry(2, "customer:crm->erp", "min", "credit", "field credit: -5 is below min 0", 110, 110),
      Entry(3, "customer:crm->shop", "type", "phone", "field phone: found \"99\" (too short)", 90, 300),
      Entry(4, "customer:crm->erp", "type", "phone", "field phone: found \"x\" (too long)", 120, 120),
      Entry(5, "customer:crm->erp", "type", "phone", "field phone: found \"7\" (too short)", 130, 200),
  };
  std::vector<DlqGroup> groups = GroupDlq(entries);
  ASSERT_EQ(groups.size(), 3u);
  const DlqGroup& g = groups[0];
  EXPECT_EQ(g.count, 3);
  EXPECT_EQ(g.rule, "type");
  EXPECT_EQ(g.field, "phone");
  EXPECT_EQ(g.pattern, "field phone: found \"…\" (too short)");
  EXPECT_EQ(g.oldest_ms, 90);
  EXPECT_EQ(g.newest_ms, 300);
  EXPECT_EQ(g.flows, (std::set<std::string>{"customer:crm->erp", "customer:crm->shop"}));
  EXPECT_EQ(g.example_id, 3);  // the oldest
  EXPECT_EQ(g.example_key, "C3");
  EXPECT_EQ(g.example_reason, "field phone: found \"99\" (too short)");
  EXPECT_EQ(groups[1].count + groups[2].count, 2);
  EXPECT_TRUE(GroupDlq({}).empty());
}

}  // namespace
}  // namespace concord
