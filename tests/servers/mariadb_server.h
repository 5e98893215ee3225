// A throwaway MariaDB server for tests: its own data and temp directories in a fresh temp dir,
// listening on 127.0.0.1 at a free port and on a Unix socket in that directory, stopped (and the
// directory removed) when the object goes. Used by the mysql connector's tests and meant for the
// cross-database end-to-end tests too:
//
//   std::string error;
//   auto server = concord::testing::MariadbServer::Start(&error);
//   ASSERT_NE(server, nullptr) << error;
//   server->Exec("CREATE DATABASE shop CHARACTER SET utf8mb4");
//   // connect to 127.0.0.1:server->port() (or server->socket()) as root, no password
//   server->Stop(); ... server->Restart(&error);   // a server restart mid-stream
//
// The server runs from Debian's mariadb-server package (`make deps` installs it); when its
// binaries are missing, Start says so. It runs as root only when the test does (CI), with
// --user=root. It is started with PR_SET_PDEATHSIG, so it dies with the test process even when
// the test crashes. Binary logging is on (as on a replication primary) with
// log_bin_trust_function_creators=1; tests of the privilege checks turn the latter off.
// Set CONCORD_KEEP_TEST_SERVERS=1 to keep the directory (logs, data) for inspection.
//
// Threading: one thread at a time. Independent of concord's own code (links only libmariadb).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace concord::testing {

class MariadbServer {
 public:
  struct Options {
    bool binary_log = true;
    std::vector<std::string> extra_args;  // more mariadbd options, e.g. "--max-connections=20"
  };

  // Initialises a data directory (mariadb-install-db), starts mariadbd and waits until it accepts
  // connections (up to 120 s). Returns nullptr with *error set when it cannot.
  static std::unique_ptr<MariadbServer> Start(std::string* error);
  static std::unique_ptr<MariadbServer> Start(const Options& options, std::string* error);

  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Runs SQL as root (several statements separated by ';' are allowed). Returns "" on success,
  // else the server's error.
  std::string Exec(const std::string& sql);
  // Runs a query as root; each row's values as text ("NULL" for NULL). *error is set ("" on
  // success).
  std::vector<std::vector<std::string>> Query(const std::string& sql, std::string* error);

  // Stops the server cleanly (SIGTERM, then SIGKILL after 60 s) and keeps the data directory.
  void Stop();
  // Kills the server (SIGKILL: a crash) and waits for it.
  void Kill();
  // Starts the stopped server again on the same port, socket and data directory.
  bool Restart(std::string* error);

 private:
  MariadbServer() = default;
  bool Launch(std::string* error);
  bool WaitReady(std::string* error);
  std::string ErrorLogTail() const;

  std::string dir_;
  std::string datadir_;
  // The server's own temp directory. Not /tmp: a starting mariadbd (and the bootstrap server in
  // mariadb-install-db) deletes every "#sql*" file in its tmpdir, which in a shared /tmp are the
  // internal temporary tables of another test's server, failing its install or its queries.
  std::string tmpdir_;
  std::string socket_;
  std::string host_ = "127.0.0.1";
  std::string mariadbd_;
  int port_ = 0;
  pid_t pid_ = -1;
  Options options_;
};

}  // namespace concord::testing
