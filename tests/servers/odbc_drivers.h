// Registers Debian's PostgreSQL (odbc-postgresql) and MariaDB (odbc-mariadb) ODBC drivers for the
// test process and its children, without touching /etc: writes odbcinst.ini and an empty odbc.ini
// into `dir` and points ODBCSYSINI / ODBCINI there. Driver names: "PostgreSQL Unicode", "MariaDB".
// Returns "" or what went wrong.
#pragma once

#include <stdlib.h>

#include <fstream>
#include <string>

namespace concord::test_servers {

inline std::string RegisterOdbcDrivers(const std::string& dir) {
  const std::string lib = "/usr/lib/x86_64-linux-gnu/odbc/";
  std::ofstream ini(dir + "/odbcinst.ini");
  ini << "[PostgreSQL Unicode]\nDriver=" << lib << "psqlodbcw.so\n\n"
      << "[MariaDB]\nDriver=" << lib << "libmaodbc.so\n";
  std::ofstream data(dir + "/odbc.ini");
  if (!ini || !data) return "cannot write odbcinst.ini / odbc.ini in " + dir;
  setenv("ODBCSYSINI", dir.c_str(), 1);
  setenv("ODBCINI", (dir + "/odbc.ini").c_str(), 1);
  return "";
}

}  // namespace concord::test_servers
