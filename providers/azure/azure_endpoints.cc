#include "azure/azure_endpoints.h"

namespace cmk {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

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

AzureEndpoints EndpointsFromEnv(const EnvGetter& env) {
  AzureEndpoints e;
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
