// A fast path for phone numbers: the E.164 form that libphonenumber's Parse → (no extension) →
// IsValidNumber → Format(E164) gives, computed for the common shapes without libphonenumber's
// regular-expression engine.
//
// Why hand-written: the Debian libphonenumber is built with ICU regular expressions, and every
// Parse and IsValidNumber runs a dozen of them — each creating an ICU matcher, converting the
// input to UTF-16 and hashing the pattern text to find it in a locked cache. That was ~14 µs of
// the ~21 µs a 10-field record took to normalize and validate (bench/quality_bench.cc). Here the
// same decisions are taken with the same numbering-plan metadata — the bytes libphonenumber itself
// loads (`metadata_get()`), compiled once into RE2 — following libphonenumber's own steps
// (ParseHelper, MaybeExtractCountryCode, MaybeStripNationalPrefixAndCarrierCode,
// TestNumberLength, GetRegionCodeForNumber, GetNumberTypeHelper) for the inputs they are simple
// on. Whether a regular expression matches (in full, or at the start) does not depend on the
// engine, so RE2 answers as ICU does; where the match itself would matter (a national prefix with
// a transform rule) the fast path declines.
//
// The fast path only ever says "valid, and this is its E.164". Anything else — another shape, a
// number that might be refused, a detail it does not model — returns nullopt, and the caller asks
// libphonenumber, whose answer and reason stand. So validation is never weakened: a number is
// accepted here only where libphonenumber accepts it with the same result, which
// phone_fast_path_test.cc (and tests/fuzz/phone_fuzzer.cc) check against libphonenumber over many
// generated numbers of every region.
//
// Shapes covered: ASCII digits with blanks, '-', '.', '(' and ')', optionally one leading '+'
// ("+86-138-1234-5678", "13812345678", "(0755) 8888 1234"). Not covered (libphonenumber
// decides): letters, extensions, IDD prefixes ("0086…"), national numbers that start with the
// default region's country code ("8613…"), national prefixes with a transform rule, "tel:" URIs.
//
// The metadata is read once, on first use, and each region's patterns are compiled on the first
// number that needs them (std::call_once); immutable afterwards. RE2 objects are safe to share
// between threads.
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>

#include <algorithm>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "quality/normalize_internal.h"

// libphonenumber's compiled-in metadata (its internal header phonenumbers/metadata.h): the
// serialized PhoneMetadataCollection that PhoneNumberUtil itself is built from.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace concord::quality_internal {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

// The longest national significant number libphonenumber parses (kMaxLengthForNsn).
constexpr size_t kMaxNsn = 17;
constexpr size_t kMaxCountryCode = 3;

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

// A regular expression from the metadata; nullptr when it is empty. `ok` turns false when RE2
// cannot compile it (a region using it is then left to libphonenumber).
std::unique_ptr<RE2> Compile(const std::string& pattern, bool* ok) {
  auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
  if (!re->ok()) *ok = false;
  return re;
}

bool MatchesInFull(const RE2& re, std::string_view s) {
  return re.Match(Piece(s), 0, s.size(), RE2::ANCHOR_BOTH, nullptr, 0);
}

// With `length`, also how many characters the match takes (which asks RE2 for more work).
bool MatchesAtStart(const RE2& re, std::string_view s, size_t* length = nullptr) {
  if (length == nullptr) return re.Match(Piece(s), 0, s.size(), RE2::ANCHOR_START, nullptr, 0);
  re2::StringPiece match;
  if (!re.Match(Piece(s), 0, s.size(), RE2::ANCHOR_START, &match, 1)) return false;
  *length = match.size();
  return true;
}

// A PhoneNumberDesc: its possible lengths and its national number pattern.
struct Desc {
  std::vector<int> lengths;
  std::unique_ptr<RE2> pattern;  // nullptr: empty pattern, which matches nothing

  void Load(const PhoneNumberDesc& d, bool* ok) {
    lengths.assign(d.possible_length().begin(), d.possible_length().end());
    if (!d.national_number_pattern().empty()) pattern = Compile(d.national_number_pattern(), ok);
  }
  // IsMatch: the pattern matches all of `nsn` (lengths not consulted).
  bool PatternMatches(std::string_view nsn) const {
    return pattern != nullptr && MatchesInFull(*pattern, nsn);
  }
  // IsNumberMatchingDesc: a listed length (an empty list allows any), then the pattern.
  bool Matches(std::string_view nsn) const {
    if (!lengths.empty() &&
        std::find(lengths.begin(), lengths.end(), static_cast<int>(nsn.size())) == lengths.end()) {
      return false;
    }
    return PatternMatches(nsn);
  }
};

// One region's (or non-geographical entity's) metadata, compiled.
struct Region {
  int country_code = 0;
  Desc general;
  // GetNumberTypeHelper finds a type when one of the type descs — premium rate, toll free, shared
  // cost, VoIP, personal, pager, UAN, voicemail, fixed line, and mobile unless it has the
  // fixed-line pattern — allows the number's length and matches it in full. Per length, one RE2
  // of the alternation of those patterns answers the same in one pass (a full match of
  // (?:a)|(?:b) is a full match of a or of b). nullptr: no type allows that length.
  std::shared_ptr<const RE2> any_type[kMaxNsn + 1];
  std::vector<int> local_only_lengths;        // of the general desc
  std::unique_ptr<RE2> international_prefix;  // nullptr: none
  std::unique_ptr<RE2> national_prefix;       // national_prefix_for_parsing; nullptr: none
  bool has_transform_rule = false;
  bool has_leading_digits = false;
  std::unique_ptr<RE2> leading_digits;
  bool ok = true;  // every pattern compiled

  explicit Region(const PhoneMetadata& m) {
    country_code = m.country_code();
    general.Load(m.general_desc(), &ok);
    std::vector<const PhoneNumberDesc*> types = {
        &m.premium_rate(), &m.toll_free(), &m.shared_cost(), &m.voip(),      &m.personal_number(),
        &m.pager(),        &m.uan(),       &m.voicemail(),   &m.fixed_line()};
    if (!m.same_mobile_and_fixed_line_pattern()) types.push_back(&m.mobile());
    std::unordered_map<std::string, std::shared_ptr<const RE2>> compiled;  // lengths sharing one
    for (size_t length = 0; length <= kMaxNsn; ++length) {
      std::string alternation;
      for (const PhoneNumberDesc* d : types) {
        const auto& lengths = d->possible_length();
        if (d->national_number_pattern().empty() ||
            (!lengths.empty() && std::find(lengths.begin(), lengths.end(),
                                           static_cast<int>(length)) == lengths.end())) {
          continue;
        }
        if (!alternation.empty()) alternation += '|';
        alternation += "(?:" + d->national_number_pattern() + ")";
      }
      if (alternation.empty()) continue;
      auto& re = compiled[alternation];
      if (re == nullptr) {
        re = std::make_shared<const RE2>(alternation, RE2::Quiet);
        if (!re->ok()) ok = false;
      }
      any_type[length] = re;
    }
    local_only_lengths.assign(m.general_desc().possible_length_local_only().begin(),
                              m.general_desc().possible_length_local_only().end());
    if (!m.international_prefix().empty()) {
      international_prefix = Compile(m.international_prefix(), &ok);
    }
    if (!m.national_prefix_for_parsing().empty()) {
      national_prefix = Compile(m.national_prefix_for_parsing(), &ok);
    }
    has_transform_rule = !m.national_prefix_transform_rule().empty();
    has_leading_digits = m.has_leading_digits();
    if (has_leading_digits) leading_digits = Compile(m.leading_digits(), &ok);
    // TestNumberLength reads the first possible length unconditionally.
    if (general.lengths.empty()) ok = false;
  }

  // GetNumberTypeHelper(nsn) != UNKNOWN.
  bool HasType(std::string_view nsn) const {
    if (nsn.size() > kMaxNsn || !general.Matches(nsn)) return false;
    const RE2* any = any_type[nsn.size()].get();
    return any != nullptr && MatchesInFull(*any, nsn);
  }

  // TestNumberLength(number, metadata) (type UNKNOWN: the general desc) is TOO_SHORT,
  // IS_POSSIBLE_LOCAL_ONLY or INVALID_LENGTH — the results for which ParseHelper keeps the number
  // with its national prefix.
  bool LengthRefusesStripping(size_t length) const {
    const std::vector<int>& p = general.lengths;
    const int n = static_cast<int>(length);
    if (p.front() == -1) return true;  // INVALID_LENGTH
    if (std::find(local_only_lengths.begin(), local_only_lengths.end(), n) !=
        local_only_lengths.end()) {
      return true;  // IS_POSSIBLE_LOCAL_ONLY
    }
    if (p.front() == n) return false;                        // IS_POSSIBLE
    if (p.front() > n) return true;                          // TOO_SHORT
    if (p.back() < n) return false;                          // TOO_LONG
    return std::find(p.begin() + 1, p.end(), n) == p.end();  // INVALID_LENGTH unless listed
  }
};

// A region's metadata, compiled on first use: a process reads numbers of a few regions, and
// compiling all ~250 would add ~100 ms to its start.
class LazyRegion {
 public:
  explicit LazyRegion(const PhoneMetadata* metadata) : metadata_(metadata) {}
  int country_code() const { return metadata_->country_code(); }
  // nullptr when a pattern did not compile with RE2.
  const Region* Get() const {
    std::call_once(once_, [this] { region_ = std::make_unique<const Region>(*metadata_); });
    return region_->ok ? region_.get() : nullptr;
  }

 private:
  const PhoneMetadata* metadata_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<const Region> region_;
};

// A country calling code: its regions in libphonenumber's order (the main country first).
struct CallingCode {
  bool known = false;  // libphonenumber has regions for this code
  std::vector<const LazyRegion*> regions;
  bool ok = true;  // every region's metadata found, with this code
};

class Plan {
 public:
  Plan() {
    if (!collection_.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                    i18n::phonenumbers::metadata_size())) {
      return;  // no fast path at all; libphonenumber decides everything
    }
    std::unordered_map<int, const LazyRegion*> non_geographic;
    for (const PhoneMetadata& m : collection_.metadata()) {
      regions_.push_back(std::make_unique<LazyRegion>(&m));
      if (m.id() == "001") {
        non_geographic[m.country_code()] = regions_.back().get();
      } else {
        by_id_[m.id()] = regions_.back().get();
      }
    }
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    for (int code = 1; code < 1000; ++code) {
      std::list<std::string> ids;
      util.GetRegionCodesForCountryCallingCode(code, &ids);
      if (ids.empty()) continue;
      CallingCode& cc = by_code_[code];
      cc.known = true;
      for (const std::string& id : ids) {
        const LazyRegion* r = nullptr;
        if (id == "001") {
          if (auto it = non_geographic.find(code); it != non_geographic.end()) r = it->second;
        } else if (auto it = by_id_.find(id); it != by_id_.end()) {
          r = it->second;
        }
        if (r == nullptr || r->country_code() != code) cc.ok = false;
        cc.regions.push_back(r);
      }
    }
  }

  // The region's metadata, as GetMetadataForRegion; nullptr for an unknown region (or "001").
  const LazyRegion* ForRegion(const std::string& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  // nullptr for a code libphonenumber does not know.
  const CallingCode* ForCode(int code) const {
    if (code < 0 || code >= kCodes || !by_code_[code].known) return nullptr;
    return &by_code_[code];
  }

 private:
  PhoneMetadataCollection collection_;
  std::vector<std::unique_ptr<LazyRegion>> regions_;
  std::unordered_map<std::string, const LazyRegion*> by_id_;
  // Indexed by the code (1-999): several lookups per number, each a load rather than a hash.
  static constexpr int kCodes = 1000;
  std::vector<CallingCode> by_code_ = std::vector<CallingCode>(kCodes);
};

const Plan& ThePlan() {
  static const Plan* plan = new Plan();
  return *plan;
}

}  // namespace

std::optional<std::string> PhoneE164FastPath(std::string_view text, const std::string& region,
                                             bool* reads_back) {
  if (reads_back != nullptr) *reads_back = false;
  // ExtractPossibleNumber, IsViablePhoneNumber, MaybeStripExtension and Normalize reduce these
  // shapes to their digits: the number starts at the first '+' or digit, the separators are
  // libphonenumber's punctuation, and without letters, '#', ',', ';', '~', '/' or 'x' no
  // extension or second number can be read.
  char digits[kMaxNsn + kMaxCountryCode + 1];
  size_t n = 0;
  bool plus = false, started = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (n == sizeof digits) return std::nullopt;
      digits[n++] = c;
      started = true;
    } else if (c == '+') {
      if (started) return std::nullopt;
      plus = started = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (n < 3) return std::nullopt;  // IsViablePhoneNumber's "at least three digits", to be safe
  const std::string_view all(digits, n);
  const Plan& plan = ThePlan();

  // MaybeExtractCountryCode.
  int code = 0;
  std::string_view national;
  const Region* metadata = nullptr;  // ParseHelper's country_metadata
  if (plus) {
    if (all[0] == '0') return std::nullopt;  // INVALID_COUNTRY_CODE
    for (size_t i = 1; i <= kMaxCountryCode && code == 0; ++i) {
      int candidate = 0;
      for (size_t k = 0; k < i; ++k) candidate = candidate * 10 + (all[k] - '0');
      const CallingCode* cc = plan.ForCode(candidate);
      if (cc == nullptr) continue;
      if (!cc->ok) return std::nullopt;
      code = candidate;
      national = all.substr(i);
      // The main region's metadata (the default region's, when it is the same).
      metadata = cc->regions.front()->Get();
      if (metadata == nullptr) return std::nullopt;
    }
    if (code == 0) return std::nullopt;
  } else {
    const LazyRegion* home = plan.ForRegion(region);
    if (home == nullptr) return std::nullopt;  // no region: libphonenumber refuses
    metadata = home->Get();
    if (metadata == nullptr) return std::nullopt;
    // An international prefix (0086…) or the region's own country code (8613…): libphonenumber
    // weighs both readings.
    if (metadata->international_prefix == nullptr ||
        MatchesAtStart(*metadata->international_prefix, all)) {
      return std::nullopt;
    }
    const std::string own = std::to_string(metadata->country_code);
    if (all.substr(0, own.size()) == own) return std::nullopt;
    code = metadata->country_code;
    national = all;
  }
  if (national.size() < 2) return std::nullopt;  // TOO_SHORT_NSN

  // MaybeStripNationalPrefixAndCarrierCode, and ParseHelper's check of what is left.
  bool stripped = false;  // and a second reading might strip again
  if (metadata->national_prefix != nullptr) {
    size_t prefix = 0;
    // Whether it matches at all first: without a submatch RE2 answers that from its DFA, and most
    // numbers have no national prefix.
    if (MatchesAtStart(*metadata->national_prefix, national) &&
        MatchesAtStart(*metadata->national_prefix, national, &prefix)) {
      if (metadata->has_transform_rule) return std::nullopt;
      std::string_view rest = national.substr(prefix);
      const bool keep =
          metadata->general.PatternMatches(national) && !metadata->general.PatternMatches(rest);
      if (!keep && !metadata->LengthRefusesStripping(rest.size()) && prefix > 0) {
        national = rest;
        // Read again, the stripped number would be stripped once more if the prefix is there
        // again ("00755…"); otherwise that reading keeps it as it is now.
        stripped = MatchesAtStart(*metadata->national_prefix, national);
      }
    }
  }
  if (national.size() < 2 || national.size() > kMaxNsn) return std::nullopt;

  // IsValidNumber: the region the number belongs to (GetRegionCodeForNumber), then its types.
  // The national significant number is `national` as is: Parse keeps its leading zeros as
  // "Italian leading zeros", which GetNationalSignificantNumber and Format put back.
  const CallingCode* cc = plan.ForCode(code);
  if (cc == nullptr || !cc->ok) return std::nullopt;
  const Region* owner = nullptr;
  if (cc->regions.size() == 1) {
    owner = cc->regions.front()->Get();
  } else {
    for (const LazyRegion* lazy : cc->regions) {
      const Region* r = lazy->Get();
      if (r == nullptr) return std::nullopt;
      if (r->has_leading_digits ? MatchesAtStart(*r->leading_digits, national)
                                : r->HasType(national)) {
        owner = r;
        break;
      }
    }
  }
  if (owner == nullptr || !owner->HasType(national)) return std::nullopt;

  std::string e164 = "+" + std::to_string(code);
  e164.append(national);
  if (e164.size() > 16) return std::nullopt;  // the caller refuses it, with its message
  if (reads_back != nullptr) {
    // Read again, the E.164 takes the '+' branch: its digits are those of `code` and `national`.
    // That reading finds `code` again unless a shorter prefix of it is a calling code too; it then
    // decides stripping on this `national` with the code's main region, and when that is the
    // region decided on here and the national prefix does not match again (`stripped`), nothing
    // is stripped: every later step sees what this call saw and gives the same answer.
    bool same = !stripped && cc->regions.front()->Get() == metadata;
    const std::string_view code_digits =
        std::string_view(e164).substr(1, e164.size() - 1 - national.size());
    for (size_t i = 1; same && i < code_digits.size(); ++i) {
      int candidate = 0;
      for (size_t k = 0; k < i; ++k) candidate = candidate * 10 + (code_digits[k] - '0');
      same = plan.ForCode(candidate) == nullptr;
    }
    *reads_back = same;
  }
  return e164;
}

}  // namespace concord::quality_internal
