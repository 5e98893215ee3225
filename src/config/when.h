// Parsing of a flow's `when:` filter into a WhenSpec. Internal to src/config.
//
// The language is deliberately tiny — comparisons of a field with a literal joined by `and` — so
// it is parsed by hand here; anything richer belongs in a Lua expression (DESIGN.md), never in a
// home-made expression language.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/spec.h"
#include "core/status.h"

namespace concord {

struct WhenParseError {
  size_t offset = 0;  // byte offset into the expression where the problem is
  std::string message;
  std::string hint;
};

// Parses `text` into out->all_of (out->text and out->loc are the caller's). Fills field_offsets
// with the byte offset of each comparison's field name. Returns false and fills *error on the
// first syntax error (a filter is one short line; one error at a time is enough there).
bool ParseWhen(std::string_view text, WhenSpec* out, std::vector<size_t>* field_offsets,
               WhenParseError* error);

std::string_view WhenOpName(WhenComparison::Op op);  // "==", "<=", ...

// A `--where` filter given on the command line (`concord check`, `concord profile`), in the
// `when:` syntax. InvalidArgument when it does not parse (`--where "x ==": at column 5: ...`) or
// compares a field for which `readable` is false (`--where: field "x" is <unreadable>`).
Result<WhenSpec> ParseWhereOption(const std::string& text,
                                  const std::function<bool(const std::string&)>& readable,
                                  const std::string& unreadable);

}  // namespace concord
