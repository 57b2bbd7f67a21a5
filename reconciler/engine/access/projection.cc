#include "engine/access/projection.h"

#include <algorithm>
#include <variant>

#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"

namespace cmk {
namespace {

constexpr const char* kNewVersion = "(new version)";
constexpr const char* kNewPrincipal = "(new principal)";

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

Projection::Projection(LiveState live, int64_t now) : live_(std::move(live)), now_(now) {
  for (const auto& [slot, k] : live_.keys) key_slot_.emplace(NormalizedKeyName(k.vault, k.name), slot);
  for (const auto& [address, i] : live_.identities)
    identity_slot_.emplace(NormalizedId(IdentityArmId(i.subscription, i.resource_group, i.name)), address);
  for (const auto& [address, a] : live_.consumers) consumer_slot_.emplace(Lower(address), address);
}

IdentityState* Projection::FindIdentity(const ArmRef& ref) {
  auto it = identity_slot_.find(NormalizedId(IdentityArmId(ref.subscription, ref.resource_group, ref.name)));
  if (it == identity_slot_.end()) return nullptr;
  auto i = live_.identities.find(it->second);
  return i == live_.identities.end() ? nullptr : &i->second;
}

ConsumerState* Projection::FindConsumer(const ConsumerRef& ref) {
  auto it = consumer_slot_.find(Lower(ConsumerAddress(ref.kind, ref.name)));
  if (it == consumer_slot_.end()) return nullptr;
  auto a = live_.consumers.find(it->second);
  return a == live_.consumers.end() ? nullptr : &a->second;
}

KeyState* Projection::FindKey(const std::string& vault, const std::string& name) {
  auto it = key_slot_.find(NormalizedKeyName(vault, name));
  if (it == key_slot_.end()) return nullptr;
  auto k = live_.keys.find(it->second);
  return k == live_.keys.end() ? nullptr : &k->second;
}

void Projection::EraseVault(const std::string& name) {
  for (auto it = live_.vaults.begin(); it != live_.vaults.end();)
    it = EqualsIgnoreCase(it->second.name, name) ? live_.vaults.erase(it) : std::next(it);
  // A deleted vault's keys go with it (soft-deleted alike).
  for (auto it = live_.keys.begin(); it != live_.keys.end();) {
    if (EqualsIgnoreCase(it->second.vault, name)) {
      key_slot_.erase(NormalizedKeyName(it->second.vault, it->second.name));
      it = live_.keys.erase(it);
    } else {
      ++it;
    }
  }
}

void Projection::Apply(const Change& change) {
  if (change.action == Action::kNoOp) return;
  std::visit(
      Overloaded{
          [&](const PutVault& r) {
            // The vault as read may sit at another address (prune candidates): one entry per name.
            // cmkctl never writes access policies: the vault keeps the ones it had.
            std::vector<AccessPolicyState> policies;
            for (auto it = live_.vaults.begin(); it != live_.vaults.end();) {
              bool same = EqualsIgnoreCase(it->second.name, r.vault.name);
              if (same) policies = it->second.access_policies;
              it = same && it->first != change.address ? live_.vaults.erase(it) : std::next(it);
            }
            live_.vaults[change.address] = r.vault;
            live_.vaults[change.address].access_policies = std::move(policies);
          },
          [&](const DeleteVault& r) { EraseVault(r.vault.name); },
          [&](const RecoverVault& r) { live_.vaults[change.address] = r.vault; },
          [&](const RecoverKey&) {},  // its versions come back as they were: unknown here
          [&](const CreateKey& r) {
            KeyState* k = FindKey(r.key.vault, r.key.name);
            if (k == nullptr) {
              std::string slot = r.key.vault + "/" + r.key.name;
              key_slot_[NormalizedKeyName(r.key.vault, r.key.name)] = slot;
              k = &(live_.keys[slot] = r.key);
              k->versions.clear();
            }
            KeyVersionState v;
            v.version = kNewVersion;
            v.enabled = r.key.enabled;
            v.not_before = r.key.not_before;
            v.expires = r.key.expires;
            v.key_ops = r.key.key_ops;
            v.created = now_;
            k->versions.push_back(std::move(v));
          },
          [&](const UpdateKey& r) {
            KeyState* k = FindKey(r.key.vault, r.key.name);
            if (k == nullptr) return;
            k->enabled = r.key.enabled;
            k->not_before = r.key.not_before;
            k->expires = r.key.expires;
            k->key_ops = r.key.key_ops;
            if (k->versions.empty()) return;
            KeyVersionState& newest = k->versions.back();
            newest.enabled = r.key.enabled;
            newest.not_before = r.key.not_before;
            newest.expires = r.key.expires;
            newest.key_ops = r.key.key_ops;
          },
          [&](const DeleteKey& r) {
            auto it = key_slot_.find(NormalizedKeyName(r.key.vault, r.key.name));
            if (it == key_slot_.end()) return;
            live_.keys.erase(it->second);
            key_slot_.erase(it);
          },
          [&](const PutRotationPolicy&) {},
          [&](const RotateToGeneration& r) {
            KeyState* k = FindKey(r.key.vault, r.key.name);
            if (k == nullptr || k->versions.empty()) return;
            KeyVersionState v = k->versions.back();
            v.version = kNewVersion;
            v.created = now_;
            k->versions.push_back(std::move(v));
          },
          [&](const RetireVersion& r) {
            KeyState* k = FindKey(r.key.vault, r.key.name);
            if (k == nullptr) return;
            for (auto& v : k->versions)
              if (EqualsIgnoreCase(v.version, r.version)) {
                if (r.action == "expire")
                  v.expires = now_;
                else
                  v.enabled = false;
              }
          },
          [&](const PutIdentity& r) {
            const IdentityState& d = r.identity;
            IdentityState* existing = FindIdentity(ArmRef{d.subscription, d.resource_group, d.name});
            std::string principal = existing ? existing->principal_id : "";
            IdentityState& i = existing ? *existing : live_.identities[change.address];
            i = d;
            i.principal_id = principal.empty() ? kNewPrincipal : principal;
            if (!existing)
              identity_slot_[NormalizedId(IdentityArmId(d.subscription, d.resource_group, d.name))] =
                  change.address;
          },
          [&](const DeleteIdentity& r) {
            auto it = identity_slot_.find(
                NormalizedId(IdentityArmId(r.identity.subscription, r.identity.resource_group, r.identity.name)));
            if (it == identity_slot_.end()) return;
            live_.identities.erase(it->second);
            identity_slot_.erase(it);
          },
          [&](const GrantRole& r) {
            RoleAssignmentState ra = r.assignment;
            // Resolved at apply: the identity's or the account's principal, as projected.
            if (ra.principal_id.empty() && r.principal.identity)
              if (const IdentityState* i = FindIdentity(*r.principal.identity)) ra.principal_id = i->principal_id;
            if (ra.principal_id.empty() && r.principal.consumer)
              if (const ConsumerState* a = FindConsumer(*r.principal.consumer))
                ra.principal_id = a->system_principal_id;
            if (ra.principal_id.empty()) ra.principal_id = kNewPrincipal;
            live_.role_assignments[ra.id.empty() ? change.address : ra.id] = std::move(ra);
          },
          [&](const DeleteRoleAssignment& r) {
            // Live assignments are keyed by their GUID (ARM name), as read.
            if (live_.role_assignments.erase(r.id) == 0) live_.role_assignments.erase(Lower(r.id));
          },
          [&](const EnableSystemIdentity& r) {
            if (ConsumerState* a = FindConsumer(r.consumer); a && a->system_principal_id.empty())
              a->system_principal_id = kNewPrincipal;
          },
          [&](const UpdateConsumerEncryption& r) {
            // The consumer's evidence comes when it adopts the new settings.
            if (ConsumerState* a = FindConsumer(r.consumer)) a->encryption = r.encryption;
          },
      },
      change.request);
}

}  // namespace cmk
