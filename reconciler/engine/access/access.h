// Access analysis: whether each consumer of a managed key can use the key
// version it uses, decided by cmkctl from the live state it read, not from a
// target's own verdict, so it answers alike in-process and over the wire.
//
// A consumer (a storage account, SQL server or disk encryption set bound to
// a Key Vault key) can use its version when: the vault and key exist; the
// vault's firewall lets trusted Azure services through (Deny without the
// AzureServices bypass shuts every consumer kind out); its identity (user-assigned, else the system-assigned one) exists
// and, on an RBAC vault, holds a role granting get/wrapKey/unwrapKey at the
// key or any scope above it (vault, resource group, subscription); and the
// version exists, is enabled, not expired and past its not-before. The
// causes use the sandbox's words. Access-policy vaults are not judged
// (their policies are not read). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/read/live_query.h"
#include "model/world.h"

namespace cmk {

struct ConsumerAccess {
  std::string consumer;  // its address: "storage/NAME", "sql/NAME", "des/NAME"
  std::string vault;     // vault name of the key it uses
  std::string key;       // key name
  std::string version;   // the version it uses: its evidence, else its pin, else the newest
  std::optional<std::string> cause;  // why it cannot use it; nullopt: it can
};

// Every consumer in `live` whose key's vault the query read (a vault it did
// not read cannot be judged), sorted by consumer.
std::vector<ConsumerAccess> AnalyseAccess(const LiveState& live, const LiveQuery& query, int64_t now);

// What a consumer's service requires of a customer-managed key, checked
// before a binding is written, all reasons at once: an RSA or RSA-HSM key of
// a size the kind accepts (ConsumerTraits::rsa_sizes) permitting wrapKey and
// unwrapKey, enabled and not expired; purge protection on the vault; the
// vault reachable by trusted services (Deny needs the AzureServices bypass);
// the identity present and granted get/wrapKey/unwrapKey at the key or
// above. Sources per kind: docs/consumers.md.
// Indexes `live` once; Problems is empty when the service would accept the
// binding `consumer` carries in its encryption settings.
class ConsumerPreflight {
 public:
  ConsumerPreflight(const LiveState& live, int64_t now);
  ~ConsumerPreflight();
  std::vector<std::string> Problems(const ConsumerState& consumer) const;

  struct Indexes;  // shared with AnalyseAccess (access.cc)

 private:
  std::unique_ptr<Indexes> ix_;
  int64_t now_;
};

}  // namespace cmk
