// Evaluates a flow's `when:` filter on a canonical record.
//
// Comparisons of a field with a literal, all of which must hold. Numbers compare numerically and
// exactly (decimals as text through CompareDecimal), text compares byte-wise, `== null` / `!= null`
// test for NULL. A comparison that cannot be made (a text field against a number literal, a NULL
// with `<`) is false — the record is not sent — and the reason is returned for the log.
// Pure; thread-safe.
#pragma once

#include <string>

#include "config/spec.h"
#include "core/value.h"

namespace concord {

struct WhenResult {
  bool pass = true;
  std::string detail;  // which comparison failed and why; empty when pass
};

WhenResult EvaluateWhen(const WhenSpec& when, const Record& record);

}  // namespace concord
