// How many rows the next page of a long keyset read asks for, from how long the last one took.
// Large pages cost fewer round trips; small ones keep every query short on a busy or distant
// server (a long query holds its snapshot, hides progress and delays a stop request). So the size
// doubles while full pages come back in under a quarter of the target time and halves when one
// takes more than twice the target, always within [min_rows, max_rows].
//
// Threading: plain data; one per read.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace concord {

class PageSize {
 public:
  PageSize(size_t initial, size_t min_rows, size_t max_rows, int64_t target_ms)
      : rows_(std::clamp(initial, min_rows, max_rows)),
        min_(min_rows),
        max_(max_rows),
        target_ms_(target_ms) {}

  size_t rows() const { return rows_; }

  // The page just read returned `returned` rows (of rows() asked) in `elapsed_ms`.
  void Took(size_t returned, int64_t elapsed_ms) {
    if (elapsed_ms > 2 * target_ms_) {
      rows_ = std::max(min_, rows_ / 2);
    } else if (returned >= rows_ && elapsed_ms * 4 < target_ms_) {
      rows_ = std::min(max_, rows_ * 2);  // a short page says nothing about a longer one
    }
  }

 private:
  size_t rows_;
  size_t min_, max_;
  int64_t target_ms_;
};

}  // namespace concord
