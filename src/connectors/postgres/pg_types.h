// How PostgreSQL values become concord Values and back, and how a key is written into the
// changelog, for the postgres connector.
//
// Reading: every column arrives in text format and is converted by its type OID, without loss:
// int2/4/8 → Int; numeric → Text, exact ("1234.500000"); float4/8 → Real; bool → Int 0/1;
// date → "YYYY-MM-DD"; timestamp → "YYYY-MM-DDTHH:MM:SS[.ffffff]"; timestamptz → the same with
// "Z" (the session runs in UTC); bytea → Blob; text, varchar, char, uuid, json, jsonb and every
// other type → Text as the server prints it.
//
// Writing: values travel as text parameters typed with the target column's type, so the server
// parses them as it would a literal of that type — no SQL is built from a value. Blob (or any
// value) for a bytea column goes as hex ("\x..").
//
// Keys: the capture trigger logs a key as a JSON array built by KeyJsonExpr, so that DecodeKey
// yields exactly the Values a read of the row yields (integers as numbers, numeric as a string,
// timestamps in the read format, bytea as {"hex":".."}).
//
// The type OIDs below are PostgreSQL's fixed catalog OIDs (catalog/pg_type_d.h, which ships
// only with the server development package); they never change between versions.
#pragma once

#include <string>
#include <string_view>

#include "connectors/postgres/pg_conn.h"
#include "core/change.h"
#include "core/value.h"

namespace concord::postgres_connector {

inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kOidOid = 26;
inline constexpr Oid kJsonbOid = 3802;
inline constexpr Oid kFloat4Oid = 700;
inline constexpr Oid kFloat8Oid = 701;
inline constexpr Oid kInt8ArrayOid = 1016;
inline constexpr Oid kBpcharOid = 1042;
inline constexpr Oid kVarcharOid = 1043;
inline constexpr Oid kDateOid = 1082;
inline constexpr Oid kTimestampOid = 1114;
inline constexpr Oid kTimestamptzOid = 1184;
inline constexpr Oid kNumericOid = 1700;

// The Value of one result field in text format. `type` is the field's type OID (for a domain,
// its base type).
Value ValueFromText(const char* text, int length, bool is_null, Oid type);

// The text parameter for `v` written into a column of base type `type`. InvalidArgument when the
// value cannot be sent (text with a NUL byte: PostgreSQL text cannot hold one).
Result<PgParam> ParamFromValue(const Value& v, Oid type);
// Whether ParamFromValue(v, type) is v's own text, unchanged (text or bytes into a column that is
// not bytea, without a NUL byte): a caller may then send v.text() itself, without the copy.
bool ParamIsOwnText(const Value& v, Oid type);

// A jsonb expression giving the logged form of key part `expr` (an SQL expression of base type
// `type`), or SQL NULL for NULL. Used by the trigger and to match keys against the log.
std::string KeyJsonExpr(const std::string& expr, Oid type);

// The typed value of element `index` of the jsonb array `json` (an SQL expression), the inverse
// of KeyJsonExpr: `cast_type` is the column's type as SQL (e.g. `integer`).
std::string KeyFromJsonExpr(const std::string& json, size_t index, Oid type,
                            const std::string& cast_type);

// The value of hex digit `c` (either case), or -1.
int HexDigit(char c);
// The bytes of hex text (two digits a byte, no prefix); InvalidArgument for an odd length or a
// non-hex digit.
Result<std::string> FromHex(std::string_view h);

// Number of characters (UTF-8 code points) of `s`, as varchar(n) counts them.
size_t Utf8Length(std::string_view s);

}  // namespace concord::postgres_connector
