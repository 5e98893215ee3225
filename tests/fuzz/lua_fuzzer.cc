// The Lua sandbox: any expression over any record compiles or is refused, and evaluates to a
// value or an error — never a crash, a hang (the instruction limit), or memory past the limit.
// CheckLuaSyntax and LuaSandbox::Compile agree, and the sandbox stays usable after every input,
// however it ended.
//
// Input: the expression, then a newline, then bytes that fill the record's fields (text, a
// decimal, an int, a bool; byte values pick NULLs and lengths).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "rules/lua_sandbox.h"

using namespace concord;

namespace {

void Check(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "property violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

const EntitySpec& Entity() {
  static const EntitySpec entity = [] {
    EntitySpec e;
    e.name = "customer";
    e.key = {"code"};
    auto add = [&](const char* name, FieldType type) {
      FieldSpec f;
      f.name = name;
      f.type = type;
      e.fields.push_back(f);
    };
    add("code", FieldType::kString);
    add("name", FieldType::kString);
    add("amount", FieldType::kDecimal);
    add("visits", FieldType::kInt);
    add("active", FieldType::kBool);
    add("born", FieldType::kDate);
    return e;
  }();
  return entity;
}

constexpr LuaLimits kLimits{.max_instructions = 200000, .max_memory_bytes = 4 << 20};

Record MakeRecord(const uint8_t* p, size_t n) {
  Record r;
  r["code"] = Value::Text("C1");
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < n ? p[i++] : 0; };
  auto text = [&]() {
    size_t len = next() % 24;
    std::string s;
    for (size_t k = 0; k < len && i < n; ++k) s += static_cast<char>(next());
    return s;
  };
  uint8_t nulls = next();
  if (!(nulls & 1)) r["name"] = Value::Text(text());
  if (!(nulls & 2)) {
    // Canonical decimal text of up to 20 digits: within and beyond what a double holds exactly.
    std::string digits;
    size_t len = 1 + next() % 20;
    for (size_t k = 0; k < len; ++k) digits += static_cast<char>('0' + next() % 10);
    size_t point = next() % (len + 1);
    std::string d = (nulls & 16 ? "-" : "") + digits.substr(0, len - point);
    if (d.empty() || d == "-") d += "0";
    if (point > 0) d += "." + digits.substr(len - point);
    r["amount"] = Value::Text(d);
  }
  if (!(nulls & 4)) {
    int64_t v = 0;
    for (int k = 0; k < 8; ++k) v = (v << 8) | next();
    r["visits"] = Value::Int(v);
  }
  if (!(nulls & 8)) r["active"] = Value::Int(next() & 1);
  if (!(nulls & 32)) r["born"] = Value::Text("2023-01-0" + std::to_string(1 + next() % 9));
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string expression = input.substr(0, nl);
  std::string rest = nl == std::string::npos ? "" : input.substr(nl + 1);

  // One sandbox for many inputs, as a flow keeps one: what one input leaves behind must not break
  // or bloat the next. Renewed every 256 inputs, because each input compiles one more
  // expression into it (a flow compiles a fixed few).
  static std::unique_ptr<LuaSandbox> sandbox;
  static int probe = -1;
  static int uses = 0;
  if (sandbox == nullptr || ++uses % 256 == 0) {
    auto sb = LuaSandbox::Create("flow fuzz", &Entity(), kLimits);
    Check(sb.ok(), "sandbox created", sb.ok() ? "" : sb.status().ToString());
    sandbox = std::move(*sb);
    auto h = sandbox->Compile("probe", "code .. '!'");
    Check(h.ok(), "probe compiles", h.ok() ? "" : h.status().ToString());
    probe = *h;
  }

  LuaSyntaxError syntax;
  const bool syntax_ok = CheckLuaSyntax(expression, &syntax);
  Check(syntax.offset <= expression.size(), "syntax error offset within the text",
        std::to_string(syntax.offset));
  auto handle = sandbox->Compile("rule fuzz", expression);
  const bool out_of_memory =
      !handle.ok() && handle.status().message().find("while compiling") != std::string::npos;
  Check(handle.ok() == syntax_ok || out_of_memory, "CheckLuaSyntax agrees with Compile",
        handle.ok() ? "compiled" : handle.status().ToString());
  Record record = MakeRecord(reinterpret_cast<const uint8_t*>(rest.data()), rest.size());
  if (handle.ok()) {
    auto v = sandbox->Evaluate(*handle, record);
    if (!v.ok()) {
      Check(v.status().message().rfind("flow fuzz, rule fuzz \"", 0) == 0,
            "errors name the flow and the expression", v.status().message());
    }
    (void)sandbox->Test(*handle, record);
  }
  Check(sandbox->memory_bytes() <= kLimits.max_memory_bytes, "memory within the limit",
        std::to_string(sandbox->memory_bytes()));
  auto after = sandbox->Evaluate(probe, record);
  Check(after.ok() && after->text() == "C1!", "sandbox usable afterwards",
        after.ok() ? after->ToString() : after.status().ToString());
  return 0;
}
