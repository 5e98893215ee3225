// When a flow runs: `realtime` (continuously), `every 15m` (fixed interval), or
// `cron 0 8,12,16 * * *` (five-field cron: minute hour day-of-month month day-of-week, local time).
//
// The cron parser is written here by hand: Debian ships no C++ cron library, and the five-field
// subset (numbers, `*`, lists, ranges, steps) is small and fully tested in schedule_test.cc.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace concord {

struct Schedule {
  enum class Kind { kRealtime, kEvery, kCron };
  Kind kind = Kind::kRealtime;
  std::string text = "realtime";  // as written
  int64_t every_ms = 0;           // kEvery
  // kCron: allowed values per field.
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // 1..31
  std::bitset<13> months;         // 1..12
  std::bitset<7> days_of_week;    // 0..6, Sunday = 0 (7 accepted as Sunday)
  bool dom_restricted = false;    // cron's rule: when both day fields are restricted, either matches
  bool dow_restricted = false;

  // The first run time strictly after `after_ms` (ms since epoch), in the machine's local time
  // zone for kCron; after_ms + every_ms for kEvery; after_ms for kRealtime.
  int64_t NextAfter(int64_t after_ms) const;
};

// Parses "realtime", "every 30s|15m|2h|1d", "cron <5 fields>". The error message says what was
// expected and what was found, e.g. `cron: hour "25" is out of range 0-23`.
Result<Schedule> ParseSchedule(const std::string& text);

}  // namespace concord
