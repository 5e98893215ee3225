// ClosestMatch: the "did you mean" behind every unknown-name error.
//
// Written by hand: Debian packages no C++ library for edit distance, and the optimal string
// alignment distance (Levenshtein plus adjacent transpositions, the commonest typo) is twenty
// lines. Names in a config are short, so the quadratic table is no concern. An unambiguous
// abbreviation ("col" for "column") is also suggested.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "core/did_you_mean.h"

namespace concord {
namespace {

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Optimal string alignment distance over bytes.
size_t EditDistance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::string ClosestMatch(const std::string& found, const std::vector<std::string>& candidates) {
  if (found.empty()) return "";
  const std::string lower = Lower(found);
  // A plausible typo changes at most a third of the word (at least 2 edits for longer words),
  // and never the whole word: "to" is not a typo of "id".
  const size_t limit = std::min(std::max<size_t>(2, found.size() / 3), found.size() - 1);
  std::string best;
  size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    if (c == found) continue;
    size_t dist = Lower(c) == lower ? 0 : EditDistance(lower, Lower(c));
    if (dist < best_distance) {
      best = c;
      best_distance = dist;
    }
  }
  if (!best.empty() || found.size() < 3) return best;
  // An abbreviation ("col" for "column") when it abbreviates exactly one candidate.
  for (const std::string& c : candidates) {
    if (Lower(c).rfind(lower, 0) == 0) {
      if (!best.empty()) return "";
      best = c;
    }
  }
  return best;
}

}  // namespace concord
