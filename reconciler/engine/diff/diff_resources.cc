// Diff rules for the objects cmkctl creates: vaults, keys (with their
// rotation policies) and user-assigned identities.
#include <algorithm>

#include "base/duration.h"

#include "engine/diff/diff_context.h"
#include "base/strings.h"
#include "model/codec.h"

namespace cmk {
namespace {

Json OrNull(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(); }

Json VaultComparable(const VaultState& v) {
  NetworkAcls acls = v.network_acls;
  std::sort(acls.ip_rules.begin(), acls.ip_rules.end());
  std::sort(acls.virtual_network_rules.begin(), acls.virtual_network_rules.end());
  return Json{{"subscription", Lower(v.subscription)},
              {"resourceGroup", Lower(v.resource_group)},
              {"location", Lower(v.location)},
              {"sku", v.sku},
              {"softDeleteRetentionDays", v.soft_delete_retention_days},
              {"purgeProtection", v.purge_protection},
              {"rbacAuthorization", v.rbac_authorization},
              {"networkAcls", ToJson(acls)},
              {"tags", v.tags}};
}

Json KeyComparable(const KeyState& k) {
  std::vector<std::string> ops = k.key_ops;
  std::sort(ops.begin(), ops.end());
  return Json{{"kty", k.kty},
              {"keySize", k.key_size ? Json(k.key_size) : Json()},
              {"curve", k.curve.empty() ? Json() : Json(k.curve)},
              {"keyOps", ops},
              {"enabled", k.enabled},
              {"notBefore", OrNull(k.not_before)},
              {"expires", OrNull(k.expires)},
              {"tags", k.tags}};
}

Json IdentityComparable(const IdentityState& i) {
  return Json{{"subscription", Lower(i.subscription)},
              {"resourceGroup", Lower(i.resource_group)},
              {"location", Lower(i.location)},
              {"tags", i.tags}};
}

const FieldChange* Find(const std::vector<FieldChange>& fields, const std::string& path) {
  for (const auto& f : fields)
    if (f.path == path) return &f;
  return nullptr;
}

// "location westeurope→northeurope, resourceGroup a→b".
std::string Moves(const std::vector<FieldChange>& fields,
                  std::initializer_list<const char*> paths) {
  std::string out;
  for (const char* p : paths)
    if (const FieldChange* f = Find(fields, p)) out += (out.empty() ? "" : ", ") + f->path + " " + Arrow(*f);
  return out;
}

std::string NotFoundIn(const std::string& rg, const std::string& sub) {
  return "not found in " + rg + " (subscription " + sub + ")";
}

// Fields other than the ownership tag; used to word adoption reasons.
std::vector<FieldChange> WithoutOwnershipTag(const std::vector<FieldChange>& fields) {
  std::vector<FieldChange> out;
  for (const auto& f : fields)
    if (f.path != std::string("tags.") + kOwnershipTagKey) out.push_back(f);
  return out;
}

std::string UpdateReason(bool adopt, const std::vector<FieldChange>& fields) {
  if (!adopt) return Differs(fields);
  std::vector<FieldChange> rest = WithoutOwnershipTag(fields);
  return "adopt: add managed-by tag" + (rest.empty() ? "" : "; " + Differs(rest));
}

// An existing object brought to the manifests: adopting it (it has no
// ownership tag yet) is a medium-risk update.
void MarkUpdate(Change& c, bool adopt) {
  c.action = Action::kUpdate;
  c.reason_code = adopt ? ChangeReason::kAdopt : ChangeReason::kDiffers;
  c.reason = UpdateReason(adopt, c.fields);
  c.risk = adopt ? Risk::kMedium : Risk::kLow;
}

// A change Azure can make only by creating the object anew: "replace:
// MOVES CONSEQUENCE".
void MarkReplace(Change& c, const std::string& moves, const std::string& consequence) {
  c.action = Action::kReplace;
  c.risk = Risk::kHigh;
  c.reason_code = ChangeReason::kReplace;
  c.reason = "replace: " + moves + " " + consequence;
}

// A recovery: what comes back and what the next plan does, after the dates.
void MarkRecover(Change& c, int64_t deleted, int64_t purge, const std::string& what_follows) {
  c.action = Action::kRecover;
  c.risk = Risk::kMedium;
  c.reason_code = ChangeReason::kRecover;
  c.reason = "recover: soft-deleted " + FormatRfc3339(deleted) + ", purge scheduled " + FormatRfc3339(purge) +
             "; " + what_follows;
}

// A desired vault whose name a soft-deleted vault holds: recover it (Azure
// refuses to create over it). Settings that cannot change make it an error.
void PlanVaultRecovery(DiffContext& ctx, Change c, const VaultState& want, const DeletedVaultState& d) {
  c.request = RecoverVault{want};
  MarkRecover(c, d.deletion_date, d.scheduled_purge_date,
              "its keys and versions come back, its role assignments do not (this plan grants them "
              "again); the next plan brings its settings to the manifest");
  if (!d.vault.location.empty() && !EqualsIgnoreCase(d.vault.location, want.location))
    ctx.Error(c.address,
              c.address + ": the soft-deleted vault is in " + d.vault.location + ", the manifest says " +
                  want.location + ": a vault recovers where it was (cmkctl never purges)",
              c.source);
  if (d.vault.purge_protection && !want.purge_protection)
    ctx.Error(c.address,
              c.address + ": the soft-deleted vault has purge protection on, which cannot be turned off; "
                          "the manifest says purgeProtection: false",
              c.source);
  ctx.Add(std::move(c), want.name);
}

// A desired key whose name a soft-deleted key holds: recover it, every
// version with it. A different type or size is an error (a key keeps both).
void PlanKeyRecovery(DiffContext& ctx, Change c, const KeyState& want, const DeletedKeyState& d) {
  c.request = RecoverKey{KeyRef{want.vault, want.name}};
  MarkRecover(c, d.deletion_date, d.scheduled_purge_date,
              "every version comes back as it was; the next plan brings its settings and rotation policy "
              "to the manifest");
  c.depends_on = {"vault/" + want.vault};
  if (auto v = ctx.index.desired_vault.find(Lower(want.vault)); v != ctx.index.desired_vault.end())
    c.depends_on = {v->second};
  auto base_type = [](const std::string& kty) { return kty.substr(0, kty.find('-')); };
  if (!d.key.kty.empty() && (base_type(d.key.kty) != base_type(want.kty) ||
                             (d.key.key_size && want.key_size && d.key.key_size != want.key_size) ||
                             (!d.key.curve.empty() && d.key.curve != want.curve)))
    ctx.Error(c.address,
              c.address + ": the soft-deleted key is " + d.key.kty +
                  (d.key.key_size ? " " + std::to_string(d.key.key_size) : std::string()) +
                  (d.key.curve.empty() ? "" : " " + d.key.curve) + ", the manifest asks for " + want.kty +
                  (want.key_size ? " " + std::to_string(want.key_size) : std::string()) +
                  ": recover it as it is or choose another name (cmkctl never purges)",
              c.source);
  ctx.Add(std::move(c), want.name);
}

void DiffVault(DiffContext& ctx, const std::string& address, const Sourced<VaultState>& s) {
  VaultState want = s.value;
  want.tags = WithOwnership(want.tags);
  want.id.clear();
  want.vault_uri.clear();
  want.etag.clear();
  Change c = BaseChange(address, Kind::kVault, s);
  c.request = PutVault{want};
  auto it = ctx.live.vaults.find(address);
  if (it == ctx.live.vaults.end()) {
    if (auto d = ctx.live.deleted_vaults.find(address); d != ctx.live.deleted_vaults.end()) {
      PlanVaultRecovery(ctx, std::move(c), want, d->second);
      return;
    }
    c.action = Action::kCreate;
    c.risk = Risk::kLow;
    c.reason_code = ChangeReason::kMissing;
    c.reason = NotFoundIn(want.resource_group, want.subscription);
    ctx.Add(std::move(c), want.name);
    return;
  }
  const VaultState& have = it->second;
  c.before = have;
  c.fields = JsonFieldDiff(VaultComparable(have), VaultComparable(want));
  if (c.fields.empty()) {
    c.reason = "up to date";
    ctx.Add(std::move(c), want.name);
    return;
  }
  if (const FieldChange* f = Find(c.fields, "softDeleteRetentionDays"))
    ctx.Error(address,
              address + ": softDeleteRetentionDays is fixed when a vault is created (live " +
                  f->before.dump() + ", manifest " + f->after.dump() + ")",
              c.source);
  if (have.purge_protection && !want.purge_protection)
    ctx.Error(address, address + ": purge protection cannot be disabled once enabled", c.source);
  std::string moves = Moves(c.fields, {"subscription", "resourceGroup", "location"});
  bool adopt = !IsOwned(have.tags);
  if (!moves.empty()) {
    MarkReplace(c, moves, "forces a new vault");
    ctx.Error(address,
              address + ": replace: " + moves +
                  " would need a new vault; vault names are global and a deleted vault keeps "
                  "its name until it is purged, and cmkctl never purges: declare a vault with a "
                  "new name",
              c.source);
  } else {
    MarkUpdate(c, adopt);
    if (!have.purge_protection && want.purge_protection) c.risk = std::max(c.risk, Risk::kMedium);
    const FieldChange* acl = Find(c.fields, "networkAcls.defaultAction");
    if ((have.rbac_authorization && !want.rbac_authorization) || (acl && acl->after == "Deny"))
      c.risk = Risk::kHigh;
  }
  ctx.Add(std::move(c), want.name);
}

void DiffRotationPolicy(DiffContext& ctx, const std::string& key_address,
                        const Sourced<KeyState>& s, const KeyState* have) {
  const KeyState& want = s.value;
  if (!want.rotation_policy) {
    if (!have || !have->rotation_policy)
      ctx.Warning(key_address, key_address + ": no rotation policy in manifests", s.loc.ToString());
    return;
  }
  Change c = BaseChange(key_address + "/rotation-policy", Kind::kRotationPolicy, s);
  RotationPolicyState policy = *want.rotation_policy;
  policy.updated = 0;
  c.request = PutRotationPolicy{KeyRef{want.vault, want.name}, policy};
  c.depends_on = {key_address};
  c.risk = Risk::kLow;
  if (!have) {
    c.action = Action::kCreate;
    c.reason_code = ChangeReason::kMissing;
    c.reason = "new key";
  } else if (!have->rotation_policy) {
    c.action = Action::kCreate;
    c.reason_code = ChangeReason::kMissing;
    c.reason = "no rotation policy on the live key";
  } else {
    c.before = KeyPolicy{KeyRef{have->vault, have->name}, *have->rotation_policy};
    RotationPolicyState live_policy = *have->rotation_policy;
    live_policy.updated = 0;
    c.fields = JsonFieldDiff(Json{{"policy", ToJson(live_policy)}}, Json{{"policy", ToJson(policy)}});
    if (c.fields.empty()) {
      c.reason = "up to date";
      c.risk = Risk::kNone;
    } else {
      c.action = Action::kUpdate;
      c.reason_code = ChangeReason::kDiffers;
      c.reason = Differs(c.fields);
    }
  }
  ctx.Add(std::move(c), AddressName(key_address));
}

void DiffKey(DiffContext& ctx, const std::string& address, const Sourced<KeyState>& s) {
  KeyState want = s.value;
  want.tags = WithOwnership(want.tags);
  std::sort(want.key_ops.begin(), want.key_ops.end());
  want.rotation_policy.reset();
  want.versions.clear();
  want.kid.clear();
  Change c = BaseChange(address, Kind::kKey, s);
  auto it = ctx.live.keys.find(want.vault + "/" + want.name);
  const KeyState* have = it == ctx.live.keys.end() ? nullptr : &it->second;
  if (!have && ctx.live.deleted_keys.count(address)) {
    PlanKeyRecovery(ctx, std::move(c), want, ctx.live.deleted_keys.at(address));
    return;
  }
  if (!have) {
    // A vault that this plan recovers brings back the keys it held; which
    // ones cannot be read before it is back. Creating over one would add a
    // version: an unplanned rotation. The next plan reconciles the key.
    auto v = ctx.index.desired_vault.find(Lower(want.vault));
    if (v != ctx.index.desired_vault.end() && ctx.live.deleted_vaults.count(v->second)) {
      c.depends_on = {v->second};
      c.reason_code = ChangeReason::kRecover;
      c.reason = "waits for its vault: " + v->second +
                 " is recovered by this plan with the keys it held; the next plan reconciles this key";
      ctx.Warning(address,
                  address + ": its vault is recovered by this plan; run plan again after apply to create or "
                            "reconcile the key",
                  c.source);
      ctx.Add(std::move(c), AddressName(address));
      return;
    }
  }
  if (!have) {
    // A new key's first version already satisfies the requested generation.
    if (want.rotation_generation && *want.rotation_generation > 0)
      want.tags[kGenerationTagKey] = std::to_string(*want.rotation_generation);
    c.request = CreateKey{want};
    c.action = Action::kCreate;
    c.risk = Risk::kLow;
    c.reason_code = ChangeReason::kMissing;
    c.reason = "not found in vault " + want.vault;
    c.depends_on = {"vault/" + want.vault};
    if (auto v = ctx.index.desired_vault.find(Lower(want.vault)); v != ctx.index.desired_vault.end())
      c.depends_on = {v->second};
  } else {
    if (auto v = ctx.index.desired_vault.find(Lower(want.vault)); v != ctx.index.desired_vault.end())
      c.depends_on = {v->second};
    // Versions created by the rotation policy carry its expiryTime; a manifest
    // without an explicit expiry accepts it (an expiry cannot be removed).
    const auto& policy = s.value.rotation_policy;
    if (!want.expires && have->expires && policy && policy->expiry_time) want.expires = have->expires;
    // A fixed manifest expiry describes the version it was written for: never
    // pull a newer, policy-rotated version's expiry back to it.
    if (want.expires && have->expires && *have->expires > *want.expires && policy &&
        have->versions.size() > 1) {
      ctx.Warning(address,
                  address + ": spec.expiry " + FormatRfc3339(*want.expires) +
                      " is earlier than the expiry the rotation policy gave the newest version (" +
                      FormatRfc3339(*have->expires) + "); keeping the policy's",
                  s.loc.ToString());
      want.expires = have->expires;
    }
    // The generation tag belongs to the version a rotation created: keep it.
    auto gen = have->tags.find(kGenerationTagKey);
    if (gen != have->tags.end()) want.tags[kGenerationTagKey] = gen->second;
    c.request = UpdateKey{want};
    c.before = *have;
    c.fields = JsonFieldDiff(KeyComparable(*have), KeyComparable(want));
    std::string shape = Moves(c.fields, {"kty", "keySize", "curve"});
    bool adopt = !IsOwned(have->tags);
    if (c.fields.empty()) {
      c.reason = "up to date";
    } else if (!shape.empty()) {
      MarkReplace(c, shape, "forces a new key");
      ctx.Error(address,
                address + ": replace: " + shape +
                    " forces a new key; Key Vault keeps a deleted key's name until it is purged "
                    "and cmkctl never purges: declare a key with a new name",
                c.source);
    } else {
      MarkUpdate(c, adopt);
      if (have->expires && !want.expires)
        ctx.Error(address, address + ": an expiry cannot be removed once set", c.source);
      if (have->enabled && !want.enabled) {
        c.risk = Risk::kHigh;
        c.reason += "; consumers lose access to the current version";
      }
    }
  }
  ctx.Add(std::move(c), AddressName(address));
  DiffRotationPolicy(ctx, address, s, have);
}

void DiffIdentity(DiffContext& ctx, const std::string& address, const Sourced<IdentityState>& s) {
  IdentityState want = s.value;
  want.tags = WithOwnership(want.tags);
  want.id.clear();
  want.principal_id.clear();
  want.client_id.clear();
  want.tenant_id.clear();
  Change c = BaseChange(address, Kind::kIdentity, s);
  c.request = PutIdentity{want};
  auto it = ctx.live.identities.find(address);
  if (it == ctx.live.identities.end()) {
    c.action = Action::kCreate;
    c.risk = Risk::kLow;
    c.reason_code = ChangeReason::kMissing;
    c.reason = NotFoundIn(want.resource_group, want.subscription);
    ctx.Add(std::move(c), AddressName(address));
    return;
  }
  const IdentityState& have = it->second;
  c.before = have;
  c.fields = JsonFieldDiff(IdentityComparable(have), IdentityComparable(want));
  std::string moves = Moves(c.fields, {"subscription", "resourceGroup", "location"});
  if (c.fields.empty()) {
    c.reason = "up to date";
  } else if (!moves.empty()) {
    MarkReplace(c, moves, "gives the identity a new principal id; its role assignments must be recreated");
    ctx.replaced_identities.insert(address);
    if (!ctx.options.allow_destroy)
      ctx.Error(address,
                address + ": replace: " + moves +
                    " deletes the identity and creates a new one with a new principal id; role "
                    "assignments for it must be recreated; pass --allow-destroy to plan it",
                c.source);
  } else {
    MarkUpdate(c, !IsOwned(have.tags));
  }
  ctx.Add(std::move(c), AddressName(address));
}

}  // namespace

void DiffVaults(DiffContext& ctx) {
  for (const auto& [address, v] : ctx.desired.vaults) DiffVault(ctx, address, v);
}

void DiffKeys(DiffContext& ctx) {
  for (const auto& [address, k] : ctx.desired.keys) DiffKey(ctx, address, k);
}

void DiffIdentities(DiffContext& ctx) {
  for (const auto& [address, i] : ctx.desired.identities) DiffIdentity(ctx, address, i);
}

}  // namespace cmk
