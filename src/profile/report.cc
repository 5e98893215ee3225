// Rendering of a ProfileReport as text, JSON and a self-contained HTML page (see report.h).
#include "profile/report.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace concord {
namespace {

double Percent(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

std::string DistinctText(const FieldSummary& f) {
  if (f.distinct_exact) return fmt::format("{}", f.distinct);
  return fmt::format("~{} (estimate ±{:.1f}%)", f.distinct, 100 * f.distinct_error);
}

std::string IssuesText(const FieldSummary& f) {
  if (f.issues.empty()) return "-";
  std::string s = fmt::format("{} rows:", f.failing_rows);
  for (const auto& r : f.issues) s += fmt::format(" {} {}", r.rule, r.count);
  return s;
}

// A value for one line of text: at most `max_chars` code points, control characters as spaces.
std::string OneLine(const std::string& s, int max_chars = 40) {
  std::string out;
  int chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && chars++ == max_chars) return out + "…";
    out += c < 0x20 ? ' ' : static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string ReportToText(const ProfileReport& r) {
  std::string out = fmt::format("{} (table {}): {} rows, {} with issues ({:.1f}%)\n", r.binding,
                                r.table, r.rows, r.rows_with_issues,
                                Percent(r.rows_with_issues, r.rows));
  if (!r.where.empty()) {
    out += fmt::format("only rows where {} ({} of {} read)\n", r.where, r.rows, r.rows_read);
  }
  out += "\n";
  out += fmt::format("{:<20} {:<10} {:>18} {:>12}  {}\n", "FIELD", "TYPE", "FILLED", "DISTINCT",
                     "ISSUES");
  for (const auto& f : r.fields) {
    out += fmt::format("{:<20} {:<10} {:>10} {:>6.1f}% {:>12}  {}\n", f.field, f.type, f.filled,
                       Percent(f.filled, f.rows), f.distinct_exact ? fmt::format("{}", f.distinct)
                                                                   : "~" + std::to_string(f.distinct),
                       IssuesText(f));
  }
  for (const auto& f : r.fields) {
    out += fmt::format("\n{} (column {}, {}{})\n", f.field, f.column.empty() ? "-" : f.column,
                       f.type, f.personal ? ", personal: values masked" : "");
    out += fmt::format("  filled {} of {} ({:.1f}%), distinct {}{}\n", f.filled, f.rows,
                       Percent(f.filled, f.rows), DistinctText(f),
                       f.distinct_exact ? " (exact)" : "");
    if (f.min) out += fmt::format("  min {}  max {}\n", OneLine(*f.min), OneLine(*f.max));
    if (!f.top.empty()) {
      std::vector<std::string> top;
      for (const auto& t : f.top) top.push_back(fmt::format("{} ×{}", OneLine(t.value), t.count));
      out += fmt::format("  top: {}", fmt::join(top, ", "));
      if (f.top_undercount > 0) out += fmt::format(" (each count may be low by ≤{})", f.top_undercount);
      out += "\n";
    }
    for (const auto& issue : f.issues) {
      out += fmt::format("  {} rows fail rule {}", issue.count, issue.rule);
      if (!issue.hint.empty()) out += " — hint: " + issue.hint;
      out += "\n";
      for (const auto& e : issue.examples) {
        out += fmt::format("    e.g. {}: {}\n", e.key, OneLine(e.message.empty() ? e.value : e.message, 160));
      }
    }
  }
  if (!r.entity_rules.empty()) out += "\nEntity rules broken\n";
  for (const auto& issue : r.entity_rules) {
    out += fmt::format("  {} rows fail rule {}", issue.count, issue.rule);
    if (!issue.hint.empty()) out += " — " + OneLine(issue.hint, 160);
    out += "\n";
    for (const auto& e : issue.examples) {
      out += fmt::format("    e.g. {}: {}\n", e.key, OneLine(e.message, 160));
    }
  }
  for (const auto& note : r.notes) out += "\nNote: " + note + "\n";
  if (!r.duplicates.empty()) out += "\nSuspected duplicates (equal normalized value)\n";
  for (const auto& d : r.duplicates) {
    out += fmt::format("  {}: {} values shared by {} records\n", d.field, d.groups, d.records);
    for (const auto& g : d.examples) {
      out += fmt::format("    {} ×{}: {}{}\n", OneLine(g.value), g.count, fmt::join(g.keys, ", "),
                         g.count > static_cast<int64_t>(g.keys.size()) ? ", …" : "");
    }
  }
  return out;
}

nlohmann::json ReportToJson(const ProfileReport& r) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : r.fields) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& t : f.top) top.push_back({{"value", t.value}, {"count", t.count}});
    nlohmann::json issues = nlohmann::json::array();
    for (const auto& i : f.issues) {
      nlohmann::json examples = nlohmann::json::array();
      for (const auto& e : i.examples) {
        examples.push_back({{"key", e.key}, {"value", e.value}, {"message", e.message}});
      }
      issues.push_back(
          {{"rule", i.rule}, {"count", i.count}, {"hint", i.hint}, {"examples", examples}});
    }
    nlohmann::json j = {{"field", f.field},
                        {"column", f.column},
                        {"type", f.type},
                        {"personal", f.personal},
                        {"rows", f.rows},
                        {"filled", f.filled},
                        {"fill_rate", f.rows == 0 ? 0.0 : static_cast<double>(f.filled) / f.rows},
                        {"valid", f.valid},
                        {"distinct", f.distinct},
                        {"distinct_exact", f.distinct_exact},
                        {"top", top},
                        {"top_undercount", f.top_undercount},
                        {"failing_rows", f.failing_rows},
                        {"issues", issues}};
    if (!f.distinct_exact) j["distinct_error"] = f.distinct_error;
    if (f.min) j["min"] = *f.min;
    if (f.max) j["max"] = *f.max;
    fields.push_back(std::move(j));
  }
  nlohmann::json dups = nlohmann::json::array();
  for (const auto& d : r.duplicates) {
    nlohmann::json examples = nlohmann::json::array();
    for (const auto& g : d.examples) {
      examples.push_back({{"value", g.value}, {"count", g.count}, {"keys", g.keys}});
    }
    dups.push_back(
        {{"field", d.field}, {"groups", d.groups}, {"records", d.records}, {"examples", examples}});
  }
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& i : r.entity_rules) {
    nlohmann::json examples = nlohmann::json::array();
    for (const auto& e : i.examples) examples.push_back({{"key", e.key}, {"message", e.message}});
    rules.push_back(
        {{"rule", i.rule}, {"count", i.count}, {"hint", i.hint}, {"examples", examples}});
  }
  return {{"binding", r.binding},         {"table", r.table},
          {"entity_rules", rules},        {"notes", r.notes},
          {"rows", r.rows},               {"rows_with_issues", r.rows_with_issues},
          {"rows_read", r.rows_read},     {"where", r.where},
          {"fields", fields},             {"duplicates", dups}};
}

namespace {

constexpr const char* kCss = R"css(
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.sub{color:#666}table{border-collapse:collapse;margin:.6em 0;width:100%}
td,th{border-bottom:1px solid #eee;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b00020}.ok{color:#0a7c2f}code{background:#f3f3f3;padding:0 .2em;word-break:break-all}
.field{margin:1.2em 0;padding:.6em 1em;border:1px solid #e3e3e3;border-radius:6px}
svg text{font:12px system-ui,sans-serif}
)css";

// A horizontal bar: `fraction` of `width` filled.
std::string BarSvg(double fraction, int width, const std::string& color) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  return fmt::format(
      "<svg width=\"{0}\" height=\"12\" role=\"img\"><rect width=\"{0}\" height=\"12\" "
      "fill=\"#eee\"/><rect width=\"{1:.1f}\" height=\"12\" fill=\"{2}\"/></svg>",
      width, fraction * width, color);
}

// The top values as a bar chart: one labelled bar per value, scaled to the most frequent.
std::string TopChartSvg(const FieldSummary& f) {
  if (f.top.empty()) return "";
  const int row = 18, label = 260, bars = 420;
  int64_t most = f.top.front().count;
  std::string out = fmt::format("<svg width=\"{}\" height=\"{}\" role=\"img\">", label + bars + 80,
                                row * static_cast<int>(f.top.size()) + 4);
  for (size_t i = 0; i < f.top.size(); ++i) {
    const ValueCount& t = f.top[i];
    int y = static_cast<int>(i) * row;
    double w = most == 0 ? 0 : static_cast<double>(bars) * t.count / most;
    out += fmt::format(
        "<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">{2}</text><rect x=\"{3}\" y=\"{4}\" "
        "width=\"{5:.1f}\" height=\"13\" fill=\"#4a78c2\"/><text x=\"{6:.1f}\" y=\"{1}\">{7}</text>",
        label - 6, y + 13, HtmlEscape(OneLine(t.value)), label, y + 2, w, label + w + 4, t.count);
  }
  return out + "</svg>";
}

// Issues per rule: rule, rows, examples (key and message), and the hint (or the rule's check).
std::string IssuesTableHtml(const std::vector<RuleIssues>& issues, const char* last_column) {
  std::string h = fmt::format(
      "<table><tr><th>rule</th><th>rows</th><th>examples</th><th>{}</th></tr>\n", last_column);
  for (const auto& i : issues) {
    std::string examples;
    for (const auto& e : i.examples) {
      examples += "<div><code>" + HtmlEscape(e.key) + "</code> " + HtmlEscape(e.message) + "</div>";
    }
    h += fmt::format("<tr><td class=\"bad\">{}</td><td class=\"n\">{}</td><td>{}</td>"
                     "<td>{}</td></tr>\n",
                     HtmlEscape(i.rule), i.count, examples, HtmlEscape(i.hint));
  }
  return h + "</table>\n";
}

}  // namespace

std::string ReportToHtml(const ProfileReport& r) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<title>concord profile " + HtmlEscape(r.binding) + "</title><style>" + kCss +
       "</style></head><body>\n";
  h += "<h1>Data quality: " + HtmlEscape(r.binding) + "</h1>";
  h += fmt::format("<p class=\"sub\">table <code>{}</code> · {} rows · <span class=\"{}\">{} "
                   "with issues ({:.1f}%)</span> that the DLQ would receive</p>\n",
                   HtmlEscape(r.table), r.rows, r.rows_with_issues ? "bad" : "ok",
                   r.rows_with_issues, Percent(r.rows_with_issues, r.rows));
  h += "<h2>Fields</h2><table><tr><th>field</th><th>type</th><th>filled</th><th></th>"
       "<th>distinct</th><th>rows failing</th></tr>\n";
  for (const auto& f : r.fields) {
    double fill = f.rows == 0 ? 0 : static_cast<double>(f.filled) / f.rows;
    h += fmt::format(
        "<tr><td><a href=\"#f-{0}\">{0}</a></td><td>{1}</td><td class=\"n\">{2:.1f}%</td>"
        "<td>{3}</td><td class=\"n\">{4}</td><td class=\"n {5}\">{6}</td></tr>\n",
        HtmlEscape(f.field), HtmlEscape(f.type), 100 * fill, BarSvg(fill, 160, "#0a7c2f"),
        HtmlEscape(DistinctText(f)), f.failing_rows ? "bad" : "", f.failing_rows);
  }
  h += "</table>\n";
  for (const auto& f : r.fields) {
    h += fmt::format("<div class=\"field\" id=\"f-{0}\"><h3>{0} <span class=\"sub\">column "
                     "<code>{1}</code>, {2}{3}</span></h3>\n",
                     HtmlEscape(f.field), HtmlEscape(f.column), HtmlEscape(f.type),
                     f.personal ? ", personal: values masked" : "");
    h += fmt::format("<p>filled {} of {} · distinct {}{}", f.filled, f.rows,
                     HtmlEscape(DistinctText(f)), f.distinct_exact ? " (exact)" : "");
    if (f.min) h += " · min <code>" + HtmlEscape(*f.min) + "</code> max <code>" + HtmlEscape(*f.max) + "</code>";
    h += "</p>\n";
    if (!f.top.empty()) {
      h += "<p>Top values" +
           (f.top_undercount ? fmt::format(" (each count may be low by up to {})", f.top_undercount)
                             : std::string()) +
           "</p>" + TopChartSvg(f) + "\n";
    }
    if (!f.issues.empty()) h += IssuesTableHtml(f.issues, "hint");
    h += "</div>\n";
  }
  if (!r.entity_rules.empty()) {
    h += "<h2>Entity rules broken</h2>" + IssuesTableHtml(r.entity_rules, "check");
  }
  for (const auto& note : r.notes) h += "<p class=\"bad\">" + HtmlEscape(note) + "</p>\n";
  if (!r.duplicates.empty()) {
    h += "<h2>Suspected duplicates</h2><p class=\"sub\">records whose normalized value is "
         "equal</p>\n<table><tr><th>field</th><th>shared values</th><th>records</th>"
         "<th>largest groups</th></tr>\n";
    for (const auto& d : r.duplicates) {
      std::string groups;
      for (const auto& g : d.examples) {
        std::vector<std::string> keys;
        for (const auto& k : g.keys) keys.push_back("<code>" + HtmlEscape(k) + "</code>");
        groups += fmt::format("<div><code>{}</code> ×{}: {}</div>", HtmlEscape(g.value), g.count,
                              fmt::join(keys, ", "));
      }
      h += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                       "<td>{}</td></tr>\n",
                       HtmlEscape(d.field), d.groups, d.records, groups);
    }
    h += "</table>\n";
  }
  h += "<p class=\"sub\">Made by <code>concord profile</code>; nothing was changed.</p>"
       "</body></html>\n";
  return h;
}

}  // namespace concord
