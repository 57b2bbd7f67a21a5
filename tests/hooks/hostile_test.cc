// Hostile scripts: each must be stopped within its limits, with a message
// naming the hook and the limit or the error, without crashing or hanging.
#include <lua.hpp>

#include "hook_test_util.h"

namespace cmk {
namespace {

void ExpectStopped(const HookResult& r, HookFailure failure, const std::string& text) {
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(HookFailureName(r.failure), std::string(HookFailureName(failure))) << r.message;
  EXPECT_TRUE(Contains(r.message, "hook 'hostile'")) << r.message;
  EXPECT_TRUE(Contains(r.message, text)) << r.message;
  EXPECT_LT(r.message.size(), 4096u);
}

using HostileTest = HookTest;

TEST_F(HostileTest, InfiniteLoop) {
  ExpectStopped(Run("while true do end", Small()), HookFailure::kInstructions,
                "instruction budget of 2000000 exhausted");
}

TEST_F(HostileTest, LoopInsidePcall) {
  ExpectStopped(Run("while true do pcall(function() while true do end end) end", Small()),
                HookFailure::kInstructions, "instruction budget");
}

TEST_F(HostileTest, LoopInsidePcallInsidePcall) {
  ExpectStopped(Run(R"lua(
    local function spin() while true do end end
    while true do
      pcall(function() pcall(spin); pcall(pcall, spin); spin() end)
    end)lua",
                    Small()),
                HookFailure::kInstructions, "instruction budget");
}

TEST_F(HostileTest, XpcallWithLoopingHandler) {
  ExpectStopped(Run(R"lua(
    while true do
      xpcall(function() while true do end end, function(m) while true do end end)
    end)lua",
                    Small()),
                HookFailure::kInstructions, "instruction budget");
}

TEST_F(HostileTest, XpcallHandlerStillWorks) {
  HookResult r = Run(R"lua(
    local ok, v = xpcall(function(a, b) return a + b end, function(m) return "h:" .. m end, 1, 2)
    assert(ok == true and v == 3)
    local ok2, v2 = xpcall(function() error("boom", 0) end, function(m) return "handled " .. m end)
    assert(ok2 == false and v2 == "handled boom")
    local ok3, v3 = xpcall(function() error("boom", 0) end, function(m) error("again", 0) end)
    assert(ok3 == false and v3 == "again"))lua",
                     Small());
  EXPECT_TRUE(r.ok) << r.message;
}

TEST_F(HostileTest, LoopingCloseMetamethod) {
  ExpectStopped(Run(R"lua(
    local guard <close> = setmetatable({}, {__close = function() while true do end end})
    while true do end)lua",
                    Small()),
                HookFailure::kInstructions, "instruction budget");
}

TEST_F(HostileTest, BusyLoopHitsWallClock) {
  HookLimits limits;
  limits.instructions = int64_t{1} << 50;
  limits.wall_seconds = 0.2;
  ExpectStopped(Run("while true do end", limits), HookFailure::kWallClock,
                "wall-clock limit of 0.2 s exceeded");
}

TEST_F(HostileTest, TableGrowthMemoryBomb) {
  ExpectStopped(Run("local t = {} for i = 1, 1e9 do t[i] = {i} end", Small()), HookFailure::kMemory,
                "memory limit of 8 MiB exceeded");
}

TEST_F(HostileTest, MemoryBombCaughtByPcallStillFails) {
  HookResult r = Run(R"lua(
    local ok = pcall(function() local t = {} for i = 1, 1e9 do t[i] = i end end)
    cmk.log.info("survived: " .. tostring(ok)))lua",
                     Small());
  ExpectStopped(r, HookFailure::kMemory, "memory limit");
}

TEST_F(HostileTest, StringRepBomb) {
  ExpectStopped(Run("local s = string.rep('x', 1 << 30)", Small()), HookFailure::kMemory,
                "memory limit");
  ExpectStopped(Run("local s = ('abc'):rep(1 << 27, ',')", Small()), HookFailure::kMemory,
                "memory limit");
  // Beyond Lua's own string size limit: a plain error, no allocation at all.
  ExpectStopped(Run("local s = ('abc'):rep(1 << 40, ',')", Small()), HookFailure::kScriptError,
                "resulting string too large");
}

// The stock string.rep loops n times copying nothing for empty pieces: a
// CPU hang the count hook cannot see. The guard returns "" at once.
TEST_F(HostileTest, EmptyStringRepReturnsAtOnce) {
  HookResult r = Run("assert(string.rep('', 1 << 60) == '') assert(('').rep('', 1 << 60, '') == '')",
                     Small());
  EXPECT_TRUE(r.ok) << r.message;
}

TEST_F(HostileTest, ConcatenationBomb) {
  ExpectStopped(Run("local s = 'x' while true do s = s .. s end", Small()), HookFailure::kMemory,
                "memory limit");
}

TEST_F(HostileTest, TableConcatBomb) {
  ExpectStopped(Run(R"lua(
    local t = {}
    for i = 1, 64 do t[i] = string.rep('y', 1 << 16) end
    while true do t = {table.concat(t), table.concat(t)} end)lua",
                    Small()),
                HookFailure::kMemory, "memory limit");
}

TEST_F(HostileTest, DeepLuaRecursion) {
  HookResult r = Run("local function f(n) return 1 + f(n + 1) end f(1)", Small());
  EXPECT_FALSE(r.ok);
  // Either the memory cap (the Lua stack grows) or Lua's stack limit.
  EXPECT_TRUE(r.failure == HookFailure::kMemory ||
              (r.failure == HookFailure::kScriptError && Contains(r.message, "stack overflow")))
      << r.message;
  EXPECT_TRUE(Contains(r.message, "hook 'hostile'"));
}

TEST_F(HostileTest, DeepRecursionThroughGsub) {
  HookResult r = Run("local function f(s) return (string.gsub(s, '.', f)) end f('x')", Small());
  ExpectStopped(r, HookFailure::kScriptError, "stack overflow");
}

TEST_F(HostileTest, DeepRecursionThroughMetamethods) {
  HookResult r = Run(R"lua(
    local t = setmetatable({}, {})
    getmetatable(t).__index = function(self, k) return self[k] end
    local x = t.anything)lua",
                     Small());
  ExpectStopped(r, HookFailure::kScriptError, "stack overflow");
}

TEST_F(HostileTest, RecursionInsidePcallLoop) {
  ExpectStopped(Run(R"lua(
    local function f() return f() + 1 end
    while true do pcall(f) end)lua",
                    Small()),
                HookFailure::kMemory, "memory limit");  // the Lua stack outgrows 8 MiB first
}

struct AbsentCase {
  const char* script;
  const char* name;
};

TEST_F(HostileTest, DangerousFunctionsAreAbsent) {
  const AbsentCase cases[] = {
      {"os.execute('touch /tmp/cmk-pwned')", "os"},
      {"io.open('/etc/passwd')", "io"},
      {"require('socket')", "require"},
      {"load('return 1')()", "load"},
      {"loadstring('return 1')()", "loadstring"},
      {"dofile('/etc/passwd')", "dofile"},
      {"loadfile('/etc/passwd')", "loadfile"},
      {"package.loadlib('libc.so.6', 'system')", "package"},
      {"debug.sethook()", "debug"},
      {"collectgarbage('stop')", "collectgarbage"},
      {"rawset(_G, 'x', 1)", "rawset"},
      {"coroutine.wrap(function() while true do coroutine.yield() end end)()", "coroutine"},
  };
  for (const AbsentCase& c : cases) {
    SCOPED_TRACE(c.script);
    ExpectStopped(Run(c.script, Small()), HookFailure::kScriptError,
                  std::string("'") + c.name + "' is not available in the cmkctl hook sandbox");
  }
}

TEST_F(HostileTest, StringDumpIsAbsent) {
  ExpectStopped(Run("local b = string.dump(function() end)", Small()), HookFailure::kScriptError,
                "attempt to call a nil value (field 'dump')");
}

TEST_F(HostileTest, BytecodeHeaderRefused) {
  ExpectStopped(Run(std::string("\x1bLua\x54\x00 fake bytecode", 20), Small()), HookFailure::kLoad,
                "precompiled Lua bytecode is refused");
}

int CollectChunk(lua_State*, const void* p, size_t size, void* ud) {
  static_cast<std::string*>(ud)->append(static_cast<const char*>(p), size);
  return 0;
}

TEST_F(HostileTest, RealBytecodeFileRefused) {
  lua_State* L = luaL_newstate();
  ASSERT_EQ(luaL_loadstring(L, "return 42"), LUA_OK);
  std::string bytecode;
  ASSERT_EQ(lua_dump(L, CollectChunk, &bytecode, 0), 0);
  lua_close(L);
  ASSERT_EQ(bytecode.rfind(LUA_SIGNATURE, 0), 0u);
  ExpectStopped(Run(bytecode, Small()), HookFailure::kLoad, "precompiled Lua bytecode is refused");
  EXPECT_FALSE(CheckHookScript(spec_.script).ok());
}

TEST_F(HostileTest, GcMetamethodRefused) {
  ExpectStopped(Run("setmetatable({}, {__gc = function() error('boom') end})", Small()),
                HookFailure::kScriptError, "__gc metamethods are not allowed in hooks");
}

// Lua runs finalizers with hooks disabled: a __gc added after setmetatable
// must never run (the object was not marked for finalization).
TEST_F(HostileTest, LateGcMetamethodNeverRuns) {
  HookResult r = Run(R"lua(
    for i = 1, 1000 do
      local mt = {}
      local t = setmetatable({}, mt)
      mt.__gc = function() while true do end end
    end)lua",
                     Small());
  EXPECT_TRUE(r.ok) << r.message;
}

TEST_F(HostileTest, ErroringTostringAsErrorObject) {
  ExpectStopped(Run("error(setmetatable({}, {__tostring = function() error('nested') end}))", Small()),
                HookFailure::kScriptError, "error object is a table value");
  ExpectStopped(Run("error(setmetatable({}, {__tostring = function() while true do end end}))", Small()),
                HookFailure::kScriptError, "error object is a table value");
}

TEST_F(HostileTest, TableAndNilErrorObjects) {
  ExpectStopped(Run("error({code = 1})", Small()), HookFailure::kScriptError,
                "error object is a table value");
  ExpectStopped(Run("error()", Small()), HookFailure::kScriptError, "error object is nil");
  ExpectStopped(Run("error(42)", Small()), HookFailure::kScriptError, "error: 42");
}

TEST_F(HostileTest, HugeErrorStringTruncated) {
  HookResult r = Run("error(string.rep('x', 100000), 0)", Small());
  ExpectStopped(r, HookFailure::kScriptError, "(truncated, 100000 bytes)");
}

TEST_F(HostileTest, TenMegabyteErrorString) {
  HookResult r = Run("error(string.rep('x', 10 * 1024 * 1024))");  // default 32 MiB cap
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.failure == HookFailure::kMemory || r.failure == HookFailure::kScriptError);
  EXPECT_LT(r.message.size(), 4096u);
  ExpectStopped(Run("error(string.rep('x', 10 * 1024 * 1024))", Small()), HookFailure::kMemory,
                "memory limit of 8 MiB");
}

TEST_F(HostileTest, SettingAGlobal) {
  ExpectStopped(Run("x = 1", Small()), HookFailure::kScriptError, "assignment to undeclared global 'x'");
  ExpectStopped(Run("function helper() end", Small()), HookFailure::kScriptError,
                "assignment to undeclared global 'helper'");
  ExpectStopped(Run("setmetatable(_G, nil)", Small()), HookFailure::kScriptError,
                "cannot change a protected metatable");
}

TEST_F(HostileTest, ModifyingCmk) {
  ExpectStopped(Run("cmk.fail = function() end", Small()), HookFailure::kScriptError,
                "attempt to modify read-only table cmk (field 'fail')");
  ExpectStopped(Run("cmk.change.action = 'delete'", Small()), HookFailure::kScriptError,
                "read-only table cmk.change (field 'action')");
  ExpectStopped(Run("cmk.change.after.tags.env = 'x'", Small()), HookFailure::kScriptError,
                "read-only table cmk.change (field 'env')");
  ExpectStopped(Run("cmk.log.info = print", Small()), HookFailure::kScriptError,
                "read-only table cmk.log");
  ExpectStopped(Run("setmetatable(cmk, nil)", Small()), HookFailure::kScriptError,
                "cannot change a protected metatable");
  HookResult r = Run("assert(getmetatable(cmk) == 'read-only') assert(next(cmk) == nil)", Small());
  EXPECT_TRUE(r.ok) << r.message;
}

TEST_F(HostileTest, EnvNotAllowListed) {
  ExpectStopped(Run("local home = cmk.env('HOME')", Small()), HookFailure::kScriptError,
                "environment variable HOME is not allow-listed for hook hostile");
}

TEST_F(HostileTest, WaitUntilNeverSucceedsIsBoundedByItsTimeout) {
  HookResult r = Run(R"lua(
    local ok = cmk.wait_until(function() return false end, 20, 5)
    cmk.log.info("wait_until returned " .. tostring(ok)))lua");  // wall-clock limit 30 s
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.logs, std::vector<std::string>{"info: wait_until returned false"});
  EXPECT_NEAR(host_.slept, 20, 0.5);
  EXPECT_EQ(host_.sleeps, 4);
}

TEST_F(HostileTest, WaitUntilBeyondTheWallClockLimit) {
  // The hook's timeout (30 s) caps the 1 h wait; the fake clock makes it fast.
  HookResult r = Run("cmk.wait_until(function() return false end, 3600, 10)", Small());
  ExpectStopped(r, HookFailure::kWallClock, "wall-clock limit of 5 s exceeded");
  EXPECT_LE(host_.slept, 5.01);
}

TEST_F(HostileTest, WaitUntilWallClockCannotBePcalled) {
  HookResult r = Run(R"lua(
    pcall(cmk.wait_until, function() return false end, 3600, 1)
    while true do end)lua",
                     Small());
  ExpectStopped(r, HookFailure::kWallClock, "wall-clock limit");
}

TEST_F(HostileTest, FailCannotBePcalled) {
  HookResult r = Run("pcall(cmk.fail, 'no way') while true do end", Small());
  ExpectStopped(r, HookFailure::kFailed, "failed: no way");
}

TEST_F(HostileTest, ExpensivePatternsRefused) {
  ExpectStopped(Run("string.find(string.rep('a', 5000), string.rep('a*', 20) .. 'b')", Small()),
                HookFailure::kScriptError, "string.find: pattern too expensive");
  ExpectStopped(Run(R"lua(
    local s = string.rep('a', 1000000)
    s:find(string.rep('a', 500000) .. 'b', 1, true))lua",
                    Small()),
                HookFailure::kScriptError, "pattern too expensive");
  ExpectStopped(Run("for _ in string.gmatch(string.rep('a', 3000), 'a*a*a*b') do end", Small()),
                HookFailure::kScriptError, "string.gmatch: pattern too expensive");
}

TEST_F(HostileTest, TableShiftLoopsRefused) {
  ExpectStopped(Run("table.move({}, 1, math.maxinteger - 1, 1, {})", Small()), HookFailure::kScriptError,
                "table.move: range of more than");
  ExpectStopped(Run("table.insert(setmetatable({}, {__len = function() return 1 << 60 end}), 1, 'x')", Small()),
                HookFailure::kScriptError, "refused in hooks");
  ExpectStopped(Run("table.remove(setmetatable({}, {__len = function() return 1 << 60 end}), 1)", Small()),
                HookFailure::kScriptError, "refused in hooks");
}

TEST_F(HostileTest, HugeChangeJsonRefusedBeforeLua) {
  Json deep = "leaf";
  for (int i = 0; i < 100; ++i) deep = Json{{"d", deep}};
  Json change = DefaultChange();
  change["after"] = deep;
  HookResult r = Run("return", Small(), change);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, HookFailure::kInternal);
  EXPECT_TRUE(Contains(r.message, "cmk.change: JSON value nested deeper than 32 levels")) << r.message;
}

TEST_F(HostileTest, ScriptTooLarge) {
  ExpectStopped(Run(std::string(300 * 1024, ' ')), HookFailure::kLoad, "the limit is 262144");
}

}  // namespace
}  // namespace cmk
