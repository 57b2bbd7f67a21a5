// SandboxStore: the sandbox's persistence, a single SQLite file.
//
// A directory (created 0700 when missing) holding `sandbox.db` (0600, rollback
// journal, no WAL, so the journal inherits the file's mode). The store knows
// tables, rows and transactions, never Azure's rules: SandboxCloud decides
// what a row means. Rows are JSON documents under a string key; key_versions
// rows also carry private key material in a BLOB column, which only
// SandboxCloud's crypto calls read. This is the only file that uses SQLite.
//
// Reads are served from memory: each table is read and parsed once, then
// kept in step with this connection's own writes (write-through) and thrown
// away when another connection (another process sharing the directory) has
// committed since, which SQLite's data_version tells; a rolled-back
// transaction throws it away too. So a read never re-parses a stored
// document, and a listing by key prefix costs what it returns.
//
// Thread-compatible: one connection, used by one thread at a time. Open()
// briefly sets the process umask (077) while it creates the directory and the
// file, so open stores before starting threads. Several processes may share a
// directory (busy timeout, IMMEDIATE transactions).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "crypto/crypto.h"
#include "model/state.h"

struct sqlite3;

namespace cmk {

enum class StoreTable {
  kVaults,
  kKeys,
  kKeyVersions,
  kIdentities,
  kRoleAssignments,
  kStorageAccounts,
  kPrincipals,
};

struct StoredDoc {
  std::string key;
  Json doc;
};

// Told of every row this connection writes, and of every moment its copy of
// the tables stops being trustworthy, so that what is derived from rows can
// be kept up to date by the rows that changed rather than recomputed.
class StoreObserver {
 public:
  virtual ~StoreObserver() = default;
  // `before`/`after` are null when the row did not / does not exist.
  virtual void RowChanged(StoreTable table, const std::string& key, const Json* before,
                          const Json* after) = 0;
  // Anything may have changed: another process committed, or a transaction
  // with writes rolled back.
  virtual void Reset() = 0;
};

// One line of the activity log.
struct SandboxEvent {
  int64_t seq = 0;
  int64_t time = 0;     // unix seconds, the cloud's clock
  std::string kind;     // "vault.create", "key.rotate", ...
  std::string object;   // "vault/bank-kv", "key/bank-kv/cmk", ...
  std::string message;  // human line, never secrets
};

class SandboxStore;

// Rolls back on destruction unless committed. Move-only.
class StoreTransaction {
 public:
  explicit StoreTransaction(SandboxStore* store) : store_(store) {}
  StoreTransaction(StoreTransaction&& o) noexcept : store_(o.store_) { o.store_ = nullptr; }
  StoreTransaction& operator=(StoreTransaction&&) = delete;
  StoreTransaction(const StoreTransaction&) = delete;
  ~StoreTransaction();
  Status Commit();

 private:
  SandboxStore* store_;
};

class SandboxStore {
 public:
  static constexpr int kSchemaVersion = 1;
  static constexpr const char* kDbFileName = "sandbox.db";

  static Result<std::unique_ptr<SandboxStore>> Open(const std::string& dir);
  ~SandboxStore();
  SandboxStore(const SandboxStore&) = delete;
  SandboxStore& operator=(const SandboxStore&) = delete;

  const std::string& dir() const { return dir_; }
  std::string db_path() const;

  // BEGIN IMMEDIATE. Transactions do not nest.
  Result<StoreTransaction> Begin();

  Result<std::optional<std::string>> GetMeta(const std::string& key);
  Status SetMeta(const std::string& key, const std::string& value);
  Status DeleteMeta(const std::string& key);

  Result<std::optional<Json>> Get(StoreTable table, const std::string& key);
  // Rows whose key starts with `prefix`, in insertion order.
  Result<std::vector<StoredDoc>> List(StoreTable table, const std::string& prefix = "");
  // Rows whose string member `field` equals `value` (ignoring case), in
  // insertion order. The first call per (table, field) builds an index that
  // writes keep up to date.
  Result<std::vector<StoredDoc>> FindBy(StoreTable table, const std::string& field,
                                        const std::string& value);
  // Rows whose string member `field` starts with `prefix` (ignoring case),
  // in insertion order; the same index as FindBy.
  Result<std::vector<StoredDoc>> FindByPrefix(StoreTable table, const std::string& field,
                                              const std::string& prefix);
  // The rows with these keys that exist, in insertion order.
  Result<std::vector<StoredDoc>> GetMany(StoreTable table, const std::vector<std::string>& keys);
  // Insert or replace the document; an existing row keeps its position.
  Status Put(StoreTable table, const std::string& key, const Json& doc);
  Status Delete(StoreTable table, const std::string& key);
  Status DeletePrefix(StoreTable table, const std::string& prefix);

  // Private material of a key_versions row (set with the row, read alone).
  Status PutWithSecret(StoreTable table, const std::string& key, const Json& doc,
                       const SecureBytes& secret);
  Result<SecureBytes> GetSecret(StoreTable table, const std::string& key);
  // Sets a row's secret, leaving its document (and so every index and
  // observer) as it was: material made on demand for an existing row.
  Status PutSecret(StoreTable table, const std::string& key, const SecureBytes& secret);

  // At most one; not owned. Told of writes after they succeed.
  void SetObserver(StoreObserver* observer) { observer_ = observer; }

  Status AppendEvent(const SandboxEvent& event);
  Result<std::vector<SandboxEvent>> ListEvents();

 private:
  friend class StoreTransaction;
  SandboxStore(std::string dir, sqlite3* db) : dir_(std::move(dir)), db_(db) {}
  Status Exec(const char* sql);
  Status Commit();
  void Rollback();
  Status InitSchema();

  // The in-memory copy of one table: key -> (insertion order, document).
  struct CachedRow {
    int64_t seq = 0;
    Json doc;
  };
  using FieldIndex = std::map<std::string, std::set<std::string>>;  // lower value -> keys
  struct TableCache {
    bool loaded = false;
    std::map<std::string, CachedRow> rows;
    // Secondary indexes by string member: field -> lower-cased value -> keys.
    // Ordered, so that FindByPrefix is a range.
    std::map<std::string, FieldIndex> by_field;
  };
  // Drops every cached table when another connection has committed.
  Status Revalidate();
  void DropCache();
  Result<TableCache*> Cached(StoreTable table);
  // Keeps the loaded table and its indexes in step with a write that just
  // succeeded (`after` null: deleted), and tells the observer.
  void Changed(StoreTable table, TableCache& cache, const std::string& key,
               const Json* after);
  static void Index(TableCache& cache, const std::string& key, const Json& doc, bool add);
  // The (table, field) index, built on first use.
  static FieldIndex& IndexOf(TableCache& cache, const std::string& field);
  std::vector<StoredDoc> InOrder(const TableCache& cache,
                                 const std::vector<const std::string*>& keys) const;

  std::string dir_;
  sqlite3* db_;
  StoreObserver* observer_ = nullptr;
  bool in_transaction_ = false;
  bool wrote_in_transaction_ = false;
  int64_t data_version_ = -1;
  std::map<StoreTable, TableCache> cache_;
  bool meta_loaded_ = false;
  std::map<std::string, std::string> meta_;
};

}  // namespace cmk
