// Loading concord.yaml: YAML → ConfigSpec, reporting every error at once.
//
// Two passes. The first reads each section on its own (shapes, types, ranges, unknown keys — as
// declared in config_keys.cc) and keeps every element whose name is sound even when its details
// are not, so the second pass, the cross-checks between sections, reports real problems rather
// than echoes of earlier ones. yaml-cpp throws; every call into it is made where a throw is
// caught and turned into a ConfigError.
#include "config/config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include "config/config_keys.h"
#include "config/value_format.h"
#include "config/when.h"
#include "rules/lua_sandbox.h"
#include "connectors/registry.h"

namespace concord {

std::string ConfigError::ToString() const {
  std::string out;
  std::string where = loc.ToString();
  if (!where.empty()) out += where + ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  if (!hint.empty()) out += "\n  hint: " + hint;
  return out;
}

namespace {

namespace fs = std::filesystem;
using NameList = std::vector<std::pair<std::string, Location>>;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string QuoteEach(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const std::string& n : names) quoted.push_back(Quote(n));
  return JoinNames(quoted, " or ");
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// "did you mean "x"?" when a candidate is close; else the list (or `none`) after `label`.
std::string NameHint(const std::string& found, const std::vector<std::string>& candidates,
                     std::string_view label, std::string_view none = "") {
  std::string match = ClosestMatch(found, candidates);
  if (!match.empty()) return "did you mean " + Quote(match) + "?";
  if (candidates.empty()) return std::string(none);
  return std::string(label) + ": " + JoinNames(candidates, ", ");
}

// For unknown keys: the suggestion and always the allowed list.
std::string KeyHint(const std::string& found, const std::vector<std::string>& allowed,
                    std::string_view label = "allowed keys") {
  std::string match = ClosestMatch(found, allowed);
  std::string list = std::string(label) + ": " + JoinNames(allowed, ", ");
  if (match.empty()) return list;
  return "did you mean " + Quote(match) + "? (" + list + ")";
}

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = std::strerror(errno);
    return false;
  }
  out->clear();
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) {
    *error = std::strerror(err);
    return false;
  }
  return true;
}

std::string TrimWhitespace(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Exact comparison of decimal texts (-?digits(.digits)?): <0, 0, >0.
int CompareDecimal(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s, bool* neg, std::string* whole, std::string* frac) {
    std::string_view v = s;
    *neg = !v.empty() && v[0] == '-';
    if (*neg) v.remove_prefix(1);
    size_t dot = v.find('.');
    std::string_view w = v.substr(0, dot);
    while (w.size() > 1 && w[0] == '0') w.remove_prefix(1);
    *whole = std::string(w);
    *frac = dot == std::string_view::npos ? "" : std::string(v.substr(dot + 1));
    while (!frac->empty() && frac->back() == '0') frac->pop_back();
    if (*whole == "0" && frac->empty()) *neg = false;  // -0 == 0
  };
  bool na, nb;
  std::string wa, fa, wb, fb;
  split(a, &na, &wa, &fa);
  split(b, &nb, &wb, &fb);
  if (na != nb) return na ? -1 : 1;
  int mag = 0;
  if (wa.size() != wb.size()) {
    mag = wa.size() < wb.size() ? -1 : 1;
  } else if (wa != wb) {
    mag = wa < wb ? -1 : 1;
  } else if (fa != fb) {
    mag = fa < fb ? -1 : 1;
  }
  return na ? -mag : mag;
}

bool IsDecimalText(std::string_view s, bool allow_fraction) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  if (whole.empty()) return false;
  for (char c : whole) {
    if (c < '0' || c > '9') return false;
  }
  if (dot == std::string_view::npos) return true;
  if (!allow_fraction) return false;
  std::string_view frac = s.substr(dot + 1);
  if (frac.empty()) return false;
  for (char c : frac) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsPlain(const YAML::Node& n) { return n.Tag() == "?"; }

std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (IsPlain(n) && IsDecimalText(s, true)) return "the number " + s;
      if (IsPlain(n) && (s == "true" || s == "false")) return "the boolean " + s;
      return "a string " + Quote(s);
    }
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

const Entry* FindEntry(const std::vector<Entry>& entries, std::string_view key) {
  for (const Entry& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

TextEncoding EncodingFromName(std::string_view name) {
  for (TextEncoding e : {TextEncoding::kUtf8, TextEncoding::kGbk, TextEncoding::kGb18030,
                         TextEncoding::kBig5, TextEncoding::kUtf16Le, TextEncoding::kUtf16Be}) {
    if (TextEncodingName(e) == name) return e;
  }
  return TextEncoding::kUtf8;
}

bool IsTextShaped(FieldType t) {
  return t == FieldType::kString || t == FieldType::kText || t == FieldType::kEnum ||
         t == FieldType::kReference || t == FieldType::kPhone || t == FieldType::kEmail;
}

bool IsDateShaped(FieldType t) { return t == FieldType::kDate || t == FieldType::kTimestamp; }

// The global names a Lua expression reads, each with where it is written.
using LuaNames = std::vector<std::pair<std::string, Location>>;

// The byte offset of `name` as a whole word in `text` (its first such occurrence), else 0.
size_t WordOffset(const std::string& text, const std::string& name) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    bool starts = at == 0 || !ident(text[at - 1]);
    bool ends = at + name.size() == text.size() || !ident(text[at + name.size()]);
    if (starts && ends) return at;
  }
  return 0;
}

// Whether the text at `offset` is a token of the `when:` comparison form (end, a literal, an
// operator, `and`, `true`, `false`, `null`): an error there is an error in that form.
bool IsComparisonFormToken(const std::string& text, size_t offset) {
  if (offset >= text.size()) return true;
  std::string_view rest = std::string_view(text).substr(offset);
  for (std::string_view t : {"==", "!=", "<", ">", "'", "\"", "-"}) {
    if (rest.substr(0, t.size()) == t) return true;
  }
  if (rest[0] >= '0' && rest[0] <= '9') return true;
  for (std::string_view w : {"and", "true", "false", "null"}) {
    if (WordOffset(std::string(rest), std::string(w)) == 0 && rest.substr(0, w.size()) == w) {
      return true;
    }
  }
  return false;
}

bool IsLuaLibraryName(const std::string& name) {
  const auto& lib = LuaGlobalNames();
  return std::find(lib.begin(), lib.end(), name) != lib.end();
}

// Where parts of the spec were written, for the cross-checks; not part of ConfigSpec.
struct FlowLocs {
  Location entity, from, to, owns, when, prefer;
  NameList owns_list;
  std::vector<Location> when_fields;  // one per comparison
  LuaNames when_lua;                  // a Lua filter's names
  std::vector<LuaNames> computed;     // per flow.computed entry
  std::vector<Location> computed_fields;
  std::string path;                   // "flows[3]"
};

class Loader {
 public:
  Loader(const std::string& text, std::string file, std::string base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines_.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }

  std::vector<ConfigError> TakeErrors() {
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ConfigError& a, const ConfigError& b) {
                       return std::pair(a.loc.line, a.loc.col) < std::pair(b.loc.line, b.loc.col);
                     });
    return std::move(errors_);
  }

  void SyntaxError(const YAML::Mark& mark, const std::string& message) {
    Location loc{file_, 0, 0};
    if (mark.line >= 0) loc = MarkLoc(mark);
    Error(loc, "", "invalid YAML: " + message);
  }

  void Error(Location loc, std::string path, std::string message, std::string hint = "") {
    errors_.push_back({std::move(loc), std::move(path), std::move(message), std::move(hint)});
  }

  void Load(const YAML::Node& root, ConfigSpec* spec);

 private:
  // --- locations
  Location MarkLoc(const YAML::Mark& m) const {
    if (m.line < 0) return {file_, 0, 0};
    int col = m.column;
    if (m.line < static_cast<int>(lines_.size())) {  // bytes → characters (UTF-8)
      const std::string& line = lines_[m.line];
      col = 0;
      for (int i = 0; i < m.column && i < static_cast<int>(line.size()); ++i) {
        if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++col;
      }
    }
    return {file_, m.line + 1, col + 1};
  }
  Location Loc(const YAML::Node& n) const { return MarkLoc(n.Mark()); }
  // The value's location, or the key's where the value is empty (yaml-cpp marks an empty value
  // at the start of the next line).
  Location ValueLoc(const Entry& e) const {
    return e.value.IsNull() ? Loc(e.key_node) : Loc(e.value);
  }

  // --- shapes
  bool ExpectType(const YAML::Node& n, YAML::NodeType::value type, const Location& loc,
                  const std::string& path) {
    if (n.Type() == type) return true;
    const char* what = type == YAML::NodeType::Map ? "a map" : "a list";
    Error(loc, path, std::string("expected ") + what + ", found " + Describe(n));
    return false;
  }

  // A map's entries in file order; reports duplicate keys (keeping the first) and non-string keys.
  std::vector<Entry> Entries(const YAML::Node& map, const std::string& path) {
    std::vector<Entry> out;
    std::map<std::string, Location> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node& k = it->first;
      if (!k.IsScalar()) {
        Error(Loc(k), path, "expected a name as key, found " + Describe(k));
        continue;
      }
      auto [prev, inserted] = seen.emplace(k.Scalar(), Loc(k));
      if (!inserted) {
        Error(Loc(k), Join(path, k.Scalar()),
              "duplicate key " + Quote(k.Scalar()) + " (first at " + prev->second.ToString() + ")",
              "remove one of them; YAML keeps neither silently here");
        continue;
      }
      out.push_back({k.Scalar(), k, it->second});
    }
    return out;
  }

  // Entries checked against a section: unknown keys and missing required keys are reported.
  std::vector<Entry> SectionEntries(const YAML::Node& map, const Location& at,
                                    const std::string& path, const SectionDef& section) {
    std::vector<Entry> entries = Entries(map, path);
    std::vector<Entry> known;
    for (Entry& e : entries) {
      if (section.Find(e.key) == nullptr) {
        Error(Loc(e.key_node), Join(path, e.key), "unknown key " + Quote(e.key),
              KeyHint(e.key, section.Names()));
      } else {
        known.push_back(std::move(e));
      }
    }
    for (const KeyDef& k : section.keys) {
      if (k.required && FindEntry(known, k.name) == nullptr) {
        Error(at, path, "missing required key " + Quote(k.name),
              "add " + std::string(k.name) + ": <" + std::string(k.type) + ">");
      }
    }
    return known;
  }

  static std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  // --- scalars
  std::optional<std::string> String(const Entry& e, const std::string& path,
                                    bool allow_empty = false) {
    if (!e.value.IsScalar()) {
      Error(ValueLoc(e), path, "expected a string, found " + Describe(e.value));
      return std::nullopt;
    }
    if (!allow_empty && e.value.Scalar().empty()) {
      Error(ValueLoc(e), path, "expected a non-empty string, found \"\"");
      return std::nullopt;
    }
    return e.value.Scalar();
  }

  std::optional<int64_t> Int(const Entry& e, const std::string& path, const KeyDef& def) {
    const YAML::Node& v = e.value;
    int64_t out = 0;
    bool ok = v.IsScalar() && IsPlain(v) && IsDecimalText(v.Scalar(), false);
    if (ok) {
      const std::string& s = v.Scalar();
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      ok = ec == std::errc() && p == s.data() + s.size();
    }
    if (!ok) {
      Error(ValueLoc(e), path, "expected an integer, found " + Describe(v));
      return std::nullopt;
    }
    if ((def.min && out < *def.min) || (def.max && out > *def.max)) {
      std::string range;
      if (def.min && def.max) {
        range = *def.min == *def.max ? "must be " + std::to_string(*def.min)
                                     : "must be between " + std::to_string(*def.min) + " and " +
                                           std::to_string(*def.max);
      } else {
        range = def.min ? "must be at least " + std::to_string(*def.min)
                        : "must be at most " + std::to_string(*def.max);
      }
      Error(ValueLoc(e), path, range + ", found " + v.Scalar());
      return std::nullopt;
    }
    return out;
  }

  std::optional<bool> Bool(const Entry& e, const std::string& path) {
    const YAML::Node& v = e.value;
    if (v.IsScalar() && IsPlain(v)) {
      const std::string& s = v.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    Error(ValueLoc(e), path, "expected true or false, found " + Describe(v));
    return std::nullopt;
  }

  // A string that must be one of the key's allowed values.
  std::optional<std::string> OneOf(const Entry& e, const std::string& path, const KeyDef& def) {
    auto v = String(e, path);
    if (!v) return std::nullopt;
    if (std::find(def.allowed.begin(), def.allowed.end(), *v) != def.allowed.end()) return v;
    Error(ValueLoc(e), path,
          "expected " + QuoteEach(def.allowed) + ", found " + Quote(*v),
          KeyHint(*v, def.allowed, "allowed values"));
    return std::nullopt;
  }

  // A time zone name or offset, checked against the zone database.
  std::optional<std::string> TimeZone(const Entry& e, const std::string& path) {
    auto v = String(e, path);
    if (!v) return std::nullopt;
    if (IsKnownTimeZone(*v)) return v;
    std::string match = ClosestMatch(*v, TimeZoneNames());
    Error(ValueLoc(e), path, "unknown time zone " + Quote(*v),
          match.empty() ? "write an IANA name such as Asia/Shanghai, UTC, or an offset such as "
                          "+08:00"
                        : "did you mean " + Quote(match) + "?");
    return std::nullopt;
  }

  std::optional<std::string> Number(const Entry& e, const std::string& path, bool integer) {
    const YAML::Node& v = e.value;
    if (v.IsScalar() && IsPlain(v) && IsDecimalText(v.Scalar(), !integer)) return v.Scalar();
    Error(ValueLoc(e), path,
          std::string(integer ? "expected an integer" : "expected a number like 0, -5 or 99.50") +
              ", found " + Describe(v));
    return std::nullopt;
  }

  // A string or (when allow_string is false: only) a list of strings; names are non-empty and
  // distinct. Returns false when nothing usable was found.
  bool Names(const Entry& e, const std::string& path, bool allow_string, bool allow_empty_list,
             NameList* out) {
    out->clear();
    if (allow_string && e.value.IsScalar()) {
      if (e.value.Scalar().empty()) {
        Error(ValueLoc(e), path, "expected a name, found \"\"");
        return false;
      }
      out->push_back({e.value.Scalar(), ValueLoc(e)});
      return true;
    }
    if (!e.value.IsSequence()) {
      Error(ValueLoc(e), path,
            std::string(allow_string ? "expected a string or a list" : "expected a list") +
                ", found " + Describe(e.value));
      return false;
    }
    if (e.value.size() == 0 && !allow_empty_list) {
      Error(ValueLoc(e), path, "expected at least one name, found an empty list");
      return false;
    }
    for (size_t i = 0; i < e.value.size(); ++i) {
      const YAML::Node& item = e.value[i];
      std::string item_path = path + "[" + std::to_string(i) + "]";
      if (!item.IsScalar() || item.Scalar().empty()) {
        Error(Loc(item), item_path, "expected a name, found " + Describe(item));
        continue;
      }
      bool dup = false;
      for (const auto& [n, l] : *out) dup = dup || n == item.Scalar();
      if (dup) {
        Error(Loc(item), item_path, Quote(item.Scalar()) + " is listed twice");
        continue;
      }
      out->push_back({item.Scalar(), Loc(item)});
    }
    return !out->empty() || allow_empty_list;
  }

  bool CheckName(const Entry& e, const std::string& path, std::string_view what) {
    if (IsIdentifier(e.key)) return true;
    Error(Loc(e.key_node), path,
          std::string(what) + " name " + Quote(e.key) +
              " must be letters, digits and underscores, starting with a letter or underscore");
    return false;
  }

  // --- sections
  void ParseState(const Entry& e, ConfigSpec* spec);
  void ParseSystems(const Entry& e, ConfigSpec* spec);
  std::optional<std::string> ResolveOption(const std::string& raw, const Location& loc,
                                           const std::string& path, bool* secret);
  void ParseEntities(const Entry& e, ConfigSpec* spec);
  void ParseField(const Entry& e, const std::string& path, FieldSpec* f);
  void ParseBindings(const Entry& e, ConfigSpec* spec);
  void ParseMapping(const Entry& e, const std::string& path, FieldMapping* m);
  void ParsePoll(const Entry& e, const std::string& path, PollSpec* p);
  void ParseFlows(const Entry& e, ConfigSpec* spec);
  void ParseChecks(const Entry& e, ConfigSpec* spec);
  void ParseFlow(const YAML::Node& item, const std::string& path, FlowSpec* flow, FlowLocs* locs);
  void ParseWhenEntry(const Entry& e, const std::string& path, FlowSpec* flow, FlowLocs* locs);
  void ParseRules(const Entry& e, const std::string& path, EntitySpec* entity);
  void ParseComputed(const Entry& e, const std::string& path, FlowSpec* flow, FlowLocs* locs);
  // Where byte `offset` of the string `text` of entry e is: exact when the scalar is written on
  // one line (quoted or not), else the start of the value.
  Location ExprLoc(const Entry& e, const std::string& text, size_t offset) const;
  // Compiles `text` as a Lua expression; a syntax error is reported at its token. Fills *names
  // and *fields (the names that are not library names). False on a syntax error.
  bool ParseLua(const Entry& e, const std::string& path, const std::string& text,
                LuaNames* names, std::vector<std::string>* fields);
  // Reports each name that is neither a field of `entity` nor a library name, and each field
  // that `from` (when given) does not map.
  void CheckLuaNames(const LuaNames& names, const std::string& path, const EntitySpec& entity,
                     const BindingSpec* from);
  void CheckComputed(const FlowSpec& flow, const EntitySpec& entity, const BindingSpec* from,
                     const BindingSpec* to, const FlowLocs& locs);

  // --- cross-checks
  void CheckEntities(const ConfigSpec& spec);
  void CheckBindings(const ConfigSpec& spec);
  void ResolveMappingLayouts(ConfigSpec* spec);
  void CheckFlows(const ConfigSpec& spec);
  void CheckChecks(const ConfigSpec& spec);
  void CheckWhen(const FlowSpec& flow, const EntitySpec& entity, const BindingSpec* from,
                 const FlowLocs& locs);
  bool KnownSystem(const ConfigSpec& spec, const std::string& name, const Location& loc,
                   const std::string& path);
  bool KnownEntity(const ConfigSpec& spec, const std::string& name, const Location& loc,
                   const std::string& path);

  std::string file_;
  std::string base_dir_;
  std::vector<std::string> lines_;
  std::vector<ConfigError> errors_;

  std::map<std::string, NameList> entity_keys_;                  // entity → key fields
  std::map<std::string, Location> unique_locs_;                   // field path → `unique` key
  std::map<std::string, std::vector<LuaNames>> rule_names_;      // entity → per rule
  std::map<std::string, Location> reference_locs_;               // "entity.field" → entity:
  std::map<std::string, std::string> binding_paths_;             // binding → dotted path
  std::map<std::string, std::vector<Location>> value_map_locs_;  // "binding.field" → values
  std::map<std::string, Location> capture_locs_;                 // binding → capture:
  // Where a mapping's layout keys were written, keyed by its dotted path; a key that is absent
  // was not written (the binding's default applies).
  struct MappingLocs {
    std::optional<Location> format, timezone, encoding;
  };
  std::map<std::string, MappingLocs> mapping_locs_;
  std::vector<FlowLocs> flow_locs_;
};

void Loader::Load(const YAML::Node& root, ConfigSpec* spec) {
  if (root.IsNull()) {
    Error({file_, 0, 0}, "", "the file is empty", "start with \"version: 1\"");
    return;
  }
  if (!root.IsMap()) {
    Error(Loc(root), "", "expected a map at the top level, found " + Describe(root));
    return;
  }
  std::vector<Entry> top = SectionEntries(root, Location{file_, 1, 1}, "", TopSection());
  spec->state = TopSection().Get("state").default_value;
  if (const Entry* e = FindEntry(top, "version")) {
    if (auto v = Int(*e, "version", TopSection().Get("version"))) {
      spec->version = static_cast<int>(*v);
    }
  }
  if (const Entry* e = FindEntry(top, "state")) {
    ParseState(*e, spec);
  } else {
    // The declared default, "sqlite:<file>", resolved like a written value.
    spec->state_path =
        (fs::path(base_dir_) / spec->state.substr(spec->state.find(':') + 1)).lexically_normal();
  }
  if (const Entry* e = FindEntry(top, "systems")) ParseSystems(*e, spec);
  if (const Entry* e = FindEntry(top, "entities")) ParseEntities(*e, spec);
  if (const Entry* e = FindEntry(top, "bindings")) ParseBindings(*e, spec);
  if (const Entry* e = FindEntry(top, "flows")) ParseFlows(*e, spec);
  if (const Entry* e = FindEntry(top, "checks")) ParseChecks(*e, spec);
  CheckEntities(*spec);
  CheckBindings(*spec);
  ResolveMappingLayouts(spec);
  CheckFlows(*spec);
  CheckChecks(*spec);
}

void Loader::ParseState(const Entry& e, ConfigSpec* spec) {
  auto text = String(e, "state");
  if (!text) return;
  spec->state = *text;
  constexpr std::string_view kPrefix = "sqlite:";
  if (text->rfind(kPrefix, 0) != 0) {
    size_t colon = text->find(':');
    // Print only the scheme of a URL: it may carry a password.
    std::string found =
        colon == std::string::npos ? Quote(*text) : "a " + Quote(text->substr(0, colon)) + " URL";
    Error(ValueLoc(e), "state", "expected \"sqlite:<path>\", found " + found,
          colon == std::string::npos ? "write \"sqlite:" + *text + "\""
                                     : "this build keeps its state in SQLite only");
    return;
  }
  std::string path = text->substr(kPrefix.size());
  if (path.empty()) {
    Error(ValueLoc(e), "state", "expected a file path after \"sqlite:\", found nothing",
          "e.g. sqlite:concord-state.db");
    return;
  }
  fs::path p(path);
  if (p.is_relative()) p = fs::path(base_dir_) / p;
  spec->state_path = p.lexically_normal().string();
}

std::optional<std::string> Loader::ResolveOption(const std::string& raw, const Location& loc,
                                                 const std::string& path, bool* secret) {
  *secret = false;
  if (raw.rfind("file:", 0) == 0) {
    *secret = true;
    fs::path p(raw.substr(5));
    if (p.empty()) {
      Error(loc, path, "expected a file path after \"file:\", found nothing");
      return std::nullopt;
    }
    if (p.is_relative()) p = fs::path(base_dir_) / p;
    std::string contents, error;
    if (!ReadWholeFile(p.string(), &contents, &error)) {
      Error(loc, path, "cannot read secret file " + Quote(p.string()) + ": " + error);
      return std::nullopt;
    }
    return TrimWhitespace(contents);
  }
  std::string out;
  bool ok = true;
  for (size_t i = 0; i < raw.size();) {
    if (raw.compare(i, 3, "$${") == 0) {  // escape: a literal "${"
      out += "${";
      i += 3;
      continue;
    }
    if (raw.compare(i, 2, "${") != 0) {
      out += raw[i++];
      continue;
    }
    size_t close = raw.find('}', i + 2);
    std::string name = close == std::string::npos ? "" : raw.substr(i + 2, close - i - 2);
    if (close == std::string::npos || !IsIdentifier(name)) {
      Error(loc, path,
            "expected ${NAME} with NAME an environment variable name, found " +
                Quote(raw.substr(i, close == std::string::npos ? 12 : close - i + 1)),
            "write $${ for a literal ${");
      return std::nullopt;
    }
    *secret = true;
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      Error(loc, path, "environment variable " + name + " is not set",
            "set " + name + " in concord's environment, or use file:<path>");
      ok = false;
    } else {
      out += value;
    }
    i = close + 1;
  }
  if (!ok) return std::nullopt;
  return out;
}

void Loader::ParseSystems(const Entry& section, ConfigSpec* spec) {
  if (!ExpectType(section.value, YAML::NodeType::Map, ValueLoc(section), "systems")) return;
  for (const Entry& e : Entries(section.value, "systems")) {
    std::string path = "systems." + e.key;
    if (!CheckName(e, path, "system")) continue;
    SystemSpec sys;
    sys.name = e.key;
    sys.loc = Loc(e.key_node);
    if (ExpectType(e.value, YAML::NodeType::Map, ValueLoc(e), path)) {
      std::vector<Entry> entries = Entries(e.value, path);
      const Entry* connector = FindEntry(entries, "connector");
      const ConnectorDescriptor* desc = nullptr;
      if (connector == nullptr) {
        Error(sys.loc, path, "missing required key \"connector\"",
              "add connector: <" + JoinNames(SystemSection().Get("connector").allowed, "|") + ">");
      } else if (auto name = String(*connector, path + ".connector")) {
        sys.connector = *name;
        desc = FindConnector(*name);
        if (desc == nullptr) {
          const auto& allowed = SystemSection().Get("connector").allowed;
          Error(ValueLoc(*connector), path + ".connector", "unknown connector " + Quote(*name),
                KeyHint(*name, allowed, "available connectors"));
        }
      }
      std::vector<std::string> option_names;
      if (desc != nullptr) {
        for (const auto& [name, doc] : desc->options) option_names.emplace_back(name);
      }
      for (const Entry& o : entries) {
        if (o.key == "connector") continue;
        std::string opath = path + "." + o.key;
        if (desc != nullptr &&
            std::find(option_names.begin(), option_names.end(), o.key) == option_names.end()) {
          Error(Loc(o.key_node), opath,
                "unknown option " + Quote(o.key) + " for connector " + sys.connector,
                KeyHint(o.key, option_names, "connector " + sys.connector + " accepts"));
          continue;
        }
        if (!o.value.IsScalar()) {  // never print the value: it may be a secret
          Error(ValueLoc(o), opath,
                "expected a string, found " + std::string(o.value.IsNull()       ? "nothing"
                                                          : o.value.IsSequence() ? "a list"
                                                                                 : "a map"));
          continue;
        }
        bool secret = false;
        if (auto v = ResolveOption(o.value.Scalar(), ValueLoc(o), opath, &secret)) {
          sys.options[o.key] = *v;
          if (secret) sys.secret_options.insert(o.key);
        } else if (secret) {
          sys.secret_options.insert(o.key);
        }
      }
      if (desc != nullptr) {
        for (std::string_view req : desc->required) {
          if (FindEntry(entries, req) == nullptr) {
            Error(sys.loc, path,
                  "missing required option " + Quote(req) + " for connector " + sys.connector,
                  "add " + std::string(req) + ": <value>");
          }
        }
      }
    }
    spec->systems.emplace(sys.name, std::move(sys));
  }
}

void Loader::ParseEntities(const Entry& section, ConfigSpec* spec) {
  if (!ExpectType(section.value, YAML::NodeType::Map, ValueLoc(section), "entities")) return;
  for (const Entry& e : Entries(section.value, "entities")) {
    std::string path = "entities." + e.key;
    if (!CheckName(e, path, "entity")) continue;
    EntitySpec entity;
    entity.name = e.key;
    entity.loc = Loc(e.key_node);
    if (ExpectType(e.value, YAML::NodeType::Map, ValueLoc(e), path)) {
      std::vector<Entry> entries = SectionEntries(e.value, entity.loc, path, EntitySection());
      if (const Entry* f = FindEntry(entries, "fields")) {
        std::string fpath = path + ".fields";
        if (ExpectType(f->value, YAML::NodeType::Map, ValueLoc(*f), fpath)) {
          for (const Entry& fe : Entries(f->value, fpath)) {
            std::string field_path = fpath + "." + fe.key;
            if (!CheckName(fe, field_path, "field")) continue;
            FieldSpec field;
            field.name = fe.key;
            field.loc = Loc(fe.key_node);
            ParseField(fe, field_path, &field);
            entity.fields.push_back(std::move(field));
          }
        }
      }
      if (const Entry* k = FindEntry(entries, "key")) {
        NameList keys;
        Names(*k, path + ".key", /*allow_string=*/true, /*allow_empty_list=*/false, &keys);
        for (const auto& [name, loc] : keys) entity.key.push_back(name);
        entity_keys_[entity.name] = keys;
      }
      if (const Entry* r = FindEntry(entries, "rules")) ParseRules(*r, path + ".rules", &entity);
    }
    spec->entities.emplace(entity.name, std::move(entity));
  }
}

void Loader::ParseField(const Entry& e, const std::string& path, FieldSpec* f) {
  const SectionDef& section = FieldSection();
  auto set_type = [&](const std::string& name, const Location& loc, const std::string& tpath) {
    if (auto t = FieldTypeFromName(name)) {
      f->type = *t;
      return true;
    }
    Error(loc, tpath, "unknown type " + Quote(name),
          KeyHint(name, section.Get("type").allowed, "types"));
    return false;
  };
  if (e.value.IsScalar()) {  // shorthand: `born: date`
    set_type(e.value.Scalar(), ValueLoc(e), path);
    if (f->type == FieldType::kDecimal)
      f->scale = static_cast<int>(section.Get("scale").DefaultInt());
    if (f->type == FieldType::kEnum || f->type == FieldType::kReference) {
      Error(ValueLoc(e), path,
            std::string(f->type == FieldType::kEnum ? "an " : "a ") + e.value.Scalar() +
                " field needs " + (f->type == FieldType::kEnum ? "values" : "entity") +
                ", so it cannot be written "
                "in the short form",
            f->type == FieldType::kEnum ? "write {type: enum, values: [A, B]}"
                                        : "write {type: reference, entity: <entity>}");
    }
    return;
  }
  if (!e.value.IsMap()) {
    Error(ValueLoc(e), path, "expected a type name or a map, found " + Describe(e.value));
    return;
  }
  std::vector<Entry> entries = SectionEntries(e.value, Loc(e.key_node), path, section);
  bool type_known = false;
  if (const Entry* t = FindEntry(entries, "type")) {
    if (auto name = String(*t, path + ".type")) {
      type_known = set_type(*name, ValueLoc(*t), path + ".type");
    }
  }
  if (f->type == FieldType::kDecimal)
    f->scale = static_cast<int>(section.Get("scale").DefaultInt());
  Location default_loc;
  for (const Entry& k : entries) {
    std::string kpath = path + "." + k.key;
    const KeyDef& def = section.Get(k.key);
    if (type_known && !def.only_for.empty() &&
        std::find(def.only_for.begin(), def.only_for.end(), f->type) == def.only_for.end()) {
      std::vector<std::string> types;
      for (FieldType t : def.only_for) types.emplace_back(FieldTypeName(t));
      Error(Loc(k.key_node), kpath,
            std::string(k.key) + " applies to " + JoinNames(types, " and ") + " fields, not " +
                std::string(FieldTypeName(f->type)));
      continue;
    }
    if (k.key == "required") {
      if (auto b = Bool(k, kpath)) f->required = *b;
    } else if (k.key == "personal") {
      if (auto b = Bool(k, kpath)) f->personal = *b;
    } else if (k.key == "unique") {
      if (auto b = Bool(k, kpath)) f->unique = *b;
      unique_locs_[path] = Loc(k.key_node);
    } else if (k.key == "sum") {
      if (auto b = Bool(k, kpath)) f->sum = *b;
    } else if (k.key == "precision") {
      if (auto v = OneOf(k, kpath, def)) {
        f->precision_digits = *v == "s" ? 0 : *v == "ms" ? 3 : *v == "us" ? 6 : 9;
      }
    } else if (k.key == "max_length") {
      if (auto v = Int(k, kpath, def)) f->max_length = *v;
    } else if (k.key == "scale") {
      if (auto v = Int(k, kpath, def)) f->scale = static_cast<int>(*v);
    } else if (k.key == "min" || k.key == "max") {
      auto v = Number(k, kpath, type_known && f->type == FieldType::kInt);
      if (v) (k.key == "min" ? f->min : f->max) = *v;
    } else if (k.key == "values") {
      NameList values;
      if (Names(k, kpath, /*allow_string=*/false, /*allow_empty_list=*/false, &values)) {
        for (const auto& [v, loc] : values) f->values.push_back(v);
      }
    } else if (k.key == "entity") {
      if (auto v = String(k, kpath)) {
        f->entity = *v;
        reference_locs_[path] = ValueLoc(k);
      }
    } else if (k.key == "default") {
      if (auto v = String(k, kpath, /*allow_empty=*/true)) {
        f->default_value = *v;
        default_loc = ValueLoc(k);
      }
    } else if (k.key == "region") {
      if (auto v = String(k, kpath)) {
        if (IsKnownPhoneRegion(*v)) {
          f->region = *v;
        } else {
          std::string match = ClosestMatch(*v, PhoneRegions());
          Error(ValueLoc(k), kpath, "unknown phone region " + Quote(*v),
                match.empty() ? "write an ISO 3166 region code such as CN, HK, TW or US"
                              : "did you mean " + Quote(match) + "?");
        }
      }
    } else if (k.key == "currency" || k.key == "trim" || k.key == "collapse_spaces" ||
               k.key == "nfkc") {
      if (auto b = Bool(k, kpath)) {
        (k.key == "currency"  ? f->currency
         : k.key == "trim"    ? f->trim
         : k.key == "nfkc"    ? f->nfkc
                              : f->collapse_spaces) = *b;
      }
    } else if (k.key == "rounding") {
      if (auto v = OneOf(k, kpath, def)) {
        f->rounding = *v == "half_up" ? Rounding::kHalfUp
                      : *v == "down"  ? Rounding::kDown
                                      : Rounding::kHalfEven;
      }
    } else if (k.key == "pattern") {
      if (auto v = String(k, kpath)) {
        RE2 re(*v, RE2::Quiet);
        if (re.ok()) {
          f->pattern = *v;
        } else {
          Error(ValueLoc(k), kpath, "not a regular expression: " + re.error(),
                "RE2 syntax, e.g. '^[A-Z]{2}[0-9]{4}$'; in single quotes YAML keeps a backslash "
                "as is");
        }
      }
    } else if (k.key == "case") {
      if (auto v = OneOf(k, kpath, def)) {
        f->letter_case = *v == "upper" ? LetterCase::kUpper : LetterCase::kLower;
      }
    } else if (k.key == "chinese") {
      if (auto v = OneOf(k, kpath, def)) {
        f->chinese = *v == "simplified" ? ChineseScript::kSimplified : ChineseScript::kTraditional;
      }
    }
  }
  if (f->default_value && !f->values.empty() &&
      std::find(f->values.begin(), f->values.end(), *f->default_value) == f->values.end()) {
    Error(default_loc, path + ".default",
          Quote(*f->default_value) + " is not one of the field's values",
          NameHint(*f->default_value, f->values, "values"));
  }
  if (f->min && f->max && CompareDecimal(*f->min, *f->max) > 0) {
    Error(Loc(e.key_node), path, "min " + *f->min + " is greater than max " + *f->max);
  }
  if (type_known && f->type == FieldType::kEnum && !FindEntry(entries, "values")) {
    Error(Loc(e.key_node), path, "an enum field needs values", "add values: [A, B, C]");
  }
  if (type_known && f->type == FieldType::kReference && !FindEntry(entries, "entity")) {
    Error(Loc(e.key_node), path, "a reference field needs entity",
          "add entity: <the referenced entity>");
  }
}

void Loader::ParseBindings(const Entry& section, ConfigSpec* spec) {
  if (!ExpectType(section.value, YAML::NodeType::Map, ValueLoc(section), "bindings")) return;
  for (const Entry& e : Entries(section.value, "bindings")) {
    std::string path = "bindings." + e.key;
    size_t dot = e.key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == e.key.size()) {
      Error(Loc(e.key_node), path, "expected a key \"<system>.<entity>\", found " + Quote(e.key),
            "e.g. crm.customer");
      continue;
    }
    BindingSpec b;
    b.system = e.key.substr(0, dot);
    b.entity = e.key.substr(dot + 1);
    b.loc = Loc(e.key_node);
    binding_paths_[b.Name()] = path;
    if (ExpectType(e.value, YAML::NodeType::Map, ValueLoc(e), path)) {
      std::vector<Entry> entries = SectionEntries(e.value, b.loc, path, BindingSection());
      if (const Entry* t = FindEntry(entries, "table")) {
        if (auto v = String(*t, path + ".table")) b.table = *v;
        b.table_loc = ValueLoc(*t);
      }
      if (const Entry* k = FindEntry(entries, "key")) {
        NameList keys;
        Names(*k, path + ".key", true, false, &keys);
        for (const auto& [name, loc] : keys) b.key.push_back(name);
        b.key_loc = ValueLoc(*k);
      }
      if (const Entry* c = FindEntry(entries, "capture")) {
        if (auto v = String(*c, path + ".capture")) {
          if (*v == CaptureModeName(CaptureMode::kTrigger)) {
            b.capture = CaptureMode::kTrigger;
          } else if (*v == CaptureModeName(CaptureMode::kPoll)) {
            b.capture = CaptureMode::kPoll;
          } else if (*v == CaptureModeName(CaptureMode::kNone)) {
            b.capture = CaptureMode::kNone;
          } else if (*v == CaptureModeName(CaptureMode::kLogical)) {
            b.capture = CaptureMode::kLogical;
          } else {
            Error(ValueLoc(*c), path + ".capture", "unknown capture mode " + Quote(*v),
                  KeyHint(*v, BindingSection().Get("capture").allowed, "capture modes"));
          }
        }
        capture_locs_[b.Name()] = ValueLoc(*c);
      }
      const Entry* poll = FindEntry(entries, "poll");
      if (poll != nullptr) ParsePoll(*poll, path + ".poll", &b.poll);
      if (b.capture == CaptureMode::kPoll && poll == nullptr) {
        Error(b.loc, path + ".poll", "capture: poll needs a change column",
              "add poll: {column: updated_at}");
      } else if (b.capture != CaptureMode::kPoll && poll != nullptr) {
        Error(Loc(poll->key_node), path + ".poll",
              "poll is only read with capture: poll, and this binding has capture: " +
                  std::string(CaptureModeName(b.capture)),
              "set capture: poll, or remove poll");
      }
      if (const Entry* t = FindEntry(entries, "timezone")) {
        if (auto v = TimeZone(*t, path + ".timezone")) b.timezone = *v;
      }
      if (const Entry* en = FindEntry(entries, "encoding")) {
        if (auto v = OneOf(*en, path + ".encoding", BindingSection().Get("encoding"))) {
          b.encoding = EncodingFromName(*v);
        }
      }
      if (const Entry* f = FindEntry(entries, "fields")) {
        std::string fpath = path + ".fields";
        if (ExpectType(f->value, YAML::NodeType::Map, ValueLoc(*f), fpath)) {
          for (const Entry& fe : Entries(f->value, fpath)) {
            FieldMapping m;
            m.field = fe.key;
            m.loc = Loc(fe.key_node);
            ParseMapping(fe, fpath + "." + fe.key, &m);
            b.fields.push_back(std::move(m));
          }
        }
      }
    }
    spec->bindings.emplace(b.Name(), std::move(b));
  }
}

void Loader::ParsePoll(const Entry& e, const std::string& path, PollSpec* p) {
  p->loc = ValueLoc(e);
  if (!ExpectType(e.value, YAML::NodeType::Map, ValueLoc(e), path)) return;
  std::vector<Entry> entries = SectionEntries(e.value, Loc(e.key_node), path, PollSection());
  if (const Entry* c = FindEntry(entries, "column")) {
    if (auto v = String(*c, path + ".column")) p->column = *v;
  }
  if (const Entry* h = FindEntry(entries, "hold_back_s")) {
    if (auto v = Int(*h, path + ".hold_back_s", PollSection().Get("hold_back_s"))) {
      p->hold_back_s = *v;
    }
  }
  if (const Entry* k = FindEntry(entries, "key_scan_interval_s")) {
    const KeyDef& def = PollSection().Get("key_scan_interval_s");
    if (auto v = Int(*k, path + ".key_scan_interval_s", def)) p->key_scan_interval_s = *v;
  }
}

void Loader::ParseMapping(const Entry& e, const std::string& path, FieldMapping* m) {
  if (e.value.IsScalar()) {
    if (auto c = String(e, path)) m->column = *c;
    return;
  }
  if (!e.value.IsMap()) {
    Error(ValueLoc(e), path,
          "expected a column name or {column: ..., map: {...}}, found " + Describe(e.value));
    return;
  }
  std::vector<Entry> entries = SectionEntries(e.value, Loc(e.key_node), path, MappingSection());
  if (const Entry* c = FindEntry(entries, "column")) {
    if (auto v = String(*c, path + ".column")) m->column = *v;
  }
  MappingLocs& locs = mapping_locs_[path];
  if (const Entry* f = FindEntry(entries, "format")) {
    if (auto v = String(*f, path + ".format")) {
      m->format_text = *v;
      locs.format = ValueLoc(*f);
    }
  }
  if (const Entry* t = FindEntry(entries, "timezone")) {
    locs.timezone = ValueLoc(*t);
    if (auto v = TimeZone(*t, path + ".timezone")) m->timezone = *v;
  }
  if (const Entry* en = FindEntry(entries, "encoding")) {
    locs.encoding = ValueLoc(*en);
    if (auto v = OneOf(*en, path + ".encoding", MappingSection().Get("encoding"))) {
      m->encoding = EncodingFromName(*v);
    }
  }
  if (const Entry* mp = FindEntry(entries, "map")) {
    std::string mpath = path + ".map";
    if (ExpectType(mp->value, YAML::NodeType::Map, ValueLoc(*mp), mpath)) {
      std::vector<Location>& locs = value_map_locs_[path];
      for (const Entry& v : Entries(mp->value, mpath)) {
        if (!v.value.IsScalar()) {
          Error(ValueLoc(v), mpath + "." + v.key,
                "expected a canonical value, found " + Describe(v.value));
          continue;
        }
        m->value_map.emplace_back(v.key, v.value.Scalar());
        locs.push_back(ValueLoc(v));
      }
    }
  }
}

void Loader::ParseFlows(const Entry& section, ConfigSpec* spec) {
  if (!ExpectType(section.value, YAML::NodeType::Sequence, ValueLoc(section), "flows")) return;
  for (size_t i = 0; i < section.value.size(); ++i) {
    const YAML::Node& item = section.value[i];
    FlowSpec flow;
    FlowLocs locs;
    locs.path = "flows[" + std::to_string(i) + "]";
    flow.loc = Loc(item);
    ParseFlow(item, locs.path, &flow, &locs);
    spec->flows.push_back(std::move(flow));
    flow_locs_.push_back(std::move(locs));
  }
}

void Loader::ParseChecks(const Entry& section, ConfigSpec* spec) {
  if (!ExpectType(section.value, YAML::NodeType::Sequence, ValueLoc(section), "checks")) return;
  const SectionDef& def = CheckSection();
  for (size_t i = 0; i < section.value.size(); ++i) {
    const YAML::Node& item = section.value[i];
    std::string path = "checks[" + std::to_string(i) + "]";
    CheckSpec check;
    check.loc = Loc(item);
    check.alert_above = def.Get("alert_above").DefaultInt();
    if (!ExpectType(item, YAML::NodeType::Map, check.loc, path)) continue;
    for (const Entry& k : SectionEntries(item, check.loc, path, def)) {
      std::string kpath = path + "." + k.key;
      if (k.key == "entity") {
        if (auto v = String(k, kpath)) check.entity = *v;
      } else if (k.key == "between") {
        NameList names;
        if (!Names(k, kpath, /*allow_string=*/false, /*allow_empty_list=*/false, &names)) continue;
        if (names.size() != 2) {
          Error(ValueLoc(k), kpath,
                "expected two systems, found " + std::to_string(names.size()),
                "write between: [crm, erp]");
          continue;
        }
        check.left = names[0].first;
        check.right = names[1].first;
      } else if (k.key == "schedule") {
        auto v = String(k, kpath);
        if (!v) continue;
        Result<Schedule> sched = ParseSchedule(*v);
        if (!sched.ok()) {
          Error(ValueLoc(k), kpath, sched.status().message(),
                "write every 1h, or cron 0 2 * * * for 02:00 every day");
        } else if (sched->kind == Schedule::Kind::kRealtime) {
          Error(ValueLoc(k), kpath, "a check cannot run realtime",
                "write every 1h, or cron 0 2 * * * for 02:00 every day");
        } else {
          check.schedule = *sched;
        }
      } else if (k.key == "where") {
        auto v = String(k, kpath);
        if (!v) continue;
        WhenSpec when;
        WhenParseError error;
        std::vector<size_t> offsets;
        if (!ParseWhen(*v, &when, &offsets, &error)) {
          Error(ExprLoc(k, *v, error.offset), kpath, error.message, error.hint);
          continue;
        }
        check.where = *v;
      } else if (k.key == "alert_above") {
        if (auto v = Int(k, kpath, def.Get("alert_above"))) check.alert_above = *v;
      }
    }
    spec->checks.push_back(std::move(check));
  }
}

void Loader::CheckChecks(const ConfigSpec& spec) {
  for (size_t i = 0; i < spec.checks.size(); ++i) {
    const CheckSpec& check = spec.checks[i];
    std::string path = "checks[" + std::to_string(i) + "]";
    if (check.entity.empty()) continue;  // reported as a missing key
    if (!KnownEntity(spec, check.entity, check.loc, path + ".entity")) continue;
    std::vector<std::string> bound;
    for (const auto& [name, b] : spec.bindings) {
      if (b.entity == check.entity) bound.push_back(b.system);
    }
    for (const std::string* s : {&check.left, &check.right}) {
      if (s->empty() || std::find(bound.begin(), bound.end(), *s) != bound.end()) continue;
      std::string match = ClosestMatch(*s, bound);
      Error(check.loc, path + ".between",
            "system " + Quote(*s) + " has no binding of " + check.entity,
            match.empty() ? "systems that bind it: " + JoinNames(bound)
                          : "did you mean " + Quote(match) + "?");
    }
    if (check.left.empty() && bound.size() < 2) {
      Error(check.loc, path, check.entity + " is bound in fewer than two systems",
            "bind it in the two systems to compare");
    }
    if (!check.left.empty() && check.left == check.right) {
      Error(check.loc, path + ".between", "a check needs two different systems");
    }
  }
}

void Loader::ParseFlow(const YAML::Node& item, const std::string& path, FlowSpec* flow,
                       FlowLocs* locs) {
  const SectionDef& section = FlowSection();
  flow->max_batch_rows = section.Get("max_batch_rows").DefaultInt();
  flow->snapshot_batch_rows = section.Get("snapshot_batch_rows").DefaultInt();
  flow->max_batch_delay_ms = section.Get("max_batch_delay_ms").DefaultInt();
  flow->poll_interval_ms = section.Get("poll_interval_ms").DefaultInt();
  flow->max_parent_wait_s = section.Get("max_parent_wait_s").DefaultInt();
  flow->schedule = *ParseSchedule(section.Get("mode").default_value);
  if (!ExpectType(item, YAML::NodeType::Map, flow->loc, path)) return;
  std::vector<Entry> entries = SectionEntries(item, flow->loc, path, section);
  for (const Entry& k : entries) {
    std::string kpath = path + "." + k.key;
    const KeyDef& def = section.Get(k.key);
    if (k.key == "entity" || k.key == "from" || k.key == "to") {
      auto v = String(k, kpath);
      if (!v) continue;
      (k.key == "entity" ? flow->entity : k.key == "from" ? flow->from : flow->to) = *v;
      (k.key == "entity" ? locs->entity : k.key == "from" ? locs->from : locs->to) = ValueLoc(k);
    } else if (k.key == "mode") {
      auto v = String(k, kpath);
      if (!v) continue;
      Result<Schedule> s = ParseSchedule(*v);
      if (s.ok()) {
        flow->schedule = *s;
      } else {
        std::string first = v->substr(0, v->find(' '));
        std::string match = ClosestMatch(first, {"realtime", "every", "cron"});
        Error(ValueLoc(k), kpath, s.status().message(),
              match.empty() ? "" : "did you mean " + Quote(match) + "?");
      }
    } else if (k.key == "owns") {
      Names(k, kpath, /*allow_string=*/false, /*allow_empty_list=*/true, &locs->owns_list);
      for (const auto& [name, loc] : locs->owns_list) flow->owns.push_back(name);
      locs->owns = ValueLoc(k);
    } else if (k.key == "when") {
      ParseWhenEntry(k, kpath, flow, locs);
    } else if (k.key == "computed") {
      ParseComputed(k, kpath, flow, locs);
    } else if (k.key == "conflict") {
      const std::string expected = "expected \"newest\", \"manual\" or {prefer: <system>}";
      if (k.value.IsScalar()) {
        const std::string& v = k.value.Scalar();
        if (v == ConflictRuleName(ConflictRule::kNewest)) {
          flow->conflict = ConflictRule::kNewest;
        } else if (v == ConflictRuleName(ConflictRule::kManual)) {
          flow->conflict = ConflictRule::kManual;
        } else {
          std::string match = ClosestMatch(v, {"newest", "manual"});
          Error(ValueLoc(k), kpath, expected + ", found " + Describe(k.value),
                match.empty()
                    ? (v.rfind("prefer", 0) == 0 ? "write conflict: {prefer: <system>}" : "")
                    : "did you mean " + Quote(match) + "?");
        }
      } else if (k.value.IsMap()) {
        std::vector<Entry> c = SectionEntries(k.value, ValueLoc(k), kpath, ConflictSection());
        if (const Entry* p = FindEntry(c, "prefer")) {
          if (auto v = String(*p, kpath + ".prefer")) {
            flow->conflict = ConflictRule::kPrefer;
            flow->prefer = *v;
            locs->prefer = ValueLoc(*p);
          }
        }
      } else {
        Error(ValueLoc(k), kpath, expected + ", found " + Describe(k.value));
      }
    } else {
      auto v = Int(k, kpath, def);
      if (!v) continue;
      if (k.key == "max_batch_rows") flow->max_batch_rows = *v;
      if (k.key == "snapshot_batch_rows") flow->snapshot_batch_rows = *v;
      if (k.key == "max_batch_delay_ms") flow->max_batch_delay_ms = *v;
      if (k.key == "poll_interval_ms") flow->poll_interval_ms = *v;
      if (k.key == "max_parent_wait_s") flow->max_parent_wait_s = *v;
    }
  }
}

void Loader::ParseWhenEntry(const Entry& e, const std::string& path, FlowSpec* flow,
                            FlowLocs* locs) {
  auto text = String(e, path, /*allow_empty=*/true);
  if (!text) return;
  WhenSpec when;
  when.text = *text;
  when.loc = ValueLoc(e);
  locs->when = when.loc;
  auto at = [&](size_t offset) { return ExprLoc(e, *text, offset); };
  std::vector<size_t> offsets;
  WhenParseError error;
  if (!ParseWhen(*text, &when, &offsets, &error)) {
    // Where the comparison form stops at something it does not have (or, not, parentheses, a
    // function, arithmetic, a name as a value), the text is a Lua expression; a syntax error then
    // comes from whichever form read further (Lua's where the text uses !=, which Lua writes ~=).
    LuaSyntaxError lua_error;
    std::vector<std::string> names;
    if (!IsComparisonFormToken(*text, error.offset) &&
        CheckLuaSyntax(*text, &lua_error, &names)) {
      when.all_of.clear();
      when.lua = true;
      for (const auto& name : names) {
        locs->when_lua.emplace_back(name, at(WordOffset(*text, name)));
        if (!IsLuaLibraryName(name)) when.lua_fields.push_back(name);
      }
      flow->when = std::move(when);
      return;
    }
    bool lua_further = !text->empty() && (lua_error.offset > error.offset ||
                                          text->find("!=") != std::string::npos);
    if (lua_further) {
      Error(at(lua_error.offset), path, lua_error.message, lua_error.hint);
    } else {
      Error(at(error.offset), path, error.message, error.hint);
    }
    return;
  }
  for (size_t off : offsets) locs->when_fields.push_back(at(off));
  flow->when = std::move(when);
}

bool Loader::KnownSystem(const ConfigSpec& spec, const std::string& name, const Location& loc,
                         const std::string& path) {
  if (spec.systems.count(name)) return true;
  std::vector<std::string> names;
  for (const auto& [n, s] : spec.systems) names.push_back(n);
  Error(loc, path, "unknown system " + Quote(name),
        NameHint(name, names, "declared systems", "declare it under systems:"));
  return false;
}

bool Loader::KnownEntity(const ConfigSpec& spec, const std::string& name, const Location& loc,
                         const std::string& path) {
  if (spec.entities.count(name)) return true;
  std::vector<std::string> names;
  for (const auto& [n, s] : spec.entities) names.push_back(n);
  Error(loc, path, "unknown entity " + Quote(name),
        NameHint(name, names, "declared entities", "declare it under entities:"));
  return false;
}

std::vector<std::string> FieldNames(const EntitySpec& entity) {
  std::vector<std::string> out;
  for (const FieldSpec& f : entity.fields) out.push_back(f.name);
  return out;
}

void Loader::CheckEntities(const ConfigSpec& spec) {
  for (const auto& [name, entity] : spec.entities) {
    std::string path = "entities." + name;
    for (const auto& [key, loc] : entity_keys_[name]) {
      if (entity.Field(key) == nullptr) {
        Error(loc, path + ".key", "key field " + Quote(key) + " is not a field of entity " + name,
              NameHint(key, FieldNames(entity), "fields", "declare it under fields:"));
      }
    }
    for (const FieldSpec& f : entity.fields) {
      if (!f.unique) continue;
      for (const auto& [key, loc] : entity_keys_[name]) {
        if (key != f.name) continue;
        std::string fpath = path + ".fields." + f.name;
        Error(unique_locs_[fpath], fpath + ".unique",
              "key field " + Quote(f.name) + " is unique already",
              "remove unique: the key identifies one record per system");
      }
    }
    for (const FieldSpec& f : entity.fields) {
      if (f.type != FieldType::kReference || f.entity.empty()) continue;
      std::string fpath = path + ".fields." + f.name;
      KnownEntity(spec, f.entity, reference_locs_[fpath], fpath + ".entity");
    }
    const std::vector<LuaNames>& rule_names = rule_names_[name];
    for (size_t i = 0; i < entity.rules.size() && i < rule_names.size(); ++i) {
      CheckLuaNames(rule_names[i], path + ".rules[" + std::to_string(i) + "].check", entity,
                    nullptr);
    }
  }
}

void Loader::CheckBindings(const ConfigSpec& spec) {
  for (const auto& [name, b] : spec.bindings) {
    const std::string& path = binding_paths_[name];
    bool system_ok = KnownSystem(spec, b.system, b.loc, path);
    bool entity_ok = KnownEntity(spec, b.entity, b.loc, path);
    if (system_ok && b.capture != CaptureMode::kNone) {
      const SystemSpec& sys = spec.systems.at(b.system);
      const ConnectorDescriptor* desc = FindConnector(sys.connector);
      std::string_view mode = CaptureModeName(b.capture);
      if (desc != nullptr && std::find(desc->capture_modes.begin(), desc->capture_modes.end(),
                                       mode) == desc->capture_modes.end()) {
        std::vector<std::string> modes(desc->capture_modes.begin(), desc->capture_modes.end());
        modes.emplace_back(CaptureModeName(CaptureMode::kNone));
        auto it = capture_locs_.find(name);
        std::string hint = "use " + QuoteEach(modes);
        if (b.capture == CaptureMode::kLogical) {
          hint = "logical capture reads PostgreSQL's write-ahead log (connector postgres); " + hint;
        }
        Error(it == capture_locs_.end() ? b.loc : it->second, path + ".capture",
              "connector " + sys.connector + " does not support capture " + Quote(mode), hint);
      }
    }
    std::map<std::string, std::string> column_owner;
    for (const FieldMapping& m : b.fields) {
      std::string mpath = path + ".fields." + m.field;
      if (!m.column.empty()) {
        auto [it, inserted] = column_owner.emplace(m.column, m.field);
        if (!inserted) {
          Error(m.loc, mpath,
                "column " + Quote(m.column) + " is already mapped by field " + Quote(it->second),
                "map each column once");
        }
      }
      if (!entity_ok) continue;
      const EntitySpec& entity = spec.entities.at(b.entity);
      const FieldSpec* f = entity.Field(m.field);
      if (f == nullptr) {
        Error(m.loc, mpath, "unknown field " + Quote(m.field) + " for entity " + b.entity,
              NameHint(m.field, FieldNames(entity), "entity " + b.entity + " has fields"));
        continue;
      }
      if (f->type == FieldType::kEnum) {
        const std::vector<Location>& locs = value_map_locs_[mpath];
        for (size_t i = 0; i < m.value_map.size() && i < locs.size(); ++i) {
          const std::string& canonical = m.value_map[i].second;
          if (std::find(f->values.begin(), f->values.end(), canonical) == f->values.end()) {
            Error(locs[i], mpath + ".map." + m.value_map[i].first,
                  Quote(canonical) + " is not a value of enum field " + b.entity + "." + f->name,
                  NameHint(canonical, f->values, "values"));
          }
        }
      }
    }
  }
}

// Per mapping, once the field's type is known: `format`, `timezone` and `encoding` must apply to
// it, the format must parse for it, and the binding's timezone/encoding fill in where the
// mapping has none.
void Loader::ResolveMappingLayouts(ConfigSpec* spec) {
  for (auto& [name, b] : spec->bindings) {
    auto entity = spec->entities.find(b.entity);
    if (entity == spec->entities.end()) continue;  // reported
    const std::string& path = binding_paths_[name];
    for (FieldMapping& m : b.fields) {
      const FieldSpec* f = entity->second.Field(m.field);
      if (f == nullptr) continue;  // reported
      std::string mpath = path + ".fields." + m.field;
      const MappingLocs& locs = mapping_locs_[mpath];
      std::string type(FieldTypeName(f->type));
      if (locs.format) {
        std::string error, hint;
        if (auto kind = ParseFormat(f->type, m.format_text, &error, &hint)) {
          m.format = *kind;
          bool needs_region = *kind == FormatKind::kNational || *kind == FormatKind::kDigitPattern;
          if (needs_region && f->region.empty()) {
            Error(*locs.format, mpath + ".format",
                  "format " + Quote(m.format_text) + " writes numbers without their country "
                  "code, so field " + b.entity + "." + f->name + " needs a region",
                  "add region: <code> (e.g. CN) to entities." + b.entity + ".fields." + f->name);
          }
        } else {
          Error(*locs.format, mpath + ".format", error, hint);
        }
      }
      if (locs.timezone && !IsDateShaped(f->type)) {
        Error(*locs.timezone, mpath + ".timezone",
              "timezone applies to date and timestamp fields, not " + type);
      } else if (!locs.timezone && IsDateShaped(f->type)) {
        m.timezone = b.timezone;
      }
      if (locs.encoding && !IsTextShaped(f->type)) {
        Error(*locs.encoding, mpath + ".encoding",
              "encoding applies to string, text, enum, reference, phone and email fields, not " +
                  type);
      } else if (!locs.encoding && IsTextShaped(f->type)) {
        m.encoding = b.encoding;
      }
    }
  }
}

void Loader::CheckFlows(const ConfigSpec& spec) {
  std::map<std::string, Location> seen;
  for (size_t i = 0; i < spec.flows.size(); ++i) {
    const FlowSpec& flow = spec.flows[i];
    const FlowLocs& locs = flow_locs_[i];
    const std::string& path = locs.path;
    if (flow.entity.empty() || flow.from.empty() || flow.to.empty()) continue;  // reported
    bool entity_ok = KnownEntity(spec, flow.entity, locs.entity, path + ".entity");
    bool from_ok = KnownSystem(spec, flow.from, locs.from, path + ".from");
    bool to_ok = KnownSystem(spec, flow.to, locs.to, path + ".to");
    if (flow.from == flow.to) {
      Error(locs.to, path + ".to", "a flow cannot go from " + flow.from + " to itself",
            "name two different systems in from and to");
      continue;
    }
    auto [prev, inserted] = seen.emplace(flow.Id(), flow.loc);
    if (!inserted) {
      Error(flow.loc, path,
            "duplicate flow " + flow.Id() + " (first at " + prev->second.ToString() + ")",
            "merge the two into one flow");
    }
    if (flow.conflict == ConflictRule::kPrefer && flow.prefer != flow.from &&
        flow.prefer != flow.to) {
      Error(locs.prefer, path + ".conflict.prefer",
            Quote(flow.prefer) + " is not a system of this flow; expected " +
                QuoteEach({flow.from, flow.to}),
            NameHint(flow.prefer, {flow.from, flow.to}, "systems of this flow"));
    }
    if (!entity_ok) continue;
    const EntitySpec& entity = spec.entities.at(flow.entity);
    const BindingSpec* from_b = from_ok ? spec.Binding(flow.from, flow.entity) : nullptr;
    const BindingSpec* to_b = to_ok ? spec.Binding(flow.to, flow.entity) : nullptr;
    for (auto [ok, b, sys, loc, key] : {std::tuple(from_ok, from_b, flow.from, locs.from, "from"),
                                        std::tuple(to_ok, to_b, flow.to, locs.to, "to")}) {
      if (ok && b == nullptr) {
        std::string name = sys + "." + flow.entity;
        Error(loc, path + "." + key, "no binding " + name + " for this flow",
              "add bindings." + name + " with table, key and fields");
      }
    }
    if (from_b != nullptr) {
      if (from_b->capture == CaptureMode::kNone) {
        Error(locs.from, path + ".from",
              "binding " + from_b->Name() + " has capture: none, so it cannot be a flow's source",
              "set bindings." + from_b->Name() + ".capture to trigger or poll");
      }
      for (const std::string& key : entity.key) {
        if (entity.Field(key) != nullptr && from_b->ForField(key) == nullptr) {
          Error(locs.from, path + ".from",
                "binding " + from_b->Name() + " does not map key field " + Quote(key) +
                    " of entity " + flow.entity + ", so records read from " + flow.from +
                    " cannot be identified",
                "add " + key + ": <column> to bindings." + from_b->Name() + ".fields");
        }
      }
    }
    for (const auto& [field, loc] : locs.owns_list) {
      if (entity.Field(field) == nullptr) {
        Error(loc, path + ".owns", "unknown field " + Quote(field) + " for entity " + flow.entity,
              NameHint(field, FieldNames(entity), "entity " + flow.entity + " has fields"));
        continue;
      }
      for (const BindingSpec* b : {from_b, to_b}) {
        if (b != nullptr && b->ForField(field) == nullptr) {
          Error(loc, path + ".owns",
                "field " + Quote(field) + " is not mapped by binding " + b->Name(),
                "add it to bindings." + b->Name() + ".fields, or remove it from owns");
        }
      }
    }
    if (flow.when) CheckWhen(flow, entity, from_b, locs);
    if (flow.when && flow.when->lua) CheckLuaNames(locs.when_lua, path + ".when", entity, from_b);
    CheckComputed(flow, entity, from_b, to_b, locs);
  }
}

void Loader::CheckWhen(const FlowSpec& flow, const EntitySpec& entity, const BindingSpec* from,
                       const FlowLocs& locs) {
  const std::string path = locs.path + ".when";
  for (size_t i = 0; i < flow.when->all_of.size(); ++i) {
    const WhenComparison& c = flow.when->all_of[i];
    Location loc = i < locs.when_fields.size() ? locs.when_fields[i] : flow.when->loc;
    const FieldSpec* f = entity.Field(c.field);
    if (f == nullptr) {
      Error(loc, path, "unknown field " + Quote(c.field) + " for entity " + flow.entity,
            NameHint(c.field, FieldNames(entity), "entity " + flow.entity + " has fields"));
      continue;
    }
    if (from != nullptr && from->ForField(c.field) == nullptr) {
      Error(loc, path,
            "field " + Quote(c.field) + " is not mapped by binding " + from->Name() +
                ", so it is always empty when the filter runs",
            "add " + c.field + ": <column> to bindings." + from->Name() + ".fields");
      continue;
    }
    if (c.literal.is_null()) continue;
    const bool numeric =
        c.literal.kind() == ValueKind::kInt || c.literal.kind() == ValueKind::kReal;
    std::string type(FieldTypeName(f->type));
    std::string lit =
        c.literal.kind() == ValueKind::kText ? "'" + c.literal.text() + "'" : c.literal.ToString();
    switch (f->type) {
      case FieldType::kInt:
      case FieldType::kDecimal:
        if (!numeric) {
          Error(loc, path,
                c.field + " is " + (type == "int" ? "an int" : "a decimal") +
                    " field; expected a number to compare it with, found " + lit,
                "write the number without quotes");
        }
        break;
      case FieldType::kBool:
        if (c.literal.kind() != ValueKind::kInt || c.literal.int_value() > 1 ||
            c.literal.int_value() < 0) {
          Error(loc, path, c.field + " is a bool field; expected true or false, found " + lit);
        }
        break;
      case FieldType::kReference:
        break;  // the referenced key may be text or a number
      default:
        if (c.literal.kind() != ValueKind::kText) {
          Error(loc, path,
                c.field + " is a" + (type == "enum" || type == "email" ? "n " : " ") + type +
                    " field; expected a quoted string, found " + lit,
                "write '" + lit + "'");
        } else if (f->type == FieldType::kEnum && std::find(f->values.begin(), f->values.end(),
                                                            c.literal.text()) == f->values.end()) {
          Error(loc, path, lit + " is not a value of enum field " + flow.entity + "." + c.field,
                NameHint(c.literal.text(), f->values, "values"));
        }
    }
  }
}

Location Loader::ExprLoc(const Entry& e, const std::string& text, size_t offset) const {
  const YAML::Mark mark = e.value.Mark();
  int quote = IsPlain(e.value) ? 0 : 1;
  bool exact = mark.line >= 0 && mark.line < static_cast<int>(lines_.size()) &&
               static_cast<size_t>(mark.column + quote) <= lines_[mark.line].size() &&
               lines_[mark.line].compare(mark.column + quote, text.size(), text) == 0;
  if (!exact) return ValueLoc(e);
  YAML::Mark m = mark;
  m.column += quote + static_cast<int>(offset);
  return MarkLoc(m);
}

bool Loader::ParseLua(const Entry& e, const std::string& path, const std::string& text,
                      LuaNames* names, std::vector<std::string>* fields) {
  LuaSyntaxError error;
  std::vector<std::string> read;
  if (!CheckLuaSyntax(text, &error, &read)) {
    Error(ExprLoc(e, text, error.offset), path, error.message, error.hint);
    return false;
  }
  for (const auto& name : read) {
    names->emplace_back(name, ExprLoc(e, text, WordOffset(text, name)));
    if (!IsLuaLibraryName(name)) fields->push_back(name);
  }
  return true;
}

void Loader::ParseRules(const Entry& e, const std::string& path, EntitySpec* entity) {
  if (!ExpectType(e.value, YAML::NodeType::Sequence, ValueLoc(e), path)) return;
  std::map<std::string, Location> seen;
  for (size_t i = 0; i < e.value.size(); ++i) {
    const YAML::Node& item = e.value[i];
    const std::string ipath = path + "[" + std::to_string(i) + "]";
    if (!ExpectType(item, YAML::NodeType::Map, Loc(item), ipath)) continue;
    RuleSpec rule;
    rule.loc = Loc(item);
    LuaNames names;
    bool ok = true;
    for (const Entry& k : SectionEntries(item, Loc(item), ipath, RuleSection())) {
      const std::string kpath = ipath + "." + k.key;
      auto v = String(k, kpath, /*allow_empty=*/k.key == "message");
      if (!v) {
        ok = false;
      } else if (k.key == "name") {
        rule.name = *v;
        if (!IsIdentifier(*v)) {
          Error(ValueLoc(k), kpath,
                "rule name " + Quote(*v) +
                    " must be letters, digits and underscores, starting with a letter or "
                    "underscore");
        } else if (auto [prev, inserted] = seen.emplace(*v, ValueLoc(k)); !inserted) {
          Error(ValueLoc(k), kpath,
                "duplicate rule " + Quote(*v) + " (first at " + prev->second.ToString() + ")",
                "give each rule of an entity its own name");
        }
      } else if (k.key == "check") {
        rule.check = *v;
        rule.loc = ValueLoc(k);
        ok = ParseLua(k, kpath, *v, &names, &rule.fields) && ok;
      } else {
        rule.message = *v;
      }
    }
    if (!ok || rule.check.empty()) continue;
    rule_names_[entity->name].push_back(std::move(names));
    entity->rules.push_back(std::move(rule));
  }
}

void Loader::ParseComputed(const Entry& e, const std::string& path, FlowSpec* flow,
                           FlowLocs* locs) {
  if (!ExpectType(e.value, YAML::NodeType::Map, ValueLoc(e), path)) return;
  for (const Entry& k : Entries(e.value, path)) {
    const std::string kpath = path + "." + k.key;
    auto v = String(k, kpath);
    if (!v) continue;
    ComputedSpec c;
    c.field = k.key;
    c.expression = *v;
    c.loc = ValueLoc(k);
    LuaNames names;
    if (!ParseLua(k, kpath, *v, &names, &c.fields)) continue;
    flow->computed.push_back(std::move(c));
    locs->computed.push_back(std::move(names));
    locs->computed_fields.push_back(Loc(k.key_node));
  }
}

void Loader::CheckLuaNames(const LuaNames& names, const std::string& path,
                           const EntitySpec& entity, const BindingSpec* from) {
  for (const auto& [name, loc] : names) {
    if (entity.Field(name) != nullptr) {
      if (from != nullptr && from->ForField(name) == nullptr) {
        Error(loc, path,
              "field " + Quote(name) + " is not mapped by binding " + from->Name() +
                  ", so it is always nil in the expression",
              "add " + name + ": <column> to bindings." + from->Name() + ".fields");
      }
      continue;
    }
    if (IsLuaLibraryName(name)) continue;
    std::string match = ClosestMatch(name, FieldNames(entity));
    Error(loc, path,
          "unknown name " + Quote(name) + ": not a field of entity " + entity.name +
              " nor a Lua library name",
          match.empty() ? "quote text: '" + name + "'" : "did you mean " + Quote(match) + "?");
  }
}

void Loader::CheckComputed(const FlowSpec& flow, const EntitySpec& entity,
                           const BindingSpec* from, const BindingSpec* to, const FlowLocs& locs) {
  for (size_t i = 0; i < flow.computed.size() && i < locs.computed.size(); ++i) {
    const ComputedSpec& c = flow.computed[i];
    const std::string path = locs.path + ".computed." + c.field;
    const Location& loc = locs.computed_fields[i];
    if (entity.Field(c.field) == nullptr) {
      Error(loc, path, "unknown field " + Quote(c.field) + " for entity " + flow.entity,
            NameHint(c.field, FieldNames(entity), "entity " + flow.entity + " has fields"));
      continue;
    }
    if (std::find(entity.key.begin(), entity.key.end(), c.field) != entity.key.end()) {
      Error(loc, path, "key field " + Quote(c.field) + " cannot be computed",
            "a record's key identifies it in every system; map it from a column instead");
      continue;
    }
    if (to != nullptr && to->ForField(c.field) == nullptr) {
      Error(loc, path,
            "field " + Quote(c.field) + " is not mapped by binding " + to->Name() +
                ", so the computed value has nowhere to go",
            "add " + c.field + ": <column> to bindings." + to->Name() + ".fields");
    }
    CheckLuaNames(locs.computed[i], path, entity, from);
  }
}

}  // namespace

Result<ConfigSpec> LoadConfigString(const std::string& yaml, const std::string& name,
                                    const std::string& base_dir, std::vector<ConfigError>* errors) {
  std::vector<ConfigError> local;
  if (errors == nullptr) errors = &local;
  errors->clear();
  std::error_code ec;
  fs::path base = fs::absolute(base_dir.empty() ? fs::path(".") : fs::path(base_dir), ec);
  ConfigSpec spec;
  spec.path = name;
  spec.base_dir = ec ? base_dir : base.lexically_normal().string();
  if (spec.base_dir.size() > 1 && spec.base_dir.back() == '/') spec.base_dir.pop_back();
  Loader loader(yaml, name, spec.base_dir);
  try {
    YAML::Node root = YAML::Load(yaml);
    loader.Load(root, &spec);
  } catch (const YAML::Exception& e) {
    loader.SyntaxError(e.mark, e.msg);
  } catch (const std::exception& e) {
    loader.Error({name, 0, 0}, "", std::string("internal error while reading: ") + e.what());
  }
  *errors = loader.TakeErrors();
  if (!errors->empty()) {
    size_t n = errors->size();
    return InvalidArgument(name + ": " + std::to_string(n) + (n == 1 ? " error" : " errors"));
  }
  return spec;
}

Result<ConfigSpec> LoadConfigFile(const std::string& path, std::vector<ConfigError>* errors) {
  std::vector<ConfigError> local;
  if (errors == nullptr) errors = &local;
  errors->clear();
  std::string text, error;
  if (!ReadWholeFile(path, &text, &error)) {
    std::string message = "cannot read " + path + ": " + error;
    errors->push_back({Location{}, "", message, ""});
    return InvalidArgument(path + ": 1 error");
  }
  fs::path dir = fs::path(path).parent_path();
  return LoadConfigString(text, path, dir.empty() ? "." : dir.string(), errors);
}

}  // namespace concord
