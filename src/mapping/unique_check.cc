// UniqueCheck (see unique_check.h).
#include "mapping/unique_check.h"

#include <map>
#include <unordered_map>

#include "core/change.h"

namespace concord {
namespace {

// Keys compared by their values' text: the xref holds a key as the sink returned it and a lookup
// returns it as the database reads it, which may differ in kind (Int 17, Text "17") but not in
// text.
std::string KeyText(const Key& key) {
  std::string out;
  for (const Value& v : key) {
    out += v.ToString();
    out += '\x1f';
  }
  return out;
}

bool IsEmpty(const Value& v) {
  return v.is_null() || (v.kind() == ValueKind::kText && v.text().empty());
}

constexpr const char* kHint =
    "a unique field holds each value once per system: correct the value (or merge the two "
    "records) in the source system, then run concord dlq retry";

}  // namespace

std::vector<const FieldSpec*> UniqueFieldsToCheck(const BindingMapper& target,
                                                  const std::set<std::string>& carried) {
  std::vector<const FieldSpec*> out;
  for (const FieldSpec& f : target.entity().fields) {
    if (f.unique && carried.count(f.name) && target.binding().ForField(f.name) != nullptr) {
      out.push_back(&f);
    }
  }
  return out;
}

Result<std::vector<UniqueClash>> CheckUnique(const BindingMapper& target,
                                             const std::vector<const FieldSpec*>& fields,
                                             const std::vector<UniqueCandidate>& candidates,
                                             const std::vector<Key>& deleted,
                                             const std::string& target_system,
                                             const FindByColumnFn& find,
                                             const DescribeKeyFn& describe) {
  std::vector<UniqueClash> clashes;
  std::vector<bool> clashed(candidates.size(), false);
  std::set<std::string> deleted_keys;
  for (const Key& k : deleted) deleted_keys.insert(KeyText(k));
  auto clash = [&](size_t i, const FieldSpec& f, std::string message) {
    clashed[i] = true;
    clashes.push_back({i, FieldIssue{f.name, "unique", std::move(message), kHint}});
  };

  for (const FieldSpec* field : fields) {
    const FieldSpec& f = *field;
    const FieldMapping* mapping = target.binding().ForField(f.name);
    if (mapping == nullptr) continue;
    // Batch order decides between two records of one batch: the first keeps the value.
    std::unordered_map<std::string, size_t> claimant;  // canonical value (encoded) → candidate
    std::map<std::string, size_t> setter;  // target key → candidate setting the field
    std::vector<Value> lookup;
    std::set<std::string> looked_up;
    for (size_t i = 0; i < candidates.size(); ++i) {
      const UniqueCandidate& c = candidates[i];
      if (clashed[i] || !c.fields->count(f.name)) continue;
      if (c.target_key) setter.emplace(KeyText(*c.target_key), i);
      auto v = c.record->find(f.name);
      if (v == c.record->end() || IsEmpty(v->second)) continue;
      const std::string encoded = EncodeKey({v->second});
      auto [it, first] = claimant.emplace(encoded, i);
      if (!first) {
        const UniqueCandidate& holder = candidates[it->second];
        if (holder.key_display != c.key_display) {
          clash(i, f,
                DisplayValue(f, v->second) + " also belongs to record " + holder.key_display +
                    ", earlier in the same batch to " + target_system);
        }
        continue;
      }
      // The spellings the column may hold: as this binding writes the value, then the others.
      std::vector<Value> spellings;
      Result<Row> written = target.FromCanonical(*c.record, {f.name});
      if (written.ok() && written->count(mapping->column)) {
        spellings.push_back(written->at(mapping->column));
      }
      for (Value& s : LookupSpellings(f, v->second, BindingFormat())) {
        spellings.push_back(std::move(s));
      }
      for (Value& s : spellings) {
        if (looked_up.insert(EncodeKey({s})).second) lookup.push_back(std::move(s));
      }
    }
    if (lookup.empty()) continue;
    ASSIGN_OR_RETURN(std::vector<Row> rows, find(target.table(), mapping->column, lookup));
    for (const Row& row : rows) {
      BindingMapper::Canonical canonical = target.ToCanonical(row);
      auto v = canonical.record.find(f.name);
      if (v == canonical.record.end() || IsEmpty(v->second)) continue;
      auto c = claimant.find(EncodeKey({v->second}));
      if (c == claimant.end() || clashed[c->second]) continue;
      const size_t i = c->second;
      const Key row_key = target.SystemKeyOfRow(row);
      const std::string row_key_text = KeyText(row_key);
      const UniqueCandidate& candidate = candidates[i];
      if (candidate.target_key && KeyText(*candidate.target_key) == row_key_text) continue;
      if (deleted_keys.count(row_key_text)) continue;  // this batch deletes that row
      if (auto s = setter.find(row_key_text); s != setter.end() && !clashed[s->second]) {
        // That row's record is in this batch, moving the field to another value.
        const Record& other = *candidates[s->second].record;
        auto ov = other.find(f.name);
        if (ov == other.end() || ov->second != v->second) continue;
      }
      ASSIGN_OR_RETURN(std::string holder, describe(row_key));
      clash(i, f,
            DisplayValue(f, candidate.record->at(f.name)) + " already belongs to record " +
                holder + " in " + target_system);
    }
  }
  return clashes;
}

}  // namespace concord
