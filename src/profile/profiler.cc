// Profiler: scans one binding's table and builds its data-quality report (see profiler.h).
#include "profile/profiler.h"

#include <algorithm>

#include "core/change.h"
#include "core/hash.h"
#include "quality/normalize.h"

namespace concord {

// Most values are seen once: the entry holds only the first record's key until a second one
// shares the value.
struct Profiler::Dup {
  int64_t count = 0;
  std::string first_key;
  std::string shown;              // set once a second record shares the value
  std::vector<std::string> more;  // further keys, up to keys_per_duplicate - 1
};

Profiler::Profiler(const BindingMapper& mapper, const ProfileOptions& options)
    : mapper_(mapper), options_(options), mapped_(mapper.mapped_fields()) {
  const EntitySpec& entity = mapper.entity();
  for (const FieldSpec& f : entity.fields) {
    const FieldMapping* m = mapper.binding().ForField(f.name);
    if (m == nullptr) continue;  // the binding does not hold this field
    order_.push_back(f.name);
    columns_[f.name] = m->column;
    profiles_.try_emplace(f.name, f, m->column, options_.limits);
    if (f.type == FieldType::kPhone || f.type == FieldType::kEmail) {
      dups_.push_back(DupField{f.name, {}});
    }
  }
}

Profiler::~Profiler() = default;

// The profile of `field`; one is made for an issue on a field the entity does not declare (the
// config loader refuses such mappings, a spec built in code may not), shown masked.
FieldProfile* Profiler::ProfileFor(const std::string& field) {
  auto it = profiles_.find(field);
  if (it != profiles_.end()) return &it->second;
  FieldSpec& spec = undeclared_.emplace_back();
  spec.name = field;
  spec.personal = true;
  order_.push_back(field);
  return &profiles_.try_emplace(field, spec, "", options_.limits).first->second;
}

void Profiler::AddRow(const Row& row) {
  ++rows_;
  std::string key;  // computed when first needed
  auto key_of_row = [&]() -> const std::string& {
    if (key.empty()) key = KeyForDisplay(EncodeKey(mapper_.SystemKeyOfRow(row)));
    return key;
  };
  auto raw_of = [&](const std::string& field) -> const Value* {
    auto c = columns_.find(field);
    if (c == columns_.end()) return nullptr;
    auto v = row.find(c->second);
    return v == row.end() ? nullptr : &v->second;
  };

  BindingMapper::Canonical canonical = mapper_.ToCanonical(row);
  // Fields that failed to map are absent from the record: validate the others only, so one bad
  // value is reported once (not again as "required but missing").
  std::set<std::string> failed;
  for (const FieldIssue& issue : canonical.issues) failed.insert(issue.field);
  std::set<std::string> present;
  for (const auto& f : mapped_) {
    if (!failed.count(f)) present.insert(f);
  }
  std::vector<FieldIssue> issues = std::move(canonical.issues);
  for (FieldIssue& issue : ValidateRecord(mapper_.entity(), canonical.record, present)) {
    if (!failed.count(issue.field)) issues.push_back(std::move(issue));
  }

  for (const std::string& field : order_) {
    FieldProfile& p = profiles_.at(field);
    p.AddRaw(raw_of(field));
    auto v = canonical.record.find(field);
    if (v != canonical.record.end()) p.AddCanonical(v->second);
  }
  if (!issues.empty()) {
    ++rows_with_issues_;
    std::set<std::string> fields_failing;
    for (const FieldIssue& issue : issues) {
      FieldProfile* p = ProfileFor(issue.field);
      p->AddIssue(issue, key_of_row(), raw_of(issue.field));
      if (fields_failing.insert(issue.field).second) p->AddRowFailed();
    }
  }

  for (DupField& d : dups_) {
    auto v = canonical.record.find(d.field);
    if (v == canonical.record.end() || v->second.is_null()) continue;
    if (v->second.kind() == ValueKind::kText && v->second.text().empty()) continue;
    Dup& dup = d.seen[HashValue(v->second)];
    if (++dup.count == 1) {
      dup.first_key = key_of_row();
      continue;
    }
    if (dup.count == 2) {
      const FieldSpec* spec = mapper_.entity().Field(d.field);
      dup.shown = spec != nullptr && spec->personal ? DisplayValue(*spec, v->second)
                                                    : v->second.ToString();
    }
    if (dup.more.size() + 1 < options_.keys_per_duplicate) dup.more.push_back(key_of_row());
  }
}

Status Profiler::Scan(Source* source, const std::function<void(int64_t)>& progress) {
  const TableRef& table = mapper_.table();
  std::optional<Key> after;
  while (true) {
    auto chunk = source->ReadChunk(table, after, options_.chunk_rows);
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) return Status::Ok();
    for (const Row& row : *chunk) AddRow(row);
    after = mapper_.SystemKeyOfRow(chunk->back());
    if (progress) progress(rows_);
    if (chunk->size() < options_.chunk_rows) return Status::Ok();
  }
}

ProfileReport Profiler::Finish() const {
  ProfileReport r;
  r.binding = mapper_.binding().Name();
  r.table = mapper_.binding().table;
  r.rows = rows_;
  r.rows_with_issues = rows_with_issues_;
  for (const std::string& field : order_) {
    r.fields.push_back(profiles_.at(field).Summarize(options_.top_n));
  }
  for (const DupField& d : dups_) {
    DuplicateSummary s;
    s.field = d.field;
    std::vector<const Dup*> groups;
    for (const auto& [hash, dup] : d.seen) {
      if (dup.count < 2) continue;
      ++s.groups;
      s.records += dup.count;
      groups.push_back(&dup);
    }
    size_t n = std::min(options_.duplicate_examples, groups.size());
    std::partial_sort(groups.begin(), groups.begin() + n, groups.end(),
                      [](const Dup* a, const Dup* b) {
                        return a->count != b->count ? a->count > b->count
                                                    : a->first_key < b->first_key;
                      });
    for (size_t i = 0; i < n; ++i) {
      DuplicateGroup g{groups[i]->shown, groups[i]->count, {groups[i]->first_key}};
      g.keys.insert(g.keys.end(), groups[i]->more.begin(), groups[i]->more.end());
      s.examples.push_back(std::move(g));
    }
    r.duplicates.push_back(std::move(s));
  }
  return r;
}

}  // namespace concord
