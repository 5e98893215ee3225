// Tests of the postgres connector's `capture: logical` against a real PostgreSQL server that this
// binary starts (tests/servers/postgres.sh, which runs it with wal_level = logical), and of the
// pgoutput decoder on bytes built here. Each test gets a fresh database; "the application" is a
// separate libpq connection. Replication slots are cluster-wide: every test drops its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/capture_conformance.h"
#include "connectors/postgres/pg_logical.h"
#include "connectors/postgres/postgres_connector.h"
#include "connectors/postgres/postgres_test_env.h"

namespace concord {

void PrintTo(const Value& v, std::ostream* os) {
  *os << ValueKindName(v.kind()) << ":" << v.ToString();
}

namespace {

using concord::testing::I;
using concord::testing::T;
using concord::testing::Upsert;
using postgres_connector::LogicalSlotName;
using postgres_connector::OriginName;
using postgres_connector::ParsePgOutput;
using postgres_connector::SystemOfOrigin;
using postgres_testing::Client;
using postgres_testing::g_server;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Ops(const std::vector<SourceChange>& changes) {
  std::string out;
  for (const SourceChange& c : changes) {
    if (!out.empty()) out += " ";
    out += std::string(ChangeOpName(c.op)) + EncodeKey(c.key);
  }
  return out;
}

class PostgresLogicalTest : public postgres_testing::PostgresDatabaseTest {
 protected:
  PostgresLogicalTest() : PostgresDatabaseTest("l", "logical") {}

  void TearDown() override {
    conn_.reset();
    app_.reset();
    if (g_server) {
      Client admin(g_server->url());
      // A slot is released when its walsender notices the closed connection: retry briefly.
      for (int i = 0; i < 50; ++i) {
        std::string err = admin.Try(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE database = '" +
            db_ + "'");
        if (err.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    PostgresDatabaseTest::TearDown();  // drops the database
  }

  // Reads until at least `n` changes are pending (waiting on the stream between reads), then
  // returns them all; fails after 10 s.
  std::vector<SourceChange> ReadN(Connection* c, const TableRef& t, std::string_view consumer,
                                  size_t n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<SourceChange> got;
    while (true) {
      auto r = c->source()->ReadChanges(t, consumer, 10000);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return {};
      got = *r;
      if (got.size() >= n || std::chrono::steady_clock::now() > until) break;
      c->source()->WaitForChanges(50);
    }
    EXPECT_EQ(got.size(), n) << Ops(got);
    return got;
  }
  std::vector<SourceChange> ReadN(const TableRef& t, std::string_view consumer, size_t n) {
    return ReadN(conn_.get(), t, consumer, n);
  }
  // What a read finds after the stream had time to deliver anything pending.
  std::vector<SourceChange> Settle(Connection* c, const TableRef& t, std::string_view consumer) {
    for (int i = 0; i < 10; ++i) c->source()->WaitForChanges(50);
    auto r = c->source()->ReadChanges(t, consumer, 10000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<SourceChange>{};
  }

  void Ack(Connection* c, std::string_view consumer, const std::vector<SourceChange>& changes) {
    std::vector<int64_t> seqs;
    for (const auto& ch : changes) seqs.push_back(ch.seq);
    Status s = c->source()->AckChanges(consumer, seqs);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string Slot(std::string_view consumer) { return LogicalSlotName(db_, consumer); }
  int64_t Slots() {
    return std::stoll(Scalar("SELECT count(*) FROM pg_replication_slots WHERE database = '" +
                             db_ + "'"));
  }
  int64_t Publications() { return std::stoll(Scalar("SELECT count(*) FROM pg_publication")); }
};

// --- pure functions ---

TEST(LogicalNamesTest, SlotNamesAreShortSafeAndDistinct) {
  std::string a = LogicalSlotName("crm", "customer:crm->erp");
  EXPECT_THAT(a, StartsWith("concord_customer_crm_erp_"));
  std::string long_name = LogicalSlotName("crm", std::string(200, 'X') + "é");
  EXPECT_LE(long_name.size(), 63u);
  for (char c : long_name) {
    EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << long_name;
  }
  EXPECT_NE(LogicalSlotName("crm", "a:b"), LogicalSlotName("crm", "a-b"));
  EXPECT_NE(LogicalSlotName("crm", "a"), LogicalSlotName("erp", "a"));
  EXPECT_EQ(SystemOfOrigin(OriginName("erp")), "erp");
  EXPECT_EQ(SystemOfOrigin(OriginName("erp", 3)), "erp");
  EXPECT_EQ(SystemOfOrigin("concord:shop#eu"), "shop#eu");
  EXPECT_EQ(SystemOfOrigin("pg_16384"), "");
}

std::string Be(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

TEST(PgOutputTest, ParsesTheMessagesTheReaderUses) {
  std::string rel = "R" + Be(16384, 4) + std::string("public\0accounts\0", 16) + "d" + Be(2, 2) +
                    "\x01" + std::string("id\0", 3) + Be(23, 4) + Be(0xffffffff, 4) + '\0' +
                    std::string("name\0", 5) + Be(25, 4) + Be(0xffffffff, 4);
  auto r = ParsePgOutput(rel);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->relation.id, 16384u);
  EXPECT_EQ(r->relation.schema, "public");
  EXPECT_EQ(r->relation.name, "accounts");
  ASSERT_EQ(r->relation.columns.size(), 2u);
  EXPECT_TRUE(r->relation.columns[0].key);
  EXPECT_EQ(r->relation.columns[1].name, "name");
  EXPECT_EQ(r->relation.columns[1].type, 25u);

  std::string upd = "U" + Be(16384, 4) + "K" + Be(2, 2) + "t" + Be(1, 4) + "7" + "n" + "N" +
                    Be(2, 2) + "t" + Be(1, 4) + "8" + "u";
  r = ParsePgOutput(upd);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->old_kind, 'K');
  EXPECT_EQ(r->old_tuple[0].text, "7");
  EXPECT_EQ(r->old_tuple[1].kind, 'n');
  EXPECT_EQ(r->new_tuple[0].text, "8");
  EXPECT_EQ(r->new_tuple[1].kind, 'u');

  r = ParsePgOutput("C" + std::string(1, '\0') + Be(100, 8) + Be(120, 8) + Be(5, 8));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->commit_lsn, 100u);
  EXPECT_EQ(r->end_lsn, 120u);
  r = ParsePgOutput("O" + Be(1, 8) + std::string("concord:erp\0", 12));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->origin, "concord:erp");

  // Cut short: DataLoss, never a guess.
  r = ParsePgOutput(upd.substr(0, upd.size() - 4));
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
}

// --- against the server ---

TEST_F(PostgresLogicalTest, CapturesInsertUpdateDeleteAndKeyChanges) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  EXPECT_EQ(Slots(), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_publication_tables WHERE pubname = '" + Slot("f1") +
                   "' AND tablename = 'accounts'"),
            "1");
  App("INSERT INTO accounts VALUES ('A1', 'Acme', 'gold')");
  App("INSERT INTO accounts VALUES ('A2', 'Beta', NULL)");
  App("UPDATE accounts SET name = 'Acme Corp' WHERE account_no = 'A1'");
  App("DELETE FROM accounts WHERE account_no = 'A2'");
  App("UPDATE accounts SET account_no = 'A9' WHERE account_no = 'A1'");
  auto changes = ReadN(accounts_, "f1", 6);
  EXPECT_EQ(Ops(changes),
            "insert[\"A1\"] insert[\"A2\"] update[\"A1\"] delete[\"A2\"] delete[\"A1\"] "
            "insert[\"A9\"]");
  // Images are the rows as they are now (key + current image, as trigger capture).
  ASSERT_EQ(changes.size(), 6u);
  EXPECT_FALSE(changes[0].row.has_value());  // A1 became A9
  ASSERT_TRUE(changes[5].row.has_value());
  EXPECT_EQ(changes[5].row->at("name"), T("Acme Corp"));
  EXPECT_EQ(changes[5].row->at("level"), T("gold"));
  for (const SourceChange& c : changes) {
    EXPECT_EQ(c.origin, "");
    EXPECT_GT(c.at_ms, 1600000000000);
  }
  // Seqs are unique (the key change's delete and insert share a WAL record).
  std::set<int64_t> seqs;
  for (const SourceChange& c : changes) seqs.insert(c.seq);
  EXPECT_EQ(seqs.size(), changes.size());

  // Reading does not consume; acknowledging does.
  EXPECT_EQ(ReadN(accounts_, "f1", 6).size(), 6u);
  Ack(conn_.get(), "f1", changes);
  EXPECT_TRUE(Settle(conn_.get(), accounts_, "f1").empty());
}

TEST_F(PostgresLogicalTest, WaitForChangesWakesWhenDataArrives) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  EXPECT_TRUE(Settle(conn_.get(), accounts_, "f1").empty());  // streaming now
  EXPECT_EQ(source()->WaitForChanges(10), Source::WakeUp::kTimedOut);
  App("INSERT INTO accounts VALUES ('A1', 'Acme', 'gold')");
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  Source::WakeUp w = Source::WakeUp::kTimedOut;
  while (w != Source::WakeUp::kChanged && std::chrono::steady_clock::now() < until) {
    w = source()->WaitForChanges(20);
  }
  EXPECT_EQ(w, Source::WakeUp::kChanged);
  EXPECT_EQ(ReadN(accounts_, "f1", 1).size(), 1u);
}

TEST_F(PostgresLogicalTest, KeysOfEveryTypeEqualTriggerCaptures) {
  App("CREATE TABLE k(n numeric(20,6), at timestamptz, u uuid, d date, b bytea, f boolean, "
      "c char(3), i bigint, v text, PRIMARY KEY(n, at, u, d, b, f, c, i))");
  TableRef trig{"k", {"n", "at", "u", "d", "b", "f", "c", "i"}, {"n", "at", "u", "d", "b", "f", "c", "i", "v"}};
  TableRef logi = trig;
  logi.capture = "logical";
  ASSERT_TRUE(source()->InstallCapture(trig, "trig").ok());
  ASSERT_TRUE(source()->InstallCapture(logi, "logi").ok());
  // The application's own TimeZone and DateStyle must not matter.
  App("SET TimeZone = 'Asia/Shanghai'; SET DateStyle = 'SQL, DMY'; "
      "INSERT INTO k VALUES (12345678901234.5, '2023-06-01 16:30:00.123456+08', "
      "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2023-06-01', '\\x00ff27', true, 'ab', "
      "-9223372036854775808, 'x')");
  App("UPDATE k SET v = 'y'");
  App("DELETE FROM k");  // the key comes from the stream alone: the row is gone
  auto l = ReadN(logi, "logi", 3);
  auto t = source()->ReadChanges(trig, "trig", 100);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 3u);
  ASSERT_EQ(l.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(l[i].op, (*t)[i].op) << i;
    EXPECT_EQ(l[i].key, (*t)[i].key) << i << ": " << EncodeKey(l[i].key) << " vs "
                                     << EncodeKey((*t)[i].key);
    EXPECT_EQ(l[i].row, (*t)[i].row) << i;
  }
  EXPECT_EQ(EncodeKey(l[2].key), EncodeKey((*t)[2].key));
  EXPECT_EQ(l[0].key[0], T("12345678901234.500000"));
  EXPECT_EQ(l[0].key[1], T("2023-06-01T08:30:00.123456Z"));
  EXPECT_EQ(l[0].key[4], Value::Blob(std::string("\0\xff'", 3)));
  EXPECT_EQ(l[0].key[5], I(1));
}

TEST_F(PostgresLogicalTest, LargeUnchangedValuesAreNotLost) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  // A value stored out of line (TOAST) that an update does not touch is not in the stream.
  App("INSERT INTO accounts VALUES ('A1', repeat(md5('x'), 4000), 'gold')");
  App("UPDATE accounts SET level = 'silver'");
  auto changes = ReadN(accounts_, "f1", 2);
  ASSERT_EQ(changes.size(), 2u);
  ASSERT_TRUE(changes[1].row.has_value());
  EXPECT_EQ(changes[1].row->at("name").ToString().size(), 32u * 4000);
  EXPECT_EQ(changes[1].row->at("level"), T("silver"));
}

TEST_F(PostgresLogicalTest, OwnWritesCarryTheirOrigin) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  TableRef plain = accounts_;
  plain.capture = "";
  auto r = conn_->sink()->Apply(plain, {Upsert({T("E1")}, {{"name", T("from erp")}})}, "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  App("INSERT INTO accounts VALUES ('A1', 'app', NULL)");
  r = conn_->sink()->Apply(plain, {Upsert({T("S1")}, {{"name", T("from shop")}})}, "shop");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto changes = ReadN(accounts_, "f1", 3);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].origin, "erp");
  EXPECT_EQ(changes[1].origin, "");
  EXPECT_EQ(changes[2].origin, "shop");
  // Another session writing for the same source takes a second origin of the same system.
  auto other = Open();
  r = other->sink()->Apply(plain, {Upsert({T("S2")}, {{"name", T("again")}})}, "shop");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  changes = ReadN(accounts_, "f1", 4);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[3].origin, "shop");
}

TEST_F(PostgresLogicalTest, AckedPositionSurvivesARestartAndUnackedChangesComeAgain) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("INSERT INTO accounts VALUES ('A1', 'a', NULL)");
  App("INSERT INTO accounts VALUES ('A2', 'b', NULL)");
  App("INSERT INTO accounts VALUES ('A3', 'c', NULL)");
  auto changes = ReadN(accounts_, "f1", 3);
  ASSERT_EQ(changes.size(), 3u);
  Ack(conn_.get(), "f1", {changes[0], changes[1]});

  // A new process (connection): streaming resumes right after the acknowledged position.
  conn_.reset();
  conn_ = Open();
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());  // idempotent
  EXPECT_EQ(Slots(), 1);
  auto again = ReadN(accounts_, "f1", 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].seq, changes[2].seq);
  EXPECT_EQ(again[0].key, changes[2].key);

  // Not acknowledged: delivered again after the next restart, with the same seq.
  App("INSERT INTO accounts VALUES ('A4', 'd', NULL)");
  auto more = ReadN(accounts_, "f1", 2);
  conn_.reset();
  conn_ = Open();
  auto redelivered = ReadN(accounts_, "f1", 2);
  ASSERT_EQ(redelivered.size(), 2u);
  EXPECT_EQ(redelivered[0].seq, more[0].seq);
  EXPECT_EQ(redelivered[1].seq, more[1].seq);

  // The engine's pending acks (applied before a crash, not yet acknowledged) are acknowledged
  // before the stream starts: those changes are not delivered again.
  conn_.reset();
  conn_ = Open();
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  Ack(conn_.get(), "f1", {more[0]});
  auto rest = ReadN(accounts_, "f1", 1);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].seq, more[1].seq);
  Ack(conn_.get(), "f1", rest);
  EXPECT_TRUE(Settle(conn_.get(), accounts_, "f1").empty());
  conn_.reset();
  conn_ = Open();
  EXPECT_TRUE(Settle(conn_.get(), accounts_, "f1").empty());
}

TEST_F(PostgresLogicalTest, BacklogShowsSlotLagAndRetainedWalAndWarns) {
  conn_ = Open({{"max_retained_wal", "1kB"}});
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("INSERT INTO accounts SELECT 'A' || g, 'n', NULL FROM generate_series(1, 100) g");
  auto b = source()->PendingChanges("f1");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->slot, Slot("f1"));
  EXPECT_GT(b->slot_lag_bytes, 0);
  EXPECT_GE(b->retained_bytes, b->slot_lag_bytes);
  EXPECT_TRUE(b->at_least);
  EXPECT_THAT(b->warning, HasSubstr("more than max_retained_wal (1.0 kB)"));

  auto changes = ReadN(accounts_, "f1", 100);
  b = source()->PendingChanges("f1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->count, 100);
  EXPECT_GT(b->oldest_at_ms, 0);
  Ack(conn_.get(), "f1", changes);
  b = source()->PendingChanges("f1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->count, 0);

  // A process that does not stream (`concord status`) sees the slot's numbers too, and trigger
  // capture's consumers none of them.
  auto other = Open();
  b = other->source()->PendingChanges("f1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->slot, Slot("f1"));
  EXPECT_GE(b->slot_lag_bytes, 0);
  b = other->source()->PendingChanges("someone-else");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->slot, "");
  EXPECT_EQ(b->slot_lag_bytes, -1);

  EXPECT_EQ(PostgresConnectorDescriptor().open(Params({{"max_retained_wal", "lots"}})).status().code(),
            Code::kInvalidArgument);
}

TEST_F(PostgresLogicalTest, RemoveCaptureDropsSlotAndPublication) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f2").ok());
  App("INSERT INTO accounts VALUES ('A1', 'a', NULL)");
  EXPECT_EQ(ReadN(accounts_, "f1", 1).size(), 1u);  // f1 streams: its slot is active
  EXPECT_EQ(Slots(), 2);
  EXPECT_EQ(Publications(), 2);
  ASSERT_TRUE(source()->RemoveCapture(accounts_, "f1").ok());
  EXPECT_EQ(Slots(), 1);
  EXPECT_EQ(Publications(), 1);
  ASSERT_TRUE(source()->RemoveCapture(accounts_, "f1").ok());  // idempotent
  ASSERT_TRUE(source()->RemoveCapture(accounts_, "f2").ok());
  EXPECT_EQ(Slots(), 0);
  EXPECT_EQ(Publications(), 0);
  auto r = source()->ReadChanges(accounts_, "f1", 10);
  EXPECT_EQ(r.status().code(), Code::kNotFound) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("logical capture is not installed"));
}

TEST_F(PostgresLogicalTest, MissingPrivilegesNameTheGrantAndOfferTrigger) {
  App("CREATE ROLE plain LOGIN; GRANT SELECT ON accounts TO plain");
  std::string url = url_;
  url.replace(url.find("postgres@"), 9, "plain@");
  auto plain = PostgresConnectorDescriptor().open(Params({{"url", url}}));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  Status s = (*plain)->source()->InstallCapture(accounts_, "f1");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), StartsWith("crm.accounts: logical capture needs a role with the "
                                      "REPLICATION attribute"));
  EXPECT_THAT(s.message(), HasSubstr("ALTER ROLE \"plain\" REPLICATION"));
  EXPECT_THAT(s.message(), HasSubstr("or use `capture: trigger` or `capture: poll`"));

  // With REPLICATION, the publication still needs CREATE on the database...
  App("ALTER ROLE plain REPLICATION; REVOKE CREATE ON DATABASE " + db_ + " FROM PUBLIC");
  s = (*plain)->source()->InstallCapture(accounts_, "f1");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("GRANT CREATE ON DATABASE \"" + db_ + "\" TO \"plain\""));
  // ... and the table's ownership.
  App("GRANT CREATE ON DATABASE " + db_ + " TO plain");
  s = (*plain)->source()->InstallCapture(accounts_, "f1");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("only the owner of table \"public\".\"accounts\""));
  // A DBA may create the publication instead; then REPLICATION is all it takes.
  App("CREATE PUBLICATION " + Slot("f1") + " FOR TABLE accounts");
  s = (*plain)->source()->InstallCapture(accounts_, "f1");
  EXPECT_TRUE(s.ok()) << s.ToString();
  App("INSERT INTO accounts VALUES ('A1', 'a', NULL)");
  EXPECT_EQ(ReadN(plain->get(), accounts_, "f1", 1).size(), 1u);

  // Writing into a logically captured table needs replication origins, which a plain role may
  // not use: a clear refusal naming the grants, not writes the capture would echo back.
  App("GRANT INSERT, UPDATE, DELETE ON accounts TO plain");
  TableRef target = accounts_;
  target.capture = "";
  auto r = (*plain)->sink()->Apply(target, {Upsert({T("E1")}, {{"name", T("x")}})}, "erp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(r.status().message(),
              HasSubstr("GRANT EXECUTE ON FUNCTION pg_replication_origin_create(text)"));
  App("GRANT EXECUTE ON FUNCTION pg_replication_origin_create(text), "
      "pg_replication_origin_oid(text), pg_replication_origin_session_setup(text), "
      "pg_replication_origin_session_reset() TO plain");
  auto granted = PostgresConnectorDescriptor().open(Params({{"url", url}}));
  ASSERT_TRUE(granted.ok());
  r = (*granted)->sink()->Apply(target, {Upsert({T("E1")}, {{"name", T("x")}})}, "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto changes = ReadN(plain->get(), accounts_, "f1", 2);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].origin, "erp");
  plain->reset();
  granted->reset();
  ASSERT_TRUE(source()->RemoveCapture(accounts_, "f1").ok());
  App("DROP OWNED BY plain; DROP ROLE plain");
}

TEST_F(PostgresLogicalTest, KeyOutsideTheReplicaIdentityIsRefused) {
  App("CREATE TABLE people(id serial PRIMARY KEY, email text UNIQUE NOT NULL)");
  TableRef people{"people", {"email"}, {"email"}, "logical"};
  Status s = source()->InstallCapture(people, "f1");
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("key column \"email\" is not in the replica identity"));
  EXPECT_THAT(s.message(), HasSubstr("REPLICA IDENTITY FULL"));
  App("ALTER TABLE people REPLICA IDENTITY FULL");
  ASSERT_TRUE(source()->InstallCapture(people, "f1").ok());
  App("INSERT INTO people(email) VALUES ('a@x')");
  App("UPDATE people SET email = 'b@x'");
  App("DELETE FROM people");
  EXPECT_EQ(Ops(ReadN(people, "f1", 4)),
            "insert[\"a@x\"] delete[\"a@x\"] insert[\"b@x\"] delete[\"b@x\"]");
}

TEST_F(PostgresLogicalTest, ABigTransactionIsConfirmedOnlyWhenWhollyApplied) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("INSERT INTO accounts SELECT 'A' || g, 'n', NULL FROM generate_series(1, 10) g");
  auto changes = ReadN(accounts_, "f1", 10);
  ASSERT_EQ(changes.size(), 10u);
  // Half of one transaction applied, then a restart: the whole transaction comes again (the
  // slot cannot stop inside a transaction), less what the engine acknowledges as applied.
  Ack(conn_.get(), "f1", std::vector<SourceChange>(changes.begin(), changes.begin() + 5));
  conn_.reset();
  conn_ = Open();
  EXPECT_EQ(ReadN(accounts_, "f1", 10).size(), 10u);
}

}  // namespace
}  // namespace concord

int main(int argc, char** argv) { return concord::postgres_testing::RunAllTests(argc, argv); }
