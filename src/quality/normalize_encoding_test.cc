// Legacy encodings: bytes built here, byte by byte, as an old export holds them.
#include <gtest/gtest.h>

#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::Bad;
using testing::MakeField;
using testing::MakeFormat;
using testing::Ok;

Value T(std::string s) { return Value::Text(std::move(s)); }
Value B(std::string s) { return Value::Blob(std::move(s)); }

// "中文" and friends in each encoding.
const std::string kGbkZhongwen = "\xd6\xd0\xce\xc4";                        // 中文
const std::string kGbkShanghaiPudong = "\xc9\xcf\xba\xa3\xc6\xd6\xb6\xab";  // 上海浦东
const std::string kGbkZhangSan = "\xd5\xc5\xc8\xfd";                        // 张三
const std::string kBig5Zhongwen = "\xa4\xa4\xa4\xe5";                       // 中文
const std::string kBig5Taiwan = "\xbb\x4f\xc6\x57";                         // 臺灣
const std::string kBig5Ziliao = "\xb8\xea\xae\xc6";                         // 資料
const std::string kGb18030Grin = "\x94\x39\xfc\x36";                        // 😀
const std::string kUtf16LeZhongwen = std::string("\x2d\x4e\x87\x65", 4);
const std::string kUtf16BeZhongwen = std::string("\x4e\x2d\x65\x87", 4);

struct EncodingCase {
  TextEncoding encoding;
  Value raw;
  bool ok;
  std::string want;  // the text, or the message
};

TEST(DecodeValueTest, LegacyEncodings) {
  FieldSpec f = MakeField("name", FieldType::kString);
  const std::vector<EncodingCase> cases = {
      {TextEncoding::kGbk, B(kGbkZhongwen), true, "中文"},
      {TextEncoding::kGbk, T(kGbkZhongwen), true, "中文"},  // text that is not UTF-8
      {TextEncoding::kGbk, B(kGbkShanghaiPudong), true, "上海浦东"},
      {TextEncoding::kGbk, B(kGbkZhangSan), true, "张三"},
      {TextEncoding::kGbk, B("ACME " + kGbkZhongwen + " Ltd"), true, "ACME 中文 Ltd"},
      {TextEncoding::kGbk, B("plain ascii"), true, "plain ascii"},
      {TextEncoding::kGbk, T("上海浦东"), true, "上海浦东"},  // already UTF-8: kept
      {TextEncoding::kGbk, B(""), true, ""},
      {TextEncoding::kGb18030, B(kGbkZhongwen), true, "中文"},
      {TextEncoding::kGb18030, B(kGb18030Grin), true, "😀"},
      {TextEncoding::kGb18030, B(kGbkShanghaiPudong + kGb18030Grin), true, "上海浦东😀"},
      {TextEncoding::kBig5, B(kBig5Zhongwen), true, "中文"},
      {TextEncoding::kBig5, B(kBig5Taiwan), true, "臺灣"},
      {TextEncoding::kBig5, T(kBig5Ziliao), true, "資料"},
      {TextEncoding::kUtf16Le, B(kUtf16LeZhongwen), true, "中文"},
      {TextEncoding::kUtf16Le, B(std::string("\xff\xfe", 2) + kUtf16LeZhongwen), true, "中文"},
      {TextEncoding::kUtf16Le, B(std::string("A\0B\0", 4)), true, "AB"},
      {TextEncoding::kUtf16Le, T(std::string("A\0B\0", 4)), true, "AB"},  // UTF-16 always decodes
      {TextEncoding::kUtf16Be, B(kUtf16BeZhongwen), true, "中文"},
      {TextEncoding::kUtf16Be, B(std::string("\xfe\xff", 2) + kUtf16BeZhongwen), true, "中文"},
      {TextEncoding::kUtf16Le, B(std::string("\x3d\xd8\x00\xde", 4)), true, "😀"},
      // Invalid sequences are refused, never replaced.
      {TextEncoding::kGbk, B("\xd6\xd0\xff"), false,
       "expected gbk text, found x'd6d0ff' (not valid gbk at byte 3)"},
      {TextEncoding::kGbk, B("\xd6"), false,
       "expected gbk text, found x'd6' (not valid gbk at byte 1)"},
      {TextEncoding::kGbk, B("AB\xd6\x20"), false,
       "expected gbk text, found x'4142d620' (not valid gbk at byte 3)"},
      {TextEncoding::kBig5, B("\xa4\xa4\x80\x80"), false,
       "expected big5 text, found x'a4a48080' (not valid big5 at byte 3)"},
      {TextEncoding::kGb18030, B("\x94\x39\xfc"), false,
       "expected gb18030 text, found x'9439fc' (not valid gb18030 at byte 1)"},
      {TextEncoding::kUtf16Le, B("\x2d\x4e\x87"), false,
       "expected utf-16le text, found x'2d4e87' (not valid utf-16le at byte 3)"},
      {TextEncoding::kUtf16Le, B(std::string("\x3d\xd8\x41\x00", 4)), false,
       "expected utf-16le text, found x'3dd84100' (not valid utf-16le at byte 1)"},
      {TextEncoding::kUtf16Le, B(std::string("A\0\0\0", 4)), false,
       "expected utf-16le text, found x'41000000' (not valid utf-16le at byte 3)"},
      // Without a declared encoding: text must be UTF-8; bytes are left to the type.
      {TextEncoding::kUtf8, T(kGbkZhongwen), false,
       "expected UTF-8 text, found x'd6d0cec4' (not valid UTF-8 at byte 1)"},
      {TextEncoding::kUtf8, T("ab\xc3"), false,
       "expected UTF-8 text, found x'6162c3' (not valid UTF-8 at byte 3)"},
      {TextEncoding::kUtf8, T("\xed\xa0\x80"), false,  // a surrogate
       "expected UTF-8 text, found x'eda080' (not valid UTF-8 at byte 1)"},
      {TextEncoding::kUtf8, T("\xc0\xaf"), false,  // overlong "/"
       "expected UTF-8 text, found x'c0af' (not valid UTF-8 at byte 1)"},
      {TextEncoding::kUtf8, T("上海"), true, "上海"},
  };
  for (const EncodingCase& c : cases) {
    SCOPED_TRACE(std::string(TextEncodingName(c.encoding)) + " " + c.raw.ToString());
    BindingFormat fmt = MakeFormat(f, "", "", c.encoding);
    auto got = DecodeValue(f, c.raw, fmt);
    // The record path's overload: the same outcome, pointing at the value itself when nothing
    // was decoded.
    Value storage;
    auto ref = DecodeValue(f, c.raw, fmt, &storage);
    if (c.ok) {
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, T(c.want));
      ASSERT_TRUE(ref.ok());
      EXPECT_EQ(**ref, T(c.want));
      EXPECT_EQ(*ref == &c.raw, c.raw == T(c.want));
    } else {
      ASSERT_FALSE(got.ok()) << got->ToString();
      EXPECT_EQ(got.status().message(), c.want);
      ASSERT_FALSE(ref.ok());
      EXPECT_EQ(ref.status().message(), c.want);
    }
  }
  // Other values pass unchanged.
  BindingFormat gbk = MakeFormat(f, "", "", TextEncoding::kGbk);
  EXPECT_EQ(*DecodeValue(f, Value::Int(5), gbk), Value::Int(5));
  EXPECT_EQ(*DecodeValue(f, Value::Null(), gbk), Value::Null());
  // Personal values are masked.
  f.personal = true;
  auto masked = DecodeValue(f, B("\xd6\xd0\xff"), gbk);
  EXPECT_EQ(masked.status().message(), "expected gbk text, found *** (not valid gbk at byte 3)");
}

TEST(DecodeValueTest, NormalizeAfterDecoding) {
  // GBK name with full-width digits, then the field's text operations.
  FieldSpec f = MakeField("name", FieldType::kString);
  f.nfkc = f.trim = true;
  BindingFormat gbk = MakeFormat(f, "", "", TextEncoding::kGbk);
  // "　张三１２３" in GBK: A1A1 (ideographic space), 张三, A3B1 A3B2 A3B3 (full-width 1 2 3)
  auto got = testing::Read(f, B("\xa1\xa1" + kGbkZhangSan + "\xa3\xb1\xa3\xb2\xa3\xb3"), gbk);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, T("张三123"));
  // Big5 traditional → simplified.
  FieldSpec g = MakeField("region", FieldType::kString);
  g.chinese = ChineseScript::kSimplified;
  got = testing::Read(g, B(kBig5Taiwan), MakeFormat(g, "", "", TextEncoding::kBig5));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, T("台湾"));
}

TEST(EncodeValueTest, WritesTheBindingEncoding) {
  FieldSpec f = MakeField("name", FieldType::kString);
  struct Case {
    TextEncoding encoding;
    std::string text;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {TextEncoding::kGbk, "中文", kGbkZhongwen},
      {TextEncoding::kGbk, "上海浦东", kGbkShanghaiPudong},
      {TextEncoding::kGbk, "ACME", "ACME"},
      {TextEncoding::kGb18030, "😀", kGb18030Grin},
      {TextEncoding::kBig5, "臺灣", kBig5Taiwan},
      {TextEncoding::kUtf16Le, "中文", kUtf16LeZhongwen},
      {TextEncoding::kUtf16Be, "中文", kUtf16BeZhongwen},
      // A leading U+FEFF character survives: a byte-order mark goes in front of it.
      {TextEncoding::kUtf16Le, "\ufeffA",
       std::string("\xff\xfe\xff\xfe"
                   "A\0",
                   6)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(TextEncodingName(c.encoding)) + " " + c.text);
    BindingFormat fmt = MakeFormat(f, "", "", c.encoding);
    auto got = FormatValue(f, T(c.text), fmt);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, B(c.bytes));
    // And back.
    auto back = testing::Read(f, *got, fmt);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, T(c.text));
  }
  auto bad = FormatValue(f, T("笑😀"), MakeFormat(f, "", "", TextEncoding::kGbk));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "\"笑😀\" cannot be written in gbk: \"😀\" has no representation there");
  bad = FormatValue(f, T("臺灣"), MakeFormat(f, "", "", TextEncoding::kGbk));
  EXPECT_TRUE(bad.ok());  // GBK has traditional characters too
  bad = FormatValue(f, T("ㄅ丂"), MakeFormat(f, "", "", TextEncoding::kBig5));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "\"ㄅ丂\" cannot be written in big5: \"丂\" has no representation there");
  // UTF-8 (no encoding declared) writes text as it is.
  EXPECT_EQ(*FormatValue(f, T("中文"), BindingFormat()), T("中文"));
}

}  // namespace
}  // namespace concord
