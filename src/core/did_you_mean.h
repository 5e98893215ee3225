// "Did you mean …?": the closest name to a misspelt one, behind every unknown-name error — in
// the config (keys, systems, entities, fields) and in connectors (tables, columns).
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace concord {

// The candidate closest to `found` (case-insensitive optimal string alignment distance, at most
// a third of the word, at least 2 edits for longer words; or an unambiguous abbreviation), or ""
// when none is close enough to be a plausible typo. `found` itself is never suggested.
std::string ClosestMatch(const std::string& found, const std::vector<std::string>& candidates);

}  // namespace concord
