// Consumers: the Azure resources that encrypt with a managed key.
//
// A consumer is one thing to the engine, whatever its kind: the key it is
// bound to (pinned to a version, or following the newest), the version it
// really uses with the evidence its kind reports, the versions it still
// needs besides that one, and the identity it reaches Key Vault as. Kinds
// differ only in the facts below (ConsumerTraits), looked up once per kind,
// and in how a provider reads and writes them (one file per provider).
// docs/consumers.md has the facts with their sources; docs/architecture.md
// shows where a new kind goes.
// Plain values; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_codec.h"
#include "model/refs.h"

namespace cmk {

enum class ConsumerKind : uint8_t {
  kStorage,            // Microsoft.Storage/storageAccounts
  kSqlServer,          // Microsoft.Sql/servers (TDE protector)
  kDiskEncryptionSet,  // Microsoft.Compute/diskEncryptionSets
};

// What a kind of consumer is, as the engine needs to know it.
struct ConsumerTraits {
  ConsumerKind kind;
  const char* prefix;    // address prefix and JSON spelling: "storage", "sql", "des"
  const char* noun;      // "storage account", "SQL server", "disk encryption set"
  const char* service;   // as Key Vault's trusted-services list names it
  const char* arm_type;  // "Microsoft.Storage/storageAccounts"
  const char* name_member;  // how manifests and requests name one: "storageAccount"
  const char* binding_kind;  // the manifest kind that binds one: "StorageCmkBinding"
  // How long after a new key version a consumer that follows the newest
  // version has moved to it (Azure's documented bound).
  int64_t adoption_seconds;
  std::span<const int> rsa_sizes;  // RSA sizes the service accepts
  bool needs_soft_delete;          // the vault must keep soft delete on (always, today)
  bool needs_purge_protection;
  // Versions the consumer used before stay needed (SQL restores backups
  // wrapped with them), so they are never retired while it is bound.
  bool keeps_previous_versions;
  // Auto rotation is a flag beside a versioned binding (SQL, DES), not an
  // empty version (Storage).
  bool versioned_binding;
  // The longest vault name + key name the service takes (0: no limit).
  size_t max_vault_and_key_name;
  const char* loss;  // what losing the key does, finishing "… the consumer "
  const char* docs;  // the Microsoft Learn page the facts come from
};

// Every kind, in a fixed order (the order consumers are read and listed).
std::span<const ConsumerKind> AllConsumerKinds();
const ConsumerTraits& Traits(ConsumerKind kind);
const char* ConsumerPrefix(ConsumerKind kind);  // "storage"
const char* ConsumerNameMember(ConsumerKind kind);  // "storageAccount"
std::optional<ConsumerKind> ConsumerKindFromPrefix(std::string_view prefix);
std::optional<ConsumerKind> ConsumerKindOfNameMember(std::string_view member);  // "sqlServer"
// "storage/NAME": consumers' addresses in live state, findings and plans.
std::string ConsumerAddress(ConsumerKind kind, const std::string& name);
// The kind of a consumer address, nullopt when it is not one.
std::optional<ConsumerKind> ConsumerKindOfAddress(std::string_view address);

// The verb of a consumer's activity-log kind ("adopt" of "sql.adopt"), ""
// when the kind is not a consumer's.
std::string_view ConsumerEventVerb(std::string_view event_kind);

// A consumer, as reads and requests name it.
struct ConsumerRef {
  ConsumerKind kind = ConsumerKind::kStorage;
  std::string subscription;
  std::string resource_group;
  std::string name;
  ArmRef Arm() const { return {subscription, resource_group, name}; }
  bool operator==(const ConsumerRef&) const = default;
};

// Every consumer of one kind in one subscription.
struct ConsumerList {
  ConsumerKind kind = ConsumerKind::kStorage;
  std::string subscription;
  bool operator==(const ConsumerList&) const = default;
};

// A kind written by its prefix, and left out for storage accounts (what
// every plan and snapshot before the other kinds holds).
template <typename K>  // ConsumerKind or const ConsumerKind
struct ConsumerKindField {
  K& value;
  Json ToJson() const { return value == ConsumerKind::kStorage ? Json() : Json(ConsumerPrefix(value)); }
  bool FromJson(const Json& j, JsonDecoder& d, const std::string& path) const {
    if (j.is_null()) return true;
    std::optional<ConsumerKind> k = j.is_string() ? ConsumerKindFromPrefix(j.get<std::string>()) : std::nullopt;
    if (!k) {
      d.Error(path, "unknown consumer kind " + j.dump());
      return false;
    }
    if constexpr (!std::is_const_v<K>) value = *k;
    return true;
  }
};
inline ConsumerKindField<ConsumerKind> KindOf(ConsumerKind& k) { return {k}; }
inline ConsumerKindField<const ConsumerKind> KindOf(const ConsumerKind& k) { return {k}; }

template <typename F, DescribesAs<ConsumerRef> T>
void Describe(F& f, T& v) {
  f("kind", KindOf(v.kind), Emit::kIfSet);
  f("subscription", v.subscription);
  f("resourceGroup", v.resource_group);
  f("name", v.name);
}

}  // namespace cmk
