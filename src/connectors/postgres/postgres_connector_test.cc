// Tests of the postgres connector against a real PostgreSQL server that this binary starts
// (tests/servers/postgres.sh via PostgresServer) and stops at the end. Each test gets a fresh
// database; "the application" is a separate libpq connection.
#include "connectors/postgres/postgres_connector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/capture_conformance.h"
#include "connectors/postgres/postgres_connection.h"
#include "connectors/postgres/postgres_test_env.h"
#include "connectors/source_conformance.h"
#include "servers/test_certificates.h"

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
using postgres_testing::Client;
using postgres_testing::g_server;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

Value B(std::string s) { return Value::Blob(std::move(s)); }

class PostgresConnectorTest : public postgres_testing::PostgresDatabaseTest {
 protected:
  PostgresConnectorTest() : PostgresDatabaseTest("t") {}

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
              // One trigger, and its function, whatever the number of consumers.
              EXPECT_EQ(Triggers(), installed ? 1 : 0);
              EXPECT_EQ(Functions(), installed ? 1 : 0);
            }};
  }

  int64_t Triggers() {
    return Count("SELECT count(*) FROM pg_trigger WHERE tgname = '_concord_capture'");
  }
  int64_t Functions() {
    return Count("SELECT count(*) FROM pg_proc WHERE proname LIKE '\\_concord\\_%'");
  }
};

// --- descriptor and opening ---

TEST(PostgresDescriptorTest, DeclaresOptionsAndCapture) {
  const ConnectorDescriptor& d = PostgresConnectorDescriptor();
  EXPECT_EQ(d.name, "postgres");
  EXPECT_EQ(d.required, std::vector<std::string_view>{"url"});
  EXPECT_EQ(d.capture_modes, (std::vector<std::string_view>{"trigger", "poll", "logical"}));
  std::set<std::string_view> names;
  for (const auto& [name, doc] : d.options) {
    names.insert(name);
    EXPECT_FALSE(doc.empty()) << name;
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"url", "password", "schema", "connect_timeout_s",
                                               "statement_timeout_ms", "sslmode", "sslrootcert",
                                               "listen", "max_retained_wal"}));
  EXPECT_NE(d.open, nullptr);
}

TEST_F(PostgresConnectorTest, OpenErrors) {
  struct Case {
    std::map<std::string, std::string> options;
    Code code;
    std::string message;
  };
  std::vector<Case> cases = {
      {{{"url", ""}}, Code::kInvalidArgument, "crm: option \"url\" is required"},
      {{{"url", "host=x user=s3cret"}},
       Code::kInvalidArgument,
       "crm: option url: expected postgresql://user@host:port/database"},
      {{{"shema", "x"}},
       Code::kInvalidArgument,
       "crm: unknown option \"shema\" for connector postgres (did you mean \"schema\"?)"},
      {{{"statement_timeout_ms", "5s"}},
       Code::kInvalidArgument,
       "crm: option statement_timeout_ms: expected a whole number of milliseconds"},
      {{{"connect_timeout_s", "-1"}},
       Code::kInvalidArgument,
       "crm: option connect_timeout_s: expected a whole number of seconds"},
      {{{"sslmode", "requir"}},
       Code::kInvalidArgument,
       "crm: option sslmode: unknown mode \"requir\" (did you mean \"require\"?)"},
      {{{"listen", "yes"}},
       Code::kInvalidArgument,
       "crm: option listen: expected true or false, found \"yes\""},
      {{{"url", g_server->UrlFor("no_such_db")}},
       Code::kNotFound,
       "crm: cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(g_server->port()) +
           "/no_such_db: "},
  };
  for (const Case& c : cases) {
    auto r = PostgresConnectorDescriptor().open(Params(c.options));
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_THAT(r.status().message(), StartsWith(c.message));
    EXPECT_THAT(r.status().message(), Not(HasSubstr("s3cret")));
  }
}

TEST_F(PostgresConnectorTest, UnreachableServerIsUnavailableAndHidesThePassword) {
  // A port nothing listens on: the server's own port + 1 is unlikely to be in use, and a refusal
  // is what we want to see either way.
  std::string url = "postgresql://concord:s3cret@127.0.0.1:1/erp";
  auto r = PostgresConnectorDescriptor().open(
      Params({{"url", url}, {"password", "t0psecret"}, {"connect_timeout_s", "2"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_TRUE(r.status().IsRetryable());
  EXPECT_THAT(r.status().message(),
              StartsWith("crm: cannot connect to PostgreSQL at 127.0.0.1:1/erp"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("t0psecret")));
}

// TLS against the test server with a certificate from a test CA: the server offers TLS only
// inside this test (ssl is reloadable), so the other tests see a server without it.
TEST_F(PostgresConnectorTest, TlsModesWithACertificate) {
  auto open = [&](std::map<std::string, std::string> options, const std::string& base_dir) {
    ConnectionParams p = Params(std::move(options));
    p.base_dir = base_dir;
    return PostgresConnectorDescriptor().open(p);
  };
  // Whether the connector's own session is encrypted, as the server sees it.
  auto encrypted = [](Connection* c) {
    auto* pg = dynamic_cast<postgres_connector::PostgresConnection*>(c);
    auto r = pg->pg().Query("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && PQntuples(r->get()) == 1 && std::string(PQgetvalue(r->get(), 0, 0)) == "true";
  };
  EXPECT_FALSE(encrypted(conn_.get())) << "the test server starts without TLS";
  auto refused = open({{"sslmode", "require"}}, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().ToString();
  EXPECT_THAT(refused.status().message(), HasSubstr("server does not support SSL"));
  EXPECT_THAT(refused.status().message(),
              EndsWith("(the server has ssl = off: turn it on, or lower sslmode to prefer)"));

  std::string error;
  auto certs = concord::testing::TestCertificates::Make(&error);
  ASSERT_NE(certs, nullptr) << error;
  auto other_ca = concord::testing::TestCertificates::Make(&error);  // did not sign the server's
  ASSERT_NE(other_ca, nullptr) << error;
  // The key must belong to the server's OS user (postgres when the tests run as root).
  namespace fs = std::filesystem;
  const fs::path data = fs::path(g_server->dir()) / "data";
  struct stat owner {};
  ASSERT_EQ(stat(data.c_str(), &owner), 0);
  for (const char* f : {"server.pem", "server.key"}) {
    fs::copy_file(fs::path(certs->dir()) / f, data / f, fs::copy_options::overwrite_existing);
    ASSERT_EQ(chown((data / f).c_str(), owner.st_uid, owner.st_gid), 0) << f;
    fs::permissions(data / f, fs::perms::owner_read | fs::perms::owner_write);
  }
  Client admin(g_server->url());
  admin.Exec("ALTER SYSTEM SET ssl_cert_file = 'server.pem'");
  admin.Exec("ALTER SYSTEM SET ssl_key_file = 'server.key'");
  admin.Exec("ALTER SYSTEM SET ssl = on");
  admin.Exec("SELECT pg_reload_conf()");
  // The postmaster reloads asynchronously: wait until a new session can have TLS.
  Result<std::unique_ptr<Connection>> required = refused.status();
  for (int i = 0; i < 100 && !required.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    required = open({{"sslmode", "require"}}, "");
  }
  ASSERT_TRUE(required.ok()) << required.status().ToString();
  EXPECT_TRUE(encrypted(required->get()));

  // verify-full: the certificate must be signed by sslrootcert (relative to the directory of
  // concord.yaml) and name the host of the URL.
  auto verified = open({{"sslmode", "verify-full"}, {"sslrootcert", "ca.pem"}}, certs->dir());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(encrypted(verified->get()));
  auto applied =
      (*verified)->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("over TLS")}})}, "");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(Count("SELECT count(*) FROM accounts WHERE name = 'over TLS'"), 1);
  auto verify_ca = open({{"sslmode", "verify-ca"}, {"sslrootcert", certs->dir() + "/ca.pem"}}, "");
  ASSERT_TRUE(verify_ca.ok()) << verify_ca.status().ToString();
  EXPECT_TRUE(encrypted(verify_ca->get()));

  // Another CA: refused, saying why.
  auto wrong_ca = open({{"sslmode", "verify-full"}, {"sslrootcert", "ca.pem"}}, other_ca->dir());
  ASSERT_FALSE(wrong_ca.ok());
  EXPECT_THAT(wrong_ca.status().message(),
              StartsWith("crm: cannot connect to PostgreSQL at 127.0.0.1:" +
                         std::to_string(g_server->port())));
  EXPECT_THAT(wrong_ca.status().message(), HasSubstr("certificate verify failed"));
  EXPECT_THAT(wrong_ca.status().message(),
              HasSubstr("(sslrootcert must hold the CA that signed the server's certificate)"));
  // A CA file that is not there is named, in every mode.
  for (const char* mode : {"verify-full", "require"}) {
    auto missing = open({{"sslmode", mode}, {"sslrootcert", "certs/ca.pem"}}, "/nonexistent");
    ASSERT_FALSE(missing.ok()) << mode;
    EXPECT_EQ(missing.status().code(), Code::kNotFound) << mode;
    EXPECT_EQ(missing.status().message(),
              "crm: option sslrootcert: file \"/nonexistent/certs/ca.pem\" does not exist")
        << mode;
  }
  // disable still connects in the clear.
  auto clear = open({{"sslmode", "disable"}}, "");
  ASSERT_TRUE(clear.ok()) << clear.status().ToString();
  EXPECT_FALSE(encrypted(clear->get()));

  admin.Exec("ALTER SYSTEM RESET ssl");
  admin.Exec("ALTER SYSTEM RESET ssl_cert_file");
  admin.Exec("ALTER SYSTEM RESET ssl_key_file");
  admin.Exec("SELECT pg_reload_conf()");
}

TEST_F(PostgresConnectorTest, DescribeAndListTables) {
  App("CREATE TABLE orders(id integer PRIMARY KEY, account_no varchar(20) NOT NULL, "
      "total numeric(12,2))");
  App("CREATE SCHEMA sales; CREATE TABLE sales.\"Quotes\"(id int); "
      "CREATE TABLE \"we.ird\"(id int); CREATE VIEW big_orders AS SELECT * FROM orders");
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());  // creates _concord_* tables
  auto cols = conn_->DescribeTable("orders");
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->size(), 3u);
  EXPECT_EQ((*cols)[0].name, "id");
  EXPECT_EQ((*cols)[0].declared_type, "integer");
  EXPECT_TRUE((*cols)[0].primary_key);
  EXPECT_TRUE((*cols)[0].not_null);
  EXPECT_EQ((*cols)[1].declared_type, "character varying(20)");
  EXPECT_TRUE((*cols)[1].not_null);
  EXPECT_FALSE((*cols)[1].primary_key);
  EXPECT_EQ((*cols)[2].declared_type, "numeric(12,2)");
  EXPECT_FALSE((*cols)[2].not_null);

  auto quoted = conn_->DescribeTable("sales.Quotes");
  ASSERT_TRUE(quoted.ok()) << quoted.status().ToString();
  EXPECT_EQ(quoted->size(), 1u);

  auto missing = conn_->DescribeTable("acounts");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "crm: table \"acounts\" does not exist");
  auto bad = conn_->DescribeTable("a.b.c");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);

  auto tables = conn_->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_EQ(*tables, (std::vector<std::string>{"accounts", "big_orders", "orders", "\"we.ird\"",
                                               "sales.Quotes"}));
  for (const std::string& name : *tables) {
    EXPECT_TRUE(conn_->DescribeTable(name).ok()) << name << " as listed can be described";
  }
}

// --- trigger capture ---

TEST_F(PostgresConnectorTest, CapturesInsertUpdateDeleteWithCurrentImage) {
  concord::testing::ExpectCapturesInsertUpdateDeleteWithCurrentImage(Db());
}

TEST_F(PostgresConnectorTest, KeyChangeLogsDeleteAndInsert) {
  concord::testing::ExpectKeyChangeLogsDeleteAndInsert(Db());
}

TEST_F(PostgresConnectorTest, CompositeKeys) {
  concord::testing::ExpectCompositeKeysAreCaptured(
      Db(),
      "CREATE TABLE order_lines(order_id integer, line_no bigint, sku text, "
      "qty double precision, PRIMARY KEY(order_id, line_no))");
}

TEST_F(PostgresConnectorTest, ConsumersGetTheirOwnRowsAndAckIndependently) {
  concord::testing::ExpectConsumersReadAndAckIndependently(Db());
}

TEST_F(PostgresConnectorTest, InstallAndRemoveAreIdempotent) {
  // A binding may name the table with its schema: the same table, the same registration.
  ASSERT_TRUE(source()->InstallCapture({"public.accounts", {"account_no"}, {}}, "f2").ok());
  concord::testing::ExpectInstallAndRemoveAreIdempotent(Db());
  // Removing where capture never was, or from a dropped table, is fine too.
  App("CREATE TABLE other(id integer PRIMARY KEY)");
  EXPECT_TRUE(source()->RemoveCapture({"other", {"id"}, {}}, "f9").ok());
  EXPECT_TRUE(source()->RemoveCapture({"gone", {"id"}, {}}, "f9").ok());
}

TEST_F(PostgresConnectorTest, ReinstallWithAnotherKeyRecreatesTheFunction) {
  concord::testing::ExpectReinstallWithAnotherKeyLogsTheNewKey(
      Db(), "CREATE TABLE items(id integer PRIMARY KEY, code text UNIQUE)");
}

TEST_F(PostgresConnectorTest, InstallCaptureChecksTableAndKey) {
  concord::testing::ExpectInstallCaptureChecksTableAndKey(
      Db(), "crm.acounts: table \"acounts\" does not exist", "crm");
  Status s = source()->InstallCapture(accounts_, "");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
}

TEST_F(PostgresConnectorTest, ReadChangesExplainsBrokenCapture) {
  concord::testing::ExpectReadChangesExplainsBrokenCapture(
      Db(), "crm",
      "CREATE TABLE accounts(account_no text PRIMARY KEY, name text NOT NULL, level text)",
      "crm.accounts: the capture trigger is missing");
  Ack("f1", Read(accounts_, "f1"));

  // A disabled trigger logs nothing: that is data loss too, and reinstalling enables it again.
  App("ALTER TABLE accounts DISABLE TRIGGER _concord_capture");
  auto disabled = source()->ReadChanges(accounts_, "f1", 10);
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(disabled.status().code(), Code::kDataLoss);
  EXPECT_THAT(disabled.status().message(), HasSubstr("is disabled"));
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("INSERT INTO accounts VALUES ('A2', 'Beta', NULL)");
  EXPECT_EQ(Read(accounts_, "f1").size(), 1u);
}

TEST_F(PostgresConnectorTest, ManyKeysAreFetchedAndAcked) {
  concord::testing::ExpectManyKeysAreFetchedAndAcked(
      Db(),
      "INSERT INTO accounts SELECT format('K%s', lpad(i::text, 5, '0')), 'name ' || i, NULL "
      "FROM generate_series(1, 1234) i");
}

TEST_F(PostgresConnectorTest, NotifiesListenersOfChanges) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  Client listener(url_);
  listener.Exec("LISTEN concord_changes");
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL), ('A2', 'Beta', NULL)");
  listener.Exec("SELECT 1");  // receive what arrived
  ASSERT_EQ(PQconsumeInput(listener.raw()), 1);
  PGnotify* n = PQnotifies(listener.raw());
  ASSERT_NE(n, nullptr);
  EXPECT_STREQ(n->relname, "concord_changes");
  EXPECT_STREQ(n->extra, "\"public\".\"accounts\"");
  PQfreemem(n);
  n = PQnotifies(listener.raw());
  EXPECT_EQ(n, nullptr) << "one notification per transaction and table";
  if (n) PQfreemem(n);
}

// The wake-up channel (LISTEN on a second connection): its opening reports kChanged (whatever was
// announced before nobody heard), a committed change wakes it, a rolled-back one does not, and a
// channel the server dropped is reopened. Each wait for a wake-up allows far longer than the
// NOTIFY takes: a broken channel fails with kTimedOut, never by being slow.
TEST_F(PostgresConnectorTest, WaitForChangesWakesOnCommitAndReopensALostChannel) {
  using WakeUp = Source::WakeUp;
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  EXPECT_EQ(source()->WaitForChanges(0), WakeUp::kChanged) << "opening the channel";
  EXPECT_EQ(source()->WaitForChanges(20), WakeUp::kTimedOut);
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  EXPECT_EQ(source()->WaitForChanges(30000), WakeUp::kChanged);
  EXPECT_EQ(source()->WaitForChanges(20), WakeUp::kTimedOut) << "consumed by the first wake-up";
  App("BEGIN; INSERT INTO accounts VALUES ('A2', 'Beta', NULL); ROLLBACK");
  EXPECT_EQ(source()->WaitForChanges(200), WakeUp::kTimedOut) << "a rollback announces nothing";

  // The server drops the LISTEN connection (a restart, an administrator): the channel reports
  // that it cannot signal, reopens on the next call, and wakes again.
  EXPECT_EQ(Count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                  "application_name = 'concord crm (listen)'"),
            1);
  WakeUp w = WakeUp::kTimedOut;
  for (int i = 0; i < 100 && w == WakeUp::kTimedOut; ++i) w = source()->WaitForChanges(300);
  EXPECT_EQ(w, WakeUp::kNoSignal);
  EXPECT_EQ(source()->WaitForChanges(0), WakeUp::kChanged) << "reopened at once";
  App("UPDATE accounts SET name = 'Acme 2' WHERE account_no = 'A1'");
  EXPECT_EQ(source()->WaitForChanges(30000), WakeUp::kChanged);
  // The main connection was never involved.
  EXPECT_EQ(Read(accounts_, "f1").size(), 2u);

  // `listen: false` (a pooler without LISTEN): no channel, the engine polls.
  conn_ = Open({{"listen", "false"}});
  ASSERT_NE(conn_, nullptr);
  EXPECT_EQ(source()->WaitForChanges(20), WakeUp::kNoSignal);
}

TEST_F(PostgresConnectorTest, CapturesWritesOfRolesWithoutGrantsOnTheChangelog) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("CREATE ROLE app_writer LOGIN; GRANT INSERT, UPDATE, SELECT ON accounts TO app_writer");
  {
    std::string url = url_;
    url.replace(url.find("postgres@"), 9, "app_writer@");
    Client writer(url);
    writer.Exec("INSERT INTO accounts VALUES ('W1', 'by the app role', NULL)");
    EXPECT_THAT(writer.Try("SELECT * FROM _concord_changelog"), HasSubstr("permission denied"));
  }
  auto changes = Read(accounts_, "f1");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, Key{T("W1")});
  App("DROP OWNED BY app_writer; DROP ROLE app_writer");
}

// --- sink ---

TEST_F(PostgresConnectorTest, ApplyUpsertAndDelete) {
  concord::testing::ExpectApplyUpsertAndDelete(Db());
}

TEST_F(PostgresConnectorTest, ApplyWithoutUniqueKeyUpdatesThenInserts) {
  App("CREATE TABLE notes(code text, body text NOT NULL, tag text)");  // no key constraint
  TableRef notes{"notes", {"code"}, {"code", "body", "tag"}};
  std::vector<WriteOp> ops = {Upsert({T("n1")}, {{"body", T("one")}}),
                              Upsert({T("n2")}, {{"body", T("two")}, {"tag", T("t")}}),
                              Upsert({T("n1")}, {{"body", T("one again")}}), Upsert({T("n3")}, {})};
  for (int i = 0; i < 2; ++i) {
    auto r = sink()->Apply(notes, ops, "");
    ASSERT_FALSE(r.ok()) << "n3 with only a key violates body's NOT NULL";
    EXPECT_THAT(r.status().message(), HasSubstr("(op 4 of 4; nothing was written)"));
  }
  ops.pop_back();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(sink()->Apply(notes, ops, "").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM notes"), 2) << "a replay inserts nothing twice";
  EXPECT_EQ(Scalar("SELECT body FROM notes WHERE code = 'n1'"), "one again");
}

TEST_F(PostgresConnectorTest, ApplyLeavingOutNotNullColumnsUpdatesExistingRows) {
  // INSERT ... ON CONFLICT would check name's NOT NULL on the proposed row and fail although the
  // row exists; a flow that owns only `level` must still be able to update it.
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  auto r = sink()->Apply(accounts_, {Upsert({T("A1")}, {{"level", T("B")}})}, "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Scalar("SELECT name || '/' || level FROM accounts"), "Acme/B");
  r = sink()->Apply(accounts_, {Upsert({T("A2")}, {{"level", T("B")}})}, "erp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("null value in column \"name\""));
}

TEST_F(PostgresConnectorTest, ApplyKeyOnlyInsertsWhenMissing) {
  concord::testing::ExpectApplyKeyOnlyInsertsWhenMissing(
      Db(), "tags", "CREATE TABLE tags(tag text PRIMARY KEY, note text DEFAULT 'd')");
}

TEST_F(PostgresConnectorTest, ApplyReturnsGeneratedKeys) {
  App("CREATE TABLE customers(id bigint GENERATED ALWAYS AS IDENTITY (START WITH 42) PRIMARY KEY, "
      "code text, name text)");
  App("INSERT INTO customers(id, code, name) OVERRIDING SYSTEM VALUE VALUES (41, 'OLD', 'x')");
  TableRef customers{"customers", {"id"}, {"id", "code", "name"}};
  auto r = sink()->Apply(customers,
                         {Upsert({}, {{"code", T("C1")}, {"name", T("One")}}),
                          Upsert({}, {{"code", T("C2")}}), Upsert({}, {}),
                          // The whole key among the values: an upsert by it, not a new row.
                          Upsert({}, {{"id", I(41)}, {"name", T("renamed")}}),
                          // A key given for an identity column.
                          Upsert({I(100)}, {{"code", T("C100")}})},
                         "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->keys, (std::vector<Key>{{I(42)}, {I(43)}, {I(44)}, {I(41)}, {I(100)}}));
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id = 43 AND code = 'C2'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE id = 41 AND name = 'renamed'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customers"), 5);

  App("CREATE TABLE serials(id serial PRIMARY KEY, v text)");
  r = sink()->Apply({"serials", {"id"}, {}}, {Upsert({}, {{"v", T("a")}})}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->keys, (std::vector<Key>{{I(1)}}));
}

TEST_F(PostgresConnectorTest, ApplyTagsChangelogRowsWithOrigin) {
  concord::testing::ExpectApplyTagsChangelogRowsWithOrigin(Db());
}

TEST_F(PostgresConnectorTest, LatestPendingMsIgnoresConcordsOwnWrites) {
  // The key part for `no` may come as text: it is compared as the column's type.
  concord::testing::ExpectLatestPendingMsIgnoresConcordsOwnWrites(
      Db(), "CREATE TABLE parts(site text, no integer, note text, PRIMARY KEY(site, no))",
      "UPDATE parts SET note = 'again' WHERE no = 1", T("3"));
}

TEST_F(PostgresConnectorTest, ApplyRollsBackOnConstraintFailure) {
  concord::testing::ExpectApplyRollsBackOnConstraintFailure(
      Db(),
      "crm.accounts: null value in column \"name\" of relation \"accounts\" violates "
      "not-null constraint (op 3 of 4; nothing was written)");
}

TEST_F(PostgresConnectorTest, FailureInALaterPipelineChunkRollsBackEarlierChunks) {
  std::vector<WriteOp> ops;
  for (int i = 0; i < 700; ++i) {
    ops.push_back(Upsert({T("K" + std::to_string(i))}, {{"name", T("n")}}));
  }
  ops[600].values["name"] = Value::Null();
  auto r = sink()->Apply(accounts_, ops, "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), EndsWith("(op 601 of 700; nothing was written)"));
  EXPECT_EQ(Count("SELECT count(*) FROM accounts"), 0);
  ops[600].values["name"] = T("n");
  r = sink()->Apply(accounts_, ops, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->keys.size(), 700u);
  EXPECT_EQ(Count("SELECT count(*) FROM accounts"), 700);
}

TEST_F(PostgresConnectorTest, ApplyRejectsWrongKeyArity) {
  concord::testing::ExpectApplyRejectsWrongKeyArity(Db(), "crm");
  // The message also names the op, as for every refused batch.
  auto r = sink()->Apply(accounts_, {Upsert({T("A"), T("B")}, {{"name", T("x")}})}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), EndsWith("(op 1 of 1; nothing was written)"));
}

// --- values the target refuses: the DLQ gets them, with the reason; nothing is truncated ---

TEST_F(PostgresConnectorTest, ValuesThatDoNotFitAreRefusedNeverTruncated) {
  App("CREATE TABLE customers(code text PRIMARY KEY, name varchar(100), born date, "
      "credit numeric(8,2), note text)");
  TableRef customers{"customers", {"code"}, {}};
  struct Case {
    std::string what;
    Row values;
    std::string message;
  };
  std::vector<Case> cases = {
      {"varchar overflow",
       {{"name", T(std::string(300, 'x'))}},
       "crm.customers: value too long for type character varying(100) (column \"name\")"},
      {"varchar overflow counted in characters",
       {{"name", T("名" + std::string(100, 'y'))}},
       "crm.customers: value too long for type character varying(100) (column \"name\")"},
      {"bad date",
       {{"born", T("2023-13-45")}},
       "crm.customers: date/time field value out of range: \"2023-13-45\" (column \"born\")"},
      {"not a date",
       {{"born", T("soon")}},
       "crm.customers: invalid input syntax for type date: \"soon\" (column \"born\")"},
      {"numeric overflow", {{"credit", T("123456789.5")}}, "crm.customers: numeric field overflow"},
      {"NUL byte",
       {{"note", T(std::string("a\0b", 3))}},
       "crm.customers: column \"note\": the value holds a NUL byte (0x00), which PostgreSQL "
       "text cannot store"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = sink()->Apply(
        customers, {Upsert({T("ok")}, {{"name", T("fits")}}), Upsert({T("C1")}, c.values)}, "erp");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    EXPECT_FALSE(r.status().IsRetryable());
    EXPECT_THAT(r.status().message(), StartsWith(c.message));
    EXPECT_THAT(r.status().message(), EndsWith("(op 2 of 2; nothing was written)"));
    EXPECT_EQ(Count("SELECT count(*) FROM customers"), 0);
  }
  auto r = sink()->Apply(customers, {Upsert({T("C1")}, {{"name", T(std::string(100, 'z'))}})}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Count("SELECT length(name) FROM customers"), 100);
}

// --- types ---

TEST_F(PostgresConnectorTest, TypesRoundTripWithoutLoss) {
  const std::string columns =
      "(id integer PRIMARY KEY, amount numeric(20,6), big numeric, at timestamptz, "
      "local timestamp, day date, uid uuid, doc jsonb, raw bytea, flag boolean, small smallint, "
      "ratio real, score double precision, code char(5), label varchar(10), "
      "whole bigint)";
  App("CREATE TABLE src" + columns);
  App("CREATE TABLE dst" + columns);
  // The application writes with its own TimeZone and DateStyle: what concord reads must not
  // depend on them.
  App("SET TimeZone = 'Asia/Shanghai'; SET DateStyle = 'SQL, DMY'; "
      "INSERT INTO src VALUES (1, '12345678901234.123456', '0.1000000000000000000000000000001', "
      "'2023-06-01 16:30:00.123456+08', '2023-06-01 08:30:00.5', '2023-06-01', "
      "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{\"b\": [1, 2.50], \"a\": \"x\"}', "
      "'\\x00ff27'::bytea, true, -32768, 0.1, 0.30000000000000004, 'ab', 'emoji 🎉', "
      "9223372036854775807)");
  App("INSERT INTO src(id) VALUES (2)");
  TableRef src{"src", {"id"}, {}};
  auto rows = source()->ReadChunk(src, std::nullopt, 10);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  const Row& row = (*rows)[0];
  Row want = {
      {"id", I(1)},
      {"amount", T("12345678901234.123456")},
      {"big", T("0.1000000000000000000000000000001")},
      {"at", T("2023-06-01T08:30:00.123456Z")},
      {"local", T("2023-06-01T08:30:00.5")},
      {"day", T("2023-06-01")},
      {"uid", T("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")},
      {"doc", T("{\"a\": \"x\", \"b\": [1, 2.50]}")},
      {"raw", B(std::string("\0\xff'", 3))},
      {"flag", I(1)},
      {"small", I(-32768)},
      {"ratio", Value::Real(0.1)},  // real prints 0.1 (shortest exact), which reads back as 0.1
      {"score", Value::Real(0.30000000000000004)},
      {"code", T("ab   ")},
      {"label", T("emoji 🎉")},
      {"whole", I(9223372036854775807LL)},
  };
  EXPECT_EQ(row, want);
  for (const auto& [name, v] : (*rows)[1]) {
    if (name != "id") {
      EXPECT_TRUE(v.is_null()) << name;
    }
  }
  // Written back through the sink, every value arrives unchanged.
  std::vector<WriteOp> ops;
  for (const Row& r : *rows) ops.push_back(Upsert({r.at("id")}, r));
  TableRef dst{"dst", {"id"}, {}};
  auto applied = sink()->Apply(dst, ops, "");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) d"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT * FROM dst EXCEPT SELECT * FROM src) d"), 0);
  auto back = sink()->ReadRows(dst, {{I(1)}});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0], want);

  // Other spellings the server understands are accepted as written: an offset, a bool as 0/1.
  auto r = sink()->Apply(
      dst, {Upsert({I(3)}, {{"at", T("2023-06-01T10:30:00+02:00")}, {"flag", I(0)}})}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto three = sink()->ReadRows(dst, {{I(3)}});
  ASSERT_TRUE(three.ok());
  EXPECT_EQ((*three)[0].at("at"), T("2023-06-01T08:30:00Z"));
  EXPECT_EQ((*three)[0].at("flag"), I(0));
}

TEST_F(PostgresConnectorTest, KeysOfEveryTypeMatchBetweenChangelogAndRows) {
  App("CREATE TABLE k(n numeric(20,6), at timestamptz, u uuid, d date, b bytea, f boolean, "
      "c char(3), v text, PRIMARY KEY(n, at, u, d, b, f, c))");
  TableRef k{"k", {"n", "at", "u", "d", "b", "f", "c"}, {"n", "at", "u", "d", "b", "f", "c", "v"}};
  ASSERT_TRUE(source()->InstallCapture(k, "f1").ok());
  App("SET TimeZone = 'America/New_York'; SET DateStyle = 'German'; "
      "INSERT INTO k VALUES (1.5, '2023-01-01 03:00:00.25-05', "
      "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2023-01-31', '\\x01ff', true, 'xy', 'first')");
  auto changes = Read(k, "f1");
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_TRUE(changes[0].row.has_value()) << "the logged key finds its row";
  Key want = {T("1.500000"),
              T("2023-01-01T08:00:00.25Z"),
              T("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
              T("2023-01-31"),
              B("\x01\xff"),
              I(1),
              T("xy ")};  // padded, as char(3) prints it
  EXPECT_EQ(changes[0].key, want);
  auto chunk = source()->ReadChunk(k, std::nullopt, 10);
  ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
  ASSERT_EQ(chunk->size(), 1u);
  Key read;
  for (const std::string& col : k.key_columns) read.push_back((*chunk)[0].at(col));
  EXPECT_EQ(read, want) << "a snapshot and the changelog give the same key";
  auto after = source()->ReadChunk(k, read, 10);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->empty());

  auto latest = source()->LatestPendingMs(k, "f1", {want}, "crm");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->size(), 1u);
  // A numeric key given without the column's scale still matches what the trigger logged.
  Key short_scale = want;
  short_scale[0] = T("1.5");
  latest = source()->LatestPendingMs(k, "f1", {short_scale}, "crm");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->size(), 1u);

  auto r = sink()->Apply(k, {Upsert(want, {{"v", T("second")}})}, "crm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Count("SELECT count(*) FROM k"), 1);
  EXPECT_EQ(Scalar("SELECT v FROM k"), "second");
  // Both spellings find the row, as the database compares them (one row per key asked).
  auto rows = sink()->ReadRows(k, {want, short_scale});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), 2u);
}

// --- hostile names and values ---

TEST_F(PostgresConnectorTest, HostileIdentifiersAndValuesRoundTrip) {
  struct Case {
    std::string table, ref, key, column;
  };
  std::vector<Case> cases = {
      {"we\"ird tbl", "\"we\"\"ird tbl\"", "k\"ey", "va'l;ue"},
      {"o'brien", "o'brien", "it's", "x\"); DROP TABLE accounts; --"},
      {"表 名 🎉", "表 名 🎉", "键", "值 🎉"},
      {"back\\slash $concord$", "back\\slash $concord$", "k\\", "$1"},
      {"dot.ted", "\"dot.ted\"", "Mixed Case", "SELECT"},
  };
  std::vector<Value> values = {
      T("quote ' double \" both '\""),
      T("semi; DROP TABLE accounts; --"),
      T("back\\slash \\' \\\" \\n \\x00"),
      T("emoji 🎉🚀 中文 ℃"),
      T("$concord$ $$ E'\\''"),
      Value::Null(),
      T(""),
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.table);
    auto q = [](const std::string& s) {
      std::string out = "\"";
      for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      return out + "\"";
    };
    App("CREATE TABLE " + q(c.table) + "(" + q(c.key) + " text PRIMARY KEY, " + q(c.column) +
        " text, \"b\" bytea)");
    TableRef t{c.ref, {c.key}, {c.key, c.column, "b"}};
    ASSERT_TRUE(source()->InstallCapture(t, "f\"'1").ok());
    std::vector<WriteOp> ops;
    for (size_t i = 0; i < values.size(); ++i) {
      // Keys are hostile too: quotes, a semicolon and an emoji.
      ops.push_back(Upsert({T("k'\"" + std::to_string(i) + ";🎉")}, {{c.column, values[i]}}));
    }
    std::string bytes;
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);  // NUL included: bytea holds it
    ops.push_back(Upsert({T("blob")}, {{"b", B(bytes)}}));
    auto r = sink()->Apply(t, ops, "e'r\"p");
    ASSERT_TRUE(r.ok()) << r.status().ToString();

    auto changes = Read(t, "f\"'1");
    ASSERT_EQ(changes.size(), ops.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(changes[i].key, ops[i].key);
      EXPECT_EQ(changes[i].origin, "e'r\"p");
      ASSERT_TRUE(changes[i].row.has_value());
      EXPECT_EQ(changes[i].row->at(c.column), values[i]) << i;
    }
    EXPECT_EQ(changes.back().row->at("b"), B(bytes));
    auto chunk = source()->ReadChunk(t, std::nullopt, 100);
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    ASSERT_EQ(chunk->size(), ops.size());
    std::vector<Key> keys;
    for (const auto& op : ops) keys.push_back(op.key);
    auto rows = sink()->ReadRows(t, keys);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->size(), ops.size());
    for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*rows)[i].at(c.column), values[i]);
    ASSERT_TRUE(source()->RemoveCapture(t, "f\"'1").ok());
  }
  EXPECT_EQ(Count("SELECT count(*) FROM pg_class WHERE relname = 'accounts'"), 1);
  EXPECT_EQ(Functions(), 0);
}

TEST_F(PostgresConnectorTest, SchemaQualifiedTables) {
  App("CREATE SCHEMA \"Sales\"; CREATE TABLE \"Sales\".\"Orders\"(id int PRIMARY KEY, n text); "
      "CREATE TABLE public.\"Orders\"(id int PRIMARY KEY, n text)");
  TableRef orders{"Sales.Orders", {"id"}, {"id", "n"}};
  ASSERT_TRUE(source()->InstallCapture(orders, "f1").ok());
  ASSERT_TRUE(sink()->Apply(orders, {Upsert({I(1)}, {{"n", T("sales")}})}, "erp").ok());
  ASSERT_TRUE(sink()->Apply({"Orders", {"id"}, {}}, {Upsert({I(1)}, {{"n", T("pub")}})}, "").ok());
  EXPECT_EQ(Scalar("SELECT n FROM \"Sales\".\"Orders\""), "sales");
  EXPECT_EQ(Scalar("SELECT n FROM public.\"Orders\""), "pub");
  auto changes = Read(orders, "f1");
  ASSERT_EQ(changes.size(), 1u) << "only the Sales table is captured";
  EXPECT_EQ(changes[0].row->at("n"), T("sales"));
  EXPECT_EQ(changes[0].origin, "erp");
  EXPECT_EQ(Scalar("SELECT tbl FROM _concord_changelog"), "\"Sales\".\"Orders\"");

  // With `schema: Sales`, unqualified names and concord's changelog live in Sales.
  auto sales = Open({{"schema", "Sales"}});
  ASSERT_NE(sales, nullptr);
  TableRef unqualified{"Orders", {"id"}, {"id", "n"}};
  ASSERT_TRUE(sales->source()->InstallCapture(unqualified, "f2").ok());
  App("UPDATE \"Sales\".\"Orders\" SET n = 'changed'");
  auto mine = sales->source()->ReadChanges(unqualified, "f2", 10);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM \"Sales\"._concord_changelog"), 1);
  auto tables = sales->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(*tables, (std::vector<std::string>{"Orders", "public.Orders", "public.accounts"}));
}

TEST_F(PostgresConnectorTest, ReadRowsMatchesLikeTheDatabaseCompares) {
  concord::testing::ExpectReadRowsMatchesLikeTheDatabaseCompares(
      Db(), "CREATE TABLE nums(id integer PRIMARY KEY, v text)");
  // Text that is no integer is refused, as the server refuses it.
  auto bad = sink()->ReadRows({"nums", {"id"}, {"id", "v"}}, {{T("seventeen")}});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

// --- failures ---

TEST_F(PostgresConnectorTest, MissingTableOrColumnIsNotFound) {
  concord::testing::ExpectMissingTableOrColumnIsNotFound(Db(), "crm", {});
}

TEST_F(PostgresConnectorTest, ColumnsAddedAfterCachingAreFound) {
  ASSERT_TRUE(sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "").ok());
  App("ALTER TABLE accounts ADD COLUMN phone text");
  auto r = sink()->Apply(accounts_, {Upsert({T("A1")}, {{"phone", T("+86")}})}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // A prepared `SELECT t.*` survives the table changing shape.
  TableRef all{"accounts", {"account_no"}, {}};
  ASSERT_TRUE(source()->ReadChunk(all, std::nullopt, 10).ok());
  App("ALTER TABLE accounts ADD COLUMN fax text");
  auto rows = source()->ReadChunk(all, std::nullopt, 10);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].count("fax"), 1u);
}

TEST_F(PostgresConnectorTest, MissingPrivilegesNameTheGrant) {
  App("CREATE ROLE limited LOGIN; GRANT SELECT ON accounts TO limited; "
      "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  std::string url = url_;
  url.replace(url.find("postgres@"), 9, "limited@");
  auto limited = PostgresConnectorDescriptor().open(Params({{"url", url}}));
  ASSERT_TRUE(limited.ok()) << limited.status().ToString();
  Status s = (*limited)->source()->InstallCapture(accounts_, "f1");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), StartsWith("crm.accounts: permission denied for schema public"));
  EXPECT_THAT(s.message(), HasSubstr("GRANT USAGE, CREATE ON SCHEMA \"public\" TO \"limited\""));
  EXPECT_THAT(s.message(), HasSubstr("or use `capture: poll`"));

  // With CREATE granted, the trigger still needs TRIGGER on the table.
  App("GRANT CREATE ON SCHEMA public TO limited");
  s = (*limited)->source()->InstallCapture(accounts_, "f1");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("GRANT TRIGGER ON \"public\".\"accounts\" TO \"limited\""));
  App("GRANT TRIGGER ON accounts TO limited");
  s = (*limited)->source()->InstallCapture(accounts_, "f1");
  EXPECT_TRUE(s.ok()) << s.ToString();

  auto r = (*limited)->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(r.status().message(),
              StartsWith("crm.accounts: permission denied for table accounts (GRANT SELECT, "
                         "INSERT, UPDATE, DELETE ON \"public\".\"accounts\" TO \"limited\")"));
  limited->reset();
  ASSERT_TRUE(source()->RemoveCapture(accounts_, "f1").ok());
  App("DROP OWNED BY limited; DROP ROLE limited");
}

TEST_F(PostgresConnectorTest, KilledConnectionIsUnavailableAndAReopenedOneWorks) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  ASSERT_EQ(Read(accounts_, "f1").size(), 1u);
  EXPECT_EQ(Count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                  "application_name = 'concord crm'"),
            1);
  for (int i = 0; i < 100 && Count("SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name = 'concord crm'") > 0;
       ++i) {
    usleep(20000);  // until the backend is gone, so no write can slip through before it dies
  }
  std::vector<std::pair<std::string, Status>> results;
  results.emplace_back(
      "Apply", sink()->Apply(accounts_, {Upsert({T("A2")}, {{"name", T("x")}})}, "erp").status());
  results.emplace_back("ReadChanges", source()->ReadChanges(accounts_, "f1", 10).status());
  results.emplace_back("AckChanges", source()->AckChanges("f1", {1}));
  results.emplace_back("ReadRows", sink()->ReadRows(accounts_, {{T("A1")}}).status());
  results.emplace_back("ListTables", conn_->ListTables().status());
  for (const auto& [what, s] : results) {
    EXPECT_EQ(s.code(), Code::kUnavailable) << what << ": " << s.ToString();
    EXPECT_TRUE(s.IsRetryable()) << what;
    EXPECT_THAT(s.message(), StartsWith("crm")) << what;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM accounts"), 1) << "nothing was written";

  // The engine drops the connection and opens a new one: everything works again.
  conn_ = Open();
  ASSERT_NE(conn_, nullptr);
  auto r = sink()->Apply(accounts_, {Upsert({T("A2")}, {{"name", T("x")}})}, "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Read(accounts_, "f1").size(), 2u);
}

TEST_F(PostgresConnectorTest, StatementTimeoutIsDeadlineExceeded) {
  auto conn = Open({{"statement_timeout_ms", "200"}});
  ASSERT_NE(conn, nullptr);
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  Client locker(url_);
  locker.Exec("BEGIN; UPDATE accounts SET name = 'locked' WHERE account_no = 'A1'");
  auto r = conn->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().ToString();
  EXPECT_TRUE(r.status().IsRetryable());
  locker.Exec("ROLLBACK");
  r = conn->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

// --- snapshot ---

TEST_F(PostgresConnectorTest, ReadChangedSinceOrdersByColumnThenKey) {
  concord::testing::ExpectReadChangedSinceOrdersByColumnThenKey(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE events(id integer PRIMARY KEY, updated_at timestamptz NOT NULL, note text)",
      "+00");
}

TEST_F(PostgresConnectorTest, SnapshotChunksVisitEveryRowOnce) {
  concord::testing::ExpectSnapshotChunksVisitEveryRowOnce(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE stock(site text, sku integer, qty integer, PRIMARY KEY(site, sku))",
      "INSERT INTO stock SELECT chr(65 + i % 7), i, i * 2 FROM generate_series(0, 999) i");
}

// Informal throughput of Apply, printed, never asserted (run with
// --gtest_also_run_disabled_tests --gtest_filter='*Throughput*').
TEST_F(PostgresConnectorTest, DISABLED_ApplyThroughput) {
  App("CREATE TABLE bench(id bigint PRIMARY KEY, name text NOT NULL, city text, credit "
      "numeric(12,2), updated timestamptz)");
  TableRef bench{"bench", {"id"}, {}};
  auto run = [&](const std::string& what, int base, bool captured) {
    const int batches = 20, rows = 1000;
    auto start = std::chrono::steady_clock::now();
    for (int b = 0; b < batches; ++b) {
      std::vector<WriteOp> ops;
      for (int i = 0; i < rows; ++i) {
        int id = base + b * rows + i;
        ops.push_back(Upsert({I(id % 20000)}, {{"name", T("customer " + std::to_string(id))},
                                               {"city", T("Shanghai")},
                                               {"credit", T("1234.50")},
                                               {"updated", T("2023-06-01T08:30:00Z")}}));
      }
      auto r = sink()->Apply(bench, ops, captured ? "erp" : "");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-40s %8.0f rows/s\n", what.c_str(), batches * rows / s);
  };
  run("insert, uncaptured", 0, false);
  run("update, uncaptured", 0, false);
  ASSERT_TRUE(source()->InstallCapture(bench, "f1").ok());
  run("insert+update, captured", 10000, true);
  run("update, captured", 0, true);
  auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  while (true) {
    auto changes = source()->ReadChanges(bench, "f1", 1000);
    ASSERT_TRUE(changes.ok());
    if (changes->empty()) break;
    n += static_cast<int64_t>(changes->size());
    Ack("f1", *changes);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-40s %8.0f changes/s (%lld)\n", "ReadChanges+AckChanges", n / s,
              static_cast<long long>(n));
  start = std::chrono::steady_clock::now();
  std::optional<Key> after;
  n = 0;
  while (true) {
    auto rows = source()->ReadChunk(bench, after, 1000);
    ASSERT_TRUE(rows.ok());
    if (rows->empty()) break;
    n += static_cast<int64_t>(rows->size());
    after = Key{rows->back().at("id")};
  }
  s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-40s %8.0f rows/s\n", "ReadChunk", n / s);
}

TEST_F(PostgresConnectorTest, BucketSumsMatchTheRowsAndMoveWithEveryChange) {
  concord::testing::ExpectBucketSumsConform(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE memo (id integer PRIMARY KEY, name text, amount numeric(10,2))");
}

TEST_F(PostgresConnectorTest, WriteMarkMovesWithWritesOnly) {
  concord::testing::ExpectWriteMarkMovesWithWrites(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE marked (id integer PRIMARY KEY, note text)", true);
}

TEST_F(PostgresConnectorTest, FindByColumnAndCountRows) {
  concord::testing::ExpectFindByColumnAndCountRowsConform(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE holders (code text PRIMARY KEY, level text)", "ANALYZE holders");
}

}  // namespace
}  // namespace concord

int main(int argc, char** argv) { return concord::postgres_testing::RunAllTests(argc, argv); }
