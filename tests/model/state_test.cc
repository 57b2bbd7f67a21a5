#include "model/state.h"
#include "model/arm_id.h"
#include "model/codec.h"

#include <gtest/gtest.h>

namespace cmk {
namespace {

TEST(StateJson, KeyRoundTripsWithVersionsAndPolicy) {
  KeyState k;
  k.vault = "bank-kv";
  k.name = "storage-kek";
  k.kty = "RSA-HSM";
  k.key_size = 3072;
  k.key_ops = {"unwrapKey", "wrapKey"};
  k.expires = 1767225600;
  k.tags = {{"managed-by", "cmkctl"}};
  k.rotation_policy = RotationPolicyState{"P1Y", std::nullopt, "P30D", "P2Y"};
  KeyVersionState v;
  v.version = "0123456789abcdef0123456789abcdef";
  v.enabled = false;
  v.created = 10;
  k.versions.push_back(v);
  KeyState back = FromJson<KeyState>(ToJson(k));
  EXPECT_EQ(ToJson(back), ToJson(k));
  ASSERT_EQ(back.versions.size(), 1u);
  EXPECT_FALSE(back.versions[0].enabled);
  EXPECT_EQ(*back.rotation_policy, *k.rotation_policy);
}

TEST(StateJson, BindingAutoAndSystemAreExplicitWords) {
  BindingState b;
  b.name = "x";
  Json j = ToJson(b);
  EXPECT_EQ(j["keyVersion"], "auto");
  EXPECT_EQ(j["identity"], "system");
  BindingState back = FromJson<BindingState>(j);
  EXPECT_TRUE(back.key_version.empty());
  EXPECT_TRUE(back.identity.empty());
}

TEST(StateJson, WrongTypesFallBackToDefaults) {
  VaultState v = FromJson<VaultState>(Json{{"softDeleteRetentionDays", "ninety"}, {"name", 7}});
  EXPECT_EQ(v.soft_delete_retention_days, 90);
  EXPECT_EQ(v.name, "");
}

TEST(DeterministicGuid, StableAndWellFormed) {
  std::string a = DeterministicGuid("scope|role|principal");
  EXPECT_EQ(a, DeterministicGuid("scope|role|principal"));
  EXPECT_NE(a, DeterministicGuid("scope|role|principal2"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '5');
}

TEST(Ownership, ManagedNameFromDescription) {
  EXPECT_EQ(ManagedNameFromDescription("managed-by=cmkctl name=ledger-access"), "ledger-access");
  EXPECT_EQ(ManagedNameFromDescription("managed-by=cmkctl name=a extra"), "a");
  EXPECT_EQ(ManagedNameFromDescription("created by hand name=x"), "");
  EXPECT_EQ(ManagedNameFromDescription("managed-by=cmkctl"), "");
}

TEST(ArmIds, ParseArmIdInvertsTheBuilders) {
  ArmIdParts p = ParseArmId(IdentityArmId("sub-1", "rg-a", "uami-1"));
  EXPECT_EQ(p.subscription, "sub-1");
  EXPECT_EQ(p.resource_group, "rg-a");
  EXPECT_EQ(p.name, "uami-1");
  // Case-insensitive segment names, trailing slash, nested resource.
  p = ParseArmId("/SUBSCRIPTIONS/s/ResourceGroups/r/providers/Microsoft.KeyVault/vaults/v/keys/k/");
  EXPECT_EQ(p.subscription, "s");
  EXPECT_EQ(p.resource_group, "r");
  EXPECT_EQ(p.name, "k");
  p = ParseArmId("/subscriptions/s");
  EXPECT_EQ(p.subscription, "s");
  EXPECT_EQ(p.resource_group, "");
  EXPECT_EQ(ParseArmId("").name, "");
}

TEST(Address, KindPrefixes) {
  EXPECT_EQ(MakeAddress(Kind::kStorageCmkBinding, "b"), "binding/b");
  EXPECT_EQ(KindFromName("RoleAssignment"), Kind::kRoleAssignment);
  EXPECT_FALSE(KindFromName("Secret").has_value());
}

}  // namespace
}  // namespace cmk
