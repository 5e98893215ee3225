// Starting and stopping a throwaway MariaDB server for tests; see mariadb_server.h.
#include "servers/mariadb_server.h"

#include <fcntl.h>
#include <mysql.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace concord::testing {
namespace {

namespace fs = std::filesystem;

// The first of `names` found on PATH or in the directories Debian installs server binaries to.
std::string FindBinary(const std::vector<std::string>& names) {
  std::vector<std::string> dirs;
  if (const char* path = getenv("PATH")) {
    std::stringstream ss(path);
    std::string d;
    while (std::getline(ss, d, ':')) {
      if (!d.empty()) dirs.push_back(d);
    }
  }
  for (const char* d : {"/usr/sbin", "/usr/bin", "/usr/libexec", "/usr/local/sbin"}) {
    dirs.push_back(d);
  }
  for (const std::string& name : names) {
    for (const std::string& d : dirs) {
      fs::path p = fs::path(d) / name;
      if (access(p.c_str(), X_OK) == 0) return p.string();
    }
  }
  return "";
}

// A port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// fork + exec with stdout/stderr appended to `log`. The child gets SIGKILL when the test process
// dies, so a crashed test leaves no server behind. The test may have other threads (a restart
// mid-stream), so the child calls only async-signal-safe functions: argv is built before fork.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  execv(args[0], args.data());
  _exit(127);
}

std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "  " + all[i] + "\n";
  }
  return out;
}

MYSQL* ConnectRoot(const std::string& socket, std::string* error) {
  static bool initialised = [] { return mysql_library_init(0, nullptr, nullptr) == 0; }();
  (void)initialised;
  MYSQL* m = mysql_init(nullptr);
  unsigned timeout = 5;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(m, nullptr, "root", nullptr, nullptr, 0, socket.c_str(),
                          CLIENT_MULTI_STATEMENTS)) {
    if (error) *error = mysql_error(m);
    mysql_close(m);
    return nullptr;
  }
  return m;
}

}  // namespace

std::unique_ptr<MariadbServer> MariadbServer::Start(std::string* error) {
  return Start(Options(), error);
}

std::unique_ptr<MariadbServer> MariadbServer::Start(const Options& options, std::string* error) {
  std::string mariadbd = FindBinary({"mariadbd", "mysqld"});
  std::string install = FindBinary({"mariadb-install-db", "mysql_install_db"});
  if (mariadbd.empty() || install.empty()) {
    *error =
        "MariaDB server binaries not found (mariadbd and mariadb-install-db); `make deps` "
        "installs them (Debian package mariadb-server)";
    return nullptr;
  }
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/concord_mariadb_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    *error = "cannot create a temp directory: " + std::string(strerror(errno));
    return nullptr;
  }
  std::unique_ptr<MariadbServer> s(new MariadbServer());
  s->dir_ = tmpl;
  s->datadir_ = tmpl + "/data";
  s->socket_ = tmpl + "/mysqld.sock";
  s->tmpdir_ = tmpl + "/tmp";
  s->mariadbd_ = mariadbd;
  s->options_ = options;
  bool root = geteuid() == 0;
  if (mkdir(s->tmpdir_.c_str(), 0700) != 0) {
    *error = "cannot create " + s->tmpdir_ + ": " + strerror(errno);
    return nullptr;
  }

  // --tmpdir reaches the bootstrap server that mariadb-install-db runs.
  std::vector<std::string> init = {install, "--no-defaults", "--datadir=" + s->datadir_,
                                   "--tmpdir=" + s->tmpdir_,
                                   "--auth-root-authentication-method=normal", "--skip-test-db"};
  if (root) init.push_back("--user=root");
  std::string install_log = tmpl + "/install.log";
  pid_t pid = Spawn(init, install_log);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // The reason is near the top; the last 25 lines are the script's generic advice.
    *error = install + " failed; its output (" + install_log + "):\n" + Tail(install_log, 60);
    return nullptr;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    s->port_ = FreePort();
    if (s->Launch(error)) return s;
    if (error->find("Address already in use") == std::string::npos) break;
  }
  return nullptr;
}

bool MariadbServer::Launch(std::string* error) {
  std::vector<std::string> argv = {mariadbd_,
                                   "--no-defaults",
                                   "--datadir=" + datadir_,
                                   "--tmpdir=" + tmpdir_,
                                   "--socket=" + socket_,
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=" + host_,
                                   "--pid-file=" + dir_ + "/mariadbd.pid",
                                   "--log-error=" + dir_ + "/error.log",
                                   "--skip-name-resolve",
                                   "--character-set-server=utf8mb4",
                                   "--collation-server=utf8mb4_general_ci",
                                   "--innodb-buffer-pool-size=64M",
                                   "--innodb-use-native-aio=0",
                                   "--max-connections=100"};
  if (options_.binary_log) {
    argv.push_back("--log-bin=" + dir_ + "/binlog");
    argv.push_back("--server-id=1");
    argv.push_back("--log-bin-trust-function-creators=1");
  }
  if (geteuid() == 0) argv.push_back("--user=root");
  for (const std::string& a : options_.extra_args) argv.push_back(a);
  pid_ = Spawn(argv, dir_ + "/mariadbd.out");
  if (pid_ < 0) {
    *error = "cannot start " + mariadbd_ + ": " + strerror(errno);
    pid_ = -1;
    return false;
  }
  return WaitReady(error);
}

bool MariadbServer::WaitReady(std::string* error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "mariadbd exited during start-up; " + ErrorLogTail();
      return false;
    }
    if (MYSQL* m = ConnectRoot(socket_, &last)) {
      mysql_close(m);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *error = "mariadbd did not accept connections within 120 s (" + last + "); " + ErrorLogTail();
  Kill();
  return false;
}

std::string MariadbServer::ErrorLogTail() const {
  return "its error log (" + dir_ + "/error.log):\n" + Tail(dir_ + "/error.log", 20);
}

MariadbServer::~MariadbServer() {
  Stop();
  const char* keep = getenv("CONCORD_KEEP_TEST_SERVERS");
  if (!dir_.empty() && !(keep && *keep && std::string(keep) != "0")) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void MariadbServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || r < 0) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill();
}

void MariadbServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool MariadbServer::Restart(std::string* error) {
  if (running()) Stop();
  return Launch(error);
}

std::string MariadbServer::Exec(const std::string& sql) {
  std::string error;
  Query(sql, &error);
  return error;
}

std::vector<std::vector<std::string>> MariadbServer::Query(const std::string& sql,
                                                           std::string* error) {
  std::vector<std::vector<std::string>> rows;
  error->clear();
  MYSQL* m = ConnectRoot(socket_, error);
  if (m == nullptr) return rows;
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) {
    *error = mysql_error(m);
    mysql_close(m);
    return rows;
  }
  // Every result of every statement; the rows of the last one that has rows are returned.
  do {
    MYSQL_RES* res = mysql_store_result(m);
    if (res != nullptr) {
      rows.clear();
      unsigned n = mysql_num_fields(res);
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        unsigned long* lengths = mysql_fetch_lengths(res);
        std::vector<std::string> r;
        for (unsigned i = 0; i < n; ++i) {
          r.push_back(row[i] ? std::string(row[i], lengths[i]) : "NULL");
        }
        rows.push_back(std::move(r));
      }
      mysql_free_result(res);
    } else if (mysql_field_count(m) != 0) {
      *error = mysql_error(m);
      break;
    }
    int next = mysql_next_result(m);
    if (next > 0) {
      *error = mysql_error(m);
      break;
    }
    if (next < 0) break;
  } while (true);
  mysql_close(m);
  return rows;
}

}  // namespace concord::testing
