// SandboxCloud keys: versions, attributes, rotation, soft delete, and what
// wrap/unwrap accept. RSA-2048 only, and few of them: generation is slow.
#include <regex>

#include "crypto/crypto.h"
#include "sandbox/sandbox_store.h"
#include "sandbox_test_util.h"

namespace cmk {
namespace {

class SandboxKeyTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_TRUE(cloud_->SetClock(kT0).ok());
    ASSERT_TRUE(cloud_->PutVault(Vault("bank-kv")).ok());
  }
  static constexpr int64_t kT0 = 1'700'000'000;
};

TEST_F(SandboxKeyTest, CreateTwiceMakesVersionsOldestFirst) {
  auto first = cloud_->CreateKey(Key("bank-kv", "cmk", "EC", 0));
  CMK_ASSERT_OK(first);
  EXPECT_EQ(first->curve, "P-256");
  EXPECT_EQ(first->key_ops, (std::vector<std::string>{"sign", "verify"}));
  ASSERT_EQ(first->versions.size(), 1u);
  EXPECT_TRUE(std::regex_match(first->versions[0].version, std::regex("^[0-9a-f]{32}$")));
  EXPECT_EQ(first->versions[0].created, kT0);

  CMK_ASSERT_OK(cloud_->AdvanceClock(60));
  auto second = cloud_->CreateKey(Key("bank-kv", "cmk", "EC", 0));
  CMK_ASSERT_OK(second);
  ASSERT_EQ(second->versions.size(), 2u);
  EXPECT_EQ(second->versions[0].version, first->versions[0].version);
  EXPECT_EQ(second->kid,
            "https://bank-kv.vault.azure.net/keys/cmk/" + second->versions[1].version);

  auto got = cloud_->GetKey("bank-kv", "cmk");
  CMK_ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->versions.size(), 2u);
  EXPECT_EQ((*got)->versions[1].created, kT0 + 60);

  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "alpha", "EC", 0)));
  EXPECT_EQ(*cloud_->ListKeys("bank-kv"), (std::vector<std::string>{"alpha", "cmk"}));
  EXPECT_FALSE(cloud_->GetKey("bank-kv", "missing")->has_value());
  EXPECT_FALSE(cloud_->GetKey("no-such-kv", "cmk")->has_value());
}

TEST_F(SandboxKeyTest, InvalidKeysRefused) {
  EXPECT_EQ(cloud_->CreateKey(Key("bank-kv", "bad_name", "EC", 0)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(cloud_->CreateKey(Key("bank-kv", "k", "RSA", 1024)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(cloud_->CreateKey(Key("no-such-kv", "k", "EC", 0)).status().code(),
            StatusCode::kNotFound);
}

TEST_F(SandboxKeyTest, HsmKeyInStandardVaultRefused) {
  Status s = cloud_->CreateKey(Key("bank-kv", "cmk", "EC-HSM", 0)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AzureCode(s), "BadParameter");
  EXPECT_NE(s.message().find("Operation not allowed for this key type"), std::string::npos);
}

TEST_F(SandboxKeyTest, UpdateDisableAndExpiryCannotBeRemoved) {
  KeyState k = Key("bank-kv", "cmk", "EC", 0);
  CMK_ASSERT_OK(cloud_->CreateKey(k));
  k.enabled = false;
  k.expires = kT0 + 86400 * 365;
  k.tags = {{"owner", "treasury"}};
  auto updated = cloud_->UpdateKey(k);
  CMK_ASSERT_OK(updated);
  EXPECT_FALSE(updated->enabled);
  EXPECT_EQ(updated->expires, kT0 + 86400 * 365);
  EXPECT_EQ(updated->tags.at("owner"), "treasury");

  k.expires.reset();
  Status s = cloud_->UpdateKey(k).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("cannot be removed"), std::string::npos);

  // A later expiry is fine.
  k.expires = kT0 + 86400 * 400;
  CMK_ASSERT_OK(cloud_->UpdateKey(k));
}

TEST_F(SandboxKeyTest, UpdateKeyVersionTouchesOnlyThatVersion) {
  auto v1 = cloud_->CreateKey(Key("bank-kv", "cmk", "EC", 0));
  CMK_ASSERT_OK(v1);
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "cmk", "EC", 0)));
  KeyVersionState old = v1->versions[0];
  old.enabled = false;
  CMK_ASSERT_OK(cloud_->UpdateKeyVersion("bank-kv", "cmk", old));
  auto k = cloud_->GetKey("bank-kv", "cmk");
  CMK_ASSERT_OK(k);
  EXPECT_FALSE((*k)->versions[0].enabled);
  EXPECT_TRUE((*k)->versions[1].enabled);
  EXPECT_TRUE((*k)->enabled);
  old.version = std::string(32, 'a');
  EXPECT_EQ(cloud_->UpdateKeyVersion("bank-kv", "cmk", old).code(), StatusCode::kNotFound);
}

TEST_F(SandboxKeyTest, RotationPolicyRoundTripAndRotateStampsExpiry) {
  KeyState k = Key("bank-kv", "cmk", "EC", 0);
  k.key_ops = {"verify", "sign"};
  k.tags = {{"owner", "treasury"}};
  CMK_ASSERT_OK(cloud_->CreateKey(k));
  RotationPolicyState p;
  p.rotate_after_create = "P90D";
  p.notify_before_expiry = "P30D";
  p.expiry_time = "P1Y";
  CMK_ASSERT_OK(cloud_->PutRotationPolicy("bank-kv", "cmk", p));
  auto got = cloud_->GetRotationPolicy("bank-kv", "cmk");
  CMK_ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE(**got == p);
  EXPECT_EQ((*got)->updated, kT0);

  RotationPolicyState bad;
  bad.expiry_time = "1 year";
  EXPECT_EQ(cloud_->PutRotationPolicy("bank-kv", "cmk", bad).code(), StatusCode::kInvalidArgument);

  CMK_ASSERT_OK(cloud_->AdvanceClock(86400));
  auto rotated = cloud_->RotateKey("bank-kv", "cmk");
  CMK_ASSERT_OK(rotated);
  ASSERT_EQ(rotated->versions.size(), 2u);
  EXPECT_EQ(rotated->kty, "EC");
  EXPECT_EQ(rotated->curve, "P-256");
  EXPECT_EQ(rotated->key_ops, (std::vector<std::string>{"sign", "verify"}));
  EXPECT_EQ(rotated->tags.at("owner"), "treasury");
  // 2023-11-15 + 1 day, plus one calendar year (2024 is a leap year: 366 days).
  EXPECT_EQ(rotated->versions[1].expires, kT0 + 86400 + 366 * 86400);
  EXPECT_FALSE(rotated->versions[0].expires.has_value());
  ASSERT_TRUE(rotated->rotation_policy.has_value());
}

TEST_F(SandboxKeyTest, SoftDeletedKeyNameConflictsUntilRecoveredOrPurged) {
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "cmk", "EC", 0)));
  CMK_ASSERT_OK(cloud_->DeleteKey("bank-kv", "cmk"));
  EXPECT_FALSE(cloud_->GetKey("bank-kv", "cmk")->has_value());
  EXPECT_TRUE(cloud_->ListKeys("bank-kv")->empty());
  ASSERT_EQ(cloud_->ListDeletedKeys("bank-kv")->size(), 1u);

  Status s = cloud_->CreateKey(Key("bank-kv", "cmk", "EC", 0)).status();
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(AzureCode(s), "ObjectIsDeletedButRecoverable");

  auto recovered = cloud_->RecoverKey("bank-kv", "cmk");
  CMK_ASSERT_OK(recovered);
  EXPECT_EQ(recovered->versions.size(), 1u);

  // bank-kv has purge protection: purge waits for the retention.
  CMK_ASSERT_OK(cloud_->DeleteKey("bank-kv", "cmk"));
  EXPECT_EQ(cloud_->PurgeKey("bank-kv", "cmk").code(), StatusCode::kFailedPrecondition);
  CMK_ASSERT_OK(cloud_->PutVault(Vault("open-kv", false)));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("open-kv", "cmk", "EC", 0)));
  CMK_ASSERT_OK(cloud_->DeleteKey("open-kv", "cmk"));
  CMK_ASSERT_OK(cloud_->PurgeKey("open-kv", "cmk"));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("open-kv", "cmk", "EC", 0)));
}

// One RSA-2048 key for all RSA checks.
TEST_F(SandboxKeyTest, RsaWrapUnwrapAndKeyVaultRules) {
  KeyState k = Key("bank-kv", "cmk", "RSA", 2048);
  auto created = cloud_->CreateKey(k);
  CMK_ASSERT_OK(created);
  const std::string version = created->versions[0].version;
  Bytes dek(32, 0x5a);

  auto wrapped = cloud_->WrapKey("bank-kv", "cmk", "", "RSA-OAEP-256", dek);
  CMK_ASSERT_OK(wrapped);
  EXPECT_NE(*wrapped, dek);
  auto unwrapped = cloud_->UnwrapKey("bank-kv", "cmk", version, "RSA-OAEP-256", *wrapped);
  CMK_ASSERT_OK(unwrapped);
  EXPECT_EQ(*unwrapped, dek);

  // The published public key wraps locally what the vault unwraps.
  auto pub = cloud_->GetPublicKey("bank-kv", "cmk", "");
  CMK_ASSERT_OK(pub);
  EXPECT_EQ(pub->kid, created->kid);
  EXPECT_EQ(pub->kty, "RSA");
  EXPECT_FALSE(pub->n.empty());
  PublicJwk jwk{"RSA", pub->n, pub->e, "", "", ""};
  auto local = WrapWithPublic(jwk, WrapAlg::kRsaOaep, dek);
  CMK_ASSERT_OK(local);
  auto back = cloud_->UnwrapKey("bank-kv", "cmk", version, "RSA-OAEP", *local);
  CMK_ASSERT_OK(back);
  EXPECT_EQ(*back, dek);

  // Wrong algorithm family for the key type.
  EXPECT_EQ(cloud_->WrapKey("bank-kv", "cmk", "", "A256KW", dek).status().code(),
            StatusCode::kInvalidArgument);
  // A tampered ciphertext is an error, never a wrong answer.
  Bytes bad = *wrapped;
  bad[10] ^= 0x01;
  EXPECT_FALSE(cloud_->UnwrapKey("bank-kv", "cmk", version, "RSA-OAEP-256", bad).ok());

  // key_ops without unwrapKey.
  k.key_ops = {"wrapKey"};
  CMK_ASSERT_OK(cloud_->UpdateKey(k));
  Status s = cloud_->UnwrapKey("bank-kv", "cmk", version, "RSA-OAEP-256", *wrapped).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Operation unwrapKey is not permitted on this key"),
            std::string::npos);

  // Not yet valid, expired, disabled.
  k.key_ops = {"unwrapKey", "wrapKey"};
  k.not_before = kT0 + 100;
  CMK_ASSERT_OK(cloud_->UpdateKey(k));
  EXPECT_EQ(cloud_->WrapKey("bank-kv", "cmk", "", "RSA-OAEP-256", dek).status().code(),
            StatusCode::kPermissionDenied);
  k.not_before.reset();
  k.expires = kT0 + 10;
  CMK_ASSERT_OK(cloud_->UpdateKey(k));
  CMK_ASSERT_OK(cloud_->WrapKey("bank-kv", "cmk", "", "RSA-OAEP-256", dek));
  CMK_ASSERT_OK(cloud_->AdvanceClock(10));
  s = cloud_->UnwrapKey("bank-kv", "cmk", version, "RSA-OAEP-256", *wrapped).status();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("Key is expired"), std::string::npos);
  k.expires = kT0 + 86400;
  k.enabled = false;
  CMK_ASSERT_OK(cloud_->UpdateKey(k));
  s = cloud_->UnwrapKey("bank-kv", "cmk", version, "RSA-OAEP-256", *wrapped).status();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("Key is disabled"), std::string::npos);
  EXPECT_EQ(cloud_->GetPublicKey("bank-kv", "cmk", version).status().code(),
            StatusCode::kPermissionDenied);
}

// Generated material is made on first use, once, and kept: creating a key
// costs no RSA generation, and each version still has its own real key.
TEST_F(SandboxKeyTest, MaterialIsMadeOnFirstUseAndKept) {
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "cmk", "RSA", 2048)));
  CMK_ASSERT_OK(cloud_->AdvanceClock(60));
  auto created = cloud_->CreateKey(Key("bank-kv", "cmk", "RSA", 2048));
  CMK_ASSERT_OK(created);
  ASSERT_EQ(created->versions.size(), 2u);
  const std::string v1 = created->versions[0].version, v2 = created->versions[1].version;
  auto secret_size = [&](const std::string& version) -> size_t {
    auto store = SandboxStore::Open(dir_);
    if (!store.ok()) return 999999;
    auto secret = (*store)->GetSecret(StoreTable::kKeyVersions, "bank-kv/cmk/" + version);
    return secret.ok() ? secret->size() : 999999;
  };
  EXPECT_EQ(secret_size(v1), 0u);
  EXPECT_EQ(secret_size(v2), 0u);

  auto first = cloud_->GetPublicKey("bank-kv", "cmk", v1);
  CMK_ASSERT_OK(first);
  EXPECT_GT(secret_size(v1), 1000u);  // a PKCS#8 PEM of an RSA-2048 key
  EXPECT_EQ(secret_size(v2), 0u);     // untouched versions stay unmade
  auto again = cloud_->GetPublicKey("bank-kv", "cmk", v1);
  CMK_ASSERT_OK(again);
  EXPECT_EQ(again->n, first->n);

  // The other version, made by an unwrap's wrap, is a different key.
  Bytes dek(32, 0x42);
  auto wrapped = cloud_->WrapKey("bank-kv", "cmk", v2, "RSA-OAEP-256", dek);
  CMK_ASSERT_OK(wrapped);
  auto second = cloud_->GetPublicKey("bank-kv", "cmk", v2);
  CMK_ASSERT_OK(second);
  EXPECT_NE(second->n, first->n);
  EXPECT_FALSE(cloud_->UnwrapKey("bank-kv", "cmk", v1, "RSA-OAEP-256", *wrapped).ok());

  // Kept across processes: a reopened sandbox publishes the same key and
  // unwraps what the first one wrapped.
  Reopen();
  auto reread = cloud_->GetPublicKey("bank-kv", "cmk", v1);
  CMK_ASSERT_OK(reread);
  EXPECT_EQ(reread->n, first->n);
  auto back = cloud_->UnwrapKey("bank-kv", "cmk", v2, "RSA-OAEP-256", *wrapped);
  CMK_ASSERT_OK(back);
  EXPECT_EQ(*back, dek);
}

// What the pool made ahead is stored when the sandbox closes: the next
// process (a verify after an apply) finds every version's material made.
// A throwaway copy (finish_material_on_close off) does not wait for it, and
// its versions still get material on first use.
TEST_F(SandboxKeyTest, MaterialMadeAheadIsStoredOnClose) {
  auto secret_size = [&](const std::string& version) -> size_t {
    auto store = SandboxStore::Open(dir_);
    if (!store.ok()) return 999999;
    auto secret = (*store)->GetSecret(StoreTable::kKeyVersions, "bank-kv/" + version);
    return secret.ok() ? secret->size() : 999999;
  };
  std::vector<std::string> versions;
  for (const char* name : {"a", "b", "c"}) {
    auto k = cloud_->CreateKey(Key("bank-kv", name, "RSA", 2048));
    CMK_ASSERT_OK(k);
    versions.push_back(std::string(name) + "/" + k->versions[0].version);
  }
  Reopen();
  for (const auto& v : versions) EXPECT_GT(secret_size(v), 1000u) << v;
  // Stored, not made again: the published key does not change.
  auto pub = cloud_->GetPublicKey("bank-kv", "a", "");
  CMK_ASSERT_OK(pub);
  Reopen();
  auto again = cloud_->GetPublicKey("bank-kv", "a", "");
  CMK_ASSERT_OK(again);
  EXPECT_EQ(again->n, pub->n);

  cloud_.reset();
  SandboxOptions throwaway;
  throwaway.finish_material_on_close = false;
  throwaway.material_threads = 1;
  auto copy = SandboxCloud::Open(dir_, throwaway);
  CMK_ASSERT_OK(copy);
  std::vector<std::string> late;
  for (int i = 0; i < 10; ++i) {
    auto k = (*copy)->CreateKey(Key("bank-kv", "late" + std::to_string(i), "RSA", 2048));
    CMK_ASSERT_OK(k);
    late.push_back("late" + std::to_string(i) + "/" + k->versions[0].version);
  }
  copy->reset();  // returns at once: at most what was being made is stored
  size_t unmade = 0;
  for (const auto& v : late) unmade += secret_size(v) == 0;
  EXPECT_GE(unmade, 5u);
  Reopen();
  Bytes dek(32, 7);
  auto wrapped = cloud_->WrapKey("bank-kv", "late9", "", "RSA-OAEP-256", dek);
  CMK_ASSERT_OK(wrapped);
  auto back = cloud_->UnwrapKey("bank-kv", "late9", "", "RSA-OAEP-256", *wrapped);
  CMK_ASSERT_OK(back);
  EXPECT_EQ(*back, dek);
}

TEST_F(SandboxKeyTest, EcKeysCannotWrap) {
  KeyState k = Key("bank-kv", "sig", "EC", 0);
  k.key_ops = {"sign", "verify", "wrapKey"};
  CMK_ASSERT_OK(cloud_->CreateKey(k));
  Status s = cloud_->WrapKey("bank-kv", "sig", "", "RSA-OAEP-256", Bytes(32, 1)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  auto pub = cloud_->GetPublicKey("bank-kv", "sig", "");
  CMK_ASSERT_OK(pub);
  EXPECT_EQ(pub->crv, "P-256");
  EXPECT_FALSE(pub->x.empty());
}

TEST_F(SandboxKeyTest, OctHsmWrapsInPremiumVault) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("hsm-kv", true, "premium")));
  auto k = cloud_->CreateKey(Key("hsm-kv", "kek", "oct-HSM", 256));
  CMK_ASSERT_OK(k);
  Bytes dek(32, 0x11);
  auto wrapped = cloud_->WrapKey("hsm-kv", "kek", "", "A256KW", dek);
  CMK_ASSERT_OK(wrapped);
  auto unwrapped = cloud_->UnwrapKey("hsm-kv", "kek", "", "A256KW", *wrapped);
  CMK_ASSERT_OK(unwrapped);
  EXPECT_EQ(*unwrapped, dek);
  EXPECT_EQ(cloud_->WrapKey("hsm-kv", "kek", "", "A128KW", dek).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(cloud_->WrapKey("hsm-kv", "kek", "", "RSA-OAEP-256", dek).status().code(),
            StatusCode::kInvalidArgument);
  auto pub = cloud_->GetPublicKey("hsm-kv", "kek", "");
  CMK_ASSERT_OK(pub);
  EXPECT_EQ(pub->kty, "oct-HSM");
  EXPECT_TRUE(pub->n.empty());
}

TEST_F(SandboxKeyTest, KeyEventsRecorded) {
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "cmk", "EC", 0)));
  CMK_ASSERT_OK(cloud_->RotateKey("bank-kv", "cmk"));
  CMK_ASSERT_OK(cloud_->DeleteKey("bank-kv", "cmk"));
  auto events = cloud_->ListEvents();
  CMK_ASSERT_OK(events);
  std::vector<std::string> kinds;
  for (const auto& e : *events)
    if (e.object == "key/bank-kv/cmk") kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"key.create", "key.rotate", "key.delete"}));
}

}  // namespace
}  // namespace cmk
