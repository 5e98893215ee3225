// Value conversions and key expressions for the postgres connector; see pg_types.h.
#include "connectors/postgres/pg_types.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace concord::postgres_connector {
namespace {

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// "2023-01-01 08:00:00.5" → "2023-01-01T08:00:00.5" (years past 9999 have more digits, so the
// separator is found, not assumed at position 10). BC dates and infinity stay as printed.
std::string IsoTimestamp(std::string s) {
  if (s.size() >= 3 && s.compare(s.size() - 3, 3, " BC") == 0) return s;
  size_t space = s.find(' ');
  if (space != std::string::npos) s[space] = 'T';
  return s;
}

// "…+00" → "…Z"; "…+05" → "…+05:00"; "+05:30" stays. The session's TimeZone is UTC, so the
// server always prints "+00"; the rest is for robustness only.
std::string IsoTimestamptz(std::string s) {
  if (s.size() >= 3 && s.compare(s.size() - 3, 3, " BC") == 0) return s;
  s = IsoTimestamp(std::move(s));
  size_t t = s.find('T');
  if (t == std::string::npos) return s;  // infinity
  size_t sign = s.find_first_of("+-", t);
  if (sign == std::string::npos) return s;
  std::string offset = s.substr(sign);
  if (offset == "+00" || offset == "-00" || offset == "+00:00") return s.substr(0, sign) + "Z";
  if (offset.size() == 3) return s + ":00";
  return s;
}

}  // namespace

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> FromHex(std::string_view h) {
  if (h.size() % 2 != 0) return InvalidArgument("odd number of hex digits");
  std::string out;
  out.reserve(h.size() / 2);
  for (size_t i = 0; i < h.size(); i += 2) {
    int a = HexDigit(h[i]), b = HexDigit(h[i + 1]);
    if (a < 0 || b < 0) return InvalidArgument("bad hex digit");
    out += static_cast<char>(a * 16 + b);
  }
  return out;
}

Value ValueFromText(const char* text, int length, bool is_null, Oid type) {
  if (is_null) return Value::Null();
  std::string_view s(text, static_cast<size_t>(length));
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && end == s.data() + s.size()) return Value::Int(v);
      return Value::Text(std::string(s));  // cannot happen for these types; never lose it
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      // strtod reads "NaN", "Infinity" and "-Infinity" as the server prints them.
      std::string z(s);
      char* end = nullptr;
      double v = std::strtod(z.c_str(), &end);
      if (end == z.c_str() + z.size()) return Value::Real(v);
      return Value::Text(std::move(z));
    }
    case kBoolOid:
      return Value::Int(s == "t" ? 1 : 0);
    case kByteaOid: {
      if (s.size() >= 2 && s[0] == '\\' && s[1] == 'x') {
        Result<std::string> bytes = FromHex(s.substr(2));
        if (bytes.ok()) return Value::Blob(std::move(*bytes));
      }
      return Value::Blob(std::string(s));  // bytea_output is hex; kept raw otherwise
    }
    case kTimestampOid:
      return Value::Text(IsoTimestamp(std::string(s)));
    case kTimestamptzOid:
      return Value::Text(IsoTimestamptz(std::string(s)));
    default:  // numeric (exact), text, varchar, char, uuid, json, jsonb, date, enums, ...
      return Value::Text(std::string(s));
  }
}

Result<PgParam> ParamFromValue(const Value& v, Oid type) {
  switch (v.kind()) {
    case ValueKind::kNull:
      return PgParam();
    case ValueKind::kInt:
      return PgParam(std::to_string(v.int_value()));
    case ValueKind::kReal: {
      double d = v.real_value();
      if (std::isnan(d)) return PgParam("NaN");
      if (std::isinf(d)) return PgParam(d > 0 ? "Infinity" : "-Infinity");
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);  // shortest exact digits
      return PgParam(std::string(buf, end));
    }
    case ValueKind::kText:
    case ValueKind::kBlob:
      if (type == kByteaOid) return PgParam(ToHex(v.text()));
      if (!ParamIsOwnText(v, type)) {
        return InvalidArgument(
            "the value holds a NUL byte (0x00), which PostgreSQL text cannot store");
      }
      return PgParam(v.text());
  }
  return PgParam();
}

bool ParamIsOwnText(const Value& v, Oid type) {
  return (v.kind() == ValueKind::kText || v.kind() == ValueKind::kBlob) && type != kByteaOid &&
         v.text().find('\0') == std::string::npos;
}

std::string KeyJsonExpr(const std::string& expr, Oid type) {
  const std::string e = "(" + expr + ")";
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kFloat4Oid:
    case kFloat8Oid:
    case kDateOid:       // ISO whatever the session's DateStyle
    case kTimestampOid:  // "2023-01-01T08:00:00.5", as ValueFromText prints it
    case kBpcharOid:     // padded, as the server prints it (a ::text cast would trim)
      return "to_jsonb(" + e + ")";
    case kOidOid:
      return "to_jsonb(" + e + "::int8)";
    case kBoolOid:
      return "to_jsonb(" + e + "::int)";
    case kByteaOid:
      return "CASE WHEN " + e + " IS NULL THEN NULL ELSE jsonb_build_object('hex', encode(" + e +
             ", 'hex')) END";
    case kTimestamptzOid:
      // In UTC whatever the application session's TimeZone, with "Z" as ValueFromText prints.
      return "CASE WHEN isfinite(" + e + ") THEN to_jsonb((to_jsonb(" + e +
             " AT TIME ZONE 'UTC') #>> '{}') || 'Z') ELSE to_jsonb(" + e + "::text) END";
    default:  // numeric as a string (exact), text, varchar, uuid, ...
      return "to_jsonb(" + e + "::text)";
  }
}

std::string KeyFromJsonExpr(const std::string& json, size_t index, Oid type,
                            const std::string& cast_type) {
  std::string i = std::to_string(index);
  if (type == kByteaOid) return "decode((" + json + ") -> " + i + " ->> 'hex', 'hex')";
  return "((" + json + ") ->> " + i + ")::" + cast_type;
}


size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace concord::postgres_connector
