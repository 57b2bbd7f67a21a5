#include "hooks/lua_sandbox.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "hooks/lua_guards.h"

namespace cmk {
namespace {

// Functions that run inside Lua (lua_CFunction and hooks) keep only
// trivially destructible locals: a Lua error longjmps over their frames.

const char* kRemovedGlobals[] = {
    "io",         "os",      "package", "debug",   "coroutine", "require",
    "load",       "loadfile", "dofile", "loadstring", "collectgarbage", "rawset",
    "warn",       "module",  "setfenv", "getfenv", "newproxy",
};

const char* StopMessage(SandboxStop why) {
  switch (why) {
    case SandboxStop::kInstructions: return "cmkctl: hook stopped: instruction budget exhausted";
    case SandboxStop::kMemory: return "cmkctl: hook stopped: memory limit exceeded";
    case SandboxStop::kWallClock: return "cmkctl: hook stopped: wall-clock limit exceeded";
    case SandboxStop::kFailed: return "cmkctl: hook stopped by cmk.fail";
    case SandboxStop::kNone: break;
  }
  return "cmkctl: hook stopped";
}

int OpenSandboxLibs(lua_State* L) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  lua_pop(L, 1);
  lua_pushglobaltable(L);
  for (const char* name : {"dofile", "loadfile", "load", "collectgarbage", "rawset", "print", "warn"}) {
    lua_pushnil(L);
    lua_setfield(L, -2, name);
  }
  lua_pop(L, 1);
  InstallLibraryGuards(L);
  return 0;
}

int GlobalIndex(lua_State* L) {
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char* name = lua_tostring(L, 2);
    if (IsRemovedGlobal(name))
      return luaL_error(L, "'%s' is not available in the cmkctl hook sandbox", name);
  }
  return 0;
}

int GlobalNewIndex(lua_State* L) {
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, "assignment to undeclared global '%s' (hooks must use local variables)",
                      lua_tostring(L, 2));
  return luaL_error(L, "assignment to the global table is not allowed in hooks");
}

int LockGlobalTable(lua_State* L) {
  lua_pushglobaltable(L);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, GlobalIndex);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, GlobalNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pop(L, 1);
  return 0;
}

void SwallowWarning(void*, const char*, int) {}

int Panic(lua_State* L) {
  // Unreachable by design (everything runs protected); Lua aborts after this.
  std::fputs("cmkctl: internal error: unprotected Lua error in the hook sandbox\n", stderr);
  return 0;
}

// Never raises: only non-allocating API calls.
std::string DescribeError(lua_State* L, int idx) {
  int type = lua_type(L, idx);
  if (type == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    if (len <= LuaSandbox::kMaxErrorBytes) return std::string(s, len);
    return std::string(s, LuaSandbox::kMaxErrorBytes) + "... (truncated, " + std::to_string(len) +
           " bytes)";
  }
  if (type == LUA_TNUMBER) {
    if (lua_isinteger(L, idx)) return std::to_string(lua_tointeger(L, idx));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.14g", static_cast<double>(lua_tonumber(L, idx)));
    return buf;
  }
  if (type == LUA_TNIL || type == LUA_TNONE) return "error object is nil";
  if (type == LUA_TBOOLEAN) return lua_toboolean(L, idx) ? "error object is true" : "error object is false";
  return std::string("error object is a ") + lua_typename(L, type) +
         " value (not converted: its metamethods are not called)";
}

}  // namespace

bool IsRemovedGlobal(const char* name) {
  for (const char* removed : kRemovedGlobals)
    if (std::strcmp(removed, name) == 0) return true;
  return false;
}

LuaSandbox::LuaSandbox(const SandboxLimits& limits)
    : limits_(limits), start_(std::chrono::steady_clock::now()) {
  if (limits_.instructions < 1) limits_.instructions = 1;
  hook_period_ = limits_.instructions < 1000 ? static_cast<int>(limits_.instructions) : 1000;
}

Result<std::unique_ptr<LuaSandbox>> LuaSandbox::Create(const SandboxLimits& limits) {
  std::unique_ptr<LuaSandbox> sandbox(new (std::nothrow) LuaSandbox(limits));
  if (!sandbox) return Internal("cannot allocate the hook sandbox");
  sandbox->L_ = lua_newstate(&LuaSandbox::Alloc, sandbox.get());
  if (sandbox->L_ == nullptr)
    return FailedPrecondition("memory limit too small to create a Lua state");
  *static_cast<LuaSandbox**>(lua_getextraspace(sandbox->L_)) = sandbox.get();
  lua_atpanic(sandbox->L_, Panic);
  lua_setwarnf(sandbox->L_, SwallowWarning, nullptr);
  CMK_RETURN_IF_ERROR(sandbox->Protected(OpenSandboxLibs, nullptr));
  return sandbox;
}

LuaSandbox::~LuaSandbox() {
  if (L_ == nullptr) return;
  // Anything Lua still runs while closing (to-be-closed variables) stops at
  // its first instruction.
  closing_ = true;
  InstallHook(1);
  lua_close(L_);
}

LuaSandbox* LuaSandbox::From(lua_State* L) {
  return *static_cast<LuaSandbox**>(lua_getextraspace(L));
}

Status LuaSandbox::Protected(lua_CFunction fn, void* ud) {
  int base = lua_gettop(L_);
  if (!lua_checkstack(L_, 4)) return FailedPrecondition("Lua stack exhausted");
  lua_pushcfunction(L_, fn);
  lua_pushlightuserdata(L_, ud);
  int rc = lua_pcall(L_, 1, 0, 0);
  if (rc == LUA_OK) return Status::Ok();
  std::string message = DescribeError(L_, -1);
  lua_settop(L_, base);
  return FailedPrecondition(message);
}

Status LuaSandbox::LockGlobals() { return Protected(LockGlobalTable, nullptr); }

Status LuaSandbox::Load(const std::string& chunkname, const std::string& text) {
  if (!text.empty() && text[0] == LUA_SIGNATURE[0])
    return InvalidArgument("precompiled Lua bytecode is refused: hooks are loaded as text only");
  int rc = luaL_loadbufferx(L_, text.data(), text.size(), chunkname.c_str(), "t");
  if (rc == LUA_OK) return Status::Ok();
  std::string message = DescribeError(L_, -1);
  lua_pop(L_, 1);
  if (rc == LUA_ERRMEM) return FailedPrecondition("not enough memory to load the script");
  return InvalidArgument(message);
}

Status LuaSandbox::Run() {
  if (lua_type(L_, -1) != LUA_TFUNCTION) return Internal("no chunk loaded");
  InstallHook(stop_ == SandboxStop::kNone ? hook_period_ : 1);
  int rc = lua_pcall(L_, 0, 0, 0);
  lua_sethook(L_, nullptr, 0, 0);
  if (rc == LUA_OK) return Status::Ok();
  std::string message = DescribeError(L_, -1);
  lua_settop(L_, 0);
  return FailedPrecondition(message);
}

void LuaSandbox::Stop(SandboxStop why) {
  if (stop_ == SandboxStop::kNone) stop_ = why;
  InstallHook(1);
}

double LuaSandbox::Elapsed() const {
  std::chrono::duration<double> real = std::chrono::steady_clock::now() - start_;
  return real.count() + credited_seconds_;
}

void LuaSandbox::CreditSleep(double requested, double real) {
  if (requested > real) credited_seconds_ += requested - real;
}

void LuaSandbox::InstallHook(int count) {
  hook_period_ = count;
  lua_sethook(L_, &LuaSandbox::CountHook, LUA_MASKCOUNT, count);
}

void LuaSandbox::CountHook(lua_State* L, lua_Debug*) {
  LuaSandbox* s = From(L);
  if (s->stop_ == SandboxStop::kNone && !s->closing_) {
    s->instructions_ += s->hook_period_;
    if (s->instructions_ >= s->limits_.instructions) {
      s->stop_ = SandboxStop::kInstructions;
    } else if (s->Elapsed() > s->limits_.wall_seconds) {
      s->stop_ = SandboxStop::kWallClock;
    } else {
      return;
    }
  }
  // Stopped: error on this and every following instruction, so a script that
  // catches the error with pcall is stopped again at once.
  if (s->hook_period_ != 1) s->InstallHook(1);
  lua_pushstring(L, StopMessage(s->stop_));
  lua_error(L);
}

void* LuaSandbox::Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* s = static_cast<LuaSandbox*>(ud);
  size_t old = ptr != nullptr ? osize : 0;  // for new blocks osize is a type tag
  if (nsize == 0) {
    std::free(ptr);
    s->used_ -= old;
    return nullptr;
  }
  if (nsize > old) {
    size_t others = s->used_ - old;
    size_t cap = s->limits_.memory_bytes;
    if (nsize > cap || others > cap - nsize) {
      if (s->stop_ == SandboxStop::kNone && !s->closing_) s->stop_ = SandboxStop::kMemory;
      return nullptr;
    }
  }
  void* p = std::realloc(ptr, nsize);
  if (p == nullptr) return nsize <= old ? ptr : nullptr;  // shrinking must not fail
  s->used_ = s->used_ - old + nsize;
  return p;
}

}  // namespace cmk
