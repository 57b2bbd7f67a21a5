#include "sandbox/sandbox_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/strings.h"

namespace cmk {
namespace {

const char* TableName(StoreTable t) {
  switch (t) {
    case StoreTable::kVaults: return "vaults";
    case StoreTable::kKeys: return "keys";
    case StoreTable::kKeyVersions: return "key_versions";
    case StoreTable::kIdentities: return "identities";
    case StoreTable::kRoleAssignments: return "role_assignments";
    // Consumers of every kind; the name is what the first sandboxes, which
    // had storage accounts only, called it (their rows have no "kind").
    case StoreTable::kConsumers: return "storage_accounts";
    case StoreTable::kPrincipals: return "principals";
  }
  return "?";
}

// Table names as the `changes` table spells them; "meta" for the meta table.
constexpr const char* kMetaTable = "meta";

// How many `changes` entries are kept: a connection further behind than
// that reads everything anew, as it would without them.
constexpr int64_t kKeptChanges = 20000;

constexpr StoreTable kAllTables[] = {
    StoreTable::kVaults,          StoreTable::kKeys,
    StoreTable::kKeyVersions,     StoreTable::kIdentities,
    StoreTable::kRoleAssignments, StoreTable::kConsumers,
    StoreTable::kPrincipals,
};

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// SQLITE_BUSY after the busy handler gave up: another connection kept the
// lock for longer than this one waits. (BUSY_SNAPSHOT is not that: it is a
// read transaction trying to write, which the store refuses before SQLite
// sees it; should it happen anyway it stays an internal error.)
bool GaveUpWaiting(sqlite3* db) {
  int rc = sqlite3_extended_errcode(db);
  return (rc & 0xff) == SQLITE_BUSY && rc != SQLITE_BUSY_SNAPSHOT;
}

Status Busy(sqlite3* db) {
  const char* file = sqlite3_db_filename(db, "main");
  std::string dir = file ? std::filesystem::path(file).parent_path().string() : "";
  return Unavailable("the sandbox in " + dir +
                     " is busy: another operation has held it for longer than this one waits;"
                     " try again");
}

Status DbError(sqlite3* db, const std::string& what) {
  if (GaveUpWaiting(db)) return Busy(db);
  return Internal("sandbox store: " + what + ": " + sqlite3_errmsg(db));
}

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status prepared() const {
    return rc_ == SQLITE_OK ? Status::Ok() : DbError(db_, "prepare");
  }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindBlob(int i, const uint8_t* data, size_t n) {
    // SQLITE_STATIC: the caller's buffer outlives the statement step.
    sqlite3_bind_blob(stmt_, i, n ? data : reinterpret_cast<const uint8_t*>(""),
                      static_cast<int>(n), SQLITE_STATIC);
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return DbError(db_, "step");
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  Bytes Blob(int col) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? Bytes(p, p + n) : Bytes();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

Result<Json> ParseDoc(const std::string& text, const std::string& key) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Internal("sandbox store: corrupt document for " + key);
  return j;
}

// Creates `dir` (and parents) with mode 0700 when missing.
Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::Ok();
  mode_t old = umask(077);
  std::filesystem::create_directories(dir, ec);
  umask(old);
  if (ec) return Unavailable("cannot create sandbox directory " + dir + ": " + ec.message());
  if (chmod(dir.c_str(), 0700) != 0)
    return Unavailable("cannot chmod sandbox directory " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

StoreTransaction::~StoreTransaction() {
  if (store_) store_->Rollback();
}

Status StoreTransaction::Commit() {
  SandboxStore* s = store_;
  store_ = nullptr;
  return s ? s->Commit() : Internal("sandbox store: transaction already finished");
}

Result<std::unique_ptr<SandboxStore>> SandboxStore::Open(const std::string& dir,
                                                         int busy_timeout_ms) {
  CMK_RETURN_IF_ERROR(EnsureDir(dir));
  std::string path = (std::filesystem::path(dir) / kDbFileName).string();
  bool existed = std::filesystem::exists(path);

  mode_t old = umask(077);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  umask(old);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Unavailable("cannot open sandbox database " + path + ": " + msg);
  }
  std::unique_ptr<SandboxStore> store(new SandboxStore(dir, db, busy_timeout_ms));
  if (!existed && chmod(path.c_str(), 0600) != 0)
    return Unavailable("cannot chmod " + path + ": " + std::strerror(errno));
  sqlite3_busy_handler(db, &SandboxStore::OnBusy, store.get());
  // Without it waiters are simply not let in early (LetWaitersIn says so).
  store->turnstile_fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // A write-ahead log, so that readers neither wait for a writer nor make it
  // wait. Persistent in the file; converting a sandbox made with the rollback
  // journal takes the lock once. synchronous=NORMAL: a commit is not synced
  // (a checkpoint is), so a power cut may lose the last commits but never
  // leaves a torn state; for a local sandbox that is worth per-step commits
  // costing microseconds instead of a disk flush each.
  CMK_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  CMK_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=NORMAL"));
  CMK_RETURN_IF_ERROR(store->Exec("PRAGMA foreign_keys=ON"));
  CMK_RETURN_IF_ERROR(store->InitSchema());
  return store;
}

SandboxStore::~SandboxStore() {
  sqlite3_close(db_);
  if (turnstile_fd_ >= 0) close(turnstile_fd_);  // releases any flock with it
}

int SandboxStore::OnBusy(void* arg, int attempts) {
  auto* self = static_cast<SandboxStore*>(arg);
  const int64_t now = SteadyMs();
  if (attempts == 0) self->busy_since_ms_ = now;
  // Tell a job committing in steps that a writer is waiting (LetWaitersIn).
  // Non-blocking: the job holds the turnstile exclusively only for an
  // instant, and a miss is retried on the next attempt.
  if (self->waiting_to_write_ && !self->in_turnstile_ && self->turnstile_fd_ >= 0 &&
      flock(self->turnstile_fd_, LOCK_SH | LOCK_NB) == 0)
    self->in_turnstile_ = true;
  const int64_t left = self->busy_since_ms_ + self->busy_timeout_ms_ - now;
  if (left <= 0) return 0;  // SQLITE_BUSY: reported as kUnavailable (Busy)
  // Short polls: the lock is free only between two steps of a job, and a
  // waiter must notice that soon, since the job waits for it.
  const int64_t poll_ms = attempts < 100 ? 1 : 5;
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left, poll_ms)));
  return 1;
}

void SandboxStore::LeaveTurnstile() {
  if (!in_turnstile_) return;
  (void)flock(turnstile_fd_, LOCK_UN);
  in_turnstile_ = false;
}

bool SandboxStore::LetWaitersIn() {
  if (turnstile_fd_ < 0) return false;
  LeaveTurnstile();  // never held here (Begin leaves it), but a shared hold would deadlock us
  // Exclusive only once no waiter holds it shared, that is once each has had
  // the write lock (Begin leaves the turnstile) or given up waiting.
  const int64_t give_up = SteadyMs() + busy_timeout_ms_;
  while (flock(turnstile_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return false;
    if (SteadyMs() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  (void)flock(turnstile_fd_, LOCK_UN);
  return true;
}

std::string SandboxStore::db_path() const {
  return (std::filesystem::path(dir_) / kDbFileName).string();
}

Status SandboxStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    if (GaveUpWaiting(db_)) return Busy(db_);
    return Internal(std::string("sandbox store: ") + msg);
  }
  return Status::Ok();
}

Status SandboxStore::InitSchema() {
  {
    // Nearly every open finds the schema current: checked without the write
    // lock, so that opening a sandbox does not wait for a writer.
    Stmt s(db_, "PRAGMA user_version");
    CMK_RETURN_IF_ERROR(s.prepared());
    CMK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && s.Int(0) == kSchemaVersion) return Status::Ok();
  }
  waiting_to_write_ = true;
  Status begun = Exec("BEGIN IMMEDIATE");
  waiting_to_write_ = false;
  LeaveTurnstile();
  CMK_RETURN_IF_ERROR(begun);
  StoreTransaction txn(this);
  int version = 0;
  {
    Stmt s(db_, "PRAGMA user_version");
    CMK_RETURN_IF_ERROR(s.prepared());
    CMK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) version = static_cast<int>(s.Int(0));
  }
  if (version > kSchemaVersion)
    return FailedPrecondition("sandbox database " + db_path() + " has schema version " +
                              std::to_string(version) + ", newer than this cmkctl (" +
                              std::to_string(kSchemaVersion) + ")");
  if (version == kSchemaVersion) return txn.Commit();

  CMK_RETURN_IF_ERROR(
      Exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)"));
  for (StoreTable t : kAllTables) {
    std::string sql = std::string("CREATE TABLE IF NOT EXISTS ") + TableName(t) +
                      " (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
                      " doc TEXT NOT NULL, secret BLOB)";
    CMK_RETURN_IF_ERROR(Exec(sql.c_str()));
  }
  CMK_RETURN_IF_ERROR(
      Exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
           " time INTEGER NOT NULL, kind TEXT NOT NULL, object TEXT NOT NULL,"
           " message TEXT NOT NULL)"));
  // Every committed write of a document or meta key, for other connections'
  // caches (Revalidate). AUTOINCREMENT: numbers are never reused, so a gap
  // means pruned entries.
  CMK_RETURN_IF_ERROR(
      Exec("CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
           " tbl TEXT NOT NULL, key TEXT NOT NULL)"));
  std::string pragma = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
  CMK_RETURN_IF_ERROR(Exec(pragma.c_str()));
  return txn.Commit();
}

Result<StoreTransaction> SandboxStore::Begin() {
  write_refused_ = false;
  waiting_to_write_ = true;
  Status begun = Exec("BEGIN IMMEDIATE");
  waiting_to_write_ = false;
  LeaveTurnstile();  // had the lock, or gave up: either way no longer waiting
  CMK_RETURN_IF_ERROR(begun);
  Status fresh = Revalidate();  // under the lock: what other processes committed is visible
  if (!fresh.ok()) {
    (void)Exec("ROLLBACK");
    return fresh;
  }
  in_transaction_ = true;
  read_only_ = false;
  wrote_in_transaction_ = false;
  return StoreTransaction(this);
}

Result<StoreTransaction> SandboxStore::BeginRead() {
  write_refused_ = false;
  CMK_RETURN_IF_ERROR(Exec("BEGIN"));  // deferred: the first read below takes the snapshot
  Status fresh = Revalidate();  // data_version as of the snapshot, which stays fixed
  if (!fresh.ok()) {
    (void)Exec("ROLLBACK");
    return fresh;
  }
  in_transaction_ = true;
  read_only_ = true;
  wrote_in_transaction_ = false;
  return StoreTransaction(this);
}

Status SandboxStore::CheckWritable() {
  if (!read_only_) return Status::Ok();
  write_refused_ = true;
  return Internal("sandbox store: write in a read transaction");
}

Status SandboxStore::Commit() {
  if (wrote_in_transaction_) {
    Status pruned = PruneChanges();
    if (!pruned.ok()) {
      Rollback();
      return pruned;
    }
  }
  Status s = Exec("COMMIT");
  in_transaction_ = false;
  read_only_ = false;
  if (!s.ok() && wrote_in_transaction_) DropCache();
  return s;
}

void SandboxStore::Rollback() {
  if (!sqlite3_get_autocommit(db_)) (void)Exec("ROLLBACK");
  in_transaction_ = false;
  read_only_ = false;
  // The cache holds the writes that were just undone; a transaction that only
  // read leaves it true.
  if (wrote_in_transaction_) DropCache();
}

void SandboxStore::DropCache() {
  cache_.clear();
  meta_loaded_ = false;
  meta_.clear();
  feed_known_ = false;
  if (observer_) observer_->Reset();
}

Status SandboxStore::Revalidate() {
  // In a transaction the snapshot is fixed (and a write transaction holds
  // the lock): what Begin brought up to date stays so.
  if (in_transaction_) return Status::Ok();
  Stmt s(db_, "PRAGMA data_version");
  CMK_RETURN_IF_ERROR(s.prepared());
  CMK_ASSIGN_OR_RETURN(bool row, s.Step());
  int64_t version = row ? s.Int(0) : -1;
  if (!feed_known_) {
    // Nothing cached: whatever is read from now on is at least this recent.
    Stmt last(db_, "SELECT coalesce(max(seq), 0) FROM changes");
    CMK_RETURN_IF_ERROR(last.prepared());
    CMK_ASSIGN_OR_RETURN(bool found, last.Step());
    feed_seq_ = found ? last.Int(0) : 0;
    feed_known_ = true;
  } else if (version != data_version_) {
    CMK_RETURN_IF_ERROR(FollowChanges());
  }
  data_version_ = version;
  return Status::Ok();
}

Status SandboxStore::FollowChanges() {
  Stmt s(db_, "SELECT seq, tbl, key FROM changes WHERE seq > ?1 ORDER BY seq");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, feed_seq_);
  std::set<std::pair<std::string, std::string>> changed;  // each row once
  int64_t last = feed_seq_;
  bool missed = false;
  while (true) {
    CMK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    // A gap: entries pruned before this connection read them.
    if (last == feed_seq_ && s.Int(0) != feed_seq_ + 1) missed = true;
    last = s.Int(0);
    if (!missed) changed.emplace(s.Text(1), s.Text(2));
  }
  if (missed) {
    DropCache();  // read everything anew, from here on
    feed_seq_ = last;
    feed_known_ = true;
    return Status::Ok();
  }
  // None: another connection wrote only key material, which is not cached.
  if (changed.empty()) return Status::Ok();
  for (const auto& [table_name, key] : changed) {
    if (table_name == kMetaTable) {
      meta_loaded_ = false;  // a handful of rows: read again whole
      meta_.clear();
      continue;
    }
    for (StoreTable t : kAllTables) {
      if (table_name != TableName(t)) continue;
      auto it = cache_.find(t);
      if (it != cache_.end() && it->second.loaded)
        CMK_RETURN_IF_ERROR(RefreshRow(t, it->second, key));
    }
  }
  feed_seq_ = last;
  // The rows are current; what the observer derived from them may not be.
  if (observer_) observer_->Reset();
  return Status::Ok();
}

Status SandboxStore::RefreshRow(StoreTable table, TableCache& cache, const std::string& key) {
  Stmt s(db_, std::string("SELECT seq, doc FROM ") + TableName(table) + " WHERE key = ?1");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  CMK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (auto it = cache.rows.find(key); it != cache.rows.end()) {
    Index(cache, key, it->second.doc, /*add=*/false);
    cache.rows.erase(it);
  }
  if (!row) return Status::Ok();  // deleted
  CMK_ASSIGN_OR_RETURN(Json doc, ParseDoc(s.Text(1), key));
  // The row's own seq: an update keeps its place, a new row goes last.
  auto it = cache.rows.emplace(key, CachedRow{s.Int(0), std::move(doc)}).first;
  Index(cache, key, it->second.doc, /*add=*/true);
  return Status::Ok();
}

Status SandboxStore::LogChange(const char* table, const std::string& key) {
  Stmt s(db_, "INSERT INTO changes (tbl, key) VALUES (?1, ?2)");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, std::string(table));
  s.Bind(2, key);
  CMK_RETURN_IF_ERROR(s.Step().status());
  // Under the write lock, after Begin followed every earlier entry, this
  // connection's own entries are the next ones: nothing to re-read later.
  if (in_transaction_ && feed_known_) feed_seq_ = sqlite3_last_insert_rowid(db_);
  return Status::Ok();
}

Status SandboxStore::PruneChanges() {
  // Every kKeptChanges / 4 entries, not at every commit.
  if (!feed_known_ || feed_seq_ - kKeptChanges - pruned_to_ < kKeptChanges / 4)
    return Status::Ok();
  Stmt s(db_, "DELETE FROM changes WHERE seq <= ?1");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, feed_seq_ - kKeptChanges);
  CMK_RETURN_IF_ERROR(s.Step().status());
  pruned_to_ = feed_seq_ - kKeptChanges;
  return Status::Ok();
}

Result<SandboxStore::TableCache*> SandboxStore::Cached(StoreTable table) {
  CMK_RETURN_IF_ERROR(Revalidate());
  TableCache& c = cache_[table];
  if (c.loaded) return &c;
  Stmt s(db_, std::string("SELECT key, doc, seq FROM ") + TableName(table));
  CMK_RETURN_IF_ERROR(s.prepared());
  std::map<std::string, CachedRow> rows;
  while (true) {
    CMK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    std::string key = s.Text(0);
    CMK_ASSIGN_OR_RETURN(Json doc, ParseDoc(s.Text(1), key));
    rows.emplace(std::move(key), CachedRow{s.Int(2), std::move(doc)});
  }
  c.rows = std::move(rows);
  c.loaded = true;
  return &c;
}

Result<std::optional<std::string>> SandboxStore::GetMeta(const std::string& key) {
  CMK_RETURN_IF_ERROR(Revalidate());
  if (!meta_loaded_) {
    Stmt s(db_, "SELECT k, v FROM meta");
    CMK_RETURN_IF_ERROR(s.prepared());
    std::map<std::string, std::string> all;
    while (true) {
      CMK_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      all[s.Text(0)] = s.Text(1);
    }
    meta_ = std::move(all);
    meta_loaded_ = true;
  }
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status SandboxStore::SetMeta(const std::string& key, const std::string& value) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  Stmt s(db_, "INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  s.Bind(2, value);
  CMK_RETURN_IF_ERROR(s.Step().status());
  wrote_in_transaction_ = true;
  if (meta_loaded_) meta_[key] = value;
  return LogChange(kMetaTable, key);
}

Status SandboxStore::DeleteMeta(const std::string& key) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  Stmt s(db_, "DELETE FROM meta WHERE k = ?1");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  CMK_RETURN_IF_ERROR(s.Step().status());
  wrote_in_transaction_ = true;
  meta_.erase(key);
  return LogChange(kMetaTable, key);
}

Result<std::optional<Json>> SandboxStore::Get(StoreTable table, const std::string& key) {
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  auto it = c->rows.find(key);
  if (it == c->rows.end()) return std::optional<Json>();
  return std::optional<Json>(it->second.doc);
}

std::vector<StoredDoc> SandboxStore::InOrder(const TableCache& cache,
                                             const std::vector<const std::string*>& keys) const {
  std::vector<std::pair<int64_t, const std::pair<const std::string, CachedRow>*>> hits;
  hits.reserve(keys.size());
  for (const std::string* key : keys) {
    auto it = cache.rows.find(*key);
    if (it != cache.rows.end()) hits.emplace_back(it->second.seq, &*it);
  }
  std::sort(hits.begin(), hits.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<StoredDoc> out;
  out.reserve(hits.size());
  for (const auto& [seq, row] : hits) out.push_back({row->first, row->second.doc});
  return out;
}

Result<std::vector<StoredDoc>> SandboxStore::List(StoreTable table, const std::string& prefix) {
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  std::vector<const std::string*> keys;
  for (auto it = c->rows.lower_bound(prefix);
       it != c->rows.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    keys.push_back(&it->first);
  return InOrder(*c, keys);
}

Result<std::vector<StoredDoc>> SandboxStore::GetMany(StoreTable table,
                                                     const std::vector<std::string>& keys) {
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  std::vector<const std::string*> ptrs;
  ptrs.reserve(keys.size());
  for (const auto& k : keys) ptrs.push_back(&k);
  return InOrder(*c, ptrs);
}

void SandboxStore::Index(TableCache& cache, const std::string& key, const Json& doc, bool add) {
  for (auto& [field, index] : cache.by_field) {
    auto it = doc.find(field);
    if (it == doc.end() || !it->is_string()) continue;
    std::string value = Lower(it->get_ref<const std::string&>());
    if (add) {
      index[value].insert(key);
    } else if (auto hit = index.find(value); hit != index.end()) {
      hit->second.erase(key);
      if (hit->second.empty()) index.erase(hit);
    }
  }
}

SandboxStore::FieldIndex& SandboxStore::IndexOf(TableCache& c, const std::string& field) {
  auto [index, created] = c.by_field.try_emplace(field);
  if (created) {
    for (const auto& [key, row] : c.rows) {
      auto it = row.doc.find(field);
      if (it != row.doc.end() && it->is_string())
        index->second[Lower(it->get_ref<const std::string&>())].insert(key);
    }
  }
  return index->second;
}

Result<std::vector<StoredDoc>> SandboxStore::FindBy(StoreTable table, const std::string& field,
                                                    const std::string& value) {
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  const FieldIndex& index = IndexOf(*c, field);
  auto hit = index.find(Lower(value));
  if (hit == index.end()) return std::vector<StoredDoc>();
  std::vector<const std::string*> keys;
  keys.reserve(hit->second.size());
  for (const auto& k : hit->second) keys.push_back(&k);
  return InOrder(*c, keys);
}

Result<std::vector<StoredDoc>> SandboxStore::FindByPrefix(StoreTable table, const std::string& field,
                                                          const std::string& prefix) {
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  const FieldIndex& index = IndexOf(*c, field);
  const std::string lower = Lower(prefix);
  std::vector<const std::string*> keys;
  for (auto it = index.lower_bound(lower);
       it != index.end() && it->first.compare(0, lower.size(), lower) == 0; ++it)
    for (const auto& k : it->second) keys.push_back(&k);
  return InOrder(*c, keys);
}

void SandboxStore::Changed(StoreTable table, TableCache& cache, const std::string& key,
                           const Json* after) {
  wrote_in_transaction_ = true;
  auto it = cache.rows.find(key);
  std::optional<Json> before;
  if (it != cache.rows.end()) {
    Index(cache, key, it->second.doc, /*add=*/false);
    before = std::move(it->second.doc);
  }
  if (after) {
    if (it != cache.rows.end()) {
      it->second.doc = *after;  // an update keeps its place
    } else {
      it = cache.rows.emplace(key, CachedRow{sqlite3_last_insert_rowid(db_), *after}).first;
    }
    Index(cache, key, it->second.doc, /*add=*/true);
  } else if (it != cache.rows.end()) {
    cache.rows.erase(it);
  }
  if (observer_) observer_->RowChanged(table, key, before ? &*before : nullptr, after);
}

Status SandboxStore::Put(StoreTable table, const std::string& key, const Json& doc) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));  // what the row was, for the observer
  Stmt s(db_, std::string("INSERT INTO ") + TableName(table) +
                  " (key, doc) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET doc = excluded.doc");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  s.Bind(2, doc.dump());
  CMK_RETURN_IF_ERROR(s.Step().status());
  Changed(table, *c, key, &doc);  // before LogChange: it reads the row's insert rowid
  return LogChange(TableName(table), key);
}

Status SandboxStore::PutWithSecret(StoreTable table, const std::string& key, const Json& doc,
                                   const SecureBytes& secret) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  Stmt s(db_, std::string("INSERT INTO ") + TableName(table) +
                  " (key, doc, secret) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET"
                  " doc = excluded.doc, secret = excluded.secret");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  s.Bind(2, doc.dump());
  s.BindBlob(3, secret.data(), secret.size());
  CMK_RETURN_IF_ERROR(s.Step().status());
  Changed(table, *c, key, &doc);
  return LogChange(TableName(table), key);
}

Result<SecureBytes> SandboxStore::GetSecret(StoreTable table, const std::string& key) {
  Stmt s(db_, std::string("SELECT secret FROM ") + TableName(table) + " WHERE key = ?1");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  CMK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFound("sandbox store: no secret for " + key);
  return SecureBytes(s.Blob(0));
}

Status SandboxStore::PutSecret(StoreTable table, const std::string& key,
                               const SecureBytes& secret) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  Stmt s(db_, std::string("UPDATE ") + TableName(table) + " SET secret = ?2 WHERE key = ?1");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  s.BindBlob(2, secret.data(), secret.size());
  CMK_RETURN_IF_ERROR(s.Step().status());
  if (sqlite3_changes(db_) != 1) return NotFound("sandbox store: no row " + key);
  return Status::Ok();  // the cache holds no secrets: nothing to drop on rollback
}

Status SandboxStore::Delete(StoreTable table, const std::string& key) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  Stmt s(db_, std::string("DELETE FROM ") + TableName(table) + " WHERE key = ?1");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  CMK_RETURN_IF_ERROR(s.Step().status());
  if (!c->rows.count(key)) return Status::Ok();  // there was no such row
  Changed(table, *c, key, nullptr);
  return LogChange(TableName(table), key);
}

Status SandboxStore::DeletePrefix(StoreTable table, const std::string& prefix) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  CMK_ASSIGN_OR_RETURN(TableCache * c, Cached(table));
  // substr() rather than LIKE: keys may contain '_' and '%'.
  Stmt s(db_, std::string("DELETE FROM ") + TableName(table) +
                  " WHERE substr(key, 1, length(?1)) = ?1");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, prefix);
  CMK_RETURN_IF_ERROR(s.Step().status());
  std::vector<std::string> gone;
  for (auto it = c->rows.lower_bound(prefix);
       it != c->rows.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    gone.push_back(it->first);
  for (const auto& key : gone) {
    Changed(table, *c, key, nullptr);
    CMK_RETURN_IF_ERROR(LogChange(TableName(table), key));
  }
  return Status::Ok();
}

Status SandboxStore::AppendEvent(const SandboxEvent& e) {
  CMK_RETURN_IF_ERROR(CheckWritable());
  Stmt s(db_, "INSERT INTO events (time, kind, object, message) VALUES (?1, ?2, ?3, ?4)");
  CMK_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, e.time);
  s.Bind(2, e.kind);
  s.Bind(3, e.object);
  s.Bind(4, e.message);
  return s.Step().status();
}

Result<std::vector<SandboxEvent>> SandboxStore::ListEvents() {
  Stmt s(db_, "SELECT seq, time, kind, object, message FROM events ORDER BY seq");
  CMK_RETURN_IF_ERROR(s.prepared());
  std::vector<SandboxEvent> out;
  while (true) {
    CMK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4)});
  }
  return out;
}

Status SandboxStore::CopyTo(const std::string& dir) {
  if (in_transaction_) return Internal("sandbox store: CopyTo inside a transaction");
  CMK_RETURN_IF_ERROR(EnsureDir(dir));
  const std::string path = (std::filesystem::path(dir) / kDbFileName).string();
  // A log or journal left there by an earlier sandbox would be replayed
  // into the copy.
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    std::filesystem::remove(path + suffix, ec);
  }
  mode_t old = umask(077);
  sqlite3* dest = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           nullptr);
  umask(old);
  Status status;
  if (rc != SQLITE_OK) {
    status = Internal("cannot create " + path + ": " +
                      (dest ? sqlite3_errmsg(dest) : "out of memory"));
  } else if (sqlite3_backup* backup = sqlite3_backup_init(dest, "main", db_, "main"); !backup) {
    status = Internal("sandbox store: copy to " + path + ": " + sqlite3_errmsg(dest));
  } else {
    // All pages in one step: one read transaction of the source, so one
    // committed state, whatever other connections commit meanwhile.
    rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
      status = rc == SQLITE_BUSY ? Busy(db_)
                                 : Internal("sandbox store: copy to " + path + ": " +
                                            sqlite3_errstr(rc));
    } else if (chmod(path.c_str(), 0600) != 0) {
      status = Internal("cannot chmod " + path + ": " + std::strerror(errno));
    }
  }
  sqlite3_close(dest);
  return status;
}

}  // namespace cmk
