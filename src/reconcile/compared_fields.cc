#include "reconcile/compared_fields.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/did_you_mean.h"
#include "engine/flow_runner.h"  // CarriedFields

namespace concord {
namespace {

std::set<std::string> BindingSystems(const ConfigSpec& spec, const std::string& entity) {
  std::set<std::string> out;
  for (const auto& [name, b] : spec.bindings) {
    if (b.entity == entity) out.insert(b.system);
  }
  return out;
}

}  // namespace

Result<std::pair<std::string, std::string>> ChooseSystems(const ConfigSpec& spec,
                                                          const std::string& entity,
                                                          const std::string& left,
                                                          const std::string& right) {
  std::set<std::string> bound = BindingSystems(spec, entity);
  for (const std::string* s : {&left, &right}) {
    if (!s->empty() && !bound.count(*s)) {
      std::vector<std::string> names(bound.begin(), bound.end());
      std::string match = ClosestMatch(*s, names);
      return InvalidArgument(fmt::format(
          "system \"{}\" has no binding of {}; {}", *s, entity,
          match.empty() ? fmt::format("systems that bind it: {}", fmt::join(bound, ", ")) : "did you mean \"" + match + "\"?"));
    }
  }
  if (!left.empty() && !right.empty()) {
    if (left == right) return InvalidArgument("--between needs two different systems");
    return std::pair{left, right};
  }
  if (!left.empty() || !right.empty()) {
    return InvalidArgument("--between needs two systems, e.g. --between crm,erp");
  }
  for (const auto& f : spec.flows) {
    if (f.entity == entity) return std::pair{f.from, f.to};
  }
  if (bound.size() < 2) {
    return InvalidArgument(fmt::format(
        "{} is bound in {} system(s) ({}); a check needs two", entity, bound.size(), fmt::join(bound, ", ")));
  }
  auto it = bound.begin();
  std::string a = *it++;
  return std::pair{a, *it};
}

Result<std::set<std::string>> ComparedFields(const ConfigSpec& spec, const EntitySpec& entity,
                                             const BindingMapper& left, const BindingMapper& right,
                                             const std::vector<std::string>& only) {
  std::set<std::string> out;
  bool joined = false;
  for (const auto& f : spec.flows) {
    if (f.entity != entity.name) continue;
    const std::string& l = left.binding().system;
    const std::string& r = right.binding().system;
    if (f.from == l && f.to == r) {
      out.merge(CarriedFields(f, left, right));
      joined = true;
    } else if (f.from == r && f.to == l) {
      out.merge(CarriedFields(f, right, left));
      joined = true;
    }
  }
  std::set<std::string> both;
  for (const auto& f : left.mapped_fields()) {
    if (right.mapped_fields().count(f)) both.insert(f);
  }
  if (!joined) out = both;
  for (const auto& k : entity.key) {
    if (both.count(k)) out.insert(k);
  }
  // `owns` may name a field one side does not map; such a field cannot be compared.
  for (auto it = out.begin(); it != out.end();) {
    it = both.count(*it) ? std::next(it) : out.erase(it);
  }
  if (only.empty()) return out;
  std::set<std::string> chosen;
  for (const auto& f : only) {
    if (!out.count(f)) {
      std::vector<std::string> names(out.begin(), out.end());
      std::string match = ClosestMatch(f, names);
      return InvalidArgument(fmt::format(
          "--fields: \"{}\" is not compared between {} and {}; {}", f, left.binding().system,
          right.binding().system,
          match.empty() ? fmt::format("compared fields: {}", fmt::join(out, ", ")) : "did you mean \"" + match + "\"?"));
    }
    chosen.insert(f);
  }
  for (const auto& k : entity.key) {
    if (out.count(k)) chosen.insert(k);
  }
  return chosen;
}

Result<GroupBy> ParseGroupBy(const EntitySpec& entity, const BindingMapper& left,
                             const BindingMapper& right, const std::string& text) {
  GroupBy by;
  by.field = text;
  if (size_t colon = text.find(':'); colon != std::string::npos) {
    by.field = text.substr(0, colon);
    std::string unit = text.substr(colon + 1);
    if (unit != "month") {
      return InvalidArgument(fmt::format("--by {}: unknown unit \"{}\"; write {}:month", text,
                                         unit, by.field));
    }
    by.month = true;
  }
  const FieldSpec* f = entity.Field(by.field);
  if (f == nullptr || !left.mapped_fields().count(by.field) ||
      !right.mapped_fields().count(by.field)) {
    std::vector<std::string> names;
    for (const auto& n : left.mapped_fields()) {
      if (right.mapped_fields().count(n)) names.push_back(n);
    }
    std::string match = ClosestMatch(by.field, names);
    return InvalidArgument(fmt::format(
        "--by: \"{}\" is not a field both {} and {} map; {}", by.field, left.binding().system,
        right.binding().system,
        match.empty() ? fmt::format("fields both map: {}", fmt::join(names, ", "))
                      : "did you mean \"" + match + "\"?"));
  }
  if (by.month && f->type != FieldType::kDate && f->type != FieldType::kTimestamp) {
    return InvalidArgument(fmt::format("--by {}: :month applies to date and timestamp fields, "
                                       "and {} is {}",
                                       text, by.field, FieldTypeName(f->type)));
  }
  return by;
}

std::string GroupValue(const GroupBy& by, const Record& record) {
  auto it = record.find(by.field);
  if (it == record.end() || it->second.is_null()) return "NULL";
  std::string v = it->second.kind() == ValueKind::kText ? it->second.text() : it->second.ToString();
  if (by.month) return v.substr(0, 7);
  return v;
}

}  // namespace concord
