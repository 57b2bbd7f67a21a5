#include "engine/diff/diff.h"
#include "engine/policy/posture.h"

#include <algorithm>
#include <tuple>

#include "engine/diff/diff_context.h"
#include "engine/read/live_reader.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"

namespace cmk {
namespace {

void FieldDiff(const std::string& path, const Json& b, const Json& a,
               std::vector<FieldChange>& out) {
  if (b == a) return;
  if (b.is_object() && a.is_object()) {
    std::set<std::string> keys;
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys)
      FieldDiff(path.empty() ? k : path + "." + k, b.contains(k) ? b[k] : Json(),
                a.contains(k) ? a[k] : Json(), out);
    return;
  }
  out.push_back(FieldChange{path, b, a});
}

}  // namespace

void DiffContext::Error(const std::string& address, const std::string& message,
                        const std::string& source) {
  plan.errors.push_back(PlanMessage{"error", address, message, source});
}

void DiffContext::Warning(const std::string& address, const std::string& message,
                          const std::string& source) {
  plan.warnings.push_back(PlanMessage{"warning", address, message, source});
}

Change& DiffContext::Add(Change c, const std::string& name) {
  names[c.address] = name;
  change_at.try_emplace(c.address, plan.changes.size());
  plan.changes.push_back(std::move(c));
  return plan.changes.back();
}

bool DiffContext::HasChange(const std::string& address) const { return change_at.count(address) > 0; }

const Change* DiffContext::FindChange(const std::string& address) const {
  auto it = change_at.find(address);
  return it == change_at.end() ? nullptr : &plan.changes[it->second];
}

std::optional<ArmRef> DiffContext::VaultLocation(const std::string& vault) const {
  auto it = index.vault_location.find(Lower(vault));
  if (it == index.vault_location.end()) return std::nullopt;
  return it->second;
}

std::string DiffContext::DesiredKeyAddress(const std::string& vault,
                                           const std::string& name) const {
  auto it = index.desired_key.find(NormalizedKeyName(vault, name));
  return it == index.desired_key.end() ? "" : it->second;
}

std::string DiffIndex::GrantOf(std::string_view scope, std::string_view role_definition_id,
                               std::string_view principal) {
  return Lower(scope) + "|" + Lower(TrailingSegment(role_definition_id)) + "|" + Lower(principal);
}

std::string DiffIndex::ConsumedKeyOf(std::string_view vault_uri, std::string_view key) {
  return NormalizedId(vault_uri) + "|" + Lower(key);
}

DiffIndex DiffIndex::Build(const DesiredState& desired, const LiveState& live) {
  DiffIndex x;
  for (const auto& [address, v] : desired.vaults) {
    const VaultState& vault = v.value;
    x.vault_location.try_emplace(Lower(vault.name),
                                 ArmRef{vault.subscription, vault.resource_group, vault.name});
    x.desired_vault.try_emplace(Lower(vault.name), address);
    x.scope_address.try_emplace(Lower(VaultArmId(vault.subscription, vault.resource_group, vault.name)),
                                address);
  }
  for (const auto& [address, v] : live.vaults)
    x.vault_location.try_emplace(Lower(v.name), ArmRef{v.subscription, v.resource_group, v.name});
  for (const auto& [address, k] : desired.keys) {
    x.desired_key.try_emplace(NormalizedKeyName(k.value.vault, k.value.name), address);
    auto where = x.vault_location.find(Lower(k.value.vault));
    if (where != x.vault_location.end())
      x.scope_address.try_emplace(Lower(KeyArmId(where->second.subscription, where->second.resource_group,
                                                 k.value.vault, k.value.name)),
                                  address);
  }
  for (const auto& [address, b] : desired.bindings) {
    x.binding_by_consumer.try_emplace(Lower(ConsumerAddress(b.value.consumer_kind, b.value.consumer)), &b);
    x.bindings_by_key[NormalizedKeyName(b.value.vault, b.value.key)].emplace_back(address, &b);
  }
  for (const auto& [address, ra] : desired.role_assignments) {
    x.desired_assignments_by_scope[Lower(ra.value.scope)].push_back(address);
    if (!ra.value.id.empty()) x.desired_assignment_ids.insert(Lower(ra.value.id));
  }
  for (const auto& [id, ra] : live.role_assignments) {
    x.live_assignment_by_id.try_emplace(Lower(id), &ra);
    x.live_assignment_by_grant.try_emplace(GrantOf(ra.scope, ra.role_definition_id, ra.principal_id),
                                           &ra);
  }
  for (const auto& [address, acct] : live.consumers) {
    const EncryptionState& e = acct.encryption;
    if (!EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault")) continue;
    x.consumers_by_key[ConsumedKeyOf(e.key_vault_uri, e.key_name)].push_back(address);
  }
  return x;
}

std::string AddressName(const std::string& address) {
  size_t slash = address.find('/');
  return slash == std::string::npos ? address : address.substr(slash + 1);
}

std::vector<FieldChange> JsonFieldDiff(const Json& before, const Json& after) {
  std::vector<FieldChange> out;
  FieldDiff("", before, after, out);
  std::sort(out.begin(), out.end(),
            [](const FieldChange& x, const FieldChange& y) { return x.path < y.path; });
  return out;
}

bool HasField(const std::vector<FieldChange>& fields, const std::string& path) {
  for (const auto& f : fields)
    if (f.path == path || f.path.compare(0, path.size() + 1, path + ".") == 0) return true;
  return false;
}

std::string Differs(const std::vector<FieldChange>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : "") + fields[i].path;
  return out + (fields.size() == 1 ? " differs" : " differ");
}

std::string Arrow(const FieldChange& f) {
  auto show = [](const Json& j) {
    if (j.is_null()) return std::string("(none)");
    return j.is_string() ? j.get<std::string>() : j.dump();
  };
  return show(f.before) + "\xE2\x86\x92" + show(f.after);
}

Plan Diff(const DesiredState& desired, const LiveState& live, const DiffOptions& options,
          const TargetInfo& target) {
  Plan plan;
  plan.target = target;
  plan.query = BuildQuery(desired);
  plan.query.include_prune_candidates = options.prune;
  plan.fingerprints = Fingerprints(plan.query, live);
  DiffContext ctx{desired, live, options, plan,
                  DiffIndex::Build(desired, live), {}, {}, {}, {}};
  DiffVaults(ctx);
  DiffIdentities(ctx);
  DiffStorageIdentities(ctx);
  DiffKeys(ctx);
  DiffRoleAssignments(ctx);
  DiffBindings(ctx);
  DiffKeyVersions(ctx);
  DiffPrune(ctx);
  OrderChanges(ctx);
  WithholdUnobservable(ctx);
  CheckConsumerAccess(ctx);
  SelectHooks(ctx);
  // Posture: the desired state's findings decide (an error blocks the plan);
  // the live state's are reported with them.
  plan.policy = CheckPosture(desired, &live, options.now);
  for (const PolicyFinding& f : plan.policy) {
    if (f.state != "desired") continue;
    (f.severity == "error" ? plan.errors : plan.warnings)
        .push_back({f.severity, f.address, f.address + ": " + f.rule + " (" + f.policy + "): " + f.message,
                    f.loc.ToString(), f.rule});
  }
  auto by_address = [](const PlanMessage& a, const PlanMessage& b) {
    return std::tie(a.address, a.message) < std::tie(b.address, b.message);
  };
  std::stable_sort(plan.errors.begin(), plan.errors.end(), by_address);
  std::stable_sort(plan.warnings.begin(), plan.warnings.end(), by_address);
  return plan;
}

}  // namespace cmk
