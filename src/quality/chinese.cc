// Traditional ↔ simplified Chinese with OpenCC (phrase-level dictionaries, so 頭髮 → 头发 and
// 發展 → 发展 come out right, which a character table cannot do).
//
// Each converter is loaded once, on first use (dictionary loading takes milliseconds), and never
// freed. OpenCC's conversion is const over read-only dictionaries and safe to call from any thread;
// its C API catches OpenCC's exceptions, so nothing throws through here.
#include <opencc.h>

#include "quality/normalize_internal.h"

namespace concord::quality_internal {
namespace {

struct Converter {
  opencc_t handle = reinterpret_cast<opencc_t>(-1);
  std::string config;
  bool ok() const { return handle != reinterpret_cast<opencc_t>(-1); }
};

const Converter& ConverterFor(ChineseScript to) {
  // t2s: OpenCC's standard traditional → simplified; s2t the reverse. Leaked on purpose: a
  // process-lifetime singleton, never closed while another thread may use it.
  static const Converter* kToSimplified = [] {
    auto* c = new Converter{opencc_open("t2s.json"), "t2s.json"};
    return c;
  }();
  static const Converter* kToTraditional = [] {
    auto* c = new Converter{opencc_open("s2t.json"), "s2t.json"};
    return c;
  }();
  return to == ChineseScript::kSimplified ? *kToSimplified : *kToTraditional;
}

}  // namespace

Result<std::string> ConvertChinese(std::string_view s, ChineseScript to) {
  if (to == ChineseScript::kKeep || IsAscii(s)) return std::string(s);
  const Converter& c = ConverterFor(to);
  if (!c.ok()) {
    return InvalidArgument("Chinese conversion is not available: OpenCC could not load " +
                           c.config + " (install the OpenCC data, Debian package libopencc-data)");
  }
  // OpenCC returns a C string, so text is converted between NULs and the NULs kept.
  std::string out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\0', start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) {
      char* converted = opencc_convert_utf8(c.handle, s.data() + start, end - start);
      if (converted == nullptr) {
        return InvalidArgument("Chinese conversion failed: " + std::string(opencc_error()));
      }
      out += converted;
      opencc_convert_utf8_free(converted);
    }
    if (end == s.size()) break;
    out += '\0';
    start = end + 1;
  }
  return out;
}

}  // namespace concord::quality_internal
