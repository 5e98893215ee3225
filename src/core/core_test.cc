#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/change.h"
#include "core/civil_date.h"
#include "core/hash.h"
#include "core/page_size.h"
#include "core/row_buckets.h"
#include "core/status.h"
#include "core/value.h"

namespace concord {
namespace {

TEST(CivilDateTest, DaysRoundTripAndOnlyRealDatesAreValid) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 1, 1), 10957);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  for (int64_t d = DaysFromCivil(1, 1, 1); d <= DaysFromCivil(9999, 12, 31); d += 997) {
    const CivilDate c = CivilFromDays(d);
    ASSERT_TRUE(IsValidDate(c.year, c.month, c.day)) << d;
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), d);
  }
  EXPECT_TRUE(IsValidDate(2024, 2, 29));
  EXPECT_TRUE(IsValidDate(2000, 2, 29));
  EXPECT_FALSE(IsValidDate(1900, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 4, 31));
  EXPECT_FALSE(IsValidDate(0, 1, 1));
  EXPECT_FALSE(IsValidDate(10000, 1, 1));
}

TEST(StatusTest, RetryableIsDecidedByCode) {
  EXPECT_TRUE(Unavailable("locked").IsRetryable());
  EXPECT_TRUE(Status(Code::kDeadlineExceeded, "t").IsRetryable());
  EXPECT_FALSE(InvalidArgument("bad").IsRetryable());
  EXPECT_FALSE(NotFound("x").IsRetryable());
  EXPECT_FALSE(Status::Ok().IsRetryable());
}

TEST(StatusTest, ContextPrefixesMessage) {
  Status s = NotFound("no such column \"nme\"").WithContext("crm.accounts");
  EXPECT_EQ(s.ToString(), "NotFound: crm.accounts: no such column \"nme\"");
}

TEST(KeyTest, EncodeDecodeRoundTrip) {
  struct Case {
    Key key;
    std::string text;
  };
  std::vector<Case> cases = {
      {{Value::Text("C001")}, "[\"C001\"]"},
      {{Value::Int(17), Value::Text("A")}, "[17,\"A\"]"},
      {{Value::Text("引号\"; DROP")}, "[\"引号\\\"; DROP\"]"},
      {{Value::Null()}, "[null]"},
      {{Value::Real(1.5)}, "[1.5]"},
      {{Value::Blob(std::string("\x00\xff", 2)), Value::Int(7)}, "[{\"hex\":\"00ff\"},7]"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(EncodeKey(c.key), c.text);
    auto back = DecodeKey(c.text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, c.key) << c.text;
  }
  EXPECT_FALSE(DecodeKey("C001").ok());
  EXPECT_FALSE(DecodeKey("[{\"hex\":\"0g\"}]").ok());
  auto big = DecodeKey("[18446744073709551615]");  // above INT64_MAX: a real, not a wrap-around
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)[0].kind(), ValueKind::kReal);
  EXPECT_EQ(KeyForDisplay("[17,\"A\"]"), "17|A");
}

// ToJson spells plain text itself and leaves the rest to nlohmann: every ASCII character, one
// each side of the shortcut, spelled as nlohmann spells it.
TEST(KeyTest, TextToJsonIsNlohmannsSpelling) {
  for (int c = 0; c < 128; ++c) {
    const std::string text = std::string("k") + static_cast<char>(c) + "1";
    EXPECT_EQ(Value::Text(text).ToJson(),
              nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        << "character " << c;
  }
  EXPECT_EQ(Value::Text("").ToJson(), "\"\"");
  EXPECT_EQ(Value::Text("客户 C-1").ToJson(), "\"客户 C-1\"");
}

TEST(HashTest, KindIsPartOfTheHash) {
  EXPECT_NE(HashValue(Value::Null()), HashValue(Value::Text("")));
  EXPECT_NE(HashValue(Value::Int(1)), HashValue(Value::Text("1")));
  EXPECT_EQ(HashValue(Value::Text("a")), HashValue(Value::Text("a")));
  EXPECT_EQ(HashHex(0x1f), "000000000000001f");
}

// Databases sum row hashes exactly (numeric, DECIMAL); reduced modulo 2^64 they must equal
// concord's wrapping sum of the same values.
TEST(RowBucketsTest, ExactSumsWrapLikeConcordsOwn) {
  EXPECT_EQ(WrapToUint64("42"), 42u);
  EXPECT_EQ(WrapToUint64("+42"), 42u);
  EXPECT_EQ(WrapToUint64("-1"), UINT64_MAX);
  EXPECT_EQ(WrapToUint64("18446744073709551621"), 5u);  // 2^64 + 5
  uint64_t a = 0x8000000000000000ULL, b = 0x8000000000000003ULL;
  EXPECT_EQ(WrapToUint64("18446744073709551619"), a + b);  // their exact sum
  EXPECT_EQ(WrapToUint64("-9223372036854775808"), static_cast<uint64_t>(INT64_MIN));
  EXPECT_EQ(WrapToUint64(""), 0u);
}

TEST(PageSizeTest, GrowsOnFastFullPagesShrinksOnSlowOnesWithinBounds) {
  PageSize page(2000, 500, 16000, 200);
  EXPECT_EQ(page.rows(), 2000u);
  page.Took(2000, 10);  // full and fast: double
  EXPECT_EQ(page.rows(), 4000u);
  page.Took(1000, 10);  // the table's tail: says nothing
  EXPECT_EQ(page.rows(), 4000u);
  page.Took(4000, 100);  // within the target: keep
  EXPECT_EQ(page.rows(), 4000u);
  for (int i = 0; i < 5; ++i) page.Took(page.rows(), 1);
  EXPECT_EQ(page.rows(), 16000u);  // capped
  page.Took(16000, 401);           // over twice the target: halve
  EXPECT_EQ(page.rows(), 8000u);
  for (int i = 0; i < 10; ++i) page.Took(page.rows(), 5000);
  EXPECT_EQ(page.rows(), 500u);  // floored
  EXPECT_EQ(PageSize(10, 500, 16000, 200).rows(), 500u);
}

}  // namespace
}  // namespace concord
