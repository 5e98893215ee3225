// Phone parser (libphonenumber behind NormalizeValue): any input either normalizes to E.164 or is
// refused with a reason; E.164 normalizes to itself; E.164 → binding format → E.164 is stable
// wherever the format can hold the number; and wherever the fast path (phone_fast_path.cc)
// answers, libphonenumber gives the same E.164.
//
// Input: byte 0 picks the field's region and the binding's format; the rest is text (or, with the
// high bit, an integer).
#include <phonenumbers/phonenumberutil.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "quality/normalize_internal.h"
#include "tests/fuzz/fuzz_util.h"

using namespace concord;

namespace {

struct Setup {
  FieldSpec field;
  BindingFormat format;
  bool may_refuse_write;  // digit patterns hold only numbers of their region and length
};

const std::vector<Setup>& Setups() {
  static const auto* kSetups = [] {
    auto* v = new std::vector<Setup>;
    for (const char* region : {"CN", "", "US", "DE", "HK"}) {
      FieldSpec f = fuzz::Field(FieldType::kPhone, region);
      v->push_back({f, fuzz::Layout(f, ""), false});
      v->push_back({f, fuzz::Layout(f, "international"), false});
      if (*region != '\0') {
        v->push_back({f, fuzz::Layout(f, "national"), false});
        v->push_back({f, fuzz::Layout(f, "138-1234-5678"), true});
      }
    }
    return v;
  }();
  return *kSetups;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 300) return 0;
  const auto& setups = Setups();
  const Setup& s = setups[(data[0] & 0x7f) % setups.size()];
  Value raw;
  if ((data[0] & 0x80) && size >= 9) {
    int64_t v;
    std::memcpy(&v, data + 1, 8);
    raw = Value::Int(v);
  } else {
    raw = Value::Text(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  }
  if (raw.kind() == ValueKind::kText) {
    using i18n::phonenumbers::PhoneNumberUtil;
    const std::string text(quality_internal::TrimAscii(raw.text()));
    const std::string region = s.field.region.empty() ? "ZZ" : s.field.region;
    if (auto fast = quality_internal::PhoneE164FastPath(text, region)) {
      const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
      i18n::phonenumbers::PhoneNumber number;
      std::string e164;
      if (util.Parse(text, region, &number) == PhoneNumberUtil::NO_PARSING_ERROR &&
          number.extension().empty() && util.IsValidNumber(number)) {
        util.Format(number, PhoneNumberUtil::E164, &e164);
      }
      fuzz::Check(*fast == e164, "fast path agrees with libphonenumber",
                  text + " in " + region + ": " + *fast + " vs \"" + e164 + "\"");
    }
  }
  auto canonical = fuzz::Read(s.field, raw, s.format);
  if (!canonical.ok()) return 0;
  const std::string& c = canonical->text();
  if (c.empty()) return 0;  // blank input is absent
  fuzz::Check(
      c[0] == '+' && c.size() <= 16 && c.find_first_not_of("0123456789", 1) == std::string::npos,
      "E.164", c);
  auto again = NormalizeValue(s.field, *canonical, s.format);
  fuzz::Check(again.ok() && *again == *canonical, "canonical is stable", c);
  auto written = FormatValue(s.field, *canonical, s.format);
  if (!written.ok()) {
    fuzz::Check(s.may_refuse_write, "write succeeds", c + ": " + written.status().ToString());
    return 0;
  }
  auto back = fuzz::Read(s.field, *written, s.format);
  fuzz::Check(back.ok() && *back == *canonical, "round trip",
              c + " -> " + written->ToString() + " -> " +
                  (back.ok() ? back->ToString() : back.status().ToString()));
  return 0;
}
