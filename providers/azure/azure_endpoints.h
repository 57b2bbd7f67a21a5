// Where Azure lives: ARM, the vault DNS suffix and the authority host.
//
// A cloud sets the three together: AzurePublicCloud (the default),
// AzureUSGovernment or AzureChinaCloud, named by --cloud, else AZURE_CLOUD,
// else ARM_ENVIRONMENT (azurerm's public, usgovernment, china are accepted
// too). The environment (CMKCTL_ARM_ENDPOINT, CMKCTL_VAULT_DNS_SUFFIX,
// AZURE_AUTHORITY_HOST) and then flags override one endpoint each, so the
// sandbox server (ARM at https://127.0.0.1:PORT, vaults at
// https://{vault}.vault.localhost:PORT) runs the same code. Plain values;
// thread-compatible.
#pragma once

#include <string>

#include "azure/credentials.h"

namespace cmk {

struct AzureEndpoints {
  std::string arm = "https://management.azure.com";
  // May carry a port ("vault.localhost:8443"): vault URIs are https://{vault}.{suffix}.
  std::string vault_dns_suffix = "vault.azure.net";
  std::string authority_host = "https://login.microsoftonline.com";
  // "https" always, except tests against a plain-http mock (the pipeline
  // still refuses bearer tokens over http unless allow_insecure_http_for_tests).
  std::string vault_scheme = "https";
  // ARM token scope; "" = "{arm}/.default".
  std::string arm_scope_override;

  std::string ArmScope() const;
  std::string VaultUrl(const std::string& vault) const;  // no trailing slash
  // The Key Vault resource before any challenge: https://{suffix without port}.
  std::string DefaultKeyVaultResource() const;
};

// The endpoints of a cloud by name, case-insensitively: AzurePublicCloud
// (also AzureCloud, public), AzureUSGovernment (usgovernment),
// AzureChinaCloud (china). InvalidArgument, listing them, for any other.
Result<AzureEndpoints> CloudEndpoints(const std::string& name);
// The cloud `cloud` names ("" = AZURE_CLOUD, else ARM_ENVIRONMENT, else the
// public cloud), then the environment's overrides. `env` is the process's
// (not WithArmAliases'), so that an error names the variable that was set.
// Trailing slashes are dropped.
Result<AzureEndpoints> EndpointsFromEnv(const EnvGetter& env, const std::string& cloud = "");
// Flag values ("" = keep).
void ApplyEndpointFlags(AzureEndpoints& endpoints, const std::string& arm,
                        const std::string& vault_dns_suffix, const std::string& authority_host);

}  // namespace cmk
