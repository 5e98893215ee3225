// Zone: a fixed UTC offset, or an IANA time zone through ICU's icu::TimeZone (libstdc++ 12 has no
// std::chrono time-zone database, and setting TZ for localtime_r is process-global, not
// thread-safe). ICU's TimeZone is used through its const getOffset only, which is thread-safe;
// for instants after a zone's last transition (BasicTimeZone, read once at creation) the offset
// is known without the call, which was a good part of what a timestamp cost.
#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>

#include <cmath>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {

struct Zone::Icu {
  std::unique_ptr<icu::TimeZone> tz;
  // From this instant on the zone has no transition (most zones outside Europe and the
  // Americas: Asia/Shanghai since 1991), so its offset is `settled_offset` without asking ICU.
  // nullopt: the zone still changes (DST), or ICU cannot tell.
  std::optional<int64_t> settled_from;
  int settled_offset = 0;
};

namespace {

int IcuOffsetAt(const icu::TimeZone& tz, int64_t utc_seconds) {
  int32_t raw = 0, dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  tz.getOffset(static_cast<UDate>(utc_seconds) * 1000.0, false, raw, dst, status);
  if (U_FAILURE(status)) return 0;
  return (raw + dst) / 1000;
}

}  // namespace

Zone::~Zone() = default;

std::shared_ptr<const Zone> Zone::Create(std::string_view name) {
  std::shared_ptr<Zone> z(new Zone());
  z->name_ = std::string(name);
  if (auto offset = ParseUtcOffset(name)) {
    z->fixed_ = *offset;
    return z;
  }
  if (!IsKnownTimeZone(name)) return nullptr;
  icu::UnicodeString id = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  z->icu_ = std::make_unique<Icu>();
  z->icu_->tz.reset(icu::TimeZone::createTimeZone(id));
  if (z->icu_->tz == nullptr || *z->icu_->tz == icu::TimeZone::getUnknown()) return nullptr;
  if (const auto* basic = dynamic_cast<const icu::BasicTimeZone*>(z->icu_->tz.get())) {
    // The last transition before the year 3000, and none after it: the offset is settled.
    constexpr UDate kFarFuture = 32503680000000.0;  // 3000-01-01T00:00:00Z, in ms
    icu::TimeZoneTransition last, next;
    if (basic->getPreviousTransition(kFarFuture, true, last) &&
        !basic->getNextTransition(last.getTime(), false, next)) {
      const int64_t from = static_cast<int64_t>(std::ceil(last.getTime() / 1000.0));
      z->icu_->settled_from = from;
      z->icu_->settled_offset = IcuOffsetAt(*z->icu_->tz, from);
    }
  }
  return z;
}

int Zone::OffsetAt(int64_t utc_seconds) const {
  if (fixed_) return *fixed_;
  if (icu_->settled_from && utc_seconds >= *icu_->settled_from) return icu_->settled_offset;
  return IcuOffsetAt(*icu_->tz, utc_seconds);
}

Zone::Local Zone::LocalToUtc(int64_t local_seconds, int64_t* utc) const {
  if (fixed_) {
    *utc = local_seconds - *fixed_;
    return Local::kOk;
  }
  // The offsets in force a day before and a day after bound every candidate: zones change their
  // offset at most once within two days. A candidate is right when the offset at the instant it
  // gives is the candidate itself; none right means the clocks skipped this time, two right that
  // they passed it twice.
  // When both bounds have the same offset (nearly always) there is one candidate to check.
  const int before = OffsetAt(local_seconds - 86400);
  const int after = OffsetAt(local_seconds + 86400);
  const int64_t first = local_seconds - before;
  const int64_t second = local_seconds - after;
  const bool first_right = OffsetAt(first) == before;
  const bool second_right = before == after ? first_right : OffsetAt(second) == after;
  if (first_right && second_right && first != second) return Local::kRepeated;
  if (!first_right && !second_right) return Local::kSkipped;
  *utc = first_right ? first : second;
  return Local::kOk;
}

}  // namespace concord::quality_internal
