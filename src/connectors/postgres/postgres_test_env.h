// What the postgres connector's test binaries that run against one server of their own
// (postgres_connector_test, postgres_logical_test) share: a gtest Environment that starts the
// server (tests/servers/postgres.sh via PostgresServer) before the first test and stops it after
// the last, a plain libpq client for "the application" or the admin, and a base fixture that
// gives each test a fresh database with the `accounts` table and a connector opened on it.
// Header-only.
//
// Each binary's main() runs RunAllTests, which adds a PostgresEnvironment; tests reach the server
// through g_server, which is nullptr outside the environment's lifetime and when the server could
// not start (the environment then fails every test, never skips). Not thread-safe: gtest runs one
// test at a time.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "connectors/postgres/postgres_connector.h"
#include "servers/postgres_server.h"

namespace concord::postgres_testing {

inline test_servers::PostgresServer* g_server = nullptr;

// Starts one server for the whole binary, and fails every test (never skips) without one.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string error;
    server_ = test_servers::PostgresServer::Start(&error);
    ASSERT_NE(server_, nullptr) << "could not start a PostgreSQL server for the tests: " << error;
    g_server = server_.get();
  }
  void TearDown() override {
    g_server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<test_servers::PostgresServer> server_;
};

// The body of main() for a binary whose tests use g_server: gtest, with a PostgresEnvironment.
inline int RunAllTests(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);
  return RUN_ALL_TESTS();
}

// A plain libpq connection for setting up and inspecting: "the application" or the admin. A
// failure to connect fails the test; notices are dropped.
class Client {
 public:
  explicit Client(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~Client() { PQfinish(conn_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs `sql` (one or more statements); returns the error message, "" on success.
  std::string Try(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    std::string err =
        (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? "" : PQerrorMessage(conn_);
    PQclear(r);
    return err;
  }
  // Runs `sql`; a refusal fails the test.
  void Exec(const std::string& sql) { EXPECT_EQ(Try(sql), "") << sql; }
  // First column of the first row ("" when none, "NULL" for NULL); a refusal fails the test.
  std::string Scalar(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string out;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn_);
    } else if (PQntuples(r) > 0) {
      out = PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }
  // Scalar() as an integer; -1 when there is no row.
  int64_t Count(const std::string& sql) {
    std::string s = Scalar(sql);
    return s.empty() ? -1 : std::stoll(s);
  }
  PGconn* raw() { return conn_; }

 private:
  PGconn* conn_;
};

// A fresh database per test, named `prefix` and a number; "the application" (app_) connected to
// it; the table accounts (account_no text key, name text NOT NULL, level text), empty, bound as
// accounts_ with capture mode `capture`; and the connector opened on it as system "crm" (conn_).
// TearDown drops the database.
class PostgresDatabaseTest : public ::testing::Test {
 protected:
  explicit PostgresDatabaseTest(std::string prefix, std::string capture = "")
      : prefix_(std::move(prefix)),
        accounts_{"accounts", {"account_no"}, {"account_no", "name", "level"}, std::move(capture)} {
  }

  void SetUp() override {
    ASSERT_NE(g_server, nullptr);
    static int counter = 0;
    db_ = prefix_ + std::to_string(++counter);
    Client(g_server->url()).Exec("CREATE DATABASE " + db_);
    url_ = g_server->UrlFor(db_);
    app_ = std::make_unique<Client>(url_);
    App("CREATE TABLE accounts(account_no text PRIMARY KEY, name text NOT NULL, level text)");
    conn_ = Open();
    ASSERT_NE(conn_, nullptr);
  }

  void TearDown() override {
    conn_.reset();
    app_.reset();
    if (g_server) Client(g_server->url()).Exec("DROP DATABASE " + db_ + " WITH (FORCE)");
  }

  // The connector's options for this database, `options` added or replacing.
  ConnectionParams Params(std::map<std::string, std::string> options = {}) {
    ConnectionParams p;
    p.system = "crm";
    p.options = {{"url", url_}};
    for (auto& [k, v] : options) p.options[k] = v;
    return p;
  }

  // Another connection to this database; nullptr (and the test fails) when it cannot open.
  std::unique_ptr<Connection> Open(std::map<std::string, std::string> options = {}) {
    auto c = PostgresConnectorDescriptor().open(Params(std::move(options)));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  void App(const std::string& sql) { app_->Exec(sql); }
  int64_t Count(const std::string& sql) { return app_->Count(sql); }
  std::string Scalar(const std::string& sql) { return app_->Scalar(sql); }

  Source* source() { return conn_->source(); }
  Sink* sink() { return conn_->sink(); }

  std::string prefix_;
  std::string db_;
  std::string url_;
  std::unique_ptr<Client> app_;
  std::unique_ptr<Connection> conn_;
  const TableRef accounts_;
};

}  // namespace concord::postgres_testing
