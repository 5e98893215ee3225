#include "core/change.h"

#include <charconv>
#include <climits>
#include <cstdint>

#include <map>

#include <nlohmann/json.hpp>

namespace concord {

std::string EncodeKey(const Key& key) {
  std::string out = "[";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i) out += ',';
    key[i].AppendJson(&out);
  }
  out += ']';
  return out;
}

Result<Key> DecodeKey(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    return InvalidArgument("key is not a JSON array: " + text);
  }
  Key key;
  for (const auto& e : j) {
    if (e.is_null()) {
      key.push_back(Value::Null());
    } else if (e.is_number_integer() &&
               (e.is_number_unsigned() ? e.get<uint64_t>() <= INT64_MAX : true)) {
      key.push_back(Value::Int(e.get<int64_t>()));
    } else if (e.is_number()) {
      key.push_back(Value::Real(e.get<double>()));
    } else if (e.is_string()) {
      key.push_back(Value::Text(e.get<std::string>()));
    } else if (e.is_boolean()) {
      key.push_back(Value::Int(e.get<bool>() ? 1 : 0));
    } else if (e.is_object() && e.size() == 1 && e.contains("hex") && e["hex"].is_string()) {
      // A blob, as EncodeKey (Value::ToJson) and the capture triggers write it.
      const std::string& hex = e["hex"].get_ref<const std::string&>();
      if (hex.size() % 2 != 0) return InvalidArgument("key element has bad hex: " + text);
      std::string bytes;
      bytes.reserve(hex.size() / 2);
      for (size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
        if (ec != std::errc() || end != hex.data() + i + 2) {
          return InvalidArgument("key element has bad hex: " + text);
        }
        bytes += static_cast<char>(v);
      }
      key.push_back(Value::Blob(std::move(bytes)));
    } else {
      return InvalidArgument("key element is not a scalar: " + text);
    }
  }
  return key;
}

std::string KeyForDisplay(const std::string& encoded) {
  auto key = DecodeKey(encoded);
  if (!key.ok()) return encoded;
  std::string out;
  for (size_t i = 0; i < key->size(); ++i) {
    if (i) out += '|';
    out += (*key)[i].ToString();
  }
  return out;
}

std::string_view ChangeOpName(ChangeOp op) {
  switch (op) {
    case ChangeOp::kInsert: return "insert";
    case ChangeOp::kUpdate: return "update";
    case ChangeOp::kDelete: return "delete";
  }
  return "?";
}

Result<ChangeOp> ParseChangeOp(std::string_view op) {
  if (op == "insert") return ChangeOp::kInsert;
  if (op == "update") return ChangeOp::kUpdate;
  if (op == "delete") return ChangeOp::kDelete;
  return DataLoss("unknown changelog op \"" + std::string(op) + "\"");
}

Status AttachCurrentImages(
    std::vector<SourceChange>* changes,
    const std::function<Result<std::vector<std::optional<Row>>>(const std::vector<Key>&)>& lookup) {
  std::map<std::string, size_t> index;
  std::vector<Key> distinct;
  std::vector<size_t> slot(changes->size());
  for (size_t i = 0; i < changes->size(); ++i) {
    auto [it, added] = index.emplace(EncodeKey((*changes)[i].key), distinct.size());
    if (added) distinct.push_back((*changes)[i].key);
    slot[i] = it->second;
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<Row>> rows, lookup(distinct));
  if (rows.size() != distinct.size()) {
    return Internal("row lookup returned " + std::to_string(rows.size()) + " results for " +
                    std::to_string(distinct.size()) + " keys");
  }
  for (size_t i = 0; i < changes->size(); ++i) (*changes)[i].row = rows[slot[i]];
  return Status::Ok();
}

}  // namespace concord
