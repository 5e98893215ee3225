#include "reconcile/amounts.h"

#include <limits>

namespace concord {
namespace {

constexpr __int128 kMax = std::numeric_limits<__int128>::max() / 10;

// "−1234.50" at scale 2 → -123450. false when the text is not a plain decimal.
bool Scaled(const std::string& text, int scale, __int128* out) {
  size_t i = 0;
  bool neg = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  __int128 v = 0;
  int frac = -1;
  bool any = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && frac < 0) {
      frac = 0;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (frac >= 0 && frac == scale) continue;  // canonical text never has more; ignore extra
    if (v > kMax) return false;
    v = v * 10 + (c - '0');
    any = true;
    if (frac >= 0) ++frac;
  }
  if (!any) return false;
  for (int f = std::max(frac, 0); f < scale; ++f) {
    if (v > kMax) return false;
    v *= 10;
  }
  *out = neg ? -v : v;
  return true;
}

std::string Render(__int128 v, int scale) {
  bool neg = v < 0;
  unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : v;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u != 0);
  while (static_cast<int>(digits.size()) <= scale) digits.insert(digits.begin(), '0');
  if (scale > 0) digits.insert(digits.end() - scale, '.');
  return (neg ? "-" : "") + digits;
}

// s->total += x, or s->overflow when that would leave 128 bits.
void AddChecked(__int128 x, AmountSum* s) {
  if ((x > 0 && s->total > std::numeric_limits<__int128>::max() - x) ||
      (x < 0 && s->total < std::numeric_limits<__int128>::min() - x)) {
    s->overflow = true;
    return;
  }
  s->total += x;
}

}  // namespace

void AddAmounts(const EntitySpec& entity, const Record& record, SideTotals* totals,
                AmountSums* sums) {
  (void)totals;
  for (const FieldSpec& f : entity.fields) {
    if (!f.sum) continue;
    auto it = record.find(f.name);
    if (it == record.end()) continue;  // not mapped by this side
    AmountSum& s = (*sums)[f.name];
    const Value& v = it->second;
    if (v.is_null()) continue;
    int scale = f.type == FieldType::kDecimal ? f.scale : 0;
    __int128 x = 0;
    bool ok = v.kind() == ValueKind::kInt
                  ? Scaled(std::to_string(v.int_value()), scale, &x)
                  : v.kind() == ValueKind::kText && Scaled(v.text(), scale, &x);
    if (!ok) {
      ++s.invalid;
      continue;
    }
    AddChecked(x, &s);
  }
}

void MergeAmounts(const AmountSums& from, AmountSums* into) {
  for (const auto& [name, f] : from) {
    AmountSum& s = (*into)[name];
    s.invalid += f.invalid;
    s.overflow = s.overflow || f.overflow;
    AddChecked(f.total, &s);
  }
}

void FinishAmounts(const EntitySpec& entity, const AmountSums& sums, SideTotals* totals) {
  for (const auto& [name, s] : sums) {
    const FieldSpec* f = entity.Field(name);
    int scale = f != nullptr && f->type == FieldType::kDecimal ? f->scale : 0;
    totals->sums[name] = s.overflow ? "overflow" : Render(s.total, scale);
  }
}

}  // namespace concord
