// HyperLogLog: an estimate of the number of distinct values in a stream, in fixed memory
// (2^precision one-byte registers; 16 KiB at the default precision 14, standard error
// 1.04 / sqrt(2^14) ≈ 0.81 %).
//
// Written here because Debian packages no C or C++ HyperLogLog library (only a Go package, a Perl
// module and a PostgreSQL extension); the algorithm is the one of Flajolet et al. (2007) with
// linear counting for small cardinalities, fed with the 64-bit XXH3 hashes core/hash.h already
// computes, so no large-range correction is needed.
//
// Not thread-safe; a value type.
#pragma once

#include <cstdint>
#include <vector>

namespace concord {

class HyperLogLog {
 public:
  // `precision` in [4, 18]: 2^precision registers. Outside that range it is clamped to it (a
  // constructor argument from code, never from the user).
  explicit HyperLogLog(int precision = 14);

  // Adds one 64-bit hash (uniformly distributed bits, e.g. XXH3 of the value).
  void Add(uint64_t hash);

  // The estimated number of distinct hashes added; 0 when nothing was added.
  double Estimate() const;

  // Relative standard error of Estimate() at this precision.
  double StandardError() const;

 private:
  int precision_;
  std::vector<uint8_t> registers_;
};

}  // namespace concord
