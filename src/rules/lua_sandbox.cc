// LuaSandbox and CheckLuaSyntax on LuaJIT (lua_sandbox.h says what an expression may do).
//
// Shape of the state: the global table holds only the allowed library; every expression runs
// with an environment of its own that is an empty table whose __index looks a name up in the
// current record first (a C function, so no per-record table is built) and in the globals
// second, and whose __newindex refuses. The JIT compiler is switched off: the count hook does not
// fire inside compiled traces, and these expressions are too short to gain from it.
#include "rules/lua_sandbox.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/did_you_mean.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <lualib.h>
}

namespace concord {

struct LuaSandbox::State {
  lua_State* L = nullptr;
  int64_t used = 0;
  int64_t memory_limit = 0;
  int64_t instructions = 0;  // counted in steps of kHookStep during one evaluation
  int64_t instruction_limit = 0;
  bool out_of_instructions = false;
  const Record* record = nullptr;  // the record being evaluated
  const EntitySpec* entity = nullptr;
};

namespace {

constexpr int kHookStep = 1000;
constexpr int64_t kMaxExactInt = int64_t{1} << 53;
constexpr int kMaxExactDigits = 15;                  // DBL_DIG

// Names the base library offers that an expression may use; everything else is removed.
constexpr const char* kAllowedGlobals[] = {
    "assert", "error", "ipairs", "next",   "pairs", "rawequal", "select", "tonumber",
    "tostring", "type", "unpack", "math",  "string", "table",   "bit",
};
constexpr const char* kRemovedStringFunctions[] = {"dump", "find", "match", "gmatch", "gsub"};

void* Allocate(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* s = static_cast<LuaSandbox::State*>(ud);
  const int64_t old_bytes = ptr == nullptr ? 0 : static_cast<int64_t>(old_size);
  if (new_size == 0) {
    std::free(ptr);
    s->used -= old_bytes;
    return nullptr;
  }
  if (s->used - old_bytes + static_cast<int64_t>(new_size) > s->memory_limit &&
      static_cast<int64_t>(new_size) > old_bytes) {
    return nullptr;  // Lua raises a memory error; shrinking always succeeds
  }
  void* out = std::realloc(ptr, new_size);
  if (out != nullptr) s->used += static_cast<int64_t>(new_size) - old_bytes;
  return out;
}

LuaSandbox::State* StateOf(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<LuaSandbox::State*>(ud);
}

void CountHook(lua_State* L, lua_Debug*) {
  LuaSandbox::State* s = StateOf(L);
  s->instructions += kHookStep;
  if (s->instructions > s->instruction_limit) {
    s->out_of_instructions = true;
    luaL_error(L, "instruction limit exceeded");
  }
}

const FieldSpec* FindField(const EntitySpec* entity, std::string_view name) {
  if (entity == nullptr) return nullptr;
  for (const FieldSpec& f : entity->fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// Significant digits of canonical decimal text ("-0012.50" → 4); -1 when it is not decimal text.
int SignificantDigits(const std::string& text) {
  int digits = 0;
  bool leading = true;
  size_t i = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) return -1;
  bool dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return -1;
    if (leading && c == '0') continue;
    leading = false;
    ++digits;
  }
  return digits;
}

void PushValue(lua_State* L, const FieldSpec* field, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull:
      lua_pushnil(L);
      return;
    case ValueKind::kInt:
      if (field != nullptr && field->type == FieldType::kBool) {
        lua_pushboolean(L, v.int_value() != 0);
      } else if (v.int_value() >= -kMaxExactInt && v.int_value() <= kMaxExactInt) {
        lua_pushnumber(L, static_cast<double>(v.int_value()));
      } else {
        std::string text = v.ToString();
        lua_pushlstring(L, text.data(), text.size());
      }
      return;
    case ValueKind::kReal:
      lua_pushnumber(L, v.real_value());
      return;
    case ValueKind::kText:
      if (field != nullptr && field->type == FieldType::kDecimal) {
        int digits = SignificantDigits(v.text());
        if (digits >= 0 && digits <= kMaxExactDigits) {
          lua_pushnumber(L, std::strtod(v.text().c_str(), nullptr));
          return;
        }
      }
      [[fallthrough]];
    case ValueKind::kBlob:
      lua_pushlstring(L, v.text().data(), v.text().size());
      return;
  }
}

// __index of an expression's environment: (env, name) → the field's value, or a library entry.
int LookupName(lua_State* L) {
  size_t len = 0;
  const char* name = lua_tolstring(L, 2, &len);
  if (name == nullptr) return luaL_error(L, "a name must be a string");
  std::string_view n(name, len);
  LuaSandbox::State* s = StateOf(L);
  if (const FieldSpec* f = FindField(s->entity, n)) {
    auto it = s->record->find(f->name);
    if (it == s->record->end()) {
      lua_pushnil(L);
    } else {
      PushValue(L, f, it->second);
    }
    return 1;
  }
  if (n == "null") {
    lua_pushnil(L);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, LUA_GLOBALSINDEX);
  if (!lua_isnil(L, -1)) return 1;
  std::vector<std::string> names;
  if (s->entity != nullptr) {
    for (const FieldSpec& f : s->entity->fields) names.push_back(f.name);
  }
  std::string match = ClosestMatch(std::string(n), names);
  std::string message = "unknown name \"" + std::string(n) + "\"";
  if (!match.empty()) message += " (did you mean \"" + match + "\"?)";
  if (s->entity != nullptr) message += "; " + s->entity->name + " has no such field";
  lua_pushlstring(L, message.data(), message.size());
  return lua_error(L);
}

int RefuseAssignment(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "cannot assign \"%s\": expressions read the record, they do not change it",
                    name == nullptr ? "?" : name);
}

// Removes every global not in kAllowedGlobals, and string's unsafe functions (also reachable
// through the string metatable, which shares the table).
void KeepAllowedGlobals(lua_State* L) {
  std::vector<std::string> remove;
  lua_pushnil(L);
  while (lua_next(L, LUA_GLOBALSINDEX) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;
    std::string key = lua_tostring(L, -1);
    bool keep = false;
    for (const char* allowed : kAllowedGlobals) keep = keep || key == allowed;
    if (!keep) remove.push_back(key);
  }
  for (const auto& key : remove) {
    lua_pushnil(L);
    lua_setglobal(L, key.c_str());
  }
  lua_getglobal(L, "string");
  for (const char* name : kRemovedStringFunctions) {
    lua_pushnil(L);
    lua_setfield(L, -2, name);
  }
  lua_pop(L, 1);
}

// "[string \"...\"]:3: unexpected symbol near 'x'" → line 3, "unexpected symbol near 'x'".
void SplitLuaError(const std::string& raw, int* line, std::string* message) {
  *line = 0;
  *message = raw;
  size_t close = raw.find("]:");
  size_t start = close == std::string::npos ? raw.find(':') : close + 1;
  if (start == std::string::npos) return;
  size_t end = raw.find(':', start + 1);
  if (end == std::string::npos) return;
  std::string digits = raw.substr(start + 1, end - start - 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return;
  *line = std::atoi(digits.c_str());
  *message = raw.substr(end + 1);
  if (!message->empty() && (*message)[0] == ' ') message->erase(0, 1);
}

// The chunk an expression compiles to: `return (<expression>\n)`. The newline keeps a trailing
// `--` comment from swallowing the parenthesis; line numbers stay those of the expression.
std::string Chunk(std::string_view expression) {
  return "return (" + std::string(expression) + "\n)";
}

int LoadChunk(lua_State* L, std::string_view expression) {
  std::string chunk = Chunk(expression);
  return luaL_loadbuffer(L, chunk.data(), chunk.size(), "=expression");
}

bool SyntaxErrorFrom(lua_State* L, std::string_view expression, LuaSyntaxError* error) {
  int line = 0;
  std::string message;
  SplitLuaError(lua_tostring(L, -1) == nullptr ? "syntax error" : lua_tostring(L, -1), &line,
                &message);
  lua_pop(L, 1);
  // The offset of the line Lua names, then of the token it names on it.
  size_t offset = 0;
  for (int l = 1; l < line && offset < expression.size(); ++l) {
    size_t nl = expression.find('\n', offset);
    if (nl == std::string_view::npos) break;
    offset = nl + 1;
  }
  // Lua names the token but not its column: take the first occurrence of it on that line where
  // the text up to and including it already fails other than by ending early.
  size_t near = message.rfind("near '");
  if (near != std::string::npos && message.back() == '\'') {
    std::string token = message.substr(near + 6, message.size() - near - 7);
    for (size_t at = expression.find(token, offset); !token.empty() && at != std::string_view::npos;
         at = expression.find(token, at + 1)) {
      std::string prefix = "return (" + std::string(expression.substr(0, at + token.size()));
      bool fails_here = luaL_loadbuffer(L, prefix.data(), prefix.size(), "=expression") != 0 &&
                        std::string(lua_tostring(L, -1)).find("'<eof>'") == std::string::npos;
      lua_settop(L, 0);
      if (fails_here) {
        offset = at;
        break;
      }
    }
  }
  if (offset > expression.size()) offset = expression.size();
  error->offset = offset;
  error->message = "not a Lua expression: " + message;
  if (expression.find("!=") != std::string_view::npos) {
    error->hint = "Lua writes not-equal as ~= (the simple filter form also accepts !=)";
    error->offset = expression.find("!=");
  } else if (expression.find("&&") != std::string_view::npos ||
             expression.find("||") != std::string_view::npos) {
    error->hint = "Lua writes and, or and not as words";
  } else {
    error->hint = "write one Lua expression, e.g. credit_limit >= 0 or grade == 'D'";
  }
  return false;
}

// Lists the global names a compiled function reads: every GGET instruction's constant, in it and
// in the functions it contains. The GGET opcode is learnt from a probe rather than written down,
// so the scan follows the LuaJIT it runs on. Runs only in the loader's private state (it needs
// jit.util), never on a record.
constexpr const char* kGlobalNameScan = R"(
local fn = ...
local util = require("jit.util")
local band, rshift = bit.band, bit.rshift
local probe = loadstring("return concord_probe__")
local gget
for pc = 1, 64 do
  local ins = util.funcbc(probe, pc)
  if not ins then break end
  if util.funck(probe, -rshift(ins, 16) - 1) == "concord_probe__" then
    gget = band(ins, 0xff)
    break
  end
end
local names, seen = {}, {}
local function walk(f)
  for pc = 1, 1e9 do
    local ins = util.funcbc(f, pc)
    if not ins then break end
    if band(ins, 0xff) == gget then
      local name = util.funck(f, -rshift(ins, 16) - 1)
      if not seen[name] then
        seen[name] = true
        names[#names + 1] = name
      end
    end
  end
  for n = -1, -1e9, -1 do
    local k = util.funck(f, n)
    if k == nil then break end
    if type(k) == "proto" then walk(k) end
  end
end
walk(fn)
return names
)";

bool ReadGlobalNames(lua_State* L, std::vector<std::string>* names) {
  luaL_openlibs(L);
  int fn = lua_gettop(L);
  if (luaL_loadstring(L, kGlobalNameScan) != 0) return false;
  lua_pushvalue(L, fn);
  if (lua_pcall(L, 1, 1, 0) != 0 || !lua_istable(L, -1)) return false;
  for (int i = 1;; ++i) {
    lua_rawgeti(L, -1, i);
    if (lua_isnil(L, -1)) break;
    names->push_back(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return true;
}

}  // namespace

const std::vector<std::string>& LuaGlobalNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> out(std::begin(kAllowedGlobals), std::end(kAllowedGlobals));
    out.push_back("null");
    return out;
  }();
  return kNames;
}

bool CheckLuaSyntax(std::string_view expression, LuaSyntaxError* error,
                    std::vector<std::string>* names) {
  lua_State* L = luaL_newstate();
  if (L == nullptr) {
    error->offset = 0;
    error->message = "cannot create a Lua state to check the expression";
    return false;
  }
  bool ok = LoadChunk(L, expression) == 0 || SyntaxErrorFrom(L, expression, error);
  if (ok && names != nullptr && !ReadGlobalNames(L, names)) {
    error->offset = 0;
    error->message = "cannot list the names the expression reads";
    ok = false;
  }
  lua_close(L);
  return ok;
}

Result<std::unique_ptr<LuaSandbox>> LuaSandbox::Create(std::string owner,
                                                       const EntitySpec* entity,
                                                       LuaLimits limits) {
  std::unique_ptr<LuaSandbox> sb(new LuaSandbox());
  sb->owner_ = std::move(owner);
  sb->entity_ = entity;
  sb->limits_ = limits;
  sb->state_ = std::make_unique<State>();
  State* s = sb->state_.get();
  s->memory_limit = limits.max_memory_bytes;
  s->instruction_limit = limits.max_instructions;
  s->entity = entity;
  s->L = lua_newstate(Allocate, s);
  if (s->L == nullptr) return Internal(sb->owner_ + ": cannot create a Lua state");
  lua_State* L = s->L;
  luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  const lua_CFunction openers[] = {luaopen_base, luaopen_math, luaopen_string, luaopen_table,
                                   luaopen_bit};
  for (lua_CFunction open : openers) {
    lua_pushcfunction(L, open);
    if (lua_pcall(L, 0, 0, 0) != 0) {
      return Internal(sb->owner_ + ": cannot open the Lua libraries (memory limit too low?)");
    }
  }
  KeepAllowedGlobals(L);
  lua_sethook(L, CountHook, LUA_MASKCOUNT, kHookStep);
  return sb;
}

LuaSandbox::~LuaSandbox() {
  if (state_ && state_->L != nullptr) lua_close(state_->L);
}

int64_t LuaSandbox::memory_bytes() const { return state_->used; }

Status LuaSandbox::Fail(int handle, const std::string& what) const {
  const Compiled& c = compiled_[handle];
  return InvalidArgument(owner_ + ", " + c.label + " \"" + c.text + "\": " + what);
}

Result<int> LuaSandbox::Compile(std::string label, std::string_view expression) {
  lua_State* L = state_->L;
  compiled_.push_back({std::move(label), std::string(expression), 0});
  const int handle = static_cast<int>(compiled_.size()) - 1;
  state_->instructions = 0;
  int rc = LoadChunk(L, expression);
  if (rc == LUA_ERRMEM) {  // garbage of earlier evaluations may fill the state: collect, retry
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    rc = LoadChunk(L, expression);
  }
  if (rc == LUA_ERRMEM) {
    lua_settop(L, 0);
    Status s = Fail(handle, "memory limit of " + std::to_string(limits_.max_memory_bytes) +
                                " bytes reached while compiling");
    compiled_.pop_back();
    return s;
  }
  if (rc != 0) {
    LuaSyntaxError e;
    SyntaxErrorFrom(L, expression, &e);
    Status s = Fail(handle, e.message + (e.hint.empty() ? "" : " (" + e.hint + ")"));
    compiled_.pop_back();
    return s;
  }
  // The environment: an empty table whose metatable reads the record and the library.
  if (!lua_checkstack(L, 4)) return Fail(handle, "out of memory");
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcfunction(L, LookupName);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, RefuseAssignment);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  lua_setfenv(L, -2);
  compiled_[handle].ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return handle;
}

// Runs expression `handle`; on success its one result is on the stack.
Status LuaSandbox::Call(int handle, const Record& record) {
  lua_State* L = state_->L;
  state_->record = &record;
  state_->instructions = 0;
  state_->out_of_instructions = false;
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, compiled_[handle].ref);
  int rc = lua_pcall(L, 0, 1, 0);
  if (rc == LUA_ERRMEM) {
    // Garbage left by earlier evaluations counts against the limit until the collector runs:
    // collect it and run once more, so that only an expression that needs the memory fails.
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    state_->instructions = 0;
    state_->out_of_instructions = false;
    lua_rawgeti(L, LUA_REGISTRYINDEX, compiled_[handle].ref);
    rc = lua_pcall(L, 0, 1, 0);
  }
  state_->record = nullptr;
  if (rc == 0) return Status::Ok();
  std::string what;
  if (rc == LUA_ERRMEM) {
    what = "memory limit of " + std::to_string(limits_.max_memory_bytes) + " bytes exceeded";
  } else if (state_->out_of_instructions) {
    what = "instruction limit of " + std::to_string(limits_.max_instructions) +
           " exceeded (an endless loop?)";
  } else {
    const char* m = lua_tostring(L, -1);
    int line = 0;
    SplitLuaError(m == nullptr ? "error" : m, &line, &what);
  }
  lua_settop(L, 0);
  if (rc == LUA_ERRMEM) lua_gc(L, LUA_GCCOLLECT, 0);  // free what the failed run left
  return Fail(handle, what);
}

Result<Value> LuaSandbox::Evaluate(int handle, const Record& record) {
  RETURN_IF_ERROR(Call(handle, record));
  lua_State* L = state_->L;
  Value out;
  switch (lua_type(L, -1)) {
    case LUA_TNIL:
      break;
    case LUA_TBOOLEAN:
      out = Value::Int(lua_toboolean(L, -1) ? 1 : 0);
      break;
    case LUA_TNUMBER: {
      double d = lua_tonumber(L, -1);
      if (std::nearbyint(d) == d && std::fabs(d) < 9.2e18) {
        out = Value::Int(static_cast<int64_t>(d));
      } else {
        out = Value::Real(d);
      }
      break;
    }
    case LUA_TSTRING: {
      size_t len = 0;
      const char* p = lua_tolstring(L, -1, &len);
      out = Value::Text(std::string(p, len));
      break;
    }
    default: {
      std::string type = lua_typename(L, lua_type(L, -1));
      lua_settop(L, 0);
      return Fail(handle, "expected a value (nil, boolean, number or string), found a " + type);
    }
  }
  lua_settop(L, 0);
  return out;
}

Result<bool> LuaSandbox::Test(int handle, const Record& record) {
  RETURN_IF_ERROR(Call(handle, record));
  lua_State* L = state_->L;
  int type = lua_type(L, -1);
  bool pass = lua_toboolean(L, -1) != 0;
  lua_settop(L, 0);
  if (type == LUA_TBOOLEAN || type == LUA_TNIL) return pass;
  return Fail(handle, std::string("expected true or false, found a ") + lua_typename(L, type) +
                          " (write a comparison, e.g. amount > 0)");
}

}  // namespace concord
