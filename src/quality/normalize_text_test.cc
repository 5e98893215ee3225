#include <gtest/gtest.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cctype>
#include <random>

#include "quality/normalize_internal.h"
#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::Bad;
using testing::MakeField;
using testing::Ok;

Value T(std::string s) { return Value::Text(std::move(s)); }

TEST(NormalizeTextTest, TextShapedTypes) {
  for (FieldType type :
       {FieldType::kString, FieldType::kText, FieldType::kEnum, FieldType::kReference}) {
    SCOPED_TRACE(std::string(FieldTypeName(type)));
    FieldSpec f = MakeField("f", type);
    const std::vector<testing::NormCase> cases = {
        Ok(T("  spaced  "), T("  spaced  ")),
        Ok(T("上海浦东"), T("上海浦东")),
        Ok(T(""), T("")),
        Ok(Value::Int(42), T("42")),
        Ok(Value::Real(2.5), T("2.5")),
        Ok(Value::Null(), Value::Null()),
        Bad(Value::Blob("\xff"), "expected text, found x'ff'"),
    };
    testing::RunCases(f, cases);
  }
}

TEST(NormalizeEmailTest, Cases) {
  FieldSpec f = MakeField("email", FieldType::kEmail);
  const std::string what = "expected an email address like name@example.com, found ";
  const std::vector<testing::NormCase> cases = {
      Ok(T("Zhang.San@Example.COM"), T("Zhang.San@example.com")),
      Ok(T(" li@qq.com "), T("li@qq.com")),
      Ok(T("zhangsan@163.com"), T("zhangsan@163.com")),
      Ok(T("ZhangSan@QQ.COM"), T("ZhangSan@qq.com")),
      Ok(T("wang.wu+crm@mail.example.com.cn"), T("wang.wu+crm@mail.example.com.cn")),
      Ok(T("o'brien@example.ie"), T("o'brien@example.ie")),
      Ok(T("a_b-c@sub-domain.example.org"), T("a_b-c@sub-domain.example.org")),
      Ok(T("12345678@qq.com"), T("12345678@qq.com")),
      Ok(T("x@y.io"), T("x@y.io")),
      Ok(T("王@例子.中国"), T("王@例子.中国")),
      Ok(T("张三@公司.cn"), T("张三@公司.cn")),
      // Full-width ＠ and ． from Chinese input methods, ideographic spaces around.
      Ok(T("zhangsan＠qq．com"), T("zhangsan@qq.com")),
      Ok(T("ＬＩ＠ＱＱ．ＣＯＭ"), T("LI@qq.com")),
      Ok(T("　li@qq.com　"), T("li@qq.com")),
      Ok(T("first.last@xn--fiqs8s.com"), T("first.last@xn--fiqs8s.com")),
      Ok(T(""), T("")),
      Ok(T("  "), T("")),
      Ok(Value::Null(), Value::Null()),
      Bad(T("no-at-sign"), what + "\"no-at-sign\" (it needs exactly one @)"),
      Bad(T("a@b@c.com"), what + "\"a@b@c.com\" (it needs exactly one @)"),
      Bad(T("@example.com"),
          what + "\"@example.com\" (the part before @ has a character an address cannot have)"),
      Bad(T("a b@c.com"),
          what + "\"a b@c.com\" (the part before @ has a character an address cannot have)"),
      Bad(T(".zhang@qq.com"),
          what + "\".zhang@qq.com\" (the part before @ has a character an address cannot have)"),
      Bad(T("zhang..san@qq.com"),
          what +
              "\"zhang..san@qq.com\" (the part before @ has a character an address cannot have)"),
      Bad(T("zhang(san)@qq.com"),
          what +
              "\"zhang(san)@qq.com\" (the part before @ has a character an address cannot have)"),
      Bad(T("mailto:li@qq.com"),
          what + "\"mailto:li@qq.com\" (the part before @ has a character an address cannot have)"),
      Bad(T("<li@qq.com>"),
          what + "\"<li@qq.com>\" (the part before @ has a character an address cannot have)"),
      Bad(T("name@"), what + "\"name@\" (the part after @ is not a domain)"),
      Bad(T("li@qq"), what + "\"li@qq\" (the part after @ is not a domain)"),
      Bad(T("li@qq,com"), what + "\"li@qq,com\" (the part after @ is not a domain)"),
      Bad(T("li@qq.com."), what + "\"li@qq.com.\" (the part after @ is not a domain)"),
      Bad(T("li@-qq.com"), what + "\"li@-qq.com\" (the part after @ is not a domain)"),
      Bad(T("li@qq..com"), what + "\"li@qq..com\" (the part after @ is not a domain)"),
      Bad(T("li@192.168.1.1"), what + "\"li@192.168.1.1\" (the part after @ is not a domain)"),
      Bad(T("li@[192.168.1.1]"), what + "\"li@[192.168.1.1]\" (the part after @ is not a domain)"),
      Bad(T(std::string(65, 'a') + "@qq.com"),
          what + "\"" + std::string(40, 'a') + "…\" (too long)"),
      Bad(Value::Int(5), what + "5"),
  };
  testing::RunCases(f, cases);
  f.personal = true;
  auto got = NormalizeValue(f, T("zhang@b@example.com"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), what + "*** (it needs exactly one @)");
}

TEST(NormalizeTextTest, FieldOperations) {
  FieldSpec f = MakeField("name", FieldType::kString);
  f.trim = true;
  testing::RunCases(f, {
                           Ok(T("  ACME  "), T("ACME")),
                           Ok(T("\t上海浦东\r\n"), T("上海浦东")),
                           Ok(T("　张三　"), T("张三")),          // U+3000
                           Ok(T("\u00a0ACME\u200b"), T("ACME")),  // no-break, zero-width space
                           Ok(T("\ufeffACME"), T("ACME")),        // byte-order mark
                           Ok(T("a  b"), T("a  b")),              // inside: untouched
                           Ok(T("   "), T("")),
                           Ok(Value::Int(42), T("42")),
                       });
  f = MakeField("name", FieldType::kString);
  f.collapse_spaces = true;
  testing::RunCases(f,
                    {
                        Ok(T("上海  浦东　新区"), T("上海 浦东 新区")), Ok(T("a\t\n b"), T("a b")),
                        Ok(T(" a "), T(" a ")),  // ends: one space each; trim removes them
                    });
  f = MakeField("name", FieldType::kString);
  f.nfkc = true;
  testing::RunCases(f, {
                           Ok(T("ＡＢＣ１２３"), T("ABC123")),
                           Ok(T("（株）"), T("(株)")),
                           Ok(T("ｶﾀｶﾅ"), T("カタカナ")),  // half-width katakana become full-width
                           Ok(T("①"), T("1")),
                           Ok(T("上海"), T("上海")),
                       });
  f = MakeField("code", FieldType::kString);
  f.letter_case = LetterCase::kUpper;
  testing::RunCases(f, {Ok(T("vip-a1"), T("VIP-A1")), Ok(T("straße"), T("STRASSE"))});
  f.letter_case = LetterCase::kLower;
  testing::RunCases(f, {Ok(T("VIP-A1"), T("vip-a1")), Ok(T("ÀÉÎ"), T("àéî"))});
  // All at once, in order: NFKC, trim, collapse, case.
  f = MakeField("name", FieldType::kText);
  f.nfkc = f.trim = f.collapse_spaces = true;
  f.letter_case = LetterCase::kUpper;
  testing::RunCases(f, {Ok(T("　ａｃｍｅ　　ｃｏ．　"), T("ACME CO."))});
}

TEST(NormalizeTextTest, ChineseScripts) {
  FieldSpec f = MakeField("name", FieldType::kString);
  f.chinese = ChineseScript::kSimplified;
  testing::RunCases(f, {
                           Ok(T("臺灣"), T("台湾")),
                           Ok(T("數據庫"), T("数据库")),
                           Ok(T("頭髮"), T("头发")),
                           Ok(T("發展"), T("发展")),
                           Ok(T("上海浦东"), T("上海浦东")),
                           Ok(T("ACME 有限公司"), T("ACME 有限公司")),
                           Ok(T("香港灣仔區"), T("香港湾仔区")),
                       });
  f.chinese = ChineseScript::kTraditional;
  testing::RunCases(f, {Ok(T("数据库"), T("數據庫")), Ok(T("发展"), T("發展"))});
}

TEST(NormalizeEnumTest, DefaultForUnknownValues) {
  FieldSpec f = MakeField("grade", FieldType::kEnum);
  f.values = {"A", "B", "C"};
  // Without a default, an unknown value passes to validation, which reports it (rule enum).
  testing::RunCases(f, {Ok(T("Z"), T("Z")), Ok(T("A"), T("A"))});
  f.default_value = "C";
  f.trim = true;
  f.letter_case = LetterCase::kUpper;
  testing::RunCases(f, {
                           Ok(T(" b "), T("B")),
                           Ok(T("Z"), T("C")),
                           Ok(T("VIP"), T("C")),
                           Ok(T(""), T("")),  // empty is absent, not unknown
                           Ok(Value::Null(), Value::Null()),
                       });
}

// ApplyTextOps skips the steps that would not change the text (ASCII under NFKC, ASCII without a
// run of blanks, ASCII case in place). Over random mixes of ASCII, blanks of every kind, full-width
// forms and Chinese, with every combination of operations, it must give what the operations give
// one after the other.
TEST(NormalizeTextTest, SkippedStepsChangeNothing) {
  using namespace quality_internal;
  const std::vector<std::string> pieces = {
      "a",
      "Z",
      "q",
      "7",
      " ",
      "  ",
      "\t",
      "\n",
      "\r",
      "\v",
      "\f",
      "-",
      ".",
      "\xe3\x80\x80",  // ideographic space
      "\xc2\xa0",      // no-break space
      "\xe2\x80\x8b",  // zero-width space
      "\xef\xbc\xa1",  // full-width A
      "\xef\xbd\x8c",  // full-width l
      "\xe5\xbc\xa0",  // 张
      "\xc3\x84",      // Ä
      "\xef\xbc\x91",  // full-width 1
  };
  std::mt19937 rng(42);
  int checked = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    const size_t n = rng() % 12;
    const bool ascii_only = rng() % 2 == 0;
    for (size_t k = 0; k < n; ++k) {
      text += pieces[rng() % (ascii_only ? 13 : pieces.size())];
    }
    for (int ops = 0; ops < 24; ++ops) {
      FieldSpec f = MakeField("f", FieldType::kString);
      f.nfkc = ops & 1;
      f.trim = ops & 2;
      f.collapse_spaces = ops & 4;
      f.letter_case = ops < 8    ? LetterCase::kKeep
                      : ops < 16 ? LetterCase::kUpper
                                 : LetterCase::kLower;
      std::string want = text;
      if (f.nfkc) want = Nfkc(want);
      if (f.trim) want = std::string(TrimUnicode(want));
      if (f.collapse_spaces) want = CollapseSpaces(want);
      if (f.letter_case != LetterCase::kKeep) want = ToCase(want, f.letter_case);
      auto got = NormalizeValue(f, Value::Text(text));
      ASSERT_TRUE(got.ok()) << text;
      EXPECT_EQ(got->text(), want) << "\"" << text << "\", operations " << ops;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4000 * 24);
}

// The skip of CollapseSpaces (text without the lead bytes of Unicode blanks is left as it is)
// holds for every code point: each one whose UTF-8 does not start with C2, E1, E2, E3 or EF is no
// blank.
TEST(NormalizeTextTest, CollapseSpacesSkipCoversEveryCodePoint) {
  using namespace quality_internal;
  FieldSpec f = MakeField("f", FieldType::kString);
  f.collapse_spaces = true;
  size_t checked = 0;
  for (UChar32 c = 0x80; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    std::string ch;
    icu::UnicodeString(c).toUTF8String(ch);
    const auto lead = static_cast<unsigned char>(ch[0]);
    if (lead == 0xC2 || lead == 0xE1 || lead == 0xE2 || lead == 0xE3 || lead == 0xEF) continue;
    const std::string s = "a" + ch + " " + ch + ch;
    ASSERT_EQ(CollapseSpaces(s), s) << std::hex << c;
    ++checked;
  }
  EXPECT_GT(checked, 1000000u);
  // And the skip is taken for such text, blanks that are there are collapsed.
  EXPECT_EQ(NormalizeValue(f, Value::Text("北京 某某"))->text(), "北京 某某");
  EXPECT_EQ(NormalizeValue(f, Value::Text("北京\xe3\x80\x80\xc2\xa0某某"))->text(), "北京 某某");
}

// ICU's NFKC, for comparison.
std::string IcuNfkc(const std::string& s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  nfkc->normalizeUTF8(0, icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), sink, nullptr,
                      status);
  EXPECT_TRUE(U_SUCCESS(status));
  return out;
}

std::string Utf8(UChar32 c) {
  std::string out;
  icu::UnicodeString(c).toUTF8String(out);
  return out;
}

// Nfkc skips ICU for ASCII and CJK Unified Ideographs: every one of U+4E00–U+9FFF, between ASCII
// and beside its neighbours at both ends of the range, is what ICU's NFKC makes of it; the code
// points around the range, full-width forms and compatibility ideographs still go through ICU.
TEST(NfkcTest, CjkUnifiedIdeographsNeedNoIcu) {
  using namespace quality_internal;
  for (UChar32 c = 0x4E00; c <= 0x9FFF; ++c) {
    const std::string s = "a" + Utf8(c) + Utf8(c == 0x9FFF ? 0x4E00 : c + 1) + "1 ";
    ASSERT_TRUE(IsAsciiOrCjkUnified(s)) << std::hex << c;
    ASSERT_EQ(IcuNfkc(s), s) << std::hex << c;
  }
  for (UChar32 c : {0x4DFF, 0xA000, 0x3000, 0xFF21, 0xF900, 0x2F800, 0xA5, 0x301, 0xAC00}) {
    const std::string s = "x" + Utf8(c) + Utf8(0x4E2D);
    EXPECT_FALSE(IsAsciiOrCjkUnified(s)) << std::hex << c;
    EXPECT_EQ(Nfkc(s), IcuNfkc(s)) << std::hex << c;
  }
  std::mt19937 rng(9);
  const UChar32 kPool[] = {'a',    'Z',    ' ',   '1',    0x4E00, 0x4E2D, 0x9FA5, 0x9FFF, 0x3000,
                           0xFF21, 0xFF11, 0x301, 0xF900, 0x1100, 0x1161, 0xA5,   0x2460};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    for (size_t k = rng() % 8; k > 0; --k) s += Utf8(kPool[rng() % std::size(kPool)]);
    ASSERT_EQ(Nfkc(s), IcuNfkc(s)) << s;
  }
}

// The address checks read characters by the "C" locale's classes: every ASCII character in a local
// part and in a domain label is taken or refused as std::isalnum says, and only A-Z are lowered.
TEST(NormalizeEmailTest, CharacterClassesAreTheCLocale) {
  FieldSpec f = MakeField("email", FieldType::kEmail);
  const std::string specials = "!#$%&'*+/=?^_`{|}~-";
  for (int c = 1; c < 0x80; ++c) {
    const char ch = static_cast<char>(c);
    if (ch == '@' || ch == '.' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') continue;
    SCOPED_TRACE(c);
    const bool atom = std::isalnum(c) || specials.find(ch) != std::string::npos;
    auto local = NormalizeValue(f, Value::Text(std::string("a") + ch + "b@example.com"));
    EXPECT_EQ(local.ok(), atom);
    const bool label = std::isalnum(c) || ch == '-';
    auto domain = NormalizeValue(f, Value::Text(std::string("ab@e") + ch + "x.com"));
    EXPECT_EQ(domain.ok(), label);
    if (domain.ok()) {
      EXPECT_EQ(domain->text(), std::string("ab@e") + static_cast<char>(std::tolower(c)) + "x.com");
    }
  }
  EXPECT_FALSE(NormalizeValue(f, Value::Text("a@example.123")).ok());  // all-digit last label
  EXPECT_TRUE(NormalizeValue(f, Value::Text("a@example.12a")).ok());
}

TEST(DisplayValueTest, NotPersonal) {
  FieldSpec f = MakeField("name", FieldType::kString);
  EXPECT_EQ(DisplayValue(f, Value::Null()), "NULL");
  EXPECT_EQ(DisplayValue(f, Value::Int(-5)), "-5");
  EXPECT_EQ(DisplayValue(f, Value::Real(2.5)), "2.5");
  EXPECT_EQ(DisplayValue(f, T("ACME")), "\"ACME\"");
  EXPECT_EQ(DisplayValue(f, T("say \"hi\"\n")), "\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(DisplayValue(f, T(std::string(40, 'x').c_str())), "\"" + std::string(40, 'x') + "\"");
  EXPECT_EQ(DisplayValue(f, T(std::string(41, 'x').c_str())), "\"" + std::string(40, 'x') + "…\"");
  // Cut at 40 characters, not bytes: a multi-byte character is never split.
  std::string chinese;
  for (int i = 0; i < 45; ++i) chinese += "中";
  std::string want;
  for (int i = 0; i < 40; ++i) want += "中";
  EXPECT_EQ(DisplayValue(f, Value::Text(chinese)), "\"" + want + "…\"");
  EXPECT_EQ(DisplayValue(f, Value::Blob("\x01\x02")), "x'0102'");
}

TEST(DisplayValueTest, PersonalIsMasked) {
  FieldSpec phone = MakeField("phone", FieldType::kPhone);
  phone.personal = true;
  EXPECT_EQ(DisplayValue(phone, T("13812345678")), "138****5678");
  EXPECT_EQ(DisplayValue(phone, T("+86 138-1234-5678")), "861****5678");
  EXPECT_EQ(DisplayValue(phone, Value::Int(13812345678)), "138****5678");
  EXPECT_EQ(DisplayValue(phone, T("1234")), "***");  // too short to mask partly
  EXPECT_EQ(DisplayValue(phone, T("call me maybe")), "***");
  EXPECT_EQ(DisplayValue(phone, Value::Null()), "NULL");

  FieldSpec email = MakeField("email", FieldType::kEmail);
  email.personal = true;
  EXPECT_EQ(DisplayValue(email, T("zhang@example.com")), "z***@example.com");
  EXPECT_EQ(DisplayValue(email, T("张三@例子.中国")), "张***@例子.中国");
  EXPECT_EQ(DisplayValue(email, T("not an email")), "***");

  FieldSpec name = MakeField("name", FieldType::kString);
  name.personal = true;
  EXPECT_EQ(DisplayValue(name, T("张三")), "***");
  EXPECT_EQ(DisplayValue(name, Value::Int(42)), "***");
  EXPECT_EQ(DisplayValue(name, Value::Blob("secret")), "***");
}

TEST(FieldIssueTest, ToString) {
  FieldIssue issue{"credit_limit", "min", "-5.00 is below min 0", "fix it"};
  EXPECT_EQ(issue.ToString(), "field credit_limit: -5.00 is below min 0 (rule min); hint: fix it");
  issue.hint.clear();
  EXPECT_EQ(issue.ToString(), "field credit_limit: -5.00 is below min 0 (rule min)");
}

}  // namespace
}  // namespace concord
