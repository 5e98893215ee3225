#include "connectors/sqlite/sqlite_connector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "connectors/capture_conformance.h"
#include "connectors/source_conformance.h"
#include "connectors/sqlite/sqlite_db.h"
#include "core/row_buckets.h"

namespace concord {

// Readable values in failure messages.
void PrintTo(const Value& v, std::ostream* os) {
  *os << ValueKindName(v.kind()) << ":" << v.ToString();
}

void PrintTo(Code code, std::ostream* os) { *os << CodeName(code); }

namespace {

using concord::testing::Delete;
using concord::testing::I;
using concord::testing::T;
using concord::testing::Upsert;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SqliteConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = getenv("TEST_TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/concord_sqlite_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    db_path_ = dir_ + "/crm.db";
    SqliteDb::Options options;
    options.create = true;
    options.busy_timeout_ms = 2000;
    auto app = SqliteDb::Open(db_path_, options, "app");
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
    App("CREATE TABLE accounts(account_no TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT)");
    conn_ = Open();
    ASSERT_NE(conn_, nullptr);
  }

  void TearDown() override {
    conn_.reset();
    app_.reset();
    std::filesystem::remove_all(dir_);
  }

  ConnectionParams Params(std::map<std::string, std::string> options = {}) {
    ConnectionParams p;
    p.system = "crm";
    p.base_dir = dir_;
    p.options = {{"path", "crm.db"}, {"busy_timeout_ms", "100"}};
    for (auto& [k, v] : options) p.options[k] = v;
    return p;
  }

  std::unique_ptr<Connection> Open(std::map<std::string, std::string> options = {}) {
    auto c = SqliteConnectorDescriptor().open(Params(std::move(options)));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // A write by "the application": another handle on the same file.
  void App(const std::string& sql) {
    Status s = app_->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << sql;
  }

  int64_t Count(const std::string& sql) {
    auto v = app_->QueryValue(sql);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() && *v ? (*v)->int_value() : -1;
  }

  Source* source() { return conn_->source(); }
  Sink* sink() { return conn_->sink(); }

  std::vector<SourceChange> Read(const TableRef& t, std::string_view consumer, size_t max = 1000) {
    return concord::testing::ReadChangesOrFail(source(), t, consumer, max);
  }
  void Ack(std::string_view consumer, const std::vector<SourceChange>& changes) {
    concord::testing::AckChangesOrFail(source(), consumer, changes);
  }

  // This database as the shared conformance checks (capture_conformance.h) see it.
  concord::testing::CaptureDb Db() {
    return {source(), sink(), [this](const std::string& sql) { App(sql); },
            [this](const std::string& sql) { return Count(sql); },
            [this](bool installed) {
              // Three triggers (insert, update, delete) on the captured table.
              EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"),
                        installed ? 3 : 0);
            }};
  }

  std::string dir_;
  std::string db_path_;
  std::unique_ptr<SqliteDb> app_;
  std::unique_ptr<Connection> conn_;
  const TableRef accounts_{"accounts", {"account_no"}, {"account_no", "name", "level"}};
};

// --- descriptor and opening ---

TEST(SqliteDescriptorTest, DeclaresOptionsAndCapture) {
  const ConnectorDescriptor& d = SqliteConnectorDescriptor();
  EXPECT_EQ(d.name, "sqlite");
  EXPECT_EQ(d.required, std::vector<std::string_view>{"path"});
  EXPECT_EQ(d.capture_modes, (std::vector<std::string_view>{"trigger", "poll"}));
  std::set<std::string_view> names;
  for (const auto& [name, doc] : d.options) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string_view>{"path", "busy_timeout_ms", "create"}));
  EXPECT_NE(d.open, nullptr);
}

TEST_F(SqliteConnectorTest, OpenErrors) {
  struct Case {
    std::map<std::string, std::string> options;
    Code code;
    std::string message;
  };
  const std::string missing = dir_ + "/missing.db";
  std::vector<Case> cases = {
      {{{"path", "missing.db"}},
       Code::kNotFound,
       "crm: database file \"" + missing + "\" does not exist"},
      {{{"path", "missing.db"}, {"create", "false"}},
       Code::kNotFound,
       "crm: database file \"" + missing + "\" does not exist"},
      {{{"path", ""}}, Code::kInvalidArgument, "crm: option \"path\" is required"},
      {{{"pth", "x.db"}},
       Code::kInvalidArgument,
       "crm: unknown option \"pth\" for connector sqlite (did you mean \"path\"?)"},
      {{{"create", "yes"}},
       Code::kInvalidArgument,
       "crm: option create: expected \"true\" or \"false\", found \"yes\""},
      {{{"busy_timeout_ms", "5s"}},
       Code::kInvalidArgument,
       "crm: option busy_timeout_ms: expected a whole number of milliseconds"},
      {{{"busy_timeout_ms", "-1"}},
       Code::kInvalidArgument,
       "crm: option busy_timeout_ms: expected a whole number of milliseconds"},
  };
  for (const Case& c : cases) {
    auto r = SqliteConnectorDescriptor().open(Params(c.options));
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_THAT(r.status().message(), StartsWith(c.message));
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(SqliteConnectorTest, OpenCreatesFileWhenAsked) {
  auto c = Open({{"path", "sub/../fresh.db"}, {"create", "true"}});
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/fresh.db"));
  auto tables = c->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty());
}

TEST_F(SqliteConnectorTest, DescribeAndListTables) {
  App("CREATE TABLE orders(id INTEGER PRIMARY KEY, account_no VARCHAR(20) NOT NULL)");
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());  // creates _concord_* tables
  auto cols = conn_->DescribeTable("orders");
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->size(), 2u);
  EXPECT_EQ((*cols)[0].name, "id");
  EXPECT_TRUE((*cols)[0].primary_key);
  EXPECT_EQ((*cols)[1].declared_type, "VARCHAR(20)");
  EXPECT_TRUE((*cols)[1].not_null);
  EXPECT_FALSE((*cols)[1].primary_key);

  auto missing = conn_->DescribeTable("acounts");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "crm: table \"acounts\" does not exist");

  auto tables = conn_->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(*tables, (std::vector<std::string>{"accounts", "orders"}));
}

// --- trigger capture ---

TEST_F(SqliteConnectorTest, CapturesInsertUpdateDeleteWithCurrentImage) {
  concord::testing::ExpectCapturesInsertUpdateDeleteWithCurrentImage(Db());
}

TEST_F(SqliteConnectorTest, KeyChangeLogsDeleteAndInsert) {
  concord::testing::ExpectKeyChangeLogsDeleteAndInsert(Db());
}

TEST_F(SqliteConnectorTest, CompositeKeys) {
  concord::testing::ExpectCompositeKeysAreCaptured(
      Db(),
      "CREATE TABLE order_lines(order_id INTEGER, line_no INTEGER, sku TEXT, qty REAL, "
      "PRIMARY KEY(order_id, line_no))");
}

TEST_F(SqliteConnectorTest, ConsumersGetTheirOwnRowsAndAckIndependently) {
  concord::testing::ExpectConsumersReadAndAckIndependently(Db());
}

TEST_F(SqliteConnectorTest, InstallAndRemoveAreIdempotent) {
  concord::testing::ExpectInstallAndRemoveAreIdempotent(Db());
  // Removing from a table that never had capture is fine too.
  App("CREATE TABLE other(id INTEGER PRIMARY KEY)");
  EXPECT_TRUE(source()->RemoveCapture({"other", {"id"}, {}}, "f9").ok());
}

TEST_F(SqliteConnectorTest, ReinstallWithAnotherKeyRecreatesTriggers) {
  concord::testing::ExpectReinstallWithAnotherKeyLogsTheNewKey(
      Db(), "CREATE TABLE items(id INTEGER PRIMARY KEY, code TEXT UNIQUE)");
}

TEST_F(SqliteConnectorTest, TableNamesCompareWithoutCase) {
  // SQLite table names are case-insensitive; two bindings spelling one table differently share
  // its triggers and both see its changes.
  TableRef upper{"ACCOUNTS", {"account_no"}, {"account_no", "name"}};
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  ASSERT_TRUE(source()->InstallCapture(upper, "f2").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 3);
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  EXPECT_EQ(Read(accounts_, "f1").size(), 1u);
  EXPECT_EQ(Read(upper, "f2").size(), 1u);
  ASSERT_TRUE(source()->RemoveCapture(upper, "f2").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 3);
  App("INSERT INTO accounts VALUES ('A2', 'Beta', NULL)");
  EXPECT_EQ(Read(accounts_, "f1").size(), 2u);
}

TEST_F(SqliteConnectorTest, InstallCaptureChecksTableAndKey) {
  concord::testing::ExpectInstallCaptureChecksTableAndKey(
      Db(), "crm: table \"acounts\" does not exist", "crm");
}

TEST_F(SqliteConnectorTest, ReadChangesExplainsBrokenCapture) {
  concord::testing::ExpectReadChangesExplainsBrokenCapture(
      Db(), "crm",
      "CREATE TABLE accounts(account_no TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT)",
      "crm.accounts: the capture triggers are missing");
}

TEST_F(SqliteConnectorTest, ManyKeysAreFetchedAndAckedInChunks) {
  concord::testing::ExpectManyKeysAreFetchedAndAcked(
      Db(),
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234) "
      "INSERT INTO accounts SELECT printf('K%05d', i), 'name ' || i, NULL FROM n");
}

// --- sink ---

TEST_F(SqliteConnectorTest, ApplyUpsertAndDelete) {
  concord::testing::ExpectApplyUpsertAndDelete(Db());
}

TEST_F(SqliteConnectorTest, ApplyKeyOnlyInsertsWhenMissing) {
  concord::testing::ExpectApplyKeyOnlyInsertsWhenMissing(
      Db(), "tags", "CREATE TABLE tags(tag TEXT PRIMARY KEY, note TEXT DEFAULT 'd')");
}

TEST_F(SqliteConnectorTest, ApplyReturnsGeneratedKeys) {
  App("CREATE TABLE customers(id INTEGER PRIMARY KEY, code TEXT, name TEXT)");
  App("INSERT INTO customers VALUES (41, 'OLD', 'x')");
  TableRef customers{"customers", {"id"}, {"id", "code", "name"}};
  auto r = sink()->Apply(customers,
                         {Upsert({}, {{"code", T("C1")}, {"name", T("One")}}),
                          Upsert({}, {{"code", T("C2")}}), Upsert({}, {}),
                          // The whole key among the values: an upsert by it, not a new row.
                          Upsert({}, {{"id", I(41)}, {"name", T("renamed")}})},
                         "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->keys, (std::vector<Key>{{I(42)}, {I(43)}, {I(44)}, {I(41)}}));
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id = 43 AND code = 'C2'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id = 41 AND name = 'renamed'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 4);
}

TEST_F(SqliteConnectorTest, ApplyTagsChangelogRowsWithOrigin) {
  concord::testing::ExpectApplyTagsChangelogRowsWithOrigin(Db());
}

TEST_F(SqliteConnectorTest, LatestPendingMsIgnoresConcordsOwnWrites) {
  concord::testing::ExpectLatestPendingMsIgnoresConcordsOwnWrites(
      Db(), "CREATE TABLE parts(site TEXT, no INTEGER, note, PRIMARY KEY(site, no))",
      "UPDATE parts SET note = 'again' WHERE no = 1", I(3));
}

TEST_F(SqliteConnectorTest, ApplyRollsBackOnConstraintFailure) {
  concord::testing::ExpectApplyRollsBackOnConstraintFailure(
      Db(),
      "crm.accounts: NOT NULL constraint failed: accounts.name (op 3 of 4; nothing was "
      "written)");
}

TEST_F(SqliteConnectorTest, ApplyRejectsWrongKeyArity) {
  concord::testing::ExpectApplyRejectsWrongKeyArity(Db(), "crm");
}

// --- hostile names and values ---

TEST_F(SqliteConnectorTest, HostileIdentifiersAndValuesRoundTrip) {
  struct Case {
    std::string table, key, column;
  };
  std::vector<Case> cases = {
      {"we\"ird tbl", "k\"ey", "va'l;ue"},
      {"o'brien", "it's", "x\"); DROP TABLE accounts; --"},
      {"表 名", "键", "值 🎉"},
  };
  std::string blob;
  for (int c = 1; c < 256; ++c) blob += static_cast<char>(c);  // every byte but NUL
  std::vector<Value> values = {
      T("quote ' double \" both '\""),
      T("semi; DROP TABLE accounts; --"),
      T("back\\slash \\' \\\" \\n"),
      T("emoji 🎉🚀 中文 ℃"),
      Value::Blob(blob),
      Value::Real(0.1),
      I(-9223372036854775807LL - 1),
      Value::Null(),
      T(""),
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.table);
    App("CREATE TABLE " + QuoteIdent(c.table) + "(" + QuoteIdent(c.key) + " TEXT PRIMARY KEY, " +
        QuoteIdent(c.column) + ")");
    TableRef t{c.table, {c.key}, {c.key, c.column}};
    ASSERT_TRUE(source()->InstallCapture(t, "f\"'1").ok());
    std::vector<WriteOp> ops;
    for (size_t i = 0; i < values.size(); ++i) {
      // Keys are hostile too: the value's text (or index) with quotes and an emoji.
      ops.push_back(Upsert({T("k'\"" + std::to_string(i) + ";🎉")}, {{c.column, values[i]}}));
    }
    auto r = sink()->Apply(t, ops, "e'r\"p");
    ASSERT_TRUE(r.ok()) << r.status().ToString();

    auto changes = Read(t, "f\"'1");
    ASSERT_EQ(changes.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(changes[i].key, ops[i].key);
      EXPECT_EQ(changes[i].origin, "e'r\"p");
      ASSERT_TRUE(changes[i].row.has_value());
      EXPECT_EQ(changes[i].row->at(c.column), values[i]) << i;
    }
    auto chunk = source()->ReadChunk(t, std::nullopt, 100);
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    ASSERT_EQ(chunk->size(), values.size());
    std::vector<Key> keys;
    for (const auto& op : ops) keys.push_back(op.key);
    auto rows = sink()->ReadRows(t, keys);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*rows)[i].at(c.column), values[i]);
    ASSERT_TRUE(source()->RemoveCapture(t, "f\"'1").ok());
  }
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE name = 'accounts'"), 1);
}

TEST_F(SqliteConnectorTest, BlobAndNumericKeysAreCaptured) {
  App("CREATE TABLE files(digest BLOB, part INTEGER, size REAL, PRIMARY KEY(digest, part))");
  TableRef files{"files", {"digest", "part"}, {}};
  ASSERT_TRUE(source()->InstallCapture(files, "f1").ok());
  std::string digest = "\x01\xff\x7f'\"";
  auto r =
      sink()->Apply(files, {Upsert({Value::Blob(digest), I(3)}, {{"size", Value::Real(1.5)}})}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto changes = Read(files, "f1");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, (Key{Value::Blob(digest), I(3)}));
  ASSERT_TRUE(changes[0].row.has_value());
  EXPECT_EQ(*changes[0].row,
            (Row{{"digest", Value::Blob(digest)}, {"part", I(3)}, {"size", Value::Real(1.5)}}));
}

TEST_F(SqliteConnectorTest, ReadRowsMatchesLikeTheDatabaseCompares) {
  concord::testing::ExpectReadRowsMatchesLikeTheDatabaseCompares(
      Db(), "CREATE TABLE nums(id INTEGER PRIMARY KEY, v TEXT)");
}

// --- failures ---

TEST_F(SqliteConnectorTest, LockedDatabaseIsUnavailable) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  auto pending = Read(accounts_, "f1");
  SqliteDb::Options options;
  options.create = false;
  auto other = SqliteDb::Open(db_path_, options, "other");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Exec("BEGIN EXCLUSIVE").ok());
  ASSERT_TRUE((*other)->Exec("INSERT INTO accounts VALUES ('L', 'locker', NULL)").ok());

  auto conn = Open({{"busy_timeout_ms", "20"}});
  ASSERT_NE(conn, nullptr);
  std::vector<std::pair<std::string, Status>> results;
  results.emplace_back(
      "Apply",
      conn->sink()->Apply(accounts_, {Upsert({T("A2")}, {{"name", T("x")}})}, "erp").status());
  results.emplace_back("InstallCapture", conn->source()->InstallCapture(accounts_, "f2"));
  results.emplace_back("RemoveCapture", conn->source()->RemoveCapture(accounts_, "f1"));
  results.emplace_back("AckChanges", conn->source()->AckChanges("f1", {pending[0].seq}));
  for (const auto& [what, s] : results) {
    EXPECT_EQ(s.code(), Code::kUnavailable) << what << ": " << s.ToString();
    EXPECT_TRUE(s.IsRetryable()) << what;
    EXPECT_THAT(s.message(), StartsWith("crm.")) << what;
    EXPECT_THAT(s.message(), HasSubstr("database is locked")) << what;
  }
  // Readers are not blocked in WAL mode.
  EXPECT_EQ(conn->source()->ReadChanges(accounts_, "f1", 10)->size(), 1u);

  ASSERT_TRUE((*other)->Exec("ROLLBACK").ok());
  auto r = conn->sink()->Apply(accounts_, {Upsert({T("A2")}, {{"name", T("x")}})}, "erp");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(SqliteConnectorTest, MissingTableOrColumnIsNotFound) {
  concord::testing::ExpectMissingTableOrColumnIsNotFound(Db(), "crm", {});
}

// --- snapshot ---

TEST_F(SqliteConnectorTest, SnapshotChunksVisitEveryRowOnce) {
  concord::testing::ExpectSnapshotChunksVisitEveryRowOnce(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE stock(site TEXT, sku INTEGER, qty INTEGER, PRIMARY KEY(site, sku))",
      "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999) "
      "INSERT INTO stock SELECT char(65 + i % 7), i, i * 2 FROM n");
}

// --- lookups by column (unique:) and row counts (profile) ---

TEST_F(SqliteConnectorTest, FindByColumnComparesWithTheColumnsAffinity) {
  App("INSERT INTO accounts VALUES ('C1', 'a', 'VIP'), ('C2', 'b', 'VIP'), ('C3', 'c', '17'), "
      "('C4', 'd', NULL)");
  auto rows = source()->FindByColumn(accounts_, "level", {Value::Text("VIP"), Value::Int(17)});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::vector<std::string> found;
  for (const Row& r : *rows) {
    EXPECT_EQ(r.size(), 2u);  // the key and the column
    found.push_back(r.at("account_no").text() + "=" + r.at("level").ToString());
  }
  std::sort(found.begin(), found.end());
  // Both holders of VIP; 17 finds the text "17" (the column's affinity). The rest is in
  // FindByColumnAndCountRowsConform.
  EXPECT_EQ(found, (std::vector<std::string>{"C1=VIP", "C2=VIP", "C3=17"}));
}

}  // namespace

TEST_F(SqliteConnectorTest, BucketSumsMatchTheRowsAndMoveWithEveryChange) {
  concord::testing::ExpectBucketSumsConform(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE memo (id INTEGER PRIMARY KEY, name TEXT, amount NUMERIC)");
}

TEST_F(SqliteConnectorTest, WriteMarkMovesWithWritesOnly) {
  concord::testing::ExpectWriteMarkMovesWithWrites(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE marked (id INTEGER PRIMARY KEY, note TEXT)", false);
}

TEST_F(SqliteConnectorTest, FindByColumnAndCountRowsConform) {
  concord::testing::ExpectFindByColumnAndCountRowsConform(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE holders (code TEXT PRIMARY KEY, level TEXT)", "ANALYZE holders");
}

// Source's own ReadBuckets (SQLite computes buckets in concord) reads the table in chunks and
// keeps the rows of the buckets asked for. When a chunk's last row is one of them, the next chunk
// must still start after it: the position was once taken from that row after it had been moved
// into the result, so the next chunk started at [NULL] and the read failed. Many buckets, so that
// the two rows asked for are (nearly) alone in theirs and the read must cross the chunk boundary.
TEST_F(SqliteConnectorTest, ReadBucketsContinuesAfterAChunkWhoseLastRowWasKept) {
  App("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
  App("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) "
      "INSERT INTO items SELECT i, 'n' || i FROM n");
  const TableRef t{"items", {"id"}, {"id", "name"}};
  constexpr uint32_t kBuckets = 1u << 20;
  constexpr size_t kLimit = 4;
  auto bucket = [&](int id) { return BucketOfKey(Key{Value::Int(id)}, kBuckets); };
  // Row 5,000 ends the first chunk (Source reads at least 5,000 rows at a time); row 9,000 is
  // in the second.
  std::vector<uint32_t> which = {bucket(5000), bucket(9000)};
  std::sort(which.begin(), which.end());
  which.erase(std::unique(which.begin(), which.end()), which.end());
  std::vector<int64_t> expected;
  for (int id = 1; id <= 12000 && expected.size() < kLimit; ++id) {
    if (std::binary_search(which.begin(), which.end(), bucket(id))) expected.push_back(id);
  }
  // The first chunk must not fill the page by itself, or the second would not be read.
  ASSERT_LT(std::count_if(expected.begin(), expected.end(), [](int64_t id) { return id <= 5000; }),
            static_cast<long>(kLimit));
  ASSERT_GT(expected.back(), 5000);
  auto page = source()->ReadBuckets(t, kBuckets, which, std::nullopt, kLimit);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::vector<int64_t> ids;
  for (const HashedRow& h : *page) ids.push_back(h.row.at("id").int_value());
  EXPECT_EQ(ids, expected);
}

}  // namespace concord
