// Schedules: parsing of `realtime`, `every <n><unit>` and five-field cron, and the next run time.
//
// Cron follows Vixie cron where it matters: `*`, numbers, names (jan..dec, sun..sat), lists,
// ranges and steps; day-of-week 7 is Sunday; when both day fields are restricted either one
// matching is enough; a field that starts with `*` (also `*/2`) counts as unrestricted. Local
// time: a job due in the hour skipped by a spring-forward DST change runs right after the gap,
// and a wall-clock time that occurs twice (autumn) runs once unless the hour field is `*`.
#include "config/schedule.h"

#include <charconv>
#include <climits>
#include <ctime>
#include <string_view>
#include <vector>

namespace concord {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ParseUint(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

struct CronField {
  const char* name;
  int lo;
  int hi;
  const std::vector<std::string_view>* names;  // names[i] stands for lo_name + i
  int name_base;
  const char* names_doc;
};

const std::vector<std::string_view> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};
const std::vector<std::string_view> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const CronField kCronFields[5] = {
    {"minute", 0, 59, nullptr, 0, nullptr},
    {"hour", 0, 23, nullptr, 0, nullptr},
    {"day-of-month", 1, 31, nullptr, 0, nullptr},
    {"month", 1, 12, &kMonthNames, 1, "a month name (jan..dec)"},
    {"day-of-week", 0, 7, &kDayNames, 0, "a day name (sun..sat)"},
};

Status CronValue(const CronField& f, std::string_view s, int* out) {
  int64_t v = 0;
  if (ParseUint(s, &v)) {
    if (v < f.lo || v > f.hi) {
      return InvalidArgument("cron: " + std::string(f.name) + " " + Quote(s) + " is out of range " +
                             std::to_string(f.lo) + "-" + std::to_string(f.hi));
    }
    *out = static_cast<int>(v);
    return Status::Ok();
  }
  if (f.names != nullptr && s.size() == 3) {
    std::string lower;
    for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    for (size_t i = 0; i < f.names->size(); ++i) {
      if ((*f.names)[i] == lower) {
        *out = f.name_base + static_cast<int>(i);
        return Status::Ok();
      }
    }
  }
  return InvalidArgument("cron: " + std::string(f.name) + " " + Quote(s) + " is not a number" +
                         (f.names_doc ? std::string(" or ") + f.names_doc : std::string()));
}

// Parses one cron field into `allowed` (indexed by value). Sets *starred when it starts with '*'.
Status ParseCronField(const CronField& f, std::string_view text, std::vector<bool>* allowed,
                      bool* starred) {
  allowed->assign(f.hi + 1, false);
  *starred = !text.empty() && text.front() == '*';
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) {
      return InvalidArgument("cron: " + std::string(f.name) + " " + Quote(text) +
                             " has an empty list item");
    }
    std::string_view range = item;
    int64_t step = 1;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      if (!ParseUint(step_text, &step) || step < 1 || step > f.hi) {
        return InvalidArgument("cron: " + std::string(f.name) + " step " + Quote(step_text) +
                               " must be a number from 1 to " + std::to_string(f.hi));
      }
      has_step = true;
    }
    int lo = f.lo;
    int hi = f.hi;
    if (range == "*") {
      if (f.hi == 7) hi = 6;  // day-of-week: 7 duplicates Sunday
    } else if (size_t dash = range.find('-'); dash != std::string_view::npos) {
      RETURN_IF_ERROR(CronValue(f, range.substr(0, dash), &lo));
      RETURN_IF_ERROR(CronValue(f, range.substr(dash + 1), &hi));
      if (lo > hi) {
        return InvalidArgument("cron: " + std::string(f.name) + " range " + Quote(range) +
                               " goes backwards; write the smaller value first");
      }
    } else {
      RETURN_IF_ERROR(CronValue(f, range, &lo));
      if (!has_step) hi = lo;  // "a/n" means a, a+n, ... up to the field's maximum
    }
    for (int64_t v = lo; v <= hi; v += step) (*allowed)[v] = true;
  }
  return Status::Ok();
}

int DaysInMonthMax(int month) {  // 1..12; February counts its leap day
  static const int kDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool DayMatches(const Schedule& s, const struct tm& tm) {
  bool dom = s.days_of_month[tm.tm_mday];
  bool dow = s.days_of_week[tm.tm_wday];
  if (s.dom_restricted && s.dow_restricted) return dom || dow;
  return dom && dow;
}

// Normalises a broken-down local time and returns it as time_t, never going backwards.
time_t AdvanceTo(time_t t, struct tm tm) {
  tm.tm_isdst = -1;
  time_t n = mktime(&tm);
  return n > t ? n : t + 60;
}

// Wall-clock minute as a comparable number.
int64_t WallMinute(const struct tm& tm) {
  return ((((static_cast<int64_t>(tm.tm_year) * 13 + tm.tm_mon) * 32 + tm.tm_mday) * 24 +
           tm.tm_hour) *
          60) +
         tm.tm_min;
}

}  // namespace

int64_t Schedule::NextAfter(int64_t after_ms) const {
  switch (kind) {
    case Kind::kRealtime:
      return after_ms;
    case Kind::kEvery:
      return after_ms + every_ms;
    case Kind::kCron:
      break;
  }
  int64_t secs = FloorDiv(after_ms, 1000);
  time_t after = static_cast<time_t>(secs);
  struct tm after_tm;
  localtime_r(&after, &after_tm);
  const int64_t after_wall = WallMinute(after_tm);
  const bool dedupe_wall = !hours.all();
  time_t t = static_cast<time_t>(secs - (secs - FloorDiv(secs, 60) * 60) + 60);
  // Every step moves at least a minute, and a month, day or hour at a time where it can; eight
  // years of days (Feb 29 schedules) is well within the bound. ParseSchedule rejects schedules
  // that never fire.
  for (int i = 0; i < 200000; ++i) {
    struct tm tm;
    localtime_r(&t, &tm);
    if (!months[tm.tm_mon + 1]) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      t = AdvanceTo(t, tm);
      continue;
    }
    if (!DayMatches(*this, tm)) {
      tm.tm_mday += 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      t = AdvanceTo(t, tm);
      continue;
    }
    if (!hours[tm.tm_hour]) {
      time_t next = t + (60 - tm.tm_min) * 60 - tm.tm_sec;
      struct tm next_tm;
      localtime_r(&next, &next_tm);
      int expected = (tm.tm_hour + 1) % 24;
      if (next_tm.tm_hour != expected && next_tm.tm_mday == tm.tm_mday) {
        // Spring forward: the hours from `expected` up to next_tm.tm_hour never existed today.
        // A job due in them runs as soon as the clock has jumped.
        for (int h = expected; h < next_tm.tm_hour; ++h) {
          if (hours[h]) return static_cast<int64_t>(next) * 1000;
        }
      }
      t = next;
      continue;
    }
    if (!minutes[tm.tm_min]) {
      t += 60 - tm.tm_sec;
      continue;
    }
    if (dedupe_wall && WallMinute(tm) <= after_wall) {
      t += 60;  // autumn: this wall-clock time already came by before `after`
      continue;
    }
    return static_cast<int64_t>(t) * 1000;
  }
  return INT64_MAX;
}

Result<Schedule> ParseSchedule(const std::string& text) {
  std::string_view trimmed = Trim(text);
  std::vector<std::string_view> words = Words(trimmed);
  Schedule s;
  s.text = std::string(trimmed);
  if (words.size() == 1 && words[0] == "realtime") {
    s.kind = Schedule::Kind::kRealtime;
    return s;
  }
  if (!words.empty() && words[0] == "every") {
    const std::string usage =
        "every: expected a positive whole number and a unit s, m, h or d "
        "(e.g. \"every 15m\"), found " +
        Quote(trimmed);
    if (words.size() != 2 || words[1].size() < 2) return InvalidArgument(usage);
    std::string_view number = words[1].substr(0, words[1].size() - 1);
    char unit = words[1].back();
    int64_t unit_ms = unit == 's'   ? 1000
                      : unit == 'm' ? 60000
                      : unit == 'h' ? 3600000
                      : unit == 'd' ? 86400000
                                    : 0;
    int64_t n = 0;
    if (unit_ms == 0 || !ParseUint(number, &n) || n < 1) return InvalidArgument(usage);
    if (n > INT64_MAX / unit_ms / 1000) {
      return InvalidArgument("every: " + Quote(words[1]) + " is too long an interval");
    }
    s.kind = Schedule::Kind::kEvery;
    s.every_ms = n * unit_ms;
    return s;
  }
  if (!words.empty() && words[0] == "cron") {
    if (words.size() != 6) {
      return InvalidArgument(
          "cron: expected 5 fields (minute hour day-of-month month day-of-week), found " +
          std::to_string(words.size() - 1));
    }
    s.kind = Schedule::Kind::kCron;
    std::vector<bool> allowed[5];
    bool starred[5];
    for (int i = 0; i < 5; ++i) {
      RETURN_IF_ERROR(ParseCronField(kCronFields[i], words[i + 1], &allowed[i], &starred[i]));
    }
    for (int v = 0; v < 60; ++v) s.minutes[v] = allowed[0][v];
    for (int v = 0; v < 24; ++v) s.hours[v] = allowed[1][v];
    for (int v = 1; v <= 31; ++v) s.days_of_month[v] = allowed[2][v];
    for (int v = 1; v <= 12; ++v) s.months[v] = allowed[3][v];
    for (int v = 0; v < 7; ++v) s.days_of_week[v] = allowed[4][v];
    if (allowed[4][7]) s.days_of_week[0] = true;
    s.dom_restricted = !starred[2];
    s.dow_restricted = !starred[4];
    if (s.dom_restricted && !s.dow_restricted) {
      bool possible = false;
      for (int m = 1; m <= 12 && !possible; ++m) {
        for (int d = 1; d <= DaysInMonthMax(m) && s.months[m] && !possible; ++d) {
          possible = s.days_of_month[d];
        }
      }
      if (!possible) {
        return InvalidArgument("cron: day-of-month " + Quote(words[3]) + " never occurs in month " +
                               Quote(words[4]) + "; the schedule would never run");
      }
    }
    return s;
  }
  return InvalidArgument(
      "expected \"realtime\", \"every <n><s|m|h|d>\" or \"cron <minute> <hour> <day-of-month> "
      "<month> <day-of-week>\", found " +
      Quote(trimmed));
}

}  // namespace concord
