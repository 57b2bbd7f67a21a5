// Diff rules for access to keys: consumers' system identities, role
// assignments and CMK bindings of every consumer kind. cmkctl never creates
// consumers; it only changes their identity and encryption.
#include <algorithm>
#include <tuple>
#include <utility>

#include "engine/diff/diff_context.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "model/codec.h"

namespace cmk {
namespace {

// "storage/NAME/identity": the change that turns a consumer's system identity on.
std::string ConsumerIdentityAddress(ConsumerKind kind, const std::string& name) {
  return ConsumerAddress(kind, name) + "/identity";
}

const Sourced<BindingState>* BindingFor(const DiffContext& ctx, ConsumerKind kind, const std::string& name) {
  auto it = ctx.index.binding_by_consumer.find(Lower(ConsumerAddress(kind, name)));
  return it == ctx.index.binding_by_consumer.end() ? nullptr : it->second;
}

const ConsumerState* LiveConsumer(const DiffContext& ctx, ConsumerKind kind, const std::string& name) {
  auto it = ctx.live.consumers.find(ConsumerAddress(kind, name));
  return it == ctx.live.consumers.end() ? nullptr : &it->second;
}

// The address of the desired vault or key whose ARM id is `scope`, or "".
std::string ScopeAddress(const DiffContext& ctx, const std::string& scope) {
  auto it = ctx.index.scope_address.find(Lower(scope));
  return it == ctx.index.scope_address.end() ? "" : it->second;
}

struct Principal {
  std::string id;        // "" when known only after apply
  std::string depends;   // change address the principal comes from
  PrincipalLookup resolve;  // how apply finds the id when it is unknown now
  bool replaced = false;  // the identity is being replaced
  bool ok = true;
};

Principal ResolvePrincipal(DiffContext& ctx, const std::string& address,
                           const Sourced<RoleAssignmentState>& s) {
  const PrincipalRef& ref = s.value.principal;
  Principal p;
  if (!ref.object_id.empty()) {
    p.id = ref.object_id;
  } else if (!ref.identity.empty()) {
    p.depends = "identity/" + ref.identity;
    auto want = ctx.desired.identities.find(p.depends);
    auto have = ctx.live.identities.find(p.depends);
    if (want == ctx.desired.identities.end()) {
      ctx.Error(address, address + ": principal " + p.depends + " is not declared in the manifests",
                s.loc.ToString());
      p.ok = false;
      return p;
    }
    const IdentityState& i = want->second.value;
    p.resolve.identity = ArmRef{i.subscription, i.resource_group, i.name};
    p.replaced = ctx.replaced_identities.count(p.depends) > 0;
    if (have != ctx.live.identities.end() && !p.replaced) p.id = have->second.principal_id;
  } else if (!ref.consumer.empty()) {
    const Sourced<BindingState>* b = BindingFor(ctx, ref.consumer_kind, ref.consumer);
    if (!b) {
      ctx.Error(address,
                address + ": principal " + Traits(ref.consumer_kind).noun + " " + ref.consumer +
                    " is not named by any " + Traits(ref.consumer_kind).binding_kind +
                    ", so its subscription and resource group are unknown",
                s.loc.ToString());
      p.ok = false;
      return p;
    }
    p.resolve.consumer =
        ConsumerRef{ref.consumer_kind, b->value.subscription, b->value.resource_group, ref.consumer};
    if (const ConsumerState* acct = LiveConsumer(ctx, ref.consumer_kind, ref.consumer))
      p.id = acct->system_principal_id;
    if (ctx.HasChange(ConsumerIdentityAddress(ref.consumer_kind, ref.consumer)))
      p.depends = ConsumerIdentityAddress(ref.consumer_kind, ref.consumer);
  } else {
    ctx.Error(address, address + ": no principal (identity, storageAccount, sqlServer, diskEncryptionSet or objectId)",
              s.loc.ToString());
    p.ok = false;
  }
  return p;
}

const RoleAssignmentState* FindAssignment(const DiffContext& ctx, const RoleAssignmentState& want) {
  if (!want.id.empty())
    if (auto it = ctx.index.live_assignment_by_id.find(Lower(want.id));
        it != ctx.index.live_assignment_by_id.end())
      return it->second;
  if (want.principal_id.empty()) return nullptr;
  auto it = ctx.index.live_assignment_by_grant.find(
      DiffIndex::GrantOf(want.scope, want.role_definition_id, want.principal_id));
  return it == ctx.index.live_assignment_by_grant.end() ? nullptr : it->second;
}

void DiffRoleAssignment(DiffContext& ctx, const std::string& address,
                        const Sourced<RoleAssignmentState>& s) {
  Principal p = ResolvePrincipal(ctx, address, s);
  if (!p.ok) return;
  RoleAssignmentState want = s.value;
  want.principal_id = p.id;
  const std::string prefix = kOwnershipDescriptionPrefix;
  if (want.description.compare(0, prefix.size(), prefix) != 0)
    want.description = prefix + " " + address + (want.description.empty() ? "" : " " + want.description);
  Change c = BaseChange(address, Kind::kRoleAssignment, s);
  c.request = GrantRole{want, p.resolve};
  if (!p.depends.empty()) c.depends_on.push_back(p.depends);
  std::string scope_address = ScopeAddress(ctx, want.scope);
  if (!scope_address.empty()) c.depends_on.push_back(scope_address);
  const RoleAssignmentState* have = FindAssignment(ctx, want);
  if (have) {
    ctx.claimed_assignments.insert(have->id);
    c.before = *have;
    if (p.replaced) {
      c.action = Action::kReplace;
      c.risk = Risk::kMedium;
      c.reason_code = ChangeReason::kReplace;
      c.reason = "replace: principal " + p.depends + " is replaced; principal known after apply";
    } else if (!want.id.empty() && !EqualsIgnoreCase(have->id, want.id)) {
      c.reason_code = ChangeReason::kCreatedElsewhere;
      c.reason = "exists as " + have->id + ", created outside cmkctl";
    } else {
      c.reason = "up to date";
    }
  } else {
    c.action = Action::kCreate;
    c.risk = Risk::kMedium;
    c.reason_code = ChangeReason::kMissing;
    c.reason = "not found at " + want.scope;
    if (want.principal_id.empty()) c.reason += "; principal known after apply";
  }
  ctx.Add(std::move(c), AddressName(address));
}

EncryptionState DesiredEncryption(const DiffContext& ctx, const BindingState& b) {
  EncryptionState e;
  e.key_source = "Microsoft.Keyvault";
  e.key_vault_uri = VaultUri(b.vault, ctx.options.vault_dns_suffix);
  e.key_name = b.key;
  e.key_version = b.key_version;
  e.user_assigned_identity = b.identity;
  return e;
}

bool SameEncryption(const EncryptionState& have, const EncryptionState& want) {
  return EqualsIgnoreCase(have.key_source, want.key_source) &&
         SameUri(have.key_vault_uri, want.key_vault_uri) &&
         EqualsIgnoreCase(have.key_name, want.key_name) &&
         EqualsIgnoreCase(have.key_version, want.key_version) &&
         EqualsIgnoreCase(have.user_assigned_identity, want.user_assigned_identity);
}

std::string VersionWord(const std::string& v) {
  return v.empty() ? "auto" : ShortenVersions(v);
}

std::string IdentityWord(const std::string& id) {
  return id.empty() ? "system" : TrailingSegment(id);
}

std::pair<ChangeReason, std::string> BindReason(ConsumerKind kind, const EncryptionState& have,
                                                const EncryptionState& want) {
  const std::string arrow = " \xE2\x86\x92 ";
  std::string target = "key " + want.key_name + " (" + VersionWord(want.key_version) + ")";
  if (!EqualsIgnoreCase(have.key_source, want.key_source))
    return {ChangeReason::kBind, "bind: " +
                                     (kind == ConsumerKind::kStorage ? have.key_source
                                                                     : std::string("service-managed key")) +
                                     arrow + target};
  if (SameUri(have.key_vault_uri, want.key_vault_uri) && EqualsIgnoreCase(have.key_name, want.key_name)) {
    if (!EqualsIgnoreCase(have.key_version, want.key_version))
      return {ChangeReason::kRepin, "repin: keyVersion " + VersionWord(have.key_version) + arrow +
                                        VersionWord(want.key_version)};
    return {ChangeReason::kSwitchIdentity, "identity: " + IdentityWord(have.user_assigned_identity) +
                                               arrow + IdentityWord(want.user_assigned_identity)};
  }
  return {ChangeReason::kRebind, "rebind: key " + have.key_name + arrow + target};
}

// Live encryption without evidence, with values equal up to case (or a
// trailing slash) spelled as desired, so that field changes show only real
// differences.
Json Comparable(EncryptionState e, const EncryptionState& want) {
  e.current_versioned_key_id.clear();
  e.last_key_rotation_timestamp.clear();
  if (EqualsIgnoreCase(e.key_source, want.key_source)) e.key_source = want.key_source;
  if (SameUri(e.key_vault_uri, want.key_vault_uri)) e.key_vault_uri = want.key_vault_uri;
  if (EqualsIgnoreCase(e.key_name, want.key_name)) e.key_name = want.key_name;
  if (EqualsIgnoreCase(e.key_version, want.key_version)) e.key_version = want.key_version;
  if (EqualsIgnoreCase(e.user_assigned_identity, want.user_assigned_identity))
    e.user_assigned_identity = want.user_assigned_identity;
  return ToJson(e);
}

void DiffBinding(DiffContext& ctx, const std::string& address, const Sourced<BindingState>& s) {
  const BindingState& b = s.value;
  const ConsumerState* acct = LiveConsumer(ctx, b.consumer_kind, b.consumer);
  if (!acct) {
    ctx.Error(address,
              ConsumerAddress(b.consumer_kind, b.consumer) + ": not found in subscription " + b.subscription +
                  ", resource group " + b.resource_group + "; cmkctl never creates " +
                  Traits(b.consumer_kind).noun + "s",
              s.loc.ToString());
    return;
  }
  EncryptionState want = DesiredEncryption(ctx, b);
  const ConsumerRef consumer{b.consumer_kind, b.subscription, b.resource_group, b.consumer};
  Change c = BaseChange(address, BindingKind(b.consumer_kind), s);
  c.before = ConsumerEncryption{consumer, acct->encryption};
  c.request = UpdateConsumerEncryption{consumer, want};
  std::string key_address = ctx.DesiredKeyAddress(b.vault, b.key);
  if (!key_address.empty()) c.depends_on.push_back(key_address);
  if (!b.identity_name.empty()) c.depends_on.push_back("identity/" + b.identity_name);
  if (ctx.HasChange(ConsumerIdentityAddress(b.consumer_kind, b.consumer)))
    c.depends_on.push_back(ConsumerIdentityAddress(b.consumer_kind, b.consumer));
  // The grants this binding's principal needs first: desired assignments at
  // the vault or the key, for the same principal.
  if (auto where_vault = ctx.VaultLocation(b.vault)) {
    std::vector<std::string> grants;
    for (const std::string& scope :
         {VaultArmId(where_vault->subscription, where_vault->resource_group, b.vault),
          KeyArmId(where_vault->subscription, where_vault->resource_group, b.vault, b.key)}) {
      auto at = ctx.index.desired_assignments_by_scope.find(Lower(scope));
      if (at == ctx.index.desired_assignments_by_scope.end()) continue;
      for (const std::string& ra_address : at->second) {
        const PrincipalRef& ref = ctx.desired.role_assignments.at(ra_address).value.principal;
        bool same_principal = b.identity.empty()
                                  ? ref.consumer_kind == b.consumer_kind && EqualsIgnoreCase(ref.consumer, b.consumer)
                                  : (!b.identity_name.empty() && ref.identity == b.identity_name);
        if (same_principal) grants.push_back(ra_address);
      }
    }
    std::sort(grants.begin(), grants.end());  // address order, as the manifests list them
    c.depends_on.insert(c.depends_on.end(), grants.begin(), grants.end());
  }
  auto recovering = ctx.index.desired_vault.find(Lower(b.vault));
  if (recovering != ctx.index.desired_vault.end() && !ctx.live.deleted_vaults.count(recovering->second))
    recovering = ctx.index.desired_vault.end();
  if (SameEncryption(acct->encryption, want)) {
    c.reason = "up to date";
  } else if (recovering != ctx.index.desired_vault.end()) {
    // Which keys the vault brings back cannot be read before it is back, and
    // Storage refuses a key it cannot read: the next plan binds.
    c.depends_on.push_back(recovering->second);
    c.reason_code = ChangeReason::kRecover;
    c.reason = "waits for its vault: " + recovering->second +
               " is recovered by this plan; the next plan reconciles this binding";
    ctx.Warning(address,
                address + ": its vault is recovered by this plan; run plan again after apply to bind",
                c.source);
  } else {
    std::tie(c.reason_code, c.reason) = BindReason(b.consumer_kind, acct->encryption, want);
    c.action = c.reason_code == ChangeReason::kRepin ? Action::kRepin : Action::kUpdate;
    c.risk = Risk::kHigh;
    c.fields = JsonFieldDiff(Json{{"encryption", Comparable(acct->encryption, want)}},
                             Json{{"encryption", ToJson(want)}});
  }
  ctx.Add(std::move(c), AddressName(address));
}

}  // namespace

void DiffStorageIdentities(DiffContext& ctx) {
  for (const auto& [address, s] : ctx.desired.bindings) {
    const BindingState& b = s.value;
    const ConsumerState* acct = LiveConsumer(ctx, b.consumer_kind, b.consumer);
    if (!acct || !b.identity.empty() || !acct->system_principal_id.empty()) continue;
    std::string id_address = ConsumerIdentityAddress(b.consumer_kind, b.consumer);
    if (ctx.HasChange(id_address)) continue;
    Change c = BaseChange(id_address, BindingKind(b.consumer_kind), s);
    c.action = Action::kCreate;
    c.risk = Risk::kMedium;
    c.reason_code = ChangeReason::kEnableIdentity;
    c.reason = "enable the system-assigned identity (needed by " + address + ")";
    c.request = EnableSystemIdentity{ConsumerRef{b.consumer_kind, b.subscription, b.resource_group, b.consumer}};
    ctx.Add(std::move(c), AddressName(address));
  }
}

void DiffRoleAssignments(DiffContext& ctx) {
  for (const auto& [address, ra] : ctx.desired.role_assignments) DiffRoleAssignment(ctx, address, ra);
}

void DiffBindings(DiffContext& ctx) {
  for (const auto& [address, b] : ctx.desired.bindings) DiffBinding(ctx, address, b);
}

}  // namespace cmk
