// The Lua sandbox: results, NULL as nil, exact decimal comparisons, what is absent, and the limits.
#include "rules/lua_sandbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace concord {
namespace {

using ::testing::HasSubstr;

EntitySpec Customer() {
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
  add("first", FieldType::kString);
  add("last", FieldType::kString);
  add("grade", FieldType::kEnum);
  add("credit_limit", FieldType::kDecimal);
  add("active", FieldType::kBool);
  add("visits", FieldType::kInt);
  add("email", FieldType::kEmail);
  return e;
}

Record Sample() {
  return {{"code", Value::Text("C1")},          {"first", Value::Text("Li")},
          {"last", Value::Text("Wei")},          {"grade", Value::Text("B")},
          {"credit_limit", Value::Text("0.10")}, {"active", Value::Int(1)},
          {"visits", Value::Int(7)},             {"email", Value::Null()}};
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sb = LuaSandbox::Create("flow customer:crm->erp", &entity_, limits_);
    ASSERT_TRUE(sb.ok()) << sb.status().ToString();
    sb_ = std::move(*sb);
  }
  Result<Value> Eval(const std::string& expr, const Record& r = Sample()) {
    auto h = sb_->Compile("rule r", expr);
    if (!h.ok()) return h.status();
    return sb_->Evaluate(*h, r);
  }
  Result<bool> Check(const std::string& expr, const Record& r = Sample()) {
    auto h = sb_->Compile("rule r", expr);
    if (!h.ok()) return h.status();
    return sb_->Test(*h, r);
  }
  std::string Error(const std::string& expr) {
    auto v = Eval(expr);
    EXPECT_FALSE(v.ok()) << expr;
    return v.ok() ? "" : v.status().message();
  }

  EntitySpec entity_ = Customer();
  LuaLimits limits_;
  std::unique_ptr<LuaSandbox> sb_;
};

TEST_F(SandboxTest, Results) {
  struct Case {
    const char* expr;
    Value want;
  } cases[] = {
      {"first .. ' ' .. last", Value::Text("Li Wei")},
      {"visits + 1", Value::Int(8)},
      {"visits / 2", Value::Real(3.5)},
      {"grade == 'B'", Value::Int(1)},
      {"active", Value::Int(1)},
      {"not active", Value::Int(0)},
      {"email", Value::Null()},
      {"string.upper(first)", Value::Text("LI")},
      {"#last", Value::Int(3)},
      {"math.max(visits, 10)", Value::Int(10)},
      {"(first):rep(2)", Value::Text("LiLi")},
  };
  for (const auto& c : cases) {
    auto v = Eval(c.expr);
    ASSERT_TRUE(v.ok()) << c.expr << ": " << v.status().ToString();
    EXPECT_EQ(*v, c.want) << c.expr << " gave " << v->ToString();
  }
}

TEST_F(SandboxTest, NullIsNil) {
  EXPECT_TRUE(*Check("email == nil"));
  EXPECT_TRUE(*Check("email == null"));
  EXPECT_TRUE(*Check("credit_limit ~= null"));
  Record r = Sample();
  r.erase("grade");  // a field the record does not carry is nil as well
  EXPECT_TRUE(*Check("grade == nil", r));
  // A comparison with NULL is a Lua error, not a silent false.
  r["credit_limit"] = Value::Null();
  auto v = Check("credit_limit >= 0", r);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("attempt to compare"));
  EXPECT_TRUE(*Check("credit_limit == nil or credit_limit >= 0", r));
}

TEST_F(SandboxTest, CrossFieldRule) {
  const std::string rule = "credit_limit >= 0 or grade == 'D'";
  Record r = Sample();
  EXPECT_TRUE(*Check(rule, r));
  r["credit_limit"] = Value::Text("-5.00");
  EXPECT_FALSE(*Check(rule, r));
  r["grade"] = Value::Text("D");
  EXPECT_TRUE(*Check(rule, r));
}

TEST_F(SandboxTest, DecimalsCompareExactly) {
  Record r = Sample();
  r["credit_limit"] = Value::Text("0.10");
  EXPECT_TRUE(*Check("credit_limit == 0.1", r));
  EXPECT_FALSE(*Check("credit_limit > 0.1", r));
  EXPECT_TRUE(*Check("credit_limit < 0.11", r));
  r["credit_limit"] = Value::Text("999999999999.99");  // 14 digits: a number
  EXPECT_TRUE(*Check("credit_limit < 999999999999.991", r));
  EXPECT_TRUE(*Check("credit_limit > 999999999999.98", r));
  EXPECT_TRUE(*Check("type(credit_limit) == 'number'", r));
  // 17 significant digits do not fit a double exactly: the value arrives as text.
  r["credit_limit"] = Value::Text("123456789012345.67");
  EXPECT_TRUE(*Check("type(credit_limit) == 'string'", r));
  EXPECT_TRUE(*Check("credit_limit == '123456789012345.67'", r));
  auto v = Check("credit_limit > 0", r);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("attempt to compare"));
  // Ints beyond 2^53 likewise.
  r["visits"] = Value::Int(9007199254740993);
  EXPECT_TRUE(*Check("visits == '9007199254740993'", r));
}

TEST_F(SandboxTest, ConditionMustBeBoolean) {
  auto v = Check("visits");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("expected true or false, found a number"));
  EXPECT_FALSE(*Check("nil"));
}

TEST_F(SandboxTest, UnknownNameIsAnError) {
  EXPECT_THAT(Error("credt_limit > 0"),
              HasSubstr("unknown name \"credt_limit\" (did you mean \"credit_limit\"?)"));
  EXPECT_THAT(Error("(function() grade = 'A' end)()"), HasSubstr("cannot assign \"grade\""));
}

TEST_F(SandboxTest, DangerousLibrariesAbsent) {
  for (const char* name : {"io", "os", "require", "load", "loadstring", "dofile", "loadfile",
                           "debug", "ffi", "jit", "pcall", "xpcall", "setfenv", "getfenv",
                           "collectgarbage", "print", "module", "package", "coroutine",
                           "rawset", "setmetatable", "getmetatable", "newproxy"}) {
    EXPECT_THAT(Error(std::string(name) + " ~= 0"), HasSubstr("unknown name")) << name;
  }
  for (const char* fn : {"dump", "find", "match", "gmatch", "gsub"}) {
    auto v = Eval(std::string("string.") + fn + " == nil and ('x')." + fn + " == nil");
    ASSERT_TRUE(v.ok()) << fn << ": " << v.status().ToString();
    EXPECT_EQ(*v, Value::Int(1)) << fn;
  }
}

TEST_F(SandboxTest, EndlessLoopStopped) {
  std::string e = Error("(function() while true do end end)()");
  EXPECT_THAT(e, HasSubstr("flow customer:crm->erp, rule r \"(function() while true do end"));
  EXPECT_THAT(e, HasSubstr("instruction limit of 1000000 exceeded"));
  // Recursion without end is stopped too (by the limit or by Lua's stack check).
  EXPECT_FALSE(Eval("(function() local function f(n) return f(n + 1) + 1 end return f(1) end)()")
                   .ok());
  // The sandbox is still usable afterwards.
  EXPECT_EQ(*Eval("visits * 2"), Value::Int(14));
}

TEST_F(SandboxTest, AllocationBombStopped) {
  // Each string distinct (no interning), 100 kB each: the memory limit comes long before the
  // instruction limit.
  std::string e = Error(
      "(function() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1e5) .. i end end)()");
  EXPECT_THAT(e, HasSubstr("flow customer:crm->erp, rule r \"(function() local t = {}"));
  EXPECT_THAT(e, HasSubstr("memory limit of 8388608 bytes exceeded"));
  EXPECT_LE(sb_->memory_bytes(), limits_.max_memory_bytes);
  EXPECT_EQ(*Eval("visits * 2"), Value::Int(14));
}

TEST_F(SandboxTest, StringRepBombStopped) {
  EXPECT_THAT(Error("string.rep('x', 1e9)"), HasSubstr("memory limit of 8388608 bytes exceeded"));
  EXPECT_THAT(Error("('abc'):rep(1e7):rep(1e3)"), HasSubstr("memory limit"));
  EXPECT_LE(sb_->memory_bytes(), limits_.max_memory_bytes);
  EXPECT_EQ(*Eval("first"), Value::Text("Li"));
}

TEST_F(SandboxTest, TableResultRefused) {
  EXPECT_THAT(Error("{1, 2}"), HasSubstr("found a table"));
  EXPECT_THAT(Error("error('custom problem')"), HasSubstr("custom problem"));
}

TEST_F(SandboxTest, SyntaxErrorAtCompile) {
  auto h = sb_->Compile("when", "grade = = 'A'");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("flow customer:crm->erp, when \"grade = = 'A'\""));
  EXPECT_THAT(h.status().message(), HasSubstr("not a Lua expression"));
}

TEST(CheckLuaSyntax, PointsAtTheToken) {
  LuaSyntaxError e;
  EXPECT_TRUE(CheckLuaSyntax("a >= 0 or b == 'D'", &e));
  EXPECT_TRUE(CheckLuaSyntax("x -- a comment", &e));
  ASSERT_FALSE(CheckLuaSyntax("a >= 0 or or b", &e));
  EXPECT_EQ(e.offset, 10u);
  EXPECT_THAT(e.message, HasSubstr("near 'or'"));
  ASSERT_FALSE(CheckLuaSyntax("status != 'void' or amount > 0", &e));
  EXPECT_EQ(e.offset, 7u);
  EXPECT_THAT(e.hint, HasSubstr("~="));
  ASSERT_FALSE(CheckLuaSyntax("a and\nb +", &e));
  EXPECT_GE(e.offset, 6u);
  ASSERT_FALSE(CheckLuaSyntax("1) x = (2", &e));
}

TEST(CheckLuaSyntax, ListsTheGlobalNamesRead) {
  LuaSyntaxError e;
  std::vector<std::string> names;
  ASSERT_TRUE(CheckLuaSyntax(
      "name == x or string.upper(a.b) == 'approved' and (function() local q = zz return q end)()"
      " or x == 1",
      &e, &names));
  EXPECT_EQ(names, (std::vector<std::string>{"name", "x", "string", "a", "zz"}));
  names.clear();
  ASSERT_TRUE(CheckLuaSyntax("'literal only'", &e, &names));
  EXPECT_TRUE(names.empty());
}

}  // namespace
}  // namespace concord
