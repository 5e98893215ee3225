// Value: one field's value as it travels through concord — SQL NULL, integer, real, text or bytes.
//
// This is the storage-level value a connector reads and writes. The canonical form of a field is
// decided by its data-dictionary type (see quality/): decimals, dates and timestamps are carried
// as canonical Text ("1234.50", "2023-01-01", "2023-01-01T08:00:00Z") so that nothing on the path
// goes through binary floating point; bool is Int 0/1. Values are immutable-by-convention plain
// data: copy freely, share nothing.
#pragma once

#include <boost/container/flat_map.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace concord {

enum class ValueKind { kNull = 0, kInt, kReal, kText, kBlob };

class Value {
 public:
  Value() = default;  // NULL
  static Value Null() { return Value(); }
  static Value Int(int64_t v) {
    Value x;
    x.kind_ = ValueKind::kInt;
    x.int_ = v;
    return x;
  }
  static Value Real(double v) {
    Value x;
    x.kind_ = ValueKind::kReal;
    x.real_ = v;
    return x;
  }
  static Value Text(std::string v) {
    Value x;
    x.kind_ = ValueKind::kText;
    x.text_ = std::move(v);
    return x;
  }
  static Value Blob(std::string bytes) {
    Value x;
    x.kind_ = ValueKind::kBlob;
    x.text_ = std::move(bytes);
    return x;
  }

  ValueKind kind() const { return kind_; }
  bool is_null() const { return kind_ == ValueKind::kNull; }
  // 0 for other kinds.
  int64_t int_value() const { return kind_ == ValueKind::kInt ? int_ : 0; }
  double real_value() const { return kind_ == ValueKind::kReal ? real_ : 0; }
  // Text or blob bytes; empty for other kinds.
  const std::string& text() const { return text_; }

  // A text rendering for messages and key building: NULL → "NULL", Real with shortest
  // round-trip digits, Text as is, Blob as hex "x'..'"
  std::string ToString() const;

  // JSON rendering (null, number, string); blobs as {"hex": "..."}.
  std::string ToJson() const;
  // ToJson appended to `*out`, without a string of its own (EncodeKey, for every row).
  void AppendJson(std::string* out) const;

  // Exact equality: same kind and same content (Int 1 != Real 1.0 != Text "1").
  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }

 private:
  ValueKind kind_ = ValueKind::kNull;
  union {  // by kind_: 8 bytes less in every value of every row
    int64_t int_ = 0;
    double real_;
  };
  std::string text_;
};

std::string_view ValueKindName(ValueKind kind);

// Rows and records are small maps (a few to a few dozen fields) built once and read many times:
// a sorted vector, so that a row is one allocation, a lookup is a binary search through
// contiguous memory and iteration is in name order (deterministic, as std::map's). Like any
// vector, inserting may move the elements: a reference into a row does not survive adding a
// field to it. `std::less<>` lets a field be found by a std::string_view or a literal without
// building a std::string.
template <typename V>
using NameMap = boost::container::flat_map<std::string, V, std::less<>>;

// The value of `name` in `map`, or nullptr. `*at` is where to look first, and becomes where the
// name was: maps of one shape (a table's rows, a binding's records) have each name at the same
// position every time, so one comparison mostly replaces the binary search.
template <typename V>
const V* FindAt(const NameMap<V>& map, std::string_view name, uint32_t* at) {
  if (*at < map.size()) {
    auto it = map.nth(*at);
    if (it->first == name) return &it->second;
  }
  auto it = map.find(name);
  if (it == map.end()) return nullptr;
  *at = static_cast<uint32_t>(it - map.begin());
  return &it->second;
}

// A row as a connector sees it: column name → value.
using Row = NameMap<Value>;

// A record in canonical form: entity field name → canonical value.
using Record = NameMap<Value>;

}  // namespace concord
