#include "model/consumer.h"

namespace cmk {
namespace {

constexpr int kStorageSizes[] = {2048, 3072, 4096};
constexpr int kSqlSizes[] = {2048, 3072};
constexpr int kDiskSizes[] = {2048, 3072, 4096};

// The facts, with their sources, are in docs/consumers.md.
constexpr ConsumerTraits kTraits[] = {
    {ConsumerKind::kStorage, "storage", "storage account", "Azure Storage", "Microsoft.Storage/storageAccounts", "storageAccount", "StorageCmkBinding",
     /*adoption_seconds=*/24 * 3600, kStorageSizes, /*needs_soft_delete=*/true, /*needs_purge_protection=*/true,
     /*keeps_previous_versions=*/false, /*versioned_binding=*/false, /*max_vault_and_key_name=*/0,
     "cannot read or write its data",
     "https://learn.microsoft.com/azure/storage/common/customer-managed-keys-overview"},
    {ConsumerKind::kSqlServer, "sql", "SQL server", "Azure SQL Database", "Microsoft.Sql/servers", "sqlServer", "SqlTdeBinding",
     /*adoption_seconds=*/3600, kSqlSizes, /*needs_soft_delete=*/true, /*needs_purge_protection=*/true,
     /*keeps_previous_versions=*/true, /*versioned_binding=*/true, /*max_vault_and_key_name=*/94,
     "has its databases turn Inaccessible within 10 minutes",
     "https://learn.microsoft.com/azure/azure-sql/database/transparent-data-encryption-byok-overview"},
    {ConsumerKind::kDiskEncryptionSet, "des", "disk encryption set", "Azure Disk Storage",
     "Microsoft.Compute/diskEncryptionSets", "diskEncryptionSet", "DiskEncryptionSetBinding", /*adoption_seconds=*/3600, kDiskSizes, /*needs_soft_delete=*/true,
     /*needs_purge_protection=*/true, /*keeps_previous_versions=*/false, /*versioned_binding=*/true,
     /*max_vault_and_key_name=*/0, "shuts down every VM whose disks it encrypts",
     "https://learn.microsoft.com/azure/virtual-machines/disk-encryption"},
};
constexpr ConsumerKind kAll[] = {ConsumerKind::kStorage, ConsumerKind::kSqlServer, ConsumerKind::kDiskEncryptionSet};

}  // namespace

std::span<const ConsumerKind> AllConsumerKinds() { return kAll; }

const ConsumerTraits& Traits(ConsumerKind kind) {
  for (const auto& t : kTraits)
    if (t.kind == kind) return t;
  return kTraits[0];
}

const char* ConsumerPrefix(ConsumerKind kind) { return Traits(kind).prefix; }

const char* ConsumerNameMember(ConsumerKind kind) { return Traits(kind).name_member; }

std::optional<ConsumerKind> ConsumerKindFromPrefix(std::string_view prefix) {
  for (const auto& t : kTraits)
    if (prefix == t.prefix) return t.kind;
  return std::nullopt;
}

std::optional<ConsumerKind> ConsumerKindOfNameMember(std::string_view member) {
  for (const auto& t : kTraits)
    if (member == t.name_member) return t.kind;
  return std::nullopt;
}

std::string_view ConsumerEventVerb(std::string_view event_kind) {
  size_t dot = event_kind.find('.');
  if (dot == std::string_view::npos || !ConsumerKindFromPrefix(event_kind.substr(0, dot))) return {};
  return event_kind.substr(dot + 1);
}

std::string ConsumerAddress(ConsumerKind kind, const std::string& name) {
  return std::string(ConsumerPrefix(kind)) + "/" + name;
}

std::optional<ConsumerKind> ConsumerKindOfAddress(std::string_view address) {
  size_t slash = address.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return ConsumerKindFromPrefix(address.substr(0, slash));
}

}  // namespace cmk
