// Exponential backoff for transient failures: 200 ms, 400 ms, ... with ±20% jitter, never above
// max_ms, so that several flows retrying one database do not hammer it in step.
// Not thread-safe; one per flow.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

namespace concord {

class Backoff {
 public:
  explicit Backoff(int64_t initial_ms = 200, int64_t max_ms = 30000)
      : initial_ms_(initial_ms), max_ms_(max_ms), rng_(std::random_device{}()) {}

  // The delay before the next attempt; each call doubles the base.
  int64_t NextDelayMs() {
    int64_t base = std::min(max_ms_, initial_ms_ << std::min<int64_t>(attempts_, 20));
    ++attempts_;
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    // Jitter first, then the cap: max_ms is a promise to the operator.
    return std::min<int64_t>(max_ms_, static_cast<int64_t>(static_cast<double>(base) * jitter(rng_)));
  }
  void Reset() { attempts_ = 0; }
  int64_t attempts() const { return attempts_; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int64_t attempts_ = 0;
  std::mt19937 rng_;
};

}  // namespace concord
