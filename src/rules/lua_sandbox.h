// The Lua sandbox: small LuaJIT expressions — a data dictionary's cross-field rules, a flow's
// `when:` filters that the simple comparison grammar does not cover, computed fields — compiled
// once and evaluated against one canonical Record at a time, with no way out and bounded cost.
//
// What an expression sees (docs/rules.md is the user's version):
//  - The record's fields as global names: `credit_limit >= 0 or grade == 'D'`. NULL is nil (and
//    the name `null` is nil too, so `email == null` reads as in the simple filter). A name that is
//    neither a field of the entity nor a library function is an error ("unknown name", with a
//    did-you-mean), never a silent nil.
//  - Values: bool fields as true/false; int as a number when |v| ≤ 2^53; decimal (canonical text)
//    as a number when it has at most 15 significant digits — then the double is the nearest to
//    the decimal and distinct decimals stay distinct and in order (DBL_DIG), so ==, ~=, <, <=, >,
//    >= against other such values and literals give the exact decimal answer; arithmetic is
//    binary floating point. Longer decimals and ints arrive as text (a comparison with a number
//    is then a Lua error, never a rounded answer). Everything else (string, date, timestamp,
//    phone, …) is its canonical text.
//  - Libraries: math, bit, table, tostring, tonumber, type, pairs, ipairs, next, select, unpack,
//    error, assert, rawequal, and string without dump and without the pattern functions (find,
//    match, gmatch, gsub: their backtracking runs inside C, where the instruction limit cannot
//    stop it). No io, os, require, load, loadstring, dofile, debug, ffi, jit, pcall,
//    setfenv/getfenv, collectgarbage, print.
//  - Limits per evaluation: an instruction budget (a count hook; the JIT compiler is off, so the
//    hook sees every instruction) and a memory ceiling for the whole state (a custom lua_Alloc).
//    Either violation is an error naming the owner (the flow) and the expression.
//
// Thread-safety: a LuaSandbox is one lua_State; use it from one thread at a time (a FlowRunner
// owns one). CheckLuaSyntax is pure and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/spec.h"
#include "core/status.h"
#include "core/value.h"

namespace concord {

struct LuaLimits {
  int64_t max_instructions = 1000000;     // per evaluation (counted in steps of 1,000)
  int64_t max_memory_bytes = 8 << 20;     // the whole state: libraries, compiled code, garbage
};

// A syntax error in an expression: where (byte offset into the expression), what, and a hint.
struct LuaSyntaxError {
  size_t offset = 0;
  std::string message;  // "unexpected symbol near '='"
  std::string hint;     // "Lua writes not-equal as ~=" where that is the likely cause; may be ""
};

// Compiles `expression` as a Lua expression (not run). Returns false and fills *error when it is
// not one. The offset points at the token Lua names, or at the start of the line it names. When
// `names` is given, fills it with the global names the expression reads (from the compiled
// bytecode, nested functions included), each once, in order of first use — so that the loader
// can refuse a name that is neither a field nor in LuaGlobalNames().
bool CheckLuaSyntax(std::string_view expression, LuaSyntaxError* error,
                    std::vector<std::string>* names = nullptr);

// The names an expression may read besides the entity's fields: the allowed library and `null`.
const std::vector<std::string>& LuaGlobalNames();

class LuaSandbox {
 public:
  // `owner` names who runs the expressions in every error ("flow customer:crm->erp"); `entity`
  // declares the field names and types (it must outlive the sandbox). Internal when the state
  // cannot be created.
  static Result<std::unique_ptr<LuaSandbox>> Create(std::string owner, const EntitySpec* entity,
                                                    LuaLimits limits = {});
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  // Compiles one expression; `label` says what it is in messages ("when", "rule credit_ok",
  // "computed full_name"). Returns its handle, or InvalidArgument with the syntax error.
  Result<int> Compile(std::string label, std::string_view expression);

  // Evaluates expression `handle` on `record`: nil → Null, boolean → Int 0/1, an integral number
  // that fits int64 → Int, another number → Real, string → Text. InvalidArgument for a runtime
  // error, a result of another type (table, function), or an exceeded limit — the message is
  // `flow customer:crm->erp, rule credit_ok "credit_limit >= 0": <what happened>`.
  Result<Value> Evaluate(int handle, const Record& record);

  // Evaluates a condition: true/false; nil counts as false. InvalidArgument as for Evaluate, and
  // for a result that is neither boolean nor nil (`amount` alone is a number, not a condition).
  Result<bool> Test(int handle, const Record& record);

  // Bytes the state holds now (for tests and the bench).
  int64_t memory_bytes() const;

  struct State;  // the lua_State and the allocator's accounting; in lua_sandbox.cc

 private:
  LuaSandbox() = default;
  Status Fail(int handle, const std::string& what) const;
  Status Call(int handle, const Record& record);

  std::string owner_;
  const EntitySpec* entity_ = nullptr;
  LuaLimits limits_;
  std::unique_ptr<State> state_;
  struct Compiled {
    std::string label;
    std::string text;
    int ref = 0;  // the compiled function in the registry
  };
  std::vector<Compiled> compiled_;
};

}  // namespace concord
