#include "azure/azure_endpoints.h"

#include <algorithm>
#include <iterator>

#include "base/strings.h"

namespace cmk {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The national clouds' public endpoints (Get-AzEnvironment, `az cloud show`).
struct Cloud {
  const char* names[3];
  const char* arm;
  const char* authority;
  const char* vault_suffix;
};
constexpr Cloud kClouds[] = {
    {{"AzurePublicCloud", "AzureCloud", "public"},
     "https://management.azure.com", "https://login.microsoftonline.com", "vault.azure.net"},
    {{"AzureUSGovernment", "usgovernment", nullptr},
     "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
     "vault.usgovcloudapi.net"},
    {{"AzureChinaCloud", "china", nullptr},
     "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn", "vault.azure.cn"},
};

std::string WithScheme(std::string s) {
  if (!s.empty() && s.find("://") == std::string::npos) s = "https://" + s;
  return Trim(s);
}

}  // namespace

std::string AzureEndpoints::ArmScope() const {
  return arm_scope_override.empty() ? arm + "/.default" : arm_scope_override;
}

std::string AzureEndpoints::VaultUrl(const std::string& vault) const {
  return vault_scheme + "://" + vault + "." + vault_dns_suffix;
}

std::string AzureEndpoints::DefaultKeyVaultResource() const {
  return "https://" + vault_dns_suffix.substr(0, vault_dns_suffix.find(':'));
}

Result<AzureEndpoints> CloudEndpoints(const std::string& name) {
  for (const Cloud& c : kClouds) {
    if (std::any_of(std::begin(c.names), std::end(c.names),
                    [&](const char* n) { return n != nullptr && EqualsIgnoreCase(name, n); })) {
      AzureEndpoints e;
      e.arm = c.arm;
      e.authority_host = c.authority;
      e.vault_dns_suffix = c.vault_suffix;
      return e;
    }
  }
  return InvalidArgument("unknown cloud '" + name +
                         "': expected AzurePublicCloud, AzureUSGovernment or AzureChinaCloud "
                         "(or azurerm's public, usgovernment, china)");
}

Result<AzureEndpoints> EndpointsFromEnv(const EnvGetter& process_env, const std::string& cloud) {
  const EnvGetter env = WithArmAliases(process_env);
  std::string name = cloud;
  std::string from = "--cloud";
  if (name.empty()) {
    name = env("AZURE_CLOUD").value_or("");
    from = process_env("AZURE_CLOUD") ? "AZURE_CLOUD" : "ARM_ENVIRONMENT";
  }
  AzureEndpoints e;
  if (!name.empty()) {
    Result<AzureEndpoints> named = CloudEndpoints(name);
    if (!named.ok()) return named.status().WithContext(from);
    e = *named;
  }
  ApplyEndpointFlags(e, env("CMKCTL_ARM_ENDPOINT").value_or(""),
                     env("CMKCTL_VAULT_DNS_SUFFIX").value_or(""),
                     env("AZURE_AUTHORITY_HOST").value_or(""));
  return e;
}

void ApplyEndpointFlags(AzureEndpoints& e, const std::string& arm, const std::string& suffix,
                        const std::string& authority) {
  if (!arm.empty()) e.arm = WithScheme(arm);
  if (!suffix.empty()) {
    std::string s = suffix;
    while (!s.empty() && (s.front() == '.')) s.erase(0, 1);
    e.vault_dns_suffix = Trim(s);
  }
  if (!authority.empty()) e.authority_host = WithScheme(authority);
}

}  // namespace cmk
