#include "profile/field_profile.h"

#include <gtest/gtest.h>

namespace concord {
namespace {

FieldSpec Field(FieldType type, bool personal = false) {
  FieldSpec f;
  f.name = "f";
  f.type = type;
  f.personal = personal;
  return f;
}

TEST(FieldProfile, FillCountsNullEmptyAndBlankAsEmpty) {
  FieldSpec f = Field(FieldType::kString);
  FieldProfile p(f, "col", {});
  Value a = Value::Text("a"), empty = Value::Text(""), blank = Value::Text(" \t"),
        null = Value::Null(), zero = Value::Int(0), bytes = Value::Blob("\xd6\xd0");
  for (const Value* v : {&a, &empty, &blank, &null, &zero, &bytes}) p.AddRaw(v);
  p.AddRaw(nullptr);  // the row lacks the column
  FieldSummary s = p.Summarize(10);
  EXPECT_EQ(s.rows, 7);
  EXPECT_EQ(s.filled, 3);  // "a", 0, the bytes
  EXPECT_EQ(s.column, "col");
  EXPECT_EQ(s.type, "string");
}

TEST(FieldProfile, DistinctIsExactUpToTheLimitThenEstimated) {
  FieldSpec f = Field(FieldType::kString);
  FieldProfile::Limits limits;
  limits.exact_distinct_limit = 1000;
  FieldProfile small(f, "c", limits), large(f, "c", limits);
  for (int i = 0; i < 1000; ++i) {
    small.AddCanonical(Value::Text(std::to_string(i % 600)));
    large.AddCanonical(Value::Text(std::to_string(i)));
    large.AddCanonical(Value::Text(std::to_string(i + 1000)));
  }
  small.AddCanonical(Value::Text(""));  // empty is not a value
  FieldSummary s = small.Summarize(3);
  EXPECT_TRUE(s.distinct_exact);
  EXPECT_EQ(s.distinct, 600);
  EXPECT_EQ(s.valid, 1000);
  FieldSummary l = large.Summarize(3);
  EXPECT_FALSE(l.distinct_exact);
  EXPECT_NEAR(l.distinct, 2000, 2000 * 3 * l.distinct_error);
  EXPECT_GT(l.distinct_error, 0);
}

TEST(FieldProfile, TopValuesExactWhileTheyFit) {
  FieldSpec f = Field(FieldType::kEnum);
  FieldProfile p(f, "c", {});
  for (int i = 0; i < 5; ++i) p.AddCanonical(Value::Text("A"));
  for (int i = 0; i < 3; ++i) p.AddCanonical(Value::Text("C"));
  for (int i = 0; i < 3; ++i) p.AddCanonical(Value::Text("B"));
  p.AddCanonical(Value::Text("D"));
  FieldSummary s = p.Summarize(3);
  ASSERT_EQ(s.top.size(), 3u);
  EXPECT_EQ(s.top[0].value, "A");
  EXPECT_EQ(s.top[0].count, 5);
  EXPECT_EQ(s.top[1].value, "B");  // ties by value
  EXPECT_EQ(s.top[2].value, "C");
  EXPECT_EQ(s.top_undercount, 0);
}

// Past its capacity the summary keeps the heavy hitters, each count low by at most the
// reported undercount, which is at most rows / (capacity + 1).
TEST(FieldProfile, TopValuesPastCapacityKeepTheHeavyHittersWithinTheBound) {
  FieldSpec f = Field(FieldType::kString);
  FieldProfile::Limits limits;
  limits.top_capacity = 50;
  FieldProfile p(f, "c", limits);
  int64_t rows = 0;
  for (int i = 0; i < 20000; ++i) {
    p.AddCanonical(Value::Text(i % 4 == 0 ? "heavy" : (i % 10 == 1 ? "second" : "u" + std::to_string(i))));
    ++rows;
  }
  FieldSummary s = p.Summarize(2);
  ASSERT_EQ(s.top.size(), 2u);
  EXPECT_GT(s.top_undercount, 0);
  EXPECT_LE(s.top_undercount, rows / 51);
  EXPECT_EQ(s.top[0].value, "heavy");
  EXPECT_LE(s.top[0].count, 5000);
  EXPECT_GE(s.top[0].count, 5000 - s.top_undercount);
  EXPECT_EQ(s.top[1].value, "second");
  EXPECT_GE(s.top[1].count, 2000 - s.top_undercount);
}

TEST(FieldProfile, MinMaxCompareDecimalsExactlyAndDatesAsIso) {
  FieldSpec d = Field(FieldType::kDecimal);
  d.scale = 2;
  FieldProfile dec(d, "c", {});
  for (const char* v : {"9.50", "10.00", "-0.05", "100.00", "-12.00"}) {
    dec.AddCanonical(Value::Text(v));
  }
  FieldSummary s = dec.Summarize(1);
  EXPECT_EQ(s.min, "-12.00");
  EXPECT_EQ(s.max, "100.00");

  FieldSpec t = Field(FieldType::kDate);
  FieldProfile date(t, "c", {});
  for (const char* v : {"2023-01-31", "1999-12-31", "2024-02-29"}) date.AddCanonical(Value::Text(v));
  s = date.Summarize(1);
  EXPECT_EQ(s.min, "1999-12-31");
  EXPECT_EQ(s.max, "2024-02-29");

  FieldSpec i = Field(FieldType::kInt);
  FieldProfile ints(i, "c", {});
  for (int64_t v : {7, -3, 12}) ints.AddCanonical(Value::Int(v));
  s = ints.Summarize(1);
  EXPECT_EQ(s.min, "-3");
  EXPECT_EQ(s.max, "12");

  FieldSpec str = Field(FieldType::kString);
  FieldProfile text(str, "c", {});
  text.AddCanonical(Value::Text("x"));
  EXPECT_FALSE(text.Summarize(1).min.has_value());  // no order worth reporting
}

TEST(FieldProfile, IssuesCountPerRuleWithThreeMaskedExamples) {
  FieldSpec f = Field(FieldType::kPhone, /*personal=*/true);
  FieldProfile p(f, "tel", {});
  Value raw = Value::Text("13812345");
  for (int i = 0; i < 5; ++i) {
    p.AddIssue({"f", "type", "expected a phone number", "fix it"}, "C" + std::to_string(i), &raw);
    p.AddRowFailed();
  }
  p.AddIssue({"f", "required", "required but missing", ""}, "C9", nullptr);
  p.AddRowFailed();
  FieldSummary s = p.Summarize(1);
  EXPECT_EQ(s.failing_rows, 6);
  ASSERT_EQ(s.issues.size(), 2u);
  EXPECT_EQ(s.issues[0].rule, "type");  // most frequent first
  EXPECT_EQ(s.issues[0].count, 5);
  EXPECT_EQ(s.issues[0].hint, "fix it");
  ASSERT_EQ(s.issues[0].examples.size(), 3u);
  EXPECT_EQ(s.issues[0].examples[0].key, "C0");
  EXPECT_EQ(s.issues[0].examples[0].value.find("13812345"), std::string::npos);
  EXPECT_EQ(s.issues[1].examples[0].value, "(missing)");
}

TEST(FieldProfile, PersonalValuesAreMaskedInTopAndRange) {
  FieldSpec f = Field(FieldType::kPhone, /*personal=*/true);
  FieldProfile p(f, "tel", {});
  p.AddCanonical(Value::Text("+8613812345678"));
  FieldSummary s = p.Summarize(1);
  ASSERT_EQ(s.top.size(), 1u);
  EXPECT_EQ(s.top[0].value.find("12345678"), std::string::npos) << s.top[0].value;
  EXPECT_NE(s.top[0].value.find("*"), std::string::npos) << s.top[0].value;
}

}  // namespace
}  // namespace concord
