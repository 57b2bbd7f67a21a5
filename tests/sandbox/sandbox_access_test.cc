// SandboxCloud identities, role assignments and storage CMK bindings.
#include "sandbox_test_util.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

constexpr const char* kForeign = "11111111-2222-3333-4444-555555555555";

RoleAssignmentState Assignment(const std::string& id, const std::string& scope,
                               const std::string& principal,
                               const std::string& role = kRoleCryptoServiceEncryptionUser) {
  RoleAssignmentState r;
  r.id = id;
  r.scope = scope;
  r.role_definition_id = "/subscriptions/" + std::string(kSub) +
                         "/providers/Microsoft.Authorization/roleDefinitions/" + role;
  r.principal_id = principal;
  r.description = "managed-by=cmkctl";
  return r;
}

TEST_F(SandboxTest, IdentityIdsAreStableAcrossUpdates) {
  auto created = cloud_->PutIdentity(Identity("storage-uami"));
  CMK_ASSERT_OK(created);
  EXPECT_EQ(created->principal_id.size(), 36u);
  EXPECT_EQ(created->client_id.size(), 36u);
  EXPECT_NE(created->principal_id, created->client_id);
  EXPECT_EQ(created->tenant_id, cloud_->tenant_id());
  EXPECT_EQ(created->id, IdentityArmId(kSub, kRg, "storage-uami"));

  IdentityState update = Identity("storage-uami");
  update.tags = {{"owner", "ops"}};
  auto updated = cloud_->PutIdentity(update);
  CMK_ASSERT_OK(updated);
  EXPECT_EQ(updated->principal_id, created->principal_id);
  EXPECT_EQ(updated->client_id, created->client_id);
  EXPECT_EQ(updated->tags.at("owner"), "ops");

  EXPECT_EQ(cloud_->ListIdentities(kSub)->size(), 1u);
  CMK_ASSERT_OK(cloud_->DeleteIdentity(kSub, kRg, "storage-uami"));
  EXPECT_FALSE(cloud_->GetIdentity(kSub, kRg, "storage-uami")->has_value());
  EXPECT_EQ(cloud_->DeleteIdentity(kSub, kRg, "storage-uami").code(), StatusCode::kNotFound);
}

TEST_F(SandboxTest, RoleAssignmentIdempotenceAndConflicts) {
  auto uami = cloud_->PutIdentity(Identity("storage-uami"));
  CMK_ASSERT_OK(uami);
  std::string vault_id = VaultArmId(kSub, kRg, "bank-kv");
  std::string id = DeterministicGuid("a");
  RoleAssignmentState r = Assignment(id, vault_id, uami->principal_id);

  auto put = cloud_->PutRoleAssignment(r);
  CMK_ASSERT_OK(put);
  EXPECT_EQ(put->role_definition_id, kRoleCryptoServiceEncryptionUser);
  size_t events = cloud_->ListEvents()->size();
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(r));  // same id, same content: no-op
  EXPECT_EQ(cloud_->ListEvents()->size(), events);

  RoleAssignmentState changed = r;
  changed.role_definition_id = kRoleCryptoUser;
  EXPECT_EQ(cloud_->PutRoleAssignment(changed).status().code(), StatusCode::kConflict);

  RoleAssignmentState duplicate = r;
  duplicate.id = DeterministicGuid("b");
  Status s = cloud_->PutRoleAssignment(duplicate).status();
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(AzureCode(s), "RoleAssignmentExists");

  RoleAssignmentState stranger = Assignment(DeterministicGuid("c"), vault_id, kForeign);
  s = cloud_->PutRoleAssignment(stranger).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AzureCode(s), "PrincipalNotFound");
  CMK_ASSERT_OK(cloud_->SeedPrincipal(kForeign));
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(stranger));

  CMK_ASSERT_OK(cloud_->DeleteRoleAssignment(id));
  EXPECT_FALSE(cloud_->GetRoleAssignment(id)->has_value());
  EXPECT_EQ(cloud_->DeleteRoleAssignment(id).code(), StatusCode::kNotFound);
}

TEST_F(SandboxTest, RoleAssignmentsListedAtScopeAndBelow) {
  CMK_ASSERT_OK(cloud_->SeedPrincipal(kForeign));
  std::string kv1 = VaultArmId(kSub, kRg, "kv1");
  std::string kv10 = VaultArmId(kSub, kRg, "kv10");
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(
      Assignment("00000000-0000-0000-0000-0000000000b2", KeyArmId(kSub, kRg, "kv1", "cmk"),
                 kForeign)));
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(
      Assignment("00000000-0000-0000-0000-0000000000a1", kv1, kForeign)));
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(
      Assignment("00000000-0000-0000-0000-0000000000c3", kv10, kForeign)));

  // Case-insensitive, segment-aware: kv1 does not cover kv10.
  std::string upper = kv1;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto list = cloud_->ListRoleAssignments(upper);
  CMK_ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "00000000-0000-0000-0000-0000000000a1");
  EXPECT_EQ((*list)[1].id, "00000000-0000-0000-0000-0000000000b2");
  EXPECT_EQ(cloud_->ListRoleAssignments("/subscriptions/" + std::string(kSub))->size(), 3u);
}

class SandboxStorageTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_TRUE(cloud_->PutVault(Vault("bank-kv", true)).ok());
    auto key = cloud_->CreateKey(Key("bank-kv", "cmk", "RSA", 2048));
    ASSERT_TRUE(key.ok());
    key_ = *key;
  }

  EncryptionState Cmk(const std::string& version = "") {
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = "https://bank-kv.vault.azure.net/";
    e.key_name = "cmk";
    e.key_version = version;
    return e;
  }

  KeyState key_;
};

TEST_F(SandboxStorageTest, SeedIsIdempotentAndKeepsThePrincipal) {
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account("bankdata01"), {24, true}));
  auto a = cloud_->GetStorageAccount(kSub, kRg, "bankdata01");
  CMK_ASSERT_OK(a);
  ASSERT_TRUE(a->has_value());
  std::string principal = (*a)->system_principal_id;
  EXPECT_EQ(principal.size(), 36u);
  EXPECT_EQ((*a)->encryption.key_source, "Microsoft.Storage");

  ConsumerState again = Account("bankdata01");
  again.location = "northeurope";
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(again, {24, true}));
  a = cloud_->GetStorageAccount(kSub, kRg, "bankdata01");
  EXPECT_EQ((*a)->system_principal_id, principal);
  EXPECT_EQ((*a)->location, "northeurope");
  EXPECT_EQ(cloud_->ListStorageAccounts(kSub)->size(), 1u);
  EXPECT_EQ(cloud_->SeedStorageAccount(Account("Bad_Name"), {}).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SandboxStorageTest, EnableSystemIdentityGeneratesOnce) {
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account("bankdata01"), {}));
  EXPECT_TRUE((*cloud_->GetStorageAccount(kSub, kRg, "bankdata01"))->system_principal_id.empty());
  auto a = cloud_->EnableSystemIdentity(kSub, kRg, "bankdata01");
  CMK_ASSERT_OK(a);
  EXPECT_EQ(a->system_principal_id.size(), 36u);
  auto b = cloud_->EnableSystemIdentity(kSub, kRg, "bankdata01");
  CMK_ASSERT_OK(b);
  EXPECT_EQ(b->system_principal_id, a->system_principal_id);
  EXPECT_EQ(cloud_->EnableSystemIdentity(kSub, kRg, "nosuch").status().code(),
            StatusCode::kNotFound);
}

TEST_F(SandboxStorageTest, BindRefusedWithoutRoleThenSetsEvidence) {
  CMK_ASSERT_OK(cloud_->SetClock(1'700'000'000));
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account("bankdata01"), {24, true}));
  std::string principal = (*cloud_->GetStorageAccount(kSub, kRg, "bankdata01"))->system_principal_id;

  Status s = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", Cmk()).status();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);

  // A role that does not grant wrap/unwrap does not help.
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(
      Assignment(DeterministicGuid("secrets"), VaultArmId(kSub, kRg, "bank-kv"), principal,
                 "4633458b-17de-408a-b874-0445c86b69e6")));
  EXPECT_EQ(cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", Cmk()).status().code(),
            StatusCode::kPermissionDenied);

  CMK_ASSERT_OK(cloud_->PutRoleAssignment(
      Assignment(DeterministicGuid("kek"), KeyArmId(kSub, kRg, "bank-kv", "cmk"), principal)));
  auto bound = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", Cmk());
  CMK_ASSERT_OK(bound);
  EXPECT_EQ(bound->encryption.key_source, "Microsoft.Keyvault");
  EXPECT_EQ(bound->encryption.current_versioned_key_id,
            "https://bank-kv.vault.azure.net/keys/cmk/" + key_.versions[0].version);
  EXPECT_EQ(bound->encryption.last_key_rotation_timestamp, "2023-11-14T22:13:20Z");

  // Pinning the same version keeps the rotation timestamp; a new version moves it.
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  auto pinned = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01",
                                                Cmk(key_.versions[0].version));
  CMK_ASSERT_OK(pinned);
  EXPECT_EQ(pinned->encryption.last_key_rotation_timestamp, "2023-11-14T22:13:20Z");
  auto rotated = cloud_->RotateKey("bank-kv", "cmk");
  CMK_ASSERT_OK(rotated);
  auto moved = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", Cmk());
  CMK_ASSERT_OK(moved);
  EXPECT_EQ(moved->encryption.current_versioned_key_id, rotated->kid);
  EXPECT_EQ(moved->encryption.last_key_rotation_timestamp, "2023-11-14T23:13:20Z");

  // A disabled pinned version is refused.
  KeyVersionState old = rotated->versions[0];
  old.enabled = false;
  CMK_ASSERT_OK(cloud_->UpdateKeyVersion("bank-kv", "cmk", old));
  EXPECT_EQ(cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", Cmk(old.version))
                .status()
                .code(),
            StatusCode::kInvalidArgument);

  // Three accepted bindings, three events; the refusals left none.
  auto events = cloud_->ListEvents();
  CMK_ASSERT_OK(events);
  int bindings = 0;
  for (const auto& e : *events)
    if (e.kind == "storage.encryption" && e.object == "storage/bankdata01") ++bindings;
  EXPECT_EQ(bindings, 3);
}

TEST_F(SandboxStorageTest, BindRefusedWithoutPurgeProtection) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("open-kv", false)));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("open-kv", "cmk", "RSA", 2048)));
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account("bankdata01"), {24, true}));
  EncryptionState e = Cmk();
  e.key_vault_uri = "https://open-kv.vault.azure.net";
  Status s = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", e).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("purge protection"), std::string::npos);
}

// Storage takes RSA and RSA-HSM keys of 2048, 3072 or 4096 bits, and names
// the parameter when it refuses one (Azure/azure-cli#10242).
TEST_F(SandboxStorageTest, KeysStorageCannotUseAreRefused) {
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account("bankdata01"), {}));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "eckey", "EC", 0)));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "small", "RSA", 2048)));
  EncryptionState e = Cmk();
  e.key_name = "eckey";
  Status s = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", e).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("InvalidValuesForRequestParameters"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("encryption.keyvaultproperties.keyname"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("is EC"), std::string::npos) << s.ToString();
  auto account = cloud_->GetStorageAccount(kSub, kRg, "bankdata01");
  CMK_ASSERT_OK(account);
  EXPECT_NE((*account)->encryption.key_name, "eckey");  // nothing changed
}

TEST_F(SandboxStorageTest, BindWithUserAssignedIdentity) {
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account("bankdata01"), {}));
  auto uami = cloud_->PutIdentity(Identity("storage-uami"));
  CMK_ASSERT_OK(uami);
  EncryptionState e = Cmk();
  e.user_assigned_identity = uami->id;
  // No system identity is needed, but the UAMI needs the role (vault scope works too).
  EXPECT_EQ(cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", e).status().code(),
            StatusCode::kPermissionDenied);
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(Assignment(
      DeterministicGuid("uami"), VaultArmId(kSub, kRg, "bank-kv"), uami->principal_id,
      kRoleCryptoOfficer)));
  auto bound = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", e);
  CMK_ASSERT_OK(bound);
  EXPECT_EQ(bound->user_assigned_identities, std::vector<std::string>{uami->id});
  EXPECT_EQ(bound->encryption.user_assigned_identity, uami->id);

  e.user_assigned_identity = IdentityArmId(kSub, kRg, "missing");
  EXPECT_EQ(cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", e).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SandboxStorageTest, BackToMicrosoftManagedKeys) {
  CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account("bankdata01"), {}));
  EncryptionState e;
  auto a = cloud_->UpdateStorageEncryption(kSub, kRg, "bankdata01", e);
  CMK_ASSERT_OK(a);
  EXPECT_EQ(a->encryption.key_source, "Microsoft.Storage");
  EXPECT_TRUE(a->encryption.current_versioned_key_id.empty());
}

}  // namespace
}  // namespace cmk
