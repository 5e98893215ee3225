// FlowRunner against real SQLite files in a temp directory (no mocks), driven step by step with a
// ManualClock: what the end-to-end tests cannot reach because it depends on time or on a lock
// held at the right moment — children waiting for parents and giving up after
// max_parent_wait_s, the batch delay, a locked target, Plan() as a dry run, and RetryKeys.
#include "engine/flow_runner.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "core/change.h"
#include "engine/crash_points.h"

namespace concord {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A plain SQLite handle for seeding and inspecting the systems' files, as another program would.
class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "cannot open " << path;
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  bool Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      ADD_FAILURE() << "SQL failed: " << (err ? err : "?") << "\n  " << sql;
      sqlite3_free(err);
      return false;
    }
    return true;
  }

  // Rows joined as "a|b" lines, sorted.
  std::string Dump(const std::string& sql) {
    std::vector<std::string> lines;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "SQL failed: " << sqlite3_errmsg(db_) << "\n  " << sql;
      return "";
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string line;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* t = sqlite3_column_text(stmt, i);
        line += std::string(i ? "|" : "") + (t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      lines.push_back(line);
    }
    sqlite3_finalize(stmt);
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  int64_t Int(const std::string& sql) {
    std::string s = Dump(sql);
    return s.empty() || s == "NULL\n" ? 0 : std::stoll(s);
  }

 private:
  sqlite3* db_ = nullptr;
};

constexpr const char* kCrmSchema = R"sql(
CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT, email TEXT);
CREATE TABLE orders (order_no TEXT PRIMARY KEY, account_no TEXT, amount TEXT, status TEXT);
)sql";

constexpr const char* kErpSchema = R"sql(
CREATE TABLE customers (cust_code TEXT PRIMARY KEY, cust_name TEXT NOT NULL, mobile TEXT,
                        email TEXT);
CREATE TABLE sales_orders (so_no TEXT PRIMARY KEY, cust_code TEXT, total NUMERIC, status TEXT);
)sql";

std::string Config(const std::string& flows, const std::string& erp_options) {
  return R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db)" +
         erp_options + R"(}
entities:
  customer:
    key: code
    fields:
      code:  {type: string, required: true}
      name:  {type: string, required: true}
      phone: {type: string}
      email: {type: email, personal: true}
  order:
    key: number
    fields:
      number:   {type: string, required: true}
      customer: {type: reference, entity: customer, required: true}
      amount:   {type: decimal, scale: 2, min: 0}
      status:   {type: string}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields: {code: account_no, name: account_name, phone: tel, email: email}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name, phone: mobile, email: email}
  crm.order:
    table: orders
    key: order_no
    fields: {number: order_no, customer: account_no, amount: amount, status: status}
  erp.order:
    table: sales_orders
    key: so_no
    fields: {number: so_no, customer: cust_code, amount: total, status: status}
flows:
)" + flows;
}

constexpr const char* kCustomerFlow = "customer:crm->erp";
constexpr const char* kOrderFlow = "order:crm->erp";
constexpr int64_t kStartMs = 1'700'000'000'000;  // any realistic epoch time

std::string K(const std::string& key) { return EncodeKey({Value::Text(key)}); }

class FlowRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/concord-flow-runner-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    dir_ = buf.data();
    crm_ = std::make_unique<Db>(dir_ + "/crm.db");
    erp_ = std::make_unique<Db>(dir_ + "/erp.db");
    crm_->Exec(kCrmSchema);
    erp_->Exec(kErpSchema);
  }

  void TearDown() override {
    runners_.clear();
    pool_.reset();
    state_.reset();
    mappers_.clear();
    crm_.reset();
    erp_.reset();
    if (std::getenv("CONCORD_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // Loads the config with `flows` and builds everything a FlowRunner borrows.
  void Load(const std::string& flows, const std::string& erp_options = "") {
    std::vector<ConfigError> errors;
    auto spec = LoadConfigString(Config(flows, erp_options), "concord.yaml", dir_, &errors);
    std::string all;
    for (const auto& e : errors) all += e.ToString() + "\n";
    ASSERT_TRUE(spec.ok()) << spec.status().ToString() << "\n" << all;
    spec_ = std::make_unique<ConfigSpec>(std::move(spec).value());
    ASSERT_EQ(spec_->state_path, dir_ + "/state.db");
    StateStore::Options options;
    options.synchronous_full = false;
    auto state = StateStore::Open(spec_->state_path, options);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(state).value();
    for (const auto& [name, binding] : spec_->bindings) {
      mappers_[name] =
          std::make_unique<BindingMapper>(spec_->entities.at(binding.entity), binding);
    }
    pool_ = std::make_unique<SystemPool>(*spec_);
    for (const FlowSpec& f : spec_->flows) {
      runners_[f.Id()] = std::make_unique<FlowRunner>(*spec_, f, pool_.get(), state_.get(),
                                                      &mappers_, &clock_);
    }
  }

  FlowRunner& Runner(const std::string& id) { return *runners_.at(id); }

  // One Step that must succeed; returns how much it consumed.
  int64_t StepOk(const std::string& id, bool flush = true) {
    auto r = Runner(id).Step(flush);
    EXPECT_TRUE(r.ok()) << id << ": " << r.status().ToString();
    return r.ok() ? *r : -1;
  }

  // Installs capture and finishes the (empty) initial copy, so later inserts stream.
  // Steps until the initial copy is complete.
  void FinishCopy(const std::string& id) {
    while (true) {
      StepOk(id);
      auto cp = state_->GetCheckpoint(id);
      ASSERT_TRUE(cp.ok());
      if (cp->phase == "streaming") return;
    }
  }

  // The next process: new runners, pool and state store over the same files.
  void Restart(const std::string& flows) {
    runners_.clear();
    pool_.reset();
    state_.reset();
    Load(flows);
  }

  void StartStreaming(const std::string& id) {
    StepOk(id);
    auto cp = state_->GetCheckpoint(id);
    ASSERT_TRUE(cp.ok());
    ASSERT_EQ(cp->phase, "streaming");
  }

  int64_t Changelog(const std::string& flow) {
    return crm_->Int("SELECT count(*) FROM _concord_changelog WHERE consumer = '" + flow + "'");
  }
  int64_t Audit(const std::string& flow, const std::string& outcome = "") {
    auto n = state_->CountAudit(flow, outcome);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }
  int64_t Parked(const std::string& flow) {
    auto n = state_->CountParked(flow);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }
  int64_t OpenDlq(const std::string& flow) {
    auto n = state_->CountOpenDlq(flow);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }
  std::string Customers() { return erp_->Dump("SELECT cust_code, cust_name FROM customers"); }
  std::string Orders() { return erp_->Dump("SELECT so_no, cust_code FROM sales_orders"); }

  std::string dir_;
  std::unique_ptr<Db> crm_, erp_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<ConfigSpec> spec_;
  std::unique_ptr<StateStore> state_;
  MapperSet mappers_;
  std::unique_ptr<SystemPool> pool_;
  std::map<std::string, std::unique_ptr<FlowRunner>> runners_;
};

constexpr const char* kCustomerAndOrder =
    "  - {entity: customer, from: crm, to: erp}\n"
    "  - {entity: order, from: crm, to: erp}\n";

// (a) A child waits for its parent: parked, retried with a growing delay, applied once the parent
// is in the target.
TEST_F(FlowRunnerTest, ChildIsParkedUntilItsParentArrives) {
  Load(kCustomerAndOrder);
  StartStreaming(kCustomerFlow);
  StartStreaming(kOrderFlow);

  crm_->Exec("INSERT INTO orders VALUES ('O1', 'C1', '10.50', 'approved');");
  EXPECT_EQ(StepOk(kOrderFlow), 1);
  EXPECT_EQ(Orders(), "");
  EXPECT_EQ(Parked(kOrderFlow), 1);
  EXPECT_EQ(Audit(kOrderFlow, "parked"), 1);
  EXPECT_EQ(OpenDlq(kOrderFlow), 0);
  // The change is consumed at the source: the parked entry in the state now holds it.
  EXPECT_EQ(Changelog(kOrderFlow), 0);
  auto parked = state_->ParkedFor(kOrderFlow, K("O1"));
  ASSERT_TRUE(parked.ok() && parked->has_value());
  EXPECT_EQ((*parked)->first_seen_ms, kStartMs);
  EXPECT_EQ((*parked)->next_attempt_ms, kStartMs + 500);
  EXPECT_NE((*parked)->reason.find("not in erp yet"), std::string::npos) << (*parked)->reason;

  // Not due yet: nothing is retried.
  auto none = Runner(kOrderFlow).RetryParked(false);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  EXPECT_EQ(Audit(kOrderFlow), 1);

  // Due, but the parent is still missing: parked again, the next attempt later than the first.
  clock_.Advance(500);
  auto again = Runner(kOrderFlow).RetryParked(false);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(Audit(kOrderFlow, "parked"), 2);
  EXPECT_EQ(Runner(kOrderFlow).stats().parked, 1);  // one record waiting, however often retried
  parked = state_->ParkedFor(kOrderFlow, K("O1"));
  ASSERT_TRUE(parked.ok() && parked->has_value());
  EXPECT_EQ((*parked)->first_seen_ms, kStartMs);
  EXPECT_EQ((*parked)->next_attempt_ms, clock_.NowMs() + 1000);

  // The parent arrives.
  crm_->Exec("INSERT INTO accounts VALUES ('C1', 'Alpha', '1', NULL);");
  EXPECT_EQ(StepOk(kCustomerFlow), 1);
  EXPECT_EQ(Customers(), "C1|Alpha\n");

  clock_.Advance(999);
  EXPECT_EQ(StepOk(kOrderFlow), 0);  // still not due
  EXPECT_EQ(Orders(), "");
  clock_.Advance(1);
  EXPECT_EQ(StepOk(kOrderFlow), 1);  // the retried child left the park
  EXPECT_EQ(Orders(), "O1|C1\n");
  EXPECT_EQ(erp_->Dump("SELECT total FROM sales_orders"), "10.5\n");
  EXPECT_EQ(Parked(kOrderFlow), 0);
  EXPECT_EQ(Audit(kOrderFlow, "applied"), 1);
  EXPECT_EQ(OpenDlq(kOrderFlow), 0);
  EXPECT_EQ(Runner(kOrderFlow).stats().applied, 1);

  // Nothing left to do, and nothing applied twice.
  clock_.Advance(60'000);
  EXPECT_EQ(StepOk(kOrderFlow), 0);
  EXPECT_EQ(Audit(kOrderFlow, "applied"), 1);
}

// (b) After max_parent_wait_s the child stops waiting and goes to the DLQ (rule reference, naming
// the field, with a hint);
// once the parent exists, retrying the entry applies it.
TEST_F(FlowRunnerTest, ChildGoesToDlqAfterMaxParentWait) {
  Load("  - {entity: customer, from: crm, to: erp}\n"
       "  - {entity: order, from: crm, to: erp, max_parent_wait_s: 60}\n");
  StartStreaming(kCustomerFlow);
  StartStreaming(kOrderFlow);
  crm_->Exec("INSERT INTO orders VALUES ('O1', 'C1', '10.50', 'approved');");
  EXPECT_EQ(StepOk(kOrderFlow), 1);
  ASSERT_EQ(Parked(kOrderFlow), 1);

  // Just short of the limit it still waits.
  clock_.Advance(59'999);
  auto waiting = Runner(kOrderFlow).RetryParked(/*all=*/true);
  ASSERT_TRUE(waiting.ok()) << waiting.status().ToString();
  EXPECT_EQ(*waiting, 0);
  EXPECT_EQ(Parked(kOrderFlow), 1);
  EXPECT_EQ(OpenDlq(kOrderFlow), 0);

  clock_.Advance(1);
  auto gone = Runner(kOrderFlow).RetryParked(/*all=*/true);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(*gone, 1);
  EXPECT_EQ(Parked(kOrderFlow), 0);
  EXPECT_EQ(Orders(), "");
  auto dlq = state_->ListDlq(kOrderFlow, "open");
  ASSERT_TRUE(dlq.ok());
  ASSERT_EQ(dlq->size(), 1u);
  const DlqEntry& e = dlq->front();
  EXPECT_EQ(e.rule, "reference");
  EXPECT_EQ(e.field, "customer");
  EXPECT_EQ(e.reason.rfind("field customer: waited 60 s for the parent: customer ", 0), 0u)
      << e.reason;
  EXPECT_NE(e.reason.find("(rule reference); hint: the referenced record must reach the target"),
            std::string::npos)
      << e.reason;
  EXPECT_EQ(e.source_key, K("O1"));
  EXPECT_EQ(e.entity, "order");
  EXPECT_NE(e.reason.find("waited 60 s"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("customer"), std::string::npos) << e.reason;
  EXPECT_EQ(Runner(kOrderFlow).stats().rejected, 1);

  // Later steps leave it alone: it waits for a person now, not for the clock.
  clock_.Advance(3'600'000);
  EXPECT_EQ(StepOk(kOrderFlow), 0);
  EXPECT_EQ(OpenDlq(kOrderFlow), 1);

  // The parent arrives; `concord dlq retry` applies the child and closes the entry.
  crm_->Exec("INSERT INTO accounts VALUES ('C1', 'Alpha', '1', NULL);");
  EXPECT_EQ(StepOk(kCustomerFlow), 1);
  auto retried = Runner(kOrderFlow).RetryKeys({K("O1")});
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->at(K("O1")), "applied");
  EXPECT_EQ(Orders(), "O1|C1\n");
  EXPECT_EQ(OpenDlq(kOrderFlow), 0);
}

// The initial copy reads and writes snapshot_batch_rows rows per chunk (not max_batch_rows: a
// chunk's fixed cost makes large copies want larger chunks), into an empty target up to
// kCopyChunksPerStep chunks per step, then turns to streaming.
TEST_F(FlowRunnerTest, InitialCopyStepsBySnapshotBatchRows) {
  static_assert(FlowRunner::kCopyChunksPerStep == 4, "the counts below assume 4 chunks a step");
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','B',NULL,NULL),"
             "('C3','C',NULL,NULL), ('C4','D',NULL,NULL), ('C5','E',NULL,NULL),"
             "('C6','F',NULL,NULL), ('C7','G',NULL,NULL), ('C8','H',NULL,NULL),"
             "('C9','I',NULL,NULL);");
  Load("  - {entity: customer, from: crm, to: erp, max_batch_rows: 1, snapshot_batch_rows: 2}\n");
  EXPECT_EQ(StepOk(kCustomerFlow), 8);
  EXPECT_EQ(StepOk(kCustomerFlow), 1);
  EXPECT_EQ(Customers(),
            "C1|A\nC2|B\nC3|C\nC4|D\nC5|E\nC6|F\nC7|G\nC8|H\nC9|I\n");
  StepOk(kCustomerFlow);
  auto cp = state_->GetCheckpoint(kCustomerFlow);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->phase, "streaming");
}

// The initial copy reads the target's rows only when the target held some as the copy began:
// rows already there and equal are left alone ("unchanged"); into an empty table every row is
// written without looking, and a row another writer put there meanwhile is overwritten with the
// source's values, as it would be if it differed.
TEST_F(FlowRunnerTest, InitialCopyComparesWithTheTargetOnlyWhenItHeldRows) {
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','B',NULL,NULL),"
             "('C3','C',NULL,NULL);");
  erp_->Exec("INSERT INTO customers VALUES ('C1','A',NULL,NULL);");
  Load("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 2}\n");
  EXPECT_EQ(StepOk(kCustomerFlow), 2);
  EXPECT_EQ(StepOk(kCustomerFlow), 1);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:unchanged"), 1);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:applied"), 2);
  EXPECT_EQ(Customers(), "C1|A\nC2|B\nC3|C\n");
}

TEST_F(FlowRunnerTest, InitialCopyIntoAnEmptyTargetWritesEveryRow) {
  static_assert(FlowRunner::kCopyChunksPerStep == 4, "the counts below assume 4 chunks a step");
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','B',NULL,NULL),"
             "('C3','C',NULL,NULL), ('C4','D',NULL,NULL), ('C5','E',NULL,NULL),"
             "('C6','F',NULL,NULL);");
  Load("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 1}\n");
  EXPECT_EQ(StepOk(kCustomerFlow), 4);
  // Another writer, mid-copy: one row equal to the source's, one that differs.
  erp_->Exec("INSERT INTO customers VALUES ('C5','E',NULL,NULL), ('C6','other',NULL,NULL);");
  EXPECT_EQ(StepOk(kCustomerFlow), 2);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:applied"), 6);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:unchanged"), 0);
  EXPECT_EQ(Customers(), "C1|A\nC2|B\nC3|C\nC4|D\nC5|E\nC6|F\n");
}

// The initial copy audits runs of records, in key order: one entry per run of one outcome within
// a chunk, with its first and last key and count. A rejected record is an entry of its own, and
// it ends the run before it.
TEST_F(FlowRunnerTest, InitialCopyAuditsRunsOfRecords) {
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','B',NULL,NULL),"
             "('C3',NULL,NULL,NULL), ('C4','D',NULL,NULL), ('C5','E',NULL,NULL),"
             "('C6','F',NULL,NULL);");
  Load("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 5}\n");
  EXPECT_EQ(StepOk(kCustomerFlow), 6);  // two chunks, one step
  auto audit = state_->ListAudit(kCustomerFlow, 0);
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  std::vector<std::string> entries;
  for (const AuditEntry& e : *audit) {
    entries.push_back(e.source_key + ".." + e.last_key + " " + std::to_string(e.rows) + " " +
                      e.op + " " + e.outcome + " seq " + std::to_string(e.seq));
  }
  const std::vector<std::string> expected = {
      K("C1") + ".." + K("C2") + " 2 insert snapshot:applied seq 0",
      K("C3") + ".. 1 insert snapshot:dlq seq 0",
      K("C4") + ".." + K("C5") + " 2 insert snapshot:applied seq 0",
      K("C6") + ".. 1 insert snapshot:applied seq 0"};
  EXPECT_EQ(entries, expected);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:applied"), 5);
  EXPECT_EQ(Audit(kCustomerFlow), 6);
  EXPECT_EQ(Customers(), "C1|A\nC2|B\nC4|D\nC5|E\nC6|F\n");
}

// A record the target refuses in a copy into an empty table (written on a thread of its own while
// the next chunk is resolved): the batch is retried record by record there, the refused record
// goes to the DLQ with the target's reason, and the rest of its chunk and the next are copied.
TEST_F(FlowRunnerTest, InitialCopyIntoAnEmptyTargetSendsARefusedRecordToTheDlq) {
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','refuse me',NULL,NULL),"
             "('C3','C',NULL,NULL), ('C4','D',NULL,NULL), ('C5','E',NULL,NULL);");
  erp_->Exec("CREATE TRIGGER refuse BEFORE INSERT ON customers WHEN NEW.cust_name = 'refuse me' "
             "BEGIN SELECT RAISE(ABORT, 'no such customer name here'); END;");
  Load("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 3}\n");
  EXPECT_EQ(StepOk(kCustomerFlow), 5);  // two chunks, one step
  EXPECT_EQ(StepOk(kCustomerFlow), 0);
  EXPECT_EQ(Customers(), "C1|A\nC3|C\nC4|D\nC5|E\n");
  EXPECT_EQ(OpenDlq(kCustomerFlow), 1);
  auto dlq = state_->ListDlq(kCustomerFlow, "open");
  ASSERT_TRUE(dlq.ok()) << dlq.status().ToString();
  ASSERT_EQ(dlq->size(), 1u);
  EXPECT_EQ(dlq->front().source_key, K("C2"));
  EXPECT_EQ(dlq->front().rule, "target");
  EXPECT_NE(dlq->front().reason.find("no such customer name here"), std::string::npos)
      << dlq->front().reason;
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:applied"), 4);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:dlq"), 1);
}

// The copy reads its next chunk ahead. A chunk the target refuses (locked) is not recorded and
// the checkpoint stays; the rows read ahead are dropped and read again, and the copy completes
// with every row once.
TEST_F(FlowRunnerTest, InitialCopyResumesAfterALockedTargetWithEveryRowOnce) {
  static_assert(FlowRunner::kCopyChunksPerStep == 4, "the counts below assume 4 chunks a step");
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','B',NULL,NULL),"
             "('C3','C',NULL,NULL), ('C4','D',NULL,NULL), ('C5','E',NULL,NULL),"
             "('C6','F',NULL,NULL);");
  Load("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 1}\n",
       ", busy_timeout_ms: 50");
  EXPECT_EQ(StepOk(kCustomerFlow), 4);
  {
    Db locker(dir_ + "/erp.db");
    ASSERT_TRUE(locker.Exec("BEGIN EXCLUSIVE;"));
    auto r = Runner(kCustomerFlow).Step(true);
    ASSERT_FALSE(r.ok()) << "copied " << *r << " while erp was locked";
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
    auto cp = state_->GetCheckpoint(kCustomerFlow);
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->phase, "snapshot");
    EXPECT_EQ(cp->snapshot_after_key, K("C4"));
    EXPECT_EQ(Audit(kCustomerFlow), 4);
    ASSERT_TRUE(locker.Exec("COMMIT;"));
  }
  crm_->Exec("UPDATE accounts SET account_name = 'E again' WHERE account_no = 'C5';");
  EXPECT_EQ(StepOk(kCustomerFlow), 2);
  // The copy completes, then the update's captured change streams: already in the target.
  EXPECT_EQ(StepOk(kCustomerFlow), 1);
  auto cp = state_->GetCheckpoint(kCustomerFlow);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->phase, "streaming");
  EXPECT_EQ(cp->applied_total, 6);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:applied"), 6);
  EXPECT_EQ(Audit(kCustomerFlow, "unchanged"), 1);
  EXPECT_EQ(Audit(kCustomerFlow), 7);
  // Read again after the failure: the update made meanwhile is in the copy.
  EXPECT_EQ(Customers(), "C1|A\nC2|B\nC3|C\nC4|D\nC5|E again\nC6|F\n");
}

// A chunk's state commit fails (not a kill) while the next chunk's write is in flight: the step
// fails, waiting for that write; the checkpoint stays after the last chunk committed. The next
// steps go on from there on the same path (the runner found the target empty when the copy
// began) and write the rows written but not recorded again, as upserts: every row lands once and
// is audited once.
TEST_F(FlowRunnerTest, InitialCopyStateCommitFailingDuringTheNextWriteLosesNothing) {
  static_assert(FlowRunner::kCopyChunksPerStep == 4, "the counts below assume 4 chunks a step");
  crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','B',NULL,NULL),"
             "('C3','C',NULL,NULL), ('C4','D',NULL,NULL), ('C5','E',NULL,NULL),"
             "('C6','F',NULL,NULL);");
  Load("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 1}\n");
  SetFailPointForTesting("state_commit:2");  // C2's, while C3 is being written
  auto r = Runner(kCustomerFlow).Step(true);
  SetFailPointForTesting("");
  ASSERT_FALSE(r.ok()) << "copied " << *r << " though the state commit failed";
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  auto cp = state_->GetCheckpoint(kCustomerFlow);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->phase, "snapshot");
  EXPECT_EQ(cp->snapshot_after_key, K("C1"));
  EXPECT_EQ(Audit(kCustomerFlow), 1);
  // C2's write was committed and C3's was waited for: both are in the target, unrecorded.
  EXPECT_EQ(Customers(), "C1|A\nC2|B\nC3|C\n");

  FinishCopy(kCustomerFlow);
  EXPECT_EQ(Customers(), "C1|A\nC2|B\nC3|C\nC4|D\nC5|E\nC6|F\n");
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers"), 6);
  EXPECT_EQ(Audit(kCustomerFlow, "snapshot:applied"), 6);
  EXPECT_EQ(Audit(kCustomerFlow), 6);
  EXPECT_EQ(OpenDlq(kCustomerFlow), 0);
}

// An initial copy stopped after a chunk's write but before its state commit goes on, in the next
// process, as it began. Begun into an empty target, it writes without reading the target first:
// the rows the stopped process wrote but did not record are written again, as upserts, and
// audited "applied" once. Begun into a target that held rows, it compares with them as before:
// those rows are found "unchanged".
TEST_F(FlowRunnerTest, InitialCopyResumedByTheNextProcessGoesOnAsItBegan) {
  const std::string flows = "  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 1}\n";
  for (bool into_empty : {true, false}) {
    SCOPED_TRACE(into_empty ? "into an empty target" : "into a target with rows");
    TearDown();
    SetUp();
    crm_->Exec("INSERT INTO accounts VALUES ('C1','A',NULL,NULL), ('C2','B',NULL,NULL),"
               "('C3','C',NULL,NULL);");
    if (!into_empty) erp_->Exec("INSERT INTO customers (cust_code, cust_name) VALUES ('Z9','Z');");
    Load(flows);
    SetFailPointForTesting("state_commit:2");  // C2's: written, not recorded
    // Into an empty target a step writes several chunks; else one.
    if (!into_empty) {
      EXPECT_EQ(StepOk(kCustomerFlow), 1);
    }
    EXPECT_FALSE(Runner(kCustomerFlow).Step(true).ok());
    SetFailPointForTesting("");
    auto cp = state_->GetCheckpoint(kCustomerFlow);
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->snapshot_after_key, K("C1"));
    EXPECT_EQ(cp->snapshot_into_empty, into_empty);

    Restart(flows);  // the next process
    FinishCopy(kCustomerFlow);
    EXPECT_EQ(Customers(), into_empty ? "C1|A\nC2|B\nC3|C\n" : "C1|A\nC2|B\nC3|C\nZ9|Z\n");
    EXPECT_EQ(Audit(kCustomerFlow), 3);
    EXPECT_EQ(Audit(kCustomerFlow, "snapshot:unchanged"), into_empty ? 0 : 1);
    EXPECT_EQ(Audit(kCustomerFlow, "snapshot:applied"), into_empty ? 3 : 2);
    EXPECT_EQ(OpenDlq(kCustomerFlow), 0);
  }
}

// The initial copy logs the source's estimate when it begins (or resumes), then every
// kCopyProgressEveryMs its progress: rows written of about how many, the rate, the time left.
TEST_F(FlowRunnerTest, InitialCopyLogsItsProgress) {
  for (int i = 1; i <= 12; ++i) {
    crm_->Exec(fmt::format("INSERT INTO accounts VALUES ('C{:02}','N',NULL,NULL);", i));
  }
  Load("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 2}\n");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(StepOk(kCustomerFlow), 8);  // four chunks a step
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("initial copy: about 12 rows in crm.accounts"));
  EXPECT_THAT(log, Not(HasSubstr("rows written")));  // not yet due

  clock_.Advance(FlowRunner::kCopyProgressEveryMs);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(StepOk(kCustomerFlow), 4);
  log = ::testing::internal::GetCapturedStderr();
  // 12 rows in 10 s of the test's clock: 1 row/s, nothing left.
  EXPECT_THAT(log, HasSubstr("initial copy: 12 rows written of about 12 (100%), 1 rows/s\n"));

  // A new process resumes from the checkpoint: where, and what was written before.
  auto cp = state_->GetCheckpoint(kCustomerFlow);
  ASSERT_TRUE(cp.ok());
  cp->snapshot_after_key = K("C06");
  cp->applied_total = 6;
  ASSERT_TRUE(state_->PutCheckpoint(*cp).ok());
  Restart("  - {entity: customer, from: crm, to: erp, snapshot_batch_rows: 2}\n");
  ::testing::internal::CaptureStderr();
  StepOk(kCustomerFlow);
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("initial copy resumes after key C06: 6 rows written before; about 12 "
                             "rows in crm.accounts"));
}

// (c) max_batch_delay_ms: a partial batch waits for the delay (measured from when it was first
// seen) unless flushed; a full batch goes at once.
TEST_F(FlowRunnerTest, PartialBatchWaitsForMaxBatchDelay) {
  Load("  - {entity: customer, from: crm, to: erp, max_batch_rows: 5, max_batch_delay_ms: 1000}\n");
  StartStreaming(kCustomerFlow);

  crm_->Exec("INSERT INTO accounts VALUES ('C1','A','1',NULL), ('C2','B','2',NULL),"
             "('C3','C','3',NULL);");
  EXPECT_EQ(StepOk(kCustomerFlow, /*flush=*/false), 0);
  clock_.Advance(999);
  EXPECT_EQ(StepOk(kCustomerFlow, false), 0);
  EXPECT_EQ(Customers(), "");
  EXPECT_EQ(Changelog(kCustomerFlow), 3);
  EXPECT_EQ(Audit(kCustomerFlow), 0);
  clock_.Advance(1);
  EXPECT_EQ(StepOk(kCustomerFlow, false), 3);
  EXPECT_EQ(Customers(), "C1|A\nC2|B\nC3|C\n");
  EXPECT_EQ(Changelog(kCustomerFlow), 0);

  // A full batch (max_batch_rows) does not wait.
  crm_->Exec("INSERT INTO accounts VALUES ('D1','x',NULL,NULL), ('D2','x',NULL,NULL),"
             "('D3','x',NULL,NULL), ('D4','x',NULL,NULL), ('D5','x',NULL,NULL),"
             "('D6','x',NULL,NULL), ('D7','x',NULL,NULL);");
  EXPECT_EQ(StepOk(kCustomerFlow, false), 5);
  // The two left over are a new partial batch: the delay starts again from now.
  EXPECT_EQ(StepOk(kCustomerFlow, false), 0);
  clock_.Advance(999);
  EXPECT_EQ(StepOk(kCustomerFlow, false), 0);
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers"), 8);
  clock_.Advance(1);
  EXPECT_EQ(StepOk(kCustomerFlow, false), 2);
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers"), 10);

  // flush = true (run --once, scheduled runs): a partial batch goes at once.
  crm_->Exec("INSERT INTO accounts VALUES ('E1','x',NULL,NULL);");
  EXPECT_EQ(StepOk(kCustomerFlow, /*flush=*/true), 1);
  EXPECT_EQ(erp_->Int("SELECT count(*) FROM customers"), 11);
  EXPECT_EQ(Audit(kCustomerFlow, "applied"), 11);
}

// (d) A target locked by another program: Unavailable, nothing acknowledged or recorded; once
// the lock is gone everything is applied exactly once.
TEST_F(FlowRunnerTest, LockedTargetIsUnavailableAndLosesNothing) {
  Load("  - {entity: customer, from: crm, to: erp}\n", ", busy_timeout_ms: 50");
  StartStreaming(kCustomerFlow);
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL);");
  ASSERT_EQ(StepOk(kCustomerFlow), 1);  // the connection to erp is open and working
  ASSERT_EQ(Audit(kCustomerFlow), 1);
  // The batch's ack, done at the source, leaves the state with the next state transaction (or
  // when the source has nothing new): one transaction per batch.
  auto acked = state_->PendingAcks(kCustomerFlow);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(acked->size(), 1u);

  Db locker(dir_ + "/erp.db");
  ASSERT_TRUE(locker.Exec("BEGIN EXCLUSIVE;"));
  crm_->Exec("INSERT INTO accounts VALUES ('C2','Beta','2',NULL), ('C3','Gamma','3',NULL);"
             "UPDATE accounts SET account_name = 'Alpha 2' WHERE account_no = 'C1';");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = Runner(kCustomerFlow).Step(true);
    ASSERT_FALSE(r.ok()) << "applied " << *r << " while erp was locked";
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
    EXPECT_TRUE(r.status().IsRetryable());
    // Nothing acknowledged at the source, nothing recorded in the state.
    EXPECT_EQ(Changelog(kCustomerFlow), 3);
    EXPECT_EQ(Audit(kCustomerFlow), 1);
    auto pending = state_->PendingAcks(kCustomerFlow);
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(*pending, *acked);
    EXPECT_EQ(OpenDlq(kCustomerFlow), 0);
    auto cp = state_->GetCheckpoint(kCustomerFlow);
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->applied_total, 1);
  }
  EXPECT_EQ(Runner(kCustomerFlow).stats().applied, 1);
  ASSERT_TRUE(locker.Exec("COMMIT;"));

  EXPECT_EQ(StepOk(kCustomerFlow), 3);
  EXPECT_EQ(Customers(), "C1|Alpha 2\nC2|Beta\nC3|Gamma\n");
  EXPECT_EQ(Changelog(kCustomerFlow), 0);
  EXPECT_EQ(Audit(kCustomerFlow, "applied"), 4);  // C1 twice (insert, update), C2, C3 once
  EXPECT_EQ(Audit(kCustomerFlow), 4);
  auto after = state_->PendingAcks(kCustomerFlow);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 3u);  // the last batch's; the first batch's left with its commit
  EXPECT_EQ(StepOk(kCustomerFlow), 0);
  EXPECT_EQ(Audit(kCustomerFlow), 4);
  after = state_->PendingAcks(kCustomerFlow);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());  // nothing new at the source: the acks left the state
}

// Everything Plan() could touch, to compare before and after.
struct Snapshot {
  std::string erp_rows, crm_rows, changelog, audit, dlq, parked, checkpoint, xref, acks, records;
  bool operator==(const Snapshot&) const = default;
};

class PlanTest : public FlowRunnerTest {
 protected:
  Snapshot Take() {
    Snapshot s;
    s.erp_rows = erp_->Dump("SELECT * FROM customers") + erp_->Dump("SELECT * FROM sales_orders");
    s.crm_rows = crm_->Dump("SELECT * FROM accounts") + crm_->Dump("SELECT * FROM orders");
    s.changelog = crm_->Dump(
        "SELECT name FROM sqlite_master WHERE name = '_concord_changelog'");
    if (!s.changelog.empty()) s.changelog += crm_->Dump("SELECT * FROM _concord_changelog");
    Db state(dir_ + "/state.db");
    s.audit = state.Dump("SELECT * FROM audit");
    s.dlq = state.Dump("SELECT * FROM dlq");
    s.parked = state.Dump("SELECT * FROM parked");
    s.checkpoint = state.Dump("SELECT * FROM checkpoints");
    s.xref = state.Dump("SELECT * FROM xref");
    s.acks = state.Dump("SELECT * FROM pending_acks");
    s.records = state.Dump("SELECT * FROM record_state");
    return s;
  }
};

// (e) Plan() in the streaming phase counts what the next step would do and changes nothing.
TEST_F(PlanTest, StreamingPlanChangesNothing) {
  Load("  - {entity: customer, from: crm, to: erp}\n");
  StartStreaming(kCustomerFlow);
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL), ('C4','Delta','4',NULL);");
  ASSERT_EQ(StepOk(kCustomerFlow), 2);

  crm_->Exec("UPDATE accounts SET account_name = 'Alpha 2' WHERE account_no = 'C1';"
             "DELETE FROM accounts WHERE account_no = 'C4';"
             "INSERT INTO accounts VALUES ('C2','Beta','2',NULL);"
             "INSERT INTO accounts VALUES ('C3','Gamma','3','not-an-email');"
             "INSERT INTO accounts VALUES ('C5',NULL,'5',NULL);");
  Snapshot before = Take();
  ASSERT_NE(before.changelog, "");
  ASSERT_NE(before.audit, "");
  auto plan = Runner(kCustomerFlow).Plan();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->phase, "streaming");
  EXPECT_EQ(plan->creates, 1);
  EXPECT_EQ(plan->updates, 1);
  EXPECT_EQ(plan->deletes, 1);
  EXPECT_EQ(plan->rejects, 2);
  EXPECT_EQ(plan->sample_creates, std::vector<std::string>{"C2"});
  EXPECT_EQ(plan->sample_deletes, std::vector<std::string>{"C4"});
  EXPECT_EQ(plan->sample_rejects.size(), 2u);
  // Twice, to be sure the first one consumed nothing.
  ASSERT_TRUE(Runner(kCustomerFlow).Plan().ok());
  EXPECT_TRUE(Take() == before) << "Plan() changed something";
  EXPECT_EQ(Runner(kCustomerFlow).stats().applied, 2);

  // The run then does what the plan said.
  EXPECT_EQ(StepOk(kCustomerFlow), 5);
  EXPECT_EQ(Customers(), "C1|Alpha 2\nC2|Beta\n");
  EXPECT_EQ(OpenDlq(kCustomerFlow), 2);
}

// (e) Plan() before the first run: it counts the initial copy, and installs no capture.
TEST_F(PlanTest, FirstRunPlanChangesNothing) {
  Load("  - {entity: customer, from: crm, to: erp}\n");
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1',NULL), ('C2','Beta','2',NULL);");
  erp_->Exec("INSERT INTO customers VALUES ('C2','Beta','2',NULL);");
  Snapshot before = Take();
  auto plan = Runner(kCustomerFlow).Plan();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->phase, "snapshot");
  EXPECT_EQ(plan->creates, 1);
  EXPECT_EQ(plan->unchanged, 1);
  EXPECT_TRUE(Take() == before) << "Plan() changed something";
  EXPECT_EQ(before.changelog, "");  // no capture installed by a dry run
  auto cp = state_->GetCheckpoint(kCustomerFlow);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->phase, "pending");
}

// (f) RetryKeys re-reads the source row: a record fixed at the source is applied and its DLQ
// entry resolved; one still broken stays in the DLQ (one entry, one more attempt).
TEST_F(FlowRunnerTest, RetryKeysAppliesAFixedRecordAndResolvesItsDlqEntry) {
  Load("  - {entity: customer, from: crm, to: erp}\n");
  StartStreaming(kCustomerFlow);
  crm_->Exec("INSERT INTO accounts VALUES ('C1','Alpha','1','not-an-email'),"
             "('C2','Beta','2',NULL);");
  EXPECT_EQ(StepOk(kCustomerFlow), 2);
  EXPECT_EQ(Customers(), "C2|Beta\n");
  auto open = state_->OpenDlqFor(kCustomerFlow, K("C1"));
  ASSERT_TRUE(open.ok() && open->has_value());
  const int64_t id = (*open)->id;
  EXPECT_EQ((*open)->field, "email");
  EXPECT_EQ((*open)->record_json.find("not-an-email"), std::string::npos)
      << "personal value in the DLQ record: " << (*open)->record_json;

  // Still broken: stays in the DLQ as the same entry.
  auto still = Runner(kCustomerFlow).RetryKeys({K("C1")});
  ASSERT_TRUE(still.ok()) << still.status().ToString();
  EXPECT_EQ(still->at(K("C1")), "dlq");
  auto entry = state_->GetDlq(id);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->status, "open");
  EXPECT_EQ((*entry)->attempts, 2);
  EXPECT_EQ(OpenDlq(kCustomerFlow), 1);

  // Fixed at the source (the fix is also a captured change, still pending).
  crm_->Exec("UPDATE accounts SET email = 'a@x.example' WHERE account_no = 'C1';");
  auto fixed = Runner(kCustomerFlow).RetryKeys({K("C1")});
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(fixed->at(K("C1")), "applied");
  EXPECT_EQ(Customers(), "C1|Alpha\nC2|Beta\n");
  EXPECT_EQ(erp_->Dump("SELECT email FROM customers WHERE cust_code = 'C1'"), "a@x.example\n");
  entry = state_->GetDlq(id);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->status, "resolved");
  EXPECT_EQ(OpenDlq(kCustomerFlow), 0);

  // The captured fix then finds the target already equal: not applied twice.
  EXPECT_EQ(StepOk(kCustomerFlow), 1);
  EXPECT_EQ(Audit(kCustomerFlow, "unchanged"), 1);
  EXPECT_EQ(Audit(kCustomerFlow, "applied"), 2);  // C2 by the step, C1 by the retry
  EXPECT_EQ(Changelog(kCustomerFlow), 0);
}

// RetryKeys of a key whose source row is gone and was never synced: nothing to do.
TEST_F(FlowRunnerTest, RetryKeysOfAVanishedRecord) {
  Load("  - {entity: customer, from: crm, to: erp}\n");
  StartStreaming(kCustomerFlow);
  auto r = Runner(kCustomerFlow).RetryKeys({K("C9")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at(K("C9")), "unchanged");
  EXPECT_EQ(Customers(), "");
}

}  // namespace
}  // namespace concord
