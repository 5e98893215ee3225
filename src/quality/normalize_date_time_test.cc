#include <gtest/gtest.h>
#include <unicode/timezone.h>

#include <memory>
#include <random>
#include <set>

#include "quality/normalize_internal.h"
#include "quality/normalize_test_util.h"

namespace concord {
namespace {

using testing::Bad;
using testing::MakeField;
using testing::MakeFormat;
using testing::Ok;

Value T(const char* s) { return Value::Text(s); }

const std::string kDate = "expected a date like 2023-01-31, found ";
const std::string kTs = "expected a timestamp like 2023-01-31T08:00:00+08:00, found ";
const std::string kOrder =
    " (day and month order is not known: declare format dmy or mdy on the binding)";

TEST(NormalizeDateTest, UnambiguousLayouts) {
  FieldSpec f = MakeField("birthday", FieldType::kDate);
  const std::vector<testing::NormCase> cases = {
      Ok(T("2023-01-31"), T("2023-01-31")),
      Ok(T("2023/01/31"), T("2023-01-31")),
      Ok(T("2023.01.31"), T("2023-01-31")),
      Ok(T("20230131"), T("2023-01-31")),
      Ok(T("2023-1-5"), T("2023-01-05")),
      Ok(T("2023/1/05"), T("2023-01-05")),
      Ok(T(" 2023-01-31 "), T("2023-01-31")),
      Ok(T("2024-02-29"), T("2024-02-29")),
      Ok(T("2000-02-29"), T("2000-02-29")),
      Ok(T("2023年1月31日"), T("2023-01-31")),
      Ok(T("2023年01月05日"), T("2023-01-05")),
      Ok(T("2023 年 1 月 31 日"), T("2023-01-31")),
      Ok(T("２０２３年１月３１日"), T("2023-01-31")),
      Ok(T("２０２３－０１－３１"), T("2023-01-31")),
      Ok(T("２０２３／１／３１"), T("2023-01-31")),
      Ok(T("2023-01-31T00:00:00"), T("2023-01-31")),
      Ok(T("2023-01-31 00:00:00"), T("2023-01-31")),
      Ok(T("2023-01-31 00:00"), T("2023-01-31")),
      Ok(T("2023/1/31 0:00:00"), T("2023-01-31")),
      Ok(T("2023-01-31T00:00:00.000Z"), T("2023-01-31")),
      Ok(T("2023-01-31T00:00:00+08:00"), T("2023-01-31")),
      Ok(T("2023年1月31日 0时0分"), T("2023-01-31")),
      Ok(Value::Int(20230131), T("2023-01-31")),
      Ok(Value::Real(20230131.0), T("2023-01-31")),
      Ok(Value::Null(), Value::Null()),
      Bad(T("2023-02-30"), kDate + "\"2023-02-30\""),
      Bad(T("2023-02-29"), kDate + "\"2023-02-29\""),
      Bad(T("1900-02-29"), kDate + "\"1900-02-29\""),
      Bad(T("2023-04-31"), kDate + "\"2023-04-31\""),
      Bad(T("2023-13-01"), kDate + "\"2023-13-01\""),
      Bad(T("2023-00-10"), kDate + "\"2023-00-10\""),
      Bad(T("0000-01-01"), kDate + "\"0000-01-01\""),
      Bad(T("2023-01/31"), kDate + "\"2023-01/31\""),
      Bad(T("2023-01-311"), kDate + "\"2023-01-311\""),
      Bad(T("202301311"), kDate + "\"202301311\""),
      Bad(T("2023年13月1日"), kDate + "\"2023年13月1日\""),
      Bad(T("2023年1月"), kDate + "\"2023年1月\""),
      Bad(T("23-01-31"), kDate + "\"23-01-31\" (two-digit years are ambiguous)"),
      Bad(T("1/2/23"), kDate + "\"1/2/23\" (two-digit years are ambiguous)"),
      // Day-first and month-first are refused unless the binding says which — even where only
      // one reading is a date: a column that holds 31/01/2023 also holds 01/02/2023.
      Bad(T("31/01/2023"), kDate + "\"31/01/2023\"" + kOrder),
      Bad(T("01/02/2023"), kDate + "\"01/02/2023\"" + kOrder),
      Bad(T("01-02-2023"), kDate + "\"01-02-2023\"" + kOrder),
      Bad(T("2023-01-31T08:30:00"),
          kDate + "\"2023-01-31T08:30:00\" (it has a time of day, which a date would drop)"),
      Bad(T("2023-01-31 00:00:00.5"),
          kDate + "\"2023-01-31 00:00:00.5\" (it has a time of day, which a date would drop)"),
      Bad(T("2023-01-31x"), kDate + "\"2023-01-31x\""),
      Bad(T("tomorrow"), kDate + "\"tomorrow\""),
      Bad(T(""), kDate + "\"\""),
      Bad(Value::Real(20230131.5), kDate + "20230131.5"),
      Bad(Value::Int(2023),
          kDate + "2023 (a number is read as YYYYMMDD; for Unix or Excel numbers declare format "
                  "unix_s, unix_ms or excel on the binding)"),
      Bad(Value::Blob("2023"), kDate + "x'32303233'"),
  };
  testing::RunCases(f, cases);
}

TEST(NormalizeDateTest, DeclaredLayouts) {
  FieldSpec f = MakeField("birthday", FieldType::kDate);
  testing::RunCases(f,
                    {
                        Ok(T("31-01-2023"), T("2023-01-31")),
                        Ok(T("31/01/2023"), T("2023-01-31")),
                        Ok(T("31.01.2023"), T("2023-01-31")),
                        Ok(T("1-2-2023"), T("2023-02-01")),
                        Ok(T("01/02/2023"), T("2023-02-01")),
                        Ok(T("2023-01-31"), T("2023-01-31")),  // still unambiguous
                        Bad(T("01/31/2023"), kDate + "\"01/31/2023\""),
                        Bad(T("31-01/2023"), kDate + "\"31-01/2023\""),
                        Bad(T("31/01/23"), kDate + "\"31/01/23\" (two-digit years are ambiguous)"),
                    },
                    MakeFormat(f, "dmy"));
  testing::RunCases(f,
                    {
                        Ok(T("01/31/2023"), T("2023-01-31")),
                        Ok(T("2/1/2023"), T("2023-02-01")),
                        Ok(T("12-25-2023"), T("2023-12-25")),
                        Bad(T("31/01/2023"), kDate + "\"31/01/2023\""),
                    },
                    MakeFormat(f, "mdy"));
  testing::RunCases(f,
                    {
                        Ok(T("31.01.2023"), T("2023-01-31")),
                        Ok(T("2023-01-31"), T("2023-01-31")),
                        Bad(T("31.1.2023"), kDate + "\"31.1.2023\""),
                    },
                    MakeFormat(f, "DD.MM.YYYY"));
  testing::RunCases(f, {Ok(T("2023年1月31日"), T("2023-01-31"))}, MakeFormat(f, "YYYY年M月D日"));
}

TEST(NormalizeDateTest, ExcelSerials) {
  FieldSpec f = MakeField("birthday", FieldType::kDate);
  const std::string what = "expected an Excel serial day number like 44957, found ";
  testing::RunCases(
      f,
      {
          Ok(Value::Int(44957), T("2023-01-31")),
          Ok(Value::Int(44927), T("2023-01-01")),
          Ok(Value::Real(44957.0), T("2023-01-31")),
          Ok(T("44957"), T("2023-01-31")),
          Ok(T("44957.0"), T("2023-01-31")),
          Ok(Value::Int(1), T("1900-01-01")),
          Ok(Value::Int(59), T("1900-02-28")),
          Ok(Value::Int(61), T("1900-03-01")),
          Ok(Value::Int(2958465), T("9999-12-31")),
          Ok(T("2023-01-31"), T("2023-01-31")),  // a written date is still a date
          Bad(Value::Int(60), what + "60 (serial 60 is 1900-02-29, a day that does not exist)"),
          Bad(Value::Int(0),
              what + "0 (Excel serials run from 1 (1900-01-01) to 2958465 (9999-12-31))"),
          Bad(Value::Real(44957.5), what + "44957.5"),
          Bad(T("44957.25"), what + "\"44957.25\""),
      },
      MakeFormat(f, "excel"));
}

TEST(NormalizeDateTest, UnixTimesAreDatesInTheBindingZone) {
  FieldSpec f = MakeField("birthday", FieldType::kDate);
  testing::RunCases(f,
                    {
                        Ok(Value::Int(1675123200), T("2023-01-31")),
                        Ok(T("1675123200"), T("2023-01-31")),
                        Ok(Value::Int(0), T("1970-01-01")),
                        Bad(Value::Int(1675152000),
                            kDate + "1675152000 (not midnight in UTC, so a date would drop its "
                                    "time of day)"),
                    },
                    MakeFormat(f, "unix_s"));
  // Midnight in Shanghai is 16:00 UTC the day before.
  testing::RunCases(f, {Ok(Value::Int(1675094400), T("2023-01-31"))},
                    MakeFormat(f, "unix_s", "Asia/Shanghai"));
  testing::RunCases(f, {Ok(Value::Int(1675123200000), T("2023-01-31"))}, MakeFormat(f, "unix_ms"));
}

TEST(NormalizeTimestampTest, Layouts) {
  FieldSpec f = MakeField("updated_at", FieldType::kTimestamp);
  const std::vector<testing::NormCase> cases = {
      // Wall-clock times of unknown zone stay as they are.
      Ok(T("2023-01-31 08:00:00"), T("2023-01-31T08:00:00")),
      Ok(T("2023-01-31T08:00:00"), T("2023-01-31T08:00:00")),
      Ok(T("2023-01-31 08:00"), T("2023-01-31T08:00:00")),
      Ok(T("2023-01-31 8:05"), T("2023-01-31T08:05:00")),
      Ok(T("2023/01/31 23:59:59"), T("2023-01-31T23:59:59")),
      Ok(T("2023.01.31 12:00"), T("2023-01-31T12:00:00")),
      Ok(T("2023-01-31"), T("2023-01-31T00:00:00")),
      Ok(T("20230131"), T("2023-01-31T00:00:00")),
      Ok(T("20230131083000"), T("2023-01-31T08:30:00")),
      Ok(Value::Int(20230131083000), T("2023-01-31T08:30:00")),
      Ok(T(" 2024-02-29 12:00:00 "), T("2024-02-29T12:00:00")),
      Ok(T("2023-01-31T08:00:00.120000"), T("2023-01-31T08:00:00.12")),
      Ok(T("2023-01-31T08:00:00.000"), T("2023-01-31T08:00:00")),
      Ok(T("2023-01-31T08:00:00,5"), T("2023-01-31T08:00:00.5")),
      // Chinese layouts.
      Ok(T("2023年1月31日 8:30"), T("2023-01-31T08:30:00")),
      Ok(T("2023年1月31日8时30分"), T("2023-01-31T08:30:00")),
      Ok(T("2023年1月31日 08时30分15秒"), T("2023-01-31T08:30:15")),
      Ok(T("2023年1月31日 8点"), T("2023-01-31T08:00:00")),
      Ok(T("2023年1月31日下午3:05"), T("2023-01-31T15:05:00")),
      Ok(T("2023/1/31 下午 03:30:00"), T("2023-01-31T15:30:00")),
      Ok(T("2023/1/31 上午 12:10:00"), T("2023-01-31T00:10:00")),
      Ok(T("２０２３－０１－３１　０８：００"), T("2023-01-31T08:00:00")),
      Ok(T("2023-01-31 3:30 PM"), T("2023-01-31T15:30:00")),
      Ok(T("2023-01-31 12:00 am"), T("2023-01-31T00:00:00")),
      // With an offset: the instant, in UTC.
      Ok(T("2023-01-31T08:00:00Z"), T("2023-01-31T08:00:00Z")),
      Ok(T("2023-01-31t08:00:00z"), T("2023-01-31T08:00:00Z")),
      Ok(T("2023-01-31T08:00:00+08:00"), T("2023-01-31T00:00:00Z")),
      Ok(T("2023-01-31T08:00:00+0800"), T("2023-01-31T00:00:00Z")),
      Ok(T("2023-01-31T08:00:00+08"), T("2023-01-31T00:00:00Z")),
      Ok(T("2023-01-31 08:00:00 -05:30"), T("2023-01-31T13:30:00Z")),
      Ok(T("2023-01-31 08:00:00 UTC"), T("2023-01-31T08:00:00Z")),
      Ok(T("2023-01-01T05:00:00+08:00"), T("2022-12-31T21:00:00Z")),
      Ok(T("2023-01-31T08:00:00.123Z"), T("2023-01-31T08:00:00.123Z")),
      Ok(T("2023-01-31T08:00:00.123456789+08:00"), T("2023-01-31T00:00:00.123456789Z")),
      // Numbers: YYYYMMDD[HHMMSS], Unix seconds (10 digits) or milliseconds (13 digits).
      Ok(Value::Int(1675123200), T("2023-01-31T00:00:00Z")),
      Ok(Value::Int(1675123200123), T("2023-01-31T00:00:00.123Z")),
      Ok(T("1675152000"), T("2023-01-31T08:00:00Z")),
      Ok(T("1675152000500"), T("2023-01-31T08:00:00.5Z")),
      Ok(Value::Real(1675123200.0), T("2023-01-31T00:00:00Z")),
      Ok(Value::Null(), Value::Null()),
      Bad(T("2023-01-31 24:00:00"), kTs + "\"2023-01-31 24:00:00\""),
      Bad(T("2023-01-31 23:60:00"), kTs + "\"2023-01-31 23:60:00\""),
      Bad(T("2023-01-31 23:59:60"), kTs + "\"2023-01-31 23:59:60\""),
      Bad(T("2023-02-30 08:00:00"), kTs + "\"2023-02-30 08:00:00\""),
      Bad(T("2023-01-31T08:00:00+15:00"), kTs + "\"2023-01-31T08:00:00+15:00\""),
      Bad(T("2023-01-31T08:00:00+08:60"), kTs + "\"2023-01-31T08:00:00+08:60\""),
      Bad(T("2023-01-31T08:00:00+8"), kTs + "\"2023-01-31T08:00:00+8\""),
      Bad(T("2023-01-31T08:00:00.1234567891"), kTs + "\"2023-01-31T08:00:00.1234567891\""),
      Bad(T("2023-01-31T08:00:00."), kTs + "\"2023-01-31T08:00:00.\""),
      Bad(T("2023-01-31T08"), kTs + "\"2023-01-31T08\""),
      Bad(T("2023-01-31T08:00:00Zjunk"), kTs + "\"2023-01-31T08:00:00Zjunk\""),
      Bad(T("2023-01-31_08:00:00"), kTs + "\"2023-01-31_08:00:00\""),
      Bad(T("2023-01-31 13:00 PM"), kTs + "\"2023-01-31 13:00 PM\""),
      Ok(T("2023年1月31日 8时"), T("2023-01-31T08:00:00")),
      Bad(T("2023年1月31日 8时30"), kTs + "\"2023年1月31日 8时30\""),
      Bad(T("08:00:00"), kTs + "\"08:00:00\""),
      Bad(T("yesterday"), kTs + "\"yesterday\""),
      Bad(T("01/31/2023 08:00"), kTs + "\"01/31/2023 08:00\"" + kOrder),
      Bad(T("0001-01-01T00:00:00+08:00"),
          kTs + "\"0001-01-01T00:00:00+08:00\" (outside the years 0001 to 9999)"),
      Bad(Value::Int(0), kTs + "0 (a number is read as YYYYMMDD[HHMMSS], or as Unix seconds (10 "
                               "digits) or milliseconds (13 digits); for others declare format "
                               "unix_s or unix_ms on the binding)"),
      Bad(Value::Int(16751232001), kTs +
                                       "16751232001 (a number is read as YYYYMMDD[HHMMSS], or as "
                                       "Unix seconds (10 digits) or milliseconds (13 digits); for "
                                       "others declare format unix_s or unix_ms on the binding)"),
      Bad(Value::Real(1.5), kTs + "1.5"),
  };
  testing::RunCases(f, cases);
}

TEST(NormalizeTimestampTest, UnixUnitsDeclared) {
  FieldSpec f = MakeField("updated_at", FieldType::kTimestamp);
  testing::RunCases(
      f,
      {
          Ok(Value::Int(0), T("1970-01-01T00:00:00Z")),
          Ok(Value::Int(-1), T("1969-12-31T23:59:59Z")),
          Ok(Value::Int(951782400), T("2000-02-29T00:00:00Z")),
          Ok(Value::Int(253402300799), T("9999-12-31T23:59:59Z")),
          Ok(T("-86400"), T("1969-12-31T00:00:00Z")),
          Ok(T("2023-01-31 08:00:00Z"), T("2023-01-31T08:00:00Z")),
          Bad(Value::Int(253402300800), kTs + "253402300800 (outside the years 0001 to 9999)"),
          Bad(Value::Int(-62135596801), kTs + "-62135596801 (outside the years 0001 to 9999)"),
      },
      MakeFormat(f, "unix_s"));
  testing::RunCases(f,
                    {
                        Ok(Value::Int(0), T("1970-01-01T00:00:00Z")),
                        Ok(Value::Int(-1), T("1969-12-31T23:59:59.999Z")),
                        Ok(Value::Int(1675123200123), T("2023-01-31T00:00:00.123Z")),
                        Ok(Value::Int(1675123200), T("1970-01-20T09:18:43.2Z")),
                    },
                    MakeFormat(f, "unix_ms"));
}

TEST(NormalizeTimestampTest, NaiveTimesTakeTheBindingZone) {
  FieldSpec f = MakeField("updated_at", FieldType::kTimestamp);
  testing::RunCases(f,
                    {
                        Ok(T("2023-01-31 08:00:00"), T("2023-01-31T00:00:00Z")),
                        Ok(T("2023年1月31日 8时30分"), T("2023-01-31T00:30:00Z")),
                        Ok(T("2023-01-01 07:59:59.5"), T("2022-12-31T23:59:59.5Z")),
                        // An offset written in the value wins over the binding's zone.
                        Ok(T("2023-01-31T08:00:00Z"), T("2023-01-31T08:00:00Z")),
                        Ok(T("2023-01-31T08:00:00-05:00"), T("2023-01-31T13:00:00Z")),
                        Ok(Value::Int(1675123200), T("2023-01-31T00:00:00Z")),
                        // Before 1901 the zone database has Shanghai's local mean time.
                        Ok(T("1900-01-01 00:00:00"), T("1899-12-31T15:54:17Z")),
                    },
                    MakeFormat(f, "", "Asia/Shanghai"));
  testing::RunCases(f, {Ok(T("2023-01-31 08:00:00"), T("2023-01-30T23:00:00Z"))},
                    MakeFormat(f, "", "+09:00"));
  testing::RunCases(
      f,
      {
          Ok(T("2023-07-01 12:00:00"), T("2023-07-01T16:00:00Z")),  // EDT
          Ok(T("2023-01-01 12:00:00"), T("2023-01-01T17:00:00Z")),  // EST
          Bad(T("2023-03-12 02:30:00"),
              kTs + "\"2023-03-12 02:30:00\" (that time does not exist in America/New_York: the "
                    "clocks skip it)"),
          Bad(T("2023-11-05 01:30:00"),
              kTs + "\"2023-11-05 01:30:00\" (that time happens twice in America/New_York: write "
                    "it with its offset)"),
          Ok(T("2023-11-05 01:30:00-04:00"), T("2023-11-05T05:30:00Z")),
          Ok(T("2023-11-05 01:30:00-05:00"), T("2023-11-05T06:30:00Z")),
      },
      MakeFormat(f, "", "America/New_York"));
}

TEST(NormalizeTimestampTest, DeclaredLayouts) {
  FieldSpec f = MakeField("updated_at", FieldType::kTimestamp);
  testing::RunCases(f,
                    {
                        Ok(T("31/01/2023 08:00"), T("2023-01-31T08:00:00")),
                        Ok(T("31-01-2023 08:00:00"), T("2023-01-31T08:00:00")),
                        Ok(T("31.01.2023"), T("2023-01-31T00:00:00")),
                    },
                    MakeFormat(f, "dmy"));
  testing::RunCases(f, {Ok(T("01/31/2023 3:30 PM"), T("2023-01-31T15:30:00"))},
                    MakeFormat(f, "mdy"));
  testing::RunCases(f,
                    {
                        Ok(T("2023/01/31 08:00:00"), T("2023-01-31T08:00:00")),
                        Ok(T("31.01.2023 08:00:00"), T("2023-01-31T08:00:00")),
                    },
                    MakeFormat(f, "DD.MM.YYYY HH:mm:ss"));
  testing::RunCases(f,
                    {
                        Ok(T("2023-01-31 08:00:00.250+08:00"), T("2023-01-31T00:00:00.25Z")),
                    },
                    MakeFormat(f, "YYYY-MM-DD HH:mm:ss.SSSXXX"));
}

TEST(NormalizeDateTest, PersonalValueIsMasked) {
  FieldSpec f = MakeField("birthday", FieldType::kDate);
  f.personal = true;
  auto got = NormalizeValue(f, T("1990-02-30"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "expected a date like 2023-01-31, found ***");
}

struct WriteCase {
  std::string format;
  std::string timezone;
  std::string canonical;
  Value want;
};

TEST(WriteDateTest, Formats) {
  FieldSpec f = MakeField("birthday", FieldType::kDate);
  const std::vector<WriteCase> cases = {
      {"", "", "2023-01-31", T("2023-01-31")},
      {"iso", "", "2023-01-31", T("2023-01-31")},
      {"dmy", "", "2023-01-31", T("31-01-2023")},
      {"mdy", "", "2023-01-31", T("01/31/2023")},
      {"YYYYMMDD", "", "2023-01-05", T("20230105")},
      {"YYYY年M月D日", "", "2023-01-05", T("2023年1月5日")},
      {"YYYY/MM/DD", "", "2023-01-05", T("2023/01/05")},
      {"excel", "", "2023-01-31", Value::Int(44957)},
      {"excel", "", "1900-01-01", Value::Int(1)},
      {"excel", "", "1900-02-28", Value::Int(59)},
      {"excel", "", "1900-03-01", Value::Int(61)},
      {"unix_s", "", "2023-01-31", Value::Int(1675123200)},
      {"unix_s", "Asia/Shanghai", "2023-01-31", Value::Int(1675094400)},
      {"unix_ms", "", "2023-01-31", Value::Int(1675123200000)},
  };
  for (const WriteCase& c : cases) {
    SCOPED_TRACE(c.format + " " + c.timezone + " " + c.canonical);
    auto got = FormatValue(f, T(c.canonical.c_str()), MakeFormat(f, c.format, c.timezone));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, c.want) << got->ToString();
  }
  auto bad = FormatValue(f, T("1899-12-31"), MakeFormat(f, "excel"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "cannot write \"1899-12-31\" as an Excel serial: Excel dates start at 1900-01-01");
  bad = FormatValue(f, T("31/01/2023"), MakeFormat(f, "dmy"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "cannot write \"31/01/2023\": not a canonical date");
  // Shaped like a canonical date, but no such day: refused in the canonical layout too.
  for (const char* day : {"2023-02-30", "2023-13-01", "0000-01-01", "2023-01-3x"}) {
    bad = FormatValue(f, T(day), MakeFormat(f, ""));
    ASSERT_FALSE(bad.ok()) << day;
    EXPECT_EQ(bad.status().message(),
              "cannot write \"" + std::string(day) + "\": not a canonical date");
  }
}

TEST(WriteTimestampTest, Formats) {
  FieldSpec f = MakeField("updated_at", FieldType::kTimestamp);
  const std::vector<WriteCase> cases = {
      {"", "", "2023-01-31T00:00:00Z", T("2023-01-31T00:00:00Z")},
      {"", "", "2023-01-31T08:00:00", T("2023-01-31T08:00:00")},
      // The binding's zone: instants are written as its wall-clock time.
      {"", "Asia/Shanghai", "2023-01-31T00:00:00Z", T("2023-01-31T08:00:00")},
      {"", "Asia/Shanghai", "2023-01-31T08:00:00", T("2023-01-31T08:00:00")},
      {"", "America/New_York", "2023-07-01T16:00:00.5Z", T("2023-07-01T12:00:00.5")},
      {"YYYY/MM/DD HH:mm:ss", "Asia/Shanghai", "2023-01-31T00:00:00Z", T("2023/01/31 08:00:00")},
      {"YYYY-MM-DDTHH:mm:ssXXX", "Asia/Shanghai", "2023-01-31T00:00:00Z",
       T("2023-01-31T08:00:00+08:00")},
      {"YYYY-MM-DDTHH:mm:ss.SSSXXX", "", "2023-01-31T00:00:00.1234Z",
       T("2023-01-31T00:00:00.123Z")},
      {"YYYY年M月D日 H时mm分", "Asia/Shanghai", "2023-01-31T00:30:00Z", T("2023年1月31日 8时30分")},
      {"YYYYMMDDHHmmss", "+08:00", "2023-01-31T00:30:00Z", T("20230131083000")},
      {"dmy", "Asia/Shanghai", "2023-01-31T00:00:00Z", T("31-01-2023 08:00:00")},
      {"mdy", "", "2023-01-31T15:30:00", T("01/31/2023 15:30:00")},
      {"unix_s", "", "2023-01-31T00:00:00Z", Value::Int(1675123200)},
      {"unix_s", "Asia/Shanghai", "2023-01-31T08:00:00", Value::Int(1675123200)},
      {"unix_s", "", "2023-01-31T00:00:00", Value::Int(1675123200)},  // unknown zone: as UTC
      {"unix_ms", "", "2023-01-31T00:00:00.123Z", Value::Int(1675123200123)},
      {"unix_ms", "", "1969-12-31T23:59:59.999Z", Value::Int(-1)},
  };
  for (const WriteCase& c : cases) {
    SCOPED_TRACE(c.format + " " + c.timezone + " " + c.canonical);
    auto got = FormatValue(f, T(c.canonical.c_str()), MakeFormat(f, c.format, c.timezone));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, c.want) << got->ToString();
  }
  auto bad = FormatValue(f, T("2023-01-31T08:00:00Z"), MakeFormat(f, "mdy"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "cannot write \"2023-01-31T08:00:00Z\" as \"mdy\": the value is an instant and the "
            "column has no offset; declare the binding's timezone (UTC if that is what the column "
            "means)");
  bad = FormatValue(f, T("2023-01-31T08:00:00"), MakeFormat(f, "YYYY-MM-DD HH:mm:ssXXX"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "cannot write \"2023-01-31T08:00:00\" with format \"YYYY-MM-DD HH:mm:ssXXX\": it has "
            "no time zone for XXX (declare the binding's timezone)");
}

// Canonical → binding layout → canonical is stable for every layout that can hold the value.
TEST(WriteDateTimeTest, RoundTrips) {
  FieldSpec date = MakeField("d", FieldType::kDate);
  const std::vector<std::string> dates = {"2023-01-31", "2024-02-29", "1900-03-01", "1999-12-31",
                                          "2038-01-19", "9999-12-31", "1970-01-01", "2000-01-01"};
  for (const auto& [format, zone] :
       std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                        {"dmy", ""},
                                                        {"mdy", ""},
                                                        {"excel", ""},
                                                        {"unix_s", ""},
                                                        {"unix_ms", "Asia/Shanghai"},
                                                        {"unix_s", "America/New_York"},
                                                        {"YYYYMMDD", ""},
                                                        {"YYYY年M月D日", ""},
                                                        {"D.M.YYYY", ""}}) {
    BindingFormat fmt = MakeFormat(date, format, zone);
    for (const std::string& d : dates) {
      SCOPED_TRACE(format + " " + zone + " " + d);
      auto written = FormatValue(date, T(d.c_str()), fmt);
      ASSERT_TRUE(written.ok()) << written.status().ToString();
      auto back = testing::Read(date, *written, fmt);
      ASSERT_TRUE(back.ok()) << written->ToString() << ": " << back.status().ToString();
      EXPECT_EQ(*back, T(d.c_str())) << "written as " << written->ToString();
    }
  }
  FieldSpec ts = MakeField("t", FieldType::kTimestamp);
  const std::vector<std::string> instants = {
      "2023-01-31T00:00:00Z", "2023-07-01T16:00:00Z",   "2024-02-29T23:59:59Z",
      "1999-12-31T16:00:00Z", "2038-01-19T03:14:07Z",   "2023-03-12T07:30:00Z",
      "2023-11-05T05:30:00Z", "2023-01-31T00:00:00.5Z", "1970-01-01T00:00:00Z",
  };
  for (const auto& [format, zone] : std::vector<std::pair<std::string, std::string>>{
           {"", ""},
           {"", "Asia/Shanghai"},
           {"", "+05:30"},
           {"", "America/New_York"},
           {"dmy", "Asia/Shanghai"},
           {"mdy", "UTC"},
           {"unix_ms", ""},
           {"unix_ms", "America/New_York"},
           {"YYYY-MM-DD HH:mm:ss.SSS", "Asia/Shanghai"},
           {"YYYY-MM-DDTHH:mm:ss.SSSXXX", "America/New_York"}}) {
    BindingFormat fmt = MakeFormat(ts, format, zone);
    for (const std::string& t : instants) {
      SCOPED_TRACE(format + " " + zone + " " + t);
      auto written = FormatValue(ts, T(t.c_str()), fmt);
      ASSERT_TRUE(written.ok()) << written.status().ToString();
      auto back = testing::Read(ts, *written, fmt);
      // A wall time written without offset in a zone with daylight saving can be one the clocks
      // pass twice (01:30 on 2023-11-05 in New York): refused on the way back, never guessed.
      bool repeated = zone == "America/New_York" && t == "2023-11-05T05:30:00Z" &&
                      format.find("XXX") == std::string::npos && format.rfind("unix", 0) != 0;
      if (repeated) {
        EXPECT_FALSE(back.ok());
        continue;
      }
      ASSERT_TRUE(back.ok()) << written->ToString() << ": " << back.status().ToString();
      EXPECT_EQ(*back, T(t.c_str())) << "written as " << written->ToString();
    }
  }
}

// Zone::LocalToUtc checks one candidate when the offsets a day before and after agree. Against
// the plain reading — every candidate checked, collected in a set — over every quarter hour of
// 2021 and random times of 1900-2100, in zones with DST both ways, half-hour and 45-minute offsets,
// and a skipped day (Pacific/Apia, end of 2011).
TEST(ZoneTest, LocalToUtcAsEveryCandidateChecked) {
  using quality_internal::Zone;
  std::mt19937_64 rng(2021);
  for (const char* name :
       {"Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe",
        "America/Sao_Paulo", "Pacific/Apia", "Asia/Kathmandu", "Pacific/Chatham", "+05:30"}) {
    SCOPED_TRACE(name);
    auto zone = Zone::Create(name);
    ASSERT_NE(zone, nullptr);
    auto check = [&](int64_t local) {
      std::set<int64_t> instants;
      for (int64_t probe : {local - 86400, local + 86400}) {
        int offset = zone->OffsetAt(probe);
        if (zone->OffsetAt(local - offset) == offset) instants.insert(local - offset);
      }
      Zone::Local want = instants.empty()      ? Zone::Local::kSkipped
                         : instants.size() > 1 ? Zone::Local::kRepeated
                                               : Zone::Local::kOk;
      int64_t utc = 0;
      ASSERT_EQ(zone->LocalToUtc(local, &utc), want) << local;
      if (want == Zone::Local::kOk) ASSERT_EQ(utc, *instants.begin()) << local;
    };
    const int64_t y2021 = 1609459200;
    for (int64_t t = y2021 - 86400; t < y2021 + 366 * 86400; t += 900) check(t);
    check(1325239200);  // 2011-12-30 10:00 local, a day Samoa skipped
    for (int i = 0; i < 20000; ++i) {
      check(-2208988800 + static_cast<int64_t>(rng() % (200ull * 365 * 86400)));
    }
  }
}

// Zone::OffsetAt answers from its own record after a zone's last transition: the same offsets as
// ICU's getOffset, for zones that settled (Asia/Shanghai, Asia/Kolkata, Asia/Tokyo), that still
// change (New York, Lord Howe), and that changed late (Istanbul 2016, Kyiv), at random instants of
// 1800-2600 and around 2016-2100.
TEST(ZoneTest, OffsetAtAsIcu) {
  using quality_internal::Zone;
  std::mt19937_64 rng(1991);
  for (const char* name :
       {"Asia/Shanghai", "Asia/Kolkata", "Asia/Tokyo", "America/New_York", "Australia/Lord_Howe",
        "Europe/Istanbul", "Europe/Kyiv", "Asia/Seoul", "UTC", "Etc/GMT-8"}) {
    SCOPED_TRACE(name);
    auto zone = Zone::Create(name);
    ASSERT_NE(zone, nullptr);
    std::unique_ptr<icu::TimeZone> icu(icu::TimeZone::createTimeZone(icu::UnicodeString(name)));
    auto icu_offset = [&](int64_t t) {
      int32_t raw = 0, dst = 0;
      UErrorCode status = U_ZERO_ERROR;
      icu->getOffset(static_cast<UDate>(t) * 1000.0, false, raw, dst, status);
      EXPECT_TRUE(U_SUCCESS(status));
      return (raw + dst) / 1000;
    };
    const int64_t y1800 = -5364662400, y2016 = 1451606400;
    for (int i = 0; i < 20000; ++i) {
      const int64_t t = y1800 + static_cast<int64_t>(rng() % (800ull * 366 * 86400));
      ASSERT_EQ(zone->OffsetAt(t), icu_offset(t)) << t;
      const int64_t u = y2016 + static_cast<int64_t>(rng() % (85ull * 366 * 86400));
      ASSERT_EQ(zone->OffsetAt(u), icu_offset(u)) << u;
    }
  }
}

}  // namespace
}  // namespace concord
