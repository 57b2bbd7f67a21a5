// The canary: proof that a key version works for its consumers.
//
// For one key version: fetch its public JWK through the provider, generate a
// random DEK, wrap it locally with the JWK and unwrap it through the vault
// (proving the vault holds the private half of the key it publishes), wrap
// and unwrap through the vault (the only path for oct keys), and compare in
// constant time. Run as a consumer, it first checks that the consumer's
// identity may use the key (a missing permission fails the consumer, not the
// key). Results record ids, algorithm, thumbprint and each step's outcome and
// latency; never the DEK or any wrapped value.
//
// Uses only the Provider interface and the crypto core. Not thread-safe (the
// provider it is given is not).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "provider/provider.h"
#include "model/state.h"

namespace cmk {

struct CanaryStep {
  std::string name;  // "get-public-key", "local-wrap", "vault-unwrap", ...
  bool ok = false;
  double millis = 0;
  std::string detail;  // the error, when !ok
};

enum class CanaryOutcome { kPassed, kFailed, kSkipped };
const char* CanaryOutcomeName(CanaryOutcome outcome);  // "pass", "FAIL", "skip"

struct CanaryResult {
  std::string key_address;  // "key/NAME"
  std::string consumer;     // "" for the key itself, else the consumer's address ("storage/ACCOUNT")
  std::string vault, key, version, kid;
  std::string algorithm;
  std::string thumbprint;   // RFC 7638, of the public JWK (RSA/EC)
  CanaryOutcome outcome = CanaryOutcome::kFailed;
  std::string message;      // why it failed or was skipped; "" when passed
  std::vector<CanaryStep> steps;
};

struct CanaryOptions {
  std::string rsa_algorithm = "RSA-OAEP-256";
};

// "https://v.vault.azure.net/keys/k/VERSION" -> VERSION ("" without a slash).
std::string VersionOfKid(const std::string& kid);

// The key-level canary for `version` of `key` (a live KeyState).
CanaryResult RunKeyCanary(Provider& provider, const KeyState& key, const std::string& version,
                          const CanaryOptions& options = {});

// The consumer canary for a consumer (any kind) bound to `key`: the version it
// really uses (from its evidence), its identity's permission on the key, then
// the key canary on that version. `principals` maps a user-assigned
// identity's ARM id (NormalizedId) to its principal id (PrincipalsOf).
using PrincipalsById = std::map<std::string, std::string>;
PrincipalsById PrincipalsOf(const std::map<std::string, IdentityState>& identities);
//
// `proven`, when given, is a key canary of this key run earlier in the same
// verify. If it passed on the version the consumer uses, its round trips stand
// for the consumer's (the same calls on the same version would prove nothing
// more, and would double a large estate's unwraps and Key Vault requests): the
// consumer result records a "key-canary" step naming it instead of repeating
// them. Otherwise the round trips run as the consumer's own.
CanaryResult RunConsumerCanary(Provider& provider, const ConsumerState& account,
                               const VaultState& vault, const KeyState& key,
                               const PrincipalsById& principals, const CanaryOptions& options = {},
                               const CanaryResult* proven = nullptr);

Json ToJson(const CanaryResult& result);

}  // namespace cmk
