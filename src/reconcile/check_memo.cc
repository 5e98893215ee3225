#include "reconcile/check_memo.h"

#include <elf.h>
#include <link.h>

#include <cstring>
#include <fstream>
#include <sstream>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>
#include <fmt/format.h>

namespace concord {
namespace {

constexpr uint8_t kFormat = 3;
constexpr uint8_t kTotalsFormat = 3;

void Put(std::string* out, const void* p, size_t n) { out->append(static_cast<const char*>(p), n); }
template <typename T>
void PutPod(std::string* out, T v) {
  Put(out, &v, sizeof v);
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  template <typename T>
  bool Pod(T* v) {
    if (s_.size() - at_ < sizeof(T)) return false;
    std::memcpy(v, s_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  // The next `n` bytes, in place.
  bool Bytes(size_t n, std::string_view* out) {
    if (s_.size() - at_ < n) return false;
    *out = s_.substr(at_, n);
    at_ += n;
    return true;
  }
  bool Done() const { return at_ == s_.size(); }

 private:
  std::string_view s_;
  size_t at_ = 0;
};

// What identifies the running build: the GNU build-id (a hash the linker computes over the
// binary) of the executable and of every shared library it has loaded (libphonenumber, ICU,
// LuaJIT, ...), so that an upgraded normalizer library drops the memo too. An object without a
// build-id is named by its path and, for the executable, hashed whole. Computed once per process.
int AddBuildId(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  std::string id;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* at = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = at + ph.p_memsz;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);
      const char* name = at + sizeof(ElfW(Nhdr));
      const char* desc = name + ((note->n_namesz + 3) & ~3u);
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0 && desc + note->n_descsz <= end) {
        id.assign(desc, note->n_descsz);
      }
      at = desc + ((note->n_descsz + 3) & ~3u);
    }
  }
  std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (id.empty() && name.empty()) {  // the executable, built without a build-id: its bytes
    std::ifstream exe("/proc/self/exe", std::ios::binary);
    std::stringstream bytes;
    bytes << exe.rdbuf();
    std::string all = bytes.str();
    id = fmt::format("{:016x}", XXH3_64bits(all.data(), all.size()));
  }
  *out += fmt::format("{}:{}:{};", name.size(), name, id.empty() ? "no-build-id" : id);
  return 0;
}

const std::string& BuildIdentity() {
  static const std::string identity = [] {
    std::string all;
    dl_iterate_phdr(AddBuildId, &all);
    return fmt::format("{:016x}", XXH3_64bits(all.data(), all.size()));
  }();
  return identity;
}

// What a bucket and the totals begin with: the format, the raw summary, a flag.
void PutHead(std::string* out, uint8_t format, const BucketSum& raw, bool flag) {
  PutPod(out, format);
  PutPod(out, raw.rows);
  PutPod(out, raw.sum1);
  PutPod(out, raw.sum2);
  PutPod(out, static_cast<uint8_t>(flag));
}

bool ReadHead(Reader* r, uint8_t expected_format, BucketSum* raw, uint8_t* flag) {
  uint8_t format = 0;
  return r->Pod(&format) && format == expected_format && r->Pod(&raw->rows) &&
         r->Pod(&raw->sum1) && r->Pod(&raw->sum2) && r->Pod(flag);
}

// Amount sums, field by field: count, then (name length, name, total, overflow, invalid) each.
void PutSums(std::string* out, const AmountSums& sums) {
  PutPod(out, static_cast<uint32_t>(sums.size()));
  for (const auto& [field, s] : sums) {
    PutPod(out, static_cast<uint32_t>(field.size()));
    *out += field;
    PutPod(out, s.total);
    PutPod(out, static_cast<uint8_t>(s.overflow));
    PutPod(out, s.invalid);
  }
}

bool ReadSums(Reader* r, AmountSums* sums) {
  uint32_t n = 0;
  if (!r->Pod(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    std::string_view field;
    AmountSum s;
    uint8_t overflow = 0;
    if (!r->Pod(&len) || !r->Bytes(len, &field) || !r->Pod(&s.total) || !r->Pod(&overflow) ||
        !r->Pod(&s.invalid)) {
      return false;
    }
    s.overflow = overflow != 0;
    (*sums)[std::string(field)] = s;
  }
  return true;
}

std::string Hex128(const std::string& text) {
  XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += fmt::format("{}:{};", p.size(), p);
  return out;
}

}  // namespace

// A bucket: its head, its entries, its amount sums, then its rows' system keys behind their
// byte count (so that decoding the rest skips them in place).
std::string EncodeMemoBucket(const MemoBucket& b) {
  const size_t keys_bytes = 4 + b.system_keys.size();
  std::string out;
  out.reserve(48 + b.entries.size() * sizeof(MemoBucket::Entry) + keys_bytes + 4);
  PutHead(&out, kFormat, b.raw, b.reusable);
  PutPod(&out, static_cast<uint32_t>(b.entries.size()));
  Put(&out, b.entries.data(), b.entries.size() * sizeof(MemoBucket::Entry));
  PutSums(&out, b.sums);
  PutPod(&out, static_cast<uint32_t>(keys_bytes));
  PutPod(&out, static_cast<uint32_t>(b.system_key_count));
  out.append(b.system_keys);
  return out;
}

namespace {

Status BadBucket() {
  return DataLoss("check memo: a bucket is not in the format this build writes");
}

// Reads a bucket up to its keys (left in *keys, undecoded); its entries are copied only when
// `entries` (DecodeMemoBucketKeys skips them in place).
Status ReadBucket(std::string_view data, MemoBucket* b, std::string_view* keys,
                  bool entries = true) {
  Reader r(data);
  uint8_t reusable = 0;
  uint32_t n = 0, keys_bytes = 0;
  if (!ReadHead(&r, kFormat, &b->raw, &reusable) || !r.Pod(&n)) return BadBucket();
  b->reusable = reusable != 0;
  std::string_view bytes;
  if (!r.Bytes(static_cast<size_t>(n) * sizeof(MemoBucket::Entry), &bytes)) return BadBucket();
  if (entries) {
    b->entries.resize(n);
    std::memcpy(b->entries.data(), bytes.data(), bytes.size());
  }
  if (!ReadSums(&r, &b->sums) || !r.Pod(&keys_bytes) || !r.Bytes(keys_bytes, keys) ||
      !r.Done()) {
    return BadBucket();
  }
  return Status::Ok();
}

}  // namespace

Result<MemoBucket> DecodeMemoBucket(std::string_view data) {
  MemoBucket b;
  std::string_view keys;
  RETURN_IF_ERROR(ReadBucket(data, &b, &keys));
  return b;
}

Result<std::vector<std::string>> DecodeMemoBucketKeys(std::string_view data) {
  MemoBucket b;
  std::string_view keys;
  RETURN_IF_ERROR(ReadBucket(data, &b, &keys, /*entries=*/false));
  Reader r(keys);
  uint32_t n = 0;
  if (!r.Pod(&n)) return BadBucket();
  std::vector<std::string> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t size = 0;
    std::string_view key;
    if (!r.Pod(&size) || !r.Bytes(size, &key)) return BadBucket();
    out.emplace_back(key);
  }
  if (!r.Done()) return BadBucket();
  return out;
}

std::string EncodeMemoTotals(const MemoTotals& t) {
  std::string out;
  PutHead(&out, kTotalsFormat, t.raw, t.complete);
  PutPod(&out, static_cast<uint8_t>(t.changed));
  PutPod(&out, static_cast<uint32_t>(t.write_mark.size()));
  Put(&out, t.write_mark.data(), t.write_mark.size());
  PutPod(&out, t.rows);
  PutPod(&out, t.digest);
  PutSums(&out, t.sums);
  return out;
}

Result<MemoTotals> DecodeMemoTotals(std::string_view data) {
  Reader r(data);
  MemoTotals t;
  uint8_t complete = 0, changed = 0;
  uint32_t mark_size = 0;
  std::string_view mark;
  if (!ReadHead(&r, kTotalsFormat, &t.raw, &complete) || !r.Pod(&changed) ||
      !r.Pod(&mark_size) || !r.Bytes(mark_size, &mark) || !r.Pod(&t.rows) ||
      !r.Pod(&t.digest) || !ReadSums(&r, &t.sums) || !r.Done()) {
    return DataLoss("check memo: the totals are not in the format this build writes");
  }
  t.complete = complete != 0;
  t.changed = changed != 0;
  t.write_mark = std::string(mark);
  return t;
}

std::string MemoName(const std::string& entity, const std::string& system,
                     const std::vector<std::string>& compared_fields, const std::string& where) {
  return fmt::format("{}@{}#{}", entity, system,
                     Hex128(Joined(compared_fields) + "|" + where).substr(0, 12));
}

std::string MemoFingerprint(const std::string& config_text, const std::string& entity,
                            const std::string& system, bool hashed_in_database,
                            const std::vector<std::string>& compared_fields,
                            const std::string& where) {
  return Hex128(Joined({BuildIdentity(), config_text, entity, system,
                        hashed_in_database ? "database" : "concord", Joined(compared_fields),
                        where}));
}

std::string MemoTotalsName(const std::string& memo_name) { return memo_name + "/totals"; }

uint64_t EntryDigest(uint64_t key_hash, uint64_t row_hash) {
  uint64_t pair[2] = {key_hash, row_hash};
  return XXH3_64bits(pair, sizeof pair);
}

uint64_t XrefHash(const std::string& system_key) {
  return XXH3_64bits(system_key.data(), system_key.size()) | 1;
}

uint32_t FoldedBuckets(int64_t rows) {
  uint32_t b = 64;
  while (b < kReadBuckets && static_cast<int64_t>(b) * 64 < rows) b *= 2;
  return b;
}

}  // namespace concord
