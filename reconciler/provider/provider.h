// Provider: the one interface between the reconciler and a cloud.
//
// Operations mirror Azure's (ARM for vaults, identities, role assignments and
// storage accounts; the Key Vault data plane for keys) at the level of the
// state model, so that the sandbox, the REST provider and test wrappers are
// interchangeable. Each operation takes one request: a reference for reads
// (model/refs.h), a request struct named after the operation for writes
// (model/requests.h). A provider never decides policy (what is safe, what to
// prune): it does what it is told and reports Azure's answer as a Status.
// Get* return std::nullopt for "does not exist" (not an error).
//
// The operations are listed once, in CMK_PROVIDER_OPERATIONS; implementations
// declare their overrides from the same list (CMK_PROVIDER_OVERRIDES), and
// ForwardingProvider forwards each one.
//
// Implementations need not be thread-safe; the engine calls one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/status.h"
#include "model/refs.h"
#include "model/requests.h"
#include "model/state.h"

namespace cmk {

// What a provider says about itself, printed by every command.
struct TargetInfo {
  std::string kind;      // "sandbox" | "azure"
  std::string location;  // sandbox directory, or the ARM endpoint
  std::string ToString() const { return kind + ": " + location; }
};

// The public half of a key version as Key Vault returns it (JWK members).
struct PublicKey {
  std::string kid;
  std::string kty;
  std::vector<std::string> key_ops;
  std::string n, e;         // RSA, base64url
  std::string crv, x, y;    // EC, base64url
};

// What an operation answers: Status when it returns nothing, else Result<T>.
template <typename T>
using ProviderResult = std::conditional_t<std::is_void_v<T>, Status, Result<T>>;

// What the list operations are of.
using SubscriptionId = std::string;
using VaultName = std::string;
using ScopeId = std::string;  // an ARM id; assignments at it and below it

using VaultList = std::vector<VaultState>;
using KeyNames = std::vector<std::string>;
using IdentityList = std::vector<IdentityState>;
using RoleAssignmentList = std::vector<RoleAssignmentState>;
using ConsumerStates = std::vector<ConsumerState>;
using OptionalVault = std::optional<VaultState>;
using DeletedVaultList = std::vector<DeletedVaultState>;
using OptionalDeletedKey = std::optional<DeletedKeyState>;
using OptionalKey = std::optional<KeyState>;
using OptionalIdentity = std::optional<IdentityState>;
using OptionalConsumer = std::optional<ConsumerState>;

// X(Operation, Request, Answer). Lists are of one subscription (ListVaults,
// ListIdentities, ListConsumers of one kind), one vault (ListKeys: names of keys
// that are not managed by Key Vault itself) or one scope and below
// (ListRoleAssignments).
#define CMK_PROVIDER_OPERATIONS(X)                                    \
  /* Vaults (ARM). */                                                 \
  X(GetVault, ArmRef, OptionalVault)                                  \
  X(ListVaults, SubscriptionId, VaultList)                               \
  X(ListDeletedVaults, SubscriptionId, DeletedVaultList)                 \
  X(RecoverVault, RecoverVault, VaultState)                             \
  X(PutVault, PutVault, VaultState)                                   \
  X(DeleteVault, DeleteVault, void)                                   \
  /* Keys (data plane): every version, oldest first, and the policy. */ \
  X(GetKey, KeyRef, OptionalKey)                                      \
  X(ListKeys, VaultName, KeyNames)                                  \
  X(GetDeletedKey, KeyRef, OptionalDeletedKey)                        \
  X(RecoverKey, RecoverKey, KeyState)                                 \
  X(CreateKey, CreateKey, KeyState)                                   \
  X(UpdateKey, UpdateKey, KeyState)                                   \
  X(UpdateKeyVersion, UpdateKeyVersion, void)                         \
  X(RotateKey, RotateKey, KeyState)                                   \
  X(PutRotationPolicy, PutRotationPolicy, void)                       \
  X(DeleteKey, DeleteKey, void)                                       \
  X(GetPublicKey, KeyVersionRef, PublicKey)                           \
  X(WrapKey, WrapKey, Bytes)                                          \
  X(UnwrapKey, UnwrapKey, Bytes)                                      \
  /* User-assigned managed identities (ARM). */                       \
  X(GetIdentity, ArmRef, OptionalIdentity)                            \
  X(ListIdentities, SubscriptionId, IdentityList)                        \
  X(PutIdentity, PutIdentity, IdentityState)                          \
  X(DeleteIdentity, DeleteIdentity, void)                             \
  /* Role assignments (ARM). */                                       \
  X(ListRoleAssignments, ScopeId, RoleAssignmentList)             \
  X(PutRoleAssignment, PutRoleAssignment, RoleAssignmentState)        \
  X(DeleteRoleAssignment, DeleteRoleAssignment, void)                 \
  /* Consumers of keys, every kind (ARM): read; change only identity and \
     encryption. A kind the target does not have answers kFailedPrecondition. */ \
  X(GetConsumer, ConsumerRef, OptionalConsumer)                       \
  X(ListConsumers, ConsumerList, ConsumerStates)                      \
  X(EnableSystemIdentity, EnableSystemIdentity, ConsumerState)        \
  X(UpdateConsumerEncryption, UpdateConsumerEncryption, ConsumerState)

#define CMK_PROVIDER_PURE_(Operation, Request, Answer) \
  virtual ProviderResult<Answer> Operation(const ::cmk::Request& request) = 0;
// In an implementation's class body: the override of every operation.
#define CMK_PROVIDER_OVERRIDE_(Operation, Request, Answer) \
  ProviderResult<Answer> Operation(const ::cmk::Request& request) override;
#define CMK_PROVIDER_OVERRIDES CMK_PROVIDER_OPERATIONS(CMK_PROVIDER_OVERRIDE_)

class Provider {
 public:
  virtual ~Provider() = default;

  virtual TargetInfo Target() const = 0;
  // The target's clock, unix seconds: the sandbox's (maybe simulated) clock,
  // or Azure's as its responses state it.
  virtual int64_t Now() const = 0;
  // DNS suffix of vault URIs ("vault.azure.net", or the sandbox server's).
  virtual std::string VaultDnsSuffix() const { return "vault.azure.net"; }

  // The kinds of consumer this target has and can read; the reader asks for
  // these only, and a binding of another kind is an error naming the target.
  virtual std::vector<ConsumerKind> ConsumerKinds() const { return {ConsumerKind::kStorage}; }

  CMK_PROVIDER_OPERATIONS(CMK_PROVIDER_PURE_)

  // GetKey for many keys, of any vaults: result i answers keys[i], each
  // with its own outcome. The default reads them one by one; a provider may
  // read them concurrently (AzureProvider sends every GET of every vault as
  // one batch).
  virtual std::vector<Result<std::optional<KeyState>>> GetKeys(const std::vector<KeyRef>& keys) {
    std::vector<Result<std::optional<KeyState>>> out;
    out.reserve(keys.size());
    for (const auto& key : keys) out.push_back(GetKey(key));
    return out;
  }
};

}  // namespace cmk
