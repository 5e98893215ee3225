// Renderings of a CheckReport: the terminal summary, JSON for scripts, and a self-contained HTML
// page (inline CSS, no scripts, every value escaped) to attach to a ticket.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "reconcile/check.h"

namespace concord {
namespace {

std::string Summary(const CheckReport& r) {
  if (r.Equal()) return "EQUAL";
  std::vector<std::string> parts;
  if (r.missing_right > 0) parts.push_back(fmt::format("{} missing in {}", Thousands(r.missing_right), r.right));
  if (r.missing_left > 0) parts.push_back(fmt::format("{} missing in {}", Thousands(r.missing_left), r.left));
  if (r.differing > 0) parts.push_back(fmt::format("{} differ", Thousands(r.differing)));
  return fmt::format("DIFFERENT: {}", fmt::join(parts, ", "));
}

nlohmann::json TotalsJson(const SideTotals& t) {
  nlohmann::json j = {{"rows", t.rows}, {"unmappable", t.unmappable}};
  j["sums"] = nlohmann::json::object();
  for (const auto& [f, v] : t.sums) j["sums"][f] = v;
  return j;
}

// Rows of the totals table: label, left, right.
std::vector<std::array<std::string, 3>> TotalsRows(const CheckReport& r) {
  std::vector<std::array<std::string, 3>> rows;
  rows.push_back({"rows", Thousands(r.left_totals.rows), Thousands(r.right_totals.rows)});
  std::set<std::string> sums;
  for (const auto& [f, v] : r.left_totals.sums) sums.insert(f);
  for (const auto& [f, v] : r.right_totals.sums) sums.insert(f);
  for (const auto& f : sums) {
    auto get = [&](const SideTotals& t) {
      auto it = t.sums.find(f);
      return it == t.sums.end() ? std::string("-") : it->second;
    };
    rows.push_back({"sum " + f, get(r.left_totals), get(r.right_totals)});
  }
  if (r.left_totals.unmappable + r.right_totals.unmappable > 0) {
    rows.push_back({"rows without a usable key", Thousands(r.left_totals.unmappable),
                    Thousands(r.right_totals.unmappable)});
  }
  return rows;
}

// "crm: 1,000,000 rows read and mapped", "erp: 16,380 of 16,384 buckets unchanged since the
// last check (summed in the database), 244 rows read and mapped", or "crm: unchanged since the
// last check (table totals summed in the database)".
std::string ScanLine(const std::string& system, const CheckReport::SideScanInfo& s) {
  if (!s.memo) {
    return fmt::format("{}: {} rows read and mapped", system, Thousands(s.rows_mapped));
  }
  if (s.unchanged_by_totals && s.rows_mapped == 0) {
    return fmt::format("{}: unchanged since the last check (table totals summed in {})", system,
                       s.hashed_in);
  }
  return fmt::format("{}: {} of {} buckets unchanged since the last check (summed in {}), {} rows "
                     "read and mapped",
                     system, Thousands(s.buckets_reused), Thousands(s.buckets), s.hashed_in,
                     Thousands(s.rows_mapped));
}

nlohmann::json ScanJson(const CheckReport::SideScanInfo& s) {
  return {{"memo", s.memo},
          {"summed_in", s.hashed_in},
          {"buckets", s.buckets},
          {"buckets_unchanged", s.buckets_reused},
          {"rows_mapped", s.rows_mapped},
          {"unchanged_by_totals", s.unchanged_by_totals},
          {"bucket_summaries", s.bucket_summaries},
          {"written_since", s.written_since},
          {"buckets_read_by_key", s.buckets_read_by_key}};
}

std::string TotalsMark(const SideTotals& a, const SideTotals& b) {
  return a.rows == b.rows && a.sums == b.sums ? "" : "  ≠";
}

}  // namespace

std::string CheckReportText(const CheckReport& r) {
  std::string out = fmt::format("check {}: {} ↔ {}\n", r.entity, r.left, r.right);
  out += fmt::format("compared fields: {} (canonical form, checksums computed in {})\n",
                     fmt::join(r.compared_fields, ", "), r.computed_in);
  out += fmt::format("read: {}; {}\n", ScanLine(r.left, r.left_scan),
                     ScanLine(r.right, r.right_scan));
  size_t w = 10;
  auto rows = TotalsRows(r);
  for (const auto& row : rows) w = std::max(w, row[0].size() + 2);
  out += fmt::format("\n{:<{}}{:>16}{:>16}\n", "", w, r.left, r.right);
  for (const auto& row : rows) {
    std::string mark = row[1] == row[2] ? "" : "  ≠";
    out += fmt::format("{:<{}}{:>16}{:>16}{}\n", row[0], w, row[1], row[2], mark);
  }
  if (!r.groups.empty()) {
    out += "\nby group:\n";
    for (const auto& g : r.groups) {
      std::string sums;
      for (const auto& [f, v] : g.left.sums) {
        auto it = g.right.sums.find(f);
        sums += fmt::format("  {} {} / {}", f, v, it == g.right.sums.end() ? "-" : it->second);
      }
      out += fmt::format("  {:<14} rows {} / {}{}{}\n", g.group, Thousands(g.left.rows),
                         Thousands(g.right.rows), sums, TotalsMark(g.left, g.right));
    }
  }
  out += fmt::format("\nsegments: {} ({} differ)\n", r.segments, r.differing_segments);
  if (r.transient > 0) {
    out += fmt::format("{} difference(s) seen during the scan were gone on re-read (changed "
                       "while checking; not reported)\n",
                       Thousands(r.transient));
  }
  for (const auto& ex : r.unmappable_examples) out += "  no usable key: " + ex + "\n";
  if (!r.rows.empty()) out += "\n";
  for (const auto& d : r.rows) {
    switch (d.kind) {
      case RowDifference::Kind::kMissingRight:
        out += fmt::format("  missing in {:<8} {}\n", r.right, d.key_display);
        break;
      case RowDifference::Kind::kMissingLeft:
        out += fmt::format("  missing in {:<8} {}\n", r.left, d.key_display);
        break;
      case RowDifference::Kind::kDiffers:
        out += fmt::format("  differs            {}\n", d.key_display);
        for (const auto& f : d.fields) {
          out += fmt::format("      {}: {} = {}, {} = {}\n", f.field, r.left, f.left, r.right,
                             f.right);
        }
        break;
    }
  }
  int64_t total = r.missing_left + r.missing_right + r.differing;
  if (total > static_cast<int64_t>(r.rows.size())) {
    out += fmt::format("  ... and {} more (--json lists up to --limit)\n",
                       Thousands(total - static_cast<int64_t>(r.rows.size())));
  }
  out += fmt::format("\n{} ({:.1f} s)\n", Summary(r), r.elapsed_ms / 1000.0);
  return out;
}

std::string CheckReportJson(const CheckReport& r) {
  nlohmann::json j;
  j["entity"] = r.entity;
  j["left"] = r.left;
  j["right"] = r.right;
  j["equal"] = r.Equal();
  j["compared_fields"] = r.compared_fields;
  j["computed_in"] = r.computed_in;
  j["scan"] = {{r.left, ScanJson(r.left_scan)}, {r.right, ScanJson(r.right_scan)}};
  j["decided_by_totals"] = r.decided_by_totals;
  j["totals"] = {{r.left, TotalsJson(r.left_totals)}, {r.right, TotalsJson(r.right_totals)}};
  j["groups"] = nlohmann::json::array();
  for (const auto& g : r.groups) {
    j["groups"].push_back(
        {{"group", g.group}, {r.left, TotalsJson(g.left)}, {r.right, TotalsJson(g.right)}});
  }
  j["segments"] = r.segments;
  j["differing_segments"] = r.differing_segments;
  j["missing_left"] = r.missing_left;
  j["missing_right"] = r.missing_right;
  j["differing"] = r.differing;
  j["transient"] = r.transient;
  j["settle_waits"] = r.settle_waits;
  j["unmappable_examples"] = r.unmappable_examples;
  j["differences"] = nlohmann::json::array();
  for (const auto& d : r.rows) {
    nlohmann::json row = {{"kind", RowDifferenceKindName(d.kind)},
                          {"key", nlohmann::json::parse(d.canonical_key, nullptr, false)}};
    if (d.kind == RowDifference::Kind::kDiffers) {
      row["fields"] = nlohmann::json::array();
      for (const auto& f : d.fields) {
        row["fields"].push_back({{"field", f.field}, {r.left, f.left}, {r.right, f.right}});
      }
    }
    j["differences"].push_back(std::move(row));
  }
  j["elapsed_ms"] = r.elapsed_ms;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string CheckReportHtml(const CheckReport& r) {
  std::string h =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>concord check " +
      HtmlEscape(r.entity) +
      "</title><style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;"
      "text-align:left}th{background:#f4f4f4}.ne{background:#fde2e2}.ok{color:#0a7d28}"
      ".bad{color:#b00020}code{background:#f4f4f4;padding:0 3px}</style></head><body>";
  h += fmt::format("<h1>check {}: {} ↔ {}</h1>", HtmlEscape(r.entity), HtmlEscape(r.left),
                   HtmlEscape(r.right));
  h += fmt::format("<p class=\"{}\"><b>{}</b></p>", r.Equal() ? "ok" : "bad", HtmlEscape(Summary(r)));
  h += fmt::format("<p>Compared fields: <code>{}</code>; checksums computed in {}; {} segments, "
                   "{} differ; {:.1f} s.</p>",
                   HtmlEscape(fmt::format("{}", fmt::join(r.compared_fields, ", "))), HtmlEscape(r.computed_in), r.segments,
                   r.differing_segments, r.elapsed_ms / 1000.0);
  h += fmt::format("<table><tr><th></th><th>{}</th><th>{}</th></tr>", HtmlEscape(r.left),
                   HtmlEscape(r.right));
  for (const auto& row : TotalsRows(r)) {
    h += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>",
                     row[1] == row[2] ? "" : " class=\"ne\"", HtmlEscape(row[0]), HtmlEscape(row[1]),
                     HtmlEscape(row[2]));
  }
  h += "</table>";
  if (!r.groups.empty()) {
    h += fmt::format("<h2>By group</h2><table><tr><th>group</th><th>{0} rows</th><th>{1} rows</th>"
                     "<th>sums ({0} / {1})</th></tr>",
                     HtmlEscape(r.left), HtmlEscape(r.right));
    for (const auto& g : r.groups) {
      std::string sums;
      for (const auto& [f, v] : g.left.sums) {
        auto it = g.right.sums.find(f);
        sums += fmt::format("{} {} / {} ", f, v, it == g.right.sums.end() ? "-" : it->second);
      }
      h += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                       TotalsMark(g.left, g.right).empty() ? "" : " class=\"ne\"",
                       HtmlEscape(g.group), Thousands(g.left.rows), Thousands(g.right.rows), HtmlEscape(sums));
    }
    h += "</table>";
  }
  if (!r.rows.empty()) {
    h += fmt::format("<h2>Differences</h2><table><tr><th>key</th><th>what</th><th>field</th>"
                     "<th>{}</th><th>{}</th></tr>",
                     HtmlEscape(r.left), HtmlEscape(r.right));
    for (const auto& d : r.rows) {
      if (d.kind != RowDifference::Kind::kDiffers) {
        h += fmt::format("<tr><td>{}</td><td>missing in {}</td><td></td><td></td><td></td></tr>",
                         HtmlEscape(d.key_display),
                         HtmlEscape(d.kind == RowDifference::Kind::kMissingLeft ? r.left : r.right));
        continue;
      }
      for (const auto& f : d.fields) {
        h += fmt::format("<tr><td>{}</td><td>differs</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                         HtmlEscape(d.key_display), HtmlEscape(f.field), HtmlEscape(f.left), HtmlEscape(f.right));
      }
    }
    h += "</table>";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace concord
