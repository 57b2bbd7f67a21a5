// The CLI's wiring of Lua hooks into apply: a HookHost over the target's
// Provider (what cmk.live, cmk.consumers, cmk.verify, cmk.now and
// cmk.wait_until see) and a ChangeHooks that runs the plan's hook specs
// through the hooks runtime.
//
// The host only reads: it calls Get*/List* and the canary's wrap/unwrap, never
// a provider write (hooks cannot change Azure). Objects are found through the
// plan's live query (and its changes, for bindings), so a hook sees the
// objects the plan is about. Against a sandbox whose clock is simulated,
// Sleep advances that clock instead of sleeping, so cmk.wait_until can wait
// hours for storage adoption in a test. Not thread-safe: one hook at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/apply/apply.h"
#include "engine/plan/plan.h"
#include "provider/clock.h"
#include "provider/provider.h"
#include "hooks/hook_runner.h"
#include "hooks/host_api.h"

namespace cmk {

class ProviderHookHost : public HookHost {
 public:
  // `plan` and `provider` must outlive the host.
  ProviderHookHost(Provider& provider, Clock& clock, const Plan& plan);

  // "vault/N", "key/N", "key/N/rotation-policy", "identity/N", "storage/ACCOUNT",
  // "binding/N" (its storage account) and "role-assignment/N": the live
  // object as the state model's JSON, null when it does not exist.
  Result<Json> Live(const std::string& address) override;
  // [{account, version, pinned, keyVersion}] of the storage accounts named by
  // the plan whose encryption uses `key` (a key name), sorted by account.
  Result<Json> Consumers(const std::string& key) override;
  // RunKeyCanary on `version` ("" = the newest enabled version).
  Result<Json> Verify(const std::string& key, const std::string& version) override;
  int64_t Now() override;
  void Sleep(double seconds) override;

 private:
  Provider& provider_;
  Clock& clock_;
  const Plan& plan_;
};

// Runs, for each change, the plan's hook specs named by change.hooks of the
// phase asked for, in name order, under `limits`.
class LuaChangeHooks : public ChangeHooks {
 public:
  LuaChangeHooks(HookHost& host, HookLimits limits) : host_(host), limits_(limits) {}

  HookVerdict RunPre(const Plan& plan, const Change& change, std::vector<HookReport>* out) override;
  HookVerdict RunPost(const Plan& plan, const Change& change, std::vector<HookReport>* out) override;
  void RunRollbackScript(const Plan& plan, const Change& change, const std::string& failed_hook,
                         std::vector<HookReport>* out) override;

 private:
  HookVerdict RunPhase(const Plan& plan, const Change& change, const std::string& phase,
                       std::vector<HookReport>* out);
  HookReport RunOne(const Plan& plan, const Change& change, const HookSpec& spec,
                    const std::string& phase, bool rollback_script);

  HookHost& host_;
  HookLimits limits_;
};

// Apply with the plan's hooks wired in (when the plan names any), as every
// command that applies does (`apply`, and each pipeline run of `rehearse`).
// The runtime's wall-clock cap is the largest timeout a manifest may declare
// (PT10M); each hook's own timeout applies within it.
ApplyResult ApplyWithHooks(const Plan& plan, Provider& provider, Clock& clock,
                           ApplyObserver* observer, ApplyOptions options = {});

// The hooks of a plan, checked offline: every script and rollback script
// loads (syntax errors as "file:line: message"). One message per problem.
std::vector<std::string> CheckHookScripts(const std::vector<HookSpec>& hooks);

}  // namespace cmk
