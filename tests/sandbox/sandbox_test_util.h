// Fixtures for the sandbox tests: a fresh temporary directory per test and
// small builders for the states the tests create.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"

namespace cmk {

// Unix seconds of an RFC 3339 time the test spells out.
inline int64_t At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

#define CMK_ASSERT_OK(expr)                                        \
  do {                                                             \
    ::cmk::Status cmk_st_ = StatusOf(expr);        \
    ASSERT_TRUE(cmk_st_.ok()) << cmk_st_.ToString();               \
  } while (0)

inline constexpr const char* kSub = "00000000-0000-0000-0000-000000000001";
inline constexpr const char* kRg = "rg-cmk";

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cmk_sandbox_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/sb";  // does not exist yet: Open creates it
    auto cloud = SandboxCloud::Open(dir_);
    ASSERT_TRUE(cloud.ok()) << cloud.status().ToString();
    cloud_ = std::move(cloud).value();
  }
  void TearDown() override {
    cloud_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void Reopen() {
    cloud_.reset();
    auto cloud = SandboxCloud::Open(dir_);
    ASSERT_TRUE(cloud.ok()) << cloud.status().ToString();
    cloud_ = std::move(cloud).value();
  }

  static VaultState Vault(const std::string& name, bool purge_protection = true,
                          const std::string& sku = "standard") {
    VaultState v;
    v.name = name;
    v.subscription = kSub;
    v.resource_group = kRg;
    v.location = "westeurope";
    v.sku = sku;
    v.soft_delete_retention_days = 7;
    v.purge_protection = purge_protection;
    v.tags = {{"managed-by", "cmkctl"}};
    return v;
  }

  static KeyState Key(const std::string& vault, const std::string& name,
                      const std::string& kty = "RSA", int size = 2048) {
    KeyState k;
    k.vault = vault;
    k.name = name;
    k.kty = kty;
    k.key_size = size;
    if (kty == "RSA" || kty == "RSA-HSM") k.key_ops = {"unwrapKey", "wrapKey"};
    return k;
  }

  static IdentityState Identity(const std::string& name) {
    IdentityState i;
    i.name = name;
    i.subscription = kSub;
    i.resource_group = kRg;
    i.location = "westeurope";
    return i;
  }

  static ConsumerState Account(const std::string& name) {
    ConsumerState a;
    a.name = name;
    a.subscription = kSub;
    a.resource_group = kRg;
    a.location = "westeurope";
    return a;
  }

  std::string root_;
  std::string dir_;
  std::unique_ptr<SandboxCloud> cloud_;
};

// Error code prefix of a sandbox message ("RoleAssignmentExists: ..." -> "RoleAssignmentExists").
inline std::string AzureCode(const Status& s) {
  auto pos = s.message().find(": ");
  return pos == std::string::npos ? "" : s.message().substr(0, pos);
}

}  // namespace cmk
