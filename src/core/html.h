// Escaping text for the HTML reports (`concord check --html`, `concord profile --html`): every
// value from a database goes through here before it reaches a page.
#pragma once

#include <string>

namespace concord {

// & < > " ' as entities; everything else as is (the pages are UTF-8).
std::string HtmlEscape(const std::string& s);

}  // namespace concord
