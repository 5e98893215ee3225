// PostgresServer: runs tests/servers/postgres.sh (start/stop) and removes the directory after.
#include "servers/postgres_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace concord::test_servers {
namespace {

// A port nobody listens on right now (bind port 0 and ask). The script retries other ports if
// it is taken by the time the server binds.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `postgres.sh start DIR PORT OWNER`; returns the URL it prints, or "" with *error set.
std::string RunStart(const std::string& dir, int port, std::string* error) {
  const std::string err_path = dir + "/start.err";
  std::string cmd = "bash '" + std::string(CONCORD_POSTGRES_SH) + "' start '" + dir + "' " +
                    std::to_string(port) + " " + std::to_string(getpid()) + " 2>'" + err_path +
                    "'";
  FILE* out = popen(cmd.c_str(), "r");
  if (out == nullptr) {
    *error = "cannot run " + std::string(CONCORD_POSTGRES_SH);
    return "";
  }
  std::string url;
  char buf[512];
  while (fgets(buf, sizeof(buf), out)) url += buf;
  int status = pclose(out);
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  if (status != 0 || url.rfind("postgresql://", 0) != 0) {
    *error = ReadAll(err_path);
    if (error->empty()) error->assign("postgres.sh start failed: " + url);
    return "";
  }
  return url;
}

}  // namespace

std::unique_ptr<PostgresServer> PostgresServer::Start(std::string* error) {
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/concord_pg_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    *error = "cannot create a temp directory under " + tmpl;
    return nullptr;
  }
  const std::string dir = tmpl;
  std::string url = RunStart(dir, FreePort(), error);
  if (url.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return nullptr;
  }
  int port = std::atoi(ReadAll(dir + "/port").c_str());
  return std::unique_ptr<PostgresServer>(new PostgresServer(dir, url, port));
}

void PostgresServer::Shutdown() {
  std::string cmd =
      "bash '" + std::string(CONCORD_POSTGRES_SH) + "' stop '" + dir_ + "' fast >/dev/null 2>&1";
  if (system(cmd.c_str()) != 0) {
    // pg_ctl's own failure is ignored by the script; Restart() reports a server still running.
  }
}

bool PostgresServer::Restart(std::string* error) {
  if (RunStart(dir_, port_, error).empty()) return false;
  int port = std::atoi(ReadAll(dir_ + "/port").c_str());
  if (port != port_) {
    *error = "port " + std::to_string(port_) + " was taken; the server restarted on " +
             std::to_string(port);
    return false;
  }
  return true;
}

PostgresServer::~PostgresServer() {
  Stop();
  if (getenv("CONCORD_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string PostgresServer::UrlFor(const std::string& db) const {
  return url_.substr(0, url_.rfind('/') + 1) + db;
}

std::string PostgresServer::Psql(const std::string& db, const std::string& sql,
                                 std::string* error) const {
  // Notices would mix with the rows (stderr is kept for the error text): warnings and up only.
  std::string cmd = "PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 "
                    "-h 127.0.0.1 -p " + std::to_string(port_) +
                    " -U postgres -d '" + db + "' 2>&1 <<'CONCORD_SQL'\n" + sql + "\nCONCORD_SQL\n";
  std::string out;
  error->clear();
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *error = "cannot run psql";
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) {
    *error = out.empty() ? "psql failed" : out;
    out.clear();
  }
  return out;
}

void PostgresServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  std::string cmd =
      "bash '" + std::string(CONCORD_POSTGRES_SH) + "' stop '" + dir_ + "' >/dev/null 2>&1";
  if (system(cmd.c_str()) != 0) {
    // Best effort: the watchdog stops it once this process exits.
  }
}

}  // namespace concord::test_servers
