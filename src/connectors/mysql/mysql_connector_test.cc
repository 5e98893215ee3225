// Tests of the mysql connector against a real MariaDB server that the test starts itself
// (tests/servers/mariadb_server.h): one server for the whole binary, one fresh database per test.
#include "connectors/mysql/mysql_connector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "connectors/capture_conformance.h"
#include "connectors/mysql/mysql_connection.h"
#include "connectors/source_conformance.h"
#include "servers/mariadb_server.h"
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
using mysql_connector::QuoteIdent;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kUser[] = "concord";
constexpr char kPassword[] = "s3cret'pw";

testing::MariadbServer* g_server = nullptr;
std::string g_cert_dir;  // ca.pem (the test CA) and the server's certificate and key

// Starts one MariaDB server for every test in this binary and stops it at the end, whatever the
// outcome (a crashed test takes the server with it: PR_SET_PDEATHSIG). It offers TLS with a
// certificate from a test CA.
class MariadbEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string error;
    certs_ = testing::TestCertificates::Make(&error);
    ASSERT_NE(certs_, nullptr) << error;
    g_cert_dir = certs_->dir();
    testing::MariadbServer::Options options;
    options.extra_args = {"--ssl-ca=" + g_cert_dir + "/ca.pem",
                          "--ssl-cert=" + g_cert_dir + "/server.pem",
                          "--ssl-key=" + g_cert_dir + "/server.key"};
    server_ = testing::MariadbServer::Start(options, &error);
    ASSERT_NE(server_, nullptr) << "cannot start a MariaDB server for the tests: " << error;
    g_server = server_.get();
    // A user with every privilege on the test databases (concord_%) but none globally: no SUPER,
    // as for a real integration account.
    std::string e = server_->Exec(
        "CREATE USER 'concord'@'%' IDENTIFIED BY 's3cret''pw';"
        "GRANT ALL PRIVILEGES ON `concord\\_%`.* TO 'concord'@'%'");
    ASSERT_EQ(e, "");
  }
  void TearDown() override {
    g_server = nullptr;
    server_.reset();
    certs_.reset();
  }

 private:
  std::unique_ptr<testing::TestCertificates> certs_;
  std::unique_ptr<testing::MariadbServer> server_;
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new MariadbEnvironment);

class MysqlConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(g_server, nullptr);
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    db_ = "concord_";
    for (char c : name) db_ += std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_';
    db_ = db_.substr(0, 64);
    ASSERT_EQ(g_server->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(db_) + "; CREATE DATABASE " +
                             QuoteIdent(db_) + " CHARACTER SET utf8mb4"),
              "");
    App("CREATE TABLE accounts(account_no VARCHAR(20) PRIMARY KEY, name VARCHAR(100) NOT NULL, "
        "level VARCHAR(10))");
    conn_ = Open();
    ASSERT_NE(conn_, nullptr);
  }

  void TearDown() override {
    conn_.reset();
    if (g_server != nullptr && !::testing::Test::HasFailure()) {
      g_server->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(db_));
    }
  }

  ConnectionParams Params(std::map<std::string, std::string> options = {}) {
    ConnectionParams p;
    p.system = "shop";
    p.options = {{"host", "127.0.0.1"},
                 {"port", std::to_string(g_server->port())},
                 {"user", kUser},
                 {"password", kPassword},
                 {"database", db_}};
    for (auto& [k, v] : options) p.options[k] = v;
    return p;
  }

  std::unique_ptr<Connection> Open(std::map<std::string, std::string> options = {}) {
    auto c = MysqlConnectorDescriptor().open(Params(std::move(options)));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // A write by "the application": root, in its own session (time_zone SYSTEM, default sql_mode).
  void App(const std::string& sql) {
    std::string e = g_server->Exec("USE " + QuoteIdent(db_) + "; " + sql);
    ASSERT_EQ(e, "") << sql;
  }

  std::vector<std::vector<std::string>> AppQuery(const std::string& sql) {
    std::string e;
    auto rows = g_server->Query("USE " + QuoteIdent(db_) + "; " + sql, &e);
    EXPECT_EQ(e, "") << sql;
    return rows;
  }

  int64_t Count(const std::string& sql) {
    auto rows = AppQuery(sql);
    return rows.empty() || rows[0].empty() ? -1 : std::stoll(rows[0][0]);
  }

  // This database as the shared conformance checks (capture_conformance.h) see it.
  concord::testing::CaptureDb Db() {
    return {source(), sink(), [this](const std::string& sql) { App(sql); },
            [this](const std::string& sql) { return Count(sql); },
            [this](bool installed) {
              // Three triggers (insert, update, delete) on the captured table.
              EXPECT_EQ(Triggers(), installed ? 3 : 0);
            }};
  }

  int64_t Triggers() {
    return Count("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = '" + db_ +
                 "'");
  }

  Source* source() { return conn_->source(); }
  Sink* sink() { return conn_->sink(); }

  std::vector<SourceChange> Read(const TableRef& t, std::string_view consumer, size_t max = 1000) {
    return concord::testing::ReadChangesOrFail(source(), t, consumer, max);
  }
  void Ack(std::string_view consumer, const std::vector<SourceChange>& changes) {
    concord::testing::AckChangesOrFail(source(), consumer, changes);
  }

  std::string db_;
  std::unique_ptr<Connection> conn_;
  const TableRef accounts_{"accounts", {"account_no"}, {"account_no", "name", "level"}};
};

// --- descriptor and opening ---

TEST(MysqlDescriptorTest, DeclaresOptionsAndCapture) {
  const ConnectorDescriptor& d = MysqlConnectorDescriptor();
  EXPECT_EQ(d.name, "mysql");
  EXPECT_EQ(d.required, std::vector<std::string_view>{"database"});
  EXPECT_EQ(d.capture_modes, (std::vector<std::string_view>{"trigger", "poll"}));
  std::set<std::string_view> names;
  for (const auto& [name, doc] : d.options) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string_view>{"host", "port", "socket", "user", "password",
                                               "database", "timezone", "connect_timeout_s",
                                               "statement_timeout_ms", "ssl_mode", "ssl_ca"}));
  EXPECT_NE(d.open, nullptr);
}

TEST_F(MysqlConnectorTest, OpenErrors) {
  struct Case {
    std::map<std::string, std::string> options;
    Code code;
    std::string message;
  };
  const std::string where = "127.0.0.1:" + std::to_string(g_server->port());
  std::vector<Case> cases = {
      {{{"database", ""}}, Code::kInvalidArgument, "shop: option \"database\" is required"},
      {{{"hots", "x"}},
       Code::kInvalidArgument,
       "shop: unknown option \"hots\" for connector mysql (did you mean \"host\"?)"},
      {{{"port", "33o6"}},
       Code::kInvalidArgument,
       "shop: option port: expected a TCP port from 1 to 65535, found \"33o6\""},
      {{{"port", "0"}}, Code::kInvalidArgument, "shop: option port: expected a TCP port"},
      {{{"statement_timeout_ms", "1s"}},
       Code::kInvalidArgument,
       "shop: option statement_timeout_ms: expected a whole number of milliseconds from 0 to "
       "86400000, found \"1s\""},
      {{{"connect_timeout_s", "-1"}},
       Code::kInvalidArgument,
       "shop: option connect_timeout_s: expected a whole number of seconds"},
      {{{"ssl_mode", "yes"}},
       Code::kInvalidArgument,
       "shop: option ssl_mode: expected disabled, required or verify_identity, found \"yes\""},
      {{{"ssl_ca", "ca.pem"}},
       Code::kInvalidArgument,
       "shop: option ssl_ca is used only with ssl_mode: verify_identity"},
      {{{"database", "concord_nope"}},
       Code::kNotFound,
       "shop: database \"concord_nope\" does not exist on " + where},
      {{{"database", "nope"}},  // the user may not see other databases
       Code::kPermissionDenied,
       "shop: cannot connect to " + where +
           " as \"concord\": Access denied for user 'concord'@'%' to database 'nope'"},
      {{{"password", "wrong"}},
       Code::kUnauthenticated,
       "shop: cannot connect to " + where + " as \"concord\": Access denied for user"},
      {{{"timezone", "Mars/Olympus_Mons"}},
       Code::kInvalidArgument,
       "shop: option timezone: the server does not know the time zone \"Mars/Olympus_Mons\"; "
       "use an offset such as \"+08:00\""},
      {{{"ssl_mode", "verify_identity"}},  // the test CA is not among the system's
       Code::kUnavailable,
       "shop: cannot connect to " + where + " as \"concord\""},
      {{{"ssl_mode", "verify_identity"}, {"ssl_ca", "/nonexistent/ca.pem"}},
       Code::kNotFound,
       "shop: option ssl_ca: file \"/nonexistent/ca.pem\" does not exist"},
  };
  for (const Case& c : cases) {
    auto r = MysqlConnectorDescriptor().open(Params(c.options));
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_THAT(r.status().message(), StartsWith(c.message));
    EXPECT_THAT(r.status().message(), Not(HasSubstr(kPassword)));
  }
  // Without `user`, the operating-system user is tried (and named).
  ConnectionParams anonymous = Params();
  anonymous.options.erase("user");
  auto os_user = MysqlConnectorDescriptor().open(anonymous);
  ASSERT_FALSE(os_user.ok());
  const passwd* pw = getpwuid(geteuid());
  ASSERT_NE(pw, nullptr);
  EXPECT_THAT(os_user.status().message(),
              StartsWith("shop: cannot connect to " + where + " as \"" + pw->pw_name + "\""));
  // Nothing listens on a port that was just free: the server is down, which is transient.
  ConnectionParams p = Params();
  p.options["port"] = "1";
  p.options["connect_timeout_s"] = "2";
  auto down = MysqlConnectorDescriptor().open(p);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Code::kUnavailable) << down.status().ToString();
  EXPECT_TRUE(down.status().IsRetryable());
  EXPECT_THAT(down.status().message(), StartsWith("shop: cannot connect to 127.0.0.1:1"));

  // Over the Unix socket (host and port unused).
  auto via_socket = Open({{"socket", g_server->socket()}, {"host", "unused.invalid"}});
  ASSERT_NE(via_socket, nullptr);
  EXPECT_TRUE(via_socket->ListTables().ok());
}

TEST_F(MysqlConnectorTest, DescribeAndListTables) {
  App("CREATE TABLE orders(id INT AUTO_INCREMENT PRIMARY KEY, account_no VARCHAR(20) NOT NULL, "
      "total DECIMAL(12,2))");
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());  // creates _concord_* tables
  auto cols = conn_->DescribeTable("orders");
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->size(), 3u);
  EXPECT_EQ((*cols)[0].name, "id");
  EXPECT_TRUE((*cols)[0].primary_key);
  EXPECT_TRUE((*cols)[0].not_null);
  EXPECT_EQ((*cols)[1].declared_type, "varchar(20)");
  EXPECT_TRUE((*cols)[1].not_null);
  EXPECT_FALSE((*cols)[1].primary_key);
  EXPECT_EQ((*cols)[2].declared_type, "decimal(12,2)");
  EXPECT_FALSE((*cols)[2].not_null);

  auto missing = conn_->DescribeTable("acounts");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "shop: table \"acounts\" does not exist");
  // Table names compare exactly, as the server does on Linux.
  EXPECT_EQ(conn_->DescribeTable("ACCOUNTS").status().code(), Code::kNotFound);

  auto tables = conn_->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(*tables, (std::vector<std::string>{"accounts", "orders"}));
}

TEST_F(MysqlConnectorTest, TlsModes) {
  auto cipher = [](Connection* c) {
    auto* mysql = dynamic_cast<mysql_connector::MysqlConnection*>(c);
    auto rows = mysql->db().Query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    EXPECT_TRUE(rows.ok());
    return rows.ok() && !rows->empty() ? (*rows)[0][1].text() : "";
  };
  EXPECT_EQ(cipher(conn_.get()), "") << "disabled is the default";
  auto required = Open({{"ssl_mode", "required"}});
  ASSERT_NE(required, nullptr);
  EXPECT_NE(cipher(required.get()), "");
  // The certificate is checked against the CA and the host name; ssl_ca is relative to the
  // directory of concord.yaml.
  ConnectionParams p = Params({{"ssl_mode", "verify_identity"}, {"ssl_ca", "ca.pem"}});
  p.base_dir = g_cert_dir;
  auto verified = MysqlConnectorDescriptor().open(p);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_NE(cipher(verified->get()), "");
  auto rows = (*verified)->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
}

// --- trigger capture ---

TEST_F(MysqlConnectorTest, CapturesInsertUpdateDeleteWithCurrentImage) {
  concord::testing::ExpectCapturesInsertUpdateDeleteWithCurrentImage(Db());
}

TEST_F(MysqlConnectorTest, ApplicationTransactionsAreCapturedOnlyWhenCommitted) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("START TRANSACTION; INSERT INTO accounts VALUES ('R1', 'rolled back', NULL); ROLLBACK");
  App("START TRANSACTION; INSERT INTO accounts VALUES ('C1', 'kept', NULL); "
      "UPDATE accounts SET level = 'B' WHERE account_no = 'C1'; COMMIT");
  auto changes = Read(accounts_, "f1");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, Key{T("C1")});
  EXPECT_EQ(changes[1].op, ChangeOp::kUpdate);
}

// AUTO_INCREMENT seqs are taken at insert time but become visible at commit, so a lower seq can
// appear after a higher one was read and acknowledged. Delete-on-consume still delivers it.
TEST_F(MysqlConnectorTest, ChangesCommittedOutOfSeqOrderAreNotSkipped) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  MYSQL* slow = mysql_init(nullptr);
  ASSERT_NE(mysql_real_connect(slow, nullptr, "root", nullptr, db_.c_str(), 0,
                               g_server->socket().c_str(), 0),
            nullptr);
  ASSERT_EQ(mysql_query(slow, "START TRANSACTION"), 0);
  ASSERT_EQ(mysql_query(slow, "INSERT INTO accounts VALUES ('SLOW', 'first seq', NULL)"), 0);
  App("INSERT INTO accounts VALUES ('FAST', 'second seq', NULL)");  // commits first
  auto fast = Read(accounts_, "f1");
  ASSERT_EQ(fast.size(), 1u);
  EXPECT_EQ(fast[0].key, Key{T("FAST")});
  Ack("f1", fast);
  ASSERT_EQ(mysql_query(slow, "COMMIT"), 0);
  mysql_close(slow);
  auto late = Read(accounts_, "f1");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].key, Key{T("SLOW")});
  EXPECT_LT(late[0].seq, fast[0].seq);
  ASSERT_TRUE(late[0].row.has_value());
}

TEST_F(MysqlConnectorTest, KeyChangeLogsDeleteAndInsert) {
  concord::testing::ExpectKeyChangeLogsDeleteAndInsert(Db());
}

TEST_F(MysqlConnectorTest, CompositeKeys) {
  concord::testing::ExpectCompositeKeysAreCaptured(
      Db(),
      "CREATE TABLE order_lines(order_id INT, line_no INT, sku VARCHAR(10), qty DOUBLE, "
      "PRIMARY KEY(order_id, line_no))");
}

TEST_F(MysqlConnectorTest, ConsumersGetTheirOwnRowsAndAckIndependently) {
  concord::testing::ExpectConsumersReadAndAckIndependently(Db());
}

TEST_F(MysqlConnectorTest, InstallAndRemoveAreIdempotent) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  auto created = [&] {
    return AppQuery(
        "SELECT trigger_name, created FROM information_schema.triggers "
        "WHERE trigger_schema = DATABASE() ORDER BY trigger_name");
  };
  auto first = created();
  ASSERT_EQ(first.size(), 3u);
  App("DO SLEEP(0.05)");
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  EXPECT_EQ(created(), first) << "current triggers are left alone (no DDL on the table)";
  concord::testing::ExpectInstallAndRemoveAreIdempotent(Db());

  // Removing from a database that never had capture is fine too.
  App("CREATE TABLE other(id INT PRIMARY KEY)");
  auto fresh = Open();
  App("DROP TABLE _concord_changelog, _concord_consumers");
  EXPECT_TRUE(fresh->source()->RemoveCapture({"other", {"id"}, {}}, "f9").ok());
  EXPECT_TRUE(fresh->source()->AckChanges("f9", {1, 2}).ok());
  EXPECT_EQ(fresh->source()->PendingChanges("f9")->count, 0);
}

// The source table changes shape while captured: an added column is not read (the binding does
// not map it); a dropped mapped column fails the read with NotFound naming it (the engine pauses
// the flow), and the change waits in the changelog until the column is back.
TEST_F(MysqlConnectorTest, SchemaChangesWhileCapturedLoseNoChange) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  App("ALTER TABLE accounts ADD COLUMN fax VARCHAR(20)");
  App("INSERT INTO accounts (account_no, name, level, fax) VALUES ('A1', 'Acme', 'VIP', '021')");
  auto changes = Read(accounts_, "f1");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].row->count("fax"), 0u);
  Ack("f1", changes);

  App("ALTER TABLE accounts DROP COLUMN level");
  App("UPDATE accounts SET name = 'Acme 2' WHERE account_no = 'A1'");
  auto broken = source()->ReadChanges(accounts_, "f1", 10);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), Code::kNotFound) << broken.status().ToString();
  EXPECT_THAT(broken.status().message(), HasSubstr("level"));
  EXPECT_FALSE(broken.status().IsRetryable()) << "an operator has to act: the flow pauses";
  EXPECT_EQ(source()->PendingChanges("f1")->count, 1);

  App("ALTER TABLE accounts ADD COLUMN level VARCHAR(10)");
  changes = Read(accounts_, "f1");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].row->at("name"), T("Acme 2"));
}

TEST_F(MysqlConnectorTest, ReinstallWithAnotherKeyRecreatesTriggers) {
  concord::testing::ExpectReinstallWithAnotherKeyLogsTheNewKey(
      Db(), "CREATE TABLE items(id INT PRIMARY KEY, code VARCHAR(10) UNIQUE)");
}

TEST_F(MysqlConnectorTest, InstallCaptureChecksTableAndKey) {
  concord::testing::ExpectInstallCaptureChecksTableAndKey(
      Db(), "shop: table \"acounts\" does not exist", "shop");
}

TEST_F(MysqlConnectorTest, ReadChangesExplainsBrokenCapture) {
  concord::testing::ExpectReadChangesExplainsBrokenCapture(
      Db(), "shop",
      "CREATE TABLE accounts(account_no VARCHAR(20) PRIMARY KEY, name VARCHAR(100) NOT NULL, "
      "level VARCHAR(10))",
      "shop.accounts: the capture triggers are missing");
}

TEST_F(MysqlConnectorTest, ManyKeysAreFetchedAndAckedInChunks) {
  concord::testing::ExpectManyKeysAreFetchedAndAcked(
      Db(),
      "INSERT INTO accounts SELECT CONCAT('K', LPAD(seq, 5, '0')), CONCAT('name ', seq), "
      "NULL FROM seq_1_to_1234");
}

// --- sink ---

TEST_F(MysqlConnectorTest, ApplyUpsertAndDelete) {
  concord::testing::ExpectApplyUpsertAndDelete(Db());
}

TEST_F(MysqlConnectorTest, ApplyKeepsOrderWithinABatch) {
  // Upsert, delete, upsert of one key, and two upserts of one key in one multi-row statement.
  std::vector<WriteOp> ops = {
      Upsert({T("A1")}, {{"name", T("first")}}),  Delete({T("A1")}),
      Upsert({T("A1")}, {{"name", T("second")}}), Upsert({T("A2")}, {{"name", T("x")}}),
      Upsert({T("A2")}, {{"name", T("y")}}),
  };
  auto r = sink()->Apply(accounts_, ops, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rows = AppQuery("SELECT account_no, name FROM accounts ORDER BY account_no");
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"A1", "second"}, {"A2", "y"}}));
}

TEST_F(MysqlConnectorTest, ApplyKeyOnlyInsertsWhenMissing) {
  concord::testing::ExpectApplyKeyOnlyInsertsWhenMissing(
      Db(), "tags", "CREATE TABLE tags(tag VARCHAR(10) PRIMARY KEY, note VARCHAR(10) DEFAULT 'd')");
  concord::testing::ExpectApplyKeyOnlyInsertsWhenMissing(  // no index at all
      Db(), "loose", "CREATE TABLE loose(tag VARCHAR(10), note VARCHAR(10) DEFAULT 'd')");
}

TEST_F(MysqlConnectorTest, ApplyReturnsGeneratedKeys) {
  App("CREATE TABLE customers(id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(10), "
      "name VARCHAR(20)) AUTO_INCREMENT = 42");
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
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customers WHERE id = 43 AND code = 'C2'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customers WHERE id = 41 AND name = 'renamed'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customers"), 4);

  // A key the table fills in by a default expression: MariaDB returns it (INSERT ... RETURNING).
  App("CREATE TABLE tickets(ref VARCHAR(36) NOT NULL DEFAULT (UUID()) PRIMARY KEY, "
      "title VARCHAR(20))");
  TableRef tickets{"tickets", {"ref"}, {}};
  auto t = sink()->Apply(tickets, {Upsert({}, {{"title", T("help")}})}, "");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->keys.size(), 1u);
  ASSERT_EQ(t->keys[0].size(), 1u);
  EXPECT_EQ(t->keys[0][0].text().size(), 36u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tickets WHERE ref = '" + t->keys[0][0].text() +
                  "' AND title = 'help'"),
            1);
}

TEST_F(MysqlConnectorTest, ApplyTagsChangelogRowsWithOrigin) {
  concord::testing::ExpectApplyTagsChangelogRowsWithOrigin(Db());
}

TEST_F(MysqlConnectorTest, LatestPendingMsIgnoresConcordsOwnWrites) {
  concord::testing::ExpectLatestPendingMsIgnoresConcordsOwnWrites(
      Db(), "CREATE TABLE parts(site VARCHAR(10), no INT, note VARCHAR(10), PRIMARY KEY(site, no))",
      "DO SLEEP(0.01); UPDATE parts SET note = 'again' WHERE no = 1", I(3));
}

TEST_F(MysqlConnectorTest, ApplyRollsBackOnConstraintFailure) {
  concord::testing::ExpectApplyRollsBackOnConstraintFailure(
      Db(),
      "shop.accounts: Field 'name' doesn't have a default value (op 3 of 4; nothing was "
      "written)");
  // NULL into NOT NULL, in the middle of a multi-row statement: the op is named exactly.
  std::vector<WriteOp> ops = {
      Upsert({T("A1")}, {{"name", T("changed")}}),
      Upsert({T("A5")}, {{"name", T("Epsilon")}}),
      Upsert({T("A6")}, {{"name", Value::Null()}}),
      Upsert({T("A7")}, {{"name", T("Eta")}}),
  };
  auto r = sink()->Apply(accounts_, ops, "erp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "shop.accounts: Column 'name' cannot be null (op 3 of 4; nothing was written)");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM accounts"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM accounts WHERE name = 'changed'"), 0);
}

TEST_F(MysqlConnectorTest, OtherUniqueIndexIsNeverSilentlyUpdated) {
  // With a second unique index, ON DUPLICATE KEY UPDATE would update the row holding the email:
  // the sink updates by key and inserts, so the clash is an error naming the index.
  App("CREATE TABLE people(id INT PRIMARY KEY, email VARCHAR(50) UNIQUE, name VARCHAR(20))");
  App("INSERT INTO people VALUES (1, 'a@x', 'Ann')");
  TableRef people{"people", {"id"}, {}};
  auto r = sink()->Apply(people, {Upsert({I(2)}, {{"email", T("a@x")}, {"name", T("Bob")}})}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith("shop.people: Duplicate entry 'a@x' for key"));
  EXPECT_THAT(r.status().message(), HasSubstr("(op 1 of 1; nothing was written)"));
  EXPECT_EQ(AppQuery("SELECT id, name FROM people"),
            (std::vector<std::vector<std::string>>{{"1", "Ann"}}));
  ASSERT_TRUE(sink()->Apply(people, {Upsert({I(1)}, {{"name", T("Anne")}})}, "").ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM people WHERE name = 'Anne'"), 1);
}

TEST_F(MysqlConnectorTest, UpsertOfSomeColumnsUpdatesARowWithRequiredColumns) {
  // A flow that owns a few fields writes only those. In strict mode the INSERT half of
  // INSERT ... ON DUPLICATE KEY UPDATE would be refused for the NOT NULL column it does not give,
  // even though the row exists: the sink updates it instead.
  App("CREATE TABLE accts(no VARCHAR(10) PRIMARY KEY, name VARCHAR(20) NOT NULL, "
      "level VARCHAR(5), credit DECIMAL(10,2))");
  App("INSERT INTO accts VALUES ('C1', 'Alpha', NULL, NULL), ('C2', 'Beta', NULL, NULL)");
  TableRef t{"accts", {"no"}, {"no", "name", "level", "credit"}};
  auto r = sink()->Apply(t, {Upsert({T("C1")}, {{"level", T("VIP")}, {"credit", T("10.50")}}),
                             Upsert({T("C2")}, {{"level", T("B")}, {"credit", T("1.00")}})},
                         "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AppQuery("SELECT no, name, level, credit FROM accts ORDER BY no"),
            (std::vector<std::vector<std::string>>{{"C1", "Alpha", "VIP", "10.50"},
                                                   {"C2", "Beta", "B", "1.00"}}));
  // A new row without its required column is still refused, naming the column.
  auto missing = sink()->Apply(t, {Upsert({T("C3")}, {{"level", T("A")}})}, "erp");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("'name'"));
  // With every required column given, the multi-row path still serves.
  ASSERT_TRUE(sink()->Apply(t, {Upsert({T("C3")}, {{"name", T("Gamma")}, {"level", T("A")}})},
                            "erp").ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM accts WHERE no = 'C3' AND name = 'Gamma'"), 1);
}

TEST_F(MysqlConnectorTest, ApplyRejectsWrongKeyArity) {
  concord::testing::ExpectApplyRejectsWrongKeyArity(Db(), "shop");
}

// --- MariaDB values ---

TEST_F(MysqlConnectorTest, VarcharOverflowIsRejectedNeverTruncated) {
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  std::string long_name(300, 'x');
  std::vector<WriteOp> ops = {Upsert({T("A0")}, {{"name", T("ok")}}),
                              Upsert({T("A1")}, {{"name", T(long_name)}}),
                              Upsert({T("A2")}, {{"name", T("ok")}})};
  auto r = sink()->Apply(accounts_, ops, "crm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(r.status().IsRetryable());
  EXPECT_EQ(r.status().message(),
            "shop.accounts: Data too long for column 'name' (op 2 of 3; nothing was written)");
  EXPECT_EQ(AppQuery("SELECT account_no, name FROM accounts"),
            (std::vector<std::vector<std::string>>{{"A1", "Acme"}}));
  // 100 characters fit, however many bytes they take.
  std::string chinese;
  for (int i = 0; i < 100; ++i) chinese += "客";
  ASSERT_TRUE(sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T(chinese)}})}, "").ok());
  auto rows = sink()->ReadRows(accounts_, {{T("A1")}});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].at("name"), T(chinese));
}

// --- the bulk path: LOAD DATA LOCAL INFILE into a temporary table, then one merge ---

// How many LOAD DATA statements the server has run (all sessions; tests run one at a time).
int64_t LoadsRun(const std::function<int64_t(const std::string&)>& count) {
  return count("SELECT VARIABLE_VALUE FROM information_schema.global_status WHERE VARIABLE_NAME "
               "= 'COM_LOAD'");
}

// Values that need escaping in LOAD DATA's text format (tab, newline, carriage return,
// backslash, NUL, a literal "\N"), quotes, emoji, NULLs, exact decimals, zoned timestamps: a
// 1,200-op batch (the bulk path) stores exactly what 100-op batches (multi-row INSERTs) store.
TEST_F(MysqlConnectorTest, BulkLoadStoresExactlyWhatMultiRowInsertsStore) {
  for (const char* name : {"via_load", "via_rows"}) {
    App(std::string("CREATE TABLE ") + name +
        " (id BIGINT PRIMARY KEY, name VARCHAR(100), amount DECIMAL(30,10), at DATETIME(6), "
        "day DATE, n INT, note TEXT)");
  }
  const std::vector<std::string> names = {"O'Brien; DROP TABLE via_load; --", "tab\there",
                                          "line\nbreak\r\n", "back\\slash \\N \\0",
                                          std::string("nul\0inside", 10), "emoji 😀 中文",
                                          "\"quoted\" `tick`", ""};
  std::vector<WriteOp> ops;
  for (int i = 0; i < 1200; ++i) {
    Row v;
    v["name"] = i % 9 == 8 ? Value::Null() : T(names[i % names.size()] + std::to_string(i));
    v["amount"] = T(i % 2 ? "12345678901234567890.0123456789" : "-0.000000000" + std::to_string(i % 10));
    v["at"] = T("2023-06-01T08:30:00." + std::to_string(100000 + i) + "+08:00");
    v["day"] = T("2024-02-29");
    v["n"] = I(i * 1000003 % 2000000000 - 1000000000);
    v["note"] = i % 5 == 0 ? Value::Null() : T("line " + std::to_string(i) + "\n\t\\");
    ops.push_back(Upsert({I(i)}, v));
  }
  auto count = [this](const std::string& sql) { return Count(sql); };
  int64_t loads = LoadsRun(count);
  auto loaded = sink()->Apply({"via_load", {"id"}, {}}, ops, "");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(LoadsRun(count), loads + 1);
  ASSERT_EQ(loaded->keys.size(), ops.size());
  EXPECT_EQ(loaded->keys[17], Key{I(17)});
  for (size_t i = 0; i < ops.size(); i += 100) {
    std::vector<WriteOp> part(ops.begin() + i, ops.begin() + std::min(ops.size(), i + 100));
    auto r = sink()->Apply({"via_rows", {"id"}, {}}, part, "");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(LoadsRun(count), loads + 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM via_load"), 1200);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM (SELECT * FROM via_load EXCEPT SELECT * FROM via_rows) d"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM (SELECT * FROM via_rows EXCEPT SELECT * FROM via_load) d"),
            0);
  EXPECT_EQ(AppQuery("SELECT amount, at FROM via_load WHERE id = 1")[0],
            (std::vector<std::string>{"12345678901234567890.0123456789",
                                      "2023-06-01 00:30:00.100001"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM via_load WHERE name = CONCAT('nul', CHAR(0), 'inside4')"),
            1);
}

// LOAD DATA LOCAL turns data errors into warnings: any warning sends the batch to the multi-row
// path, which refuses the op that does not fit (strict mode) and names it; nothing is written.
// Existing rows are updated in the columns given, and the last op of a repeated key wins.
TEST_F(MysqlConnectorTest, BulkLoadNeverTruncatesAndKeepsOpOrder) {
  App("INSERT INTO accounts VALUES ('A5', 'old', 'keep')");
  std::vector<WriteOp> ops;
  for (int i = 0; i < 1200; ++i) {
    ops.push_back(Upsert({T("A" + std::to_string(i))}, {{"name", T("n" + std::to_string(i))}}));
  }
  auto count = [this](const std::string& sql) { return Count(sql); };
  for (const std::string& bad : {std::string(300, 'x'), std::string()}) {
    std::vector<WriteOp> batch = ops;
    batch[516].values["name"] = bad.empty() ? Value::Null() : T(bad);
    int64_t loads = LoadsRun(count);
    auto r = sink()->Apply(accounts_, batch, "erp");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(LoadsRun(count), loads + 1);  // tried, then refused by the multi-row path
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(),
              bad.empty() ? "shop.accounts: Column 'name' cannot be null (op 517 of 1200; nothing "
                            "was written)"
                          : "shop.accounts: Data too long for column 'name' (op 517 of 1200; "
                            "nothing was written)");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM accounts"), 1);
  }
  ops[700] = Upsert({T("A5")}, {{"name", T("first")}});
  ops[900] = Upsert({T("A5")}, {{"name", T("second")}});
  ASSERT_TRUE(source()->InstallCapture(accounts_, "back").ok());
  auto r = sink()->Apply(accounts_, ops, "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AppQuery("SELECT name, level FROM accounts WHERE account_no = 'A5'")[0],
            (std::vector<std::string>{"second", "keep"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM accounts"), 1198);  // A700 and A900 were replaced by A5
  // Every changelog row these writes caused is tagged with the origin.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM _concord_changelog WHERE origin = 'erp'"), 1200);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM _concord_changelog WHERE origin IS NULL"), 0);
}

// A server with local_infile off refuses LOAD DATA LOCAL: the batch is written with multi-row
// INSERTs instead, and the connection does not ask again.
TEST_F(MysqlConnectorTest, BulkLoadRefusedByTheServerFallsBackToMultiRowInserts) {
  ASSERT_EQ(g_server->Exec("SET GLOBAL local_infile = 0"), "");
  std::vector<WriteOp> ops;
  for (int i = 0; i < 1200; ++i) {
    ops.push_back(Upsert({T("A" + std::to_string(i))}, {{"name", T("n")}}));
  }
  auto count = [this](const std::string& sql) { return Count(sql); };
  auto r = sink()->Apply(accounts_, ops, "");
  int64_t loads = LoadsRun(count);
  for (WriteOp& op : ops) op.values["name"] = T("m");
  auto again = sink()->Apply(accounts_, ops, "");
  EXPECT_EQ(LoadsRun(count), loads);
  ASSERT_EQ(g_server->Exec("SET GLOBAL local_infile = 1"), "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM accounts WHERE name = 'm'"), 1200);
  // The refusal is a note for the engine to log (connectors do not log), said once.
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_THAT(r->notes[0], StartsWith("bulk load (LOAD DATA LOCAL) not used: the server refused"));
  EXPECT_THAT(r->notes[0], HasSubstr("local_infile=ON"));
  EXPECT_TRUE(again->notes.empty());
}

TEST_F(MysqlConnectorTest, DecimalIsExact) {
  App("CREATE TABLE prices(sku DECIMAL(20,6) PRIMARY KEY, price DECIMAL(20,6), "
      "f FLOAT, d DOUBLE)");
  TableRef prices{"prices", {"sku"}, {}};
  ASSERT_TRUE(source()->InstallCapture(prices, "f1").ok());
  std::vector<std::string> values = {"12345678901234.123456", "-0.000001", "99999999999999.999999",
                                     "0.100000"};
  std::vector<WriteOp> ops;
  for (const std::string& v : values) {
    ops.push_back(Upsert(
        {T(v)},
        {{"price", T(v)}, {"f", Value::Real(0.1)}, {"d", Value::Real(0.30000000000000004)}}));
  }
  auto r = sink()->Apply(prices, ops, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto changes = Read(prices, "f1");
  ASSERT_EQ(changes.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(values[i]);
    EXPECT_EQ(changes[i].key, Key{T(values[i])});  // logged as text, exact
    ASSERT_TRUE(changes[i].row.has_value());
    EXPECT_EQ(changes[i].row->at("sku"), T(values[i]));
    EXPECT_EQ(changes[i].row->at("price"), T(values[i]));
    EXPECT_EQ(changes[i].row->at("f"), Value::Real(0.1));
    EXPECT_EQ(changes[i].row->at("d"), Value::Real(0.30000000000000004));
  }
  // The snapshot reads the same keys the log does.
  auto chunk = source()->ReadChunk(prices, std::nullopt, 10);
  ASSERT_TRUE(chunk.ok());
  ASSERT_EQ(chunk->size(), 4u);
  EXPECT_EQ(chunk->front().at("sku"), T("-0.000001"));
  // A value with more digits than the scale is an error, not rounded.
  // (MariaDB only notes the rounding, even in strict mode; the sink refuses it.)
  auto bad = sink()->Apply(
      prices,
      {Upsert({T("2")}, {{"price", T("2")}}), Upsert({T("1")}, {{"price", T("1.0000001")}})}, "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument) << bad.status().ToString();
  EXPECT_EQ(bad.status().message(),
            "shop.prices: Data truncated for column 'price' (op 2 of 2; nothing was written)");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prices"), 4);
  auto huge = sink()->Apply(prices, {Upsert({T("1")}, {{"price", T("1e30")}})}, "");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(huge.status().message(), HasSubstr("Out of range value for column 'price'"));
}

TEST_F(MysqlConnectorTest, DatetimeWithTimezoneOption) {
  App("CREATE TABLE events(at DATETIME(6) PRIMARY KEY, ts TIMESTAMP(3) NULL, d DATE, t TIME, "
      "plain DATETIME)");
  TableRef events{"events", {"at"}, {}};
  auto shanghai = Open({{"timezone", "+08:00"}});
  ASSERT_NE(shanghai, nullptr);
  ASSERT_TRUE(shanghai->source()->InstallCapture(events, "f1").ok());
  auto r = shanghai->sink()->Apply(
      events,
      {Upsert({T("2024-02-29T23:59:59.123456")}, {{"ts", T("2024-01-01T08:00:00.250")},
                                                  {"d", T("2024-02-29")},
                                                  {"t", T("-12:30:05")},
                                                  {"plain", T("2024-01-01 00:00:00")}}),
       // Zoned timestamps are moved to the system's time zone.
       Upsert({T("2024-03-01T00:00:00Z")},
              {{"ts", T("2024-01-01T00:00:00Z")}, {"plain", T("2023-12-31T23:00:00-01:00")}})},
      "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rows = shanghai->sink()->ReadRows(
      events, {{T("2024-02-29T23:59:59.123456")}, {T("2024-03-01T08:00:00.000000")}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], (Row{{"at", T("2024-02-29T23:59:59.123456")},
                             {"ts", T("2024-01-01T08:00:00.250")},
                             {"d", T("2024-02-29")},
                             {"t", T("-12:30:05")},
                             {"plain", T("2024-01-01T00:00:00")}}));
  EXPECT_EQ((*rows)[1].at("at"), T("2024-03-01T08:00:00.000000"));
  EXPECT_EQ((*rows)[1].at("ts"), T("2024-01-01T08:00:00.000"));
  EXPECT_EQ((*rows)[1].at("plain"), T("2024-01-01T08:00:00"));
  // The same instant through a UTC connection: TIMESTAMP moves, DATETIME does not.
  auto utc = conn_->sink()->ReadRows(events, {{T("2024-02-29T23:59:59.123456")}});
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ((*utc)[0].at("ts"), T("2024-01-01T00:00:00.250"));
  EXPECT_EQ((*utc)[0].at("at"), T("2024-02-29T23:59:59.123456"));

  // Logged keys read exactly as the rows do, so snapshot and stream agree on them.
  auto changes = shanghai->source()->ReadChanges(events, "f1", 10);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].key, Key{T("2024-02-29T23:59:59.123456")});
  EXPECT_EQ((*changes)[1].key, Key{T("2024-03-01T08:00:00.000000")});
  ASSERT_TRUE((*changes)[1].row.has_value());
  auto chunk = shanghai->source()->ReadChunk(events, Key{T("2024-02-29T23:59:59.123456")}, 10);
  ASSERT_TRUE(chunk.ok());
  ASSERT_EQ(chunk->size(), 1u);
  EXPECT_EQ(chunk->front().at("at"), (*changes)[1].key[0]);

  // An impossible date is refused (strict mode), never stored as 0000-00-00.
  auto bad = shanghai->sink()->Apply(events, {Upsert({T("2024-02-30T00:00:00")}, {})}, "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              StartsWith("shop.events: Incorrect datetime value: '2024-02-30T00:00:00' for "
                         "column"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events"), 2);
}

TEST_F(MysqlConnectorTest, TimestampKeysWrittenInAnotherTimeZoneAreLoggedInOurs) {
  App("CREATE TABLE readings(at TIMESTAMP(3) NOT NULL PRIMARY KEY, v INT)");
  TableRef readings{"readings", {"at"}, {}};
  auto shanghai = Open({{"timezone", "+08:00"}});
  ASSERT_NE(shanghai, nullptr);
  ASSERT_TRUE(shanghai->source()->InstallCapture(readings, "f1").ok());
  // The application writes in its own session time zone (SYSTEM here, and then +02:00).
  App("INSERT INTO readings VALUES ('2024-05-01 00:00:00.125', 1)");
  App("SET time_zone = '+02:00'; INSERT INTO readings VALUES ('2024-05-01 00:00:00.500', 2)");
  auto changes = shanghai->source()->ReadChanges(readings, "f1", 10);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_EQ(changes->size(), 2u);
  for (const SourceChange& c : *changes) {
    ASSERT_TRUE(c.row.has_value()) << c.key[0].ToString();
    EXPECT_EQ(c.row->at("at"), c.key[0]);
  }
  auto system_zone =
      AppQuery("SELECT @@system_time_zone, TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), NOW())");
  EXPECT_EQ((*changes)[1].key[0], T("2024-05-01T06:00:00.500")) << system_zone[0][0];
  // A zoned value written through the sink with a zone name the server knows (SYSTEM).
  auto system = Open({{"timezone", "SYSTEM"}});
  ASSERT_NE(system, nullptr);
  ASSERT_TRUE(system->sink()
                  ->Apply(readings, {Upsert({T("2024-05-02T00:00:00Z")}, {{"v", I(3)}})}, "")
                  .ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM readings WHERE v = 3 AND "
                  "UNIX_TIMESTAMP(at) = UNIX_TIMESTAMP('2024-05-02 00:00:00') - "
                  "TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())"),
            1);
}

TEST_F(MysqlConnectorTest, TypesAreReadWithoutLoss) {
  App("CREATE TABLE kinds(id INT PRIMARY KEY, b TINYINT(1), bit1 BIT(1), bits BIT(12), "
      "u BIGINT UNSIGNED, i BIGINT, y YEAR, f FLOAT, d DOUBLE, dec0 DECIMAL(5,0), "
      "c CHAR(3), v VARCHAR(20), tx TEXT, j JSON, e ENUM('a','b'), s SET('x','y'), "
      "bl BLOB, bin BINARY(4), vb VARBINARY(8), dt DATE)");
  App("INSERT INTO kinds VALUES (1, 1, b'1', b'101010101010', 18446744073709551615, "
      "-9223372036854775808, 2024, 1.5, 2.25, -12345, 'ab', 'v', 'long text', '{\"a\": [1, 2]}', "
      "'b', 'x,y', X'00FF10', X'01020304', X'', '2024-02-29')");
  App("INSERT INTO kinds (id) VALUES (2)");
  TableRef kinds{"kinds", {"id"}, {}};
  auto rows = sink()->ReadRows(kinds, {{I(1)}, {I(2)}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  Row want = {{"id", I(1)},
              {"b", I(1)},
              {"bit1", I(1)},
              {"bits", I(0xAAA)},
              {"u", T("18446744073709551615")},
              {"i", I(INT64_MIN)},
              {"y", I(2024)},
              {"f", Value::Real(1.5)},
              {"d", Value::Real(2.25)},
              {"dec0", T("-12345")},
              {"c", T("ab")},
              {"v", T("v")},
              {"tx", T("long text")},
              {"j", T("{\"a\": [1, 2]}")},
              {"e", T("b")},
              {"s", T("x,y")},
              {"bl", Value::Blob(std::string("\x00\xff\x10", 3))},
              {"bin", Value::Blob("\x01\x02\x03\x04")},
              {"vb", Value::Blob("")},
              {"dt", T("2024-02-29")}};
  EXPECT_EQ((*rows)[0], want);
  for (const auto& [name, value] : (*rows)[1]) {
    if (name != "id") {
      EXPECT_TRUE(value.is_null()) << name;
    }
  }
  // And written back: Int into BIT and TINYINT(1), text into JSON, blob into BINARY.
  Row values = want;
  values.erase("id");
  values["u"] = T("18446744073709551615");
  ASSERT_TRUE(sink()->Apply(kinds, {Upsert({I(3)}, values)}, "").ok());
  auto back = sink()->ReadRows(kinds, {{I(3)}});
  ASSERT_TRUE(back.ok());
  want["id"] = I(3);
  EXPECT_EQ((*back)[0], want);
}

// The snapshot's pages are streamed from the server (RowDelivery::kStreamed): values longer than
// the result buffers (refetched column by column), dates and fractional times are read exactly,
// and the connection serves other statements between pages.
TEST_F(MysqlConnectorTest, SnapshotPagesStreamLongValuesAndFreeTheConnection) {
  App("CREATE TABLE notes (id INT PRIMARY KEY, body MEDIUMTEXT, day DATE, at DATETIME(3))");
  std::vector<std::string> bodies;
  for (int i = 0; i < 9; ++i) {
    std::string body = "第" + std::to_string(i) + "条 🚀 ";
    body += std::string(static_cast<size_t>(i % 3 == 0 ? 10 : i * 20000), 'x');
    bodies.push_back(body);
    App("INSERT INTO notes VALUES (" + std::to_string(i) + ", '" + body + "', '2024-02-2" +
        std::to_string(i) + "', '2024-01-01 10:00:0" + std::to_string(i) + ".5')");
  }
  TableRef notes{"notes", {"id"}, {"id", "body", "day", "at"}};
  std::optional<Key> after;
  int read = 0;
  while (true) {
    auto rows = source()->ReadChunk(notes, after, 2);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows->empty()) break;
    for (const Row& row : *rows) {
      const int64_t id = row.at("id").int_value();
      ASSERT_EQ(id, read);
      EXPECT_EQ(row.at("body"), T(bodies[static_cast<size_t>(id)])) << id;
      EXPECT_EQ(row.at("day"), T("2024-02-2" + std::to_string(id)));
      EXPECT_EQ(row.at("at"), T("2024-01-01T10:00:0" + std::to_string(id) + ".500"));
      ++read;
    }
    after = Key{rows->back().at("id")};
    // Other statements on the same connection between pages.
    auto count = source()->CountRows(notes);
    ASSERT_TRUE(count.ok()) << count.status().ToString();
    EXPECT_EQ(*count, 9);
    auto one = sink()->ReadRows(notes, {{I(0)}});
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ(one->size(), 1u);
  }
  EXPECT_EQ(read, 9);
}

TEST_F(MysqlConnectorTest, ChineseTextAndEmojiRoundTrip) {
  App("CREATE TABLE 客户(编号 VARCHAR(20) PRIMARY KEY, 名称 VARCHAR(100), 备注 TEXT)");
  TableRef t{"客户", {"编号"}, {"编号", "名称", "备注"}};
  ASSERT_TRUE(source()->InstallCapture(t, "f1").ok());
  App("INSERT INTO 客户 VALUES ('客户001', '上海某某贸易有限公司', '重要 🎉')");
  ASSERT_TRUE(
      sink()
          ->Apply(t, {Upsert({T("客户🚀")}, {{"名称", T("北京 ℃ 有限公司")}, {"备注", T("😀")}})},
                  "erp")
          .ok());
  auto changes = Read(t, "f1");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, Key{T("客户001")});
  EXPECT_EQ(changes[0].row->at("备注"), T("重要 🎉"));
  EXPECT_EQ(changes[1].key, Key{T("客户🚀")});
  EXPECT_EQ(changes[1].row->at("名称"), T("北京 ℃ 有限公司"));
  EXPECT_EQ(changes[1].origin, "erp");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM 客户 WHERE 备注 = '😀'"), 1);
}

// --- hostile names and values ---

TEST_F(MysqlConnectorTest, HostileIdentifiersAndValuesRoundTrip) {
  struct Case {
    std::string table, key, column;
  };
  // Identifiers may not hold characters outside the BMP (emoji) or end in a space.
  std::vector<Case> cases = {
      {"we`ird tbl", "k`ey", "va'l;ue"},
      {"o'brien\"", "it's", "x\"); DROP TABLE accounts; --"},
      {"back\\slash", "k\\", "v\\'"},
      {"表 名", "键", "值 ℃"},
      {"a_very_long_table_name_that_needs_its_trigger_names_shortened_x", "k", "v"},
  };
  std::string blob;
  for (int c = 0; c < 256; ++c) blob += static_cast<char>(c);  // every byte, NUL included
  std::vector<Value> values = {
      T("quote ' double \" both '\" backtick `"),
      T("semi; DROP TABLE accounts; --"),
      T("back\\slash \\' \\\" \\n \\0 %_"),
      T("emoji 🎉🚀 中文 ℃"),
      Value::Blob(blob),
      Value::Real(0.1),
      I(INT64_MIN),
      Value::Null(),
      T(""),
  };
  auto column_for = [](const Case& c, const Value& v) {
    switch (v.kind()) {
      case ValueKind::kBlob:
        return c.column + "_b";
      case ValueKind::kReal:
        return c.column + "_r";
      case ValueKind::kInt:
        return c.column + "_i";
      default:
        return c.column;
    }
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.table);
    App("CREATE TABLE " + QuoteIdent(c.table) + "(" + QuoteIdent(c.key) +
        " VARCHAR(50) PRIMARY KEY, " + QuoteIdent(c.column) + " TEXT, " +
        QuoteIdent(c.column + "_b") + " BLOB, " + QuoteIdent(c.column + "_r") + " DOUBLE, " +
        QuoteIdent(c.column + "_i") + " BIGINT)");
    TableRef t{c.table, {c.key}, {}};
    ASSERT_TRUE(source()->InstallCapture(t, "f\"'`1").ok());
    std::vector<WriteOp> ops;
    for (size_t i = 0; i < values.size(); ++i) {
      // Keys are hostile too: quotes, a backslash, a backtick and an emoji.
      ops.push_back(Upsert({T("k'\"\\`" + std::to_string(i) + ";🎉")},
                           {{column_for(c, values[i]), values[i]}}));
    }
    auto r = sink()->Apply(t, ops, "e'r\"p\\");
    ASSERT_TRUE(r.ok()) << r.status().ToString();

    auto changes = Read(t, "f\"'`1");
    ASSERT_EQ(changes.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(changes[i].key, ops[i].key);
      EXPECT_EQ(changes[i].origin, "e'r\"p\\");
      ASSERT_TRUE(changes[i].row.has_value());
      EXPECT_EQ(changes[i].row->at(column_for(c, values[i])), values[i]) << i;
    }
    auto chunk = source()->ReadChunk(t, std::nullopt, 100);
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    ASSERT_EQ(chunk->size(), values.size());
    std::vector<Key> keys;
    for (const auto& op : ops) keys.push_back(op.key);
    auto rows = sink()->ReadRows(t, keys);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ((*rows)[i].at(column_for(c, values[i])), values[i]);
    }
    auto latest = source()->LatestPendingMs(t, "f\"'`1", keys, "");
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    EXPECT_EQ(latest->size(), values.size());
    ASSERT_TRUE(sink()->Apply(t, {Delete(keys[0])}, "").ok());
    ASSERT_TRUE(source()->RemoveCapture(t, "f\"'`1").ok());
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM accounts"), 0);  // still there, still empty
  EXPECT_EQ(Triggers(), 0);
}

TEST_F(MysqlConnectorTest, BinaryAndNumericKeysAreCaptured) {
  App("CREATE TABLE files(digest VARBINARY(16), part INT, size DOUBLE, PRIMARY KEY(digest, part))");
  TableRef files{"files", {"digest", "part"}, {}};
  ASSERT_TRUE(source()->InstallCapture(files, "f1").ok());
  std::string digest("\x01\xff\x7f'\"\x00`", 7);
  auto r =
      sink()->Apply(files, {Upsert({Value::Blob(digest), I(3)}, {{"size", Value::Real(1.5)}})}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  App("INSERT INTO files VALUES (X'80', 1, 2)");  // not valid UTF-8: must not fail the write
  auto changes = Read(files, "f1");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, (Key{Value::Blob(digest), I(3)}));
  ASSERT_TRUE(changes[0].row.has_value());
  EXPECT_EQ(*changes[0].row,
            (Row{{"digest", Value::Blob(digest)}, {"part", I(3)}, {"size", Value::Real(1.5)}}));
  EXPECT_EQ(changes[1].key, (Key{Value::Blob("\x80"), I(1)}));
  ASSERT_TRUE(changes[1].row.has_value());
}

TEST_F(MysqlConnectorTest, ReadRowsMatchesLikeTheDatabaseCompares) {
  concord::testing::ExpectReadRowsMatchesLikeTheDatabaseCompares(
      Db(), "CREATE TABLE nums(id INT PRIMARY KEY, v VARCHAR(20))");
}

// --- failures ---

TEST_F(MysqlConnectorTest, MissingTableOrColumnIsNotFound) {
  concord::testing::ExpectMissingTableOrColumnIsNotFound(Db(), "shop", {T("A7")});
}

TEST_F(MysqlConnectorTest, MissingTriggerPrivilegeIsPermissionDenied) {
  ASSERT_EQ(g_server->Exec("DROP USER IF EXISTS 'notrig'@'%'; "
                           "CREATE USER 'notrig'@'%' IDENTIFIED BY 'pw'; "
                           "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER ON " +
                           QuoteIdent(db_) + ".* TO 'notrig'@'%'"),
            "");
  auto conn = Open({{"user", "notrig"}, {"password", "pw"}});
  ASSERT_NE(conn, nullptr);
  Status s = conn->source()->InstallCapture(accounts_, "f1");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), StartsWith("shop.accounts: cannot install capture: TRIGGER command "
                                      "denied to user 'notrig'@"));
  EXPECT_THAT(s.message(),
              HasSubstr("grant it with: GRANT TRIGGER ON " + QuoteIdent(db_) +
                        ".* TO 'notrig'@'%'; or, without triggers, bind this table with "
                        "capture: poll"));
  EXPECT_EQ(Triggers(), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM _concord_consumers"), 0) << "nothing registered";
  // The sink needs no trigger privilege.
  EXPECT_TRUE(conn->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "").ok());
  g_server->Exec("DROP USER 'notrig'@'%'");
}

TEST_F(MysqlConnectorTest, BinaryLogWithoutSuperIsPermissionDenied) {
  // Binary logging is on: without SUPER, creating a trigger needs log_bin_trust_function_creators.
  ASSERT_EQ(g_server->Exec("SET GLOBAL log_bin_trust_function_creators = 0"), "");
  Status s = source()->InstallCapture(accounts_, "f1");
  ASSERT_EQ(g_server->Exec("SET GLOBAL log_bin_trust_function_creators = 1"), "");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), StartsWith("shop.accounts: cannot install capture: "));
  EXPECT_THAT(s.message(), HasSubstr("GRANT SUPER ON *.* TO 'concord'@'%', or SET GLOBAL "
                                     "log_bin_trust_function_creators = 1"));
  EXPECT_THAT(s.message(), HasSubstr("capture: poll"));
  EXPECT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
}

TEST_F(MysqlConnectorTest, KilledConnectionIsUnavailableAndReopeningWorks) {
  ASSERT_TRUE(source()->InstallCapture(accounts_, "f1").ok());
  ASSERT_TRUE(sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("before")}})}, "").ok());
  auto* mysql = dynamic_cast<mysql_connector::MysqlConnection*>(conn_.get());
  ASSERT_NE(mysql, nullptr);
  ASSERT_EQ(g_server->Exec("KILL " + std::to_string(mysql->thread_id())), "");

  auto applied = sink()->Apply(accounts_, {Upsert({T("A2")}, {{"name", T("lost?")}})}, "erp");
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), Code::kUnavailable) << applied.status().ToString();
  EXPECT_TRUE(applied.status().IsRetryable());
  EXPECT_THAT(applied.status().message(), StartsWith("shop.accounts: "));
  auto read = source()->ReadChanges(accounts_, "f1", 10);
  EXPECT_EQ(read.status().code(), Code::kUnavailable) << read.status().ToString();

  // The engine drops the connection and opens another: that one works, nothing was half-done.
  conn_ = Open();
  ASSERT_NE(conn_, nullptr);
  ASSERT_TRUE(sink()->Apply(accounts_, {Upsert({T("A2")}, {{"name", T("after")}})}, "erp").ok());
  auto changes = Read(accounts_, "f1");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].key, Key{T("A2")});
  EXPECT_EQ(changes[1].origin, "erp");
  EXPECT_EQ(changes[1].row->at("name"), T("after"));
}

TEST_F(MysqlConnectorTest, LockWaitEndsAfterStatementTimeoutAsRetryable) {
  App("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  auto conn = Open({{"statement_timeout_ms", "800"}});
  ASSERT_NE(conn, nullptr);
  // Another session holds the row's lock.
  MYSQL* holder = mysql_init(nullptr);
  ASSERT_NE(mysql_real_connect(holder, nullptr, "root", nullptr, db_.c_str(), 0,
                               g_server->socket().c_str(), 0),
            nullptr);
  ASSERT_EQ(mysql_query(holder, "START TRANSACTION"), 0);
  ASSERT_EQ(mysql_query(holder, "UPDATE accounts SET level = 'L' WHERE account_no = 'A1'"), 0);
  auto started = std::chrono::steady_clock::now();
  auto r = conn->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), StartsWith("shop.accounts: "));
  // Not a timing assertion: only that the server's 50 s default did not apply.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  // Installing triggers needs the table's metadata lock, which the open transaction holds.
  Status install = conn->source()->InstallCapture(accounts_, "f1");
  EXPECT_TRUE(install.IsRetryable()) << install.ToString();
  mysql_query(holder, "ROLLBACK");
  mysql_close(holder);
  EXPECT_TRUE(conn->sink()->Apply(accounts_, {Upsert({T("A1")}, {{"name", T("x")}})}, "").ok());
}

// --- snapshot ---

TEST_F(MysqlConnectorTest, ReadChangedSinceOrdersByColumnThenKey) {
  concord::testing::ExpectReadChangedSinceOrdersByColumnThenKey(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE events(id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL, note TEXT)", "");
}

TEST_F(MysqlConnectorTest, SnapshotChunksVisitEveryRowOnce) {
  concord::testing::ExpectSnapshotChunksVisitEveryRowOnce(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE stock(site VARCHAR(5), sku INT, qty INT, PRIMARY KEY(site, sku))",
      "INSERT INTO stock SELECT CHAR(65 + seq % 7), seq, seq * 2 FROM seq_0_to_999");
}

// --- informal throughput (run with --gtest_also_run_disabled_tests; not a test) ---

TEST_F(MysqlConnectorTest, DISABLED_ApplyThroughput) {
  App("CREATE TABLE bench(code VARCHAR(20) PRIMARY KEY, name VARCHAR(100), city VARCHAR(50), "
      "credit DECIMAL(12,2), level INT)");
  TableRef bench{"bench", {"code"}, {}};
  auto batch = [](int round, int n, const std::string& suffix) {
    std::vector<WriteOp> ops;
    for (int i = 0; i < n; ++i) {
      std::string code = "C" + std::to_string(round * n + i);
      ops.push_back(Upsert({T(code)}, {{"name", T("Customer " + code + suffix)},
                                       {"city", T("上海")},
                                       {"credit", T("1234.50")},
                                       {"level", I(i % 5)}}));
    }
    return ops;
  };
  auto measure = [&](const char* what, const std::string& suffix, int rounds) {
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
      auto result = sink()->Apply(bench, batch(r, 1000, suffix), "erp");
      ASSERT_TRUE(result.ok()) << result.status().ToString();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-40s %8.0f rows/s\n", what, rounds * 1000 / s);
  };
  measure("insert, uncaptured (1000-row batches)", "", 20);
  measure("update, uncaptured", " v2", 20);
  ASSERT_TRUE(source()->InstallCapture(bench, "f1").ok());
  measure("update, captured (trigger + origin)", " v3", 20);
  auto start = std::chrono::steady_clock::now();
  size_t total = 0;
  while (true) {
    auto changes = source()->ReadChanges(bench, "f1", 1000);
    ASSERT_TRUE(changes.ok());
    if (changes->empty()) break;
    total += changes->size();
    Ack("f1", *changes);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-40s %8.0f changes/s\n", "ReadChanges + AckChanges", total / s);
  start = std::chrono::steady_clock::now();
  std::optional<Key> after;
  total = 0;
  while (true) {
    auto rows = source()->ReadChunk(bench, after, 1000);
    ASSERT_TRUE(rows.ok());
    if (rows->empty()) break;
    total += rows->size();
    after = Key{rows->back().at("code")};
  }
  s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-40s %8.0f rows/s\n", "ReadChunk", total / s);
}

}  // namespace

TEST_F(MysqlConnectorTest, BucketSumsMatchTheRowsAndMoveWithEveryChange) {
  concord::testing::ExpectBucketSumsConform(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE memo (id INT PRIMARY KEY, name TEXT, amount DECIMAL(10,2))");
}

TEST_F(MysqlConnectorTest, WriteMarkMovesWithWritesOnly) {
  concord::testing::ExpectWriteMarkMovesWithWrites(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE marked (id INT PRIMARY KEY, note TEXT)", true);
}

TEST_F(MysqlConnectorTest, FindByColumnAndCountRows) {
  concord::testing::ExpectFindByColumnAndCountRowsConform(
      source(), [this](const std::string& sql) { App(sql); },
      "CREATE TABLE holders (code VARCHAR(10) PRIMARY KEY, level VARCHAR(40))",
      "ANALYZE TABLE holders");
}

}  // namespace concord
