// Text for people: the renderings the reports share (`concord check`, `concord profile`,
// `concord demo`) — HTML escaping for every value that reaches a page, and thousands separators.
#pragma once

#include <cstdint>
#include <string>

namespace concord {

// & < > " ' as entities; everything else as is (the pages are UTF-8).
std::string HtmlEscape(const std::string& s);

// 12345 → "12,345", -1000 → "-1,000".
std::string Thousands(int64_t n);

}  // namespace concord
