#include "test_cloud.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/strings.h"
#include "engine/read/live_reader.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

std::string KeyObject(const std::string& vault, const std::string& name) { return vault + "/" + name; }

}  // namespace

SandboxDirectory::SandboxDirectory() {
  char tmpl[] = "/tmp/cmk-engine-test-XXXXXX";
  char* made = mkdtemp(tmpl);
  dir = made ? made : "";
  auto opened = SandboxProvider::Open(dir);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.status().ToString();
    std::abort();
  }
  sandbox = std::move(opened).value();
}

SandboxDirectory::~SandboxDirectory() {
  sandbox.reset();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

TestCloud::TestCloud() : SandboxDirectory(), ForwardingProvider(*sandbox) {}

void TestCloud::SeedVault(VaultState v) {
  EXPECT_FALSE(started_) << "seed before the first call";
  seed_.vaults["vault/" + v.name] = std::move(v);
}

void TestCloud::SeedKey(KeyState k) {
  EXPECT_FALSE(started_) << "seed before the first call";
  if (k.versions.empty()) {
    KeyVersionState v;
    char id[33];
    const unsigned n = static_cast<unsigned>(++seeded_versions_);
    std::snprintf(id, sizeof id, "%016x%016x", 0xabcdef00u + n, n);
    v.version = id;
    v.enabled = k.enabled;
    v.not_before = k.not_before;
    v.expires = k.expires;
    v.created = v.updated = kTestNow;
    v.key_ops = k.key_ops;
    v.tags = k.tags;
    k.versions.push_back(v);
  }
  bool has_vault = false;
  for (const auto& [address, v] : seed_.vaults) has_vault |= EqualsIgnoreCase(v.name, k.vault);
  if (!has_vault) {
    VaultState v;
    v.name = k.vault;
    v.subscription = "11111111-1111-1111-1111-111111111111";
    v.resource_group = "rg-bank";
    v.location = "westeurope";
    v.sku = "premium";
    v.purge_protection = true;
    seed_.vaults["vault/" + v.name] = v;
  }
  seed_.keys[KeyObject(k.vault, k.name)] = std::move(k);
}

void TestCloud::SeedIdentity(IdentityState i) {
  EXPECT_FALSE(started_) << "seed before the first call";
  std::string id = IdentityArmId(i.subscription, i.resource_group, i.name);
  if (i.principal_id.empty()) i.principal_id = DeterministicGuid("principal|" + id);
  if (i.client_id.empty()) i.client_id = DeterministicGuid("client|" + id);
  seed_.identities["identity/" + i.name] = std::move(i);
}

void TestCloud::SeedStorageAccount(ConsumerState s) {
  EXPECT_FALSE(started_) << "seed before the first call";
  seed_.consumers["storage/" + s.name] = std::move(s);
}

void TestCloud::SeedRoleAssignment(RoleAssignmentState ra) {
  EXPECT_FALSE(started_) << "seed before the first call";
  seed_.role_assignments[ra.id] = std::move(ra);
}

void TestCloud::Start() {
  if (started_) return;
  started_ = true;
  Status restored = sandbox->cloud().RestoreSnapshot(seed_, kTestNow);
  ASSERT_TRUE(restored.ok()) << restored.ToString();
}

SandboxCloud& TestCloud::cloud() {
  Start();
  return sandbox->cloud();
}

std::optional<KeyState> TestCloud::FindKey(const std::string& vault, const std::string& name) {
  auto k = cloud().GetKey(vault, name);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : std::nullopt;
}

std::optional<ConsumerState> TestCloud::FindStorage(const std::string& name) {
  for (const auto& [address, s] : seed_.consumers) {
    if (!EqualsIgnoreCase(s.name, name)) continue;
    auto got = cloud().GetStorageAccount(s.subscription, s.resource_group, s.name);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::nullopt;
  }
  return std::nullopt;
}

void TestCloud::FailOn(const std::string& operation, Status status, int times) {
  faults_[operation] = Fault{std::move(status), times};
}

std::vector<std::string> TestCloud::WriteCalls() const {
  std::vector<std::string> out;
  for (const auto& c : calls_)
    if (!StartsWith(c, "Get") && !StartsWith(c, "List")) out.push_back(c);
  return out;
}

Status TestCloud::Record(const std::string& operation, const std::string& object) {
  calls_.push_back(operation + " " + object);
  auto it = faults_.find(operation);
  if (it == faults_.end() || it->second.times == 0) return Status::Ok();
  if (it->second.times > 0) --it->second.times;
  return it->second.status;
}

std::string CallObject(const ArmRef& r) { return r.name; }
std::string CallObject(const KeyRef& r) { return KeyObject(r.vault, r.name); }
std::string CallObject(const KeyVersionRef& r) { return KeyObject(r.vault, r.name); }
std::string CallObject(const std::string& s) { return s; }
std::string CallObject(const PutVault& r) { return r.vault.name; }
std::string CallObject(const DeleteVault& r) { return r.vault.name; }
std::string CallObject(const RecoverVault& r) { return r.vault.name; }
std::string CallObject(const RecoverKey& r) { return CallObject(r.key); }
std::string CallObject(const CreateKey& r) { return KeyObject(r.key.vault, r.key.name); }
std::string CallObject(const UpdateKey& r) { return KeyObject(r.key.vault, r.key.name); }
std::string CallObject(const UpdateKeyVersion& r) { return CallObject(r.key); }
std::string CallObject(const RotateKey& r) { return CallObject(r.key); }
std::string CallObject(const PutRotationPolicy& r) { return CallObject(r.key); }
std::string CallObject(const DeleteKey& r) { return CallObject(r.key); }
std::string CallObject(const WrapKey& r) { return CallObject(r.key); }
std::string CallObject(const UnwrapKey& r) { return CallObject(r.key); }
std::string CallObject(const PutIdentity& r) { return r.identity.name; }
std::string CallObject(const DeleteIdentity& r) { return r.identity.name; }
std::string CallObject(const PutRoleAssignment& r) { return r.assignment.name; }
std::string CallObject(const DeleteRoleAssignment& r) { return r.id; }
std::string CallObject(const ConsumerRef& r) { return r.name; }
std::string CallObject(const ConsumerList& r) { return r.subscription; }
std::string CallObject(const EnableSystemIdentity& r) { return r.consumer.name; }
std::string CallObject(const UpdateConsumerEncryption& r) { return r.consumer.name; }

Plan PlanAgainst(TestCloud& cloud, const DesiredState& desired, DiffOptions options) {
  options.vault_dns_suffix = cloud.VaultDnsSuffix();
  Result<LiveState> live = ReadLive(cloud, BuildQuery(desired), options.prune);
  EXPECT_TRUE(live.ok()) << live.status().ToString();
  return Diff(desired, live.ok() ? *live : LiveState{}, options, cloud.Target());
}

}  // namespace cmk
