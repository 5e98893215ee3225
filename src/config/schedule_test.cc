#include "config/schedule.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace concord {
namespace {

TEST(ParseScheduleTest, Valid) {
  Result<Schedule> s = ParseSchedule("realtime");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, Schedule::Kind::kRealtime);
  EXPECT_EQ(s->text, "realtime");

  struct Every {
    const char* text;
    int64_t ms;
  };
  for (const Every& e :
       {Every{"every 30s", 30000}, Every{"every 15m", 900000}, Every{"every 2h", 7200000},
        Every{"every 1d", 86400000}, Every{"  every   5m ", 300000}}) {
    Result<Schedule> r = ParseSchedule(e.text);
    ASSERT_TRUE(r.ok()) << e.text << ": " << r.status().ToString();
    EXPECT_EQ(r->kind, Schedule::Kind::kEvery);
    EXPECT_EQ(r->every_ms, e.ms) << e.text;
  }

  s = ParseSchedule("cron 0 8,12,16 * * *");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->kind, Schedule::Kind::kCron);
  EXPECT_EQ(s->text, "cron 0 8,12,16 * * *");
  EXPECT_EQ(s->minutes.count(), 1u);
  EXPECT_TRUE(s->minutes[0]);
  EXPECT_EQ(s->hours.count(), 3u);
  EXPECT_TRUE(s->hours[8] && s->hours[12] && s->hours[16]);
  EXPECT_EQ(s->days_of_month.count(), 31u);
  EXPECT_FALSE(s->days_of_month[0]);
  EXPECT_EQ(s->months.count(), 12u);
  EXPECT_EQ(s->days_of_week.count(), 7u);
  EXPECT_FALSE(s->dom_restricted);
  EXPECT_FALSE(s->dow_restricted);

  s = ParseSchedule("cron */20 9-17/4 1,15 JAN-mar mon-fri");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->minutes.to_string().find('1'), 60u - 41u);  // highest set bit is 40
  EXPECT_EQ(s->minutes.count(), 3u);                       // 0, 20, 40
  EXPECT_EQ(s->hours.count(), 3u);                         // 9, 13, 17
  EXPECT_TRUE(s->hours[9] && s->hours[13] && s->hours[17]);
  EXPECT_EQ(s->days_of_month.count(), 2u);
  EXPECT_EQ(s->months.count(), 3u);
  EXPECT_TRUE(s->months[1] && s->months[3]);
  EXPECT_EQ(s->days_of_week.count(), 5u);
  EXPECT_FALSE(s->days_of_week[0]);
  EXPECT_TRUE(s->dom_restricted);
  EXPECT_TRUE(s->dow_restricted);

  s = ParseSchedule("cron 5/15 * * * 7");  // a/n runs a, a+n, ...; 7 is Sunday
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->minutes.count(), 4u);
  EXPECT_TRUE(s->minutes[5] && s->minutes[50]);
  EXPECT_TRUE(s->days_of_week[0]);
  EXPECT_EQ(s->days_of_week.count(), 1u);

  s = ParseSchedule("cron 0 0 */2 * *");  // a starred field is unrestricted, as in Vixie cron
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->dom_restricted);
  EXPECT_EQ(s->days_of_month.count(), 16u);
}

struct BadCase {
  const char* text;
  const char* message;
};

class ParseScheduleErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseScheduleErrorTest, Message) {
  Result<Schedule> s = ParseSchedule(GetParam().text);
  ASSERT_FALSE(s.ok()) << GetParam().text;
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Schedule, ParseScheduleErrorTest,
    ::testing::Values(
        BadCase{"cron 0 25 * * *", "cron: hour \"25\" is out of range 0-23"},
        BadCase{"cron 60 * * * *", "cron: minute \"60\" is out of range 0-59"},
        BadCase{"cron 0 0 0 * *", "cron: day-of-month \"0\" is out of range 1-31"},
        BadCase{"cron 0 0 * 13 *", "cron: month \"13\" is out of range 1-12"},
        BadCase{"cron 0 0 * * 8", "cron: day-of-week \"8\" is out of range 0-7"},
        BadCase{"cron 0 8 * *",
                "cron: expected 5 fields (minute hour day-of-month month day-of-week), found 4"},
        BadCase{"cron 0 0 0 8 * * *",
                "cron: expected 5 fields (minute hour day-of-month month day-of-week), found 7"},
        BadCase{"cron */0 * * * *", "cron: minute step \"0\" must be a number from 1 to 59"},
        BadCase{"cron 5-3 * * * *",
                "cron: minute range \"5-3\" goes backwards; write the smaller value first"},
        BadCase{"cron 1,,2 * * * *", "cron: minute \"1,,2\" has an empty list item"},
        BadCase{"cron x * * * *", "cron: minute \"x\" is not a number"},
        BadCase{"cron 0 0 * * fry",
                "cron: day-of-week \"fry\" is not a number or a day name (sun..sat)"},
        BadCase{"cron 0 0 * foo *",
                "cron: month \"foo\" is not a number or a month name (jan..dec)"},
        BadCase{"cron 0 0 30 2 *",
                "cron: day-of-month \"30\" never occurs in month \"2\"; the schedule would never "
                "run"},
        BadCase{"every 0m",
                "every: expected a positive whole number and a unit s, m, h or d "
                "(e.g. \"every 15m\"), found \"every 0m\""},
        BadCase{"every 15",
                "every: expected a positive whole number and a unit s, m, h or d "
                "(e.g. \"every 15m\"), found \"every 15\""},
        BadCase{"every 15 minutes",
                "every: expected a positive whole number and a unit s, m, h "
                "or d (e.g. \"every 15m\"), found \"every 15 minutes\""},
        BadCase{"every -5m",
                "every: expected a positive whole number and a unit s, m, h or d "
                "(e.g. \"every 15m\"), found \"every -5m\""},
        BadCase{"every 99999999999999999d",
                "every: \"99999999999999999d\" is too long an interval"},
        BadCase{"realtme",
                "expected \"realtime\", \"every <n><s|m|h|d>\" or \"cron <minute> <hour> "
                "<day-of-month> <month> <day-of-week>\", found \"realtme\""},
        BadCase{"",
                "expected \"realtime\", \"every <n><s|m|h|d>\" or \"cron <minute> <hour> "
                "<day-of-month> <month> <day-of-week>\", found \"\""}));

// Sets TZ for one test and restores it after.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old, had_ = true;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::string old_;
  bool had_ = false;
};

// Local wall-clock time → ms; isdst -1 lets mktime decide, 0/1 picks one side of an autumn hour.
int64_t Local(int y, int mon, int d, int h, int mi, int s = 0, int isdst = -1) {
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = isdst;
  return static_cast<int64_t>(mktime(&tm)) * 1000;
}

std::string Show(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z %a", &tm);
  return buf;
}

std::string Next(const char* schedule, int64_t after_ms) {
  Result<Schedule> s = ParseSchedule(schedule);
  EXPECT_TRUE(s.ok()) << schedule << ": " << s.status().ToString();
  if (!s.ok()) return "";
  return Show(s->NextAfter(after_ms));
}

TEST(NextAfterTest, RealtimeAndEvery) {
  EXPECT_EQ(ParseSchedule("realtime")->NextAfter(12345), 12345);
  EXPECT_EQ(ParseSchedule("every 15m")->NextAfter(1000), 1000 + 900000);
}

TEST(NextAfterTest, CronInUtc) {
  ScopedTimeZone tz("UTC");
  // 2026-11-22 is a Sunday.
  EXPECT_EQ(Next("cron 0 8,12,16 * * *", Local(2026, 11, 22, 9, 30)),
            "2026-11-22 12:00:00 UTC Sun");
  // Strictly after: a run time itself is not returned again.
  EXPECT_EQ(Next("cron 0 8,12,16 * * *", Local(2026, 11, 22, 16, 0)),
            "2026-11-23 08:00:00 UTC Mon");
  EXPECT_EQ(Next("cron 0 8,12,16 * * *", Local(2026, 11, 22, 15, 59, 59) + 999),
            "2026-11-22 16:00:00 UTC Sun");
  EXPECT_EQ(Next("cron */15 * * * *", Local(2026, 11, 22, 10, 7)), "2026-11-22 10:15:00 UTC Sun");
  EXPECT_EQ(Next("cron * * * * *", Local(2026, 11, 22, 10, 7, 30)), "2026-11-22 10:08:00 UTC Sun");
  EXPECT_EQ(Next("cron 0 9 * * mon-fri", Local(2026, 11, 27, 10, 0)),
            "2026-11-30 09:00:00 UTC Mon");
  EXPECT_EQ(Next("cron 0 0 * * 7", Local(2026, 11, 28, 12, 0)), "2026-11-29 00:00:00 UTC Sun");
  EXPECT_EQ(Next("cron 0 0 1 1 *", Local(2026, 6, 1, 0, 0)), "2027-01-01 00:00:00 UTC Fri");
  EXPECT_EQ(Next("cron 30 2 31 * *", Local(2026, 11, 1, 0, 0)), "2026-12-31 02:30:00 UTC Thu");
  EXPECT_EQ(Next("cron 0 0 29 2 *", Local(2026, 3, 1, 0, 0)), "2028-02-29 00:00:00 UTC Tue");
  // Both day fields restricted: either matches (Monday the 23rd comes before the 1st).
  EXPECT_EQ(Next("cron 0 0 1,15 * mon", Local(2026, 11, 22, 12, 0)), "2026-11-23 00:00:00 UTC Mon");
  // Only day-of-month restricted: weekday does not matter.
  EXPECT_EQ(Next("cron 0 0 1,15 * *", Local(2026, 11, 22, 12, 0)), "2026-12-01 00:00:00 UTC Tue");
  // Before the epoch still rounds correctly.
  EXPECT_EQ(Next("cron 0 0 * * *", -1500), "1970-01-01 00:00:00 UTC Thu");
}

TEST(NextAfterTest, CronAcrossDaylightSavingChanges) {
  ScopedTimeZone tz("America/New_York");
  // 2026-03-08: 02:00 EST jumps to 03:00 EDT. A job due at 02:30 runs right after the jump...
  EXPECT_EQ(Next("cron 30 2 * * *", Local(2026, 3, 8, 1, 0)), "2026-03-08 03:00:00 EDT Sun");
  // ...and normally the next day.
  EXPECT_EQ(Next("cron 30 2 * * *", Local(2026, 3, 8, 3, 0)), "2026-03-09 02:30:00 EDT Mon");
  EXPECT_EQ(Next("cron 0 3 * * *", Local(2026, 3, 8, 1, 0)), "2026-03-08 03:00:00 EDT Sun");
  // 2026-11-01: 02:00 EDT falls back to 01:00 EST. 01:30 happens twice; the job runs once.
  int64_t first = Local(2026, 11, 1, 1, 30, 0, /*isdst=*/1);
  EXPECT_EQ(Show(first), "2026-11-01 01:30:00 EDT Sun");
  EXPECT_EQ(Next("cron 30 1 * * *", first), "2026-11-02 01:30:00 EST Mon");
  EXPECT_EQ(Next("cron 30 1 * * *", Local(2026, 11, 1, 0, 0)), "2026-11-01 01:30:00 EDT Sun");
  // An hourly job runs in both copies of the repeated hour.
  int64_t one_edt = Local(2026, 11, 1, 1, 0, 0, /*isdst=*/1);
  Result<Schedule> hourly = ParseSchedule("cron 0 * * * *");
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ(hourly->NextAfter(one_edt) - one_edt, 3600 * 1000);
  EXPECT_EQ(Show(hourly->NextAfter(one_edt)), "2026-11-01 01:00:00 EST Sun");
}

}  // namespace
}  // namespace concord
