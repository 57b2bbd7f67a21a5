// Literal desired and live states shared by the engine tests.
#pragma once

#include <string>

#include "model/world.h"

namespace cmk {

inline constexpr const char* kSub = "11111111-1111-1111-1111-111111111111";
inline constexpr const char* kRg = "rg-bank";
inline constexpr const char* kCryptoUser = "e147488a-f6f5-4113-8e2d-b22465e65bf6";

template <typename T>
Sourced<T> At(T value, int line, const std::string& owner = "platform-security") {
  return Sourced<T>{std::move(value), SourceLoc{"manifests/bank.yaml", line, 1}, owner, {}};
}

VaultState Vault(const std::string& name);
KeyState Key(const std::string& vault, const std::string& name);
IdentityState Identity(const std::string& name);
RoleAssignmentState Assignment(const std::string& name, const std::string& scope,
                               PrincipalRef principal);
BindingState Binding(const std::string& name, const std::string& account, const std::string& key,
                     const std::string& identity_name);
ConsumerState Account(const std::string& name);
std::string BankKeyScope();

// vault/bank-kv, key/bank-cmk (+ rotation policy), identity/bank-uami,
// role-assignment/bank-uami-crypto (identity on the key),
// role-assignment/archive-crypto (archive01's system identity on the key),
// binding/bankdata (user-assigned), binding/archive (system), hook/notify.
DesiredState BankDesired();

// The rich golden scenario: BankDesired plus a legacy vault with errors, and
// a live state giving creates, updates, no-ops, errors and warnings.
DesiredState RichDesired();
LiveState RichLive();

}  // namespace cmk
