// DLQ entries grouped by reason, for `concord dlq list`: a DLQ of 10,000 entries is a handful of
// problems repeated. Two entries group together when they break the same rule on the same field
// with the same reason once the values are stripped from it (ReasonPattern), whatever the flow.
//
// Pure functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "state/state_store.h"

namespace concord {

// `reason` with the values taken out so that equal problems read the same: quoted text → "…",
// hex bytes x'…' → x'…', masked values (containing "***") → ***, and numbers that stand alone
// (not part of a name such as address2) → N. "field phone: expected a phone number, found "12"
// (too short) (rule type)" → "field phone: expected a phone number, found "…" (too short) (rule
// type)".
std::string ReasonPattern(const std::string& reason);

struct DlqGroup {
  std::string rule;
  std::string field;
  std::string pattern;            // ReasonPattern of the entries' reason
  int64_t count = 0;
  int64_t oldest_ms = 0;          // earliest first_seen_ms
  int64_t newest_ms = 0;          // latest last_seen_ms
  std::set<std::string> flows;
  // The oldest entry of the group, shown in full.
  int64_t example_id = 0;
  std::string example_key;        // display form
  std::string example_reason;
};

// Groups `entries` (as ListDlq returns them); the largest group first, ties by rule, field and
// pattern.
std::vector<DlqGroup> GroupDlq(const std::vector<DlqEntry>& entries);

}  // namespace concord
