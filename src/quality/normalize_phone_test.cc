#include <gtest/gtest.h>

#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::Bad;
using testing::MakeField;
using testing::MakeFormat;
using testing::Ok;

Value T(const char* s) { return Value::Text(s); }

FieldSpec Phone(std::string region = "CN") {
  FieldSpec f = MakeField("phone", FieldType::kPhone);
  f.region = std::move(region);
  return f;
}

const std::string kWhat = "expected a phone number, found ";

TEST(NormalizePhoneTest, ChineseDefaultRegion) {
  const std::vector<testing::NormCase> cases = {
      // Mobile numbers as CRMs, ERPs and spreadsheets hold them.
      Ok(T("+86-138-1234-5678"), T("+8613812345678")),
      Ok(T("13812345678"), T("+8613812345678")),
      Ok(T("138 1234 5678"), T("+8613812345678")),
      Ok(T("138-1234-5678"), T("+8613812345678")),
      Ok(T(" 13812345678 "), T("+8613812345678")),
      Ok(T("+86 138 1234 5678"), T("+8613812345678")),
      Ok(T("0086 138 1234 5678"), T("+8613812345678")),
      Ok(T("008613812345678"), T("+8613812345678")),
      Ok(T("8613812345678"), T("+8613812345678")),
      Ok(T("(+86) 13812345678"), T("+8613812345678")),
      Ok(T("tel:+86-138-1234-5678"), T("+8613812345678")),
      Ok(Value::Int(13812345678), T("+8613812345678")),
      // Full-width digits, plus and ideographic spaces from Chinese input methods.
      Ok(T("１３８１２３４５６７８"), T("+8613812345678")),
      Ok(T("＋８６　１３８　１２３４　５６７８"), T("+8613812345678")),
      Ok(T("１３８－１２３４－５６７８"), T("+8613812345678")),
      // Landlines with area codes, toll-free.
      Ok(T("(0755) 8888 1234"), T("+8675588881234")),
      Ok(T("0755-88881234"), T("+8675588881234")),
      Ok(T("010-12345678"), T("+861012345678")),
      Ok(T("+86 10 1234 5678"), T("+861012345678")),
      Ok(T("021-6888 1234"), T("+862168881234")),
      Ok(T("400-812-3123"), T("+864008123123")),
      // Numbers elsewhere, written with their country code.
      Ok(T("+49 30 1234567"), T("+49301234567")),
      Ok(T("+1 650-253-0000"), T("+16502530000")),
      Ok(T("+852 9123 4567"), T("+85291234567")),
      Ok(T("+886 912 345 678"), T("+886912345678")),
      Ok(T("+81 3-1234-5678"), T("+81312345678")),
      Ok(T("+65 6123 4567"), T("+6561234567")),
      Ok(T("+44 20 7946 0958"), T("+442079460958")),
      Ok(T("00 49 30 1234567"), T("+49301234567")),  // from China, 00 is the way out
      // Empty is absent (required decides), NULL stays NULL.
      Ok(T(""), T("")),
      Ok(T("   "), T("")),
      Ok(Value::Null(), Value::Null()),
      // libphonenumber's reasons, in words.
      Bad(T("123"), kWhat + "\"123\" (too short)"),
      Bad(T("abc"), kWhat + "\"abc\" (not a number)"),
      Bad(T("+999 123456"), kWhat + "\"+999 123456\" (invalid country code)"),
      Bad(T("+86 138 1234 567"), kWhat + "\"+86 138 1234 567\" (not a number in use in CN)"),
      Bad(T("12345678901234567890"), kWhat + "\"12345678901234567890\" (too long)"),
      Bad(T("95588"), kWhat + "\"95588\" (a local number without its area code)"),
      Bad(T("138 1234 5678 ext. 12"),
          kWhat + "\"138 1234 5678 ext. 12\" (it has an extension, which E.164 cannot hold)"),
      Bad(T("+"), kWhat + "\"+\" (not a number)"),
      Bad(T("+4929898126012673"), kWhat + "\"+4929898126012673\" (too long for E.164 (15 digits))"),
      Bad(Value::Int(-5), kWhat + "-5 (not a number)"),
      Bad(Value::Real(1.5), kWhat + "1.5"),
      Bad(Value::Blob("\x01"), kWhat + "x'01'"),
  };
  testing::RunCases(Phone(), cases);
}

TEST(NormalizePhoneTest, NoRegion) {
  const std::vector<testing::NormCase> cases = {
      Ok(T("+86 138 1234 5678"), T("+8613812345678")),
      Ok(T("+49 30 1234567"), T("+49301234567")),
      Bad(T("13812345678"),
          kWhat + "\"13812345678\" (invalid country code: write +<country code>, or give the "
                  "field a region)"),
  };
  testing::RunCases(Phone(""), cases);
}

TEST(NormalizePhoneTest, OtherRegions) {
  testing::RunCases(Phone("HK"), {Ok(T("9123 4567"), T("+85291234567"))});
  testing::RunCases(Phone("TW"), {Ok(T("0912-345-678"), T("+886912345678"))});
  testing::RunCases(Phone("DE"), {Ok(T("030 1234567"), T("+49301234567"))});
  testing::RunCases(Phone("US"), {Ok(T("(650) 253-0000"), T("+16502530000"))});
}

// libphonenumber strips a trunk prefix even after the country code, so "+52 1 123 1234 0078"
// formats as "+5212312340078", which it reads as another number: a canonical value must read back
// as itself, so the number is refused (found by tests/fuzz/phone_fuzzer.cc).
TEST(NormalizePhoneTest, CanonicalReadsBackAsItself) {
  for (const char* region : {"CN", ""}) {
    for (const char* raw : {"+52 1 123 1234 0078", "+52112312340078", "+86 138 1234 5678"}) {
      auto got = NormalizeValue(Phone(region), T(raw));
      if (!got.ok()) continue;
      auto again = NormalizeValue(Phone(region), *got);
      ASSERT_TRUE(again.ok()) << raw << " -> " << got->ToString();
      EXPECT_EQ(*again, *got) << raw;
    }
  }
  EXPECT_FALSE(NormalizeValue(Phone("CN"), T("+52 1 123 1234 0078")).ok());
  EXPECT_TRUE(NormalizeValue(Phone("CN"), T("+86 138 1234 5678")).ok());
}

TEST(NormalizePhoneTest, PersonalValueIsMasked) {
  FieldSpec f = Phone();
  f.personal = true;
  auto got = NormalizeValue(f, T("+86 138 1234 567"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), kWhat + "861****4567 (not a number in use in CN)");
}

struct WriteCase {
  std::string format;
  std::string canonical;
  std::string want;  // the written text, or the error message
  bool ok = true;
};

TEST(WritePhoneTest, Formats) {
  FieldSpec f = Phone();
  const std::vector<WriteCase> cases = {
      {"", "+8613812345678", "+8613812345678"},
      {"e164", "+8613812345678", "+8613812345678"},
      {"national", "+8613812345678", "138 1234 5678"},
      {"national", "+8675588881234", "0755 8888 1234"},
      {"national", "+861012345678", "010 1234 5678"},
      {"national", "+49301234567", "+49 30 1234567"},
      {"international", "+8613812345678", "+86 138 1234 5678"},
      {"international", "+49301234567", "+49 30 1234567"},
      {"138-1234-5678", "+8613812345678", "138-1234-5678"},
      {"13812345678", "+8613912345678", "13912345678"},
      {"(0000) 0000 0000", "+8675588881234", "(0755) 8888 1234"},
      {"138-1234-5678", "+861012345678", "010-1234-5678"},
      {"138-1234-5678", "+8675588881234",
       "cannot write \"+8675588881234\" as \"138-1234-5678\": the number has 12 digits, the "
       "pattern 11",
       false},
      {"138-1234-5678", "+16502530000",
       "cannot write \"+16502530000\" as \"138-1234-5678\": it is not a number of region CN",
       false},
      {"national", "13812345678", "cannot write \"13812345678\": not a canonical phone number",
       false},
  };
  for (const WriteCase& c : cases) {
    SCOPED_TRACE(c.format + " " + c.canonical);
    auto got = FormatValue(f, T(c.canonical.c_str()), MakeFormat(f, c.format));
    if (c.ok) {
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, T(c.want.c_str()));
    } else {
      ASSERT_FALSE(got.ok()) << got->ToString();
      EXPECT_EQ(got.status().message(), c.want);
    }
  }
  EXPECT_EQ(*FormatValue(f, Value::Null(), MakeFormat(f, "national")), Value::Null());
}

// Canonical → each binding format → canonical gives the number back.
TEST(WritePhoneTest, RoundTrips) {
  FieldSpec f = Phone();
  const std::vector<std::string> numbers = {
      "+8613812345678", "+8675588881234", "+861012345678", "+862168881234", "+864008123123",
      "+49301234567",   "+16502530000",   "+85291234567",  "+886912345678", "+442079460958",
  };
  for (const std::string& format : {"e164", "national", "international", "138-1234-5678"}) {
    BindingFormat fmt = MakeFormat(f, format);
    for (const std::string& n : numbers) {
      SCOPED_TRACE(format + " " + n);
      auto written = FormatValue(f, T(n.c_str()), fmt);
      if (!written.ok()) {
        EXPECT_EQ(format, "138-1234-5678") << written.status().ToString();  // only patterns refuse
        continue;
      }
      auto back = testing::Read(f, *written, fmt);
      ASSERT_TRUE(back.ok()) << written->ToString() << ": " << back.status().ToString();
      EXPECT_EQ(*back, T(n.c_str())) << "written as " << written->ToString();
    }
  }
}

}  // namespace
}  // namespace concord
