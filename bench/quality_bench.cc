// Normalize + validate throughput for a 10-field customer record, and what a Lua `when:` filter
// and a Lua rule add per record. One thread: the numbers are per core.
//
//   normalize+validate:  BindingMapper::ToCanonical (decode → value map → normalize, as the
//                        engine reads a source row) then ValidateRecord, on rows in mixed
//                        real-world layouts (phones with and without +86 and dashes, dates as
//                        2023/01/31 and 2023年1月31日, amounts with thousands separators and ¥,
//                        full-width names)
//   … without phone:     the same record with the phone column unmapped (the phone's share)
//   … records kept:      the first row again, with every record kept in memory (200,000 maps of
//                        10 fields) as the later stages need them: adds what a growing heap costs
//                        (fresh pages, allocator). The rows above drop each record once checked,
//                        as a sync applies a batch and frees it. (Before 2026-11-22 the first row
//                        was measured this way.)
//   when (comparisons):  EvaluateWhen of `grade == 'A' and credit_limit >= 1000` (the simple form)
//   when (Lua):          FlowExpressions::When of `grade == 'A' or credit_limit > 1000`
//   rule (Lua):          FlowExpressions::CheckRules, one rule `credit_limit >= 0 or grade == 'D'`
//   write, 10 fields:    BindingMapper::FromCanonical of every kept record back into the crm
//                        layout (value map reversed, formats), as the engine builds a target row
//
// Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall-clock: what one core
// spends per record, unaffected by other processes competing for the machine.
//
// Usage: quality_bench [records=200000] [normalize]. Prints a Markdown table. With `normalize`,
// runs only the first row, many times over (for `perf record`: nothing else in the profile).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/when_filter.h"
#include "mapping/binding_mapper.h"
#include "quality/normalize.h"

using namespace concord;

namespace {

constexpr const char* kConfig = R"yaml(version: 1
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true, trim: true, case: upper, pattern: '^C[0-9]{5}$'}
      name: {type: string, required: true, nfkc: true, trim: true, collapse_spaces: true, max_length: 100}
      phone: {type: phone, region: CN, personal: true}
      email: {type: email}
      born: {type: date}
      signed_at: {type: timestamp}
      credit_limit: {type: decimal, scale: 2, min: 0, currency: true}
      grade: {type: enum, values: [A, B, C, D]}
      active: bool
      visits: {type: int, min: 0}
    rules:
      - {name: credit_ok, check: "credit_limit >= 0 or grade == 'D'"}
bindings:
  crm.customer:
    table: accounts
    key: code
    timezone: Asia/Shanghai
    fields:
      code: code
      name: name
      phone: tel
      email: email
      born: born
      signed_at: signed
      credit_limit: lim
      grade: {column: level, map: {VIP: A, 重要: B, 普通: C, 停用: D}}
      active: active
      visits: visits
  erp.customer:
    table: customers
    key: code
    fields: {code: code, name: name, grade: grade, credit_limit: lim}
flows:
  - {entity: customer, from: crm, to: erp, when: "grade == 'A' and credit_limit >= 1000"}
  - {entity: customer, from: erp, to: crm, when: "grade == 'A' or credit_limit > 1000"}
)yaml";

std::vector<Row> Rows(size_t n) {
  // Every record its own number (no cache anywhere can flatter the result), in five layouts.
  const char* phones[] = {"+86-138-%04zu-%04zu", "139%04zu%04zu", "137 %04zu %04zu",
                          "(0755) 8%03zu %04zu", "+86158%04zu%04zu"};
  const char* dates[] = {"2023/01/31", "2023年1月31日", "2023-1-31", "20230131"};
  const char* limits[] = {"1,234.50", "¥5000", "12.345", "1000"};
  const char* names[] = {"  张三  ", "ＡＣＭＥ　Ｌｔｄ", "Li   Wei", "北京某某有限公司"};
  const char* levels[] = {"VIP", "重要", "普通", "停用"};
  std::vector<Row> rows;
  rows.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    char code[16];
    std::snprintf(code, sizeof code, " c%05zu ", i % 100000);
    Row r;
    r["code"] = Value::Text(code);
    r["name"] = Value::Text(names[i % 4]);
    char tel[32];
    std::snprintf(tel, sizeof tel, phones[i % 5], (i / 10000) % (i % 5 == 3 ? 1000 : 10000),
                  i % 10000);
    r["tel"] = Value::Text(tel);
    r["email"] = Value::Text("Someone" + std::to_string(i % 97) + "@Example.COM");
    r["born"] = Value::Text(dates[i % 4]);
    r["signed"] = Value::Text("2023-01-31 08:30:00");
    r["lim"] = Value::Text(limits[i % 4]);
    r["level"] = Value::Text(levels[i % 4]);
    r["active"] = Value::Text(i % 2 ? "是" : "否");
    r["visits"] = Value::Int(static_cast<int64_t>(i % 1000));
    rows.push_back(std::move(r));
  }
  return rows;
}

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Seconds(double start) { return CpuNow() - start; }

// Normalizes and validates every row; returns seconds. With `out`, keeps the records for the later
// stages; without, drops each once validated.
double NormalizeAll(const BindingMapper& mapper, const EntitySpec& entity,
                    const std::vector<Row>& rows, std::vector<Record>* out, size_t* bad) {
  std::set<std::string> present;
  for (const auto& f : entity.fields) present.insert(f.name);
  if (out != nullptr) {
    out->clear();
    out->reserve(rows.size());
  }
  *bad = 0;
  double start = CpuNow();
  for (const Row& row : rows) {
    BindingMapper::Canonical c = mapper.ToCanonical(row);
    if (c.issues.empty()) {
      auto issues = ValidateRecord(entity, c.record, present);
      if (!issues.empty()) ++*bad;
    } else {
      ++*bad;
    }
    if (out != nullptr) out->push_back(std::move(c.record));
  }
  return Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  std::vector<ConfigError> errors;
  auto spec = LoadConfigString(kConfig, "bench.yaml", ".", &errors);
  if (!spec.ok()) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    return 2;
  }
  const EntitySpec& entity = spec->entities.at("customer");
  const BindingSpec& crm = spec->bindings.at("crm.customer");
  BindingSpec no_phone = crm;
  std::erase_if(no_phone.fields, [](const FieldMapping& m) { return m.field == "phone"; });
  BindingMapper mapper(entity, crm);
  BindingMapper mapper_no_phone(entity, no_phone);
  std::vector<Row> rows = Rows(n);

  std::vector<Record> records;
  size_t bad = 0;
  NormalizeAll(mapper, entity, std::vector<Row>(rows.begin(), rows.begin() + n / 10), &records,
               &bad);  // warm-up: libphonenumber metadata, ICU converters, OpenCC
  if (argc > 2 && std::string(argv[2]) == "normalize") {
    double total = 0;
    constexpr int kRounds = 10;
    for (int i = 0; i < kRounds; ++i) total += NormalizeAll(mapper, entity, rows, nullptr, &bad);
    std::printf("normalize + validate, 10 fields: %.2f µs per record (%zu rejected)\n",
                total * 1e6 / static_cast<double>(n * kRounds), bad);
    return 0;
  }
  double with_phone = NormalizeAll(mapper, entity, rows, nullptr, &bad);
  size_t bad_with_phone = bad;
  double without_phone = NormalizeAll(mapper_no_phone, entity, rows, nullptr, &bad);
  double kept = NormalizeAll(mapper, entity, rows, &records, &bad);

  // Filters and rules on the normalized records.
  const WhenSpec& simple = *spec->flows[0].when;
  size_t passed = 0;
  double start = CpuNow();
  for (const Record& r : records) passed += EvaluateWhen(simple, r).pass ? 1 : 0;
  double simple_s = Seconds(start);

  std::set<std::string> carried;
  for (const auto& f : entity.fields) carried.insert(f.name);
  const std::set<std::string>& present_fields = carried;
  auto lua = FlowExpressions::Compile(spec->flows[1], entity, carried);
  if (!lua.ok()) {
    std::fprintf(stderr, "%s\n", lua.status().ToString().c_str());
    return 1;
  }
  size_t lua_passed = 0, lua_errors = 0;
  start = CpuNow();
  for (const Record& r : records) {
    auto w = (*lua)->When(r);
    if (!w.ok()) ++lua_errors;
    else if (w->pass) ++lua_passed;
  }
  double lua_s = Seconds(start);
  size_t rule_fail = 0;
  start = CpuNow();
  for (const Record& r : records) rule_fail += (*lua)->CheckRules(r).size();
  double rule_s = Seconds(start);

  size_t unwritable = 0;
  start = CpuNow();
  for (const Record& r : records) unwritable += mapper.FromCanonical(r, present_fields).ok() ? 0 : 1;
  double write_s = Seconds(start);

  auto per_s = [&](double s) { return static_cast<double>(n) / s; };
  auto us = [&](double s) { return s * 1e6 / static_cast<double>(n); };
  std::printf("records: %zu (one thread, CPU time); rejected by normalize/validate: %zu\n\n", n,
              bad_with_phone);
  std::printf("| stage | records/s | µs per record |\n| --- | --- | --- |\n");
  std::printf("| normalize + validate, 10 fields | %.0f | %.2f |\n", per_s(with_phone),
              us(with_phone));
  std::printf("| … without the phone field (9 fields) | %.0f | %.2f |\n", per_s(without_phone),
              us(without_phone));
  std::printf("| phone share (difference) | | %.2f |\n", us(with_phone) - us(without_phone));
  std::printf("| … every record kept in memory | %.0f | %.2f |\n", per_s(kept), us(kept));
  std::printf("| when, comparison form (%zu passed) | %.0f | %.3f |\n", passed, per_s(simple_s),
              us(simple_s));
  std::printf("| when, Lua (%zu passed, %zu errors) | %.0f | %.3f |\n", lua_passed, lua_errors,
              per_s(lua_s), us(lua_s));
  std::printf("| rule, Lua (%zu failed) | %.0f | %.3f |\n", rule_fail, per_s(rule_s), us(rule_s));
  std::printf("| write, 10 fields (FromCanonical; %zu not writable) | %.0f | %.2f |\n", unwritable,
              per_s(write_s), us(write_s));
  return 0;
}
