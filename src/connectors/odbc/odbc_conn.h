// Internal to the odbc connector: RAII over unixODBC handles, diagnostics turned into Status, and
// the text conversions ODBC needs (its wide characters are UTF-16; concord's text is UTF-8).
//
// Threading: one OdbcConn (one SQLHDBC) is used by one thread at a time; statements it creates
// borrow it. Ownership: OdbcConn owns its environment and connection handles.
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/value.h"

namespace concord::odbc_connector {

// One diagnostic record of a failed call.
struct OdbcDiag {
  std::string sqlstate;  // "08S01"
  SQLINTEGER native = 0;
  std::string message;   // the driver's text, its "[vendor][driver]" prefixes removed
};

// The Status code for a SQLSTATE (and, where drivers say only HY000, the native code):
// connection-class 08xxx, deadlocks and serialization failures, and lost-server native codes are
// Unavailable (the engine reconnects and retries); 28xxx Unauthenticated; 42501/42000 with
// "denied" PermissionDenied; 42S02/42P01 and 42S22/42703 NotFound; timeouts DeadlineExceeded;
// data (22) and constraint (23) errors InvalidArgument; anything else InvalidArgument too (a
// statement the database refuses is not cured by retrying).
Code CodeForDiag(const OdbcDiag& d);

// Every diagnostic record of `handle`, in order.
std::vector<OdbcDiag> Diagnostics(SQLSMALLINT type, SQLHANDLE handle);
// The record that says what failed: the first that is not a warning (01xxx), which unixODBC's
// driver manager often puts first ("[01000] Can't open lib ...").
OdbcDiag MainDiag(const std::vector<OdbcDiag>& diags);

// UTF-8 ↔ UTF-16 (SQLWCHAR) through ICU. Invalid UTF-8 is InvalidArgument.
Result<std::u16string> ToUtf16(std::string_view utf8);
std::string ToUtf8(const SQLWCHAR* s, size_t units);

class OdbcStmt;

// One open ODBC connection (environment + connection handle).
class OdbcConn {
 public:
  // Connects with `connection_string` (SQLDriverConnect, no prompt). `display` names the
  // connection in messages without secrets ("DSN=erp" or "Driver={MariaDB};Server=..." with the
  // password removed). Connection failures are Unavailable (the engine retries) unless the
  // SQLSTATE says otherwise (28000 bad login → Unauthenticated; IM002 no such DSN or driver →
  // InvalidArgument, with what to check).
  static Result<std::unique_ptr<OdbcConn>> Connect(const std::string& system,
                                                   const std::string& connection_string,
                                                   const std::string& display, int timeout_s);
  ~OdbcConn();
  OdbcConn(const OdbcConn&) = delete;
  OdbcConn& operator=(const OdbcConn&) = delete;

  SQLHDBC dbc() const { return dbc_; }
  const std::string& system() const { return system_; }
  // From SQLGetInfo, read once at connect.
  const std::string& dbms_name() const { return dbms_name_; }     // "PostgreSQL", "MariaDB"
  const std::string& quote_char() const { return quote_char_; }   // "\"", "`", or " " (none)
  const std::string& search_escape() const { return search_escape_; }  // "\\" usually

  // Quotes an identifier with the database's quote character (doubled inside). InvalidArgument
  // when the driver reports no quoting and the name is not a plain identifier.
  Result<std::string> Quote(std::string_view name) const;

  // A new statement handle; the failure is Unavailable once the connection is broken.
  Result<std::unique_ptr<OdbcStmt>> NewStmt();

  // Manual transactions: autocommit off until EndTransaction.
  Status BeginTransaction();
  Status EndTransaction(bool commit);

  // A Status for a failed call on `handle`: `context` + SQLSTATE + the driver's message. Marks
  // the connection broken on connection-class errors (every later call is then Unavailable).
  Status Error(SQLSMALLINT type, SQLHANDLE handle, const std::string& context,
               OdbcDiag* first = nullptr);
  bool broken() const { return broken_; }

 private:
  OdbcConn() = default;
  SQLHENV env_ = SQL_NULL_HENV;
  SQLHDBC dbc_ = SQL_NULL_HDBC;
  bool connected_ = false;
  bool broken_ = false;
  std::string system_;
  std::string dbms_name_, quote_char_, search_escape_;
};

// One statement handle. Values are bound with SQLBindParameter (never pasted into SQL) and read
// column by column with SQLGetData, so values of any length are read whole.
class OdbcStmt {
 public:
  OdbcStmt(OdbcConn* conn, SQLHSTMT h) : conn_(conn), h_(h) {}
  ~OdbcStmt();
  OdbcStmt(const OdbcStmt&) = delete;
  OdbcStmt& operator=(const OdbcStmt&) = delete;
  SQLHSTMT h() const { return h_; }

  // How a parameter is sent: the column's SQL type (from SQLColumns) where known.
  struct ParamType {
    SQLSMALLINT sql_type = SQL_WVARCHAR;
    SQLULEN column_size = 0;
    SQLSMALLINT decimal_digits = 0;
  };
  // Binds `values` as parameters 1..n (kept alive in the statement until the next bind), then
  // SQLExecDirect(sql). NoData (an UPDATE or DELETE that matched nothing) is success.
  Status Execute(const std::string& sql, const std::vector<Value>& values,
                 const std::vector<ParamType>& types, const std::string& context);
  // SQLRowCount of the last Execute.
  Result<int64_t> RowCount(const std::string& context);
  // The result's columns: name and SQL type.
  struct ColumnDesc {
    std::string name;
    SQLSMALLINT sql_type = 0;
  };
  Result<std::vector<ColumnDesc>> Columns(const std::string& context);
  // The next row (false at the end), each value converted by its column's SQL type: integers and
  // bit → Int, float/real/double → Real, binary → Blob, everything else (decimal, date, time,
  // text) → Text exactly as the driver renders it.
  Result<bool> Fetch(const std::vector<ColumnDesc>& cols, std::vector<Value>* row,
                     const std::string& context);
  // Text of column `i` (1-based) of the current row, "" for NULL (catalog results).
  Result<std::string> Text(SQLUSMALLINT i, bool* is_null, const std::string& context);
  void Close();

 private:
  Result<Value> Get(SQLUSMALLINT i, SQLSMALLINT sql_type, const std::string& context);
  OdbcConn* conn_;
  SQLHSTMT h_;
  // Parameter buffers: alive from bind to execute.
  std::vector<std::u16string> wide_;
  std::vector<std::string> bytes_;
  std::vector<int64_t> ints_;
  std::vector<double> reals_;
  std::vector<SQLLEN> indicators_;
};

}  // namespace concord::odbc_connector
