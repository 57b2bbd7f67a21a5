// The sandbox seed file: the part of a cloud that cmkctl does not manage but
// that a sandbox needs to look like the real estate: other teams' storage
// accounts, SQL servers and disk encryption sets, principals that exist outside the manifests, and brownfield
// vaults and keys that existed before cmkctl (with fixed version ids so that
// manifests can pin them). Parsing only; the CLI hands the result to the
// sandbox. yaml-cpp stays inside the manifest library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/state.h"

namespace cmk {

// A consumer of any kind (account.kind says which).
struct SeedAccount {
  ConsumerState account;
  bool system_identity = true;
  // Unset: the kind's documented bound (Traits(kind).adoption_seconds).
  std::optional<int64_t> adoption_delay_seconds;
  // SQL servers only (`backupRetention`); unset: the sandbox's default.
  std::optional<int64_t> backup_retention_seconds;
};

struct SeedKey {
  std::string name;
  std::string kty = "RSA";
  int size = 2048;
  std::string curve;
  std::vector<std::string> versions;  // oldest first; 32 hex each
};

struct SeedVault {
  VaultState vault;
  std::vector<SeedKey> keys;
};

struct SeedFile {
  // storageAccounts, then sqlServers, then diskEncryptionSets, each in file order.
  std::vector<SeedAccount> accounts;
  std::vector<std::string> principals;  // object ids of principals outside the manifests
  std::vector<SeedVault> vaults;
};

// Errors name file:line:col; all are collected into one message.
[[nodiscard]] Result<SeedFile> LoadSeedFile(const std::string& path);

}  // namespace cmk
