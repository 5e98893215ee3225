// Normalizer and writer for phone: canonical E.164 with libphonenumber (Google's numbering-plan
// metadata: which lengths and prefixes are real numbers in each region), written back per binding
// as E.164, national, international or a digit pattern.
//
// PhoneNumberUtil is a process-wide singleton whose Parse/Format/IsValid methods are thread-safe;
// it does not throw.
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::string_view kWhat = "a phone number";
// libphonenumber refuses to parse more than this; longer input is not a phone number anyway.
constexpr size_t kMaxInput = 250;

const PhoneNumberUtil& Util() { return *PhoneNumberUtil::GetInstance(); }

std::string ParseReason(PhoneNumberUtil::ErrorType e, const FieldSpec& field) {
  switch (e) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return field.region.empty()
                 ? "invalid country code: write +<country code>, or give the field a region"
                 : "invalid country code";
    case PhoneNumberUtil::NOT_A_NUMBER:
      return "not a number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return "too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "too long";
    default:
      return "not a number";
  }
}

std::string RegionOf(const PhoneNumber& n) {
  std::string region;
  Util().GetRegionCodeForCountryCode(n.country_code(), &region);
  return region;
}

std::string ValidationReason(const PhoneNumber& n) {
  switch (Util().IsPossibleNumberWithReason(n)) {
    case PhoneNumberUtil::TOO_SHORT:
      return "too short";
    case PhoneNumberUtil::TOO_LONG:
      return "too long";
    case PhoneNumberUtil::INVALID_LENGTH:
      return "invalid length";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return "invalid country code";
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return "a local number without its area code";
    default:
      return "not a number in use in " + RegionOf(n);
  }
}

}  // namespace

Result<Value> NormalizePhone(const FieldSpec& field, const Value& raw, const Compiled&) {
  std::string text;
  std::string_view view;  // Canonicalish(raw), without a copy when it is ASCII already
  switch (raw.kind()) {
    case ValueKind::kText:
      view = TrimAscii(raw.text());
      if (!IsAscii(view)) {
        text = Canonicalish(raw.text());  // full-width digits, ＋ and （） become ASCII
        view = text;
      }
      break;
    case ValueKind::kInt:
      if (raw.int_value() <= 0) return Expected(field, kWhat, raw, "not a number");
      text = raw.ToString();
      view = text;
      break;
    default:
      return Expected(field, kWhat, raw);
  }
  if (view.empty()) return Value::Text("");  // empty is absent; `required` decides
  if (view.size() > kMaxInput) return Expected(field, kWhat, raw, "too long");
  static const std::string kNoRegion = "ZZ";
  const std::string& region = field.region.empty() ? kNoRegion : field.region;
  // Most numbers are answered by the fast path (phone_fast_path.cc), as libphonenumber would
  // answer them; whatever it is not sure of, libphonenumber decides.
  // Its answer is kept only when it reads back as itself (see below); otherwise libphonenumber
  // decides and refuses it.
  // The fast path says when that holds without reading it again (most numbers).
  bool reads_back = false;
  if (auto e164 = PhoneE164FastPath(view, region, &reads_back)) {
    if (reads_back || PhoneE164FastPath(*e164, kNoRegion) == e164) {
      return Value::Text(std::move(*e164));
    }
  }
  if (text.data() != view.data()) text = std::string(view);
  PhoneNumber number;
  auto error = Util().Parse(text, region, &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    return Expected(field, kWhat, raw, ParseReason(error, field));
  }
  if (!number.extension().empty()) {
    return Expected(field, kWhat, raw, "it has an extension, which E.164 cannot hold");
  }
  if (!Util().IsValidNumber(number)) return Expected(field, kWhat, raw, ValidationReason(number));
  std::string e164;
  Util().Format(number, PhoneNumberUtil::E164, &e164);
  // E.164 allows 15 digits; libphonenumber's metadata accepts a few longer ranges (some German
  // numbers), which no E.164 column can hold.
  if (e164.size() > 16) return Expected(field, kWhat, raw, "too long for E.164 (15 digits)");
  // A canonical value must read back as itself. libphonenumber does not promise that: it strips a
  // national prefix even after the country code, so "+52 1 123 1234 0078" becomes
  // "+5212312340078", which it reads as yet another number (found by tests/fuzz/phone_fuzzer.cc).
  PhoneNumber again;
  std::string again_e164;
  if (Util().Parse(e164, kNoRegion, &again) == PhoneNumberUtil::NO_PARSING_ERROR &&
      Util().IsValidNumber(again)) {
    Util().Format(again, PhoneNumberUtil::E164, &again_e164);
  }
  if (again_e164 != e164) {
    return Expected(field, kWhat, raw,
                    "libphonenumber reads it as " + e164 + " but reads that as " +
                        (again_e164.empty() ? "no valid number" : again_e164) +
                        "; write the number without a trunk prefix after the country code");
  }
  return Value::Text(std::move(e164));
}

Result<Value> WritePhone(const FieldSpec& field, const Value& canonical, const Compiled& fmt) {
  if (fmt.kind == FormatKind::kCanonical) return canonical;
  if (canonical.kind() != ValueKind::kText) {
    return InvalidArgument("cannot write " + DisplayValue(field, canonical) +
                           ": not a canonical phone number");
  }
  if (canonical.text().empty()) return canonical;
  PhoneNumber number;
  if (canonical.text()[0] != '+' ||
      Util().Parse(canonical.text(), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return InvalidArgument("cannot write " + DisplayValue(field, canonical) +
                           ": not a canonical phone number");
  }
  const bool home = !field.region.empty() &&
                    number.country_code() == Util().GetCountryCodeForRegion(field.region);
  std::string out;
  switch (fmt.kind) {
    case FormatKind::kInternational:
      Util().Format(number, PhoneNumberUtil::INTERNATIONAL, &out);
      break;
    case FormatKind::kNational:
      // A foreign number keeps its country code, in international format: the way it is dialled
      // from the field's region can read back as another number (from HK, "00 86 138…" reads as
      // 008 + 61, Australia).
      Util().Format(number, home ? PhoneNumberUtil::NATIONAL : PhoneNumberUtil::INTERNATIONAL,
                    &out);
      break;
    case FormatKind::kDigitPattern: {
      // The digits as dialled within the region (trunk prefix included: 0755…), so that what
      // is written reads back as the same number.
      std::string national, digits;
      Util().Format(number, PhoneNumberUtil::NATIONAL, &national);
      for (char c : national) {
        if (c >= '0' && c <= '9') digits += c;
      }
      if (!home) {
        return InvalidArgument("cannot write " + DisplayValue(field, canonical) + " as \"" +
                               fmt.text + "\": it is not a number of region " + field.region);
      }
      if (static_cast<int>(digits.size()) != fmt.pattern_digits) {
        return InvalidArgument("cannot write " + DisplayValue(field, canonical) + " as \"" +
                               fmt.text + "\": the number has " + std::to_string(digits.size()) +
                               " digits, the pattern " + std::to_string(fmt.pattern_digits));
      }
      size_t next = 0;
      for (char c : fmt.text) out += (c >= '0' && c <= '9') ? digits[next++] : c;
      break;
    }
    default:
      return canonical;
  }
  return Value::Text(std::move(out));
}

std::vector<std::string> PhoneSpellings(const FieldSpec& field, const std::string& e164) {
  PhoneNumber number;
  if (e164.empty() || e164[0] != '+' ||
      Util().Parse(e164, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return {};
  }
  std::vector<std::string> out = {e164, e164.substr(1)};
  auto add = [&](std::string s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  auto with_dashes = [](std::string s) {
    std::replace(s.begin(), s.end(), ' ', '-');
    return s;
  };
  std::string international;
  Util().Format(number, PhoneNumberUtil::INTERNATIONAL, &international);
  add(international);
  add(with_dashes(international));
  if (!field.region.empty() &&
      number.country_code() == Util().GetCountryCodeForRegion(field.region)) {
    std::string national, digits;
    Util().Format(number, PhoneNumberUtil::NATIONAL, &national);
    for (char c : national) {
      if (c >= '0' && c <= '9') digits += c;
    }
    add(national);
    add(with_dashes(national));
    add(digits);
  }
  return out;
}

}  // namespace concord::quality_internal
