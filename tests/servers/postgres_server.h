// A throwaway PostgreSQL server for tests: a fresh temp directory, initdb, a free loopback port,
// trust authentication, superuser "postgres". Started and stopped by tests/servers/postgres.sh
// (which shell-driven tests and benchmarks use directly); this class is its C++ face.
//
// Typical use is one server per test process, held by a gtest Environment:
//
//   std::string error;
//   auto server = concord::test_servers::PostgresServer::Start(&error);
//   ASSERT_NE(server, nullptr) << error;   // error says `make deps` when binaries are missing
//   server->UrlFor("crm")                  // postgresql://postgres@127.0.0.1:<port>/crm
//
// The server stops (pg_ctl stop -m immediate) and its directory is removed when the object is
// destroyed; a watchdog also stops it if the test process dies first. As root, the server runs
// as the "postgres" OS user (PostgreSQL refuses root). Not thread-safe; no other dependencies.
#pragma once

#include <memory>
#include <string>

namespace concord::test_servers {

class PostgresServer {
 public:
  // Starts a server, or returns nullptr with `*error` saying why (binaries missing → "run `make
  // deps`", initdb or start failure → the server's last log lines).
  static std::unique_ptr<PostgresServer> Start(std::string* error);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // postgresql://postgres@127.0.0.1:<port>/postgres
  const std::string& url() const { return url_; }
  // The URL of database `db` on this server (which the caller creates).
  std::string UrlFor(const std::string& db) const;
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }  // data in dir/data, log in dir/server.log

  // Runs `sql` (one or more statements) through psql as postgres in database `db`. Returns the
  // unaligned output (rows as a|b lines); *error gets psql's message ("" on success).
  std::string Psql(const std::string& db, const std::string& sql, std::string* error) const;

  // Stops the server now (idempotent); the destructor also removes the directory.
  void Stop();

  // For server-restart tests: stops the server cleanly (fast shutdown: sessions are ended, and
  // everything committed is on disk even with the test server's fsync off), keeping its port and
  // data directory for Restart().
  void Shutdown();
  // Starts the server again after Shutdown(), on the same port and data directory. False with
  // *error (the script's message) when it cannot, or when another process took the port.
  bool Restart(std::string* error);

 private:
  PostgresServer(std::string dir, std::string url, int port)
      : dir_(std::move(dir)), url_(std::move(url)), port_(port) {}
  std::string dir_;
  std::string url_;
  int port_;
  bool stopped_ = false;
};

}  // namespace concord::test_servers
