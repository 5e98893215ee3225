// Grouping DLQ entries by reason with the values stripped (see dlq_groups.h).
#include "profile/dlq_groups.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/change.h"

namespace concord {
namespace {

bool IsWordByte(unsigned char c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c >= 0x80;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }

}  // namespace

std::string ReasonPattern(const std::string& reason) {
  const std::string& s = reason;
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    // A quoted value, with \" and \\ escapes (DisplayValue's quoting). A quoted name (column
    // "tel") is part of the problem and stays.
    if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, s.size());
      const bool names_something = out.ends_with("column ") || out.ends_with("table ");
      out += names_something ? s.substr(i, j - i) : "\"…\"";
      i = j;
      continue;
    }
    if (c == 'x' && i + 1 < s.size() && s[i + 1] == '\'' &&
        (i == 0 || !IsWordByte(static_cast<unsigned char>(s[i - 1])))) {
      size_t j = s.find('\'', i + 2);
      out += "x'…'";
      i = j == std::string::npos ? s.size() : j + 1;
      continue;
    }
    // A token with a mask in it ("138****5678", "z***@example.com"): the whole token.
    if (!IsSpace(c)) {
      size_t end = i;
      while (end < s.size() && !IsSpace(s[end]) && s[end] != ',' && s[end] != ';' &&
             s[end] != ')') {
        ++end;
      }
      std::string_view token(s.data() + i, end - i);
      if (token.find("***") != std::string_view::npos) {
        out += "***";
        i = end;
        continue;
      }
    }
    // A standalone number: -5.00, 17, 3.5e2 is rare in reasons and stays partly.
    const bool starts_number =
        (IsDigit(c) || ((c == '-' || c == '+') && i + 1 < s.size() && IsDigit(s[i + 1]))) &&
        (i == 0 || !IsWordByte(static_cast<unsigned char>(s[i - 1])));
    if (starts_number) {
      size_t j = i + 1;
      while (j < s.size() && (IsDigit(s[j]) || s[j] == '.' || s[j] == ':' || s[j] == '-')) ++j;
      if (j == s.size() || !IsWordByte(static_cast<unsigned char>(s[j]))) {
        // A trailing '.' ends a sentence, it is not part of the number.
        size_t end = j;
        if (s[end - 1] == '.') --end;
        out += 'N';
        i = end;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::vector<DlqGroup> GroupDlq(const std::vector<DlqEntry>& entries) {
  std::map<std::tuple<std::string, std::string, std::string>, DlqGroup> groups;
  for (const DlqEntry& e : entries) {
    std::string pattern = ReasonPattern(e.reason);
    DlqGroup& g = groups[{e.rule, e.field, pattern}];
    if (g.count++ == 0 || e.first_seen_ms < g.oldest_ms) {
      g.rule = e.rule;
      g.field = e.field;
      g.pattern = pattern;
      g.oldest_ms = e.first_seen_ms;
      g.example_id = e.id;
      g.example_key = KeyForDisplay(e.source_key);
      g.example_reason = e.reason;
    }
    g.newest_ms = std::max(g.newest_ms, e.last_seen_ms);
    g.flows.insert(e.flow);
  }
  std::vector<DlqGroup> out;
  out.reserve(groups.size());
  for (auto& [k, g] : groups) out.push_back(std::move(g));
  std::stable_sort(out.begin(), out.end(),
                   [](const DlqGroup& a, const DlqGroup& b) { return a.count > b.count; });
  return out;
}

}  // namespace concord
