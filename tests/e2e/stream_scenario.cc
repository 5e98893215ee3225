// The two-way sync under fire shared by the crash and server-restart tests; see stream_scenario.h.
#include "e2e/stream_scenario.h"

#include <libpq-fe.h>
#include <mysql.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <gtest/gtest.h>

#include "servers/mariadb_server.h"
#include "servers/postgres_server.h"

namespace concord::e2e {
namespace {

// Both tables have the same shape; the names differ as they would between two vendors' systems.
struct TableNames {
  const char* table;
  const char* key;
  const char* name;
  const char* phone;
};
constexpr TableNames kCrm{"accounts", "account_no", "account_name", "tel"};
constexpr TableNames kErp{"customers", "cust_code", "cust_name", "mobile"};

std::string Ddl(const TableNames& t) {
  return std::string("CREATE TABLE ") + t.table + " (" + t.key + " VARCHAR(40) PRIMARY KEY, " +
         t.name + " VARCHAR(200) NOT NULL, " + t.phone +
         " VARCHAR(40), balance INTEGER NOT NULL DEFAULT 0)";
}

class SqliteDb final : public SystemDb {
 public:
  SqliteDb(const TempDir& dir, const std::string& name) : file_(name + ".db"), db_(dir / file_) {}
  std::string Begin() const override { return "BEGIN IMMEDIATE;"; }
  std::string SystemYaml() const override { return "{connector: sqlite, path: " + file_ + "}"; }
  int64_t LoggedChanges() override {
    return Int("SELECT seq FROM sqlite_sequence WHERE name = '_concord_changelog'");
  }

 private:
  bool Run(const std::string& sql, Rows* rows) override {
    if (rows == nullptr) return db_.Exec(sql);
    *rows = db_.Query(sql);
    return true;
  }

  std::string file_;
  Db db_;
};

class PostgresDb final : public SystemDb {
 public:
  explicit PostgresDb(const std::string& name) {
    std::string error;
    SharedPostgres()->Psql("postgres", "CREATE DATABASE " + name, &error);
    EXPECT_EQ(error, "");
    url_ = SharedPostgres()->UrlFor(name);
    Reconnect();
  }
  ~PostgresDb() override { PQfinish(conn_); }
  void Reconnect() override {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = PQconnectdb(url_.c_str());
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  std::string SystemYaml() const override {
    return "{connector: postgres, url: \"" + url_ + "\"}";
  }

 private:
  bool Run(const std::string& sql, Rows* rows) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) ADD_FAILURE() << sql << ": " << PQerrorMessage(conn_);
    for (int i = 0; ok && rows && i < PQntuples(r); ++i) {
      rows->emplace_back();
      for (int j = 0; j < PQnfields(r); ++j) {
        rows->back().push_back(PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
      }
    }
    PQclear(r);
    return ok;
  }

  std::string url_;
  PGconn* conn_ = nullptr;
};

class MysqlDb final : public SystemDb {
 public:
  explicit MysqlDb(const std::string& name) : name_(name) {
    EXPECT_EQ(SharedMariadb()->Exec("CREATE DATABASE " + name), "");
    Reconnect();
  }
  ~MysqlDb() override {
    if (conn_ != nullptr) mysql_close(conn_);
  }
  void Reconnect() override {
    if (conn_ != nullptr) mysql_close(conn_);
    conn_ = mysql_init(nullptr);
    if (!mysql_real_connect(conn_, nullptr, "root", nullptr, name_.c_str(), 0,
                            SharedMariadb()->socket().c_str(), CLIENT_MULTI_STATEMENTS)) {
      ADD_FAILURE() << "cannot connect to MariaDB: " << mysql_error(conn_);
    }
  }
  std::string Begin() const override { return "START TRANSACTION;"; }
  std::string SystemYaml() const override {
    return "{connector: mysql, host: 127.0.0.1, port: " + std::to_string(SharedMariadb()->port()) +
           ", user: root, database: " + name_ + "}";
  }

 private:
  // Runs every statement of `sql`, keeping the rows of the last one that returns any.
  bool Run(const std::string& sql, Rows* rows) override {
    bool ok = mysql_real_query(conn_, sql.data(), sql.size()) == 0;
    while (ok) {
      if (MYSQL_RES* res = mysql_store_result(conn_)) {
        unsigned n = mysql_num_fields(res);
        while (MYSQL_ROW row = mysql_fetch_row(res)) {
          if (rows == nullptr) continue;
          rows->emplace_back();
          for (unsigned j = 0; j < n; ++j) rows->back().push_back(row[j] ? row[j] : "NULL");
        }
        mysql_free_result(res);
      }
      int next = mysql_next_result(conn_);
      if (next == -1) break;
      ok = next == 0;
    }
    if (!ok) ADD_FAILURE() << sql << ": " << mysql_error(conn_);
    return ok;
  }

  std::string name_;
  MYSQL* conn_ = nullptr;
};

}  // namespace

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

uint32_t SeedFromEnv() {
  uint32_t seed = static_cast<uint32_t>(EnvInt("CONCORD_CRASH_SEED", std::random_device{}()));
  std::cout << "seed " << seed << " (set CONCORD_CRASH_SEED to repeat)\n";
  return seed;
}

std::string BackendName(Backend b) {
  return b == Backend::kSqlite ? "sqlite" : b == Backend::kPostgres ? "postgres" : "mysql";
}

namespace {

// The process's one server of a kind, started on first use, stopped at exit.
template <typename Server>
Server* Shared(const char* what) {
  static std::unique_ptr<Server> server = [what] {
    std::string error;
    auto s = Server::Start(&error);
    if (s == nullptr) ADD_FAILURE() << "cannot start " << what << ": " << error;
    return s;
  }();
  return server.get();
}

}  // namespace

test_servers::PostgresServer* SharedPostgres() {
  return Shared<test_servers::PostgresServer>("PostgreSQL");
}
testing::MariadbServer* SharedMariadb() { return Shared<testing::MariadbServer>("MariaDB"); }

bool SharedServersUp(std::initializer_list<Backend> backends) {
  bool up = true;
  for (Backend b : backends) {
    if (b == Backend::kPostgres && SharedPostgres() == nullptr) up = false;
    if (b == Backend::kMysql && SharedMariadb() == nullptr) up = false;
  }
  return up;
}

int64_t SystemDb::Int(const std::string& sql) {
  auto rows = Query(sql);
  return rows.empty() || rows[0].empty() || rows[0][0] == "NULL" ? 0 : std::stoll(rows[0][0]);
}

std::string SystemDb::Dump(const std::string& sql) { return SortedLines(Query(sql)); }

std::unique_ptr<SystemDb> MakeSystemDb(Backend backend, const TempDir& dir,
                                       const std::string& name) {
  static int counter = 0;
  std::string db = name + "_" + std::to_string(++counter);
  if (backend == Backend::kSqlite) return std::make_unique<SqliteDb>(dir, name);
  if (backend == Backend::kPostgres) return std::make_unique<PostgresDb>(db);
  return std::make_unique<MysqlDb>(db);
}

// --- Workload ---

Workload::Workload(SystemDb* db, std::string table, std::string key_col, std::string name_col,
                   std::string phone_col, char prefix, uint32_t seed)
    : db_(db),
      table_(std::move(table)),
      key_col_(std::move(key_col)),
      name_col_(std::move(name_col)),
      phone_col_(std::move(phone_col)),
      prefix_(prefix),
      rng_(seed) {}

void Workload::Seed(int n) {
  std::string sql = db_->Begin();
  for (int i = 0; i < n; ++i) sql += InsertSql();
  db_->Exec(sql + "COMMIT;");
}

int Workload::Step() {
  std::uniform_int_distribution<int> count(1, 8), pct(0, 99);
  int n = count(rng_);
  std::string sql = db_->Begin();
  for (int i = 0; i < n; ++i) {
    int p = pct(rng_);
    if (live_.size() < 50 || p < 35) {
      sql += InsertSql();
    } else if (p < 85) {
      sql += "UPDATE " + table_ + " SET " + name_col_ + " = 'name " + std::to_string(rng_()) +
             "', balance = balance + 1 WHERE " + key_col_ + " = '" + PickLive(false) + "';";
    } else {
      sql += "DELETE FROM " + table_ + " WHERE " + key_col_ + " = '" + PickLive(true) + "';";
    }
  }
  db_->Exec(sql + "COMMIT;");
  changes_ += n;
  return n;
}

std::string Workload::InsertSql() {
  std::string key = std::string(1, prefix_) + std::to_string(next_id_++);
  live_.push_back(key);
  return "INSERT INTO " + table_ + " (" + key_col_ + ", " + name_col_ + ", " + phone_col_ +
         ", balance) VALUES ('" + key + "', 'new " + key + "', '1380000" +
         std::to_string(next_id_ % 10000) + "', 0);";
}

std::string Workload::PickLive(bool remove) {
  std::uniform_int_distribution<size_t> pick(0, live_.size() - 1);
  size_t i = pick(rng_);
  std::string key = live_[i];
  if (remove) {
    live_[i] = live_.back();
    live_.pop_back();
  }
  return key;
}

// --- StreamScenario ---

struct StreamScenario::Side {
  Side(SystemDb* db, const TableNames& t, char prefix, uint32_t seed)
      : db(db), work(db, t.table, t.key, t.name, t.phone, prefix, seed) {}
  SystemDb* db;
  Workload work;
  std::mutex mu;  // held while the writer writes to this side, and by Hold/Release
  bool held = false;
};

std::string CaptureName(Capture c) { return c == Capture::kLogical ? "logical" : "trigger"; }

// Changes a side still has to deliver: its changelog's rows, or for logical capture the
// inserts, updates and deletes its replication slot holds past the confirmed position (read
// without consuming; only while no concord process streams from the slot).
int64_t Undelivered(SystemDb& db, bool logical) {
  if (!logical) return db.Int("SELECT count(*) FROM _concord_changelog");
  return db.Int(
      "SELECT count(*) FROM pg_replication_slots s, LATERAL "
      "pg_logical_slot_peek_binary_changes(s.slot_name, NULL, NULL, 'proto_version', '1', "
      "'publication_names', s.slot_name) c WHERE s.database = current_database() AND "
      "get_byte(c.data, 0) IN (73, 85, 68)");  // 'I', 'U', 'D'
}

StreamScenario::StreamScenario(Backend crm, Backend erp, int total_changes, uint32_t seed,
                               Capture capture)
    : total_changes_(total_changes),
      seed_(seed),
      crm_db_(MakeSystemDb(crm, dir_, "crm")),
      erp_db_(MakeSystemDb(erp, dir_, "erp")),
      crm_logical_(capture == Capture::kLogical && crm == Backend::kPostgres),
      erp_logical_(capture == Capture::kLogical && erp == Backend::kPostgres) {
  crm_db_->Exec(Ddl(kCrm));
  erp_db_->Exec(Ddl(kErp));
  crm_ = std::make_unique<Side>(crm_db_.get(), kCrm, 'C', seed);
  erp_ = std::make_unique<Side>(erp_db_.get(), kErp, 'E', seed + 1);
  WriteFile(dir_ / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: )" + crm_db_->SystemYaml() + R"(
  erp: )" + erp_db_->SystemYaml() + R"(
entities:
  customer:
    key: code
    fields:
      code:    {type: string, required: true}
      name:    {type: string, required: true}
      phone:   {type: string}
      balance: {type: int}
bindings:
  crm.customer:
    table: accounts
    key: account_no)" + std::string(crm_logical_ ? "\n    capture: logical" : "") + R"(
    fields: {code: account_no, name: account_name, phone: tel, balance: balance}
  erp.customer:
    table: customers
    key: cust_code)" + std::string(erp_logical_ ? "\n    capture: logical" : "") + R"(
    fields: {code: cust_code, name: cust_name, phone: mobile, balance: balance}
flows:
  - {entity: customer, from: crm, to: erp, max_batch_rows: 100, snapshot_batch_rows: 100, max_batch_delay_ms: 0, poll_interval_ms: 20}
  - {entity: customer, from: erp, to: crm, max_batch_rows: 100, snapshot_batch_rows: 100, max_batch_delay_ms: 0, poll_interval_ms: 20}
)");
  crm_->work.Seed(500);
  erp_->work.Seed(500);
}

StreamScenario::~StreamScenario() {
  if (writer_.joinable()) writer_.join();
}

void StreamScenario::InitialSync() {
  ProcResult first = RunConcord(dir(), {"run", "--once", "-q"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
}

void StreamScenario::StartWriter(int changes_per_s) {
  writing_.store(true);
  writer_ = std::thread([this, changes_per_s] {
    std::mt19937 rng(seed_ + 2);
    auto start = std::chrono::steady_clock::now();
    int64_t done = 0;
    while (done < total_changes_) {
      Side& side = (rng() % 2 == 0) ? *crm_ : *erp_;
      bool wrote = false;
      {
        std::lock_guard<std::mutex> lock(side.mu);
        if (!side.held) {
          done += side.work.Step();
          wrote = true;
        }
      }
      if (changes_per_s > 0) {
        auto due = start + std::chrono::milliseconds(done * 1000 / changes_per_s);
        std::this_thread::sleep_until(due);
      } else if (!wrote || rng() % 4 == 0) {
        SleepMs(1);  // spread the stream over the disturbances
      }
    }
    writing_.store(false);
  });
}

void StreamScenario::JoinWriter() {
  if (writer_.joinable()) writer_.join();
  std::cout << "crm made " << crm_->work.changes() << " changes, erp " << erp_->work.changes()
            << "\n";
}

void StreamScenario::Hold(SystemDb& side) {
  Side& s = &side == crm_db_.get() ? *crm_ : *erp_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.held = true;
}

void StreamScenario::Release(SystemDb& side) {
  Side& s = &side == crm_db_.get() ? *crm_ : *erp_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.db->Reconnect();
  s.held = false;
}

int64_t StreamScenario::Consumed() {
  Db state(dir_ / "state.db");
  return state.Int("SELECT count(*) FROM audit WHERE seq > 0");
}

bool StreamScenario::Converged() {
  std::lock_guard<std::mutex> crm_lock(crm_->mu);
  std::lock_guard<std::mutex> erp_lock(erp_->mu);
  return (crm_logical_ || Undelivered(*crm_db_, false) == 0) &&
         (erp_logical_ || Undelivered(*erp_db_, false) == 0) &&
         crm_db_->Dump("SELECT account_no, account_name, tel, balance FROM accounts") ==
             erp_db_->Dump("SELECT cust_code, cust_name, mobile, balance FROM customers");
}

void StreamScenario::Verify() {
  SystemDb& crm_db = *crm_db_;
  SystemDb& erp_db = *erp_db_;
  Db state(dir_ / "state.db");
  // 1. The systems are equal, row for row.
  std::string crm_rows = crm_db.Dump("SELECT account_no, account_name, tel, balance FROM accounts");
  std::string erp_rows =
      erp_db.Dump("SELECT cust_code, cust_name, mobile, balance FROM customers");
  EXPECT_EQ(crm_db.Int("SELECT count(*) FROM accounts"),
            erp_db.Int("SELECT count(*) FROM customers"));
  EXPECT_TRUE(crm_rows == erp_rows) << "the systems differ";
  // 2. Every changelog (or replication slot) is drained.
  EXPECT_EQ(Undelivered(crm_db, crm_logical_), 0);
  EXPECT_EQ(Undelivered(erp_db, erp_logical_), 0);
  // 3. Each logged change has exactly one audit entry.
  struct Check {
    std::string flow;
    SystemDb* source;
    int64_t app_changes;
    bool logical;
  };
  for (const Check& side :
       {Check{"customer:crm->erp", &crm_db, crm_->work.changes(), crm_logical_},
        Check{"customer:erp->crm", &erp_db, erp_->work.changes(), erp_logical_}}) {
    std::string where = " FROM audit WHERE flow = '" + side.flow + "' AND seq > 0";
    if (side.logical) {
      // At-least-once: a transaction partly applied when concord was killed comes again whole
      // (the slot confirms whole transactions). Each application change was applied, none lost.
      std::cout << side.flow << ": "
                << state.Int("SELECT count(*)" + where) - state.Int("SELECT count(DISTINCT seq)" + where)
                << " changes delivered again after a kill\n";
      EXPECT_EQ(state.Int("SELECT count(DISTINCT seq)" + where + " AND outcome <> 'echo'"),
                side.app_changes)
          << side.flow;
      EXPECT_EQ(state.Int("SELECT count(*)" + where + " AND outcome = 'dlq'"), 0) << side.flow;
      continue;
    }
    EXPECT_EQ(state.Int("SELECT count(*)" + where), state.Int("SELECT count(DISTINCT seq)" + where))
        << side.flow;
    if (int64_t logged = side.source->LoggedChanges(); logged >= 0) {
      // seq values are 1..max, no gaps: every one of them was audited.
      EXPECT_EQ(state.Int("SELECT count(*)" + where), logged) << side.flow;
      EXPECT_EQ(state.Int("SELECT max(seq)" + where), logged) << side.flow;
    }
    EXPECT_EQ(state.Dump("SELECT seq, count(*) AS n" + where + " GROUP BY seq HAVING n > 1"), "")
        << side.flow << ": changes applied more than once";
    // The application's own changes — not concord's echoes — were applied, each once.
    EXPECT_EQ(state.Int("SELECT count(*)" + where + " AND outcome <> 'echo'"), side.app_changes)
        << side.flow;
    EXPECT_EQ(state.Int("SELECT count(*)" + where + " AND outcome = 'dlq'"), 0) << side.flow;
  }
  EXPECT_EQ(state.Int("SELECT count(*) FROM dlq"), 0);
}

}  // namespace concord::e2e
