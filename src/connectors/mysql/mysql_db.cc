// libmariadb glue for the mysql connector: connecting, error codes, binding Values as parameters
// and converting result columns to Values. See mysql_db.h for the value mapping.
#include "connectors/mysql/mysql_db.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

#include <fmt/compile.h>

namespace concord::mysql_connector {
namespace {

// Character set number of the `binary` pseudo-charset: BLOB, BINARY and VARBINARY columns.
constexpr unsigned kBinaryCharset = 63;
// Result buffers for strings start this small and grow to the longest value seen.
constexpr size_t kInitialBufferBytes = 64;

// Writes 0..99 as two digits at `p`; returns the end.
char* TwoDigits(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10 % 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// Dates and times digit by digit: a date per row of a copy, and even fmt's compiled format cost
// ~780 instructions a date (snprintf's format parsing was 2% of the copy's CPU). MySQL's years
// are 0-9999, so every field but TIME's hours (up to 838, through fmt; TIME is rare) has a fixed
// width.
std::string FormatTime(const MYSQL_TIME& t, enum_field_types type, unsigned decimals) {
  char buf[40];
  char* p = buf;
  if (type == MYSQL_TYPE_TIME) {
    // Connector/C folds days into hours for TIME values ("838:59:59").
    p = fmt::format_to(p, FMT_COMPILE("{}{:02}"), t.neg ? "-" : "", t.hour + t.day * 24);
  } else {
    p = TwoDigits(TwoDigits(p, t.year / 100 % 100), t.year % 100);
    *p++ = '-';
    p = TwoDigits(p, t.month);
    *p++ = '-';
    p = TwoDigits(p, t.day);
    if (type == MYSQL_TYPE_DATE || type == MYSQL_TYPE_NEWDATE) return std::string(buf, p);
    *p++ = 'T';
    p = TwoDigits(p, t.hour);
  }
  *p++ = ':';
  p = TwoDigits(p, t.minute);
  *p++ = ':';
  p = TwoDigits(p, t.second);
  // The column's declared fraction digits, so one column always renders one way (a key read from
  // a DATETIME(3) is "…:05.500" whether the fraction is zero or not). Expressions without a fixed
  // scale (decimals > 6) show six digits when there is a fraction.
  unsigned digits = decimals <= 6 ? decimals : (t.second_part != 0 ? 6 : 0);
  if (digits > 0) {
    const unsigned long fraction = t.second_part % 1000000;
    char six[6];
    TwoDigits(TwoDigits(TwoDigits(six, fraction / 10000), fraction / 100 % 100), fraction % 100);
    *p++ = '.';
    p = std::copy(six, six + digits, p);
  }
  return std::string(buf, p);
}

// FLOAT columns hold a binary float; its shortest decimal text read back as a double gives the
// value the user wrote (0.1, not 0.10000000149011612).
double FloatToDouble(float f) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f);
  if (ec != std::errc()) return f;
  double d = f;
  std::from_chars(buf, end, d);
  return d;
}

}  // namespace

Code CodeForError(unsigned number) {
  switch (number) {
    case 0:
      return Code::kOk;
    // Transient: the connection or the server is gone, or a lock could not be had.
    case 1053:  // server shutdown in progress
    case 1152:  // aborted connection
    case 1158:  // net read error
    case 1159:  // net read interrupted
    case 1160:  // net write error
    case 1161:  // net write interrupted
    case 1180:  // got error during COMMIT
    case 1205:  // lock wait timeout exceeded
    case 1213:  // deadlock found
    case 1290:  // --read-only (a replica, or a failover in progress)
    case 1317:  // query execution was interrupted (KILL QUERY)
    case 1615:  // prepared statement needs to be re-prepared
    case 1836:  // running in read-only mode
    case 1927:  // connection was killed (MariaDB)
    case 4031:  // disconnected by the server for inactivity (MySQL 8)
      return Code::kUnavailable;
    case 1021:  // disk full
    case 1037:  // out of memory
    case 1038:  // out of sort memory
    case 1040:  // too many connections
    case 1041:  // out of resources
    case 1114:  // table is full
    case 1135:  // can't create thread
    case 1203:  // user has too many connections
    case 1226:  // user resource limit reached
    case 1461:  // max_prepared_stmt_count reached
      return Code::kResourceExhausted;
    case 1969:  // max_statement_time exceeded (MariaDB)
    case 3024:  // max_execution_time exceeded (MySQL)
      return Code::kDeadlineExceeded;
    case 1049:  // unknown database
    case 1051:  // unknown table (DROP)
    case 1054:  // unknown column
    case 1109:  // unknown table
    case 1146:  // table doesn't exist
    case 1360:  // trigger does not exist
      return Code::kNotFound;
    case 1044:  // access denied to database
    case 1142:  // command denied on table
    case 1143:  // command denied on column
    case 1227:  // needs a privilege (SUPER, ...)
    case 1370:  // routine access denied
    case 1419:  // binary logging on: creating triggers needs SUPER or log_bin_trust_...
    case 1449:  // the definer of a trigger or view does not exist
      return Code::kPermissionDenied;
    case 1045:  // access denied (user/password)
    case 1251:  // client does not support the authentication protocol
    case 1698:  // access denied without password
    case 1862:  // password expired
    case 2059:  // authentication plugin cannot be loaded
    case 2061:  // authentication requires a secure connection (MySQL 8)
      return Code::kUnauthenticated;
    case 1048:  // column cannot be null
    case 1062:  // duplicate entry
    case 1138:  // invalid use of NULL
    case 1216:  // foreign key (child) fails
    case 1217:  // foreign key (parent) fails
    case 1231:  // variable can't be set to the value
    case 1232:  // incorrect argument type for variable
    case 1263:  // NULL supplied to NOT NULL column
    case 1264:  // out of range value
    case 1265:  // data truncated
    case 1288:  // target of UPDATE is not updatable
    case 1292:  // incorrect (date/number) value
    case 1298:  // unknown or incorrect time zone
    case 1300:  // invalid character string
    case 1364:  // field doesn't have a default value
    case 1365:  // division by 0
    case 1366:  // incorrect string/integer value for column
    case 1367:  // illegal value
    case 1406:  // data too long for column
    case 1411:  // incorrect value for function
    case 1451:  // cannot delete a parent row (foreign key)
    case 1452:  // cannot add a child row (foreign key)
    case 1471:  // target table is not insertable
    case 1586:  // duplicate entry for key
    case 1690:  // value out of range
    case 3140:  // invalid JSON text (MySQL)
    case 3819:  // CHECK constraint violated (MySQL)
    case 4025:  // CHECK constraint failed (MariaDB)
      return Code::kInvalidArgument;
    // Client-library errors that mean concord misused the API.
    case 2014:  // commands out of sync
    case 2030:  // statement not prepared
    case 2031:  // no data supplied for parameters
    case 2034:  // invalid parameter number
    case 2035:  // invalid parameter
    case 2036:  // unsupported buffer type
    case 2057:  // number of columns changed
      return Code::kInternal;
    default:
      break;
  }
  // Other client-library errors (2000..2999) concern the connection: can't connect, server gone,
  // lost during query, TLS handshake.
  if (number >= 2000 && number < 3000) return Code::kUnavailable;
  return Code::kInternal;
}

// --- MysqlStmt ---

struct MysqlStmt::Out {
  enum class Kind { kInt, kFloat, kDouble, kTime, kBytes, kNull };
  Kind kind = Kind::kBytes;
  enum_field_types type = MYSQL_TYPE_STRING;
  std::string name;
  bool is_unsigned = false;
  bool binary = false;   // kBytes: binary data (Blob) rather than text
  bool decimal = false;  // kBytes: DECIMAL text
  bool bit = false;      // kBytes: BIT, big-endian bytes
  unsigned decimals = 0;
  long long i = 0;
  float f = 0;
  double d = 0;
  MYSQL_TIME t{};
  std::vector<char> buf;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

MysqlStmt::MysqlStmt(MysqlDb* db, MYSQL_STMT* stmt) : db_(db), stmt_(stmt) {}

MysqlStmt::~MysqlStmt() {
  if (stmt_ != nullptr) mysql_stmt_close(stmt_);
}

Status MysqlStmt::Fail() { return db_->Fail(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_)); }

int MysqlStmt::ColumnCount() const { return static_cast<int>(out_.size()); }

const std::string& MysqlStmt::ColumnName(int i) const { return out_[static_cast<size_t>(i)].name; }

// Chooses a buffer per result column from the metadata of the last execution, reusing the
// buffers when the shape is unchanged (the common case: one statement, many executions).
Status MysqlStmt::SetUpResult() {
  MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
  if (meta == nullptr) {
    out_.clear();
    out_binds_.clear();
    by_name_.clear();
    result_bound_ = false;
    return Status::Ok();
  }
  unsigned n = mysql_num_fields(meta);
  MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  bool same = result_bound_ && out_.size() == n;
  for (unsigned c = 0; same && c < n; ++c) {
    same = out_[c].type == fields[c].type && out_[c].decimals == fields[c].decimals &&
           out_[c].name == fields[c].name;
  }
  if (same) {
    mysql_free_result(meta);
    return Status::Ok();
  }
  out_ = std::vector<Out>(n);
  out_binds_ = std::vector<MYSQL_BIND>(n);
  for (unsigned c = 0; c < n; ++c) {
    const MYSQL_FIELD& f = fields[c];
    Out& o = out_[c];
    MYSQL_BIND& b = out_binds_[c];
    std::memset(&b, 0, sizeof(b));
    o.type = f.type;
    o.name.assign(f.name, f.name_length);
    o.decimals = f.decimals;
    o.is_unsigned = (f.flags & UNSIGNED_FLAG) != 0;
    b.is_null = &o.is_null;
    b.error = &o.error;
    b.length = &o.length;
    switch (f.type) {
      case MYSQL_TYPE_TINY:
      case MYSQL_TYPE_SHORT:
      case MYSQL_TYPE_INT24:
      case MYSQL_TYPE_LONG:
      case MYSQL_TYPE_LONGLONG:
      case MYSQL_TYPE_YEAR:
        o.kind = Out::Kind::kInt;
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &o.i;
        b.is_unsigned = o.is_unsigned;
        break;
      case MYSQL_TYPE_FLOAT:
        o.kind = Out::Kind::kFloat;
        b.buffer_type = MYSQL_TYPE_FLOAT;
        b.buffer = &o.f;
        break;
      case MYSQL_TYPE_DOUBLE:
        o.kind = Out::Kind::kDouble;
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &o.d;
        break;
      case MYSQL_TYPE_DATE:
      case MYSQL_TYPE_NEWDATE:
      case MYSQL_TYPE_TIME:
      case MYSQL_TYPE_DATETIME:
      case MYSQL_TYPE_TIMESTAMP:
        o.kind = Out::Kind::kTime;
        b.buffer_type = f.type == MYSQL_TYPE_NEWDATE ? MYSQL_TYPE_DATE : f.type;
        b.buffer = &o.t;
        b.buffer_length = sizeof(MYSQL_TIME);
        break;
      case MYSQL_TYPE_NULL:
        o.kind = Out::Kind::kNull;
        b.buffer_type = MYSQL_TYPE_NULL;
        break;
      default:
        o.kind = Out::Kind::kBytes;
        o.decimal = f.type == MYSQL_TYPE_DECIMAL || f.type == MYSQL_TYPE_NEWDECIMAL;
        o.bit = f.type == MYSQL_TYPE_BIT;
        o.binary = !o.decimal && !o.bit && f.type != MYSQL_TYPE_JSON &&
                   (f.charsetnr == kBinaryCharset || f.type == MYSQL_TYPE_GEOMETRY);
        o.buf.resize(kInitialBufferBytes);
        b.buffer_type = o.binary ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
        b.buffer = o.buf.data();
        b.buffer_length = static_cast<unsigned long>(o.buf.size());
        break;
    }
  }
  mysql_free_result(meta);
  by_name_.resize(n);
  for (unsigned c = 0; c < n; ++c) by_name_[c] = static_cast<int>(c);
  std::stable_sort(by_name_.begin(), by_name_.end(),
                   [this](int a, int b) { return out_[a].name < out_[b].name; });
  if (mysql_stmt_bind_result(stmt_, out_binds_.data())) return Fail();
  result_bound_ = true;
  return Status::Ok();
}

Status MysqlStmt::Execute(const std::vector<Value>& params, RowDelivery delivery) {
  db_->ClearError();
  mysql_stmt_free_result(stmt_);
  unsigned long n = mysql_stmt_param_count(stmt_);
  if (n != params.size()) {
    return Internal("statement has " + std::to_string(n) + " placeholders, " +
                    std::to_string(params.size()) + " values given");
  }
  std::vector<MYSQL_BIND> binds(n);
  std::vector<long long> ints(n);
  std::vector<double> reals(n);
  for (size_t i = 0; i < n; ++i) {
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof(b));
    const Value& v = params[i];
    switch (v.kind()) {
      case ValueKind::kNull:
        b.buffer_type = MYSQL_TYPE_NULL;
        break;
      case ValueKind::kInt:
        ints[i] = v.int_value();
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &ints[i];
        break;
      case ValueKind::kReal:
        reals[i] = v.real_value();
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &reals[i];
        break;
      case ValueKind::kText:
      case ValueKind::kBlob:
        // The server reads STRING parameters in the connection's character set (utf8mb4) and
        // BLOB parameters as binary, unconverted and unchecked.
        b.buffer_type = v.kind() == ValueKind::kText ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
        b.buffer = const_cast<char*>(v.text().data());
        b.buffer_length = static_cast<unsigned long>(v.text().size());
        break;
    }
  }
  if (n > 0 && mysql_stmt_bind_param(stmt_, binds.data())) return Fail();
  if (mysql_stmt_execute(stmt_)) return Fail();
  if (mysql_stmt_field_count(stmt_) > 0) {
    RETURN_IF_ERROR(SetUpResult());
    // kStreamed: the first mysql_stmt_fetch starts reading the rows from the connection, and
    // mysql_stmt_free_result (the next Execute, the destructor) reads away any not fetched.
    if (delivery == RowDelivery::kStored && mysql_stmt_store_result(stmt_)) return Fail();
  }
  return Status::Ok();
}

Result<bool> MysqlStmt::Fetch() {
  if (out_.empty()) return false;
  int rc = mysql_stmt_fetch(stmt_);
  if (rc == MYSQL_NO_DATA) return false;
  if (rc == 1) return Fail();
  // A value longer than its buffer: grow the buffer, fetch that column again, and keep the larger
  // buffer bound for the following rows.
  bool rebind = false;
  for (size_t c = 0; c < out_.size(); ++c) {
    Out& o = out_[c];
    if (o.kind != Out::Kind::kBytes || o.is_null || o.length <= o.buf.size()) continue;
    o.buf.resize(o.length);
    MYSQL_BIND& b = out_binds_[c];
    b.buffer = o.buf.data();
    b.buffer_length = static_cast<unsigned long>(o.buf.size());
    if (mysql_stmt_fetch_column(stmt_, &b, static_cast<unsigned>(c), 0)) return Fail();
    rebind = true;
  }
  if (rebind && mysql_stmt_bind_result(stmt_, out_binds_.data())) return Fail();
  return true;
}

Value MysqlStmt::Column(int i) const {
  const Out& o = out_[static_cast<size_t>(i)];
  if (o.is_null || o.kind == Out::Kind::kNull) return Value::Null();
  switch (o.kind) {
    case Out::Kind::kInt:
      if (o.is_unsigned &&
          static_cast<unsigned long long>(o.i) >
              static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())) {
        return Value::Text(std::to_string(static_cast<unsigned long long>(o.i)));
      }
      return Value::Int(o.i);
    case Out::Kind::kFloat:
      return Value::Real(FloatToDouble(o.f));
    case Out::Kind::kDouble:
      return Value::Real(o.d);
    case Out::Kind::kTime:
      return Value::Text(FormatTime(o.t, o.type, o.decimals));
    case Out::Kind::kBytes: {
      std::string bytes(o.buf.data(), std::min<size_t>(o.length, o.buf.size()));
      if (o.bit) {
        uint64_t v = 0;
        for (unsigned char ch : bytes) v = (v << 8) | ch;
        return Value::Int(static_cast<int64_t>(v));
      }
      if (o.binary) return Value::Blob(std::move(bytes));
      return Value::Text(std::move(bytes));
    }
    case Out::Kind::kNull:
      break;
  }
  return Value::Null();
}

uint64_t MysqlStmt::AffectedRows() const { return mysql_stmt_affected_rows(stmt_); }

uint64_t MysqlStmt::InsertId() const { return mysql_stmt_insert_id(stmt_); }

// --- MysqlDb ---

// Connector/C's local-infile callbacks; `userdata` is the MysqlDb.
struct InfileHandler {
  static int Init(void** ptr, const char* /*filename*/, void* userdata) {
    *ptr = userdata;
    return static_cast<MysqlDb*>(userdata)->infile_ != nullptr ? 0 : 1;
  }
  static int Read(void* ptr, char* buf, unsigned int len) {
    MysqlDb::Infile* in = static_cast<MysqlDb*>(ptr)->infile_;
    if (in == nullptr) return -1;
    size_t n = std::min<size_t>(len, in->data.size() - in->sent);
    std::memcpy(buf, in->data.data() + in->sent, n);
    in->sent += n;
    return static_cast<int>(n);
  }
  static void End(void*) {}
  static int Error(void*, char* msg, unsigned int len) {
    std::snprintf(msg, len, "concord sends a local file only for its own LOAD DATA statements");
    return 2000;  // CR_UNKNOWN_ERROR
  }
};

Status MysqlDb::LoadLocal(std::string_view sql, std::string_view data) {
  Infile in{data, 0};
  infile_ = &in;
  Status s = Exec(sql);
  infile_ = nullptr;
  return s;
}

Result<std::unique_ptr<MysqlDb>> MysqlDb::Connect(const ConnectOptions& o,
                                                  const std::string& label) {
  // mysql_init() initialises the library on first use, which is not thread-safe.
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
  MYSQL* m = mysql_init(nullptr);
  if (m == nullptr) {
    return Status(Code::kResourceExhausted, label + ": out of memory creating a MySQL handle");
  }
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  unsigned timeout = o.connect_timeout_s;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (o.read_timeout_s > 0) {
    unsigned io_timeout = o.read_timeout_s;
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  }
  my_bool off = 0;
  // A silent reconnect would lose the session's settings (origin, time zone, sql_mode) and an
  // open transaction; the engine reopens the connection instead.
  mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
  // LOAD DATA LOCAL (the sink's bulk path) lets the server ask for a client file: the handler
  // set below, before any statement runs, serves only LoadLocal's memory and refuses the rest.
  unsigned int local_infile = 1;
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  if (o.tls != TlsMode::kDisabled) {
    my_bool on = 1;
    my_bool verify = o.tls == TlsMode::kVerifyIdentity ? 1 : 0;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    if (!o.ssl_ca.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CA, o.ssl_ca.c_str());
  }
  std::string where =
      o.socket.empty() ? o.host + ":" + std::to_string(o.port) : "socket " + o.socket;
  if (!mysql_real_connect(m, o.socket.empty() ? o.host.c_str() : nullptr,
                          o.user.empty() ? nullptr : o.user.c_str(),
                          o.password.empty() ? nullptr : o.password.c_str(), o.database.c_str(),
                          o.socket.empty() ? o.port : 0,
                          o.socket.empty() ? nullptr : o.socket.c_str(), CLIENT_FOUND_ROWS)) {
    unsigned number = mysql_errno(m);
    std::string message = mysql_error(m);
    mysql_close(m);
    if (number == 1049) {
      return NotFound(label + ": database \"" + o.database + "\" does not exist on " + where);
    }
    std::string who = o.user.empty() ? "" : " as \"" + o.user + "\"";
    return Status(CodeForError(number),
                  label + ": cannot connect to " + where + who + ": " + message);
  }
  // Connector/C 3.3 quietly stays unencrypted when the server offers no TLS even with
  // MYSQL_OPT_SSL_ENFORCE, so the outcome is checked here.
  if (o.tls != TlsMode::kDisabled && mysql_get_ssl_cipher(m) == nullptr) {
    mysql_close(m);
    return InvalidArgument(label + ": ssl_mode is " +
                           (o.tls == TlsMode::kRequired ? "required" : "verify_identity") +
                           " but the server at " + where +
                           " does not offer TLS (give the server ssl_cert and ssl_key, or set "
                           "ssl_mode: disabled)");
  }
  auto db = std::unique_ptr<MysqlDb>(new MysqlDb(m));
  mysql_set_local_infile_handler(m, &InfileHandler::Init, &InfileHandler::Read,
                                 &InfileHandler::End, &InfileHandler::Error, db.get());
  const char* info = mysql_get_server_info(m);
  db->is_mariadb_ = info != nullptr && std::strstr(info, "MariaDB") != nullptr;
  return db;
}

MysqlDb::~MysqlDb() {
  if (mysql_ != nullptr) mysql_close(mysql_);
}

Status MysqlDb::Fail(unsigned number, const char* message) {
  last_error_.number = number;
  last_error_.message = message != nullptr ? message : "";
  if (number == 0) return Internal("MySQL call failed without an error number");
  return Status(CodeForError(number), last_error_.message);
}

Status MysqlDb::Exec(std::string_view sql) {
  ClearError();
  if (mysql_real_query(mysql_, sql.data(), static_cast<unsigned long>(sql.size()))) {
    return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (res != nullptr) {
    mysql_free_result(res);
  } else if (mysql_field_count(mysql_) != 0) {
    return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  return Status::Ok();
}

Result<std::unique_ptr<MysqlStmt>> MysqlDb::Prepare(std::string_view sql) {
  ClearError();
  MYSQL_STMT* raw = mysql_stmt_init(mysql_);
  if (raw == nullptr) return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  auto stmt = std::unique_ptr<MysqlStmt>(new MysqlStmt(this, raw));
  if (mysql_stmt_prepare(raw, sql.data(), static_cast<unsigned long>(sql.size()))) {
    return stmt->Fail();
  }
  return stmt;
}

Result<std::vector<std::vector<Value>>> MysqlDb::Query(std::string_view sql,
                                                       const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(std::unique_ptr<MysqlStmt> stmt, Prepare(sql));
  RETURN_IF_ERROR(stmt->Execute(params));
  std::vector<std::vector<Value>> rows;
  while (true) {
    ASSIGN_OR_RETURN(bool more, stmt->Fetch());
    if (!more) break;
    std::vector<Value> row;
    row.reserve(static_cast<size_t>(stmt->ColumnCount()));
    for (int c = 0; c < stmt->ColumnCount(); ++c) row.push_back(stmt->Column(c));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<uint64_t> MysqlDb::Run(std::string_view sql, const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(std::unique_ptr<MysqlStmt> stmt, Prepare(sql));
  RETURN_IF_ERROR(stmt->Execute(params));
  return stmt->AffectedRows();
}

Result<std::vector<MysqlError>> MysqlDb::Warnings() {
  std::vector<MysqlError> out;
  if (mysql_warning_count(mysql_) == 0) return out;
  static constexpr std::string_view kShow = "SHOW WARNINGS";
  if (mysql_real_query(mysql_, kShow.data(), kShow.size())) {
    return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (res == nullptr) return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  while (MYSQL_ROW row = mysql_fetch_row(res)) {  // Level, Code, Message
    MysqlError w;
    w.number = row[1] ? static_cast<unsigned>(std::strtoul(row[1], nullptr, 10)) : 0;
    w.message = row[2] ? row[2] : "";
    out.push_back(std::move(w));
  }
  mysql_free_result(res);
  return out;
}

std::string MysqlDb::server_version() const {
  const char* info = mysql_get_server_info(mysql_);
  return info != nullptr ? info : "";
}

unsigned long MysqlDb::thread_id() { return mysql_thread_id(mysql_); }

}  // namespace concord::mysql_connector
