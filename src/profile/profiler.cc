// Profiler: scans one binding's table and builds its data-quality report (see profiler.h).
#include "profile/profiler.h"

#include <algorithm>
#include <thread>

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
    : mapper_(mapper),
      options_(options),
      mapped_(mapper.mapped_fields()),
      validate_mapped_(PlanValidation(mapper.entity(), mapped_)) {
  const EntitySpec& entity = mapper.entity();
  for (const FieldSpec& f : entity.fields) {
    const FieldMapping* m = mapper.binding().ForField(f.name);
    if (m == nullptr) continue;  // the binding does not hold this field
    order_.push_back(f.name);
    columns_[f.name] = m->column;
    FieldProfile* p = &profiles_.try_emplace(f.name, f, m->column, options_.limits).first->second;
    slots_.push_back({f.name, m->column, p});
    if (f.type == FieldType::kPhone || f.type == FieldType::kEmail) {
      dups_.push_back(DupField{f.name, {}});
    }
    if (f.unique) uniques_.push_back(DupField{f.name, {}});
  }
  if (!entity.rules.empty()) {
    rules_flow_.entity = entity.name;
    rules_flow_.from = mapper.binding().system;
    rules_flow_.to = "profile";
    // One sandbox per mapping thread (FlowExpressions is not thread-safe).
    for (size_t t = 0; t < std::max<size_t>(options_.threads, 1); ++t) {
      auto compiled = FlowExpressions::Compile(rules_flow_, entity, mapped_);
      if (!compiled.ok()) {
        notes_.push_back("entity rules not checked: " + compiled.status().message());
        rules_.clear();
        break;
      }
      rules_.push_back(std::move(compiled).value());
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

// What mapping and checking one row found: the part of a row's work that needs no shared state,
// so chunks are mapped on several threads and accumulated on one.
struct Profiler::Mapped {
  bool skipped = false;                // outside the `where` filter
  BindingMapper::Canonical canonical;  // its issues moved into `issues`
  std::vector<FieldIssue> issues;      // mapping and field rules
  std::vector<FieldIssue> broken;      // entity rules (only when `issues` is empty)
};

Profiler::Mapped Profiler::MapRow(const Row& row, FlowExpressions* rules) const {
  Mapped m;
  m.canonical = mapper_.ToCanonical(row);
  if (options_.where && !EvaluateWhen(*options_.where, m.canonical.record).pass) {
    m.skipped = true;
    return m;
  }
  // Fields that failed to map are absent from the record: validate the others only, so one bad
  // value is reported once (not again as "required but missing"). Mostly none failed: the plan
  // for every mapped field, made once, serves.
  std::set<std::string> failed;
  for (const FieldIssue& issue : m.canonical.issues) failed.insert(issue.field);
  std::vector<FieldIssue> field_issues;
  if (failed.empty()) {
    field_issues = ValidateRecord(m.canonical.record, validate_mapped_);
  } else {
    std::set<std::string> present;
    for (const auto& f : mapped_) {
      if (!failed.count(f)) present.insert(f);
    }
    field_issues = ValidateRecord(mapper_.entity(), m.canonical.record, present);
  }
  m.issues = std::move(m.canonical.issues);
  for (FieldIssue& issue : field_issues) {
    if (!failed.count(issue.field)) m.issues.push_back(std::move(issue));
  }
  // Entity rules run on records that passed the field rules, as on a flow.
  if (m.issues.empty() && rules != nullptr) m.broken = rules->CheckRules(m.canonical.record);
  return m;
}

void Profiler::AddRow(const Row& row) {
  Mapped m = MapRow(row, rules_.empty() ? nullptr : rules_[0].get());
  Accumulate(row, m);
}

// The display form of a key ("C1", "17|A"), as KeyForDisplay gives it without the JSON round trip.
std::string Profiler::KeyOf(const Row& row) const {
  std::string out;
  for (const std::string& column : mapper_.binding().key) {
    if (!out.empty()) out += '|';
    auto it = row.find(column);
    out += it == row.end() ? "NULL" : it->second.ToString();
  }
  return out;
}

void Profiler::Accumulate(const Row& row, Mapped& m) {
  ++rows_read_;
  if (m.skipped) return;
  ++rows_;
  std::string key;  // computed when first needed
  auto key_of_row = [&]() -> const std::string& {
    if (key.empty()) key = KeyOf(row);
    return key;
  };
  const BindingMapper::Canonical& canonical = m.canonical;
  const std::vector<FieldIssue>& issues = m.issues;
  auto raw_of = [&](const std::string& field) -> const Value* {
    auto c = columns_.find(field);
    if (c == columns_.end()) return nullptr;
    auto v = row.find(c->second);
    return v == row.end() ? nullptr : &v->second;
  };
  if (!m.broken.empty()) ++rows_with_issues_;
  for (const FieldIssue& issue : m.broken) AddRuleIssue(issue, key_of_row());

  for (const Slot& s : slots_) {
    auto raw = row.find(s.column);
    s.profile->AddRaw(raw == row.end() ? nullptr : &raw->second);
    auto v = canonical.record.find(s.field);
    if (v != canonical.record.end()) s.profile->AddCanonical(v->second);
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
    if (v != canonical.record.end()) Track(d, v->second, row, &key);
  }
  if (issues.empty() && m.broken.empty()) {
    // A record repeating the value of one unique field or of several is one DLQ record.
    bool repeats = false;
    for (DupField& d : uniques_) {
      auto v = canonical.record.find(d.field);
      if (v != canonical.record.end()) repeats |= Track(d, v->second, row, &key);
    }
    if (repeats) ++rows_with_issues_;
  }
}

bool Profiler::Track(DupField& d, const Value& value, const Row& row, std::string* key) {
  if (value.is_null() || (value.kind() == ValueKind::kText && value.text().empty())) return false;
  auto key_of_row = [&]() -> const std::string& {
    if (key->empty()) *key = KeyOf(row);
    return *key;
  };
  Dup& dup = d.seen[HashValue(value)];
  if (++dup.count == 1) {
    dup.first_key = key_of_row();
    return false;
  }
  if (dup.count == 2) {
    const FieldSpec* spec = mapper_.entity().Field(d.field);
    dup.shown = spec != nullptr && spec->personal ? DisplayValue(*spec, value) : value.ToString();
  }
  if (dup.more.size() + 1 < options_.keys_per_duplicate) dup.more.push_back(key_of_row());
  return true;
}

void Profiler::ReportUnique(const DupField& d, ProfileReport* r) const {
  RuleIssues issues;
  issues.rule = "unique";
  issues.hint =
      "a unique field holds each value once per system: correct the value (or merge the "
      "records) in the source system";
  std::vector<const Dup*> groups;
  for (const auto& [hash, dup] : d.seen) {
    if (dup.count < 2) continue;
    issues.count += dup.count - 1;  // every record after the first with the value
    groups.push_back(&dup);
  }
  if (issues.count == 0) return;
  std::sort(groups.begin(), groups.end(), [](const Dup* a, const Dup* b) {
    return a->count != b->count ? a->count > b->count : a->first_key < b->first_key;
  });
  for (size_t i = 0; i < groups.size() && i < options_.limits.examples_per_rule; ++i) {
    const Dup& g = *groups[i];
    std::string message = g.shown + " also belongs to " + g.first_key;
    if (g.count > 2) message += " (" + std::to_string(g.count) + " records share it)";
    issues.examples.push_back({g.more.empty() ? g.first_key : g.more[0], g.shown, message});
  }
  for (FieldSummary& f : r->fields) {
    if (f.field != d.field) continue;
    f.failing_rows += issues.count;
    f.issues.push_back(std::move(issues));
    std::stable_sort(f.issues.begin(), f.issues.end(),
                     [](const RuleIssues& a, const RuleIssues& b) { return a.count > b.count; });
    break;
  }
}

void Profiler::AddRuleIssue(const FieldIssue& issue, const std::string& key) {
  RuleIssues& r = rule_issues_[issue.rule];
  if (r.count++ == 0) {
    r.rule = issue.rule;
    r.hint = issue.hint;
  }
  if (r.examples.size() < options_.limits.examples_per_rule) {
    r.examples.push_back({key, "", issue.message});
  }
}

Status Profiler::Scan(Source* source,
                      const std::function<void(int64_t read, int64_t total)>& progress) {
  const TableRef& table = mapper_.table();
  int64_t total = -1;
  if (progress) {
    Result<int64_t> counted = source->CountRows(table);
    if (counted.ok()) total = *counted;
  }
  std::optional<Key> after;
  while (true) {
    auto chunk = source->ReadChunk(table, after, options_.chunk_rows);
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) return Status::Ok();
    // Mapping and checking (most of the work: normalizers, libphonenumber, Lua) on `threads`
    // threads, each a contiguous slice; the statistics on this one, in key order.
    const size_t n = chunk->size();
    const size_t threads = std::clamp<size_t>(options_.threads, 1, std::max<size_t>(n / 256, 1));
    std::vector<Mapped> mapped(n);
    auto map_slice = [&](size_t t) {
      FlowExpressions* rules = rules_.empty() ? nullptr : rules_[t].get();
      for (size_t i = t * n / threads; i < (t + 1) * n / threads; ++i) {
        mapped[i] = MapRow((*chunk)[i], rules);
      }
    };
    std::vector<std::thread> workers;
    for (size_t t = 1; t < threads; ++t) workers.emplace_back(map_slice, t);
    map_slice(0);
    for (auto& w : workers) w.join();
    for (size_t i = 0; i < n; ++i) Accumulate((*chunk)[i], mapped[i]);
    after = mapper_.SystemKeyOfRow(chunk->back());
    if (progress) progress(rows_read_, std::max(total, rows_read_));
    if (chunk->size() < options_.chunk_rows) return Status::Ok();
  }
}

ProfileReport Profiler::Finish() const {
  ProfileReport r;
  r.binding = mapper_.binding().Name();
  r.table = mapper_.binding().table;
  r.rows = rows_;
  r.rows_read = rows_read_;
  if (options_.where) r.where = options_.where->text;
  r.rows_with_issues = rows_with_issues_;
  for (const std::string& field : order_) {
    r.fields.push_back(profiles_.at(field).Summarize(options_.top_n));
  }
  for (const auto& [name, issues] : rule_issues_) r.entity_rules.push_back(issues);
  std::stable_sort(r.entity_rules.begin(), r.entity_rules.end(),
                   [](const RuleIssues& a, const RuleIssues& b) { return a.count > b.count; });
  r.notes = notes_;
  for (const DupField& d : uniques_) ReportUnique(d, &r);
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
