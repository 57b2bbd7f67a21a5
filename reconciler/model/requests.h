// Provider requests: one struct per operation that changes the cloud, named
// after the operation (provider/provider.h takes them), plus the read-only
// crypto calls. A plan's changes carry the write requests as they will be
// sent (engine/plan/change.h), so each one's JSON is the change's `request`
// payload in the saved plan, in the shapes docs/plan-format.md gives. Plain
// values; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/describe.h"
#include "model/refs.h"
#include "model/state.h"

namespace cmk {

using Bytes = std::vector<uint8_t>;

// Create or update a vault (ARM PUT). Creating over a soft-deleted vault of
// the same name is refused with a conflict that says so.
struct PutVault {
  VaultState vault;
};
// Soft delete; cmkctl never purges.
struct DeleteVault {
  ArmRef vault;
};
// Recovers a soft-deleted vault (ARM PUT, createMode recover): its keys and
// their versions come back; its role assignments do not.
struct RecoverVault {
  VaultState vault;
};
// Recovers a soft-deleted key with every version (Key Vault recover).
struct RecoverKey {
  KeyRef key;
};
// A new key, or a new version when the name exists (as Azure does).
struct CreateKey {
  KeyState key;
};
// The newest version's attributes: enabled, nbf, exp, key_ops, tags.
struct UpdateKey {
  KeyState key;
};
// One version's attributes: enabled, nbf, exp.
struct UpdateKeyVersion {
  KeyRef key;
  KeyVersionState attributes;
};
struct RotateKey {
  KeyRef key;
};
struct PutRotationPolicy {
  KeyRef key;
  RotationPolicyState policy;
};
// Soft delete; cmkctl never purges.
struct DeleteKey {
  KeyRef key;
};
struct WrapKey {
  KeyVersionRef key;
  std::string alg;
  Bytes plaintext;
};
struct UnwrapKey {
  KeyVersionRef key;
  std::string alg;
  Bytes ciphertext;
};
struct PutIdentity {
  IdentityState identity;
};
struct DeleteIdentity {
  ArmRef identity;
};
// Azure checks that the principal exists; a 409 RoleAssignmentExists (the
// same grant under another GUID) answers with the existing assignment.
struct PutRoleAssignment {
  RoleAssignmentState assignment;
};
struct DeleteRoleAssignment {
  std::string scope;
  std::string id;  // the assignment's GUID (its ARM name)
};
// Turns on a consumer's system-assigned identity.
struct EnableSystemIdentity {
  ConsumerRef consumer;
};
// Binds a consumer to a key: adds the encryption identity to its
// user-assigned identities and writes its encryption (Storage: PATCH of
// properties.encryption; SQL: a server key and the TDE protector; DES:
// activeKey and rotationToLatestKeyVersionEnabled). Azure checks that the
// identity may use the key.
struct UpdateConsumerEncryption {
  ConsumerRef consumer;
  EncryptionState encryption;
};

// The JSON payloads. Objects are written flat (a PutVault is the vault's own
// members), storage accounts as {storageAccount, subscription, resourceGroup}.
template <typename F, DescribesAs<PutVault> T>
void Describe(F& f, T& v) { Describe(f, v.vault); }
template <typename F, DescribesAs<DeleteVault> T>
void Describe(F& f, T& v) { Describe(f, v.vault); }
template <typename F, DescribesAs<RecoverVault> T>
void Describe(F& f, T& v) { Describe(f, v.vault); }
template <typename F, DescribesAs<RecoverKey> T>
void Describe(F& f, T& v) { Describe(f, v.key); }
template <typename F, DescribesAs<CreateKey> T>
void Describe(F& f, T& v) { Describe(f, v.key); }
template <typename F, DescribesAs<UpdateKey> T>
void Describe(F& f, T& v) { Describe(f, v.key); }
template <typename F, DescribesAs<DeleteKey> T>
void Describe(F& f, T& v) { Describe(f, v.key); }
template <typename F, DescribesAs<PutRotationPolicy> T>
void Describe(F& f, T& v) {
  f("vault", v.key.vault);
  f("key", v.key.name);
  f("policy", v.policy);
}
template <typename F, DescribesAs<PutIdentity> T>
void Describe(F& f, T& v) { Describe(f, v.identity); }
template <typename F, DescribesAs<DeleteIdentity> T>
void Describe(F& f, T& v) { Describe(f, v.identity); }
template <typename F, DescribesAs<DeleteRoleAssignment> T>
void Describe(F& f, T& v) {
  f("scope", v.scope);
  f("id", v.id);
}
// A consumer named the way bindings name it: {kind (not for storage),
// storageAccount | sqlServer | diskEncryptionSet, subscription, resourceGroup}.
template <typename F, typename C>  // ConsumerRef or const ConsumerRef
void DescribeConsumer(F& f, C& consumer) {
  f("kind", KindOf(consumer.kind), Emit::kIfSet);
  f(ConsumerNameMember(consumer.kind), consumer.name);
  f("subscription", consumer.subscription);
  f("resourceGroup", consumer.resource_group);
}
template <typename F, DescribesAs<EnableSystemIdentity> T>
void Describe(F& f, T& v) { DescribeConsumer(f, v.consumer); }
template <typename F, DescribesAs<UpdateConsumerEncryption> T>
void Describe(F& f, T& v) {
  DescribeConsumer(f, v.consumer);
  f("encryption", v.encryption);
}

}  // namespace cmk
