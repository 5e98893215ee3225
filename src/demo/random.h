// DemoRandom: the demo's one source of randomness — a seeded std::mt19937_64 with its own
// distributions, so a seed gives byte-identical databases on every machine.
//
// Why not <random>'s distributions: the engines (mt19937_64) are specified exactly by the C++
// standard, but uniform_int_distribution, bernoulli_distribution & co. are not — libstdc++ and
// libc++ (and libstdc++ versions) may turn the same engine output into different numbers. The
// README tour quotes numbers the demo prints for the default seed, so the generator must not
// depend on them. Below, integers come from rejection sampling on the raw 64-bit output and
// probabilities are compared in integer per-mille, never through floating point.
//
// Threading: one thread (it is a value type; copy it to fork a stream).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace concord::demo {

class DemoRandom {
 public:
  explicit DemoRandom(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n); n > 0. Rejection sampling: unbiased and portable.
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }
  // Uniform in [lo, hi], lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // True with probability per_mille / 1000.
  bool PerMille(int per_mille) { return static_cast<int>(Below(1000)) < per_mille; }

  template <typename T>
  const T& Pick(const std::vector<T>& from) {
    return from[Below(from.size())];
  }
  // An index drawn with the given integer weights (sum > 0).
  size_t Weighted(const std::vector<int>& weights) {
    int total = 0;
    for (int w : weights) total += w;
    int x = static_cast<int>(Below(static_cast<uint64_t>(total)));
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }
  // `n` decimal digits, the first one not 0 when `leading_nonzero`.
  std::string Digits(int n, bool leading_nonzero = false) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      s += static_cast<char>('0' + (i == 0 && leading_nonzero ? 1 + Below(9) : Below(10)));
    }
    return s;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace concord::demo
