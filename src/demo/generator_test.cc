// The demo generator: deterministic for a seed, at the issue's scale, with the error and
// duplicate rates it promises — and the rows it marks invalid are exactly the rows concord's
// real normalizers and validators refuse (checked through the demo's own config).
#include "demo/generator.h"

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "config/config.h"
#include "connectors/sqlite/sqlite_db.h"
#include "mapping/binding_mapper.h"
#include "quality/normalize.h"

namespace concord::demo {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "concord-demo-XXXXXX").string();
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<SqliteDb> OpenDb(const std::string& path) {
  SqliteDb::Options o;
  o.create = false;
  auto db = SqliteDb::Open(path, o, "test");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

// Every row of every table as text lines, for comparing two generated databases.
std::string DumpAll(SqliteDb* db) {
  std::string out;
  auto tables = db->Prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  EXPECT_TRUE(tables.ok());
  std::vector<std::string> names;
  while (*tables->Step()) names.push_back(tables->ColumnText(0));
  for (const auto& t : names) {
    auto q = db->Prepare("SELECT * FROM " + QuoteIdent(t) + " ORDER BY 1");
    EXPECT_TRUE(q.ok());
    while (*q->Step()) {
      out += t;
      for (int i = 0; i < q->ColumnCount(); ++i) out += "|" + q->Column(i).ToString();
      out += "\n";
    }
  }
  return out;
}

TEST(Generator, SameSeedSameDatabasesOtherSeedOtherData) {
  TempDir a, b, c;
  GeneratorOptions o;
  ASSERT_TRUE(GenerateDatabases(a.path(), o).ok());
  ASSERT_TRUE(GenerateDatabases(b.path(), o).ok());
  o.seed = 7;
  ASSERT_TRUE(GenerateDatabases(c.path(), o).ok());
  for (const char* db : {"/crm.db", "/erp.db"}) {
    std::string da = DumpAll(OpenDb(a.path() + db).get());
    EXPECT_GT(da.size(), 100000u);
    EXPECT_EQ(da, DumpAll(OpenDb(b.path() + db).get())) << db;
    EXPECT_NE(da, DumpAll(OpenDb(c.path() + db).get())) << db;
  }
}

TEST(Generator, ScaleDuplicatesAndErrorRates) {
  TempDir d;
  auto data = GenerateDatabases(d.path(), GeneratorOptions());
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->rows.at("crm.accounts"), 5000);
  EXPECT_EQ(data->rows.at("crm.orders"), 3000);
  EXPECT_EQ(data->rows.at("erp.bd_material"), 2000);
  EXPECT_EQ(data->rows.at("erp.ic_onhand"), 2000);
  EXPECT_EQ(data->rows.at("erp.bd_customer"), data->erp_known_customers);
  EXPECT_EQ(data->rows.at("erp.so_order"), 0);
  // ~3% duplicate customers, each pointing at an earlier, original account.
  EXPECT_EQ(data->duplicates.size(), 150u);
  std::set<std::string> dup_codes;
  for (const auto& [dup, orig] : data->duplicates) {
    EXPECT_LT(orig, dup);
    dup_codes.insert(dup);
  }
  EXPECT_EQ(dup_codes.size(), 150u);
  // ~2% invalid rows over the tables concord syncs.
  int64_t synced_rows = data->rows.at("crm.accounts") + data->rows.at("crm.orders") +
                        data->rows.at("erp.bd_customer") + data->rows.at("erp.bd_material");
  double rate = static_cast<double>(data->invalid.size()) / static_cast<double>(synced_rows);
  EXPECT_GT(rate, 0.015);
  EXPECT_LT(rate, 0.025);
  std::map<std::string, int> per_problem;
  for (const auto& r : data->invalid) per_problem[r.problem]++;
  for (const char* p : {"phone number too short", "date does not exist",
                        "e-mail address without @", "negative credit limit", "negative amount",
                        "price is not a number"}) {
    EXPECT_GT(per_problem[p], 0) << p;
  }
  // The ERP uses Chinese names for its customers and +86 phones.
  auto erp = OpenDb(d.path() + "/erp.db");
  auto cn = erp->QueryValue("SELECT count(*) FROM bd_customer WHERE cust_name LIKE '%公司%'");
  ASSERT_TRUE(cn.ok());
  EXPECT_GT((*cn)->int_value(), data->erp_known_customers * 7 / 10);
  auto plus86 = erp->QueryValue("SELECT count(*) FROM bd_customer WHERE 联系电话 LIKE '+86 %'");
  EXPECT_GT((*plus86)->int_value(), data->erp_known_customers * 8 / 10);
}

// Runs every row of `binding`'s table through the mapper and the validator of the demo config;
// returns the keys of the rows that have an issue.
std::map<std::string, std::string> RefusedKeys(const ConfigSpec& spec,
                                               const std::string& binding, SqliteDb* db) {
  const BindingSpec& b = spec.bindings.at(binding);
  const EntitySpec& e = spec.entities.at(b.entity);
  BindingMapper mapper(e, b);
  std::string cols;
  for (const auto& c : mapper.table().columns) cols += (cols.empty() ? "" : ", ") + QuoteIdent(c);
  auto q = db->Prepare("SELECT " + cols + " FROM " + QuoteIdent(b.table));
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  std::map<std::string, std::string> refused;  // key → the first issue
  while (*q->Step()) {
    Row row;
    for (int i = 0; i < q->ColumnCount(); ++i) row[q->ColumnName(i)] = q->Column(i);
    auto canonical = mapper.ToCanonical(row);
    auto issues = ValidateRecord(e, canonical.record, mapper.mapped_fields());
    issues.insert(issues.begin(), canonical.issues.begin(), canonical.issues.end());
    if (!issues.empty()) refused[row.at(b.key[0]).text()] = issues[0].ToString();
  }
  return refused;
}

TEST(Generator, MarkedRowsAreExactlyTheOnesConcordRefuses) {
  TempDir d;
  auto data = GenerateDatabases(d.path(), GeneratorOptions());
  ASSERT_TRUE(data.ok());
  std::vector<ConfigError> errors;
  auto spec = LoadConfigString(DemoConfigYaml(), "concord.yaml", d.path(), &errors);
  ASSERT_TRUE(spec.ok()) << (errors.empty() ? spec.status().ToString() : errors[0].ToString());
  auto crm = OpenDb(d.path() + "/crm.db");
  auto erp = OpenDb(d.path() + "/erp.db");
  struct Case {
    const char* binding;
    SqliteDb* db;
    const char* system;
    const char* table;
  };
  for (const Case& c : {Case{"crm.customer", crm.get(), "crm", "accounts"},
                        Case{"crm.order", crm.get(), "crm", "orders"},
                        Case{"erp.customer", erp.get(), "erp", "bd_customer"},
                        Case{"erp.product", erp.get(), "erp", "bd_material"}}) {
    std::set<std::string> marked;
    for (const auto& r : data->invalid) {
      if (r.system == c.system && r.table == c.table) marked.insert(r.key);
    }
    EXPECT_FALSE(marked.empty()) << c.binding;
    auto refused = RefusedKeys(*spec, c.binding, c.db);
    for (const auto& [key, issue] : refused) {
      EXPECT_TRUE(marked.count(key)) << c.binding << " " << key << " not marked: " << issue;
    }
    for (const auto& key : marked) {
      EXPECT_TRUE(refused.count(key)) << c.binding << " " << key << " marked, but accepted";
    }
  }
}

}  // namespace
}  // namespace concord::demo
