// AzureProvider: the Provider interface over ARM and the Key Vault data plane.
//
// Built from AzureProviderOptions (endpoints, credential choice, CA bundle,
// retry and rate budgets), usually via AzureOptionsFromEnv + flags and
// AzureProvider::Create. Owns its transport, credential, retrier and rate
// limiter. Create/rotate are never sent twice blindly: a failed attempt is
// followed by a re-read of the key's versions. A 409 RoleAssignmentExists is
// resolved to the assignment that already grants the role. Reads of a key
// (bundle, versions, rotation policy), and of several keys through GetKeys,
// run as one concurrent batch. Not thread-safe (the engine calls one method
// at a time); the concurrency stays inside the transport.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "azure/arm_client.h"
#include "azure/azure_endpoints.h"
#include "azure/credentials.h"
#include "azure/keyvault_client.h"
#include "azure/pipeline.h"
#include "azure/rate_limiter.h"
#include "azure/retry_policy.h"
#include "azure/target_clock.h"
#include "provider/provider.h"

namespace cmk {

struct AzureProviderOptions {
  AzureEndpoints endpoints;
  CredentialOptions credential;
  std::string ca_bundle;   // --ca-bundle / CMKCTL_CA_BUNDLE
  std::string tenant_id;   // for vault bodies; "" = existing vault's, then the token's tid
  RetryOptions retry;
  RateBudgets rate;        // rate.fraction: CMKCTL_RATE_FRACTION
  LroOptions lro;
  int principal_not_found_retries = 6;  // PrincipalNotFound after a new identity
  int max_connections = 8;              // batched reads: connections at once
  // Bounds of one HTTP attempt (--connect-timeout, --timeout; CMKCTL_CONNECT_TIMEOUT,
  // CMKCTL_TIMEOUT in seconds). A host that still does not answer after the
  // retries is not asked again in the same run (see Pipeline).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  std::shared_ptr<std::atomic<bool>> cancel;  // optional
  // Tests only: plain-http endpoints may receive bearer tokens and secrets.
  bool allow_insecure_http_for_tests = false;
};

// Defaults, then the cloud (`cloud`, a --cloud value, else AZURE_CLOUD or
// ARM_ENVIRONMENT), CMKCTL_ARM_ENDPOINT, CMKCTL_VAULT_DNS_SUFFIX,
// AZURE_AUTHORITY_HOST, CMKCTL_CA_BUNDLE, AZURE_TENANT_ID,
// CMKCTL_AZURE_CREDENTIAL (a credential name), CMKCTL_RATE_FRACTION,
// CMKCTL_MAX_CONNECTIONS, CMKCTL_CONNECT_TIMEOUT and CMKCTL_TIMEOUT (seconds);
// ARM_* aliases as WithArmAliases reads them. Fails
// only on an unknown cloud name.
Result<AzureProviderOptions> AzureOptionsFromEnv(const EnvGetter& env,
                                                 const std::string& cloud = "");

// Replaceable pieces (tests): every member left empty gets the real one.
struct AzureTestHooks {
  Sleeper sleeper;
  std::function<double()> random01;
  UnixClock clock;                                // unix seconds
  std::function<double()> monotonic_seconds;  // rate limiter clock
  CommandRunner command_runner;
};

class AzureProvider : public Provider {
 public:
  // `transport` null = the curl transport built from the options.
  static Result<std::unique_ptr<AzureProvider>> Create(AzureProviderOptions options,
                                                       std::unique_ptr<HttpTransport> transport = nullptr,
                                                       const EnvGetter& env = ProcessEnv(),
                                                       AzureTestHooks hooks = {});

  TargetInfo Target() const override;
  // The target's clock: the latest Date header of an ARM or Key Vault
  // response (this machine's clock until one arrives).
  int64_t Now() const override;
  std::string VaultDnsSuffix() const override { return options_.endpoints.vault_dns_suffix; }
  // Storage accounts, SQL servers and disk encryption sets.
  std::vector<ConsumerKind> ConsumerKinds() const override;

  CMK_PROVIDER_OVERRIDES

  // Their GETs (bundle, versions, rotation policy, then older versions'
  // bundles), for every key of every vault, run as batches, concurrently
  // over the curl transport.
  std::vector<Result<std::optional<KeyState>>> GetKeys(const std::vector<KeyRef>& keys) override;

  // The credential that produced the last token ("" before any), for -v.
  std::string CredentialName() const;
  RateLimiter& rate_limiter() { return *limiter_; }

 private:
  // Each kind of consumer, behind GetConsumer and the rest.
  Result<std::optional<ConsumerState>> GetStorageAccount(const ArmRef& account);
  Result<std::vector<ConsumerState>> ListStorageAccounts(const std::string& subscription);
  Result<ConsumerState> EnableStorageSystemIdentity(const ArmRef& account);
  Result<ConsumerState> UpdateStorageEncryption(const ArmRef& account, const EncryptionState& encryption);
  // consumer_sql.cc: a server with its protector and (Key Vault protector
  // only) its server keys.
  Result<std::optional<ConsumerState>> GetSqlServer(const ArmRef& server);
  Result<std::vector<ConsumerState>> ListSqlServers(const std::string& subscription);
  Result<ConsumerState> EnableSqlSystemIdentity(const ArmRef& server);
  Result<ConsumerState> UpdateSqlEncryption(const ArmRef& server, const EncryptionState& encryption);
  Result<ConsumerState> SqlServerWithEncryption(const Json& server);
  // consumer_des.cc.
  Result<std::optional<ConsumerState>> GetDiskEncryptionSet(const ArmRef& set);
  Result<std::vector<ConsumerState>> ListDiskEncryptionSets(const std::string& subscription);
  Result<ConsumerState> EnableDesSystemIdentity(const ArmRef& set);
  Result<ConsumerState> UpdateDesEncryption(const ArmRef& set, const EncryptionState& encryption);
  Result<ConsumerState> PatchDiskEncryptionSet(const ArmRef& set, const Json& body);
  // The versioned key id a binding writes: its pinned version, else the
  // key's newest one (read with GetKey). SQL server keys and DES activeKey
  // are always versioned.
  Result<std::string> VersionedKeyId(const EncryptionState& encryption, const std::string& object);

  AzureProvider(AzureProviderOptions options, std::unique_ptr<HttpTransport> transport,
                AzureTestHooks hooks);
  Result<std::vector<KeyVersionState>> ListVersions(const std::string& vault, const std::string& name);
  // Replaces the list's view of every non-newest version by its bundle
  // (which adds key_ops), in one batch over all `keys`; a key whose
  // version read fails becomes that error.
  void FillOlderVersions(std::vector<Result<std::optional<KeyState>>>& keys);
  // After a 409 RoleAssignmentExists: the assignment granting the same role
  // to the same principal at the same scope under another GUID.
  Result<RoleAssignmentState> FindExistingRoleAssignment(const RoleAssignmentState& desired);
  // POST create/rotate with the re-read rule; returns the key afterwards.
  Result<KeyState> NonIdempotentKeyPost(const std::string& vault, const std::string& name,
                                        const std::string& path, const std::optional<Json>& body,
                                        const std::string& operation);

  AzureProviderOptions options_;
  AzureTestHooks hooks_;
  std::unique_ptr<HttpTransport> transport_;
  // The target's time (Now()), from the Date of every ARM and Key Vault answer.
  std::unique_ptr<TargetClock> target_clock_;
  std::unique_ptr<ClockObservingTransport> target_transport_;
  std::unique_ptr<CachingCredential> credential_;
  std::unique_ptr<Retrier> retrier_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<ArmClient> arm_;
  std::unique_ptr<KeyVaultClient> kv_;
};

}  // namespace cmk
