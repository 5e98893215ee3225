#include "core/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace concord {

std::string_view ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNull: return "null";
    case ValueKind::kInt: return "integer";
    case ValueKind::kReal: return "real";
    case ValueKind::kText: return "text";
    case ValueKind::kBlob: return "blob";
  }
  return "?";
}

static std::string RealToString(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  // Shortest representation that reads back to the same double.
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

static std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Value::ToString() const {
  switch (kind_) {
    case ValueKind::kNull: return "NULL";
    case ValueKind::kInt: return std::to_string(int_);
    case ValueKind::kReal: return RealToString(real_);
    case ValueKind::kText: return text_;
    case ValueKind::kBlob: return "x'" + Hex(text_) + "'";
  }
  return "";
}

std::string Value::ToJson() const {
  std::string out;
  AppendJson(&out);
  return out;
}

void Value::AppendJson(std::string* out) const {
  switch (kind_) {
    case ValueKind::kNull:
      *out += "null";
      return;
    case ValueKind::kInt: {
      char buf[24];
      *out += std::string_view(buf, std::to_chars(buf, buf + sizeof buf, int_).ptr - buf);
      return;
    }
    case ValueKind::kReal:
      *out += std::isfinite(real_) ? RealToString(real_) : "null";
      return;
    case ValueKind::kText: {
      // Printable ASCII without a quote or a backslash is its own JSON spelling, as
      // nlohmann's dump would write it: most keys are, and EncodeKey runs for every row.
      const bool plain = std::all_of(text_.begin(), text_.end(), [](char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
      });
      if (plain) {
        out->push_back('"');
        *out += text_;
        out->push_back('"');
        return;
      }
      *out += nlohmann::json(text_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
    case ValueKind::kBlob:
      *out += "{\"hex\":\"";
      *out += Hex(text_);
      *out += "\"}";
      return;
  }
  *out += "null";
}

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case ValueKind::kNull: return true;
    case ValueKind::kInt: return int_ == o.int_;
    case ValueKind::kReal: return real_ == o.real_ || (std::isnan(real_) && std::isnan(o.real_));
    case ValueKind::kText:
    case ValueKind::kBlob: return text_ == o.text_;
  }
  return false;
}

}  // namespace concord
