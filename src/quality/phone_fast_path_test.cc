// The phone fast path against libphonenumber itself: wherever PhoneE164FastPath answers, its
// answer is what Parse → no extension → IsValidNumber → Format(E164) gives. Inputs: every example
// number libphonenumber has (every region and non-geographical entity, every type), in E.164,
// international, national and digits-only layouts, with the country code before a national
// layout, and mutated (digits changed, added, dropped); numbers in the layouts Chinese systems
// hold; and random strings over the characters the fast path reads. Each is parsed with its own
// region and others.
#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <random>
#include <set>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& Util() { return *PhoneNumberUtil::GetInstance(); }

// What NormalizePhone's libphonenumber path accepts, and as what.
std::optional<std::string> Reference(const std::string& text, const std::string& region) {
  PhoneNumber number;
  if (Util().Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::nullopt;
  }
  if (!number.extension().empty() || !Util().IsValidNumber(number)) return std::nullopt;
  std::string e164;
  Util().Format(number, PhoneNumberUtil::E164, &e164);
  if (e164.size() > 16) return std::nullopt;
  return e164;
}

struct Tally {
  size_t inputs = 0;
  size_t fast = 0;        // answered by the fast path
  size_t reference = 0;   // accepted by libphonenumber
  size_t reads_back = 0;  // answered with reads_back (the read-back skipped)
};

// Fails the test when the fast path answers differently from libphonenumber, or says its answer
// reads back as itself when it does not.
void Compare(const std::string& text, const std::string& region, Tally* tally) {
  ++tally->inputs;
  bool reads_back = false;
  auto fast = PhoneE164FastPath(text, region, &reads_back);
  EXPECT_EQ(fast, PhoneE164FastPath(text, region)) << text;
  auto reference = Reference(text, region);
  tally->reference += reference.has_value();
  if (!fast) return;
  ++tally->fast;
  EXPECT_EQ(fast, reference) << "input \"" << text << "\", region " << region;
  if (reads_back) {
    ++tally->reads_back;
    EXPECT_EQ(PhoneE164FastPath(*fast, "ZZ"), fast)
        << "input \"" << text << "\", region " << region;
  }
}

std::string Digits(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

TEST(PhoneFastPathTest, CommonShapesTakeIt) {
  // The layouts the bench and real CRMs hold; if these fell back to libphonenumber the fast path
  // would be dead code.
  const std::pair<const char*, const char*> cases[] = {
      {"+86-138-1234-5678", "+8613812345678"}, {"13912345678", "+8613912345678"},
      {"137 1234 5678", "+8613712345678"},     {"(0755) 8888 1234", "+8675588881234"},
      {"0755-88881234", "+8675588881234"},     {"010-12345678", "+861012345678"},
      {"+86 10 1234 5678", "+861012345678"},   {"400-812-3123", "+864008123123"},
      {"+1 650-253-0000", "+16502530000"},     {"+44 20 7946 0958", "+442079460958"},
      {"+49 30 1234567", "+49301234567"},      {"+852 9123 4567", "+85291234567"},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(PhoneE164FastPath(in, "CN"), std::optional<std::string>(out)) << in;
    EXPECT_EQ(Reference(in, "CN"), std::optional<std::string>(out)) << in;
  }
  EXPECT_EQ(PhoneE164FastPath("+86 138 1234 5678", "ZZ"), "+8613812345678");
  // These need no second reading: nothing, or a trunk prefix that is not there again, stripped.
  for (const char* in :
       {"+86-138-1234-5678", "13912345678", "+1 650-253-0000", "(0755) 8888 1234"}) {
    bool reads_back = false;
    EXPECT_TRUE(PhoneE164FastPath(in, "CN", &reads_back).has_value()) << in;
    EXPECT_TRUE(reads_back) << in;
  }
}

TEST(PhoneFastPathTest, DeclinesWhatItDoesNotModel) {
  // libphonenumber decides these (and gives the reasons); the fast path does not guess.
  for (const char* in :
       {"0086 138 1234 5678", "8613812345678", "tel:+86-138-1234-5678", "138 1234 5678 ext. 12",
        "+86 138 1234 5678#", "1-800-FLOWERS", "12345", "+999 1234 5678", "+86 138 1234 567",
        "138/1234/5678", "", "+", "++86 138 1234 5678", "13812345678", "+0 138 1234 5678"}) {
    const std::string region = std::string(in) == "13812345678" ? "ZZ" : "CN";
    EXPECT_EQ(PhoneE164FastPath(in, region), std::nullopt) << in << " in " << region;
  }
}

TEST(PhoneFastPathTest, AgreesWithLibphonenumberOnEveryExampleNumber) {
  std::mt19937 rng(20261122);
  std::set<std::string> regions;
  Util().GetSupportedRegions(&regions);
  std::set<int> global;
  Util().GetSupportedGlobalNetworkCallingCodes(&global);
  const PhoneNumberUtil::PhoneNumberType kTypes[] = {
      PhoneNumberUtil::FIXED_LINE,      PhoneNumberUtil::MOBILE,      PhoneNumberUtil::TOLL_FREE,
      PhoneNumberUtil::PREMIUM_RATE,    PhoneNumberUtil::SHARED_COST, PhoneNumberUtil::VOIP,
      PhoneNumberUtil::PERSONAL_NUMBER, PhoneNumberUtil::PAGER,       PhoneNumberUtil::UAN,
      PhoneNumberUtil::VOICEMAIL};
  std::vector<PhoneNumber> examples;
  for (const std::string& region : regions) {
    for (auto type : kTypes) {
      PhoneNumber n;
      if (Util().GetExampleNumberForType(region, type, &n)) examples.push_back(n);
    }
  }
  for (int code : global) {
    PhoneNumber n;
    if (Util().GetExampleNumberForNonGeoEntity(code, &n)) examples.push_back(n);
  }
  ASSERT_GT(examples.size(), 1000u);
  const std::vector<std::string> others = {"CN", "US", "GB", "ZZ", "DE", "IT", "HK", "RU"};
  std::vector<std::string> region_list(regions.begin(), regions.end());
  Tally tally;
  for (const PhoneNumber& example : examples) {
    std::vector<PhoneNumber> numbers = {example};
    std::string nsn;
    Util().GetNationalSignificantNumber(example, &nsn);
    // Mutants: a digit changed, one added, one dropped — valid or not, the answers must agree.
    for (int k = 0; k < 6; ++k) {
      std::string m = nsn;
      size_t at = rng() % m.size();
      switch (k % 3) {
        case 0:
          m[at] = static_cast<char>('0' + rng() % 10);
          break;
        case 1:
          m.insert(at, 1, static_cast<char>('0' + rng() % 10));
          break;
        default:
          if (m.size() > 1) m.erase(at, 1);
          break;
      }
      PhoneNumber n;
      if (Util().Parse("+" + std::to_string(example.country_code()) + m, "ZZ", &n) ==
          PhoneNumberUtil::NO_PARSING_ERROR) {
        numbers.push_back(n);
      }
    }
    for (const PhoneNumber& n : numbers) {
      std::string own;
      Util().GetRegionCodeForNumber(n, &own);
      std::string e164, international, national;
      Util().Format(n, PhoneNumberUtil::E164, &e164);
      Util().Format(n, PhoneNumberUtil::INTERNATIONAL, &international);
      Util().Format(n, PhoneNumberUtil::NATIONAL, &national);
      const std::string cc = "+" + std::to_string(n.country_code()) + " ";
      const std::vector<std::string> texts = {
          e164, international, national, Digits(national), cc + national, cc + Digits(national)};
      for (const std::string& text : texts) {
        Compare(text, own, &tally);
        Compare(text, others[rng() % others.size()], &tally);
        Compare(text, region_list[rng() % region_list.size()], &tally);
      }
    }
  }
  // Most valid numbers are answered fast; a fast path that answered nothing would agree trivially.
  EXPECT_GT(tally.fast, tally.reference / 2) << tally.inputs << " inputs";
  EXPECT_GT(tally.reads_back, tally.fast / 2) << tally.fast << " answered";
}

TEST(PhoneFastPathTest, AgreesWithLibphonenumberOnChineseLayouts) {
  std::mt19937 rng(86);
  const char* kMobile[] = {"13", "14", "15", "16", "17", "18", "19", "179", "12", "11"};
  const char* kArea[] = {"10", "20", "21", "755", "571", "898", "400", "800", "95", "96", "1"};
  const char* kRegions[] = {"CN", "HK", "TW", "ZZ", "US"};
  Tally tally;
  auto digits = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string number;
    if (i % 2 == 0) {
      // Mostly 11 digits, as mobiles are; some a digit short or long.
      std::string prefix = kMobile[rng() % 10];
      int length = rng() % 4 ? 11 : 10 + static_cast<int>(rng() % 3);
      number = prefix + digits(length - static_cast<int>(prefix.size()));
    } else {
      number = std::string(rng() % 4 ? "0" : "") + kArea[rng() % 11] + digits(5 + rng() % 5);
    }
    std::string text;
    switch (rng() % 6) {
      case 0:
        text = number;
        break;
      case 1:
        text = "+86" + number;
        break;
      case 2:
        text = "+86 " + number.substr(0, 3) + "-" + number.substr(3);
        break;
      case 3:
        text = "(" + number.substr(0, 4) + ") " + number.substr(4);
        break;
      case 4:
        text = number.substr(0, 3) + " " + number.substr(3, 4) + " " +
               number.substr(7 < number.size() ? 7 : number.size());
        break;
      default:
        text = number.substr(0, 3) + "-" + number.substr(3);
        break;
    }
    Compare(text, kRegions[rng() % 5], &tally);
  }
  EXPECT_GT(tally.fast, tally.reference / 2) << tally.inputs << " inputs";
  EXPECT_GT(tally.reads_back, tally.fast / 2) << tally.fast << " answered";
}

TEST(PhoneFastPathTest, AgreesWithLibphonenumberOnRandomText) {
  std::mt19937 rng(7);
  const std::string kAlphabet = "0123456789012345678901234567890123456789 -+().";
  const char* kRegions[] = {"CN", "US", "GB", "ZZ", "DE", "IT", "BR", "IN", "KZ", "JE", "AR"};
  Tally tally;
  for (int i = 0; i < 60000; ++i) {
    std::string text;
    size_t length = rng() % 22;
    for (size_t k = 0; k < length; ++k) text += kAlphabet[rng() % kAlphabet.size()];
    Compare(std::string(TrimAscii(text)), kRegions[rng() % 11], &tally);
  }
  EXPECT_GT(tally.fast, 0u);
}

}  // namespace
}  // namespace concord::quality_internal
