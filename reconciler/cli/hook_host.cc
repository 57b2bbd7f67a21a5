#include "cli/hook_host.h"

#include <algorithm>

#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "engine/plan/plan_codec.h"
#include "verify/canary.h"
#include "model/codec.h"

namespace cmk {
namespace {

// The entry of `refs` at `address`, else the one whose Azure name is `name`.
template <typename Ref>
const Ref* FindRef(const std::map<std::string, Ref>& refs, const std::string& address,
                   const std::string& name) {
  auto it = refs.find(address);
  if (it != refs.end()) return &it->second;
  for (const auto& [a, ref] : refs)
    if (EqualsIgnoreCase(ref.name, name)) return &ref;
  return nullptr;
}

Status NotInPlan(const std::string& address) {
  return InvalidArgument(address + " is not among the objects this plan is about");
}

const Change* FindChange(const Plan& plan, const std::string& address) {
  for (const auto& c : plan.changes)
    if (c.address == address) return &c;
  return nullptr;
}

// For bindings, the hook view adds the key's name, vault and version
// ("auto" or 32-hex) beside `encryption`, as docs/hooks.md promises.
void AddBindingShortcuts(Json& object) {
  if (!object.is_object() || !object.contains("encryption")) return;
  EncryptionState e = FromJson<EncryptionState>(object["encryption"]);
  if (!EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault")) return;
  std::string host = e.key_vault_uri;
  if (host.rfind("https://", 0) == 0) host = host.substr(8);
  object["vault"] = host.substr(0, host.find('.'));
  object["key"] = e.key_name;
  object["keyVersion"] = e.key_version.empty() ? "auto" : e.key_version;
}

// The plan's change, plus `after`: the request's members (nil for a delete),
// as docs/hooks.md gives cmk.change.
Json HookChangeJson(const Change& change) {
  Json j = ChangeToJson(change);
  j["after"] = change.action == Action::kDelete ? Json() : RequestPayload(change.request);
  if (ConsumerKindOfBinding(change.kind)) {
    AddBindingShortcuts(j["before"]);
    AddBindingShortcuts(j["after"]);
  }
  // The key the change is about, whatever its action (KeyOfRequest).
  if (std::optional<KeyRef> key = KeyOfRequest(change.request)) {
    j["key"] = key->name;
    j["vault"] = key->vault;
  }
  return j;
}

Json PlanSummaryJson(const Plan& plan) {
  PlanSummary s = plan.Summary();
  return Json{{"create", s.create},
              {"update", s.update},
              {"replace", s.replace},
              {"delete", s.del},
              {"no_op", s.no_op}};
}

}  // namespace

ProviderHookHost::ProviderHookHost(Provider& provider, Clock& clock, const Plan& plan)
    : provider_(provider), clock_(clock), plan_(plan) {}

Result<Json> ProviderHookHost::Live(const std::string& address) {
  size_t slash = address.find('/');
  if (slash == std::string::npos || slash + 1 >= address.size())
    return InvalidArgument("'" + address + "' is not an address like key/NAME or storage/ACCOUNT");
  std::string prefix = address.substr(0, slash);
  std::string name = address.substr(slash + 1);
  const LiveQuery& q = plan_.query;
  if (prefix == "vault") {
    const ArmRef* ref = FindRef(q.vaults, address, name);
    if (!ref) return NotInPlan(address);
    CMK_ASSIGN_OR_RETURN(auto v, provider_.GetVault(*ref));
    return v ? ToJson(*v) : Json();
  }
  if (prefix == "key") {
    const std::string policy_suffix = "/rotation-policy";
    bool policy = name.size() > policy_suffix.size() &&
                  name.compare(name.size() - policy_suffix.size(), policy_suffix.size(),
                               policy_suffix) == 0;
    if (policy) name.resize(name.size() - policy_suffix.size());
    const KeyRef* ref = FindRef(q.keys, "key/" + name, name);
    if (!ref) return NotInPlan(address);
    CMK_ASSIGN_OR_RETURN(auto k, provider_.GetKey(*ref));
    if (!k) return Json();
    if (!policy) return ToJson(*k);
    return k->rotation_policy ? ToJson(*k->rotation_policy) : Json();
  }
  if (prefix == "identity") {
    const ArmRef* ref = FindRef(q.identities, address, name);
    if (!ref) return NotInPlan(address);
    CMK_ASSIGN_OR_RETURN(auto i, provider_.GetIdentity(*ref));
    return i ? ToJson(*i) : Json();
  }
  if (ConsumerKindFromPrefix(prefix) || prefix == "binding") {
    ConsumerRef where;
    if (prefix != "binding") {
      const ConsumerRef* ref = FindRef(q.consumers, address, name);
      if (!ref) return NotInPlan(address);
      where = *ref;
    } else {
      const Change* c = FindChange(plan_, address);
      const auto* binding = c ? std::get_if<UpdateConsumerEncryption>(&c->request) : nullptr;
      if (!binding) return NotInPlan(address);
      where = binding->consumer;
    }
    CMK_ASSIGN_OR_RETURN(auto s, provider_.GetConsumer(where));
    return s ? ToJson(*s) : Json();
  }
  if (prefix == "role-assignment") {
    const Change* c = FindChange(plan_, address);
    if (!c) return NotInPlan(address);
    std::string scope, id;
    if (const auto* grant = std::get_if<GrantRole>(&c->request)) {
      scope = grant->assignment.scope;
      id = grant->assignment.id;
    } else if (const auto* del = std::get_if<DeleteRoleAssignment>(&c->request)) {
      scope = del->scope;
      id = del->id;
    } else {
      return NotInPlan(address);
    }
    CMK_ASSIGN_OR_RETURN(auto list, provider_.ListRoleAssignments(scope));
    for (const auto& ra : list)
      if (EqualsIgnoreCase(ra.id, id)) return ToJson(ra);
    return Json();
  }
  return InvalidArgument("'" + address +
                         "': cmk.live reads vault/, key/, key/NAME/rotation-policy, identity/, "
                         "storage/, sql/, des/, binding/ and role-assignment/ addresses");
}

Result<Json> ProviderHookHost::Consumers(const std::string& key) {
  const KeyRef* ref = FindRef(plan_.query.keys, "key/" + key, key);
  if (!ref) return NotInPlan("key/" + key);
  std::string vault_uri = VaultUri(ref->vault, provider_.VaultDnsSuffix());
  Json out = Json::array();
  for (const auto& [address, acct] : plan_.query.consumers) {
    CMK_ASSIGN_OR_RETURN(auto s, provider_.GetConsumer(acct));
    if (!s) continue;
    const EncryptionState& e = s->encryption;
    if (!EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault") ||
        !EqualsIgnoreCase(e.key_name, ref->name) || !SameUri(e.key_vault_uri, vault_uri))
      continue;
    std::string version = e.current_versioned_key_id.empty()
                              ? ""
                              : TrailingSegment(e.current_versioned_key_id);
    out.push_back(Json{{"address", address},
                       {"kind", ConsumerPrefix(s->kind)},
                       {"account", s->name},
                       {"version", version.empty() ? Json() : Json(version)},
                       {"pinned", !e.key_version.empty()},
                       {"keyVersion", e.key_version.empty() ? "auto" : e.key_version}});
  }
  return out;  // the query's map is ordered by address
}

Result<Json> ProviderHookHost::Verify(const std::string& key, const std::string& version) {
  const KeyRef* ref = FindRef(plan_.query.keys, "key/" + key, key);
  if (!ref) return NotInPlan("key/" + key);
  CMK_ASSIGN_OR_RETURN(auto k, provider_.GetKey(*ref));
  if (!k) return NotFound("key/" + key + " does not exist");
  std::string v = version;
  if (v.empty()) {
    for (auto it = k->versions.rbegin(); it != k->versions.rend(); ++it)
      if (it->enabled) {
        v = it->version;
        break;
      }
    if (v.empty())
      return Json{{"outcome", "FAIL"},
                  {"message", "key/" + key + " has no enabled version"},
                  {"key", "key/" + key}};
  }
  return ToJson(RunKeyCanary(provider_, *k, v));
}

int64_t ProviderHookHost::Now() { return clock_.Now(); }

void ProviderHookHost::Sleep(double seconds) { clock_.Sleep(seconds); }

HookVerdict LuaChangeHooks::RunPre(const Plan& plan, const Change& change,
                                   std::vector<HookReport>* out) {
  return RunPhase(plan, change, "pre", out);
}

HookVerdict LuaChangeHooks::RunPost(const Plan& plan, const Change& change,
                                    std::vector<HookReport>* out) {
  return RunPhase(plan, change, "post", out);
}

HookVerdict LuaChangeHooks::RunPhase(const Plan& plan, const Change& change,
                                     const std::string& phase, std::vector<HookReport>* out) {
  // Apply follows the plan: the hooks it listed for this change, in name order.
  std::vector<const HookSpec*> specs;
  for (const auto& name : change.hooks) {
    const HookSpec* spec = plan.FindHook(name);
    if (spec != nullptr && spec->phase == phase) specs.push_back(spec);
  }
  std::sort(specs.begin(), specs.end(),
            [](const HookSpec* a, const HookSpec* b) { return a->name < b->name; });
  HookVerdict verdict = HookVerdict::kPass;
  for (const HookSpec* spec : specs) {
    out->push_back(RunOne(plan, change, *spec, phase, false));
    if (out->back().ok) continue;
    if (spec->on_failure == "warn") {
      verdict = HookVerdict::kWarn;
      continue;
    }
    if (phase == "pre") return HookVerdict::kSkip;
    return spec->on_failure == "rollback" ? HookVerdict::kRollback : HookVerdict::kHalt;
  }
  return verdict;
}

void LuaChangeHooks::RunRollbackScript(const Plan& plan, const Change& change,
                                       const std::string& failed_hook,
                                       std::vector<HookReport>* out) {
  const HookSpec* spec = plan.FindHook(failed_hook);
  if (spec == nullptr || spec->rollback_script.empty()) return;
  out->push_back(RunOne(plan, change, *spec, "rollback", true));
}

HookReport LuaChangeHooks::RunOne(const Plan& plan, const Change& change, const HookSpec& spec,
                                  const std::string& phase, bool rollback_script) {
  HookRunInput input;
  input.spec = &spec;
  input.change = HookChangeJson(change);
  input.plan_summary = PlanSummaryJson(plan);
  input.rollback_script = rollback_script;
  HookResult result = RunHook(input, host_, limits_);
  HookReport report;
  report.hook = spec.name;
  report.phase = phase;
  report.ok = result.ok;
  report.on_failure = spec.on_failure;
  report.message = std::move(result.message);
  report.logs = std::move(result.logs);
  return report;
}

std::vector<std::string> CheckHookScripts(const std::vector<HookSpec>& hooks) {
  std::vector<std::string> problems;
  for (const auto& h : hooks) {
    for (const std::string* path : {&h.script, &h.rollback_script}) {
      if (path->empty()) continue;
      Status s = CheckHookScript(*path);
      if (!s.ok()) problems.push_back(s.message() + " (hook '" + h.name + "')");
    }
  }
  return problems;
}

ApplyResult ApplyWithHooks(const Plan& plan, Provider& provider, Clock& clock,
                           ApplyObserver* observer, ApplyOptions options) {
  ProviderHookHost host(provider, clock, plan);
  HookLimits limits;
  limits.wall_seconds = 600;
  LuaChangeHooks hooks(host, limits);
  if (!plan.hooks.empty()) options.hooks = &hooks;
  // Before a retirement: the full envelope canary (local wrap with the
  // published key, unwrap in the vault) on every version still in use.
  options.canary = [](Provider& p, const KeyState& key, const std::string& version) -> Status {
    CanaryResult r = RunKeyCanary(p, key, version);
    if (r.outcome != CanaryOutcome::kFailed) return Status::Ok();
    return FailedPrecondition("blocked: canary on version " + ShortenVersions(version) +
                              " failed: " + r.message);
  };
  return Apply(plan, provider, observer, options);
}

}  // namespace cmk
