// Poll capture through the FlowRunner against real SQLite files, step by step with a ManualClock:
// the hold-back window (a row committed late with an older updated_at is still read), the
// watermark (kept in the state checkpoint, moved only once the hold-back has passed), deletes
// seen by the key scan, and concord's own writes recognised by the agreed hashes.
#include "engine/poll_capture.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"
#include "engine/flow_runner.h"

namespace concord {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr const char* kPoll = "customer:crm->erp";
constexpr const char* kBack = "customer:erp->crm";

std::string PollConfig(const std::string& flows) {
  return R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true}
      name: {type: string, required: true}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    capture: poll
    poll: {column: updated_at, hold_back_s: 10, key_scan_interval_s: 60}
    fields: {code: account_no, name: account_name}
  erp.customer:
    table: customers
    key: cust_code
    fields: {code: cust_code, name: cust_name}
flows:
)" + flows;
}

class PollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/concord-poll-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // The application bumps updated_at itself (a trigger here, code elsewhere): concord's own
    // writes into crm bump it too, as they would in a real system.
    Sql("crm.db",
        "CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, "
        "updated_at TEXT NOT NULL);"
        "CREATE TRIGGER bump AFTER UPDATE OF account_name ON accounts BEGIN "
        "UPDATE accounts SET updated_at = '2024-06-01 00:00:00' WHERE account_no = "
        "NEW.account_no; END;");
    Sql("erp.db", "CREATE TABLE customers (cust_code TEXT PRIMARY KEY, cust_name TEXT NOT NULL)");
  }
  void TearDown() override {
    runners_.clear();
    pool_.reset();
    state_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs SQL on one system's file (as the application would); returns rows as "a|b\n", sorted.
  std::string Sql(const std::string& file, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ + "/" + file).c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    std::vector<std::string> rows;
    auto collect = [](void* out, int n, char** values, char**) {
      std::string line;
      for (int i = 0; i < n; ++i) line += std::string(i ? "|" : "") + (values[i] ? values[i] : "NULL");
      static_cast<std::vector<std::string>*>(out)->push_back(line);
      return 0;
    };
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), collect, &rows, &err), SQLITE_OK)
        << (err ? err : "") << "\n" << sql;
    sqlite3_free(err);
    sqlite3_close(db);
    std::sort(rows.begin(), rows.end());
    std::string out;
    for (const auto& r : rows) out += r + "\n";
    return out;
  }

  void Load(const std::string& flows) {
    std::vector<ConfigError> errors;
    auto spec = LoadConfigString(PollConfig(flows), "concord.yaml", dir_, &errors);
    std::string all;
    for (const auto& e : errors) all += e.ToString() + "\n";
    ASSERT_TRUE(spec.ok()) << spec.status().ToString() << "\n" << all;
    spec_ = std::make_unique<ConfigSpec>(std::move(spec).value());
    StateStore::Options options;
    options.synchronous_full = false;
    auto state = StateStore::Open(spec_->state_path, options);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(state).value();
    for (const auto& [name, b] : spec_->bindings) {
      mappers_[name] = std::make_unique<BindingMapper>(spec_->entities.at(b.entity), b);
    }
    pool_ = std::make_unique<SystemPool>(*spec_);
    for (const FlowSpec& f : spec_->flows) {
      runners_[f.Id()] =
          std::make_unique<FlowRunner>(*spec_, f, pool_.get(), state_.get(), &mappers_, &clock_);
    }
  }

  int64_t Step(const std::string& id) {
    auto r = runners_.at(id)->Step(true);
    EXPECT_TRUE(r.ok()) << id << ": " << r.status().ToString();
    return r.ok() ? *r : -1;
  }
  std::string Position(const std::string& id) {
    auto cp = state_->GetCheckpoint(id);
    EXPECT_TRUE(cp.ok());
    return cp.ok() ? cp->position : "";
  }
  std::string Customers() { return Sql("erp.db", "SELECT cust_code, cust_name FROM customers"); }

  std::string dir_;
  ManualClock clock_{kT0};
  std::unique_ptr<ConfigSpec> spec_;
  std::unique_ptr<StateStore> state_;
  MapperSet mappers_;
  std::unique_ptr<SystemPool> pool_;
  std::map<std::string, std::unique_ptr<FlowRunner>> runners_;
};

TEST_F(PollTest, RowCommittedLateWithOlderChangeValueIsReadWithinTheHoldBack) {
  Sql("crm.db",
      "INSERT INTO accounts VALUES ('A', 'Alpha', '2024-01-01 10:00:05'), "
      "('B', 'Beta', '2024-01-01 10:00:10')");
  Load(std::string("  - {entity: customer, from: crm, to: erp}\n"));
  EXPECT_EQ(Step(kPoll), 2);  // the initial copy
  Step(kPoll);                // snapshot done; the first pass finds both unchanged
  EXPECT_EQ(Step(kPoll), 0) << "rows already run are not run again";
  EXPECT_EQ(Customers(), "A|Alpha\nB|Beta\n");
  EXPECT_EQ(Position(kPoll), "") << "nothing has been seen for hold_back_s yet";

  // A transaction that began before B's committed after it: its updated_at is older than
  // everything the last pass read.
  clock_.Advance(3000);
  Sql("crm.db", "INSERT INTO accounts VALUES ('C', 'Gamma', '2024-01-01 10:00:01')");
  EXPECT_EQ(Step(kPoll), 1);
  EXPECT_EQ(Customers(), "A|Alpha\nB|Beta\nC|Gamma\n");

  // Once a whole pass has started hold_back_s after B was seen, the watermark moves to B, in the
  // state checkpoint.
  clock_.Advance(11000);
  Step(kPoll);
  clock_.Advance(1000);
  Step(kPoll);
  EXPECT_EQ(Position(kPoll), EncodeKey({Value::Text("2024-01-01 10:00:10"), Value::Text("B")}));

  // Later writes are read from the watermark on.
  Sql("crm.db", "UPDATE accounts SET account_name = 'Alpha 2' WHERE account_no = 'A'");
  EXPECT_EQ(Step(kPoll), 1);
  EXPECT_EQ(Customers(), "A|Alpha 2\nB|Beta\nC|Gamma\n");
  auto applied = state_->CountAudit(kPoll, "applied");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 2) << "C and A's update; nothing else was written twice";
}

TEST_F(PollTest, KeyScanDeletesRowsGoneFromTheSourceOnly) {
  Sql("crm.db",
      "INSERT INTO accounts VALUES ('A', 'Alpha', '2024-01-01 10:00:05'), "
      "('B', 'Beta', '2024-01-01 10:00:10')");
  Load(std::string("  - {entity: customer, from: crm, to: erp}\n"));
  Step(kPoll);
  Step(kPoll);
  Sql("erp.db", "INSERT INTO customers VALUES ('E', 'ERP only')");  // never seen in crm
  Sql("crm.db", "DELETE FROM accounts WHERE account_no = 'B'");
  Step(kPoll);
  EXPECT_EQ(Customers(), "A|Alpha\nB|Beta\nE|ERP only\n") << "the key scan is not due yet";
  clock_.Advance(61000);
  EXPECT_EQ(Step(kPoll), 1);
  EXPECT_EQ(Customers(), "A|Alpha\nE|ERP only\n");
}

TEST_F(PollTest, ConcordsOwnWriteComingBackIsNotSentBackOverANewerValue) {
  Sql("crm.db", "INSERT INTO accounts VALUES ('A', 'Alpha', '2024-01-01 10:00:05')");
  Load(std::string("  - {entity: customer, from: crm, to: erp}\n"
                   "  - {entity: customer, from: erp, to: crm}\n"));
  Step(kPoll);
  Step(kPoll);
  Step(kBack);
  Step(kBack);
  // The ERP renames A; concord copies it into crm (whose trigger bumps updated_at).
  Sql("erp.db", "UPDATE customers SET cust_name = 'Alpha (ERP)' WHERE cust_code = 'A'");
  EXPECT_EQ(Step(kBack), 1);
  EXPECT_EQ(Sql("crm.db", "SELECT account_name FROM accounts"), "Alpha (ERP)\n");
  // The ERP renames it again before crm is polled: the polled row holds concord's own write.
  Sql("erp.db", "UPDATE customers SET cust_name = 'Alpha v3' WHERE cust_code = 'A'");
  Step(kPoll);
  EXPECT_EQ(Customers(), "A|Alpha v3\n") << "concord's own write must not come back";
  auto unchanged = state_->CountAudit(kPoll, "unchanged");
  ASSERT_TRUE(unchanged.ok());
  EXPECT_GE(*unchanged, 1);
  // Once the ERP's pending rename has reached crm, a real crm change travels again.
  EXPECT_EQ(Step(kBack), 1);
  Sql("crm.db", "UPDATE accounts SET account_name = 'Alpha CRM' WHERE account_no = 'A'");
  Step(kPoll);
  EXPECT_EQ(Customers(), "A|Alpha CRM\n");
}

TEST(PollConfig, PollNeedsAColumnAndOnlyGoesWithCapturePoll) {
  std::vector<ConfigError> errors;
  std::string yaml = PollConfig("  - {entity: customer, from: crm, to: erp}\n");
  std::string no_poll = yaml;
  size_t at = no_poll.find("    poll: {");
  no_poll.erase(at, no_poll.find('\n', at) - at + 1);
  auto spec = LoadConfigString(no_poll, "concord.yaml", "/nonexistent", &errors);
  ASSERT_FALSE(spec.ok());
  std::string all;
  for (const auto& e : errors) all += e.ToString() + "\n";
  EXPECT_NE(all.find("capture: poll needs a change column"), std::string::npos) << all;

  errors.clear();
  std::string trigger = yaml;
  trigger.replace(trigger.find("capture: poll"), 13, "capture: trigger");
  spec = LoadConfigString(trigger, "concord.yaml", "/nonexistent", &errors);
  ASSERT_FALSE(spec.ok());
  all.clear();
  for (const auto& e : errors) all += e.ToString() + "\n";
  EXPECT_NE(all.find("poll is only read with capture: poll"), std::string::npos) << all;

  errors.clear();
  std::string bad = yaml;
  bad.replace(bad.find("hold_back_s: 10"), 15, "hold_bak_s: 10");
  spec = LoadConfigString(bad, "concord.yaml", "/nonexistent", &errors);
  ASSERT_FALSE(spec.ok());
  all.clear();
  for (const auto& e : errors) all += e.ToString() + "\n";
  EXPECT_NE(all.find("hold_back_s"), std::string::npos) << all;
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// `concord status` of a polled flow: the rows after the durable watermark (an upper bound: rows
// in the hold-back window count too), counted up to a cap.
TEST_F(PollTest, BacklogCountsTheRowsAfterTheWatermark) {
  Sql("crm.db",
      "INSERT INTO accounts VALUES ('A', 'Alpha', '2024-01-01 10:00:05'), "
      "('B', 'Beta', '2024-01-01 10:00:10'), ('C', 'Gamma', '2024-01-01 10:00:20'), "
      "('D', 'Delta', '2024-01-01 10:00:20')");
  Load(std::string("  - {entity: customer, from: crm, to: erp}\n"));
  auto backlog = runners_.at(kPoll)->Backlog();
  ASSERT_TRUE(backlog.ok()) << backlog.status().ToString();
  EXPECT_EQ(backlog->count, 4) << "nothing is behind the watermark yet";
  EXPECT_FALSE(backlog->at_least);
  // The watermark at B: C and D are after it (D has C's change value, and a later key).
  auto cp = state_->GetCheckpoint(kPoll);
  ASSERT_TRUE(cp.ok());
  cp->flow = kPoll;
  cp->position = EncodeKey({Value::Text("2024-01-01 10:00:10"), Value::Text("B")});
  ASSERT_TRUE(state_->PutCheckpoint(*cp).ok());
  backlog = runners_.at(kPoll)->Backlog();
  ASSERT_TRUE(backlog.ok()) << backlog.status().ToString();
  EXPECT_EQ(backlog->count, 2);
  // Counting stops at the cap, and says so.
  auto crm = pool_->Get("crm");
  ASSERT_TRUE(crm.ok());
  auto capped = PollBacklog((*crm)->source(), *mappers_.at("crm.customer"), "updated_at", "", 3);
  ASSERT_TRUE(capped.ok()) << capped.status().ToString();
  EXPECT_EQ(capped->count, 3);
  EXPECT_TRUE(capped->at_least);
  auto exact = PollBacklog((*crm)->source(), *mappers_.at("crm.customer"), "updated_at", "", 4);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->count, 4);
  EXPECT_FALSE(exact->at_least);
}

}  // namespace
}  // namespace concord
