// AzureProvider: construction and the ARM resources (vaults, identities,
// role assignments, storage accounts). Keys are in azure_provider_keys.cc.
#include "azure/azure_provider.h"

#include "base/log.h"
#include "base/duration.h"

#include <algorithm>
#include <ctime>
#include <random>

#include "azure/error_mapping.h"
#include "azure/wire_mapping.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"

namespace cmk {

Result<AzureProviderOptions> AzureOptionsFromEnv(const EnvGetter& process_env,
                                                 const std::string& cloud) {
  AzureProviderOptions o;
  CMK_ASSIGN_OR_RETURN(o.endpoints, EndpointsFromEnv(process_env, cloud));
  const EnvGetter env = WithArmAliases(process_env);
  // The credential's authority is left to Create: flags may still move it.
  o.credential.named = env("CMKCTL_AZURE_CREDENTIAL").value_or("");
  o.ca_bundle = env("CMKCTL_CA_BUNDLE").value_or("");
  o.tenant_id = env("AZURE_TENANT_ID").value_or("");
  if (auto f = env("CMKCTL_RATE_FRACTION")) {
    char* end = nullptr;
    double v = std::strtod(f->c_str(), &end);
    if (end != f->c_str() && v > 0 && v <= 1) o.rate.fraction = v;
  }
  auto seconds = [&](const char* name, std::chrono::milliseconds& out) {
    auto v = env(name);
    if (!v) return;
    char* end = nullptr;
    double d = std::strtod(v->c_str(), &end);
    if (end != v->c_str() && *end == '\0' && d > 0 && d <= 3600)
      out = std::chrono::milliseconds(static_cast<int64_t>(d * 1000));
  };
  seconds("CMKCTL_CONNECT_TIMEOUT", o.connect_timeout);
  seconds("CMKCTL_TIMEOUT", o.request_timeout);
  if (auto c = env("CMKCTL_MAX_CONNECTIONS")) {
    char* end = nullptr;
    long v = std::strtol(c->c_str(), &end, 10);
    if (end != c->c_str() && *end == '\0' && v >= 1 && v <= 64) o.max_connections = static_cast<int>(v);
  }
  return o;
}

AzureProvider::AzureProvider(AzureProviderOptions options, std::unique_ptr<HttpTransport> transport,
                             AzureTestHooks hooks)
    : options_(std::move(options)), hooks_(std::move(hooks)), transport_(std::move(transport)) {}

Result<std::unique_ptr<AzureProvider>> AzureProvider::Create(AzureProviderOptions options,
                                                             std::unique_ptr<HttpTransport> transport,
                                                             const EnvGetter& env,
                                                             AzureTestHooks hooks) {
  if (!transport) {
    CurlTransportOptions t;
    t.ca_bundle = options.ca_bundle;
    t.cancel = options.cancel;
    t.max_connections = options.max_connections;
    t.connect_timeout = options.connect_timeout;
    t.user_agent = std::string("cmkctl/") + CMK_VERSION;
    transport = MakeCurlTransport(t);
  }
  if (!hooks.sleeper) hooks.sleeper = RealSleeper();
  if (!hooks.clock) hooks.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
  if (!hooks.random01) {
    auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
    hooks.random01 = [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
  }
  if (!hooks.monotonic_seconds)
    hooks.monotonic_seconds = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
  if (!hooks.command_runner) hooks.command_runner = RealCommandRunner();
  if (options.credential.authority_host.empty())
    options.credential.authority_host = options.endpoints.authority_host;
  options.credential.allow_insecure_http_for_tests |= options.allow_insecure_http_for_tests;
  if (!options.credential.sleeper) options.credential.sleeper = hooks.sleeper;

  CMK_LOG(kDebug, "azure: ARM ", options.endpoints.arm, ", authority ",
          options.credential.authority_host, ", vaults https://{vault}.",
          options.endpoints.vault_dns_suffix);
  std::unique_ptr<AzureProvider> p(
      new AzureProvider(std::move(options), std::move(transport), std::move(hooks)));
  CMK_ASSIGN_OR_RETURN(p->credential_, MakeCredential(p->options_.credential, env, *p->transport_,
                                                      p->hooks_.clock, p->hooks_.command_runner));
  p->retrier_ = std::make_unique<Retrier>(p->options_.retry, p->hooks_.sleeper, p->hooks_.random01,
                                          p->hooks_.clock);
  p->limiter_ = std::make_unique<RateLimiter>(p->options_.rate, p->hooks_.monotonic_seconds,
                                              p->hooks_.sleeper);
  p->target_clock_ = std::make_unique<TargetClock>(p->hooks_.clock);
  p->target_transport_ = std::make_unique<ClockObservingTransport>(*p->transport_, *p->target_clock_);
  p->pipeline_ = std::make_unique<Pipeline>(*p->target_transport_, *p->credential_, *p->retrier_,
                                            *p->limiter_, p->options_.allow_insecure_http_for_tests);
  p->pipeline_->set_request_timeout(p->options_.request_timeout);
  p->arm_ = std::make_unique<ArmClient>(*p->pipeline_, p->options_.endpoints, p->options_.lro);
  p->kv_ = std::make_unique<KeyVaultClient>(*p->pipeline_, p->options_.endpoints);
  return p;
}

TargetInfo AzureProvider::Target() const { return {"azure", options_.endpoints.arm}; }
int64_t AzureProvider::Now() const { return target_clock_->Now(); }
std::string AzureProvider::CredentialName() const { return credential_ ? credential_->Name() : ""; }

// ---- Vaults.

Result<std::optional<VaultState>> AzureProvider::GetVault(const ArmRef& request) {
  const auto& [subscription, resource_group, name] = request;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> j,
                       arm_->Get(VaultArmId(subscription, resource_group, name), kVaultsApiVersion,
                                 "vault " + name));
  if (!j) return std::optional<VaultState>();
  return std::optional<VaultState>(VaultFromArm(*j));
}

Result<std::vector<VaultState>> AzureProvider::ListVaults(const std::string& subscription) {
  CMK_ASSIGN_OR_RETURN(std::vector<Json> items,
                       arm_->List("/subscriptions/" + subscription + "/providers/Microsoft.KeyVault/vaults",
                                  kVaultsApiVersion, "vaults of subscription " + subscription));
  std::vector<VaultState> out;
  for (const auto& j : items) out.push_back(VaultFromArm(j));
  std::sort(out.begin(), out.end(), [](const VaultState& a, const VaultState& b) {
    return Lower(a.name) < Lower(b.name);
  });
  return out;
}

Result<std::vector<DeletedVaultState>> AzureProvider::ListDeletedVaults(const std::string& subscription) {
  CMK_ASSIGN_OR_RETURN(std::vector<Json> items,
                       arm_->List("/subscriptions/" + subscription + "/providers/Microsoft.KeyVault/deletedVaults",
                                  kVaultsApiVersion, "deleted vaults of subscription " + subscription));
  std::vector<DeletedVaultState> out;
  for (const auto& j : items) {
    DeletedVaultInfo info = DeletedVaultFromArm(j);
    ArmIdParts parts = ParseArmId(info.vault_id);
    DeletedVaultState d;
    d.vault.name = info.name;
    d.vault.subscription = parts.subscription.empty() ? subscription : parts.subscription;
    d.vault.resource_group = parts.resource_group;
    d.vault.location = info.location;
    d.vault.purge_protection = info.purge_protection;
    if (Result<int64_t> t = ParseRfc3339(info.deletion_date); t.ok()) d.deletion_date = *t;
    if (Result<int64_t> t = ParseRfc3339(info.scheduled_purge_date); t.ok()) d.scheduled_purge_date = *t;
    out.push_back(std::move(d));
  }
  return out;
}

Result<VaultState> AzureProvider::RecoverVault(const cmk::RecoverVault& request) {
  const VaultState& v = request.vault;
  std::string path = VaultArmId(v.subscription, v.resource_group, v.name);
  CMK_ASSIGN_OR_RETURN(std::string tenant, arm_->TokenTenant());
  Json body = VaultPutBody(v, tenant);
  body["properties"]["createMode"] = "recover";
  CMK_ASSIGN_OR_RETURN(Json put, arm_->Write("PUT", path, kVaultsApiVersion, body, "vault " + v.name));
  return VaultFromArm(put);
}

Result<VaultState> AzureProvider::PutVault(const cmk::PutVault& request) {
  const VaultState& desired = request.vault;
  std::string path = VaultArmId(desired.subscription, desired.resource_group, desired.name);
  std::string object = "vault " + desired.name;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> existing, arm_->Get(path, kVaultsApiVersion, object));
  std::string tenant = options_.tenant_id;
  Json policies = Json::array();
  if (existing) {
    const Json& p = (*existing)["properties"];
    if (p.is_object() && p.contains("tenantId") && p["tenantId"].is_string())
      tenant = p["tenantId"].get<std::string>();
    if (p.is_object() && p.contains("accessPolicies") && p["accessPolicies"].is_array())
      policies = p["accessPolicies"];
  }
  if (tenant.empty()) {
    CMK_ASSIGN_OR_RETURN(tenant, arm_->TokenTenant());
  }
  Result<Json> put = arm_->Write("PUT", path, kVaultsApiVersion,
                                 VaultPutBody(desired, tenant, policies), object);
  if (!put.ok() && put.status().code() == StatusCode::kConflict && !existing) {
    // Say plainly when a soft-deleted vault holds the name.
    Result<std::optional<Json>> deleted = arm_->Get(
        "/subscriptions/" + desired.subscription + "/providers/Microsoft.KeyVault/locations/" +
            desired.location + "/deletedVaults/" + desired.name,
        kVaultsApiVersion, "deleted vault " + desired.name);
    if (deleted.ok() && deleted->has_value()) {
      DeletedVaultInfo d = DeletedVaultFromArm(**deleted);
      return Conflict("vault " + desired.name + " is soft-deleted (deleted " + d.deletion_date +
                      ", scheduled purge " + d.scheduled_purge_date +
                      (d.purge_protection ? ", purge protection on" : "") +
                      "): recover it (createMode recover) or purge it before creating it again");
    }
  }
  if (!put.ok()) return put.status();
  return VaultFromArm(*put);
}

Status AzureProvider::DeleteVault(const cmk::DeleteVault& request) {
  const ArmRef& vault = request.vault;
  return arm_->Delete(VaultArmId(vault.subscription, vault.resource_group, vault.name),
                      kVaultsApiVersion, "vault " + vault.name);
}

// ---- Identities.

Result<std::optional<IdentityState>> AzureProvider::GetIdentity(const ArmRef& request) {
  const auto& [subscription, resource_group, name] = request;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> j,
                       arm_->Get(IdentityArmId(subscription, resource_group, name),
                                 kIdentityApiVersion, "identity " + name));
  if (!j) return std::optional<IdentityState>();
  return std::optional<IdentityState>(IdentityFromArm(*j));
}

Result<std::vector<IdentityState>> AzureProvider::ListIdentities(const std::string& subscription) {
  CMK_ASSIGN_OR_RETURN(
      std::vector<Json> items,
      arm_->List("/subscriptions/" + subscription +
                     "/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
                 kIdentityApiVersion, "identities of subscription " + subscription));
  std::vector<IdentityState> out;
  for (const auto& j : items) out.push_back(IdentityFromArm(j));
  std::sort(out.begin(), out.end(), [](const IdentityState& a, const IdentityState& b) {
    return Lower(a.id) < Lower(b.id);
  });
  return out;
}

Result<IdentityState> AzureProvider::PutIdentity(const cmk::PutIdentity& request) {
  const IdentityState& desired = request.identity;
  CMK_ASSIGN_OR_RETURN(Json j, arm_->Write("PUT",
                                           IdentityArmId(desired.subscription,
                                                         desired.resource_group, desired.name),
                                           kIdentityApiVersion, IdentityPutBody(desired),
                                           "identity " + desired.name));
  return IdentityFromArm(j);
}

Status AzureProvider::DeleteIdentity(const cmk::DeleteIdentity& request) {
  const ArmRef& identity = request.identity;
  return arm_->Delete(IdentityArmId(identity.subscription, identity.resource_group, identity.name),
                      kIdentityApiVersion, "identity " + identity.name);
}

// ---- Role assignments.

Result<std::vector<RoleAssignmentState>> AzureProvider::ListRoleAssignments(
    const std::string& scope) {
  std::string s = scope;
  while (!s.empty() && s.back() == '/') s.pop_back();
  // Without $filter ARM returns assignments at, above and below the scope.
  CMK_ASSIGN_OR_RETURN(std::vector<Json> items,
                       arm_->List(s + "/providers/Microsoft.Authorization/roleAssignments",
                                  kRoleAssignmentsApiVersion, "role assignments at " + s));
  std::vector<RoleAssignmentState> out;
  for (const auto& j : items) {
    RoleAssignmentState r = RoleAssignmentFromArm(j);
    if (UnderScope(r.scope, s)) out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const RoleAssignmentState& a, const RoleAssignmentState& b) {
    return a.id < b.id;
  });
  return out;
}

Result<RoleAssignmentState> AzureProvider::PutRoleAssignment(const cmk::PutRoleAssignment& request) {
  const RoleAssignmentState& desired = request.assignment;
  std::string path = RoleAssignmentPath(desired.scope, desired.id);
  std::string object = "role assignment " + desired.id + " (" + desired.name + ")";
  std::string subscription = ParseArmId(desired.scope).subscription;
  Json body = RoleAssignmentPutBody(desired, subscription);
  for (int attempt = 1;; ++attempt) {
    CMK_ASSIGN_OR_RETURN(HttpResponse r, arm_->Call("PUT", path, kRoleAssignmentsApiVersion, body));
    if (r.status == 200 || r.status == 201) {
      Json j = Json::parse(r.body, nullptr, false);
      RoleAssignmentState out = j.is_object() ? RoleAssignmentFromArm(j) : desired;
      if (out.name.empty()) out.name = desired.name;
      return out;
    }
    AzureError e = ParseAzureError(r.body);
    if (r.status == 409 && e.HasCode("RoleAssignmentExists")) {
      CMK_LOG(kDebug, object, ": the same grant already exists under another name; looking it up");
      return FindExistingRoleAssignment(desired);
    }
    if (r.status == 400 && e.HasCode("PrincipalNotFound") &&
        attempt <= options_.principal_not_found_retries) {
      // A new identity takes a while to replicate to the directory.
      Millis d = BackoffDelay(options_.retry, attempt + 1, hooks_.random01());
      CMK_LOG(kDebug, object, ": principal ", desired.principal_id, " not found yet; retrying in ",
              d.count(), " ms");
      hooks_.sleeper(d);
      continue;
    }
    return StatusFromResponse(r, "create", object);
  }
}

Result<RoleAssignmentState> AzureProvider::FindExistingRoleAssignment(
    const RoleAssignmentState& desired) {
  std::string scope = desired.scope;
  while (!scope.empty() && scope.back() == '/') scope.pop_back();
  std::string role = Lower(TrailingSegment(desired.role_definition_id));
  // The principal filter returns the principal's assignments at, above and
  // below the scope: keep the one exactly at the scope with the same role.
  std::string filter = "principalId eq '" + desired.principal_id + "'";
  CMK_ASSIGN_OR_RETURN(
      std::vector<Json> items,
      arm_->List(scope + "/providers/Microsoft.Authorization/roleAssignments?$filter=" +
                     UrlEncode(filter),
                 kRoleAssignmentsApiVersion, "role assignments of principal " +
                                                 desired.principal_id + " at " + scope));
  std::vector<RoleAssignmentState> matches;
  for (const auto& j : items) {
    RoleAssignmentState r = RoleAssignmentFromArm(j);
    if (r.scope.empty()) r.scope = scope;
    if (SameUri(r.scope, scope) && EqualsIgnoreCase(r.principal_id, desired.principal_id) &&
        r.role_definition_id == role)
      matches.push_back(std::move(r));
  }
  if (matches.empty())
    return Conflict("role assignment " + desired.id + " (" + desired.name +
                    "): Azure says role " + role + " is already assigned to principal " +
                    desired.principal_id + " at " + scope +
                    " (RoleAssignmentExists), but no such assignment is visible there");
  std::sort(matches.begin(), matches.end(),
            [](const RoleAssignmentState& a, const RoleAssignmentState& b) { return a.id < b.id; });
  RoleAssignmentState out = std::move(matches.front());
  if (out.name.empty()) out.name = desired.name;
  CMK_LOG(kDebug, "role assignment ", desired.id, ": the grant exists as ", out.id);
  return out;
}

Status AzureProvider::DeleteRoleAssignment(const cmk::DeleteRoleAssignment& assignment) {
  return arm_->Delete(RoleAssignmentPath(assignment.scope, assignment.id),
                      kRoleAssignmentsApiVersion, "role assignment " + assignment.id);
}

// ---- Consumers: each kind in its own functions.

std::vector<ConsumerKind> AzureProvider::ConsumerKinds() const {
  return {ConsumerKind::kStorage, ConsumerKind::kSqlServer, ConsumerKind::kDiskEncryptionSet};
}

Result<std::optional<ConsumerState>> AzureProvider::GetConsumer(const ConsumerRef& request) {
  switch (request.kind) {
    case ConsumerKind::kStorage: return GetStorageAccount(request.Arm());
    case ConsumerKind::kSqlServer: return GetSqlServer(request.Arm());
    case ConsumerKind::kDiskEncryptionSet: return GetDiskEncryptionSet(request.Arm());
  }
  return FailedPrecondition(std::string("cmkctl cannot read ") + Traits(request.kind).noun + "s on Azure");
}
Result<std::vector<ConsumerState>> AzureProvider::ListConsumers(const ConsumerList& request) {
  switch (request.kind) {
    case ConsumerKind::kStorage: return ListStorageAccounts(request.subscription);
    case ConsumerKind::kSqlServer: return ListSqlServers(request.subscription);
    case ConsumerKind::kDiskEncryptionSet: return ListDiskEncryptionSets(request.subscription);
  }
  return FailedPrecondition(std::string("cmkctl cannot read ") + Traits(request.kind).noun + "s on Azure");
}
Result<ConsumerState> AzureProvider::EnableSystemIdentity(const cmk::EnableSystemIdentity& request) {
  switch (request.consumer.kind) {
    case ConsumerKind::kStorage: return EnableStorageSystemIdentity(request.consumer.Arm());
    case ConsumerKind::kSqlServer: return EnableSqlSystemIdentity(request.consumer.Arm());
    case ConsumerKind::kDiskEncryptionSet: return EnableDesSystemIdentity(request.consumer.Arm());
  }
  return FailedPrecondition(std::string("cmkctl cannot change ") + Traits(request.consumer.kind).noun + "s on Azure");
}
Result<ConsumerState> AzureProvider::UpdateConsumerEncryption(const cmk::UpdateConsumerEncryption& request) {
  switch (request.consumer.kind) {
    case ConsumerKind::kStorage: return UpdateStorageEncryption(request.consumer.Arm(), request.encryption);
    case ConsumerKind::kSqlServer: return UpdateSqlEncryption(request.consumer.Arm(), request.encryption);
    case ConsumerKind::kDiskEncryptionSet: return UpdateDesEncryption(request.consumer.Arm(), request.encryption);
  }
  return FailedPrecondition(std::string("cmkctl cannot change ") + Traits(request.consumer.kind).noun + "s on Azure");
}

Result<std::string> AzureProvider::VersionedKeyId(const EncryptionState& e, const std::string& object) {
  std::string vault_uri = e.key_vault_uri;
  while (!vault_uri.empty() && vault_uri.back() == '/') vault_uri.pop_back();
  const std::string vault = VaultNameOfUri(vault_uri);
  if (vault.empty() || e.key_name.empty())
    return InvalidArgument(object + ": the binding names no Key Vault key (vault URI '" + e.key_vault_uri +
                           "', key '" + e.key_name + "')");
  const std::string base = vault_uri + "/keys/" + e.key_name + "/";
  if (!e.key_version.empty()) return base + e.key_version;
  CMK_ASSIGN_OR_RETURN(std::optional<KeyState> key, GetKey(KeyRef{vault, e.key_name}));
  if (!key || key->versions.empty())
    return NotFound(object + ": key " + vault + "/" + e.key_name + " does not exist, so it has no newest version to bind");
  return base + key->versions.back().version;
}

// ---- Storage accounts.

Result<std::optional<ConsumerState>> AzureProvider::GetStorageAccount(const ArmRef& request) {
  const auto& [subscription, resource_group, name] = request;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> j,
                       arm_->Get(StorageArmId(subscription, resource_group, name),
                                 kStorageApiVersion, "storage account " + name));
  if (!j) return std::optional<ConsumerState>();
  return std::optional<ConsumerState>(StorageAccountFromArm(*j));
}

Result<std::vector<ConsumerState>> AzureProvider::ListStorageAccounts(
    const std::string& subscription) {
  CMK_ASSIGN_OR_RETURN(std::vector<Json> items,
                       arm_->List("/subscriptions/" + subscription +
                                      "/providers/Microsoft.Storage/storageAccounts",
                                  kStorageApiVersion, "storage accounts of subscription " + subscription));
  std::vector<ConsumerState> out;
  for (const auto& j : items) out.push_back(StorageAccountFromArm(j));
  std::sort(out.begin(), out.end(), [](const ConsumerState& a, const ConsumerState& b) {
    return Lower(a.id) < Lower(b.id);
  });
  return out;
}

Result<ConsumerState> AzureProvider::EnableStorageSystemIdentity(const ArmRef& account) {
  const auto& [subscription, resource_group, name] = account;
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> current, GetStorageAccount(account));
  if (!current) return NotFound("storage account " + name + " does not exist");
  if (!current->system_principal_id.empty()) return *current;
  CMK_ASSIGN_OR_RETURN(Json j, arm_->Write("PATCH", StorageArmId(subscription, resource_group, name),
                                           kStorageApiVersion,
                                           StorageEnableSystemIdentityBody(*current),
                                           "storage account " + name));
  return StorageAccountFromArm(j);
}

Result<ConsumerState> AzureProvider::UpdateStorageEncryption(const ArmRef& account,
                                                             const EncryptionState& encryption) {
  const auto& [subscription, resource_group, name] = account;
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> current, GetStorageAccount(account));
  if (!current) return NotFound("storage account " + name + " does not exist");
  CMK_ASSIGN_OR_RETURN(Json j, arm_->Write("PATCH", StorageArmId(subscription, resource_group, name),
                                           kStorageApiVersion,
                                           StorageEncryptionPatchBody(*current, encryption),
                                           "storage account " + name));
  return StorageAccountFromArm(j);
}

}  // namespace cmk
