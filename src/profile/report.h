// How a ProfileReport is shown: plain text for the terminal, JSON for scripts, and one
// self-contained HTML page (inline CSS and inline SVG bar charts; no script, no external asset)
// in which every value from the data is HTML-escaped.
//
// Pure functions of the report.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/text.h"  // HtmlEscape, used by the HTML report
#include "profile/profiler.h"

namespace concord {

std::string ReportToText(const ProfileReport& report);
nlohmann::json ReportToJson(const ProfileReport& report);
std::string ReportToHtml(const ProfileReport& report);

}  // namespace concord
