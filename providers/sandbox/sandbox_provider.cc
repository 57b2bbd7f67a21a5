#include "sandbox/sandbox_provider.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "base/strings.h"

namespace cmk {

Result<std::unique_ptr<SandboxProvider>> SandboxProvider::Open(const std::string& dir,
                                                               SandboxOptions options) {
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<SandboxCloud> cloud,
                       SandboxCloud::Open(dir, std::move(options)));
  return std::make_unique<SandboxProvider>(std::move(cloud));
}

Result<std::optional<VaultState>> SandboxProvider::GetVault(const ArmRef& r) {
  return cloud_->GetVault(r.subscription, r.resource_group, r.name);
}
Result<std::vector<VaultState>> SandboxProvider::ListVaults(const std::string& subscription) {
  return cloud_->ListVaults(subscription);
}
Result<VaultState> SandboxProvider::PutVault(const cmk::PutVault& r) {
  // As the REST provider does: cmkctl never writes access policies, so an
  // update passes the vault's own back.
  VaultState v = r.vault;
  CMK_ASSIGN_OR_RETURN(std::optional<VaultState> existing, cloud_->GetVaultByName(v.name));
  if (existing) v.access_policies = existing->access_policies;
  return cloud_->PutVault(v);
}
Result<std::vector<DeletedVaultState>> SandboxProvider::ListDeletedVaults(const std::string& subscription) {
  CMK_ASSIGN_OR_RETURN(std::vector<DeletedVault> deleted, cloud_->ListDeletedVaults(subscription));
  std::vector<DeletedVaultState> out;
  for (auto& d : deleted) out.push_back(DeletedVaultState{std::move(d.vault), d.deletion_date, d.scheduled_purge_date});
  return out;
}
Result<VaultState> SandboxProvider::RecoverVault(const cmk::RecoverVault& r) {
  return cloud_->RecoverVault(r.vault.name);
}
Result<std::optional<DeletedKeyState>> SandboxProvider::GetDeletedKey(const KeyRef& r) {
  CMK_ASSIGN_OR_RETURN(std::optional<DeletedKey> d, cloud_->GetDeletedKey(r.vault, r.name));
  if (!d) return std::optional<DeletedKeyState>();
  DeletedKeyState out;
  out.key = std::move(d->key);
  out.key.vault = d->vault;
  out.key.name = d->name;
  out.deletion_date = d->deletion_date;
  out.scheduled_purge_date = d->scheduled_purge_date;
  return std::optional<DeletedKeyState>(std::move(out));
}
Result<KeyState> SandboxProvider::RecoverKey(const cmk::RecoverKey& r) {
  return cloud_->RecoverKey(r.key.vault, r.key.name);
}
Status SandboxProvider::DeleteVault(const cmk::DeleteVault& r) {
  return cloud_->DeleteVault(r.vault.subscription, r.vault.resource_group, r.vault.name);
}

Result<std::optional<KeyState>> SandboxProvider::GetKey(const KeyRef& r) {
  return cloud_->GetKey(r.vault, r.name);
}
Result<std::vector<std::string>> SandboxProvider::ListKeys(const std::string& vault) {
  return cloud_->ListKeys(vault);
}
Result<KeyState> SandboxProvider::CreateKey(const cmk::CreateKey& r) { return cloud_->CreateKey(r.key); }
Result<KeyState> SandboxProvider::UpdateKey(const cmk::UpdateKey& r) { return cloud_->UpdateKey(r.key); }
Status SandboxProvider::UpdateKeyVersion(const cmk::UpdateKeyVersion& r) {
  return cloud_->UpdateKeyVersion(r.key.vault, r.key.name, r.attributes);
}
Result<KeyState> SandboxProvider::RotateKey(const cmk::RotateKey& r) {
  return cloud_->RotateKey(r.key.vault, r.key.name);
}
Status SandboxProvider::PutRotationPolicy(const cmk::PutRotationPolicy& r) {
  return cloud_->PutRotationPolicy(r.key.vault, r.key.name, r.policy);
}
Status SandboxProvider::DeleteKey(const cmk::DeleteKey& r) {
  return cloud_->DeleteKey(r.key.vault, r.key.name);
}
Result<PublicKey> SandboxProvider::GetPublicKey(const KeyVersionRef& r) {
  return cloud_->GetPublicKey(r.vault, r.name, r.version);
}
Result<Bytes> SandboxProvider::WrapKey(const cmk::WrapKey& r) {
  return cloud_->WrapKey(r.key.vault, r.key.name, r.key.version, r.alg, r.plaintext);
}
Result<Bytes> SandboxProvider::UnwrapKey(const cmk::UnwrapKey& r) {
  return cloud_->UnwrapKey(r.key.vault, r.key.name, r.key.version, r.alg, r.ciphertext);
}

Result<std::optional<IdentityState>> SandboxProvider::GetIdentity(const ArmRef& r) {
  return cloud_->GetIdentity(r.subscription, r.resource_group, r.name);
}
Result<std::vector<IdentityState>> SandboxProvider::ListIdentities(const std::string& subscription) {
  return cloud_->ListIdentities(subscription);
}
Result<IdentityState> SandboxProvider::PutIdentity(const cmk::PutIdentity& r) {
  return cloud_->PutIdentity(r.identity);
}
Status SandboxProvider::DeleteIdentity(const cmk::DeleteIdentity& r) {
  return cloud_->DeleteIdentity(r.identity.subscription, r.identity.resource_group, r.identity.name);
}

Result<std::vector<RoleAssignmentState>> SandboxProvider::ListRoleAssignments(const std::string& scope) {
  return cloud_->ListRoleAssignments(scope);
}
Result<RoleAssignmentState> SandboxProvider::PutRoleAssignment(const cmk::PutRoleAssignment& r) {
  return cloud_->PutRoleAssignment(r.assignment);
}
Status SandboxProvider::DeleteRoleAssignment(const cmk::DeleteRoleAssignment& r) {
  return cloud_->DeleteRoleAssignment(r.id);
}

std::vector<ConsumerKind> SandboxProvider::ConsumerKinds() const {
  auto all = AllConsumerKinds();
  return {all.begin(), all.end()};
}

Result<std::optional<ConsumerState>> SandboxProvider::GetConsumer(const ConsumerRef& r) {
  return cloud_->GetConsumer(r.kind, r.subscription, r.resource_group, r.name);
}
Result<std::vector<ConsumerState>> SandboxProvider::ListConsumers(const ConsumerList& r) {
  return cloud_->ListConsumers(r.kind, r.subscription);
}
Result<ConsumerState> SandboxProvider::EnableSystemIdentity(const cmk::EnableSystemIdentity& r) {
  const ConsumerRef& c = r.consumer;
  return cloud_->EnableSystemIdentity(c.kind, c.subscription, c.resource_group, c.name);
}
Result<ConsumerState> SandboxProvider::UpdateConsumerEncryption(const cmk::UpdateConsumerEncryption& r) {
  const ConsumerRef& c = r.consumer;
  return cloud_->UpdateConsumerEncryption(c.kind, c.subscription, c.resource_group, c.name,
                                          r.encryption);
}

void SandboxClock::Sleep(double seconds) {
  if (!(seconds > 0)) return;
  Result<bool> simulated = cloud_.ClockIsSimulated();
  if (simulated.ok() && *simulated) {
    unslept_ += seconds;
    auto whole = static_cast<int64_t>(std::floor(unslept_));
    if (whole > 0 && cloud_.AdvanceClock(whole).ok()) unslept_ -= double(whole);
    return;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

Result<std::vector<SimulatedEvent>> SandboxSimulation::EventsAfter(int64_t seq) {
  EventFilter filter;
  filter.after_seq = seq;
  CMK_ASSIGN_OR_RETURN(std::vector<SandboxEvent> events, cloud_.ListEvents(filter));
  std::vector<SimulatedEvent> out;
  out.reserve(events.size());
  for (auto& e : events)
    out.push_back({e.seq, e.time, std::move(e.kind), std::move(e.object), std::move(e.message)});
  return out;
}

Result<std::vector<SimulatedIncident>> SandboxSimulation::Incidents() {
  CMK_ASSIGN_OR_RETURN(std::vector<AccessIncident> incidents, cloud_.ListIncidents());
  std::vector<SimulatedIncident> out;
  out.reserve(incidents.size());
  for (auto& i : incidents)
    out.push_back({ConsumerAddress(i.kind, i.account), std::move(i.cause), i.since, i.until});
  return out;
}

}  // namespace cmk
