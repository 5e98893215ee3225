// End-to-end: what a sink notes reaches the user through the engine's log. A CRM on SQLite is
// copied into a MariaDB server (started by the test) that refuses LOAD DATA LOCAL: the MariaDB
// sink writes the large batches with multi-row INSERTs instead and notes why
// (ApplyResult::notes); the flow logs that note once, as a warning naming the target system and
// table and the server setting that would allow the bulk path, and every row lands.
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/harness.h"
#include "servers/mariadb_server.h"

namespace concord::e2e {
namespace {

using concord::testing::MariadbServer;
using ::testing::HasSubstr;

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(MysqlNoteTest, ARefusedBulkLoadIsLoggedOnceAndEveryRowLands) {
  std::string error;
  std::unique_ptr<MariadbServer> server = MariadbServer::Start(&error);
  ASSERT_NE(server, nullptr) << error;
  ASSERT_EQ(server->Exec("SET GLOBAL local_infile = 0"), "");
  ASSERT_EQ(server->Exec("CREATE DATABASE shop; CREATE TABLE shop.accounts (code VARCHAR(20) "
                         "PRIMARY KEY, name VARCHAR(100) NOT NULL)"),
            "");
  TempDir dir;
  Db crm(dir / "crm.db");
  // 3,500 customers: an initial copy of four steps of up to 1,000 rows, each large enough for
  // the bulk path (which the server refuses).
  crm.Exec("CREATE TABLE clients (id TEXT PRIMARY KEY, name TEXT NOT NULL);"
           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3500) "
           "INSERT INTO clients SELECT 'K' || i, 'name ' || i FROM n;");
  WriteFile(dir / "concord.yaml", R"(version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
  shop: {connector: mysql, host: 127.0.0.1, port: )" + std::to_string(server->port()) +
                                      R"(, user: root, database: shop}
entities:
  customer:
    key: code
    fields:
      code: {type: string, required: true}
      name: {type: string, required: true}
bindings:
  crm.customer:
    table: clients
    key: id
    fields: {code: id, name: name}
  shop.customer:
    table: accounts
    key: code
    fields: {code: code, name: name}
flows:
  - {entity: customer, from: crm, to: shop, snapshot_batch_rows: 1000}
)");
  ProcResult run = RunConcord(dir.path(), {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(server->Query("SELECT COUNT(*) FROM shop.accounts", &error),
            (std::vector<std::vector<std::string>>{{"3500"}}))
      << error;
  // A warning of the flow, naming the target system and table.
  const std::string note =
      "warning [flow:customer crm->shop] shop.accounts: bulk load (LOAD DATA LOCAL) not used";
  EXPECT_EQ(Occurrences(run.err, note), 1u) << run.err;
  EXPECT_THAT(run.err, HasSubstr("allow it with local_infile=ON")) << run.err;
  // A second run that copies nothing new says nothing of it.
  ProcResult again = RunConcord(dir.path(), {"run", "--once"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(Occurrences(again.err, note), 0u) << again.err;
  ASSERT_EQ(server->Exec("SET GLOBAL local_infile = 1"), "");
}

}  // namespace
}  // namespace concord::e2e
