#include "hooks/host_api.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>

#include "hooks/lua_json.h"
#include "hooks/lua_sandbox.h"

namespace cmk {
namespace {

// Two worlds meet here. The lua_CFunctions below keep only trivially
// destructible locals (a Lua error longjmps over them) and raise only after
// C++ work is done. All C++ work (host calls, strings, JSON) runs inside
// Stage(): it catches every exception and leaves its product in the
// HostApiRun (heap), from where the lua_CFunction pushes it.

HostApiRun* RunOf(lua_State* L) { return static_cast<HostApiRun*>(LuaSandbox::From(L)->user_data()); }

void SetError(HostApiRun* run, const char* what, const char* detail) noexcept {
  try {
    run->error = std::string(what) + ": " + detail;
  } catch (...) {
    run->error.clear();
  }
}

bool Fail(HostApiRun* run, std::string message) {
  run->error = std::move(message);
  return false;
}

template <typename F>
bool Stage(HostApiRun* run, const char* what, F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    SetError(run, what, e.what());
  } catch (...) {
    SetError(run, what, "unexpected host error");
  }
  return false;
}

int RaiseStaged(lua_State* L, HostApiRun* run) {
  luaL_where(L, 1);
  lua_pushlstring(L, run->error.data(), run->error.size());
  lua_concat(L, 2);
  return lua_error(L);
}

bool StageJson(HostApiRun* run, const std::string& what, Result<Json> result, bool want_array) {
  if (!result.ok()) return Fail(run, what + ": " + result.status().ToString());
  if (want_array && !result->is_array()) return Fail(run, what + ": the host did not return a list");
  Status limits = CheckJsonForLua(*result);
  if (!limits.ok()) return Fail(run, what + ": " + limits.message());
  run->scratch = std::move(result).value();
  return true;
}

int PushScratch(lua_State* L, HostApiRun* run) {
  PushJson(L, run->scratch, nullptr);
  run->scratch = nullptr;
  return 1;
}

int LuaLive(lua_State* L) {
  HostApiRun* run = RunOf(L);
  size_t len = 0;
  const char* address = luaL_checklstring(L, 1, &len);
  bool ok = Stage(run, "cmk.live", [&] {
    std::string a(address, len);
    return StageJson(run, "cmk.live(" + a + ")", run->host->Live(a), false);
  });
  return ok ? PushScratch(L, run) : RaiseStaged(L, run);
}

int LuaConsumers(lua_State* L) {
  HostApiRun* run = RunOf(L);
  size_t len = 0;
  const char* key = luaL_checklstring(L, 1, &len);
  bool ok = Stage(run, "cmk.consumers", [&] {
    std::string k(key, len);
    return StageJson(run, "cmk.consumers(" + k + ")", run->host->Consumers(k), true);
  });
  return ok ? PushScratch(L, run) : RaiseStaged(L, run);
}

int LuaVerify(lua_State* L) {
  HostApiRun* run = RunOf(L);
  size_t key_len = 0, version_len = 0;
  const char* key = luaL_checklstring(L, 1, &key_len);
  const char* version = luaL_optlstring(L, 2, "", &version_len);
  bool ok = Stage(run, "cmk.verify", [&] {
    std::string k(key, key_len), v(version, version_len);
    return StageJson(run, "cmk.verify(" + k + (v.empty() ? "" : ", " + v) + ")",
                     run->host->Verify(k, v), false);
  });
  return ok ? PushScratch(L, run) : RaiseStaged(L, run);
}

int LuaNow(lua_State* L) {
  HostApiRun* run = RunOf(L);
  bool ok = Stage(run, "cmk.now", [&] {
    run->now = run->host->Now();
    return true;
  });
  if (!ok) return RaiseStaged(L, run);
  lua_pushinteger(L, static_cast<lua_Integer>(run->now));
  return 1;
}

int LuaEnv(lua_State* L) {
  HostApiRun* run = RunOf(L);
  size_t len = 0;
  const char* name = luaL_checklstring(L, 1, &len);
  bool ok = Stage(run, "cmk.env", [&] {
    std::string n(name, len);
    const std::vector<std::string>& allowed = run->spec->env;
    if (std::find(allowed.begin(), allowed.end(), n) == allowed.end())
      return Fail(run, "environment variable " + n + " is not allow-listed for hook " +
                           run->spec->name);
    const char* value = std::getenv(n.c_str());
    run->scratch = value == nullptr ? Json() : Json(std::string(value));
    return true;
  });
  return ok ? PushScratch(L, run) : RaiseStaged(L, run);
}

bool AppendLog(HostApiRun* run, int level, const char* message, size_t len) {
  if (run->logs.size() >= kMaxLogEntries) {
    if (!run->logs_truncated)
      run->logs.push_back("warn: log limit of " + std::to_string(kMaxLogEntries) +
                          " messages reached; further messages dropped");
    run->logs_truncated = true;
    return true;
  }
  std::string line = level == 0 ? "info: " : "warn: ";
  line.append(message, std::min(len, kMaxLogMessageBytes));
  if (len > kMaxLogMessageBytes) line += "... (truncated)";
  run->logs.push_back(std::move(line));
  return true;
}

int LuaLog(lua_State* L) {
  HostApiRun* run = RunOf(L);
  int level = static_cast<int>(lua_tointeger(L, lua_upvalueindex(1)));
  if (!lua_isstring(L, 1))
    return luaL_error(L, "cmk.log.%s expects a string, got %s", level == 0 ? "info" : "warn",
                      luaL_typename(L, 1));
  size_t len = 0;
  const char* message = lua_tolstring(L, 1, &len);
  Stage(run, "cmk.log", [&] { return AppendLog(run, level, message, len); });
  return 0;
}

// print(...) = cmk.log.info of the arguments joined by tabs. Tables and other
// objects are named by type: __tostring is never called.
int LuaPrint(lua_State* L) {
  HostApiRun* run = RunOf(L);
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&b, '\t');
    int type = lua_type(L, i);
    if (type == LUA_TSTRING || type == LUA_TNUMBER) {
      lua_pushvalue(L, i);
      luaL_addvalue(&b);
    } else if (type == LUA_TBOOLEAN) {
      luaL_addstring(&b, lua_toboolean(L, i) ? "true" : "false");
    } else {
      luaL_addstring(&b, luaL_typename(L, i));
    }
  }
  luaL_pushresult(&b);
  size_t len = 0;
  const char* line = lua_tolstring(L, -1, &len);
  Stage(run, "print", [&] { return AppendLog(run, 0, line, len); });
  return 0;
}

int LuaFail(lua_State* L) {
  HostApiRun* run = RunOf(L);
  size_t len = 0;
  const char* message = luaL_optlstring(L, 1, "cmk.fail called without a message", &len);
  Stage(run, "cmk.fail", [&] {
    run->failed = true;
    run->failure.assign(message, std::min(len, kMaxLogMessageBytes));
    return true;
  });
  LuaSandbox::From(L)->Stop(SandboxStop::kFailed);
  lua_pushlstring(L, run->failure.data(), run->failure.size());
  return lua_error(L);
}

bool SleepThroughHost(HostApiRun* run, LuaSandbox* sandbox, double seconds) {
  auto start = std::chrono::steady_clock::now();
  run->host->Sleep(seconds);
  std::chrono::duration<double> real = std::chrono::steady_clock::now() - start;
  sandbox->CreditSleep(seconds, real.count());
  return true;
}

int LuaWaitUntil(lua_State* L) {
  HostApiRun* run = RunOf(L);
  LuaSandbox* sandbox = LuaSandbox::From(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  double timeout = static_cast<double>(luaL_checknumber(L, 2));
  double interval = static_cast<double>(luaL_optnumber(L, 3, 1.0));
  if (!(timeout >= 0 && timeout <= 1e7))
    return luaL_error(L, "cmk.wait_until: timeout must be between 0 and 1e7 seconds");
  if (!(interval > 0 && interval <= 1e7))
    return luaL_error(L, "cmk.wait_until: interval must be a positive number of seconds");
  interval = std::max(interval, 0.01);
  double start = sandbox->Elapsed();
  for (;;) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    int done = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (done) {
      lua_pushboolean(L, 1);
      return 1;
    }
    double waited = sandbox->Elapsed() - start;
    if (waited >= timeout) {
      lua_pushboolean(L, 0);
      return 1;
    }
    double wall_left = sandbox->RemainingWall();
    if (wall_left <= 0) break;
    double pause = std::min(std::min(interval, timeout - waited), wall_left);
    if (!Stage(run, "cmk.wait_until", [&] { return SleepThroughHost(run, sandbox, pause); }))
      return RaiseStaged(L, run);
    if (sandbox->RemainingWall() <= 0) break;
  }
  sandbox->Stop(SandboxStop::kWallClock);
  return luaL_error(L, "cmk.wait_until: the hook's wall-clock limit was reached");
}

void SetFunction(lua_State* L, const char* name, lua_CFunction fn) {
  lua_pushcfunction(L, fn);
  lua_setfield(L, -2, name);
}

int InstallCmk(lua_State* L) {
  HostApiRun* run = static_cast<HostApiRun*>(lua_touserdata(L, 1));
  LuaSandbox* sandbox = LuaSandbox::From(L);
  lua_createtable(L, 0, 16);
  PushJson(L, run->change, "cmk.change");
  lua_setfield(L, -2, "change");
  PushJson(L, run->plan_summary, "cmk.plan");
  lua_setfield(L, -2, "plan");

  lua_createtable(L, 0, 3);
  lua_pushlstring(L, run->spec->name.data(), run->spec->name.size());
  lua_setfield(L, -2, "name");
  lua_pushlstring(L, run->spec->phase.data(), run->spec->phase.size());
  lua_setfield(L, -2, "phase");
  double timeout = sandbox->limits().wall_seconds;
  if (timeout == static_cast<double>(static_cast<int64_t>(timeout)))
    lua_pushinteger(L, static_cast<lua_Integer>(timeout));
  else
    lua_pushnumber(L, timeout);
  lua_setfield(L, -2, "timeout_seconds");
  MakeReadOnly(L, "cmk.hook");
  lua_setfield(L, -2, "hook");

  SetFunction(L, "live", LuaLive);
  SetFunction(L, "consumers", LuaConsumers);
  SetFunction(L, "verify", LuaVerify);
  SetFunction(L, "wait_until", LuaWaitUntil);
  SetFunction(L, "now", LuaNow);
  SetFunction(L, "env", LuaEnv);
  SetFunction(L, "fail", LuaFail);

  lua_createtable(L, 0, 2);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, LuaLog, 1);
  lua_setfield(L, -2, "info");
  lua_pushinteger(L, 1);
  lua_pushcclosure(L, LuaLog, 1);
  lua_setfield(L, -2, "warn");
  MakeReadOnly(L, "cmk.log");
  lua_setfield(L, -2, "log");

  MakeReadOnly(L, "cmk");
  lua_setglobal(L, "cmk");
  lua_pushcfunction(L, LuaPrint);
  lua_setglobal(L, "print");
  return 0;
}

}  // namespace

Status InstallHostApi(LuaSandbox& sandbox, HostApiRun& run) {
  if (run.spec == nullptr || run.host == nullptr) return Internal("hook run without spec or host");
  Status change = CheckJsonForLua(run.change);
  if (!change.ok()) return InvalidArgument("cmk.change: " + change.message());
  Status plan = CheckJsonForLua(run.plan_summary);
  if (!plan.ok()) return InvalidArgument("cmk.plan: " + plan.message());
  sandbox.set_user_data(&run);
  return sandbox.Protected(InstallCmk, &run);
}

}  // namespace cmk
