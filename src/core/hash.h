// Stable content hashes (xxHash XXH3, 64 bit) of values and records. Stable across builds and
// machines, so they can be stored in the state store and compared on a later run.
#pragma once

#include <cstdint>
#include <string>

#include "core/value.h"

namespace concord {

uint64_t HashValue(const Value& v);
// Hex rendering (16 lowercase digits) for storage.
std::string HashHex(uint64_t h);

}  // namespace concord
