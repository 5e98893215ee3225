// End-to-end tests of `concord check` through the binary, for each pairing of databases the
// issue names (sqlite↔sqlite, sqlite↔postgres, postgres↔mysql, mysql↔sqlite), against a real
// PostgreSQL and a real MariaDB the test starts.
//
// Each test syncs a CRM into an ERP (the ERP keys customers by a surrogate id, so the two sides'
// keys are of different types and pair only through the xref), then seeds differences of every
// kind with concord stopped — a row missing on each side, a changed field, a changed amount,
// NULL vs '' — next to differences of form that the mapping resolves and that must NOT be
// reported (decimal scale, timestamp precision below the declared one, phone layout). The check
// must find exactly the seeded ones, no more, no fewer; `--repair --yes` must make the next check
// equal. A last test checks during live sync and must raise no false alarm.
#include <memory>
#include <string>
#include <atomic>
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/check_report.h"
#include "e2e/harness.h"
#include "servers/mariadb_server.h"
#include "servers/postgres_server.h"

namespace concord::e2e {
namespace {

using concord::testing::MariadbServer;
using test_servers::PostgresServer;

PostgresServer* g_pg = nullptr;
MariadbServer* g_my = nullptr;

class ServersEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string error;
    pg_ = PostgresServer::Start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    my_ = MariadbServer::Start(&error);
    ASSERT_NE(my_, nullptr) << error;
    g_pg = pg_.get();
    g_my = my_.get();
  }
  void TearDown() override {
    g_pg = nullptr;
    g_my = nullptr;
    pg_.reset();
    my_.reset();
  }

 private:
  std::unique_ptr<PostgresServer> pg_;
  std::unique_ptr<MariadbServer> my_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new ServersEnvironment);

enum class Kind { kSqlite, kPostgres, kMysql };

std::string KindName(Kind k) {
  return k == Kind::kSqlite ? "sqlite" : k == Kind::kPostgres ? "postgres" : "mysql";
}

// One database of one system, in whatever server it lives, with a way to run SQL in it.
class Store {
 public:
  Store(Kind kind, const TempDir& dir, const std::string& name) : kind_(kind) {
    static int counter = 0;
    db_ = name + "_" + std::to_string(++counter);
    if (kind == Kind::kSqlite) {
      path_ = dir / (name + ".db");
      sqlite_ = std::make_unique<Db>(path_);
    } else if (kind == Kind::kPostgres) {
      std::string error;
      g_pg->Psql("postgres", "CREATE DATABASE " + db_, &error);
      EXPECT_EQ(error, "");
    } else {
      EXPECT_EQ(g_my->Exec("CREATE DATABASE " + db_), "");
    }
  }

  void Exec(const std::string& sql) {
    if (kind_ == Kind::kSqlite) {
      sqlite_->Exec(sql);
    } else if (kind_ == Kind::kPostgres) {
      std::string error;
      // The session's row counters reach the statistics before psql returns, so that a check
      // started next sees the write in the table's write mark (Source::WriteMark).
      g_pg->Psql(db_, sql + "; SELECT pg_stat_force_next_flush()", &error);
      EXPECT_EQ(error, "") << sql;
    } else {
      EXPECT_EQ(g_my->Exec("USE " + db_ + "; " + sql), "") << sql;
    }
  }

  // The system's entry under `systems:`.
  std::string SystemYaml() const {
    if (kind_ == Kind::kSqlite) return "{connector: sqlite, path: " + path_ + "}";
    if (kind_ == Kind::kPostgres) return "{connector: postgres, url: \"" + g_pg->UrlFor(db_) + "\"}";
    return "{connector: mysql, host: 127.0.0.1, port: " + std::to_string(g_my->port()) +
           ", user: root, database: " + db_ + "}";
  }

  Kind kind() const { return kind_; }

 private:
  Kind kind_;
  std::string db_;
  std::string path_;
  std::unique_ptr<Db> sqlite_;
};

std::string CrmDdl(Kind k) {
  std::string dec = k == Kind::kSqlite ? "NUMERIC" : "DECIMAL(12,2)";
  std::string ts = k == Kind::kSqlite ? "TEXT" : k == Kind::kPostgres ? "timestamp(3)" : "DATETIME(3)";
  return "CREATE TABLE accounts (account_no VARCHAR(20) PRIMARY KEY, account_name VARCHAR(100), "
         "tel VARCHAR(30), credit " + dec + ", note VARCHAR(100), updated " + ts +
         ", status VARCHAR(10))";
}

std::string ErpDdl(Kind k) {
  std::string id = k == Kind::kSqlite   ? "id INTEGER PRIMARY KEY AUTOINCREMENT"
                   : k == Kind::kPostgres ? "id bigserial PRIMARY KEY"
                                          : "id BIGINT AUTO_INCREMENT PRIMARY KEY";
  std::string dec = k == Kind::kSqlite ? "NUMERIC" : "DECIMAL(12,2)";
  std::string ts = k == Kind::kSqlite ? "TEXT" : k == Kind::kPostgres ? "timestamp(3)" : "DATETIME(3)";
  return "CREATE TABLE customers (" + id + ", cust_name VARCHAR(100), mobile VARCHAR(30), "
         "credit_limit " + dec + ", remark VARCHAR(100), changed_at " + ts +
         ", status VARCHAR(10))";
}

// The start of a config: the state store and the two systems.
std::string ConfigHead(const Store& crm, const Store& erp) {
  return "version: 1\nstate: sqlite:state.db\nsystems:\n  crm: " + crm.SystemYaml() +
         "\n  erp: " + erp.SystemYaml() + "\n";
}

std::string Config(const Store& crm, const Store& erp) {
  return ConfigHead(crm, erp) + R"(entities:
  customer:
    key: code
    fields:
      code:    {type: string, required: true}
      name:    {type: string}
      phone:   {type: phone, region: CN}
      credit:  {type: decimal, scale: 2, sum: true}
      note:    {type: string}
      updated: {type: timestamp, precision: s}
      status:  {type: string}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, credit: credit, note: note,
             updated: updated, status: status}
  erp.customer:
    table: customers
    key: id
    fields: {name: cust_name, phone: mobile, credit: credit_limit, note: remark,
             updated: changed_at, status: status}
flows:
  - {entity: customer, from: crm, to: erp}
)";
}

struct Pairing {
  Kind crm, erp;
};

class CheckTest : public ::testing::TestWithParam<Pairing> {
 protected:
  void SetUp() override {
    crm_ = std::make_unique<Store>(GetParam().crm, dir_, "crm");
    erp_ = std::make_unique<Store>(GetParam().erp, dir_, "erp");
    crm_->Exec(CrmDdl(GetParam().crm));
    erp_->Exec(ErpDdl(GetParam().erp));
    WriteFile(dir_ / "concord.yaml", Config(*crm_, *erp_));
    std::string rows;
    for (int i = 1; i <= 60; ++i) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "%s('C%03d', 'Customer %d', '138-1234-%04d', %d.25, 'note %d', "
                    "'2026-03-%02d 08:00:00', '%s')",
                    rows.empty() ? "" : ", ", i, i, i, i * 100, i, 1 + i % 28,
                    i % 3 == 0 ? "closed" : "active");
      rows += buf;
    }
    crm_->Exec("INSERT INTO accounts VALUES " + rows);
    ProcResult sync = RunConcord(dir_.path(), {"run", "--once", "-q"});
    ASSERT_EQ(sync.exit_code, 0) << sync.err;
  }

  ProcResult Check(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"check", "customer", "--settle-ms", "0", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunConcord(dir_.path(), args);
  }

  nlohmann::json CheckJson(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcResult r = Check(args);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  // The seeded differences (concord stopped), and differences of form that must not count.
  void SeedDifferences() {
    crm_->Exec("INSERT INTO accounts VALUES ('C900', 'New', '13900000000', 1.00, NULL, "
               "'2026-04-01 09:00:00', 'active')");               // missing in erp
    crm_->Exec("DELETE FROM accounts WHERE account_no = 'C010'");  // missing in crm
    erp_->Exec("UPDATE customers SET cust_name = 'Changed <b>&' WHERE cust_name = 'Customer 20'");
    erp_->Exec("UPDATE customers SET credit_limit = 3000.26 WHERE cust_name = 'Customer 30'");
    crm_->Exec("UPDATE accounts SET note = NULL WHERE account_no = 'C040'");
    erp_->Exec("UPDATE customers SET remark = '' WHERE cust_name = 'Customer 40'");
    erp_->Exec("UPDATE customers SET changed_at = '2026-03-16 08:00:01' "
               "WHERE cust_name = 'Customer 43'");                 // a second: differs
    // Not differences: same value in another form.
    crm_->Exec("UPDATE accounts SET credit = 5000.250 WHERE account_no = 'C050'");
    erp_->Exec("UPDATE customers SET changed_at = '2026-03-26 08:00:00.400' "
               "WHERE cust_name = 'Customer 53'");                 // below precision s
    crm_->Exec("UPDATE accounts SET tel = '+86 138 1234 0056' WHERE account_no = 'C056'");
  }

  TempDir dir_;
  std::unique_ptr<Store> crm_, erp_;
};

TEST_P(CheckTest, EqualAfterSync) {
  ProcResult r = Check();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("EQUAL"), std::string::npos) << r.out;
  nlohmann::json j = CheckJson();
  EXPECT_EQ(j["totals"]["crm"]["rows"], 60);
  EXPECT_EQ(j["totals"]["erp"]["rows"], 60);
  // 100.25 + 200.25 + ... + 6000.25 = 100 * (60 * 61 / 2) + 60 * 0.25
  EXPECT_EQ(j["totals"]["crm"]["sums"]["credit"], "183015.00");
  EXPECT_EQ(j["totals"]["erp"]["sums"]["credit"], "183015.00");
  EXPECT_EQ(j["equal"], true);
  // The systems named on the command line, in either order; one system alone is a usage error.
  EXPECT_EQ(Check({"--between", "erp,crm"}).exit_code, 0);
  EXPECT_EQ(Check({"--between", "crm"}).exit_code, 2);
}

// The seeded differences, no more and no fewer, in a check's JSON report.
void ExpectTheSeededDifferences(const nlohmann::json& j) {
  EXPECT_EQ(j["missing_right"], 1) << j.dump(2);
  EXPECT_EQ(j["missing_left"], 1) << j.dump(2);
  EXPECT_EQ(j["differing"], 4) << j.dump(2);
  std::map<std::string, std::string> found = DifferencesByKey(j);
  std::map<std::string, std::string> expected = {
      {"C900", "missing_right"},  {"C010", "missing_left"},   {"C020", "differs name"},
      {"C030", "differs credit"}, {"C040", "differs note"},   {"C043", "differs updated"}};
  EXPECT_EQ(found, expected) << j.dump(2);
  for (const auto& d : j["differences"]) {
    if (d["key"][0] == "C040") {
      EXPECT_EQ(d["fields"][0]["crm"], "NULL");
      EXPECT_EQ(d["fields"][0]["erp"], "\"\"");
    }
  }
  EXPECT_NE(j["totals"]["crm"]["sums"]["credit"], j["totals"]["erp"]["sums"]["credit"]);
}

TEST_P(CheckTest, FindsExactlyTheSeededDifferences) {
  SeedDifferences();
  ProcResult text = Check();
  EXPECT_EQ(text.exit_code, 3) << text.out << text.err;
  nlohmann::json j = CheckJson();
  ExpectTheSeededDifferences(j);
  // The HTML report: the same verdict, every value escaped.
  ProcResult html = Check({"--html", "report.html"});
  EXPECT_EQ(html.exit_code, 3) << html.err;
  std::string page = ReadFile(dir_ / "report.html");
  EXPECT_NE(page.find("DIFFERENT: 1 missing in erp, 1 missing in crm, 4 differ"), std::string::npos)
      << page;
  EXPECT_NE(page.find("Changed &lt;b&gt;&amp;"), std::string::npos) << page;
  EXPECT_EQ(page.find("<b>&"), std::string::npos) << page;
}

// The re-read waits --settle-ms only while a flow may still carry a change to a difference.
// With concord stopped: a difference made in the ERP (no flow reads it) is re-read at once; a
// change still waiting in the CRM's changelog (the flow's source) makes the check wait first;
// once the flow has carried it, nothing waits again.
TEST_P(CheckTest, WaitsToSettleOnlyForChangesAFlowStillCarries) {
  auto check = [&] {
    ProcResult r =
        RunConcord(dir_.path(), {"check", "customer", "--json", "-q", "--settle-ms", "200"});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  };
  erp_->Exec("UPDATE customers SET cust_name = 'Changed' WHERE cust_name = 'Customer 20'");
  nlohmann::json quiet = check();
  EXPECT_EQ(quiet["differing"], 1) << quiet.dump();
  EXPECT_EQ(quiet["settle_waits"], 0) << quiet.dump();
  crm_->Exec("UPDATE accounts SET note = 'in the changelog' WHERE account_no = 'C030'");
  nlohmann::json pending = check();
  EXPECT_EQ(pending["differing"], 2) << pending.dump();
  EXPECT_EQ(pending["settle_waits"], 1) << pending.dump();
  ProcResult sync = RunConcord(dir_.path(), {"run", "--once", "-q"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  nlohmann::json synced = check();
  EXPECT_EQ(synced["differing"], 1) << synced.dump();
  EXPECT_EQ(synced["settle_waits"], 0) << synced.dump();
}

// The memo of an equal check (check_memo.h) must not hide what changed after it: the next
// checks read only the changed buckets, and find exactly the seeded differences — also when the
// differences are themselves in the memo (the third check), and with --full.
TEST_P(CheckTest, TheMemoSeesEveryChangeMadeAfterIt) {
  nlohmann::json first = CheckJson();
  ASSERT_EQ(first["equal"], true) << first.dump(2);
  EXPECT_EQ(first["scan"]["crm"]["memo"], false);
  EXPECT_EQ(first["scan"]["crm"]["rows_mapped"], 60);
  // Nothing changed, and the totals show it; but the ERP is keyed through the xref (which
  // changes apart from the rows), so the totals alone never decide.
  nlohmann::json again = CheckJson();
  EXPECT_EQ(again["equal"], true) << again.dump(2);
  EXPECT_EQ(again["decided_by_totals"], false) << again.dump(2);
  EXPECT_EQ(again["scan"]["crm"]["unchanged_by_totals"], true) << again.dump(2);
  EXPECT_EQ(again["scan"]["erp"]["unchanged_by_totals"], true) << again.dump(2);
  SeedDifferences();
  nlohmann::json second = CheckJson();
  ExpectTheSeededDifferences(second);
  // The ERP's rows are keyed through the xref; the memo is used there too.
  for (const char* side : {"crm", "erp"}) {
    const nlohmann::json& scan = second["scan"][side];
    EXPECT_EQ(scan["memo"], true) << second.dump(2);
    EXPECT_GT(scan["buckets_unchanged"].get<int>(), 0) << second.dump(2);
    // Only rows of changed buckets were mapped again (about one row per bucket here).
    EXPECT_LT(scan["rows_mapped"].get<int>(), 30) << second.dump(2);
  }
  nlohmann::json third = CheckJson();
  ExpectTheSeededDifferences(third);
  EXPECT_EQ(third["scan"]["crm"]["memo"], true);
  EXPECT_EQ(third["scan"]["erp"]["memo"], true);
  // The xref changes apart from the rows: swapping the ERP rows of C021 and C022 behind the
  // memo's back (no row changes) must show both as differing.
  {
    Db state(dir_ / "state.db");
    for (const auto& [from, to] : {std::pair{"C021", "TMPX"}, {"C022", "C021"}, {"TMPX", "C022"}}) {
      state.Exec(std::string("UPDATE xref SET canonical_key = replace(canonical_key, '") + from +
                 "', '" + to + "') WHERE system = 'erp' AND canonical_key LIKE '%" + from + "%'");
    }
  }
  nlohmann::json swapped = CheckJson();
  EXPECT_EQ(swapped["differing"], 6) << swapped.dump(2);
  std::set<std::string> keys;
  for (const auto& d : swapped["differences"]) keys.insert(d["key"][0].get<std::string>());
  EXPECT_TRUE(keys.count("C021") && keys.count("C022")) << swapped.dump(2);
  nlohmann::json full = CheckJson({"--full"});
  EXPECT_EQ(full["differing"], 6) << full.dump(2);
  EXPECT_EQ(full["scan"]["crm"]["memo"], false);
  EXPECT_EQ(full["scan"]["crm"]["rows_mapped"], 60);
  // Another config (here only a comment) drops the memo: the fingerprint covers the file.
  std::string config = ReadFile(dir_ / "concord.yaml");
  WriteFile(dir_ / "concord.yaml", config + "# edited\n");
  nlohmann::json edited = CheckJson();
  EXPECT_EQ(edited["differing"], 6) << edited.dump(2);
  EXPECT_EQ(edited["scan"]["crm"]["memo"], false) << edited.dump(2);
}

TEST_P(CheckTest, WhereAndGroupBy) {
  SeedDifferences();
  // Only closed customers (every third): of the seeded differences only C030 is closed.
  nlohmann::json j = CheckJson({"--where", "status == 'closed'", "--by", "status"});
  EXPECT_EQ(j["totals"]["crm"]["rows"], 20) << j.dump(2);
  EXPECT_EQ(j["differing"], 1) << j.dump(2);
  EXPECT_EQ(j["missing_left"], 0);
  EXPECT_EQ(j["missing_right"], 0);
  ASSERT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(j["groups"][0]["group"], "closed");
}

TEST_P(CheckTest, RepairMakesTheNextCheckEqual) {
  SeedDifferences();
  ProcResult plan = Check({"--repair"});
  EXPECT_EQ(plan.exit_code, 3) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("--yes"), std::string::npos) << plan.out;
  EXPECT_EQ(Check().exit_code, 3);  // the plan alone changed nothing
  ProcResult repair = Check({"--repair", "--yes"});
  EXPECT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  ProcResult after = Check();
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
}

INSTANTIATE_TEST_SUITE_P(Pairings, CheckTest,
                         ::testing::Values(Pairing{Kind::kSqlite, Kind::kSqlite},
                                           Pairing{Kind::kSqlite, Kind::kPostgres},
                                           Pairing{Kind::kPostgres, Kind::kMysql},
                                           Pairing{Kind::kMysql, Kind::kSqlite}),
                         [](const ::testing::TestParamInfo<Pairing>& p) {
                           return KindName(p.param.crm) + "_to_" + KindName(p.param.erp);
                         });

// The memos' whole-table totals (check_memo.h): two sides keyed alike (no xref), compared
// without a flow. An unchanged pair is decided by the totals alone; a changed side alone is
// summarized by bucket; totals that do not match their memo's buckets (a write interrupted
// between them) are not trusted.
class CheckTotalsTest : public ::testing::TestWithParam<Pairing> {
 protected:
  void SetUp() override {
    crm_ = std::make_unique<Store>(GetParam().crm, dir_, "crm");
    erp_ = std::make_unique<Store>(GetParam().erp, dir_, "erp");
    std::string rows;
    for (int i = 1; i <= 200; ++i) {
      rows += (i > 1 ? ", " : "") + std::string("('K") + std::to_string(1000 + i) + "', 'n" +
              std::to_string(i) + "', " + std::to_string(i) + ".50)";
    }
    for (Store* s : {crm_.get(), erp_.get()}) {
      std::string dec = s->kind() == Kind::kSqlite ? "NUMERIC" : "DECIMAL(12,2)";
      s->Exec("CREATE TABLE clients (code VARCHAR(20) PRIMARY KEY, name VARCHAR(100), credit " +
              dec + ")");
      s->Exec("INSERT INTO clients VALUES " + rows);
    }
    WriteFile(dir_ / "concord.yaml", ConfigHead(*crm_, *erp_) + R"(entities:
  customer:
    key: code
    fields:
      code:   {type: string, required: true}
      name:   {type: string}
      credit: {type: decimal, scale: 2, sum: true}
bindings:
  crm.customer: {table: clients, key: code, fields: {code: code, name: name, credit: credit}}
  erp.customer: {table: clients, key: code, fields: {code: code, name: name, credit: credit}}
)");
  }

  nlohmann::json CheckJson() {
    ProcResult r = RunConcord(dir_.path(), {"check", "customer", "--between", "crm,erp", "--json",
                                            "--settle-ms", "0", "-q"});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  // Whether `side` was summarized by bucket: a connector that hashes in concord (sqlite) gets
  // its totals by adding its bucket summaries up, so it always is.
  static bool Summarized(const Store& s, bool changed) { return changed || s.kind() == Kind::kSqlite; }

  // The erp row changes the tests make, and their undoing.
  void ChangeErp() {
    erp_->Exec("UPDATE clients SET name = 'changed' WHERE code = 'K1050'");
    erp_->Exec("DELETE FROM clients WHERE code = 'K1100'");
    erp_->Exec("INSERT INTO clients VALUES ('K9999', 'new', 1.00)");
  }
  void UndoErp() {
    erp_->Exec("UPDATE clients SET name = 'n50' WHERE code = 'K1050'");
    erp_->Exec("INSERT INTO clients VALUES ('K1100', 'n100', 100.50)");
    erp_->Exec("DELETE FROM clients WHERE code = 'K9999'");
  }
  static void ExpectErpChanges(const nlohmann::json& j) {
    EXPECT_EQ(j["differing"], 1) << j.dump(2);
    EXPECT_EQ(j["missing_left"], 1) << j.dump(2);   // K9999, only in erp
    EXPECT_EQ(j["missing_right"], 1) << j.dump(2);  // K1100, only in crm
    std::set<std::string> keys;
    for (const auto& d : j["differences"]) keys.insert(d["key"][0].get<std::string>());
    EXPECT_EQ(keys, (std::set<std::string>{"K1050", "K1100", "K9999"})) << j.dump(2);
  }

  TempDir dir_;
  std::unique_ptr<Store> crm_, erp_;
};

TEST_P(CheckTotalsTest, DecideAnUnchangedPairAndSummarizeOnlyTheChangedSide) {
  nlohmann::json first = CheckJson();
  ASSERT_EQ(first["equal"], true) << first.dump(2);
  EXPECT_EQ(first["decided_by_totals"], false);
  EXPECT_EQ(first["scan"]["crm"]["memo"], false);
  // Nothing changed: decided by the totals, nothing read, no bucket summaries from a database.
  nlohmann::json second = CheckJson();
  EXPECT_EQ(second["equal"], true) << second.dump(2);
  EXPECT_EQ(second["decided_by_totals"], true) << second.dump(2);
  for (auto [side, store] : {std::pair{"crm", crm_.get()}, std::pair{"erp", erp_.get()}}) {
    const nlohmann::json& scan = second["scan"][side];
    EXPECT_EQ(scan["unchanged_by_totals"], true) << second.dump(2);
    EXPECT_EQ(scan["bucket_summaries"], Summarized(*store, false)) << second.dump(2);
    EXPECT_EQ(scan["rows_mapped"], 0) << second.dump(2);
  }
  EXPECT_EQ(second["totals"]["crm"]["rows"], 200);
  EXPECT_EQ(second["totals"]["erp"]["rows"], 200);
  // 1.50 + 2.50 + ... + 200.50 = 200 * 201 / 2 + 200 * 0.5
  EXPECT_EQ(second["totals"]["crm"]["sums"]["credit"], "20200.00");
  EXPECT_EQ(second["totals"]["erp"]["sums"]["credit"], "20200.00");
  // One side changes: only it is summarized by bucket, and its differences are found exactly.
  ChangeErp();
  nlohmann::json third = CheckJson();
  ExpectErpChanges(third);
  EXPECT_EQ(third["decided_by_totals"], false);
  EXPECT_EQ(third["scan"]["crm"]["unchanged_by_totals"], true) << third.dump(2);
  EXPECT_EQ(third["scan"]["crm"]["bucket_summaries"], Summarized(*crm_, false)) << third.dump(2);
  EXPECT_EQ(third["scan"]["erp"]["unchanged_by_totals"], false) << third.dump(2);
  EXPECT_EQ(third["scan"]["erp"]["bucket_summaries"], true) << third.dump(2);
  // PostgreSQL's write mark (its row counters) shows the write: summarized at once, without the
  // totals. sqlite keeps no mark; MariaDB's (the update time, to the second) may not have moved.
  if (erp_->kind() == Kind::kPostgres) {
    EXPECT_EQ(third["scan"]["erp"]["written_since"], true) << third.dump(2);
  } else if (erp_->kind() == Kind::kSqlite) {
    EXPECT_EQ(third["scan"]["erp"]["written_since"], false) << third.dump(2);
  }
  EXPECT_GT(third["scan"]["erp"]["rows_mapped"].get<int>(), 0) << third.dump(2);
  EXPECT_LT(third["scan"]["erp"]["rows_mapped"].get<int>(), 100) << third.dump(2);
  EXPECT_EQ(third["totals"]["erp"]["sums"]["credit"], "20100.50") << third.dump(2);
  // The buckets of the update and the delete are read by the keys the memo kept (the new row's,
  // which those keys miss, by a scan).
  EXPECT_GE(third["scan"]["erp"]["buckets_read_by_key"].get<int>(), 1) << third.dump(2);
  // Both unchanged since, but their memos differ: not decided by the totals; the differences
  // (memo entries on both sides) are read again and found exactly. The erp, changed last time,
  // is expected to change again where no write mark says otherwise (sqlite: summarized by
  // bucket at once, which shows it unchanged); its unchanged mark sends PostgreSQL and MariaDB to
  // the totals first.
  nlohmann::json fourth = CheckJson();
  ExpectErpChanges(fourth);
  EXPECT_EQ(fourth["decided_by_totals"], false);
  for (const char* side : {"crm", "erp"}) {
    EXPECT_EQ(fourth["scan"][side]["unchanged_by_totals"], true) << fourth.dump(2);
    EXPECT_EQ(fourth["scan"][side]["written_since"], false) << fourth.dump(2);
  }
  EXPECT_EQ(fourth["scan"]["crm"]["bucket_summaries"], Summarized(*crm_, false)) << fourth.dump(2);
  EXPECT_EQ(fourth["scan"]["erp"]["bucket_summaries"], Summarized(*erp_, false)) << fourth.dump(2);
  // The memo entries behind the differences are read by the keys the memo kept for their buckets.
  EXPECT_GE(fourth["scan"]["crm"]["buckets_read_by_key"].get<int>() +
                fourth["scan"]["erp"]["buckets_read_by_key"].get<int>(),
            1)
      << fourth.dump(2);
  // Unchanged again: the erp is asked for its totals first again.
  nlohmann::json fifth = CheckJson();
  ExpectErpChanges(fifth);
  EXPECT_EQ(fifth["scan"]["erp"]["bucket_summaries"], Summarized(*erp_, false)) << fifth.dump(2);
  // Undone: equal again, then decided by the totals again.
  UndoErp();
  EXPECT_EQ(CheckJson()["equal"], true);
  EXPECT_EQ(CheckJson()["decided_by_totals"], true);
}

TEST_P(CheckTotalsTest, TotalsThatDoNotMatchTheirBucketsAreNotTrusted) {
  ASSERT_EQ(CheckJson()["equal"], true);
  // Keep the erp totals of the equal tables, then change erp (its memo follows), undo the change
  // behind the memo's back and put the kept totals back: the totals match the table, but the
  // memo's buckets hold the changed rows — as when writing the memo stopped between the two.
  Db state(dir_ / "state.db");
  state.Exec("CREATE TABLE kept AS SELECT data FROM check_memo_buckets WHERE name LIKE "
             "'customer@erp#%/totals'");
  ASSERT_EQ(state.Int("SELECT count(*) FROM kept"), 1);
  ChangeErp();
  ExpectErpChanges(CheckJson());
  UndoErp();
  state.Exec("UPDATE check_memo_buckets SET data = (SELECT data FROM kept) WHERE name LIKE "
             "'customer@erp#%/totals'");
  // With crm unchanged the kept totals alone decide (they describe the table as it is). Where
  // erp's write mark shows the writes since those totals (PostgreSQL's always does), erp is
  // summarized by bucket at once, and those summaries add up to the kept totals just the same.
  nlohmann::json decided = CheckJson();
  EXPECT_EQ(decided["equal"], true) << decided.dump(2);
  EXPECT_EQ(decided["decided_by_totals"], true) << decided.dump(2);
  if (erp_->kind() == Kind::kPostgres) {
    EXPECT_EQ(decided["scan"]["erp"]["written_since"], true) << decided.dump(2);
  }
  // With crm changed too, erp's buckets are needed: they do not add up to the totals, so erp is
  // summarized by bucket, and only the crm change is found.
  ChangeErp();
  ExpectErpChanges(CheckJson());  // memo: the changed rows again
  UndoErp();
  state.Exec("UPDATE check_memo_buckets SET data = (SELECT data FROM kept) WHERE name LIKE "
             "'customer@erp#%/totals'");
  crm_->Exec("UPDATE clients SET credit = 7.77 WHERE code = 'K1007'");
  nlohmann::json j = CheckJson();
  EXPECT_EQ(j["decided_by_totals"], false) << j.dump(2);
  // (sqlite's totals are its bucket summaries added up: it was summarized by bucket anyway; a
  // side its write mark shows written is summarized by bucket at once, whose sum is its totals.)
  if (erp_->kind() != Kind::kSqlite && !j["scan"]["erp"]["written_since"].get<bool>()) {
    EXPECT_EQ(j["scan"]["erp"]["unchanged_by_totals"], false) << j.dump(2);
  }
  EXPECT_EQ(j["scan"]["erp"]["bucket_summaries"], true) << j.dump(2);
  EXPECT_EQ(j["differing"], 1) << j.dump(2);
  EXPECT_EQ(j["missing_left"], 0) << j.dump(2);
  EXPECT_EQ(j["missing_right"], 0) << j.dump(2);
  ASSERT_EQ(j["differences"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["differences"][0]["key"][0], "K1007") << j.dump(2);
  // Totals this build cannot read are ignored the same way.
  state.Exec("UPDATE check_memo_buckets SET data = x'00' WHERE name LIKE '%/totals'");
  nlohmann::json unread = CheckJson();
  EXPECT_EQ(unread["differing"], 1) << unread.dump(2);
  EXPECT_EQ(unread["scan"]["crm"]["bucket_summaries"], true) << unread.dump(2);
  EXPECT_EQ(unread["scan"]["erp"]["bucket_summaries"], true) << unread.dump(2);
}

INSTANTIATE_TEST_SUITE_P(Pairings, CheckTotalsTest,
                         ::testing::Values(Pairing{Kind::kSqlite, Kind::kPostgres},
                                           Pairing{Kind::kPostgres, Kind::kMysql},
                                           Pairing{Kind::kMysql, Kind::kSqlite}),
                         [](const ::testing::TestParamInfo<Pairing>& p) {
                           return KindName(p.param.crm) + "_to_" + KindName(p.param.erp);
                         });

// A check while concord syncs and the CRM keeps changing: every difference it sees is in flight,
// so none may be reported.
TEST(CheckDuringSync, NoFalseAlarms) {
  TempDir dir;
  Store crm(Kind::kSqlite, dir, "crm");
  Store erp(Kind::kSqlite, dir, "erp");
  crm.Exec(CrmDdl(Kind::kSqlite));
  erp.Exec(ErpDdl(Kind::kSqlite));
  WriteFile(dir / "concord.yaml", Config(crm, erp));
  std::string rows;
  for (int i = 1; i <= 500; ++i) {
    rows += (rows.empty() ? "" : ", ") + std::string("('C") + std::to_string(1000 + i) +
            "', 'N', '13812340000', 1.00, NULL, '2026-01-01 00:00:00', 'active')";
  }
  crm.Exec("INSERT INTO accounts VALUES " + rows);
  ASSERT_EQ(RunConcord(dir.path(), {"run", "--once", "-q"}).exit_code, 0);
  pid_t pid = StartConcord(dir.path(), {"run", "-q"}, dir / "run.log");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    Db db(dir / "crm.db");
    for (int n = 0; !stop.load(); ++n) {
      db.Exec("UPDATE accounts SET account_name = 'N" + std::to_string(n) +
              "' WHERE account_no = 'C" + std::to_string(1001 + (n * 37) % 500) + "'");
      SleepMs(20);
    }
  });
  int alarms = 0;
  std::string last;
  for (int i = 0; i < 3; ++i) {
    ProcResult r = RunConcord(dir.path(), {"check", "customer", "-q"});
    if (r.exit_code != 0) {
      ++alarms;
      last = r.out + r.err;
    }
  }
  stop = true;
  writer.join();
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0) << ReadFile(dir / "run.log");
  EXPECT_EQ(alarms, 0) << last;
}

// A composite key (order number + line), and a table whose key is not unique, refused.
TEST(CheckCompositeKey, FindsTheLineThatDiffersAndRefusesDuplicateKeys) {
  TempDir dir;
  Db crm(dir / "crm.db");
  Db erp(dir / "erp.db");
  crm.Exec("CREATE TABLE lines (order_no TEXT, line INTEGER, qty INTEGER, PRIMARY KEY (order_no, line));"
           "INSERT INTO lines VALUES ('A', 1, 5), ('A', 2, 6), ('B', 1, 7);");
  erp.Exec("CREATE TABLE so_lines (so TEXT, seq INTEGER, quantity INTEGER);"
           "INSERT INTO so_lines VALUES ('A', 1, 5), ('A', 2, 9), ('B', 1, 7), ('B', 2, 1);");
  WriteFile(dir / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  line:
    key: [order_no, line]
    fields:
      order_no: {type: string}
      line:     {type: int}
      qty:      {type: int, sum: true}
bindings:
  crm.line: {table: lines, key: [order_no, line], fields: {order_no: order_no, line: line, qty: qty}}
  erp.line: {table: so_lines, key: [so, seq], fields: {order_no: so, line: seq, qty: quantity}}
)");
  ProcResult r = RunConcord(dir.path(), {"check", "line", "--json", "-q", "--settle-ms", "0"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out << r.err;
  EXPECT_EQ(j["differing"], 1);
  EXPECT_EQ(j["missing_left"], 1);
  EXPECT_EQ(j["missing_right"], 0);
  EXPECT_EQ(j["differences"][0]["key"].dump(), R"(["A",2])");
  EXPECT_EQ(j["differences"][1]["key"].dump(), R"(["B",2])");
  EXPECT_EQ(j["totals"]["crm"]["sums"]["qty"], "18");
  EXPECT_EQ(j["totals"]["erp"]["sums"]["qty"], "22");
  erp.Exec("INSERT INTO so_lines VALUES ('A', 1, 5)");  // the ERP table has no primary key
  r = RunConcord(dir.path(), {"check", "line", "-q"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("have the same line key A|1"), std::string::npos) << r.err;
}

// Two rows whose system keys differ but whose canonical keys are equal (one phone in two
// layouts), the second added after a check made the memo: the read row meets a memo entry of
// another bucket, and the check refuses the duplicate as a first check does.
TEST(CheckMemo, RefusesADuplicateCanonicalKeyAddedAfterTheMemo) {
  TempDir dir;
  Db crm(dir / "crm.db");
  Db erp(dir / "erp.db");
  std::string rows;
  for (int i = 10; i < 90; ++i) {
    rows += std::string(rows.empty() ? "" : ", ") + "('138000000" + std::to_string(i) + "', 'n" +
            std::to_string(i) + "')";
  }
  crm.Exec("CREATE TABLE contacts (tel TEXT PRIMARY KEY, name TEXT); INSERT INTO contacts VALUES " +
           rows);
  erp.Exec("CREATE TABLE people (mobile TEXT PRIMARY KEY, name TEXT); INSERT INTO people VALUES " +
           rows);
  WriteFile(dir / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  contact:
    key: phone
    fields:
      phone: {type: phone, region: CN}
      name:  {type: string}
bindings:
  crm.contact: {table: contacts, key: tel, fields: {phone: tel, name: name}}
  erp.contact: {table: people, key: mobile, fields: {phone: mobile, name: name}}
)");
  ProcResult r = RunConcord(dir.path(), {"check", "contact", "--json", "-q", "--settle-ms", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = RunConcord(dir.path(), {"check", "contact", "--json", "-q", "--settle-ms", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["scan"]["crm"]["memo"], true);
  EXPECT_EQ(j["scan"]["crm"]["rows_mapped"], 0);
  crm.Exec("INSERT INTO contacts VALUES ('+86 138 0000 0042', 'again')");
  r = RunConcord(dir.path(), {"check", "contact", "-q", "--settle-ms", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("have the same contact key +8613800000042"), std::string::npos) << r.err;
}

// `checks:` in concord.yaml: `concord run` performs the check on its schedule (at once the
// first time), keeps the result, alerts past the threshold, and `concord status` shows it.
TEST(ScheduledCheck, RunsKeepsHistoryAlertsAndStatusShowsIt) {
  TempDir dir;
  Store crm(Kind::kSqlite, dir, "crm");
  Store erp(Kind::kSqlite, dir, "erp");
  crm.Exec(CrmDdl(Kind::kSqlite));
  erp.Exec(ErpDdl(Kind::kSqlite));
  std::string yaml = Config(crm, erp);
  WriteFile(dir / "concord.yaml", yaml);
  crm.Exec("INSERT INTO accounts VALUES ('C1', 'One', '13800000001', 1.00, NULL, "
           "'2026-01-01 00:00:00', 'active'), ('C2', 'Two', '13800000002', 2.00, NULL, "
           "'2026-01-01 00:00:00', 'active')");
  ASSERT_EQ(RunConcord(dir.path(), {"run", "--once", "-q"}).exit_code, 0);
  // A change in the ERP that no flow carries back: the copies now differ.
  erp.Exec("UPDATE customers SET cust_name = 'Changed' WHERE cust_name = 'Two'");
  WriteFile(dir / "concord.yaml",
            yaml + "checks:\n  - {entity: customer, between: [crm, erp], schedule: every 1h}\n");
  pid_t pid = StartConcord(dir.path(), {"run"}, dir / "run.log");
  Db state(dir / "state.db");
  bool ran = WaitFor([&] { return ReadFile(dir / "run.log").find("ALERT") != std::string::npos; },
                     60000);
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
  ASSERT_TRUE(ran) << ReadFile(dir / "run.log");
  EXPECT_NE(ReadFile(dir / "run.log").find("1 differ"), std::string::npos) << ReadFile(dir / "run.log");
  EXPECT_EQ(state.Scalar("SELECT check_name || ' ' || trigger_kind || ' ' || outcome || ' ' || "
                         "differing FROM check_runs"),
            "customer:crm<->erp schedule different 1");
  ProcResult status = RunConcord(dir.path(), {"status"});
  EXPECT_NE(status.out.find("customer:crm<->erp"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("different"), std::string::npos) << status.out;
  // A manual check is kept too, and the newest is what status shows.
  EXPECT_EQ(RunConcord(dir.path(), {"check", "customer", "--repair", "--yes", "-q",
                                    "--settle-ms", "0"}).exit_code, 0);
  status = RunConcord(dir.path(), {"status"});
  EXPECT_NE(status.out.find("equal"), std::string::npos) << status.out;
  EXPECT_EQ(state.Int("SELECT count(*) FROM check_runs WHERE trigger_kind = 'manual'"), 2);
}

TEST(ScheduledCheck, ConfigErrorsNameTheLocation) {
  TempDir dir;
  Store crm(Kind::kSqlite, dir, "crm");
  Store erp(Kind::kSqlite, dir, "erp");
  WriteFile(dir / "concord.yaml",
            Config(crm, erp) + "checks:\n  - {entity: customer, between: [crm, epr], "
                               "schedule: realtime}\n");
  ProcResult r = RunConcord(dir.path(), {"validate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("checks[0].schedule: a check cannot run realtime"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("did you mean \"erp\"?"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace concord::e2e
