#include "hooks/hook_runner.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/strings.h"
#include "hooks/hook_script.h"
#include "hooks/lua_sandbox.h"

namespace cmk {
namespace {

// Lua abbreviates long chunk names in messages; use the file's base name and
// put the full path back where a user needs it (CheckHookScript).
std::string ChunkBaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string FormatBytes(size_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string FormatSeconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", seconds);
  return buf;
}

std::string Quoted(const std::string& hook) { return "hook '" + hook + "'"; }

HookResult Failed(HookResult r, HookFailure failure, std::string message) {
  r.ok = false;
  r.failure = failure;
  r.message = std::move(message);
  return r;
}

}  // namespace

const char* HookFailureName(HookFailure failure) {
  switch (failure) {
    case HookFailure::kNone: return "none";
    case HookFailure::kLoad: return "load";
    case HookFailure::kScriptError: return "script-error";
    case HookFailure::kFailed: return "failed";
    case HookFailure::kInstructions: return "instruction-limit";
    case HookFailure::kMemory: return "memory-limit";
    case HookFailure::kWallClock: return "wall-clock-limit";
    case HookFailure::kInternal: return "internal";
  }
  return "internal";
}

namespace {

// Whether an environment variable's value is a secret a hook may have been
// allowed to read: names containing SECRET, TOKEN, PASSWORD or PASSWD (any
// case), and the managed-identity endpoint's header.
bool IsSecretVariable(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const char* word : {"SECRET", "TOKEN", "PASSWORD", "PASSWD"})
    if (upper.find(word) != std::string::npos) return true;
  return upper == "IDENTITY_HEADER";
}

// What a hook printed or failed with goes where logs go: every value of a
// secret variable the hook could read is masked, and the text is made safe
// for JSON and terminals (no invalid UTF-8, no control characters).
void Scrub(HookResult& result, const HookSpec& spec) {
  std::vector<std::string> secrets;
  for (const std::string& name : spec.env) {
    if (!IsSecretVariable(name)) continue;
    const char* value = std::getenv(name.c_str());
    if (value != nullptr && std::string_view(value).size() >= 4) secrets.emplace_back(value);
  }
  // Longest first, so a secret that contains another is masked whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  auto clean = [&](std::string& text) {
    for (const std::string& secret : secrets)
      for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
        text.replace(at, secret.size(), "[redacted]");
    text = SanitizeText(text);
  };
  clean(result.message);
  for (std::string& line : result.logs) clean(line);
}

HookResult RunHookUnscrubbed(const HookRunInput& input, HookHost& host, const HookLimits& limits) {
  HookResult result;
  if (input.spec == nullptr) return Failed(result, HookFailure::kInternal, "hook run without a spec");
  const HookSpec& spec = *input.spec;
  result.hook = spec.name;
  const std::string& path = input.rollback_script ? spec.rollback_script : spec.script;
  if (path.empty())
    return Failed(result, HookFailure::kLoad, Quoted(spec.name) + " has no rollback script");
  Result<std::string> text = ReadHookScript(path);
  if (!text.ok()) return Failed(result, HookFailure::kLoad, Quoted(spec.name) + ": " + text.status().message());

  SandboxLimits sandbox_limits;
  sandbox_limits.instructions = limits.instructions;
  sandbox_limits.memory_bytes = limits.memory_bytes;
  sandbox_limits.wall_seconds = limits.wall_seconds;
  if (spec.timeout_seconds > 0)
    sandbox_limits.wall_seconds = std::min(sandbox_limits.wall_seconds, double(spec.timeout_seconds));

  // `run` outlives the sandbox: Lua code still running while the state
  // closes may reach the API.
  HostApiRun run;
  run.spec = &spec;
  run.host = &host;
  run.change = input.change;
  run.plan_summary = input.plan_summary;
  Result<std::unique_ptr<LuaSandbox>> created = LuaSandbox::Create(sandbox_limits);
  if (!created.ok())
    return Failed(result, HookFailure::kMemory, Quoted(spec.name) + ": " + created.status().message());
  std::unique_ptr<LuaSandbox> sandbox = std::move(created).value();

  // Which step failed decides the classification when no limit was hit.
  HookFailure setup_failure = HookFailure::kInternal;
  Status status = InstallHostApi(*sandbox, run);
  if (status.ok()) status = sandbox->LockGlobals();
  if (status.ok()) {
    setup_failure = HookFailure::kLoad;
    status = sandbox->Load("@" + ChunkBaseName(path), *text);
  }
  if (status.ok()) {
    setup_failure = HookFailure::kNone;
    status = sandbox->Run();
  }
  SandboxStop stop = sandbox->stop();
  if (stop == SandboxStop::kNone && status.ok() && sandbox->RemainingWall() < 0)
    stop = SandboxStop::kWallClock;  // a slow host call outlasted the limit
  result.seconds = sandbox->Elapsed();
  int64_t instructions = sandbox_limits.instructions;
  sandbox.reset();
  result.logs = std::move(run.logs);

  const std::string who = Quoted(spec.name);
  switch (stop) {
    case SandboxStop::kInstructions:
      return Failed(std::move(result), HookFailure::kInstructions,
                    who + " stopped: instruction budget of " + std::to_string(instructions) +
                        " exhausted");
    case SandboxStop::kMemory:
      return Failed(std::move(result), HookFailure::kMemory,
                    who + " stopped: memory limit of " + FormatBytes(sandbox_limits.memory_bytes) +
                        " exceeded");
    case SandboxStop::kWallClock:
      return Failed(std::move(result), HookFailure::kWallClock,
                    who + " stopped: wall-clock limit of " +
                        FormatSeconds(sandbox_limits.wall_seconds) + " exceeded");
    case SandboxStop::kFailed:
      return Failed(std::move(result), HookFailure::kFailed, who + " failed: " + run.failure);
    case SandboxStop::kNone:
      break;
  }
  if (!status.ok()) {
    if (setup_failure != HookFailure::kNone)
      return Failed(std::move(result), setup_failure, who + ": " + status.message());
    return Failed(std::move(result), HookFailure::kScriptError, who + " error: " + status.message());
  }
  result.ok = true;
  result.message = who + " passed";
  return result;
}

}  // namespace

HookResult RunHook(const HookRunInput& input, HookHost& host, const HookLimits& limits) {
  HookResult result = RunHookUnscrubbed(input, host, limits);
  if (input.spec != nullptr) Scrub(result, *input.spec);
  return result;
}

Status CheckHookScript(const std::string& path) {
  CMK_ASSIGN_OR_RETURN(std::string text, ReadHookScript(path));
  SandboxLimits limits;
  limits.memory_bytes = 64u << 20;
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<LuaSandbox> sandbox, LuaSandbox::Create(limits));
  std::string base = ChunkBaseName(path);
  Status status = sandbox->Load("@" + base, text);
  if (status.ok()) return status;
  std::string message = status.message();
  if (message.rfind(base + ":", 0) == 0) return InvalidArgument(path + message.substr(base.size()));
  return InvalidArgument(path + ": " + message);
}

}  // namespace cmk
