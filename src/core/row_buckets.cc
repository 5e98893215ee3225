#include "core/row_buckets.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include "core/hash.h"

namespace concord {

uint64_t WrapToUint64(std::string_view decimal) {
  size_t i = 0;
  bool neg = !decimal.empty() && decimal[0] == '-';
  if (!decimal.empty() && (decimal[0] == '-' || decimal[0] == '+')) ++i;
  uint64_t v = 0;
  for (; i < decimal.size() && decimal[i] >= '0' && decimal[i] <= '9'; ++i) {
    v = v * 10 + static_cast<uint64_t>(decimal[i] - '0');
  }
  return neg ? 0 - v : v;
}

uint32_t BucketOfKey(const Key& key, uint32_t buckets) {
  std::string encoded = EncodeKey(key);
  return static_cast<uint32_t>(XXH3_64bits(encoded.data(), encoded.size()) % buckets);
}

void RawRowHash(const Row& row, uint64_t* h1, uint64_t* h2) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  for (const auto& [column, value] : row) {
    uint64_t parts[2] = {XXH3_64bits(column.data(), column.size()), HashValue(value)};
    XXH3_128bits_update(&state, parts, sizeof parts);
  }
  XXH128_hash_t h = XXH3_128bits_digest(&state);
  *h1 = h.low64;
  *h2 = h.high64;
}

}  // namespace concord
