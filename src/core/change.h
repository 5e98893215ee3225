// Keys and changes: what capture produces and what the engine moves.
//
// A key is the list of values of a table's (or an entity's) key columns, in declared order. Keys
// are stored and compared as their JSON-array text (EncodeKey), e.g. ["C001"] or [17,"A"], which
// is also what SQLite's json_array() yields for the same values, so capture triggers and
// concord agree byte for byte once the trigger's text has been re-encoded through DecodeKey.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/value.h"

namespace concord {

using Key = std::vector<Value>;

// ["C001"], [17,"A"]. Reals use shortest round-trip digits; blobs {"hex":".."}.
std::string EncodeKey(const Key& key);
// Inverse of EncodeKey: JSON arrays of null, integers, reals, strings, booleans (as 0/1) and
// blobs written as {"hex": ".."}. Integers above INT64_MAX become reals.
Result<Key> DecodeKey(const std::string& text);

// A human rendering of an encoded key for messages: ["C001"] → C001, [1,"A"] → 1|A.
std::string KeyForDisplay(const std::string& encoded);

enum class ChangeOp { kInsert, kUpdate, kDelete };
std::string_view ChangeOpName(ChangeOp op);  // "insert" | "update" | "delete"
// Inverse of ChangeOpName, for ops read back from a changelog; DataLoss for anything else (a
// changelog row concord did not write).
Result<ChangeOp> ParseChangeOp(std::string_view op);

// One captured change as the source's changelog recorded it, with the row's current image.
//
// Capture is "key + current image": the changelog names which row changed; the row itself is read
// when the batch is fetched. Several changes to one key in one batch therefore carry the same
// (latest) image, and a replay after a crash carries the latest image too — which is what makes
// apply idempotent.
struct SourceChange {
  int64_t seq = 0;           // changelog position; unique per source system and consumer
  Key key;                   // the source table's key values
  ChangeOp op = ChangeOp::kUpdate;  // as logged
  std::string origin;        // "" for an application's write; else the system concord copied from
  int64_t at_ms = 0;         // when the source logged it (ms since epoch, source clock)
  std::optional<Row> row;    // current image; nullopt when the row no longer exists
};

// Attaches the current row image to each change: looks up each distinct key once through
// `lookup` (which returns, for keys[i], the row or nullopt) and gives every change of that key
// the same image. The shared last step of trigger capture's ReadChanges.
Status AttachCurrentImages(
    std::vector<SourceChange>* changes,
    const std::function<Result<std::vector<std::optional<Row>>>(const std::vector<Key>&)>& lookup);

}  // namespace concord
