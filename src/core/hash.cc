#include "core/hash.h"

#include <cstdio>

#include <xxhash.h>

namespace concord {

uint64_t HashValue(const Value& v) {
  // The kind is part of the hash: NULL, 0 and "" must differ.
  std::string buf(1, static_cast<char>(v.kind()));
  switch (v.kind()) {
    case ValueKind::kNull: break;
    case ValueKind::kInt: buf += std::to_string(v.int_value()); break;
    case ValueKind::kReal: buf += v.ToString(); break;
    case ValueKind::kText:
    case ValueKind::kBlob: buf += v.text(); break;
  }
  return XXH3_64bits(buf.data(), buf.size());
}

std::string HashHex(uint64_t h) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace concord
