// TestCloud: the engine tests' cloud, the real sandbox behind a recording,
// fault-injecting ForwardingProvider (leveldb's EnvWrapper pattern).
//
// Seed* calls collect a starting estate, restored into a fresh sandbox (in a
// temporary directory, removed afterwards) on the first provider call, with
// the simulated clock at kTestNow; version ids and dates are kept as given.
// Every provider call is logged as "Operation object" ("CreateKey
// bank-kv/bank-cmk"); FailOn makes the next calls of an operation fail
// before they reach the sandbox. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/diff/diff.h"
#include "model/world.h"
#include "provider/forwarding_provider.h"
#include "sandbox/sandbox_provider.h"

namespace cmk {

// 2023-11-14T22:13:20Z: the clock every test cloud starts at.
inline constexpr int64_t kTestNow = 1700000000;

// Opens the sandbox before ForwardingProvider needs it (base-from-member).
struct SandboxDirectory {
  SandboxDirectory();
  ~SandboxDirectory();
  std::string dir;
  std::unique_ptr<SandboxProvider> sandbox;
};

class TestCloud : private SandboxDirectory, public ForwardingProvider {
 public:
  TestCloud();
  ~TestCloud() override = default;
  TestCloud(const TestCloud&) = delete;
  TestCloud& operator=(const TestCloud&) = delete;

  // The starting estate (before the first call). A key without versions
  // gets one, created at kTestNow; a key's vault is added when missing; an
  // identity without a principal id gets a deterministic one.
  void SeedVault(VaultState v);
  void SeedKey(KeyState k);
  void SeedIdentity(IdentityState i);
  void SeedStorageAccount(ConsumerState s);
  void SeedRoleAssignment(RoleAssignmentState ra);

  // The sandbox itself (restores the seeds first).
  SandboxCloud& cloud();
  // Reads that are not logged.
  std::optional<KeyState> FindKey(const std::string& vault, const std::string& name);
  std::optional<ConsumerState> FindStorage(const std::string& name);

  // The next `times` calls of `operation` ("PutRotationPolicy") fail with
  // `status`; times < 0: every call.
  void FailOn(const std::string& operation, Status status, int times = -1);
  const std::vector<std::string>& calls() const { return calls_; }
  // Calls that write (everything but Get*/List*).
  std::vector<std::string> WriteCalls() const;
  void ClearCalls() { calls_.clear(); }

  int64_t Now() const override { return started_ ? target_.Now() : kTestNow; }

#define CMK_TEST_CLOUD_OP_(Operation, Request, Answer)                          \
  ProviderResult<Answer> Operation(const ::cmk::Request& request) override {   \
    Start();                                                                     \
    if (Status s = Call(#Operation, request); !s.ok()) return s;                 \
    return ForwardingProvider::Operation(request);                              \
  }
  CMK_PROVIDER_OPERATIONS(CMK_TEST_CLOUD_OP_)
#undef CMK_TEST_CLOUD_OP_

 private:
  struct Fault {
    Status status;
    int times = -1;
  };
  template <typename R>
  Status Call(const char* operation, const R& request);
  Status Record(const std::string& operation, const std::string& object);
  void Start();

  LiveState seed_;
  bool started_ = false;
  int seeded_versions_ = 0;
  std::map<std::string, Fault> faults_;
  std::vector<std::string> calls_;
};

// The object a call is about, as the call log names it.
std::string CallObject(const ArmRef& r);
std::string CallObject(const KeyRef& r);
std::string CallObject(const KeyVersionRef& r);
std::string CallObject(const std::string& s);
std::string CallObject(const PutVault& r);
std::string CallObject(const DeleteVault& r);
std::string CallObject(const CreateKey& r);
std::string CallObject(const UpdateKey& r);
std::string CallObject(const UpdateKeyVersion& r);
std::string CallObject(const RotateKey& r);
std::string CallObject(const PutRotationPolicy& r);
std::string CallObject(const DeleteKey& r);
std::string CallObject(const RecoverVault& r);
std::string CallObject(const RecoverKey& r);
std::string CallObject(const WrapKey& r);
std::string CallObject(const UnwrapKey& r);
std::string CallObject(const PutIdentity& r);
std::string CallObject(const DeleteIdentity& r);
std::string CallObject(const PutRoleAssignment& r);
std::string CallObject(const DeleteRoleAssignment& r);
std::string CallObject(const ConsumerRef& r);
std::string CallObject(const ConsumerList& r);
std::string CallObject(const EnableSystemIdentity& r);
std::string CallObject(const UpdateConsumerEncryption& r);

template <typename R>
Status TestCloud::Call(const char* operation, const R& request) {
  return Record(operation, CallObject(request));
}

// The plan of `desired` against `cloud` now: reads what it names (prune
// candidates too with options.prune) and diffs, with the cloud's vault DNS
// suffix. A failed read fails the calling test.
Plan PlanAgainst(TestCloud& cloud, const DesiredState& desired, DiffOptions options = {});

}  // namespace cmk
