#include "sandbox_server/api_versions.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "sandbox_server/wire_util.h"

namespace cmk {
namespace {

struct ProviderVersions {
  const char* lower;  // namespace, lower case
  const char* name;   // as Azure spells it
  std::vector<std::string> versions;  // ascending, as ARM lists them
};

const std::vector<ProviderVersions>& ArmProviders() {
  static const std::vector<ProviderVersions> kProviders = {
      {"microsoft.keyvault", "Microsoft.KeyVault",
       {"2015-06-01", "2016-10-01", "2018-02-14", "2018-02-14-preview", "2019-09-01",
        "2020-04-01-preview", "2021-04-01-preview", "2021-06-01-preview", "2021-10-01",
        "2021-11-01-preview", "2022-02-01-preview", "2022-07-01", "2022-11-01", "2023-02-01",
        "2023-07-01", "2023-08-01-preview", "2024-04-01-preview", "2024-11-01",
        "2024-12-01-preview", "2025-05-01", "2026-02-01", "2026-04-01"}},
      {"microsoft.managedidentity", "Microsoft.ManagedIdentity",
       {"2015-08-31-preview", "2018-11-30", "2021-09-30-preview", "2022-01-31-preview",
        "2023-01-31", "2023-07-31-preview", "2024-11-30", "2025-01-31-preview", "2026-05-31"}},
      {"microsoft.authorization", "Microsoft.Authorization",
       {"2015-07-01", "2017-10-01-preview", "2018-01-01-preview", "2018-09-01-preview",
        "2020-03-01-preview", "2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview",
        "2022-01-01-preview", "2022-04-01"}},
      {"microsoft.storage", "Microsoft.Storage",
       {"2016-01-01", "2016-05-01", "2016-12-01", "2017-06-01", "2017-10-01", "2018-02-01",
        "2018-07-01", "2018-11-01", "2019-04-01", "2019-06-01", "2020-08-01-preview",
        "2021-01-01", "2021-02-01", "2021-04-01", "2021-06-01", "2021-08-01", "2021-09-01",
        "2022-05-01", "2022-09-01", "2023-01-01", "2023-04-01", "2023-05-01", "2024-01-01",
        "2025-01-01", "2025-06-01", "2026-04-01", "2026-09-01"}},
      // Microsoft.Sql: the versions of azure-rest-api-specs
      // specification/sql/resource-manager/Microsoft.Sql/SQL/{stable,preview}
      // that carry ServerKeys.json (servers/keys) beside Servers.json and
      // EncryptionProtectors.json; 2025-01-01 is the newest stable.
      // Microsoft.Compute: the DiskRP versions with diskEncryptionSets
      // (2019-07-01 on; 2025-01-02 is the newest stable). docs/consumers.md
      // cites the files.
      {"microsoft.sql", "Microsoft.Sql",
       {"2014-04-01", "2015-05-01-preview", "2017-03-01-preview", "2019-06-01-preview",
        "2020-02-02-preview", "2020-08-01-preview", "2020-11-01-preview", "2021-02-01-preview",
        "2021-05-01-preview", "2021-08-01-preview", "2021-11-01", "2021-11-01-preview",
        "2022-02-01-preview", "2022-05-01-preview", "2022-08-01-preview", "2022-11-01-preview",
        "2023-02-01-preview", "2023-05-01-preview", "2023-08-01", "2023-08-01-preview",
        "2024-05-01-preview", "2024-11-01-preview", "2025-01-01", "2025-02-01-preview",
        "2025-08-01-preview"}},
      {"microsoft.compute", "Microsoft.Compute",
       {"2019-07-01", "2019-11-01", "2020-05-01", "2020-06-30", "2020-09-30", "2020-12-01",
        "2021-04-01", "2021-08-01", "2021-12-01", "2022-03-02", "2022-07-02", "2023-01-02",
        "2023-04-02", "2023-10-02", "2024-03-02", "2025-01-02"}},
  };
  return kProviders;
}

// 2015-06-01 and 2016-10-01 are the data plane's date-named first versions;
// the SDKs' own version lists (KnownVersions) name the rest.
const std::vector<std::string>& KeyVaultVersions() {
  static const std::vector<std::string> kVersions = {
      "2015-06-01", "2016-10-01", "7.0",           "7.1",           "7.2",
      "7.3-preview", "7.3",       "7.4-preview.1", "7.4",           "7.5-preview.1",
      "7.5",         "7.6-preview.1", "7.6-preview.2", "7.6",       "2025-06-01",
      kLatestKeyVaultApiVersion};
  return kVersions;
}

// YYYY-MM-DD with an optional "-preview"-style suffix: ARM's shape of an
// api-version, whatever the provider.
bool LooksLikeArmApiVersion(const std::string& v) {
  if (v.size() < 10) return false;
  for (size_t i = 0; i < 10; ++i) {
    bool dash = i == 4 || i == 7;
    if (dash ? v[i] != '-' : !std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  if (v.size() == 10) return true;
  if (v[10] != '-' || v.size() == 11) return false;
  return std::all_of(v.begin() + 11, v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.';
  });
}

}  // namespace

std::optional<ArmResourceType> ArmTypeOfPath(const std::vector<std::string>& segments) {
  for (size_t i = segments.size(); i-- > 0;) {
    if (i + 2 >= segments.size() || Lower(segments[i]) != "providers") continue;
    ArmResourceType t{segments[i + 1], segments[i + 2]};
    if (Lower(t.type) == "locations" && i + 4 < segments.size()) t.type = segments[i + 4];
    for (const auto& p : ArmProviders())
      if (Lower(t.provider) == p.lower) t.provider = p.name;
    return t;
  }
  return std::nullopt;
}

std::optional<ServerResponse> CheckArmApiVersion(const ArmResourceType& type,
                                                 const std::string& api_version) {
  for (const auto& p : ArmProviders()) {
    if (type.provider != p.name) continue;
    for (const auto& v : p.versions)
      if (EqualsIgnoreCase(v, api_version)) return std::nullopt;
    if (!LooksLikeArmApiVersion(api_version))
      return ArmError(400, "InvalidApiVersionParameter",
                      "The api-version '" + api_version + "' is invalid. The supported versions are '" +
                          Join(p.versions, ",") + "'.");
    return ArmError(400, "NoRegisteredProviderFound",
                    "No registered resource provider found for API version '" + api_version +
                        "' for type '" + type.type + "'. The supported api-versions are '" +
                        Join(p.versions, ", ") + "'.");
  }
  return std::nullopt;
}

std::optional<ServerResponse> CheckKeyVaultApiVersion(const std::string& api_version) {
  for (const auto& v : KeyVaultVersions())
    if (v == api_version) return std::nullopt;
  return KvError(400, "BadParameter",
                 "The specified version (" + api_version +
                     ") is not recognized. Consider using the latest supported version (" +
                     kLatestKeyVaultApiVersion + ").");
}

}  // namespace cmk
