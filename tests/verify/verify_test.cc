// The canary protocol against the real sandbox: passes on a healthy binding,
// and fails precisely when the version is disabled, when the consumer's
// identity lacks the role, and when the vault corrupts an unwrap.
#include <gtest/gtest.h>

#include <filesystem>

#include "provider/forwarding_provider.h"
#include "sandbox/sandbox_provider.h"
#include "verify/canary.h"
#include "verify/verify_estate.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

constexpr char kSub[] = "11111111-2222-4333-8444-555555555555";
constexpr char kRoleEncryptionUser[] = "e147488a-f6f5-4113-8e2d-b22465e65bf6";

// A vault whose unwrap flips a bit of every answer.
class CorruptingProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  Result<Bytes> UnwrapKey(const cmk::UnwrapKey& request) override {
    auto r = target_.UnwrapKey(request);
    if (!r.ok()) return r;
    Bytes bad = *r;
    bad[0] ^= 0x01;
    return bad;
  }
};

// Counts the unwraps that reach the vault.
class CountingProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  Result<Bytes> UnwrapKey(const cmk::UnwrapKey& request) override {
    ++unwraps;
    return target_.UnwrapKey(request);
  }
  int unwraps = 0;
};

class CanaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cmk-verify-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto p = SandboxProvider::Open(dir_.string());
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    provider_ = std::move(p).value();
    SandboxCloud& cloud = provider_->cloud();

    vault_.name = "canary-kv";
    vault_.subscription = kSub;
    vault_.resource_group = "rg";
    vault_.location = "westeurope";
    vault_.purge_protection = true;
    auto v = provider_->PutVault(PutVault{vault_});
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vault_ = *v;

    KeyState key;
    key.vault = vault_.name;
    key.name = "cmk";
    key.kty = "RSA";
    key.key_size = 2048;
    key.key_ops = {"unwrapKey", "wrapKey"};
    auto k = provider_->CreateKey(CreateKey{key});
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    key_ = *k;

    ConsumerState account;
    account.name = "consumer01";
    account.subscription = kSub;
    account.resource_group = "rg-data";
    account.location = "westeurope";
    SeedOptions seed;
    seed.system_identity = true;
    ASSERT_TRUE(cloud.SeedStorageAccount(account, seed).ok());
    auto a = provider_->GetConsumer(ConsumerRef{ConsumerKind::kStorage, kSub, "rg-data", "consumer01"});
    ASSERT_TRUE(a.ok() && a->has_value());

    role_.id = "0b0b0b0b-1111-4222-8333-444444444444";
    role_.scope = KeyArmId(kSub, "rg", vault_.name, "cmk");
    role_.role_definition_id = kRoleEncryptionUser;
    role_.principal_id = (*a)->system_principal_id;
    auto r = provider_->PutRoleAssignment(PutRoleAssignment{role_});
    ASSERT_TRUE(r.ok()) << r.status().ToString();

    EncryptionState enc;
    enc.key_source = "Microsoft.Keyvault";
    enc.key_vault_uri = VaultUri(vault_.name);
    enc.key_name = "cmk";
    auto bound = provider_->UpdateConsumerEncryption(UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kStorage, kSub, "rg-data", "consumer01"}, enc});
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    account_ = *bound;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Version() const { return key_.versions.back().version; }

  std::filesystem::path dir_;
  std::unique_ptr<SandboxProvider> provider_;
  VaultState vault_;
  KeyState key_;
  RoleAssignmentState role_;
  ConsumerState account_;
};

TEST_F(CanaryTest, KeyCanaryPassesAndRecordsEveryStepWithoutTheDek) {
  CanaryResult r = RunKeyCanary(*provider_, key_, Version());
  EXPECT_EQ(r.outcome, CanaryOutcome::kPassed) << r.message;
  EXPECT_EQ(r.algorithm, "RSA-OAEP-256");
  EXPECT_EQ(r.thumbprint.size(), 43u);  // base64url of SHA-256
  EXPECT_NE(r.kid.find(Version()), std::string::npos);
  std::vector<std::string> names;
  for (const auto& s : r.steps) {
    EXPECT_TRUE(s.ok) << s.name << ": " << s.detail;
    names.push_back(s.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"get-public-key", "local-wrap", "vault-unwrap-of-local-wrap",
                                             "compare-local", "vault-wrap", "vault-unwrap",
                                             "compare-vault"}));
  Json j = ToJson(r);
  EXPECT_EQ(j["outcome"], "pass");
  EXPECT_FALSE(j.contains("dek"));
}

TEST_F(CanaryTest, OaepSha1AlsoWorks) {
  CanaryOptions options;
  options.rsa_algorithm = "RSA-OAEP";
  CanaryResult r = RunKeyCanary(*provider_, key_, Version(), options);
  EXPECT_EQ(r.outcome, CanaryOutcome::kPassed) << r.message;
}

TEST_F(CanaryTest, ConsumerCanaryPassesAsTheConsumer) {
  CanaryResult r = RunConsumerCanary(*provider_, account_, vault_, key_, {});
  EXPECT_EQ(r.outcome, CanaryOutcome::kPassed) << r.message;
  EXPECT_EQ(r.consumer, "storage/consumer01");
  EXPECT_EQ(r.version, Version());
  ASSERT_FALSE(r.steps.empty());
  EXPECT_EQ(r.steps.front().name, "check-permission");
}

TEST_F(CanaryTest, DisabledVersionFailsWithKeyVaultsReason) {
  KeyVersionState attrs = key_.versions.back();
  attrs.enabled = false;
  ASSERT_TRUE(provider_->UpdateKeyVersion(UpdateKeyVersion{KeyRef{vault_.name, "cmk"}, attrs}).ok());
  CanaryResult r = RunConsumerCanary(*provider_, account_, vault_, key_, {});
  EXPECT_EQ(r.outcome, CanaryOutcome::kFailed);
  EXPECT_NE(r.message.find("storage/consumer01 uses version " + Version()), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("disabled"), std::string::npos) << r.message;
}

TEST_F(CanaryTest, MissingRoleFailsTheConsumerNotTheKey) {
  ASSERT_TRUE(provider_->DeleteRoleAssignment(DeleteRoleAssignment{role_.scope, role_.id}).ok());
  CanaryResult consumer = RunConsumerCanary(*provider_, account_, vault_, key_, {});
  EXPECT_EQ(consumer.outcome, CanaryOutcome::kFailed);
  EXPECT_NE(consumer.message.find("holds no role granting get/wrapKey/unwrapKey on key/cmk"),
            std::string::npos)
      << consumer.message;
  EXPECT_NE(consumer.message.find(account_.system_principal_id), std::string::npos);
  // The key itself is fine.
  EXPECT_EQ(RunKeyCanary(*provider_, key_, Version()).outcome, CanaryOutcome::kPassed);
}

TEST_F(CanaryTest, CorruptedUnwrapIsCaught) {
  CorruptingProvider corrupt(*provider_);
  CanaryResult r = RunKeyCanary(corrupt, key_, Version());
  EXPECT_EQ(r.outcome, CanaryOutcome::kFailed);
  EXPECT_NE(r.message.find("returned different bytes"), std::string::npos) << r.message;
}

TEST_F(CanaryTest, EcKeysAreSkippedWithAReason) {
  KeyState ec;
  ec.vault = vault_.name;
  ec.name = "signing";
  ec.kty = "EC";
  ec.curve = "P-256";
  ec.key_ops = {"sign", "verify"};
  auto k = provider_->CreateKey(CreateKey{ec});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  CanaryResult r = RunKeyCanary(*provider_, *k, k->versions.back().version);
  EXPECT_EQ(r.outcome, CanaryOutcome::kSkipped);
  EXPECT_NE(r.message.find("cannot wrap"), std::string::npos);
}

TEST_F(CanaryTest, UnboundConsumerFails) {
  ConsumerState unbound = account_;
  unbound.encryption = EncryptionState{};
  CanaryResult r = RunConsumerCanary(*provider_, unbound, vault_, key_, {});
  EXPECT_EQ(r.outcome, CanaryOutcome::kFailed);
  EXPECT_NE(r.message.find("not bound"), std::string::npos);
}

// What verify selects: the newest enabled version of each declared key (or
// every enabled one), then each binding as its consumer; what the target
// lacks is a failed result that says so; --key narrows both.
TEST_F(CanaryTest, VerifyEstateSelectsVersionsAndConsumers) {
  auto rotated = provider_->RotateKey(RotateKey{KeyRef{vault_.name, "cmk"}});
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  DesiredState desired;
  desired.keys["key/cmk"].value = key_;
  KeyState missing = key_;
  missing.name = "not-applied";
  desired.keys["key/not-applied"].value = missing;
  BindingState b;
  b.name = "consumer";
  b.consumer = "consumer01";
  b.vault = vault_.name;
  b.key = "cmk";
  desired.bindings["binding/consumer"].value = b;
  LiveState live;
  live.vaults["vault/" + vault_.name] = vault_;
  auto key = provider_->GetKey(KeyRef{vault_.name, "cmk"});
  ASSERT_TRUE(key.ok() && key->has_value());
  live.keys[vault_.name + "/cmk"] = **key;
  auto account = provider_->GetConsumer(ConsumerRef{ConsumerKind::kStorage, kSub, "rg-data", "consumer01"});
  ASSERT_TRUE(account.ok() && account->has_value());
  live.consumers["storage/consumer01"] = **account;

  std::vector<CanaryResult> newest = VerifyEstate(desired, live, *provider_);
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].key_address, "key/cmk");
  EXPECT_EQ(newest[0].version, (*key)->versions.back().version);
  EXPECT_EQ(newest[0].outcome, CanaryOutcome::kPassed) << newest[0].message;
  EXPECT_EQ(newest[1].key_address, "key/not-applied");
  EXPECT_EQ(newest[1].outcome, CanaryOutcome::kFailed);
  EXPECT_NE(newest[1].message.find("does not exist on the target"), std::string::npos);
  EXPECT_EQ(newest[2].consumer, "storage/consumer01");
  EXPECT_EQ(newest[2].outcome, CanaryOutcome::kPassed) << newest[2].message;
  CanaryTally t = Tally(newest);
  EXPECT_EQ(t.passed, 2);
  EXPECT_EQ(t.failed, 1);

  VerifyOptions all;
  all.all_versions = true;
  all.key = "cmk";
  std::vector<CanaryResult> every = VerifyEstate(desired, live, *provider_, all);
  ASSERT_EQ(every.size(), 3u);  // both versions of cmk, oldest first, then the consumer
  EXPECT_EQ(every[0].version, (*key)->versions.front().version);
  EXPECT_EQ(every[1].version, (*key)->versions.back().version);
  EXPECT_EQ(every[2].consumer, "storage/consumer01");

  VerifyOptions other;
  other.key = "nothing-here";
  EXPECT_TRUE(VerifyEstate(desired, live, *provider_, other).empty());
}

// A consumer on a version the key canary already proved in this run names that
// canary instead of repeating its round trips; a consumer on a version nobody
// probed still runs its own, and its permission check always runs.
TEST_F(CanaryTest, VerifyEstateProvesEachVersionOnce) {
  DesiredState desired;
  desired.keys["key/cmk"].value = key_;
  BindingState b;
  b.name = "consumer";
  b.consumer = "consumer01";
  b.vault = vault_.name;
  b.key = "cmk";
  desired.bindings["binding/consumer"].value = b;
  LiveState live;
  live.vaults["vault/" + vault_.name] = vault_;
  live.keys[vault_.name + "/cmk"] = key_;
  auto account = provider_->GetConsumer(ConsumerRef{ConsumerKind::kStorage, kSub, "rg-data", "consumer01"});
  ASSERT_TRUE(account.ok() && account->has_value());
  live.consumers["storage/consumer01"] = **account;

  // Alone, the consumer canary unwraps on its own.
  CountingProvider alone(*provider_);
  CanaryResult own = RunConsumerCanary(alone, **account, vault_, key_, {});
  ASSERT_EQ(own.outcome, CanaryOutcome::kPassed) << own.message;
  ASSERT_GT(alone.unwraps, 0);
  const int per_canary = alone.unwraps;

  // Same version probed by the key canary: one canary's worth of unwraps in all.
  CountingProvider counting(*provider_);
  std::vector<CanaryResult> results = VerifyEstate(desired, live, counting);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(counting.unwraps, per_canary);
  const CanaryResult& consumer = results[1];
  EXPECT_EQ(consumer.consumer, "storage/consumer01");
  EXPECT_EQ(consumer.outcome, CanaryOutcome::kPassed) << consumer.message;
  EXPECT_EQ(consumer.version, Version());
  EXPECT_EQ(consumer.kid, results[0].kid);
  ASSERT_EQ(consumer.steps.size(), 2u);
  EXPECT_EQ(consumer.steps[0].name, "check-permission");
  EXPECT_EQ(consumer.steps[1].name, "key-canary");
  EXPECT_TRUE(consumer.steps[1].ok);

  // After a rotation the key canary probes the new version while the consumer
  // still uses the old one: the consumer's round trips run again.
  auto rotated = provider_->RotateKey(RotateKey{KeyRef{vault_.name, "cmk"}});
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  auto key = provider_->GetKey(KeyRef{vault_.name, "cmk"});
  ASSERT_TRUE(key.ok() && key->has_value());
  live.keys[vault_.name + "/cmk"] = **key;
  CountingProvider after(*provider_);
  std::vector<CanaryResult> again = VerifyEstate(desired, live, after);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_NE(again[0].version, again[1].version);
  EXPECT_EQ(after.unwraps, 2 * per_canary);
  EXPECT_EQ(again[1].outcome, CanaryOutcome::kPassed) << again[1].message;
  EXPECT_NE(again[1].steps.back().name, "key-canary");

  // A failed key canary proves nothing: the consumer's own round trip reports.
  CorruptingProvider corrupt(*provider_);
  live.keys[vault_.name + "/cmk"] = key_;
  std::vector<CanaryResult> bad = VerifyEstate(desired, live, corrupt);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].outcome, CanaryOutcome::kFailed);
  EXPECT_EQ(bad[1].outcome, CanaryOutcome::kFailed);
  EXPECT_NE(bad[1].message.find("returned different bytes"), std::string::npos) << bad[1].message;
}

}  // namespace
}  // namespace cmk
