#include "state/state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_db.h"
#include "state/sqlite_state_store.h"

namespace concord {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Unwraps a Result in a test, failing loudly with the status when it is an error.
#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const auto& concord_s_ = (expr);                       \
    ASSERT_TRUE(concord_s_.ok()) << concord_s_.ToString(); \
  } while (0)

template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) std::abort();
  return std::move(r).value();
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "concord-state-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/state.db";
    store_ = OpenStore();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<StateStore> OpenStore(int busy_timeout_ms = 5000) {
    StateStore::Options options;
    options.busy_timeout_ms = busy_timeout_ms;
    return Must(StateStore::Open(path_, options));
  }

  // A second, raw connection to the same file (another process, as far as SQLite can tell).
  std::unique_ptr<SqliteDb> RawDb(int busy_timeout_ms = 5000) {
    SqliteDb::Options options;
    options.busy_timeout_ms = busy_timeout_ms;
    return Must(SqliteDb::Open(path_, options, "other"));
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<StateStore> store_;
};

// ---- open and schema ----

TEST_F(StateStoreTest, FreshFileHasCurrentSchemaVersion) {
  auto* sqlite = dynamic_cast<SqliteStateStore*>(store_.get());
  ASSERT_NE(sqlite, nullptr);
  EXPECT_EQ(Must(sqlite->SchemaVersion()), kStateSchemaVersion);
  auto raw = RawDb();
  for (const char* table : {"checkpoints", "xref", "record_state", "pending_acks", "dlq", "parked",
                            "conflicts", "audit", "runs"}) {
    auto n =
        Must(raw->QueryValue("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                             "name = ?1",
                             {Value::Text(table)}));
    EXPECT_EQ(n->int_value(), 1) << table;
  }
}

TEST_F(StateStoreTest, NewFileIsOwnerOnly) {
  namespace fs = std::filesystem;
  for (const std::string suffix : {"", "-wal"}) {
    SCOPED_TRACE(path_ + suffix);
    fs::perms p = fs::status(path_ + suffix).permissions();
    EXPECT_EQ(p & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  }
}

TEST_F(StateStoreTest, MissingDirectoryIsNotCreated) {
  std::string path = dir_ + "/no/such/dir/state.db";
  auto r = StateStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_THAT(r.status().message(),
              StartsWith("state: cannot open \"" + path + "\": directory \""));
  EXPECT_THAT(r.status().message(), HasSubstr("does not exist"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/no"));
}

TEST_F(StateStoreTest, FileThatIsNotADatabaseIsDataLoss) {
  std::string path = dir_ + "/garbage.db";
  std::ofstream(path) << std::string(8192, 'x');
  auto r = StateStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_EQ(r.status().message(), "state: cannot open \"" + path + "\": file is not a database");
}

TEST_F(StateStoreTest, NewerSchemaIsRefused) {
  store_.reset();
  ASSERT_OK(RawDb()->Exec("PRAGMA user_version = 99"));
  auto r = StateStore::Open(path_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith("state: cannot open \"" + path_ + "\": "));
  EXPECT_THAT(r.status().message(), HasSubstr("schema version 99 is newer"));
}

TEST_F(StateStoreTest, MigrationIsIdempotentAcrossOpens) {
  store_.reset();
  for (int i = 0; i < 3; ++i) {
    auto s = OpenStore();
    EXPECT_EQ(Must(dynamic_cast<SqliteStateStore&>(*s).SchemaVersion()), kStateSchemaVersion);
  }
}

TEST(StateStoreMemoryTest, InMemoryStoreWorks) {
  auto s = Must(StateStore::Open(":memory:"));
  ASSERT_OK(s->PutXref("customer", "K1", "erp", "C1"));
  EXPECT_EQ(Must(s->SystemKey("customer", "K1", "erp")), "C1");
}

// ---- checkpoints ----

TEST_F(StateStoreTest, UnknownFlowHasPendingCheckpoint) {
  FlowCheckpoint cp = Must(store_->GetCheckpoint("customer crm->erp"));
  EXPECT_EQ(cp.flow, "customer crm->erp");
  EXPECT_EQ(cp.phase, "pending");
  EXPECT_EQ(cp.last_seq, 0);
  EXPECT_TRUE(Must(store_->AllCheckpoints()).empty());
}

TEST_F(StateStoreTest, CheckpointRoundTripAndReplace) {
  FlowCheckpoint cp;
  cp.flow = "b";
  cp.phase = "snapshot";
  cp.snapshot_after_key = "[\"K9\"]";
  cp.last_seq = std::numeric_limits<int64_t>::max();
  cp.last_applied_ms = 1700000000001;
  cp.last_source_ms = 1700000000002;
  cp.applied_total = 10;
  cp.rejected_total = 2;
  cp.last_run_ms = 1700000000003;
  cp.snapshot_into_empty = true;
  ASSERT_OK(store_->PutCheckpoint(cp));
  FlowCheckpoint got = Must(store_->GetCheckpoint("b"));
  EXPECT_EQ(got.phase, "snapshot");
  EXPECT_TRUE(got.snapshot_into_empty);
  EXPECT_EQ(got.snapshot_after_key, "[\"K9\"]");
  EXPECT_EQ(got.last_seq, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(got.last_applied_ms, 1700000000001);
  EXPECT_EQ(got.last_source_ms, 1700000000002);
  EXPECT_EQ(got.applied_total, 10);
  EXPECT_EQ(got.rejected_total, 2);
  EXPECT_EQ(got.last_run_ms, 1700000000003);

  cp.phase = "streaming";
  cp.snapshot_after_key = "";
  cp.applied_total = 11;
  cp.snapshot_into_empty = false;
  ASSERT_OK(store_->PutCheckpoint(cp));
  FlowCheckpoint a;
  a.flow = "a";
  ASSERT_OK(store_->PutCheckpoint(a));

  auto all = Must(store_->AllCheckpoints());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].flow, "a");
  EXPECT_EQ(all[1].flow, "b");
  EXPECT_EQ(all[1].phase, "streaming");
  EXPECT_EQ(all[1].snapshot_after_key, "");
  EXPECT_EQ(all[1].applied_total, 11);
  EXPECT_FALSE(all[1].snapshot_into_empty);
}

// A copy begun by a concord from before the checkpoint said whether its target was empty
// (schema version 6) resumes as it did then: reading the target.
TEST_F(StateStoreTest, CheckpointsOfAnOlderSchemaResumeReadingTheTarget) {
  FlowCheckpoint cp;
  cp.flow = "a";
  cp.phase = "snapshot";
  cp.snapshot_after_key = "[\"K1\"]";
  cp.snapshot_into_empty = true;
  ASSERT_OK(store_->PutCheckpoint(cp));
  store_.reset();
  {
    auto db = RawDb();
    ASSERT_OK(db->Exec("ALTER TABLE checkpoints DROP COLUMN snapshot_into_empty"));
    ASSERT_OK(db->Exec("PRAGMA user_version = 6"));
  }
  store_ = OpenStore();
  FlowCheckpoint got = Must(store_->GetCheckpoint("a"));
  EXPECT_EQ(got.phase, "snapshot");
  EXPECT_EQ(got.snapshot_after_key, "[\"K1\"]");
  EXPECT_FALSE(got.snapshot_into_empty);
}

TEST_F(StateStoreTest, PollPositionRoundTripsWithTheCheckpoint) {
  FlowCheckpoint cp = Must(store_->GetCheckpoint("p"));
  EXPECT_EQ(cp.position, "");
  cp.position = "[\"2024-01-01 10:00:10.5\",\"B\"]";
  ASSERT_OK(store_->PutCheckpoint(cp));
  EXPECT_EQ(Must(store_->GetCheckpoint("p")).position, cp.position);
  ASSERT_OK(store_->ResetFlow("p"));
  EXPECT_EQ(Must(store_->GetCheckpoint("p")).position, "");
}

TEST_F(StateStoreTest, RecordStateKeysAreThoseSeenInTheSystem) {
  RecordState crm_and_erp;
  crm_and_erp.last_change_ms = {{"crm", 1}, {"erp", 2}};
  RecordState erp_only;
  erp_only.last_change_ms = {{"erp", 3}};
  ASSERT_OK(store_->PutRecordState("customer", "[\"B\"]", crm_and_erp));
  ASSERT_OK(store_->PutRecordState("customer", "[\"A\"]", crm_and_erp));
  ASSERT_OK(store_->PutRecordState("customer", "[\"C\"]", erp_only));
  ASSERT_OK(store_->PutRecordState("order", "[\"A\"]", crm_and_erp));
  EXPECT_EQ(Must(store_->RecordStateKeys("customer", "crm")),
            (std::vector<std::string>{"[\"A\"]", "[\"B\"]"}));
  EXPECT_EQ(Must(store_->RecordStateKeys("customer", "erp")).size(), 3u);
  EXPECT_TRUE(Must(store_->RecordStateKeys("customer", "shop")).empty());
}

TEST_F(StateStoreTest, CheckpointWithoutFlowIsRejected) {
  EXPECT_EQ(store_->PutCheckpoint(FlowCheckpoint{}).code(), Code::kInvalidArgument);
}

TEST_F(StateStoreTest, PendingAcks) {
  ASSERT_OK(store_->AddPendingAcks("f", {5, 3, 9}));
  ASSERT_OK(store_->AddPendingAcks("f", {3, 11}));  // duplicates are ignored
  ASSERT_OK(store_->AddPendingAcks("g", {1}));
  ASSERT_OK(store_->AddPendingAcks("f", {}));
  EXPECT_EQ(Must(store_->PendingAcks("f")), (std::vector<int64_t>{3, 5, 9, 11}));
  ASSERT_OK(store_->ClearPendingAcks("f", {3, 9, 100}));
  EXPECT_EQ(Must(store_->PendingAcks("f")), (std::vector<int64_t>{5, 11}));
  EXPECT_EQ(Must(store_->PendingAcks("g")), (std::vector<int64_t>{1}));
  EXPECT_TRUE(Must(store_->PendingAcks("none")).empty());
}

// ---- xref ----

TEST_F(StateStoreTest, XrefBothDirections) {
  ASSERT_OK(store_->PutXref("customer", "K1", "crm", "17"));
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C00042"));
  ASSERT_OK(store_->PutXref("customer", "K2", "erp", "C00043"));
  ASSERT_OK(store_->PutXref("order", "K1", "erp", "O1"));

  struct Case {
    std::string entity, canonical, system;
    std::optional<std::string> system_key;
  };
  const Case cases[] = {
      {"customer", "K1", "crm", "17"},        {"customer", "K1", "erp", "C00042"},
      {"customer", "K2", "erp", "C00043"},    {"customer", "K2", "crm", std::nullopt},
      {"order", "K1", "erp", "O1"},           {"order", "K1", "crm", std::nullopt},
      {"product", "K1", "erp", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.entity + "/" + c.canonical + "@" + c.system);
    EXPECT_EQ(Must(store_->SystemKey(c.entity, c.canonical, c.system)), c.system_key);
    if (c.system_key) {
      EXPECT_EQ(Must(store_->CanonicalKey(c.entity, c.system, *c.system_key)), c.canonical);
    }
  }
  EXPECT_EQ(Must(store_->CanonicalKey("customer", "crm", "C00042")), std::nullopt);
  EXPECT_EQ(Must(store_->CanonicalKey("order", "erp", "C00042")), std::nullopt);
}

TEST_F(StateStoreTest, XrefReplaceAndDelete) {
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C1"));
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C2"));
  EXPECT_EQ(Must(store_->SystemKey("customer", "K1", "erp")), "C2");
  EXPECT_EQ(Must(store_->CanonicalKey("customer", "erp", "C1")), std::nullopt);
  EXPECT_EQ(Must(store_->CanonicalKey("customer", "erp", "C2")), "K1");

  ASSERT_OK(store_->PutXref("customer", "K1", "crm", "7"));
  ASSERT_OK(store_->DeleteXref("customer", "K1", "erp"));
  EXPECT_EQ(Must(store_->SystemKey("customer", "K1", "erp")), std::nullopt);
  EXPECT_EQ(Must(store_->CanonicalKey("customer", "erp", "C2")), std::nullopt);
  EXPECT_EQ(Must(store_->SystemKey("customer", "K1", "crm")), "7");
  ASSERT_OK(store_->DeleteXref("customer", "K1", "erp"));  // already gone: fine
}

TEST_F(StateStoreTest, XrefKeepsArbitraryBytesOfEncodedKeys) {
  const std::string key = std::string("重要|\x01\"'; DROP TABLE xref; --");
  ASSERT_OK(store_->PutXref("customer", key, "erp", key + "!"));
  EXPECT_EQ(Must(store_->SystemKey("customer", key, "erp")), key + "!");
  EXPECT_EQ(Must(store_->CanonicalKey("customer", "erp", key + "!")), key);
}

// ---- record state ----

TEST_F(StateStoreTest, RecordStateHashesAreLossless) {
  const uint64_t kCases[] = {0,
                             1,
                             (uint64_t{1} << 63) - 1,
                             uint64_t{1} << 63,
                             (uint64_t{1} << 63) + 1,
                             0xdeadbeefcafebabeULL,
                             std::numeric_limits<uint64_t>::max()};
  RecordState st;
  int i = 0;
  for (uint64_t h : kCases) st.field_hashes["f" + std::to_string(i++)] = h;
  st.field_hashes["名称"] = 42;
  st.last_change_ms = {{"crm", 1700000000000}, {"erp", -1}, {"shop", 0}};
  ASSERT_OK(store_->PutRecordState("customer", "K1", st));

  auto got = Must(store_->GetRecordState("customer", "K1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->field_hashes, st.field_hashes);
  EXPECT_EQ(got->last_change_ms, st.last_change_ms);
}

TEST_F(StateStoreTest, RecordStateReplaceDeleteAndEmpty) {
  EXPECT_EQ(Must(store_->GetRecordState("customer", "K1")), std::nullopt);
  RecordState empty;
  ASSERT_OK(store_->PutRecordState("customer", "K1", empty));
  auto got = Must(store_->GetRecordState("customer", "K1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->field_hashes.empty());
  EXPECT_TRUE(got->last_change_ms.empty());

  RecordState st;
  st.field_hashes = {{"name", 7}};
  ASSERT_OK(store_->PutRecordState("customer", "K1", st));
  EXPECT_EQ(Must(store_->GetRecordState("customer", "K1"))->field_hashes, st.field_hashes);
  EXPECT_EQ(Must(store_->GetRecordState("order", "K1")), std::nullopt);

  ASSERT_OK(store_->DeleteRecordState("customer", "K1"));
  EXPECT_EQ(Must(store_->GetRecordState("customer", "K1")), std::nullopt);
}

TEST_F(StateStoreTest, CorruptRecordStateIsDataLoss) {
  struct Case {
    const char* hashes;
    const char* times;
    const char* why;
  };
  const Case cases[] = {
      {"not json", "{}", "field_hashes is not a JSON object"},
      {"[1]", "{}", "field_hashes is not a JSON object"},
      {R"({"a":"123"})", "{}", "hash of \"a\" is not 16 hex digits"},
      {R"({"a":"zzzzzzzzzzzzzzzz"})", "{}", "hash of \"a\" is not 16 hex digits"},
      {R"({"a":5})", "{}", "hash of \"a\" is not 16 hex digits"},
      {"{}", R"({"crm":"x"})", "time of \"crm\" is not an integer"},
      {"{}", "", "last_change_ms is not a JSON object"},
  };
  auto raw = RawDb();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    ASSERT_OK(raw->Run("INSERT OR REPLACE INTO record_state VALUES ('customer', 'K1', ?1, ?2)",
                       {Value::Text(c.hashes), Value::Text(c.times)}));
    auto r = store_->GetRecordState("customer", "K1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kDataLoss);
    EXPECT_THAT(r.status().message(), HasSubstr("record_state of customer \"K1\" is corrupt"));
    EXPECT_THAT(r.status().message(), HasSubstr(c.why));
  }
}

// ---- DLQ ----

DlqEntry MakeDlq(const std::string& flow, const std::string& key, int64_t seq, int64_t at_ms) {
  DlqEntry e;
  e.flow = flow;
  e.entity = "customer";
  e.source_key = key;
  e.op = "update";
  e.seq = seq;
  e.reason = "name: required, found empty";
  e.field = "name";
  e.rule = "required";
  e.record_json = R"({"code":"K1"})";
  e.last_seen_ms = at_ms;
  return e;
}

TEST_F(StateStoreTest, DlqInsertThenUpsert) {
  int64_t id = Must(store_->PutDlq(MakeDlq("f", "K1", 10, 1000)));
  auto first = Must(store_->GetDlq(id));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->flow, "f");
  EXPECT_EQ(first->entity, "customer");
  EXPECT_EQ(first->source_key, "K1");
  EXPECT_EQ(first->op, "update");
  EXPECT_EQ(first->seq, 10);
  EXPECT_EQ(first->reason, "name: required, found empty");
  EXPECT_EQ(first->field, "name");
  EXPECT_EQ(first->rule, "required");
  EXPECT_EQ(first->record_json, R"({"code":"K1"})");
  EXPECT_EQ(first->attempts, 1);
  EXPECT_EQ(first->first_seen_ms, 1000);
  EXPECT_EQ(first->last_seen_ms, 1000);
  EXPECT_EQ(first->status, "open");

  DlqEntry again = MakeDlq("f", "K1", 12, 2000);
  again.op = "delete";
  again.reason = "target: row locked";
  again.field = "";
  again.rule = "target";
  again.record_json = "";
  again.first_seen_ms = 1500;  // ignored for an existing entry: first_seen is kept
  EXPECT_EQ(Must(store_->PutDlq(again)), id);
  ASSERT_EQ(Must(store_->PutDlq(MakeDlq("f", "K1", 13, 3000))), id);
  auto got = Must(store_->GetDlq(id));
  EXPECT_EQ(got->attempts, 3);
  EXPECT_EQ(got->first_seen_ms, 1000);
  EXPECT_EQ(got->last_seen_ms, 3000);
  EXPECT_EQ(got->seq, 13);
  EXPECT_EQ(got->rule, "required");
  EXPECT_EQ(Must(store_->CountOpenDlq("f")), 1);
}

TEST_F(StateStoreTest, DlqFirstSeenWhenGiven) {
  DlqEntry e = MakeDlq("f", "K1", 1, 5000);
  e.first_seen_ms = 4000;
  int64_t id = Must(store_->PutDlq(e));
  auto got = Must(store_->GetDlq(id));
  EXPECT_EQ(got->first_seen_ms, 4000);
  EXPECT_EQ(got->last_seen_ms, 5000);
}

TEST_F(StateStoreTest, DlqResolvedEntryIsNotReused) {
  int64_t id1 = Must(store_->PutDlq(MakeDlq("f", "K1", 1, 1000)));
  ASSERT_OK(store_->SetDlqStatus(id1, "resolved"));
  EXPECT_EQ(Must(store_->OpenDlqFor("f", "K1")), std::nullopt);
  int64_t id2 = Must(store_->PutDlq(MakeDlq("f", "K1", 2, 2000)));
  EXPECT_NE(id1, id2);
  EXPECT_EQ(Must(store_->GetDlq(id2))->attempts, 1);
  EXPECT_EQ(Must(store_->OpenDlqFor("f", "K1"))->id, id2);
  EXPECT_EQ(Must(store_->GetDlq(id1))->status, "resolved");

  // Two open entries for one record would break the upsert: reopening is refused.
  Status s = store_->SetDlqStatus(id1, "open");
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_THAT(s.message(), HasSubstr("is already open"));
  ASSERT_OK(store_->SetDlqStatus(id2, "dismissed"));
  ASSERT_OK(store_->SetDlqStatus(id1, "open"));
  EXPECT_EQ(Must(store_->OpenDlqFor("f", "K1"))->id, id1);
}

TEST_F(StateStoreTest, DlqStatusErrors) {
  int64_t id = Must(store_->PutDlq(MakeDlq("f", "K1", 1, 1000)));
  EXPECT_EQ(store_->SetDlqStatus(id, "closed").code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->SetDlqStatus(id + 100, "resolved").code(), Code::kNotFound);
  EXPECT_EQ(Must(store_->GetDlq(id + 100)), std::nullopt);
  ASSERT_OK(store_->SetDlqStatus(id, "open"));  // unchanged: fine
}

TEST_F(StateStoreTest, DlqListAndCountFilters) {
  int64_t a1 = Must(store_->PutDlq(MakeDlq("a", "K1", 1, 1)));
  int64_t a2 = Must(store_->PutDlq(MakeDlq("a", "K2", 2, 2)));
  int64_t b1 = Must(store_->PutDlq(MakeDlq("b", "K1", 3, 3)));
  int64_t a3 = Must(store_->PutDlq(MakeDlq("a", "K3", 4, 4)));
  ASSERT_OK(store_->SetDlqStatus(a2, "dismissed"));
  ASSERT_OK(store_->SetDlqStatus(b1, "resolved"));

  struct Case {
    std::string flow, status;
    std::vector<int64_t> ids;
  };
  const Case cases[] = {
      {"", "", {a1, a2, b1, a3}},
      {"a", "", {a1, a2, a3}},
      {"", "open", {a1, a3}},
      {"a", "dismissed", {a2}},
      {"b", "open", {}},
      {"b", "resolved", {b1}},
      {"c", "", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("flow=" + c.flow + " status=" + c.status);
    std::vector<int64_t> ids;
    for (const DlqEntry& e : Must(store_->ListDlq(c.flow, c.status))) ids.push_back(e.id);
    EXPECT_EQ(ids, c.ids);
  }
  EXPECT_EQ(Must(store_->CountOpenDlq("a")), 2);
  EXPECT_EQ(Must(store_->CountOpenDlq("b")), 0);
  EXPECT_EQ(Must(store_->CountOpenDlq("")), 2);
}

// ---- parked ----

TEST_F(StateStoreTest, ParkedUpsertKeepsFirstSeen) {
  ParkedChange p;
  p.flow = "order";
  p.source_key = "O1";
  p.seq = 5;
  p.reason = "customer K1 not yet in erp";
  p.first_seen_ms = 1000;
  p.next_attempt_ms = 2000;
  int64_t id = Must(store_->PutParked(p));
  auto got = Must(store_->ParkedFor("order", "O1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->seq, 5);
  EXPECT_EQ(got->reason, "customer K1 not yet in erp");
  EXPECT_EQ(got->first_seen_ms, 1000);
  EXPECT_EQ(got->next_attempt_ms, 2000);
  EXPECT_EQ(got->attempts, 1);

  p.seq = 6;
  p.reason = "still missing";
  p.first_seen_ms = 9999;
  p.next_attempt_ms = 4000;
  EXPECT_EQ(Must(store_->PutParked(p)), id);
  got = Must(store_->ParkedFor("order", "O1"));
  EXPECT_EQ(got->seq, 6);
  EXPECT_EQ(got->reason, "still missing");
  EXPECT_EQ(got->first_seen_ms, 1000);
  EXPECT_EQ(got->next_attempt_ms, 4000);
  EXPECT_EQ(got->attempts, 2);
  EXPECT_EQ(Must(store_->ParkedFor("order", "O2")), std::nullopt);
}

TEST_F(StateStoreTest, DueParkedCountAndDelete) {
  auto park = [&](const std::string& flow, const std::string& key, int64_t next) {
    ParkedChange p;
    p.flow = flow;
    p.source_key = key;
    p.next_attempt_ms = next;
    return Must(store_->PutParked(p));
  };
  int64_t o1 = park("order", "O1", 300);
  int64_t o2 = park("order", "O2", 100);
  int64_t o3 = park("order", "O3", 200);
  park("line", "L1", 0);

  struct Case {
    int64_t now;
    std::vector<int64_t> ids;
  };
  const Case cases[] = {{50, {}}, {100, {o2}}, {250, {o2, o3}}, {1000, {o1, o2, o3}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.now);
    std::vector<int64_t> ids;
    for (const ParkedChange& p : Must(store_->DueParked("order", c.now))) ids.push_back(p.id);
    EXPECT_EQ(ids, c.ids);
  }
  EXPECT_EQ(Must(store_->CountParked("order")), 3);
  EXPECT_EQ(Must(store_->CountParked("")), 4);
  ASSERT_OK(store_->DeleteParked(o2));
  ASSERT_OK(store_->DeleteParked(o2));
  EXPECT_EQ(Must(store_->CountParked("order")), 2);
  EXPECT_EQ(Must(store_->ParkedFor("order", "O2")), std::nullopt);
}

// ---- conflicts ----

ConflictEntry MakeConflict(const std::string& key, int64_t at_ms, const std::string& a_json) {
  ConflictEntry c;
  c.entity = "customer";
  c.canonical_key = key;
  c.system_a = "crm";
  c.system_b = "erp";
  c.values_a_json = a_json;
  c.values_b_json = R"({"phone":"+8613800000000"})";
  c.created_ms = at_ms;
  return c;
}

TEST_F(StateStoreTest, ConflictUpsertResolveAndList) {
  int64_t id = Must(store_->PutConflict(MakeConflict("K1", 1000, R"({"phone":"+861"})")));
  auto got = Must(store_->GetConflict(id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->entity, "customer");
  EXPECT_EQ(got->canonical_key, "K1");
  EXPECT_EQ(got->system_a, "crm");
  EXPECT_EQ(got->system_b, "erp");
  EXPECT_EQ(got->values_a_json, R"({"phone":"+861"})");
  EXPECT_EQ(got->values_b_json, R"({"phone":"+8613800000000"})");
  EXPECT_EQ(got->created_ms, 1000);
  EXPECT_EQ(got->updated_ms, 1000);
  EXPECT_EQ(got->status, "open");
  EXPECT_EQ(got->resolution, "");

  ConflictEntry again = MakeConflict("K1", 0, R"({"phone":"+862"})");
  again.updated_ms = 2000;
  EXPECT_EQ(Must(store_->PutConflict(again)), id);
  got = Must(store_->OpenConflictFor("customer", "K1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->values_a_json, R"({"phone":"+862"})");
  EXPECT_EQ(got->created_ms, 1000);
  EXPECT_EQ(got->updated_ms, 2000);

  int64_t id2 = Must(store_->PutConflict(MakeConflict("K2", 1500, "{}")));
  EXPECT_EQ(Must(store_->CountOpenConflicts("customer")), 2);
  EXPECT_EQ(Must(store_->CountOpenConflicts("")), 2);
  EXPECT_EQ(Must(store_->CountOpenConflicts("order")), 0);

  ASSERT_OK(store_->ResolveConflict(id, "erp", 3000));
  got = Must(store_->GetConflict(id));
  EXPECT_EQ(got->status, "resolved");
  EXPECT_EQ(got->resolution, "erp");
  EXPECT_EQ(got->updated_ms, 3000);
  EXPECT_EQ(Must(store_->OpenConflictFor("customer", "K1")), std::nullopt);
  EXPECT_EQ(Must(store_->CountOpenConflicts("customer")), 1);

  Status twice = store_->ResolveConflict(id, "crm", 4000);
  EXPECT_EQ(twice.code(), Code::kConflict);
  EXPECT_THAT(twice.message(), HasSubstr("already resolved (winner: erp)"));
  EXPECT_EQ(store_->ResolveConflict(id2 + 100, "crm", 4000).code(), Code::kNotFound);
  EXPECT_EQ(Must(store_->GetConflict(id2 + 100)), std::nullopt);

  // A new collision on a resolved record opens a new entry.
  int64_t id3 = Must(store_->PutConflict(MakeConflict("K1", 5000, "{}")));
  EXPECT_NE(id3, id);

  struct Case {
    std::string status;
    std::vector<int64_t> ids;
  };
  const Case cases[] = {{"", {id, id2, id3}}, {"open", {id2, id3}}, {"resolved", {id}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    std::vector<int64_t> ids;
    for (const ConflictEntry& e : Must(store_->ListConflicts(c.status))) ids.push_back(e.id);
    EXPECT_EQ(ids, c.ids);
  }
}

// ---- audit and runs ----

AuditEntry MakeAudit(const std::string& flow, int64_t seq, const std::string& outcome) {
  AuditEntry a;
  a.flow = flow;
  a.entity = "customer";
  a.source_key = "K" + std::to_string(seq);
  a.seq = seq;
  a.op = "update";
  a.outcome = outcome;
  a.at_ms = 1000 + seq;
  return a;
}

TEST_F(StateStoreTest, AuditListAndCount) {
  ASSERT_OK(store_->AddAudit(MakeAudit("a", 1, "applied")));
  ASSERT_OK(store_->AddAudit(MakeAudit("b", 2, "dlq")));
  ASSERT_OK(store_->AddAudit(MakeAudit("a", 3, "applied")));
  ASSERT_OK(store_->AddAudit(MakeAudit("a", 4, "unchanged")));
  ASSERT_OK(store_->AddAudit(MakeAudit("b", 5, "applied")));

  auto all = Must(store_->ListAudit("", 0));
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[1].flow, "b");
  EXPECT_EQ(all[1].entity, "customer");
  EXPECT_EQ(all[1].source_key, "K2");
  EXPECT_EQ(all[1].seq, 2);
  EXPECT_EQ(all[1].op, "update");
  EXPECT_EQ(all[1].outcome, "dlq");
  EXPECT_EQ(all[1].at_ms, 1002);

  struct ListCase {
    std::string flow;
    int64_t limit;
    std::vector<int64_t> seqs;
  };
  const ListCase lists[] = {
      {"", 0, {1, 2, 3, 4, 5}}, {"a", 0, {1, 3, 4}}, {"a", 2, {3, 4}}, {"", 1, {5}},
      {"b", 10, {2, 5}},        {"c", 0, {}},
  };
  for (const ListCase& c : lists) {
    SCOPED_TRACE("flow=" + c.flow + " limit=" + std::to_string(c.limit));
    std::vector<int64_t> seqs;
    for (const AuditEntry& e : Must(store_->ListAudit(c.flow, c.limit))) seqs.push_back(e.seq);
    EXPECT_EQ(seqs, c.seqs);
  }

  struct CountCase {
    std::string flow, outcome;
    int64_t n;
  };
  const CountCase counts[] = {
      {"", "", 5},     {"a", "", 3},          {"a", "applied", 2}, {"", "applied", 3},
      {"b", "dlq", 1}, {"b", "unchanged", 0}, {"c", "", 0},
  };
  for (const CountCase& c : counts) {
    SCOPED_TRACE("flow=" + c.flow + " outcome=" + c.outcome);
    EXPECT_EQ(Must(store_->CountAudit(c.flow, c.outcome)), c.n);
  }
}

// An initial copy's run of records is one entry: its last key and count come back as written,
// and CountAudit counts its records. AddAudits' multi-row path keeps them too.
TEST_F(StateStoreTest, AuditRunsCountTheirRecords) {
  AuditEntry run = MakeAudit("a", 0, "snapshot:applied");
  run.source_key = "K1";
  run.last_key = "K9";
  run.rows = 9;
  ASSERT_OK(store_->AddAudit(run));
  ASSERT_OK(store_->AddAudit(MakeAudit("a", 10, "applied")));
  std::vector<AuditEntry> batch(64, run);
  ASSERT_OK(store_->Begin());
  ASSERT_OK(store_->AddAudits(batch));
  ASSERT_OK(store_->Commit());

  auto listed = Must(store_->ListAudit("a", 0));
  ASSERT_EQ(listed.size(), 66u);
  EXPECT_EQ(listed[0].source_key, "K1");
  EXPECT_EQ(listed[0].last_key, "K9");
  EXPECT_EQ(listed[0].rows, 9);
  EXPECT_EQ(listed[1].last_key, "");
  EXPECT_EQ(listed[1].rows, 1);
  EXPECT_EQ(listed[65].last_key, "K9");
  EXPECT_EQ(listed[65].rows, 9);
  EXPECT_EQ(Must(store_->CountAudit("a", "snapshot:applied")), 65 * 9);
  EXPECT_EQ(Must(store_->CountAudit("a", "")), 65 * 9 + 1);
}

// A state file from before audit runs (schema version 5) keeps its entries: each is one record.
TEST_F(StateStoreTest, AuditEntriesOfAnOlderSchemaAreOneRecordEach) {
  store_.reset();
  {
    auto db = RawDb();
    ASSERT_OK(db->Exec("DROP TABLE audit"));
    ASSERT_OK(db->Exec("CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, flow TEXT NOT "
                       "NULL, entity TEXT NOT NULL, source_key TEXT NOT NULL, seq INTEGER NOT "
                       "NULL, op TEXT NOT NULL, outcome TEXT NOT NULL, at_ms INTEGER NOT NULL)"));
    ASSERT_OK(db->Exec("INSERT INTO audit (flow, entity, source_key, seq, op, outcome, at_ms) "
                       "VALUES ('a', 'customer', 'K1', 0, 'insert', 'snapshot:applied', 1)"));
    ASSERT_OK(db->Exec("ALTER TABLE checkpoints DROP COLUMN snapshot_into_empty"));  // version 7
    ASSERT_OK(db->Exec("PRAGMA user_version = 5"));
  }
  store_ = OpenStore();
  auto listed = Must(store_->ListAudit("a", 0));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].source_key, "K1");
  EXPECT_EQ(listed[0].last_key, "");
  EXPECT_EQ(listed[0].rows, 1);
  EXPECT_EQ(Must(store_->CountAudit("a", "")), 1);
}

// AddAudits writes full multi-row groups and then the rest one by one: every entry, in order, the
// same as AddAudit would; inside a transaction that rolls back, none of them.
TEST_F(StateStoreTest, AddAuditsKeepsEveryEntryInOrder) {
  for (int64_t n : {0, 1, 63, 64, 65, 200}) {
    SCOPED_TRACE("entries=" + std::to_string(n));
    const std::string flow = "f" + std::to_string(n);
    std::vector<AuditEntry> batch;
    for (int64_t i = 1; i <= n; ++i) batch.push_back(MakeAudit(flow, i, i % 2 ? "applied" : "dlq"));
    ASSERT_OK(store_->Begin());
    ASSERT_OK(store_->AddAudits(batch));
    ASSERT_OK(store_->Commit());
    auto listed = Must(store_->ListAudit(flow, 0));
    ASSERT_EQ(listed.size(), batch.size());
    for (size_t i = 0; i < listed.size(); ++i) {
      EXPECT_EQ(listed[i].source_key, batch[i].source_key);
      EXPECT_EQ(listed[i].seq, batch[i].seq);
      EXPECT_EQ(listed[i].outcome, batch[i].outcome);
      EXPECT_EQ(listed[i].at_ms, batch[i].at_ms);
      EXPECT_EQ(listed[i].op, "update");
      EXPECT_EQ(listed[i].entity, "customer");
    }
  }
  std::vector<AuditEntry> batch(130, MakeAudit("gone", 1, "applied"));
  ASSERT_OK(store_->Begin());
  ASSERT_OK(store_->AddAudits(batch));
  store_->Rollback();
  EXPECT_EQ(Must(store_->CountAudit("gone", "")), 0);
}

TEST_F(StateStoreTest, Runs) {
  int64_t r1 = Must(store_->StartRun("run", 1000));
  int64_t r2 = Must(store_->StartRun("check customer", 2000));
  EXPECT_NE(r1, r2);
  ASSERT_OK(store_->FinishRun(r1, "ok", "applied 10, rejected 1", 1500));
  EXPECT_EQ(store_->FinishRun(r2 + 100, "ok", "", 3000).code(), Code::kNotFound);

  auto runs = Must(store_->ListRuns(0));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, r1);
  EXPECT_EQ(runs[0].command, "run");
  EXPECT_EQ(runs[0].started_ms, 1000);
  EXPECT_EQ(runs[0].finished_ms, 1500);
  EXPECT_EQ(runs[0].outcome, "ok");
  EXPECT_EQ(runs[0].summary, "applied 10, rejected 1");
  EXPECT_EQ(runs[1].command, "check customer");
  EXPECT_EQ(runs[1].finished_ms, 0);
  EXPECT_EQ(runs[1].outcome, "");
  auto last = Must(store_->ListRuns(1));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id, r2);
}

// ---- ResetFlow ----

TEST_F(StateStoreTest, ResetFlowForgetsOnlyThatFlowsProgress) {
  for (const std::string flow : {"a", "b"}) {
    FlowCheckpoint cp;
    cp.flow = flow;
    cp.phase = "streaming";
    cp.last_seq = 9;
    ASSERT_OK(store_->PutCheckpoint(cp));
    ASSERT_OK(store_->AddPendingAcks(flow, {1, 2}));
    ParkedChange p;
    p.flow = flow;
    p.source_key = "O1";
    Must(store_->PutParked(p));
    int64_t dismissed = Must(store_->PutDlq(MakeDlq(flow, "K1", 1, 1)));
    ASSERT_OK(store_->SetDlqStatus(dismissed, "dismissed"));
    Must(store_->PutDlq(MakeDlq(flow, "K2", 2, 2)));
    ASSERT_OK(store_->AddAudit(MakeAudit(flow, 1, "applied")));
  }
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C1"));
  ASSERT_OK(store_->PutRecordState("customer", "K1", RecordState{{{"name", 1}}, {}}));

  ASSERT_OK(store_->ResetFlow("a"));

  EXPECT_EQ(Must(store_->GetCheckpoint("a")).phase, "pending");
  EXPECT_TRUE(Must(store_->PendingAcks("a")).empty());
  EXPECT_EQ(Must(store_->CountParked("a")), 0);
  EXPECT_TRUE(Must(store_->ListDlq("a", "")).empty());
  EXPECT_EQ(Must(store_->CountAudit("a", "")), 1);  // history stays

  EXPECT_EQ(Must(store_->GetCheckpoint("b")).phase, "streaming");
  EXPECT_EQ(Must(store_->PendingAcks("b")).size(), 2u);
  EXPECT_EQ(Must(store_->CountParked("b")), 1);
  EXPECT_EQ(Must(store_->ListDlq("b", "")).size(), 2u);
  EXPECT_EQ(Must(store_->SystemKey("customer", "K1", "erp")), "C1");
  EXPECT_TRUE(Must(store_->GetRecordState("customer", "K1")).has_value());
}

TEST_F(StateStoreTest, ResetFlowJoinsTheCallersTransaction) {
  ASSERT_OK(store_->AddPendingAcks("a", {1}));
  ASSERT_OK(store_->Begin());
  ASSERT_OK(store_->ResetFlow("a"));
  EXPECT_TRUE(store_->InTransaction());
  store_->Rollback();
  EXPECT_EQ(Must(store_->PendingAcks("a")), (std::vector<int64_t>{1}));
}

// ---- transactions ----

// Writes one of everything, so atomicity covers every table.
void WriteBatch(StateStore& s, const std::string& flow) {
  ASSERT_OK(s.PutXref("customer", "K1", "erp", "C1"));
  ASSERT_OK(s.PutRecordState("customer", "K1", RecordState{{{"name", 1}}, {{"crm", 5}}}));
  FlowCheckpoint cp;
  cp.flow = flow;
  cp.phase = "streaming";
  cp.last_seq = 7;
  ASSERT_OK(s.PutCheckpoint(cp));
  ASSERT_OK(s.AddPendingAcks(flow, {7}));
  ASSERT_OK(s.AddAudit(MakeAudit(flow, 7, "applied")));
  ASSERT_TRUE(s.PutDlq(MakeDlq(flow, "K2", 6, 1)).ok());
  ParkedChange p;
  p.flow = flow;
  p.source_key = "O1";
  ASSERT_TRUE(s.PutParked(p).ok());
  ASSERT_TRUE(s.PutConflict(MakeConflict("K3", 1, "{}")).ok());
}

// What WriteBatch left behind, as counts of rows (0 everywhere = nothing).
std::vector<int64_t> BatchFootprint(StateStore& s, const std::string& flow) {
  return {
      Must(s.SystemKey("customer", "K1", "erp")).has_value() ? 1 : 0,
      Must(s.GetRecordState("customer", "K1")).has_value() ? 1 : 0,
      Must(s.GetCheckpoint(flow)).phase == "streaming" ? 1 : 0,
      static_cast<int64_t>(Must(s.PendingAcks(flow)).size()),
      Must(s.CountAudit(flow, "")),
      Must(s.CountOpenDlq(flow)),
      Must(s.CountParked(flow)),
      Must(s.CountOpenConflicts("customer")),
  };
}

const std::vector<int64_t> kNothing(8, 0);
const std::vector<int64_t> kEverything(8, 1);

TEST_F(StateStoreTest, RollbackDiscardsEverything) {
  ASSERT_OK(store_->Begin());
  EXPECT_TRUE(store_->InTransaction());
  WriteBatch(*store_, "f");
  EXPECT_EQ(BatchFootprint(*store_, "f"), kEverything);  // visible to its own connection
  store_->Rollback();
  EXPECT_FALSE(store_->InTransaction());
  EXPECT_EQ(BatchFootprint(*store_, "f"), kNothing);
}

TEST_F(StateStoreTest, CommitKeepsEverythingAndOthersSeeOnlyCommitted) {
  auto other = OpenStore();
  ASSERT_OK(store_->Begin());
  WriteBatch(*store_, "f");
  EXPECT_EQ(BatchFootprint(*other, "f"), kNothing);  // not committed yet
  ASSERT_OK(store_->Commit());
  EXPECT_FALSE(store_->InTransaction());
  EXPECT_EQ(BatchFootprint(*other, "f"), kEverything);
  EXPECT_EQ(BatchFootprint(*store_, "f"), kEverything);
}

TEST_F(StateStoreTest, TransactionMisuseIsInternal) {
  Status s = store_->Commit();
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("without Begin"));
  store_->Rollback();  // no-op
  ASSERT_OK(store_->Begin());
  s = store_->Begin();
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("do not nest"));
  EXPECT_TRUE(store_->InTransaction());  // the first transaction is still usable
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C1"));
  ASSERT_OK(store_->Commit());
  EXPECT_EQ(Must(store_->SystemKey("customer", "K1", "erp")), "C1");
}

TEST_F(StateStoreTest, FailedWriteInsideTransactionKeepsItOpen) {
  ASSERT_OK(store_->Begin());
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C1"));
  EXPECT_FALSE(store_->PutCheckpoint(FlowCheckpoint{}).ok());
  EXPECT_TRUE(store_->InTransaction());
  ASSERT_OK(store_->Commit());
  EXPECT_EQ(Must(store_->SystemKey("customer", "K1", "erp")), "C1");
}

TEST_F(StateStoreTest, DestroyingWithOpenTransactionRollsBack) {
  ASSERT_OK(store_->Begin());
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C1"));
  store_.reset();
  store_ = OpenStore();
  EXPECT_EQ(Must(store_->SystemKey("customer", "K1", "erp")), std::nullopt);
}

TEST_F(StateStoreTest, ReopenKeepsEverything) {
  WriteBatch(*store_, "f");
  int64_t run = Must(store_->StartRun("run", 1));
  store_.reset();
  store_ = OpenStore();
  EXPECT_EQ(BatchFootprint(*store_, "f"), kEverything);
  EXPECT_EQ(Must(store_->GetCheckpoint("f")).last_seq, 7);
  EXPECT_EQ(Must(store_->GetRecordState("customer", "K1"))->last_change_ms.at("crm"), 5);
  EXPECT_EQ(Must(store_->ListRuns(0)).at(0).id, run);
}

// ---- locking ----

TEST_F(StateStoreTest, LockHeldByAnotherProcessIsUnavailable) {
  ASSERT_OK(store_->PutXref("customer", "K0", "erp", "C0"));
  store_ = OpenStore(/*busy_timeout_ms=*/50);
  auto holder = RawDb();
  ASSERT_OK(holder->Exec("BEGIN EXCLUSIVE"));
  ASSERT_OK(holder->Exec("INSERT INTO xref VALUES ('customer', 'K9', 'erp', 'C9')"));

  Status begin = store_->Begin();
  EXPECT_EQ(begin.code(), Code::kUnavailable) << begin.ToString();
  EXPECT_TRUE(begin.IsRetryable());
  EXPECT_THAT(begin.message(), StartsWith("state: "));
  EXPECT_FALSE(store_->InTransaction());

  Status put = store_->PutXref("customer", "K1", "erp", "C1");
  EXPECT_EQ(put.code(), Code::kUnavailable) << put.ToString();
  EXPECT_EQ(store_->AddPendingAcks("f", {1}).code(), Code::kUnavailable);
  EXPECT_EQ(store_->PutDlq(MakeDlq("f", "K1", 1, 1)).status().code(), Code::kUnavailable);

  // WAL: readers are not blocked by the writer, and see only committed data.
  EXPECT_EQ(Must(store_->SystemKey("customer", "K0", "erp")), "C0");
  EXPECT_EQ(Must(store_->SystemKey("customer", "K9", "erp")), std::nullopt);
  // Opening a migrated file needs no write lock, so `concord dlq list` works during a run.
  auto reader = OpenStore(/*busy_timeout_ms=*/50);
  EXPECT_EQ(Must(reader->SystemKey("customer", "K0", "erp")), "C0");

  ASSERT_OK(holder->Exec("COMMIT"));
  ASSERT_OK(store_->Begin());
  ASSERT_OK(store_->PutXref("customer", "K1", "erp", "C1"));
  ASSERT_OK(store_->Commit());
  EXPECT_EQ(Must(store_->SystemKey("customer", "K9", "erp")), "C9");
}

// ---- statement cache ----

TEST_F(StateStoreTest, StatementCacheStaysBounded) {
  auto& sqlite = dynamic_cast<SqliteStateStore&>(*store_);
  auto round = [&](int i) {
    std::string k = "K" + std::to_string(i);
    ASSERT_OK(store_->Begin());
    ASSERT_OK(store_->PutXref("customer", k, "erp", "C" + k));
    ASSERT_OK(store_->AddAudit(MakeAudit("f", i, "applied")));
    ASSERT_OK(store_->AddPendingAcks("f", {i}));
    ASSERT_OK(store_->Commit());
    EXPECT_EQ(Must(store_->SystemKey("customer", k, "erp")), "C" + k);
    Must(store_->ListDlq("f", i % 2 ? "open" : ""));
  };
  round(0);
  round(1);
  size_t after_warmup = sqlite.CachedStatements();
  for (int i = 2; i < 200; ++i) round(i);
  EXPECT_EQ(sqlite.CachedStatements(), after_warmup);
  EXPECT_EQ(Must(store_->CountAudit("f", "applied")), 200);
}

}  // namespace
}  // namespace concord

// ---- check memo ----

namespace concord {
namespace {

TEST_F(StateStoreTest, CheckMemoKeepsBucketsReplacesSomeAndDropsUnused) {
  EXPECT_FALSE(Must(store_->GetCheckMemo("customer@crm#1")).has_value());
  std::string binary("\0\x01\xff blob", 8);
  ASSERT_OK(store_->PutCheckMemo("customer@crm#1", {"fp1", 4, 1000},
                                 {{0, "a"}, {1, binary}, {2, "c"}, {3, "d"}}, true));
  ASSERT_OK(store_->PutCheckMemo("customer@erp#1", {"fp2", 2, 5000}, {{0, "x"}, {1, "y"}}, true));
  auto header = Must(store_->GetCheckMemo("customer@crm#1"));
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->fingerprint, "fp1");
  EXPECT_EQ(header->buckets, 4u);
  auto buckets = [&](const std::string& name) {
    std::map<uint32_t, std::string> out;
    EXPECT_TRUE(store_
                    ->ForEachCheckMemoBucket(
                        name, [&](uint32_t b, std::string_view data) { out[b] = data; })
                    .ok());
    return out;
  };
  EXPECT_EQ(buckets("customer@crm#1"),
            (std::map<uint32_t, std::string>{{0, "a"}, {1, binary}, {2, "c"}, {3, "d"}}));
  // Some buckets replaced, the others kept; a full write replaces them all.
  ASSERT_OK(store_->PutCheckMemo("customer@crm#1", {"fp1", 4, 2000}, {{2, "C"}}, false));
  EXPECT_EQ(buckets("customer@crm#1"),
            (std::map<uint32_t, std::string>{{0, "a"}, {1, binary}, {2, "C"}, {3, "d"}}));
  ASSERT_OK(store_->PutCheckMemo("customer@crm#1", {"fp3", 2, 3000}, {{0, "A"}, {1, "B"}}, true));
  EXPECT_EQ(buckets("customer@crm#1"), (std::map<uint32_t, std::string>{{0, "A"}, {1, "B"}}));
  EXPECT_EQ(Must(store_->GetCheckMemo("customer@crm#1"))->fingerprint, "fp3");
  // Unused since before 4000: the crm memo (last written at 3000) goes, the erp one stays.
  ASSERT_OK(store_->DropCheckMemosUnusedSince(4000));
  EXPECT_FALSE(Must(store_->GetCheckMemo("customer@crm#1")).has_value());
  EXPECT_TRUE(buckets("customer@crm#1").empty());
  EXPECT_EQ(buckets("customer@erp#1").size(), 2u);
}

}  // namespace
}  // namespace concord
