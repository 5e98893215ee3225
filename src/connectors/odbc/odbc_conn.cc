// RAII over unixODBC handles, diagnostics → Status, UTF-8 ↔ UTF-16 (ICU). See odbc_conn.h.
#include "connectors/odbc/odbc_conn.h"

#include <unicode/ustring.h>

#include <charconv>
#include <cstring>

namespace concord::odbc_connector {
namespace {

bool Ok(SQLRETURN r) { return r == SQL_SUCCESS || r == SQL_SUCCESS_WITH_INFO; }

// "[unixODBC][MariaDB][ODBC 3.1 Driver][mysqld-10.11]Table 'x' doesn't exist" → the last part.
std::string StripVendorTags(std::string m) {
  while (!m.empty() && m[0] == '[') {
    size_t close = m.find(']');
    if (close == std::string::npos) break;
    m.erase(0, close + 1);
  }
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ' || m.back() == ';')) m.pop_back();
  return m;
}

std::string InfoString(SQLHDBC dbc, SQLUSMALLINT what) {
  SQLWCHAR buf[256];
  SQLSMALLINT len = 0;
  if (!Ok(SQLGetInfoW(dbc, what, buf, sizeof buf, &len))) return "";
  return ToUtf8(buf, static_cast<size_t>(len) / sizeof(SQLWCHAR));
}

bool IsPlainIdentifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Code CodeForDiag(const OdbcDiag& d) {
  const std::string& s = d.sqlstate;
  auto starts = [&](std::string_view p) { return s.rfind(p, 0) == 0; };
  if (starts("08") || s == "40001" || s == "40P01" || s == "57P01" || s == "57P03") {
    return Code::kUnavailable;
  }
  // MariaDB/MySQL drivers report a lost server as HY000 with the client's native code.
  if ((s == "HY000" || s == "S1000") &&
      (d.native == 2002 || d.native == 2003 || d.native == 2006 || d.native == 2013 ||
       d.native == 1213 || d.native == 1205)) {
    return Code::kUnavailable;
  }
  if (s == "HYT00" || s == "HYT01" || s == "57014") return Code::kDeadlineExceeded;
  if (starts("28")) return Code::kUnauthenticated;
  if (s == "42501" || ((s == "42000" || s == "HY000") &&
                       (d.message.find("denied") != std::string::npos ||
                        d.message.find("permission") != std::string::npos))) {
    return Code::kPermissionDenied;
  }
  if (s == "42S02" || s == "42P01" || s == "42S22" || s == "42703") return Code::kNotFound;
  if (s == "53100" || s == "53200" || s == "53300" || (s == "HY000" && d.native == 1040)) {
    return Code::kResourceExhausted;
  }
  return Code::kInvalidArgument;
}

std::vector<OdbcDiag> Diagnostics(SQLSMALLINT type, SQLHANDLE handle) {
  std::vector<OdbcDiag> out;
  for (SQLSMALLINT i = 1; i <= 10; ++i) {
    SQLWCHAR state[6];
    SQLINTEGER native = 0;
    SQLWCHAR msg[2048];
    SQLSMALLINT len = 0;
    SQLRETURN r = SQLGetDiagRecW(type, handle, i, state, &native, msg,
                                 sizeof msg / sizeof msg[0], &len);
    if (!Ok(r)) break;
    OdbcDiag d;
    d.sqlstate = ToUtf8(state, 5);
    d.native = native;
    size_t units = std::min<size_t>(static_cast<size_t>(len), sizeof msg / sizeof msg[0] - 1);
    d.message = StripVendorTags(ToUtf8(msg, units));
    out.push_back(std::move(d));
  }
  return out;
}

OdbcDiag MainDiag(const std::vector<OdbcDiag>& diags) {
  for (const OdbcDiag& d : diags) {
    if (d.sqlstate.rfind("01", 0) != 0) return d;
  }
  if (!diags.empty()) return diags[0];
  return {"HY000", 0, "the driver gave no diagnostic"};
}

Result<std::u16string> ToUtf16(std::string_view utf8) {
  std::u16string out(utf8.size() + 1, u'\0');
  int32_t len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strFromUTF8(reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()), &len,
                utf8.data(), static_cast<int32_t>(utf8.size()), &err);
  if (U_FAILURE(err)) return InvalidArgument("text is not valid UTF-8");
  out.resize(static_cast<size_t>(len));
  return out;
}

std::string ToUtf8(const SQLWCHAR* s, size_t units) {
  static_assert(sizeof(SQLWCHAR) == sizeof(UChar), "unixODBC's SQLWCHAR is UTF-16");
  std::string out(units * 3 + 1, '\0');
  int32_t len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &len,
                     reinterpret_cast<const UChar*>(s), static_cast<int32_t>(units), 0xFFFD,
                     nullptr, &err);
  if (U_FAILURE(err)) return "";
  out.resize(static_cast<size_t>(len));
  return out;
}

// --- OdbcConn ---

Result<std::unique_ptr<OdbcConn>> OdbcConn::Connect(const std::string& system,
                                                    const std::string& connection_string,
                                                    const std::string& display, int timeout_s) {
  std::unique_ptr<OdbcConn> c(new OdbcConn());
  c->system_ = system;
  if (!Ok(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env_))) {
    return Internal(system + ": cannot allocate an ODBC environment");
  }
  SQLSetEnvAttr(c->env_, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  if (!Ok(SQLAllocHandle(SQL_HANDLE_DBC, c->env_, &c->dbc_))) {
    return c->Error(SQL_HANDLE_ENV, c->env_, system + ": cannot allocate an ODBC connection");
  }
  SQLSetConnectAttr(c->dbc_, SQL_ATTR_LOGIN_TIMEOUT,
                    reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(timeout_s)), 0);
  ASSIGN_OR_RETURN(std::u16string wide, ToUtf16(connection_string));
  SQLRETURN r = SQLDriverConnectW(c->dbc_, nullptr, reinterpret_cast<SQLWCHAR*>(wide.data()),
                                  static_cast<SQLSMALLINT>(wide.size()), nullptr, 0, nullptr,
                                  SQL_DRIVER_NOPROMPT);
  if (!Ok(r)) {
    OdbcDiag d = MainDiag(Diagnostics(SQL_HANDLE_DBC, c->dbc_));
    std::string msg = system + ": cannot connect (" + display + "): [" + d.sqlstate + "] " +
                      d.message;
    if (d.sqlstate == "IM002" || d.sqlstate == "IM003" ||
        d.message.find("Can't open lib") != std::string::npos) {
      return InvalidArgument(msg + " (the DSN or driver is not registered: check odbc.ini and "
                                   "odbcinst.ini, `odbcinst -q -d` lists the drivers)");
    }
    if (d.sqlstate.rfind("28", 0) == 0) return Status(Code::kUnauthenticated, msg);
    if (d.sqlstate.rfind("IM", 0) == 0) return InvalidArgument(msg);
    return Unavailable(msg);
  }
  c->connected_ = true;
  c->dbms_name_ = InfoString(c->dbc_, SQL_DBMS_NAME);
  c->quote_char_ = InfoString(c->dbc_, SQL_IDENTIFIER_QUOTE_CHAR);
  c->search_escape_ = InfoString(c->dbc_, SQL_SEARCH_PATTERN_ESCAPE);
  return c;
}

OdbcConn::~OdbcConn() {
  if (connected_) SQLDisconnect(dbc_);
  if (dbc_ != SQL_NULL_HDBC) SQLFreeHandle(SQL_HANDLE_DBC, dbc_);
  if (env_ != SQL_NULL_HENV) SQLFreeHandle(SQL_HANDLE_ENV, env_);
}

Result<std::string> OdbcConn::Quote(std::string_view name) const {
  if (quote_char_.empty() || quote_char_ == " ") {
    if (IsPlainIdentifier(name)) return std::string(name);
    return InvalidArgument(system_ + ": the ODBC driver cannot quote identifiers, and \"" +
                           std::string(name) + "\" needs quoting");
  }
  std::string out = quote_char_;
  size_t pos = 0;
  while (true) {
    size_t next = name.find(quote_char_, pos);
    out.append(name.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos) break;
    out += quote_char_ + quote_char_;
    pos = next + quote_char_.size();
  }
  return out + quote_char_;
}

Result<std::unique_ptr<OdbcStmt>> OdbcConn::NewStmt() {
  if (broken_) return Unavailable(system_ + ": the connection was lost; it is reopened on retry");
  SQLHSTMT h = SQL_NULL_HSTMT;
  if (!Ok(SQLAllocHandle(SQL_HANDLE_STMT, dbc_, &h))) {
    return Error(SQL_HANDLE_DBC, dbc_, system_ + ": cannot allocate a statement");
  }
  return std::make_unique<OdbcStmt>(this, h);
}

Status OdbcConn::BeginTransaction() {
  SQLRETURN r = SQLSetConnectAttr(dbc_, SQL_ATTR_AUTOCOMMIT,
                                  reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_OFF), 0);
  if (!Ok(r)) return Error(SQL_HANDLE_DBC, dbc_, system_ + ": cannot start a transaction");
  return Status::Ok();
}

Status OdbcConn::EndTransaction(bool commit) {
  SQLRETURN r = SQLEndTran(SQL_HANDLE_DBC, dbc_, commit ? SQL_COMMIT : SQL_ROLLBACK);
  Status s = Status::Ok();
  if (!Ok(r)) {
    s = Error(SQL_HANDLE_DBC, dbc_, system_ + (commit ? ": commit failed" : ": rollback failed"));
  }
  SQLSetConnectAttr(dbc_, SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_ON), 0);
  return s;
}

Status OdbcConn::Error(SQLSMALLINT type, SQLHANDLE handle, const std::string& context,
                       OdbcDiag* first) {
  OdbcDiag d = MainDiag(Diagnostics(type, handle));
  if (first != nullptr) *first = d;
  Code code = CodeForDiag(d);
  if (code == Code::kUnavailable && d.sqlstate.rfind("40", 0) != 0 && d.native != 1213 &&
      d.native != 1205) {
    broken_ = true;
  }
  return Status(code, context + ": [" + d.sqlstate + "] " + d.message);
}

// --- OdbcStmt ---

OdbcStmt::~OdbcStmt() {
  if (h_ != SQL_NULL_HSTMT) SQLFreeHandle(SQL_HANDLE_STMT, h_);
}

void OdbcStmt::Close() { SQLFreeStmt(h_, SQL_CLOSE); }

Status OdbcStmt::Execute(const std::string& sql, const std::vector<Value>& values,
                         const std::vector<ParamType>& types, const std::string& context) {
  SQLFreeStmt(h_, SQL_CLOSE);
  SQLFreeStmt(h_, SQL_RESET_PARAMS);
  wide_.clear();
  bytes_.clear();
  ints_.clear();
  reals_.clear();
  indicators_.assign(values.size(), 0);
  // Reserve so the buffers bound below never move before SQLExecDirect.
  wide_.reserve(values.size());
  bytes_.reserve(values.size());
  ints_.reserve(values.size());
  reals_.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const Value& v = values[i];
    ParamType t = i < types.size() ? types[i] : ParamType{};
    SQLUSMALLINT n = static_cast<SQLUSMALLINT>(i + 1);
    SQLRETURN r = SQL_SUCCESS;
    switch (v.kind()) {
      case ValueKind::kNull:
        indicators_[i] = SQL_NULL_DATA;
        r = SQLBindParameter(h_, n, SQL_PARAM_INPUT, SQL_C_CHAR, t.sql_type,
                             t.column_size > 0 ? t.column_size : 1, t.decimal_digits, nullptr, 0,
                             &indicators_[i]);
        break;
      case ValueKind::kInt:
        ints_.push_back(v.int_value());
        r = SQLBindParameter(h_, n, SQL_PARAM_INPUT, SQL_C_SBIGINT,
                             t.sql_type == SQL_WVARCHAR ? SQL_BIGINT : t.sql_type, t.column_size,
                             t.decimal_digits, &ints_.back(), 0, nullptr);
        break;
      case ValueKind::kReal:
        reals_.push_back(v.real_value());
        r = SQLBindParameter(h_, n, SQL_PARAM_INPUT, SQL_C_DOUBLE,
                             t.sql_type == SQL_WVARCHAR ? SQL_DOUBLE : t.sql_type, t.column_size,
                             t.decimal_digits, &reals_.back(), 0, nullptr);
        break;
      case ValueKind::kText: {
        auto wide = ToUtf16(v.text());
        if (!wide.ok()) {
          return InvalidArgument(context + ": parameter " + std::to_string(n) + ": " +
                                 wide.status().message());
        }
        wide_.push_back(std::move(*wide));
        std::u16string& w = wide_.back();
        indicators_[i] = static_cast<SQLLEN>(w.size() * sizeof(SQLWCHAR));
        // The value's own length, not the column's: a value too long for its column must reach
        // the database and be refused there, never be cut to fit by the driver.
        SQLULEN size = std::max<SQLULEN>(w.size(), 1);
        bool character = t.sql_type == SQL_CHAR || t.sql_type == SQL_VARCHAR ||
                         t.sql_type == SQL_LONGVARCHAR || t.sql_type == SQL_WCHAR ||
                         t.sql_type == SQL_WVARCHAR || t.sql_type == SQL_WLONGVARCHAR;
        SQLSMALLINT sql_type = t.sql_type;
        if (character) {
          sql_type = SQL_WVARCHAR;
        } else if (t.column_size > 0) {
          size = std::max(size, t.column_size);
        }
        r = SQLBindParameter(h_, n, SQL_PARAM_INPUT, SQL_C_WCHAR, sql_type, size, t.decimal_digits,
                             w.data(), indicators_[i], &indicators_[i]);
        break;
      }
      case ValueKind::kBlob:
        bytes_.push_back(v.text());
        indicators_[i] = static_cast<SQLLEN>(bytes_.back().size());
        r = SQLBindParameter(h_, n, SQL_PARAM_INPUT, SQL_C_BINARY,
                             t.sql_type == SQL_WVARCHAR ? SQL_VARBINARY : t.sql_type,
                             std::max<SQLULEN>(bytes_.back().size(), 1), 0, bytes_.back().data(),
                             indicators_[i], &indicators_[i]);
        break;
    }
    if (!Ok(r)) return conn_->Error(SQL_HANDLE_STMT, h_, context);
  }
  auto wide_sql = ToUtf16(sql);
  if (!wide_sql.ok()) return InvalidArgument(context + ": " + wide_sql.status().message());
  SQLRETURN r = SQLExecDirectW(h_, reinterpret_cast<SQLWCHAR*>(wide_sql->data()),
                               static_cast<SQLINTEGER>(wide_sql->size()));
  if (r == SQL_NO_DATA || Ok(r)) return Status::Ok();
  return conn_->Error(SQL_HANDLE_STMT, h_, context);
}

Result<int64_t> OdbcStmt::RowCount(const std::string& context) {
  SQLLEN n = 0;
  if (!Ok(SQLRowCount(h_, &n))) return conn_->Error(SQL_HANDLE_STMT, h_, context);
  return static_cast<int64_t>(n);
}

Result<std::vector<OdbcStmt::ColumnDesc>> OdbcStmt::Columns(const std::string& context) {
  SQLSMALLINT n = 0;
  if (!Ok(SQLNumResultCols(h_, &n))) return conn_->Error(SQL_HANDLE_STMT, h_, context);
  std::vector<ColumnDesc> out;
  for (SQLUSMALLINT i = 1; i <= n; ++i) {
    SQLWCHAR name[512];
    SQLSMALLINT len = 0, type = 0, digits = 0, nullable = 0;
    SQLULEN size = 0;
    if (!Ok(SQLDescribeColW(h_, i, name, sizeof name / sizeof name[0], &len, &type, &size,
                            &digits, &nullable))) {
      return conn_->Error(SQL_HANDLE_STMT, h_, context);
    }
    out.push_back({ToUtf8(name, std::min<size_t>(len, sizeof name / sizeof name[0] - 1)), type});
  }
  return out;
}

Result<Value> OdbcStmt::Get(SQLUSMALLINT i, SQLSMALLINT sql_type, const std::string& context) {
  SQLLEN ind = 0;
  switch (sql_type) {
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
    case SQL_BIT: {
      // As text: an unsigned BIGINT above INT64_MAX must not wrap.
      char buf[64];
      if (!Ok(SQLGetData(h_, i, SQL_C_CHAR, buf, sizeof buf, &ind))) {
        return conn_->Error(SQL_HANDLE_STMT, h_, context);
      }
      if (ind == SQL_NULL_DATA) return Value::Null();
      std::string_view text(buf, std::strlen(buf));
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && p == text.data() + text.size()) return Value::Int(v);
      return Value::Text(std::string(text));
    }
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE: {
      double v = 0;
      if (!Ok(SQLGetData(h_, i, SQL_C_DOUBLE, &v, sizeof v, &ind))) {
        return conn_->Error(SQL_HANDLE_STMT, h_, context);
      }
      return ind == SQL_NULL_DATA ? Value::Null() : Value::Real(v);
    }
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY: {
      std::string out;
      char buf[8192];
      while (true) {
        SQLRETURN r = SQLGetData(h_, i, SQL_C_BINARY, buf, sizeof buf, &ind);
        if (r == SQL_NO_DATA) break;
        if (!Ok(r)) return conn_->Error(SQL_HANDLE_STMT, h_, context);
        if (ind == SQL_NULL_DATA) return Value::Null();
        size_t got = (ind == SQL_NO_TOTAL || ind > static_cast<SQLLEN>(sizeof buf))
                         ? sizeof buf
                         : static_cast<size_t>(ind);
        out.append(buf, got);
        if (r == SQL_SUCCESS) break;
      }
      return Value::Blob(std::move(out));
    }
    default: {
      // Text in UTF-16 chunks: long values come in several, each NUL-terminated.
      std::u16string out;
      SQLWCHAR buf[4096];
      while (true) {
        SQLRETURN r = SQLGetData(h_, i, SQL_C_WCHAR, buf, sizeof buf, &ind);
        if (r == SQL_NO_DATA) break;
        if (!Ok(r)) return conn_->Error(SQL_HANDLE_STMT, h_, context);
        if (ind == SQL_NULL_DATA) return Value::Null();
        size_t room = sizeof buf / sizeof buf[0] - 1;
        size_t got = (ind == SQL_NO_TOTAL || static_cast<size_t>(ind) / sizeof(SQLWCHAR) > room)
                         ? room
                         : static_cast<size_t>(ind) / sizeof(SQLWCHAR);
        out.append(reinterpret_cast<const char16_t*>(buf), got);
        if (r == SQL_SUCCESS) break;
      }
      return Value::Text(ToUtf8(reinterpret_cast<const SQLWCHAR*>(out.data()), out.size()));
    }
  }
}

Result<bool> OdbcStmt::Fetch(const std::vector<ColumnDesc>& cols, std::vector<Value>* row,
                             const std::string& context) {
  SQLRETURN r = SQLFetch(h_);
  if (r == SQL_NO_DATA) return false;
  if (!Ok(r)) return conn_->Error(SQL_HANDLE_STMT, h_, context);
  row->clear();
  for (size_t i = 0; i < cols.size(); ++i) {
    ASSIGN_OR_RETURN(Value v, Get(static_cast<SQLUSMALLINT>(i + 1), cols[i].sql_type, context));
    row->push_back(std::move(v));
  }
  return true;
}

Result<std::string> OdbcStmt::Text(SQLUSMALLINT i, bool* is_null, const std::string& context) {
  ASSIGN_OR_RETURN(Value v, Get(i, SQL_WVARCHAR, context));
  *is_null = v.is_null();
  return v.text();
}

}  // namespace concord::odbc_connector
