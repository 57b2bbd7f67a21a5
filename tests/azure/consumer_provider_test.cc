// AzureProvider's SQL servers and Disk Encryption Sets over a fake transport:
// which requests it sends, in which order, with which bodies, and what it
// reads back.
#include <gtest/gtest.h>

#include "azure/azure_provider.h"
#include "azure/consumer_wire.h"
#include "fake_transport.h"

namespace cmk {
namespace {

using nlohmann::json;

constexpr const char* kSub = "sub-1";
constexpr const char* kServerPath = "/subscriptions/sub-1/resourceGroups/rg-data/providers/Microsoft.Sql/servers/sql-1";
constexpr const char* kDesPath =
    "/subscriptions/sub-1/resourceGroups/rg-data/providers/Microsoft.Compute/diskEncryptionSets/des-1";
constexpr const char* kUami =
    "/subscriptions/sub-1/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/tde-id";
constexpr const char* kOldVersion = "0123456789abcdef0123456789abcdef";
constexpr const char* kV1 = "11111111111111111111111111111111";
constexpr const char* kV2 = "22222222222222222222222222222222";
const std::string kKeyBase = "https://kv1.vault.azure.net/keys/cmk/";

// "METHOD path" of an ARM or Key Vault request (no host, no query).
std::string Line(const HttpRequest& r) {
  std::string u = r.url.substr(r.url.find("://") + 3);
  u = u.substr(u.find('/'));
  return r.method + " " + u.substr(0, u.find('?'));
}

std::string PathOf(const HttpRequest& r) { return Line(r).substr(Line(r).find(' ') + 1); }

json SqlServer(bool with_user) {
  json identity = {{"type", with_user ? "SystemAssigned,UserAssigned" : "SystemAssigned"},
                   {"principalId", "aaaaaaaa-0000-0000-0000-000000000001"},
                   {"tenantId", "tenant-1"}};
  json props = {{"state", "Ready"}, {"version", "12.0"}};
  if (with_user) {
    identity["userAssignedIdentities"] = {{kUami, {{"principalId", "p"}, {"clientId", "c"}}}};
    props["primaryUserAssignedIdentityId"] = kUami;
  }
  return {{"id", kServerPath}, {"name", "sql-1"}, {"location", "westeurope"},
          {"type", "Microsoft.Sql/servers"}, {"tags", {{"team", "data"}}},
          {"identity", identity}, {"properties", props}};
}

json Protector(const std::string& version, bool auto_rotation) {
  return {{"id", std::string(kServerPath) + "/encryptionProtector/current"},
          {"name", "current"},
          {"kind", "azurekeyvault"},
          {"properties",
           {{"serverKeyName", "kv1_cmk_" + version},
            {"serverKeyType", "AzureKeyVault"},
            {"uri", kKeyBase + version},
            {"autoRotationEnabled", auto_rotation}}}};
}

json ServerKey(const std::string& name) {
  return {{"id", std::string(kServerPath) + "/keys/" + name},
          {"name", name},
          {"kind", name == "ServiceManaged" ? "servicemanaged" : "azurekeyvault"},
          {"properties", name == "ServiceManaged" ? json::object()
                                                  : json{{"thumbprint", "AB"}, {"creationDate", "2026-01-01T00:00:00Z"}}}};
}

// Key Vault: key cmk of kv1 with versions kV1 then kV2 (the newest).
std::optional<HttpResponse> KeyVault(const HttpRequest& r) {
  if (r.url.find("kv1.vault.azure.net") == std::string::npos) return std::nullopt;
  std::string path = PathOf(r);
  auto bundle = [](const std::string& v, int created) {
    return json{{"key", {{"kid", kKeyBase + v}, {"kty", "RSA"}, {"key_ops", {"wrapKey", "unwrapKey"}},
                         {"n", std::string(342, 'A') + "Q"}, {"e", "AQAB"}}},
                {"attributes", {{"enabled", true}, {"created", created}, {"updated", created}}}};
  };
  if (path == "/keys/cmk") return Respond(200, bundle(kV2, 1700000200).dump());
  if (path == "/keys/cmk/versions")
    return Respond(200, json{{"value",
                              {{{"kid", kKeyBase + kV1}, {"attributes", {{"enabled", true}, {"created", 1700000100}}}},
                               {{"kid", kKeyBase + kV2}, {"attributes", {{"enabled", true}, {"created", 1700000200}}}}}}}
                            .dump());
  if (path == "/keys/cmk/rotationpolicy")
    return Respond(404, R"({"error":{"code":"KeyNotFound","message":"no policy"}})");
  if (path == "/keys/cmk/" + std::string(kV1)) return Respond(200, bundle(kV1, 1700000100).dump());
  return Respond(404, R"({"error":{"code":"KeyNotFound","message":"not found"}})");
}

TEST(SqlServerProvider, ReadsServerProtectorAndServerKeys) {
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = PathOf(r);
    if (path == kServerPath) return Respond(200, SqlServer(true).dump());
    if (path == std::string(kServerPath) + "/encryptionProtector/current")
      return Respond(200, Protector(kOldVersion, false).dump());
    if (path == std::string(kServerPath) + "/keys")
      return Respond(200, json{{"value", {ServerKey("ServiceManaged"), ServerKey("kv1_cmk_" + std::string(kOldVersion)),
                                          ServerKey("kv1_cmk_" + std::string(kV1))}}}
                              .dump());
    return Respond(404, R"({"error":{"code":"ResourceNotFound","message":"no"}})");
  });
  ASSERT_NE(p, nullptr);
  std::vector<ConsumerKind> kinds = p->ConsumerKinds();
  EXPECT_EQ(kinds, (std::vector<ConsumerKind>{ConsumerKind::kStorage, ConsumerKind::kSqlServer,
                                              ConsumerKind::kDiskEncryptionSet}));
  auto got = p->GetConsumer(ConsumerRef{ConsumerKind::kSqlServer, kSub, "rg-data", "sql-1"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  const ConsumerState& s = **got;
  EXPECT_EQ(s.kind, ConsumerKind::kSqlServer);
  EXPECT_EQ(s.name, "sql-1");
  EXPECT_EQ(s.resource_group, "rg-data");
  EXPECT_EQ(s.location, "westeurope");
  EXPECT_EQ(s.tags.at("team"), "data");
  EXPECT_EQ(s.system_principal_id, "aaaaaaaa-0000-0000-0000-000000000001");
  EXPECT_EQ(s.user_assigned_identities, std::vector<std::string>{kUami});
  EXPECT_EQ(s.encryption.key_source, "Microsoft.Keyvault");
  EXPECT_EQ(s.encryption.key_vault_uri, "https://kv1.vault.azure.net");
  EXPECT_EQ(s.encryption.key_name, "cmk");
  EXPECT_EQ(s.encryption.key_version, kOldVersion);
  EXPECT_EQ(s.encryption.current_versioned_key_id, kKeyBase + kOldVersion);
  EXPECT_EQ(s.encryption.user_assigned_identity, kUami);
  EXPECT_EQ(s.retained_key_ids, std::vector<std::string>{kKeyBase + kV1});
  std::vector<std::string> lines;
  for (const auto& r : w.transport->requests) {
    if (r.url.find("oauth2") != std::string::npos) continue;
    lines.push_back(Line(r));
    EXPECT_NE(r.url.find("api-version=2023-08-01"), std::string::npos) << r.url;
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"GET " + std::string(kServerPath),
                                             "GET " + std::string(kServerPath) + "/encryptionProtector/current",
                                             "GET " + std::string(kServerPath) + "/keys"}));
  // A server that does not exist is no consumer, not an error.
  auto none = p->GetConsumer(ConsumerRef{ConsumerKind::kSqlServer, kSub, "rg-data", "sql-2"});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
}

TEST(SqlServerProvider, ListsServersAndReadsKeysOnlyForKeyVaultProtectors) {
  FakeWorld w;
  const std::string other = "/subscriptions/sub-1/resourceGroups/rg-b/providers/Microsoft.Sql/servers/sql-0";
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = PathOf(r);
    if (path == "/subscriptions/sub-1/providers/Microsoft.Sql/servers") {
      json b = SqlServer(false);
      b["id"] = other;
      b["name"] = "sql-0";
      return Respond(200, json{{"value", {SqlServer(false), b}}}.dump());
    }
    if (path == std::string(kServerPath) + "/encryptionProtector/current")
      return Respond(200, Protector(kV1, true).dump());
    if (path == other + "/encryptionProtector/current")
      return Respond(200, json{{"properties", {{"serverKeyType", "ServiceManaged"}, {"serverKeyName", "ServiceManaged"}}}}.dump());
    if (path == std::string(kServerPath) + "/keys")
      return Respond(200, json{{"value", {ServerKey("kv1_cmk_" + std::string(kV1))}}}.dump());
    return Respond(404, R"({"error":{"code":"ResourceNotFound","message":"no"}})");
  });
  ASSERT_NE(p, nullptr);
  auto list = p->ListConsumers(ConsumerList{ConsumerKind::kSqlServer, kSub});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "sql-0");  // sorted by id
  EXPECT_EQ((*list)[0].encryption.key_source, "ServiceManaged");
  EXPECT_EQ((*list)[1].name, "sql-1");
  EXPECT_EQ((*list)[1].encryption.key_version, "");  // autoRotationEnabled
  EXPECT_EQ((*list)[1].encryption.current_versioned_key_id, kKeyBase + kV1);
  EXPECT_TRUE((*list)[1].retained_key_ids.empty());
  int key_lists = 0;
  for (const auto& r : w.transport->requests) key_lists += PathOf(r).ends_with("/keys");
  EXPECT_EQ(key_lists, 1);
}

TEST(SqlServerProvider, BindsServerKeyThenProtectorWithTheNewestVersion) {
  FakeWorld w;
  bool bound = false;
  json put_key_body, put_protector_body, patch_body;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (auto kv = KeyVault(r)) return *kv;
    std::string path = PathOf(r);
    const std::string key_path = std::string(kServerPath) + "/keys/kv1_cmk_" + kV2;
    const std::string protector_path = std::string(kServerPath) + "/encryptionProtector/current";
    if (r.method == "PATCH" && path == kServerPath) {
      patch_body = json::parse(r.body);
      return Respond(202, "", {{"Azure-AsyncOperation", "https://management.azure.com/op/server-1"}});
    }
    if (r.method == "PUT" && path == key_path) {
      put_key_body = json::parse(r.body);
      return Respond(202, "", {{"Azure-AsyncOperation", "https://management.azure.com/op/key-1"}});
    }
    if (r.method == "PUT" && path == protector_path) {
      put_protector_body = json::parse(r.body);
      bound = true;
      return Respond(202, "", {{"Azure-AsyncOperation", "https://management.azure.com/op/protector-1"}});
    }
    if (path.starts_with("/op/")) return Respond(200, R"({"status":"Succeeded"})");
    if (path == kServerPath) return Respond(200, SqlServer(bound || !patch_body.is_null()).dump());
    if (path == protector_path) return Respond(200, Protector(bound ? kV2 : kOldVersion, bound).dump());
    if (path == key_path) return Respond(200, ServerKey("kv1_cmk_" + std::string(kV2)).dump());
    if (path == std::string(kServerPath) + "/keys") {
      json keys = json::array({ServerKey("kv1_cmk_" + std::string(kOldVersion))});
      if (!put_key_body.is_null()) keys.push_back(ServerKey("kv1_cmk_" + std::string(kV2)));
      return Respond(200, json{{"value", keys}}.dump());
    }
    return Respond(404, R"({"error":{"code":"ResourceNotFound","message":"no"}})");
  });
  ASSERT_NE(p, nullptr);
  EncryptionState e;
  e.key_source = "Microsoft.Keyvault";
  e.key_vault_uri = "https://kv1.vault.azure.net";
  e.key_name = "cmk";
  e.key_version = "";  // follow the newest version
  e.user_assigned_identity = kUami;
  auto after = p->UpdateConsumerEncryption(
      UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kSqlServer, kSub, "rg-data", "sql-1"}, e});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->encryption.key_version, "");
  EXPECT_EQ(after->encryption.current_versioned_key_id, kKeyBase + kV2);
  EXPECT_EQ(after->encryption.user_assigned_identity, kUami);
  EXPECT_EQ(after->retained_key_ids, std::vector<std::string>{kKeyBase + kOldVersion});

  // The writes, in order: identity, server key, protector.
  std::vector<std::string> writes;
  for (const auto& r : w.transport->requests)
    if (r.method != "GET" && r.method != "POST") writes.push_back(Line(r));
  EXPECT_EQ(writes, (std::vector<std::string>{
                        "PATCH " + std::string(kServerPath),
                        "PUT " + std::string(kServerPath) + "/keys/kv1_cmk_" + kV2,
                        "PUT " + std::string(kServerPath) + "/encryptionProtector/current"}));
  EXPECT_EQ(patch_body["identity"]["type"], "SystemAssigned,UserAssigned");
  EXPECT_TRUE(patch_body["identity"]["userAssignedIdentities"].contains(kUami));
  EXPECT_EQ(patch_body["properties"]["primaryUserAssignedIdentityId"], kUami);
  EXPECT_EQ(put_key_body, (json{{"properties", {{"serverKeyType", "AzureKeyVault"}, {"uri", kKeyBase + kV2}}}}));
  EXPECT_EQ(put_protector_body,
            (json{{"properties", {{"serverKeyType", "AzureKeyVault"},
                                  {"serverKeyName", "kv1_cmk_" + std::string(kV2)},
                                  {"autoRotationEnabled", true}}}}));
  // The newest version was read from Key Vault before the server key was written.
  size_t key_read = 0, key_put = 0;
  for (size_t i = 0; i < w.transport->requests.size(); ++i) {
    const auto& r = w.transport->requests[i];
    if (!key_read && r.url.find("kv1.vault.azure.net/keys/cmk/versions") != std::string::npos) key_read = i;
    if (r.method == "PUT" && PathOf(r).find("/keys/") != std::string::npos) key_put = i;
  }
  EXPECT_GT(key_read, 0u);
  EXPECT_LT(key_read, key_put);
}

TEST(SqlServerProvider, PinnedBindingOfARegisteredKeyOnlyMovesTheProtector) {
  FakeWorld w;
  json put_protector_body;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = PathOf(r);
    if (r.method == "PUT") {
      put_protector_body = json::parse(r.body);
      return Respond(200, Protector(kV1, false).dump());
    }
    if (path == kServerPath) return Respond(200, SqlServer(false).dump());
    if (path == std::string(kServerPath) + "/encryptionProtector/current")
      return Respond(200, Protector(put_protector_body.is_null() ? kOldVersion : kV1, false).dump());
    if (path == std::string(kServerPath) + "/keys")
      return Respond(200, json{{"value", {ServerKey("kv1_cmk_" + std::string(kOldVersion)),
                                          ServerKey("kv1_cmk_" + std::string(kV1))}}}.dump());
    return Respond(404, R"({"error":{"code":"ResourceNotFound","message":"no"}})");
  });
  ASSERT_NE(p, nullptr);
  EncryptionState e;
  e.key_source = "Microsoft.Keyvault";
  e.key_vault_uri = "https://kv1.vault.azure.net";
  e.key_name = "cmk";
  e.key_version = kV1;
  auto after = p->UpdateConsumerEncryption(
      UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kSqlServer, kSub, "rg-data", "sql-1"}, e});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->encryption.key_version, kV1);
  int writes = 0;
  for (const auto& r : w.transport->requests) writes += r.method != "GET" && r.method != "POST";
  EXPECT_EQ(writes, 1);
  EXPECT_EQ(put_protector_body["properties"]["autoRotationEnabled"], false);
  // No Key Vault read for a pinned version.
  for (const auto& r : w.transport->requests) EXPECT_EQ(r.url.find(".vault.azure.net"), std::string::npos) << r.url;
}

TEST(SqlServerProvider, RefusesSystemIdentityWhileAPrimaryUserIdentityIsSet) {
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = PathOf(r);
    if (r.method != "GET") return Respond(500, "");
    if (path == kServerPath) return Respond(200, SqlServer(true).dump());
    if (path == std::string(kServerPath) + "/encryptionProtector/current")
      return Respond(200, Protector(kOldVersion, false).dump());
    if (path == std::string(kServerPath) + "/keys") return Respond(200, R"({"value":[]})");
    return Respond(404, "");
  });
  ASSERT_NE(p, nullptr);
  EncryptionState e;
  e.key_source = "Microsoft.Keyvault";
  e.key_vault_uri = "https://kv1.vault.azure.net";
  e.key_name = "cmk";
  e.key_version = kV1;
  auto after = p->UpdateConsumerEncryption(
      UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kSqlServer, kSub, "rg-data", "sql-1"}, e});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(after.status().message().find("tde-id"), std::string::npos) << after.status().ToString();
}

TEST(SqlServerProvider, ProtectorChangeInProgressIsAConflictNamingTheCode) {
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = PathOf(r);
    if (r.method == "PUT")
      return Respond(409, R"({"error":{"code":"EncryptionProtectorChangeInProgress","message":"A change is in progress."}})");
    if (path == kServerPath) return Respond(200, SqlServer(false).dump());
    if (path == std::string(kServerPath) + "/encryptionProtector/current")
      return Respond(200, Protector(kOldVersion, false).dump());
    if (path == std::string(kServerPath) + "/keys")
      return Respond(200, json{{"value", {ServerKey("kv1_cmk_" + std::string(kV1))}}}.dump());
    return Respond(404, "");
  });
  ASSERT_NE(p, nullptr);
  EncryptionState e;
  e.key_source = "Microsoft.Keyvault";
  e.key_vault_uri = "https://kv1.vault.azure.net";
  e.key_name = "cmk";
  e.key_version = kV1;
  auto after = p->UpdateConsumerEncryption(
      UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kSqlServer, kSub, "rg-data", "sql-1"}, e});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kConflict);
  EXPECT_NE(after.status().message().find("EncryptionProtectorChangeInProgress"), std::string::npos);
}

json Des(const std::string& active, bool rotate, const std::vector<std::string>& previous, bool user) {
  json prev = json::array();
  for (const auto& v : previous) prev.push_back({{"keyUrl", kKeyBase + v}});
  json identity = {{"type", user ? "SystemAssigned, UserAssigned" : "SystemAssigned"},
                   {"principalId", "dddddddd-0000-0000-0000-000000000001"},
                   {"tenantId", "tenant-1"}};
  if (user) identity["userAssignedIdentities"] = {{kUami, json::object()}};
  return {{"id", kDesPath}, {"name", "des-1"}, {"location", "westeurope"}, {"type", "Microsoft.Compute/diskEncryptionSets"},
          {"identity", identity},
          {"properties",
           {{"activeKey", {{"keyUrl", kKeyBase + active}}},
            {"encryptionType", "EncryptionAtRestWithCustomerKey"},
            {"rotationToLatestKeyVersionEnabled", rotate},
            {"previousKeys", prev},
            {"provisioningState", "Succeeded"},
            {"lastKeyRotationTimestamp", "2026-01-02T03:04:05.5+00:00"}}}};
}

TEST(DiskEncryptionSetProvider, ReadsActiveAndPreviousKeys) {
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (PathOf(r) == kDesPath) return Respond(200, Des(kV2, true, {kV1}, false).dump());
    if (PathOf(r) == "/subscriptions/sub-1/providers/Microsoft.Compute/diskEncryptionSets")
      return Respond(200, json{{"value", {Des(kV1, false, {}, true)}}}.dump());
    return Respond(404, "");
  });
  ASSERT_NE(p, nullptr);
  auto got = p->GetConsumer(ConsumerRef{ConsumerKind::kDiskEncryptionSet, kSub, "rg-data", "des-1"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  const ConsumerState& s = **got;
  EXPECT_EQ(s.kind, ConsumerKind::kDiskEncryptionSet);
  EXPECT_EQ(s.system_principal_id, "dddddddd-0000-0000-0000-000000000001");
  EXPECT_EQ(s.encryption.key_source, "Microsoft.Keyvault");
  EXPECT_EQ(s.encryption.key_vault_uri, "https://kv1.vault.azure.net");
  EXPECT_EQ(s.encryption.key_name, "cmk");
  EXPECT_EQ(s.encryption.key_version, "");
  EXPECT_EQ(s.encryption.current_versioned_key_id, kKeyBase + kV2);
  EXPECT_EQ(s.encryption.last_key_rotation_timestamp, "2026-01-02T03:04:05.5+00:00");
  EXPECT_EQ(s.encryption.user_assigned_identity, "");
  EXPECT_EQ(s.retained_key_ids, std::vector<std::string>{kKeyBase + kV1});
  auto list = p->ListConsumers(ConsumerList{ConsumerKind::kDiskEncryptionSet, kSub});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].encryption.key_version, kV1);
  EXPECT_EQ((*list)[0].encryption.user_assigned_identity, kUami);
  for (const auto& r : w.transport->requests) {
    if (r.url.find("oauth2") != std::string::npos) continue;
    EXPECT_NE(r.url.find("api-version=2025-01-02"), std::string::npos) << r.url;
  }
}

TEST(DiskEncryptionSetProvider, BindsWithOnePatchOfAVersionedKeyUrl) {
  FakeWorld w;
  json patch;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (auto kv = KeyVault(r)) return *kv;
    std::string path = PathOf(r);
    if (r.method == "PATCH" && path == kDesPath) {
      patch = json::parse(r.body);
      return Respond(202, Des(kOldVersion, false, {}, false).dump(),
                     {{"Location", "https://management.azure.com/op/des-1"}, {"Retry-After", "1"}});
    }
    // The operation's end state; the set keeps re-wrapping (Updating) after it.
    json updating = Des(kV2, true, {kOldVersion}, true);
    updating["properties"]["provisioningState"] = "Updating";
    if (path == "/op/des-1") return Respond(200, updating.dump());
    if (path == kDesPath) return Respond(200, (patch.is_null() ? Des(kOldVersion, false, {}, false) : updating).dump());
    return Respond(404, "");
  });
  ASSERT_NE(p, nullptr);
  EncryptionState e;
  e.key_source = "Microsoft.Keyvault";
  e.key_vault_uri = "https://kv1.vault.azure.net";
  e.key_name = "cmk";
  e.key_version = "";
  e.user_assigned_identity = kUami;
  auto after = p->UpdateConsumerEncryption(
      UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kDiskEncryptionSet, kSub, "rg-data", "des-1"}, e});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->encryption.current_versioned_key_id, kKeyBase + kV2);
  EXPECT_EQ(after->retained_key_ids, std::vector<std::string>{kKeyBase + kOldVersion});
  EXPECT_EQ(after->encryption.user_assigned_identity, kUami);
  EXPECT_EQ(patch, (json{{"identity",
                          {{"type", "SystemAssigned, UserAssigned"}, {"userAssignedIdentities", {{kUami, json::object()}}}}},
                         {"properties",
                          {{"activeKey", {{"keyUrl", kKeyBase + kV2}}}, {"rotationToLatestKeyVersionEnabled", true}}}}));
  int writes = 0, reads = 0;
  for (const auto& r : w.transport->requests) {
    writes += r.method == "PATCH";
    reads += r.method == "GET" && PathOf(r) == kDesPath;
  }
  EXPECT_EQ(writes, 1);
  EXPECT_EQ(reads, 2);  // before and after: a set still re-wrapping is not polled

  // Pinned and system-assigned: the pinned version, no Key Vault read.
  FakeWorld w2;
  json patch2;
  auto p2 = w2.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PATCH") {
      patch2 = json::parse(r.body);
      return Respond(200, Des(kV1, false, {}, false).dump());
    }
    if (PathOf(r) == kDesPath)
      return Respond(200, (patch2.is_null() ? Des(kOldVersion, false, {}, false) : Des(kV1, false, {}, false)).dump());
    return Respond(404, "");
  });
  ASSERT_NE(p2, nullptr);
  e.key_version = kV1;
  e.user_assigned_identity = "";
  auto pinned = p2->UpdateConsumerEncryption(
      UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kDiskEncryptionSet, kSub, "rg-data", "des-1"}, e});
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->encryption.key_version, kV1);
  EXPECT_EQ(patch2["identity"], (json{{"type", "SystemAssigned"}}));
  EXPECT_EQ(patch2["properties"]["activeKey"]["keyUrl"], kKeyBase + kV1);
  EXPECT_EQ(patch2["properties"]["rotationToLatestKeyVersionEnabled"], false);
  for (const auto& r : w2.transport->requests) EXPECT_EQ(r.url.find(".vault.azure.net"), std::string::npos) << r.url;
}

TEST(DiskEncryptionSetProvider, EnablesTheSystemIdentityKeepingUserOnes) {
  FakeWorld w;
  json patch;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    json set = Des(kV1, false, {}, true);
    set["identity"] = {{"type", "UserAssigned"}, {"userAssignedIdentities", {{kUami, json::object()}}}};
    if (r.method == "PATCH") {
      patch = json::parse(r.body);
      return Respond(200, Des(kV1, false, {}, true).dump());
    }
    if (PathOf(r) == kDesPath) return Respond(200, (patch.is_null() ? set : Des(kV1, false, {}, true)).dump());
    return Respond(404, "");
  });
  ASSERT_NE(p, nullptr);
  auto after = p->EnableSystemIdentity(
      EnableSystemIdentity{ConsumerRef{ConsumerKind::kDiskEncryptionSet, kSub, "rg-data", "des-1"}});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->system_principal_id, "dddddddd-0000-0000-0000-000000000001");
  EXPECT_EQ(patch, (json{{"identity", {{"type", "SystemAssigned, UserAssigned"},
                                       {"userAssignedIdentities", {{kUami, json::object()}}}}}}));
}

}  // namespace
}  // namespace cmk
