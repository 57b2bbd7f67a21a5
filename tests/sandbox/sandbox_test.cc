// SandboxCloud: the store (files, modes, persistence), vaults with soft
// delete and purge protection, the clock and the activity log.
#include <sys/stat.h>

#include <algorithm>

#include "sandbox/sandbox_provider.h"
#include "sandbox_test_util.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

bool HasEvent(SandboxCloud& cloud, const std::string& kind, const std::string& object) {
  auto events = cloud.ListEvents();
  EXPECT_TRUE(events.ok());
  return std::any_of(events->begin(), events->end(), [&](const SandboxEvent& e) {
    return e.kind == kind && e.object == object;
  });
}

TEST_F(SandboxTest, CreatesPrivateDirectoryAndDatabase) {
  EXPECT_EQ(ModeOf(dir_), 0700u);
  EXPECT_EQ(ModeOf(dir_ + "/sandbox.db"), 0600u);
  EXPECT_EQ(cloud_->tenant_id().size(), 36u);
}

TEST_F(SandboxTest, PersistsAcrossReopenWithStableTenant) {
  std::string tenant = cloud_->tenant_id();
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  Reopen();
  EXPECT_EQ(cloud_->tenant_id(), tenant);
  auto v = cloud_->GetVault(kSub, kRg, "bank-kv");
  CMK_ASSERT_OK(v);
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ((*v)->vault_uri, "https://bank-kv.vault.azure.net");
  EXPECT_EQ(ModeOf(dir_ + "/sandbox.db"), 0600u);
}

TEST_F(SandboxTest, VaultCreateUpdateGetList) {
  auto created = cloud_->PutVault(Vault("bank-kv", false));
  CMK_ASSERT_OK(created);
  EXPECT_EQ(created->id, VaultArmId(kSub, kRg, "bank-kv"));
  EXPECT_FALSE(created->etag.empty());

  VaultState update = Vault("bank-kv", true, "premium");
  update.rbac_authorization = false;
  update.network_acls.default_action = "Deny";
  update.tags["owner"] = "treasury";
  auto updated = cloud_->PutVault(update);
  CMK_ASSERT_OK(updated);
  EXPECT_NE(updated->etag, created->etag);
  EXPECT_EQ(updated->sku, "premium");
  EXPECT_TRUE(updated->purge_protection);

  auto got = cloud_->GetVault(kSub, kRg, "BANK-KV");  // names are case-insensitive
  CMK_ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->tags.at("owner"), "treasury");
  EXPECT_FALSE((*got)->rbac_authorization);
  EXPECT_EQ((*got)->network_acls.default_action, "Deny");

  CMK_ASSERT_OK(cloud_->PutVault(Vault("alpha-kv")));
  auto list = cloud_->ListVaults(kSub);
  CMK_ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alpha-kv");
  EXPECT_EQ((*list)[1].name, "bank-kv");
  EXPECT_TRUE(cloud_->ListVaults("other-sub")->empty());
}

TEST_F(SandboxTest, VaultNamesAreGlobalAcrossResourceGroups) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  VaultState elsewhere = Vault("bank-kv");
  elsewhere.resource_group = "rg-other";
  Status s = cloud_->PutVault(elsewhere).status();
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(AzureCode(s), "VaultAlreadyExists");
  EXPECT_FALSE(cloud_->GetVault(kSub, "rg-other", "bank-kv")->has_value());
}

TEST_F(SandboxTest, InvalidVaultRefused) {
  EXPECT_EQ(cloud_->PutVault(Vault("x")).status().code(), StatusCode::kInvalidArgument);
  VaultState v = Vault("bank-kv");
  v.soft_delete_retention_days = 91;
  EXPECT_EQ(cloud_->PutVault(v).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SandboxTest, RetentionIsFixedAtCreation) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  VaultState v = Vault("bank-kv");
  v.soft_delete_retention_days = 30;
  Status s = cloud_->PutVault(v).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("softDeleteRetentionDays cannot be changed after creation"),
            std::string::npos);
}

TEST_F(SandboxTest, PurgeProtectionIsOneWay) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv", false)));
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv", true)));
  Status s = cloud_->PutVault(Vault("bank-kv", false)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("enablePurgeProtection"), std::string::npos);
  EXPECT_TRUE((*cloud_->GetVault(kSub, kRg, "bank-kv"))->purge_protection);
}

TEST_F(SandboxTest, SoftDeletedNameConflictsUntilRecovered) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  CMK_ASSERT_OK(cloud_->DeleteVault(kSub, kRg, "bank-kv"));
  EXPECT_FALSE(cloud_->GetVault(kSub, kRg, "bank-kv")->has_value());
  EXPECT_EQ(cloud_->DeleteVault(kSub, kRg, "bank-kv").code(), StatusCode::kNotFound);

  auto deleted = cloud_->ListDeletedVaults(kSub);
  CMK_ASSERT_OK(deleted);
  ASSERT_EQ(deleted->size(), 1u);
  EXPECT_EQ((*deleted)[0].scheduled_purge_date - (*deleted)[0].deletion_date, 7 * 86400);

  Status s = cloud_->PutVault(Vault("bank-kv")).status();
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_NE(s.message().find("A vault with the same name already exists in deleted state. You "
                             "need to either recover or purge existing key vault."),
            std::string::npos);

  CMK_ASSERT_OK(cloud_->RecoverVault("bank-kv"));
  EXPECT_TRUE(cloud_->GetVault(kSub, kRg, "bank-kv")->has_value());
  EXPECT_TRUE(cloud_->ListDeletedVaults(kSub)->empty());
}

TEST_F(SandboxTest, PurgeRefusedUnderPurgeProtectionUntilRetentionEnds) {
  CMK_ASSERT_OK(cloud_->SetClock(1'700'000'000));
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv", true)));
  CMK_ASSERT_OK(cloud_->DeleteVault(kSub, kRg, "bank-kv"));
  EXPECT_EQ(cloud_->PurgeVault("bank-kv").code(), StatusCode::kFailedPrecondition);
  CMK_ASSERT_OK(cloud_->AdvanceClock(6 * 86400));
  EXPECT_EQ(cloud_->PurgeVault("bank-kv").code(), StatusCode::kFailedPrecondition);
  CMK_ASSERT_OK(cloud_->AdvanceClock(86400));
  // The retention has passed: Azure purges it; the name is free again.
  EXPECT_TRUE(cloud_->ListDeletedVaults(kSub)->empty());
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv", true)));
}

TEST_F(SandboxTest, PurgeWithoutProtectionFreesTheNameAndDropsKeys) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv", false)));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "cmk", "RSA", 2048)));
  CMK_ASSERT_OK(cloud_->DeleteVault(kSub, kRg, "bank-kv"));
  EXPECT_FALSE(cloud_->GetKey("bank-kv", "cmk")->has_value());  // keys go with the vault
  CMK_ASSERT_OK(cloud_->PurgeVault("bank-kv"));
  EXPECT_EQ(cloud_->RecoverVault("bank-kv").status().code(), StatusCode::kNotFound);
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv", false)));
  EXPECT_FALSE(cloud_->GetKey("bank-kv", "cmk")->has_value());
}

TEST_F(SandboxTest, RecoveredVaultBringsItsKeysBack) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "cmk", "RSA", 2048)));
  CMK_ASSERT_OK(cloud_->DeleteVault(kSub, kRg, "bank-kv"));
  EXPECT_EQ(cloud_->ListKeys("bank-kv").status().code(), StatusCode::kNotFound);
  CMK_ASSERT_OK(cloud_->RecoverVault("bank-kv"));
  EXPECT_TRUE(cloud_->GetKey("bank-kv", "cmk")->has_value());
}

TEST_F(SandboxTest, SimulatedClockPersistsAndAdvances) {
  EXPECT_FALSE(*cloud_->ClockIsSimulated());
  CMK_ASSERT_OK(cloud_->SetClock(1'800'000'000));
  EXPECT_EQ(cloud_->Now(), 1'800'000'000);
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  Reopen();
  EXPECT_EQ(cloud_->Now(), 1'800'003'600);
  EXPECT_EQ(cloud_->AdvanceClock(-1).code(), StatusCode::kInvalidArgument);
  CMK_ASSERT_OK(cloud_->UseRealClock());
  EXPECT_FALSE(*cloud_->ClockIsSimulated());
}

TEST_F(SandboxTest, EventsRecordMutationsWithTheCloudsClock) {
  CMK_ASSERT_OK(cloud_->SetClock(1'700'000'000));
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  CMK_ASSERT_OK(cloud_->DeleteVault(kSub, kRg, "bank-kv"));
  EXPECT_TRUE(HasEvent(*cloud_, "vault.create", "vault/bank-kv"));
  EXPECT_TRUE(HasEvent(*cloud_, "vault.update", "vault/bank-kv"));
  EXPECT_TRUE(HasEvent(*cloud_, "vault.delete", "vault/bank-kv"));
  auto events = cloud_->ListEvents();
  CMK_ASSERT_OK(events);
  EXPECT_EQ(events->back().time, 1'700'000'000);
  size_t before = events->size();
  // Reads and refused operations leave no trace.
  (void)cloud_->ListVaults(kSub);
  EXPECT_FALSE(cloud_->PutVault(Vault("bank-kv")).ok());
  EXPECT_EQ(cloud_->ListEvents()->size(), before);
}

TEST_F(SandboxTest, ProviderAdapterReportsTargetAndForwards) {
  auto provider = SandboxProvider::Open(root_ + "/p/");
  CMK_ASSERT_OK(provider);
  Provider& p = **provider;
  EXPECT_EQ(p.Target().kind, "sandbox");
  EXPECT_EQ(p.Target().location, root_ + "/p/");
  EXPECT_EQ(p.VaultDnsSuffix(), "vault.azure.net");
  CMK_ASSERT_OK(p.PutVault(PutVault{Vault("bank-kv")}));
  EXPECT_TRUE(p.GetVault(ArmRef{kSub, kRg, "bank-kv"})->has_value());
  CMK_ASSERT_OK(p.DeleteVault(DeleteVault{ArmRef{kSub, kRg, "bank-kv"}}));
  EXPECT_FALSE(p.GetVault(ArmRef{kSub, kRg, "bank-kv"})->has_value());
}

TEST_F(SandboxTest, DnsSuffixOptionShapesVaultUris) {
  cloud_.reset();
  SandboxOptions options;
  options.dns_suffix = "vault.sandbox.test";
  auto cloud = SandboxCloud::Open(dir_, options);
  CMK_ASSERT_OK(cloud);
  auto v = (*cloud)->PutVault(Vault("bank-kv"));
  CMK_ASSERT_OK(v);
  EXPECT_EQ(v->vault_uri, "https://bank-kv.vault.sandbox.test");
}

}  // namespace
}  // namespace cmk
