// SandboxStore: the sandbox's persistence, a single SQLite file.
//
// A directory (created 0700 when missing) holding `sandbox.db` (0600; its
// write-ahead log `sandbox.db-wal` and index `sandbox.db-shm`, which SQLite
// creates with the database file's mode). The store knows tables, rows and
// transactions, never Azure's rules: SandboxCloud decides what a row means.
// Rows are JSON documents under a string key; key_versions rows also carry
// private key material in a BLOB column, which only SandboxCloud's crypto
// calls read. This is the only file that uses SQLite.
//
// Reads are served from memory: each table is read and parsed once, then
// kept in step with this connection's own writes (write-through) and with
// other connections' (other processes sharing the directory): when SQLite's
// data_version says one has committed, the rows it changed, which every
// writer lists in the `changes` table, are read again, and the observer is
// told to forget what it derived (Reset). Only when those notes were pruned
// before this connection read them is everything read anew; a rolled-back
// transaction that wrote throws the cache away too. So a read never
// re-parses a document that did not change (a reader next to a clock move
// that commits every few milliseconds re-reads a few rows, not the estate),
// and a listing by key prefix costs what it returns.
//
// Concurrency. Several processes (and several stores in one process, one
// per thread) may share a directory. The journal is a write-ahead log, so a
// read transaction (BeginRead) sees the last committed state and never waits
// for a writer; write transactions (Begin) take the one write lock and wait
// for it at most `busy_timeout_ms`, polling, then fail with kUnavailable
// ("... is busy"); that is the only kUnavailable a transaction returns. A
// long job (a clock move) commits in steps and calls LetWaitersIn between
// them, so that a writer that is waiting gets in after one step rather than
// after the whole job: SQLite's locks are not fair, and a job that begins
// its next step microseconds after committing would win every race.
//
// Thread-compatible: one connection, used by one thread at a time. Open()
// briefly sets the process umask (077) while it creates the directory and the
// file, so open stores before starting threads.
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
  kConsumers,  // storage accounts, SQL servers, disk encryption sets (the kind is in the row)
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
  // 2: the `changes` table (version 1 sandboxes are upgraded on open).
  static constexpr int kSchemaVersion = 2;
  static constexpr const char* kDbFileName = "sandbox.db";
  // How long a write transaction waits for another connection's by default.
  // A clock move holds the lock for one step at a time (about 10 ms), so
  // this is slack for a loaded machine, not the length of a job.
  static constexpr int kDefaultBusyTimeoutMs = 10000;

  static Result<std::unique_ptr<SandboxStore>> Open(const std::string& dir,
                                                    int busy_timeout_ms = kDefaultBusyTimeoutMs);
  ~SandboxStore();
  SandboxStore(const SandboxStore&) = delete;
  SandboxStore& operator=(const SandboxStore&) = delete;

  const std::string& dir() const { return dir_; }
  std::string db_path() const;

  // BEGIN IMMEDIATE: takes the write lock, waiting for it as the class
  // comment says. Transactions do not nest.
  Result<StoreTransaction> Begin();
  // A read transaction: a snapshot of the last committed state, taken
  // without waiting for writers. Writes in it are refused (an internal
  // error, and write_refused() tells) before they reach SQLite: a snapshot
  // that another connection has committed past cannot become a write
  // transaction, so the caller must start over with Begin().
  Result<StoreTransaction> BeginRead();
  // A write was refused in the current (or last) read transaction.
  bool write_refused() const { return write_refused_; }
  // A read transaction is open: a write now would be refused.
  bool in_read_transaction() const { return in_transaction_ && read_only_; }
  // OK when a write would be accepted now; else the refusal above, for a
  // caller that would otherwise do costly work before its first write.
  Status CheckWritable();

  // For a job committing in steps, between two of them (no transaction
  // open): returns once every connection that was waiting for the write
  // lock has had it, or after busy_timeout_ms. False when that wait ran
  // out (a waiter is stuck): the caller should stop calling it.
  bool LetWaitersIn();

  // A consistent copy of the committed database into `dir` (created 0700
  // when missing; its sandbox.db, 0600, replaced), through SQLite's backup
  // API: correct while other connections write, and including what the
  // write-ahead log holds, which a copy of sandbox.db alone would miss.
  // Not inside a transaction; `dir` must not be a sandbox in use. Sets the
  // umask briefly, like Open.
  Status CopyTo(const std::string& dir);

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
  SandboxStore(std::string dir, sqlite3* db, int busy_timeout_ms)
      : dir_(std::move(dir)), db_(db), busy_timeout_ms_(busy_timeout_ms) {}
  Status Exec(const char* sql);
  // SQLite's busy handler: whether to try again (after a short sleep).
  static int OnBusy(void* store, int attempts);
  void LeaveTurnstile();
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
  // Brings the cache up to date with what other connections committed
  // (FollowChanges), or starts following their changes when it is empty.
  Status Revalidate();
  Status FollowChanges();
  // Re-reads one row of a loaded table as it is now.
  Status RefreshRow(StoreTable table, TableCache& cache, const std::string& key);
  // Notes a row (or meta key) this transaction wrote, for other connections.
  Status LogChange(const char* table, const std::string& key);
  // Keeps the `changes` table short; in the committing transaction.
  Status PruneChanges();
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
  int busy_timeout_ms_;
  // The directory, open for flock(2): connections waiting for the write lock
  // hold it shared (the turnstile), LetWaitersIn waits to hold it exclusive.
  // -1 when the directory could not be opened (then nobody is let in).
  int turnstile_fd_ = -1;
  bool in_turnstile_ = false;
  bool waiting_to_write_ = false;  // inside Begin's BEGIN IMMEDIATE
  int64_t busy_since_ms_ = 0;      // steady clock, when the current wait began
  StoreObserver* observer_ = nullptr;
  bool in_transaction_ = false;
  bool read_only_ = false;  // the open transaction is a read transaction
  bool write_refused_ = false;
  bool wrote_in_transaction_ = false;
  int64_t data_version_ = -1;
  // The last `changes` entry the cache reflects; meaningful only while
  // feed_known_ (false while the cache is empty: it is read anew anyway).
  int64_t feed_seq_ = 0;
  bool feed_known_ = false;
  int64_t pruned_to_ = 0;  // entries up to here were pruned by this connection
  std::map<StoreTable, TableCache> cache_;
  bool meta_loaded_ = false;
  std::map<std::string, std::string> meta_;
};

}  // namespace cmk
