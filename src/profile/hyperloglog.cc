// HyperLogLog (see hyperloglog.h for why it is written here).
#include "profile/hyperloglog.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace concord {

HyperLogLog::HyperLogLog(int precision)
    : precision_(std::clamp(precision, 4, 18)), registers_(size_t{1} << precision_, 0) {}

void HyperLogLog::Add(uint64_t hash) {
  const size_t index = hash >> (64 - precision_);
  // The rank of the first 1 bit in the remaining 64 - p bits (1-based); all zero → 65 - p.
  const uint64_t rest = (hash << precision_) | (uint64_t{1} << (precision_ - 1));
  const uint8_t rank = static_cast<uint8_t>(std::countl_zero(rest) + 1);
  if (rank > registers_[index]) registers_[index] = rank;
}

double HyperLogLog::Estimate() const {
  const double m = static_cast<double>(registers_.size());
  double sum = 0;
  size_t zeros = 0;
  for (uint8_t r : registers_) {
    sum += std::ldexp(1.0, -r);
    if (r == 0) ++zeros;
  }
  if (zeros == registers_.size()) return 0;
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  const double raw = alpha * m * m / sum;
  // Small range: linear counting on the empty registers is the better estimate.
  if (raw <= 2.5 * m && zeros > 0) return m * std::log(m / static_cast<double>(zeros));
  return raw;
}

double HyperLogLog::StandardError() const {
  return 1.04 / std::sqrt(static_cast<double>(registers_.size()));
}

}  // namespace concord
