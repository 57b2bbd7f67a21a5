#include "verify/canary.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "crypto/crypto.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

// Roles that grant get + wrapKey + unwrapKey on keys.
constexpr const char* kKeyUseRoles[] = {
    "e147488a-f6f5-4113-8e2d-b22465e65bf6",  // Key Vault Crypto Service Encryption User
    "12338af0-0e69-4776-bea7-57ae8d297424",  // Key Vault Crypto User
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",  // Key Vault Crypto Officer
    "00482a5a-887f-4fb3-b363-3b7fe8e74483",  // Key Vault Administrator
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string TrailingGuid(const std::string& id) {
  auto slash = id.rfind('/');
  return Lower(slash == std::string::npos ? id : id.substr(slash + 1));
}

// Times one step and records it; returns the step's status.
template <typename F>
auto Step(CanaryResult& result, const std::string& name, F&& f) -> decltype(f()) {
  auto start = std::chrono::steady_clock::now();
  auto r = f();
  CanaryStep step;
  step.name = name;
  step.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  step.ok = r.ok();
  if (!r.ok()) step.detail = r.status().message();
  result.steps.push_back(step);
  return r;
}

void Fail(CanaryResult& result, const std::string& message) {
  result.outcome = CanaryOutcome::kFailed;
  if (result.message.empty()) result.message = message;
}

std::string AesAlgFor(int key_size) {
  switch (key_size) {
    case 128: return "A128KW";
    case 192: return "A192KW";
    default: return "A256KW";
  }
}

bool IsRsa(const std::string& kty) { return kty == "RSA" || kty == "RSA-HSM"; }
bool IsOct(const std::string& kty) { return kty == "oct" || kty == "oct-HSM"; }

}  // namespace

std::string VersionOfKid(const std::string& kid) {
  auto slash = kid.rfind('/');
  return slash == std::string::npos ? "" : kid.substr(slash + 1);
}

const char* CanaryOutcomeName(CanaryOutcome outcome) {
  switch (outcome) {
    case CanaryOutcome::kPassed: return "pass";
    case CanaryOutcome::kFailed: return "FAIL";
    case CanaryOutcome::kSkipped: return "skip";
  }
  return "?";
}

CanaryResult RunKeyCanary(Provider& provider, const KeyState& key, const std::string& version,
                          const CanaryOptions& options) {
  CanaryResult result;
  result.key_address = MakeAddress(Kind::kKey, key.name);
  result.vault = key.vault;
  result.key = key.name;
  result.version = version;
  if (!IsRsa(key.kty) && !IsOct(key.kty)) {
    result.outcome = CanaryOutcome::kSkipped;
    result.message = key.kty + " keys cannot wrap keys; they cannot serve as a CMK";
    return result;
  }
  result.algorithm = IsRsa(key.kty) ? options.rsa_algorithm : AesAlgFor(key.key_size);
  auto dek = GenerateDek();
  if (!dek.ok()) {
    Fail(result, "cannot generate a DEK: " + dek.status().message());
    return result;
  }
  const Bytes& plain = dek->bytes();

  if (IsRsa(key.kty)) {
    auto pub = Step(result, "get-public-key",
                    [&] { return provider.GetPublicKey(KeyVersionRef{key.vault, key.name, version}); });
    if (!pub.ok()) {
      Fail(result, "cannot read the public key: " + pub.status().message());
      return result;
    }
    result.kid = pub->kid;
    PublicJwk jwk;
    jwk.kty = "RSA";
    jwk.n = pub->n;
    jwk.e = pub->e;
    if (auto tp = JwkThumbprint(jwk); tp.ok()) result.thumbprint = *tp;
    auto alg = WrapAlgFromName(result.algorithm);
    if (!alg.ok()) {
      Fail(result, alg.status().message());
      return result;
    }
    auto local = Step(result, "local-wrap", [&] { return WrapWithPublic(jwk, *alg, plain); });
    if (!local.ok()) {
      Fail(result, "wrapping with the published public key failed: " + local.status().message());
      return result;
    }
    auto unwrapped = Step(result, "vault-unwrap-of-local-wrap", [&] {
      return provider.UnwrapKey(UnwrapKey{KeyVersionRef{key.vault, key.name, version}, result.algorithm, *local});
    });
    if (!unwrapped.ok()) {
      Fail(result, "the vault cannot unwrap what its public key wrapped: " + unwrapped.status().message());
      return result;
    }
    bool same = ConstantTimeEqual(*unwrapped, plain);
    result.steps.push_back({"compare-local", same, 0, same ? "" : "unwrapped DEK differs"});
    if (!same) {
      Fail(result, "the vault's unwrap of a locally wrapped DEK returned different bytes: the vault "
                   "does not hold the private half of the key it publishes, or it is corrupting data");
      return result;
    }
  }

  auto wrapped = Step(result, "vault-wrap", [&] {
    return provider.WrapKey(WrapKey{KeyVersionRef{key.vault, key.name, version}, result.algorithm, plain});
  });
  if (!wrapped.ok()) {
    Fail(result, "the vault refused to wrap: " + wrapped.status().message());
    return result;
  }
  auto back = Step(result, "vault-unwrap", [&] {
    return provider.UnwrapKey(UnwrapKey{KeyVersionRef{key.vault, key.name, version}, result.algorithm, *wrapped});
  });
  if (!back.ok()) {
    Fail(result, "the vault refused to unwrap: " + back.status().message());
    return result;
  }
  bool same = ConstantTimeEqual(*back, plain);
  result.steps.push_back({"compare-vault", same, 0, same ? "" : "unwrapped DEK differs"});
  if (!same) {
    Fail(result, "the vault's unwrap returned different bytes than were wrapped (corrupted unwrap)");
    return result;
  }
  result.outcome = CanaryOutcome::kPassed;
  return result;
}

PrincipalsById PrincipalsOf(const std::map<std::string, IdentityState>& identities) {
  PrincipalsById out;
  for (const auto& [address, i] : identities) out.emplace(NormalizedId(i.id), i.principal_id);
  return out;
}

CanaryResult RunConsumerCanary(Provider& provider, const ConsumerState& account,
                               const VaultState& vault, const KeyState& key,
                               const PrincipalsById& principals, const CanaryOptions& options,
                               const CanaryResult* proven) {
  CanaryResult result;
  result.key_address = MakeAddress(Kind::kKey, key.name);
  result.consumer = ConsumerAddress(account.kind, account.name);
  result.vault = key.vault;
  result.key = key.name;
  const EncryptionState& enc = account.encryption;
  if (Lower(enc.key_source) != "microsoft.keyvault") {
    result.message = result.consumer + " is not bound to a key vault key (keySource " + enc.key_source + ")";
    return result;
  }
  result.version = VersionOfKid(enc.current_versioned_key_id);
  if (result.version.empty()) {
    result.message = result.consumer + " reports no key version in use";
    return result;
  }
  // Who the account is when it calls the vault.
  std::string principal;
  std::string who;
  if (enc.user_assigned_identity.empty()) {
    principal = account.system_principal_id;
    who = "its system-assigned identity";
  } else {
    who = "user-assigned identity " + enc.user_assigned_identity.substr(enc.user_assigned_identity.rfind('/') + 1);
    if (auto it = principals.find(NormalizedId(enc.user_assigned_identity)); it != principals.end())
      principal = it->second;
  }
  if (principal.empty()) {
    result.message = result.consumer + ": " + who + " has no principal id";
    return result;
  }
  if (vault.rbac_authorization) {
    auto assignments = Step(result, "check-permission",
                            [&] { return provider.ListRoleAssignments(vault.id.empty()
                                      ? VaultArmId(vault.subscription, vault.resource_group, vault.name)
                                      : vault.id); });
    if (!assignments.ok()) {
      result.message = "cannot list role assignments: " + assignments.status().message();
      return result;
    }
    const std::string key_scope = Lower(KeyArmId(vault.subscription, vault.resource_group, vault.name, key.name));
    const std::string vault_scope = Lower(VaultArmId(vault.subscription, vault.resource_group, vault.name));
    bool allowed = false;
    for (const auto& a : *assignments) {
      if (Lower(a.principal_id) != Lower(principal)) continue;
      std::string scope = Lower(a.scope);
      if (scope != key_scope && scope != vault_scope) continue;
      std::string role = TrailingGuid(a.role_definition_id);
      for (const char* r : kKeyUseRoles)
        if (role == r) allowed = true;
    }
    if (!allowed) {
      result.steps.back().ok = false;
      result.steps.back().detail = "no role granting wrapKey/unwrapKey";
      result.message = result.consumer + ": " + who + " (principal " + principal +
                       ") holds no role granting get/wrapKey/unwrapKey on key/" + key.name +
                       " or vault/" + vault.name + " (e.g. Key Vault Crypto Service Encryption User)";
      return result;
    }
  }
  if (proven && proven->outcome == CanaryOutcome::kPassed && proven->consumer.empty() &&
      proven->vault == key.vault && proven->key == key.name && proven->version == result.version &&
      proven->algorithm == (IsRsa(key.kty) ? options.rsa_algorithm : AesAlgFor(key.key_size))) {
    result.kid = proven->kid;
    result.algorithm = proven->algorithm;
    result.thumbprint = proven->thumbprint;
    result.steps.push_back({"key-canary", true, 0,
                            "the key canary of this version passed in this run (" +
                                std::to_string(proven->steps.size()) + " steps)"});
    result.outcome = CanaryOutcome::kPassed;
    result.message.clear();
    return result;
  }
  CanaryResult key_result = RunKeyCanary(provider, key, result.version, options);
  key_result.consumer = result.consumer;
  key_result.steps.insert(key_result.steps.begin(), result.steps.begin(), result.steps.end());
  if (key_result.outcome == CanaryOutcome::kFailed)
    key_result.message = result.consumer + " uses version " + result.version + ": " + key_result.message;
  return key_result;
}

Json ToJson(const CanaryResult& r) {
  Json steps = Json::array();
  for (const auto& s : r.steps) {
    Json j{{"name", s.name}, {"ok", s.ok}, {"millis", s.millis}};
    if (!s.detail.empty()) j["detail"] = s.detail;
    steps.push_back(j);
  }
  Json j{{"key", r.key_address}, {"vault", r.vault},   {"version", r.version},
         {"kid", r.kid},         {"algorithm", r.algorithm}, {"thumbprint", r.thumbprint},
         {"outcome", CanaryOutcomeName(r.outcome)}, {"steps", steps}};
  if (!r.consumer.empty()) j["consumer"] = r.consumer;
  if (!r.message.empty()) j["message"] = r.message;
  return j;
}

}  // namespace cmk
