// Date and timestamp parsers: any input either normalizes or is refused, never crashes; a
// canonical value normalizes to itself; and canonical → binding layout → canonical is stable
// wherever the layout can hold the value.
//
// Input: byte 0 picks the layout (and whether the rest is read as an integer); the rest is text.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"

using namespace concord;

namespace {

struct Setup {
  FieldSpec field;
  BindingFormat format;
  int fraction_digits_kept;  // 9: all; 3: milliseconds; 0: none
  bool naive_round_trips;    // a wall time of unknown zone reads back as one
  // Excel before 1900, a skipped midnight, an instant in a wall-time layout without a zone.
  bool may_refuse_write;
};

const std::vector<Setup>& Setups() {
  static const auto* kSetups = [] {
    auto* v = new std::vector<Setup>;
    FieldSpec d = fuzz::Field(FieldType::kDate);
    FieldSpec t = fuzz::Field(FieldType::kTimestamp);
    v->push_back({d, fuzz::Layout(d, ""), 9, true, false});
    v->push_back({d, fuzz::Layout(d, "dmy"), 9, true, false});
    v->push_back({d, fuzz::Layout(d, "mdy"), 9, true, false});
    v->push_back({d, fuzz::Layout(d, "excel"), 9, true, true});
    v->push_back({d, fuzz::Layout(d, "unix_s", "Asia/Shanghai"), 9, true, true});
    v->push_back({d, fuzz::Layout(d, "unix_ms", "America/New_York"), 9, true, true});
    v->push_back({d, fuzz::Layout(d, "YYYY年M月D日"), 9, true, false});
    v->push_back({d, fuzz::Layout(d, "DD.MM.YYYY"), 9, true, false});
    v->push_back({t, fuzz::Layout(t, ""), 9, true, false});
    v->push_back({t, fuzz::Layout(t, "", "Asia/Shanghai"), 9, true, false});
    v->push_back({t, fuzz::Layout(t, "", "America/New_York"), 9, true, false});
    v->push_back({t, fuzz::Layout(t, "dmy", "+05:30"), 9, true, false});
    v->push_back({t, fuzz::Layout(t, "mdy"), 9, true, true});  // instants need a zone
    v->push_back({t, fuzz::Layout(t, "unix_s"), 0, false, false});
    v->push_back({t, fuzz::Layout(t, "unix_ms", "Asia/Shanghai"), 3, true, false});
    v->push_back(
        {t, fuzz::Layout(t, "YYYY-MM-DD HH:mm:ss.SSSXXX", "Europe/London"), 3, true, false});
    v->push_back({t, fuzz::Layout(t, "YYYYMMDDHHmmss", "Asia/Shanghai"), 0, true, false});
    v->push_back({t, fuzz::Layout(t, "YYYY/M/D H:mm:ss.SSS"), 3, true, true});
    return v;
  }();
  return *kSetups;
}

size_t FractionDigits(const std::string& canonical) {
  size_t dot = canonical.find('.');
  if (dot == std::string::npos) return 0;
  size_t end = dot + 1;
  while (end < canonical.size() && canonical[end] >= '0' && canonical[end] <= '9') ++end;
  return end - dot - 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 256) return 0;
  const auto& setups = Setups();
  const Setup& s = setups[data[0] % setups.size()];
  Value raw;
  if ((data[0] & 0x80) && size >= 9) {
    int64_t v;
    std::memcpy(&v, data + 1, 8);
    raw = Value::Int(v);
  } else {
    raw = Value::Text(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  }
  auto canonical = fuzz::Read(s.field, raw, s.format);
  if (!canonical.ok()) return 0;
  const std::string& c = canonical->text();

  auto again = NormalizeValue(s.field, *canonical, s.format);
  fuzz::Check(again.ok() && *again == *canonical, "canonical is stable",
              c + " -> " + (again.ok() ? again->ToString() : again.status().ToString()));

  auto written = FormatValue(s.field, *canonical, s.format);
  if (!written.ok()) {
    fuzz::Check(s.may_refuse_write, "write succeeds", c + ": " + written.status().ToString());
    return 0;
  }
  bool naive = s.field.type == FieldType::kTimestamp && c.back() != 'Z';
  if (FractionDigits(c) > static_cast<size_t>(s.fraction_digits_kept)) return 0;
  if (naive && !s.naive_round_trips) return 0;
  auto back = fuzz::Read(s.field, *written, s.format);
  if (!back.ok()) {
    // A wall time the binding's zone passes twice or skips is refused on the way back.
    const std::string& m = back.status().message();
    fuzz::Check(m.find("happens twice") != std::string::npos ||
                    m.find("does not exist") != std::string::npos,
                "written value reads back", c + " -> " + written->ToString() + ": " + m);
    return 0;
  }
  fuzz::Check(*back == *canonical, "round trip",
              c + " -> " + written->ToString() + " -> " + back->ToString());
  return 0;
}
