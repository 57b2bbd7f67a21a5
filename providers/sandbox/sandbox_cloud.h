// SandboxCloud: a local cloud with Azure's semantics, persisted in a SandboxStore.
//
// The one place where the sandbox decides Azure's rules: global vault names,
// soft delete and purge protection, key versions and their attributes, what
// wrap/unwrap accept, role-assignment conflicts, and what Storage, SQL and
// Compute check before a consumer accepts a customer-managed key. The SandboxProvider (the
// reconciler's view) and the sandbox HTTPS server (Azure's wire format) are
// thin adapters over it; neither adds rules.
//
// Time: every time-dependent decision reads Now(), which is the simulated
// clock if one was set (SetClock/AdvanceClock, kept in the store so every
// process sharing the directory sees it), else real time. Moving the
// simulated clock simulates the interval (time_ops.cc): rotation policies
// rotate and notify, versions expire, consumers on automatic version update
// adopt new versions after their adoption delay, the versions a consumer left
// are released (a disk encryption set's after re-wrapping, a SQL server's
// after its backup retention), soft-deleted objects
// are purged at their scheduled purge date; each at its own timestamp, in
// chronological order (ties broken by object name), jumping from event to
// event. After every such event and every mutation that can break or restore
// a consumer's access to its key (disable, delete, role removal, ...), the
// consumers' accessibility is re-evaluated (consumer_access_ops.cc): one
// that cannot use a key version it needs becomes inaccessible, with the
// cause recorded, until the cause disappears. Time never runs backwards while
// simulated.
//
// Errors: Status codes are the coarse cmk ones; messages start with Azure's
// error code, "<AzureCode>: <text>" (e.g. "RoleAssignmentExists: ...",
// "ObjectIsDeletedButRecoverable: ..."), so the server can render Azure's
// error envelope. Messages never contain key material. kUnavailable means
// one thing only: the sandbox was busy (another process held its write lock
// for longer than SandboxOptions::busy_timeout_ms); the call may be retried.
//
// Private key material lives only in the store and is read only by the crypto
// calls (GetPublicKey, WrapKey, UnwrapKey); no method returns it.
//
// Every mutating operation runs in one store transaction and appends one
// event to the activity log (ListEvents), except moving the clock, which
// commits in steps of a few milliseconds of work, each ending after a
// time-driven event (see time_ops.cc): a long move must not shut other
// processes out for its whole length. Reads run in read
// transactions, which never wait for a writer; one that finds something to
// write (an access change a read discovers) starts over as a write
// transaction. A version's first key material is stored in a short write
// transaction of its own (WithMaterial); it is made ahead, on background
// threads, when the version is created (MaterialPool).
//
// Thread-compatible: callers serialize calls on one instance (the server holds
// a mutex); the instance's own material threads touch no store. Several processes, or several instances in one process, may
// share a directory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "provider/provider.h"
#include "model/roles.h"
#include "model/state.h"
#include "model/world.h"
#include "sandbox/dependents.h"
#include "sandbox/material_pool.h"
#include "sandbox/sandbox_store.h"

namespace cmk {

struct SandboxOptions {
  // Vault URIs are https://{name}.{dns_suffix}.
  std::string dns_suffix = "vault.azure.net";
  // How long a write waits for another process's before it fails with
  // kUnavailable ("... is busy").
  int busy_timeout_ms = SandboxStore::kDefaultBusyTimeoutMs;
  // Key material for the versions this instance creates is made ahead on
  // this many background threads (0: one per core), so that creating a key
  // never waits for RSA generation and its first use rarely does.
  unsigned material_threads = 0;
  // Closing waits for the material still being made and stores it, so the
  // next process finds it (apply: the keys it created are ready for the
  // verify that follows). Off for throwaway copies (a rehearsal's), whose
  // unmade material would be wasted work.
  bool finish_material_on_close = true;
};

struct SeedOptions {
  SeedOptions() = default;
  // SeedOptions{hours, system_identity}, as callers have always written it.
  SeedOptions(std::optional<int> adoption_delay, bool system, std::optional<int64_t> retention = {})
      : adoption_delay_hours(adoption_delay), system_identity(system),
        backup_retention_seconds(retention) {}

  // How long a consumer that follows the newest key version takes to adopt a
  // new one (used by the simulated-clock work; stored with the consumer);
  // unset: its kind's documented bound, Traits(kind).adoption_seconds
  // (storage 24 h, SQL server 1 h, disk encryption set 1 h). A disk
  // encryption set also re-wraps its disks for this long after it changes
  // versions (the version it left stays in retained_key_ids meanwhile).
  std::optional<int> adoption_delay_hours;
  bool system_identity = false;
  // SQL servers only: how long a key version the server stopped using stays
  // registered (retained_key_ids) because backups were wrapped with it;
  // unset: 7 days, Azure SQL's default point-in-time-restore retention.
  std::optional<int64_t> backup_retention_seconds;
};

// A period during which a consumer could not use a key version it needs
// (a storage account's data, a SQL server's databases, the disks of a disk
// encryption set were inaccessible).
struct AccessIncident {
  ConsumerKind kind = ConsumerKind::kStorage;
  std::string account;      // the consumer's name
  std::string account_id;   // ARM id
  std::string cause;        // e.g. "key version 3f2a... of key 'cmk' in vault 'bank-kv' is disabled"
  int64_t since = 0;        // unix seconds
  std::optional<int64_t> until;  // when it recovered; nullopt while ongoing
};

// Which activity-log lines ListEvents returns; the default keeps all.
struct EventFilter {
  int64_t since = 0;      // time >= since (unix seconds)
  int64_t after_seq = 0;  // seq > after_seq (for reading only what is new)
  // Exact kinds ("storage.adopt") or families ("storage" keeps storage.*);
  // empty keeps every kind.
  std::vector<std::string> kinds;
};

// A time-driven event the current state will produce when the clock reaches
// `time` (a time already past fires at the next clock move).
struct PendingEvent {
  int64_t time = 0;
  // key.rotate | key.notify | key.expired | vault.purge | key.purge |
  // storage.adopt | sql.adopt | des.adopt | des.rewrapped | sql.key-released
  std::string kind;
  std::string object;  // "key/bank-kv/cmk", "storage/bankdata01", "sql/bank-sql", "vault/old-kv"
  std::string detail;  // human line, e.g. "version 3f2a... expires"
};

struct DeletedVault {
  VaultState vault;
  int64_t deletion_date = 0;         // unix seconds
  int64_t scheduled_purge_date = 0;  // deletion + retention
};

struct DeletedKey {
  std::string vault;
  std::string name;
  int64_t deletion_date = 0;
  int64_t scheduled_purge_date = 0;
  KeyState key;  // as it was when deleted: type, size, versions, policy
};


class SandboxCloud : private StoreObserver {
 public:
  // Opens (creating when missing) the sandbox in `dir`; a new sandbox gets a
  // fresh tenant id, stable from then on.
  static Result<std::unique_ptr<SandboxCloud>> Open(const std::string& dir,
                                                    SandboxOptions options = {});
  // Stores the key material made ahead (see SandboxOptions).
  ~SandboxCloud() override;

  const std::string& dir() const { return store_->dir(); }
  const std::string& tenant_id() const { return tenant_id_; }
  const std::string& dns_suffix() const { return options_.dns_suffix; }

  // Clock.
  int64_t Now() const;
  Result<bool> ClockIsSimulated() const;
  // Moves the simulated clock to `unix_seconds`, simulating the interval.
  // Refused (FailedPrecondition) when it would move a simulated clock
  // backwards; the first SetClock (no simulated clock yet) may start it at
  // any time, and simulates only when that is later than real time.
  Status SetClock(int64_t unix_seconds);
  // Starts the simulated clock from real time when none was set.
  Status AdvanceClock(int64_t seconds);
  // Calendar-correct advance by an ISO-8601 duration ("P1Y", "PT24H").
  Status AdvanceClockBy(const std::string& iso_duration);
  // Real time from now on; time-driven events are simulated only when the
  // simulated clock moves.
  Status UseRealClock();
  // What the current state will do as time passes (the next rotation per
  // key, notifications, expiries, adoptions, purges), soonest first.
  Result<std::vector<PendingEvent>> ListPendingEvents();

  // Activity log, oldest first.
  Result<std::vector<SandboxEvent>> ListEvents();
  Result<std::vector<SandboxEvent>> ListEvents(const EventFilter& filter);

  // Consumer accessibility. Both re-evaluate at Now() first.
  // Every incident, ongoing or recovered, sorted by (since, consumer id).
  Result<std::vector<AccessIncident>> ListIncidents();
  // Why the consumer cannot work now (its data, databases or disks are
  // inaccessible); nullopt when it can (or does not use a customer-managed
  // key). NotFound for an unknown consumer.
  Result<std::optional<std::string>> ConsumerInaccessibleCause(ConsumerKind kind,
                                                               const std::string& subscription,
                                                               const std::string& resource_group,
                                                               const std::string& name);
  Result<std::optional<std::string>> StorageInaccessibleCause(const std::string& subscription,
                                                              const std::string& resource_group,
                                                              const std::string& name) {
    return ConsumerInaccessibleCause(ConsumerKind::kStorage, subscription, resource_group, name);
  }

  // Vaults. Names are global and case-insensitive.
  Result<std::optional<VaultState>> GetVault(const std::string& subscription,
                                             const std::string& resource_group,
                                             const std::string& name);
  // A live vault by name alone (the data plane knows only the host).
  Result<std::optional<VaultState>> GetVaultByName(const std::string& name);
  Result<std::vector<VaultState>> ListVaults(const std::string& subscription);
  Result<VaultState> PutVault(const VaultState& desired);
  Status DeleteVault(const std::string& subscription, const std::string& resource_group,
                     const std::string& name);  // soft delete
  Result<std::vector<DeletedVault>> ListDeletedVaults(const std::string& subscription);
  Result<VaultState> RecoverVault(const std::string& name);
  // Refused while purge protection is on and the scheduled purge date has not passed.
  Status PurgeVault(const std::string& name);

  // Keys (data plane). Keys of a soft-deleted vault are invisible.
  Result<std::optional<KeyState>> GetKey(const std::string& vault, const std::string& name);
  Result<std::vector<std::string>> ListKeys(const std::string& vault);
  Result<KeyState> CreateKey(const KeyState& desired);
  // ImportKey: a new version of desired.name (the key is created when
  // missing) whose material is the private JSON Web Key `jwk`: RSA with n, e,
  // d, p, q, dp, dq, qi (consistent, 2048/3072/4096 bits), or oct-HSM with k
  // (128/192/256 bits). `hsm` (or an -HSM kty) makes RSA-HSM / oct-HSM, which
  // need a premium vault; plain oct is refused. kty, key_size and curve of
  // `desired` are ignored (the JWK decides); key_ops, enabled, nbf, exp and
  // tags are taken as by CreateKey. Errors are BadParameter naming the
  // missing or invalid member, never its value. EC keys are not importable.
  Result<KeyState> ImportKey(const KeyState& desired, const Json& jwk, bool hsm);
  // Newest version: enabled, nbf, exp, tags, and key_ops when non-empty.
  Result<KeyState> UpdateKey(const KeyState& desired);
  // One version: enabled, nbf, exp.
  Status UpdateKeyVersion(const std::string& vault, const std::string& name,
                          const KeyVersionState& attributes);
  Result<KeyState> RotateKey(const std::string& vault, const std::string& name);
  Result<std::optional<RotationPolicyState>> GetRotationPolicy(const std::string& vault,
                                                               const std::string& name);
  Status PutRotationPolicy(const std::string& vault, const std::string& name,
                           const RotationPolicyState& policy);
  Status DeleteKey(const std::string& vault, const std::string& name);  // soft delete
  Result<std::vector<DeletedKey>> ListDeletedKeys(const std::string& vault);
  // One soft-deleted key by name (case-insensitive), or nullopt.
  Result<std::optional<DeletedKey>> GetDeletedKey(const std::string& vault, const std::string& name);
  Result<KeyState> RecoverKey(const std::string& vault, const std::string& name);
  Status PurgeKey(const std::string& vault, const std::string& name);
  // Empty version = newest.
  Result<PublicKey> GetPublicKey(const std::string& vault, const std::string& name,
                                 const std::string& version);
  Result<Bytes> WrapKey(const std::string& vault, const std::string& name,
                        const std::string& version, const std::string& alg,
                        const Bytes& plaintext);
  Result<Bytes> UnwrapKey(const std::string& vault, const std::string& name,
                          const std::string& version, const std::string& alg,
                          const Bytes& ciphertext);

  // User-assigned identities.
  Result<std::optional<IdentityState>> GetIdentity(const std::string& subscription,
                                                   const std::string& resource_group,
                                                   const std::string& name);
  Result<std::vector<IdentityState>> ListIdentities(const std::string& subscription);
  Result<IdentityState> PutIdentity(const IdentityState& desired);
  Status DeleteIdentity(const std::string& subscription, const std::string& resource_group,
                        const std::string& name);

  // Role assignments, keyed by assignment GUID.
  Result<std::optional<RoleAssignmentState>> GetRoleAssignment(const std::string& id);
  // At `scope` or below, sorted by id.
  Result<std::vector<RoleAssignmentState>> ListRoleAssignments(const std::string& scope);
  Result<RoleAssignmentState> PutRoleAssignment(const RoleAssignmentState& desired);
  Status DeleteRoleAssignment(const std::string& id);

  // Consumers (storage accounts, SQL servers, disk encryption sets) exist
  // only by seeding; cmkctl changes their identity and encryption. Seeding
  // one that exists updates its location, tags, identity and options.
  Status SeedConsumer(const ConsumerState& consumer, SeedOptions options = {});
  Status SeedStorageAccount(const ConsumerState& account, SeedOptions options = {}) {
    ConsumerState a = account;
    a.kind = ConsumerKind::kStorage;
    return SeedConsumer(a, options);
  }
  // Registers an object id (a user, group or app outside the sandbox) as a principal.
  Status SeedPrincipal(const std::string& object_id);
  // A key that existed before cmkctl (brownfield), with the given version ids
  // (oldest first; versions already present are left alone). The versions are
  // back-dated 90 days apart so that the last one is the newest.
  Status SeedKeyVersions(const std::string& vault, const std::string& name, const std::string& kty,
                         int size, const std::string& curve,
                         const std::vector<std::string>& versions);
  // Restores a snapshot of another cloud (`live`, as a Provider read it, e.g.
  // Azure through the REST provider) into this sandbox, which must be empty,
  // with the simulated clock set to `now`, in one transaction
  // (snapshot_ops.cc). Kept exactly: vaults; every key version (id, created,
  // updated, nbf, exp, enabled, operations, tags; type and size, with fresh
  // key material) and rotation policies; identities and their principal and
  // client ids; role assignments (principals not otherwise known are
  // registered); consumers of every kind with their identities, encryption
  // evidence and retained key ids. Vault URIs and key ids are rewritten to
  // this sandbox's DNS suffix. Expiries and near-expiry notices already due
  // by `now` count as reported; a consumer on automatic update counts as
  // bound at its lastKeyRotationTimestamp, with its kind's default adoption
  // delay, and its retained key ids as left at `now` (Azure exposes none of
  // these). Nothing is read from or written to the source.
  Status RestoreSnapshot(const LiveState& live, int64_t now);
  // A consistent copy of this sandbox's committed state into `dir` (its
  // sandbox.db replaced), safe while other processes write to this one. A
  // file copy of the directory is not: it may mix two moments, and
  // sandbox.db alone lacks what the write-ahead log has not yet handed back.
  Status CopyTo(const std::string& dir);

  Result<std::optional<ConsumerState>> GetConsumer(ConsumerKind kind,
                                                   const std::string& subscription,
                                                   const std::string& resource_group,
                                                   const std::string& name);
  // What a wire front end (`sandbox serve`) keeps for a consumer beyond the
  // engine's model, e.g. a SQL server's Key Vault server keys that no
  // protector names yet: an object stored with the consumer's row, so that
  // it survives a restart and goes with copies of the sandbox. The sandbox
  // never reads it. {} when none was set; kNotFound without the consumer.
  Result<Json> ConsumerWireState(ConsumerKind kind, const std::string& subscription,
                                 const std::string& resource_group, const std::string& name);
  Status SetConsumerWireState(ConsumerKind kind, const std::string& subscription,
                              const std::string& resource_group, const std::string& name,
                              const Json& state);
  // Azure SQL's POST encryptionProtector/current/revalidate: a server whose
  // key was out of reach for longer than the 30-minute auto-heal window
  // stays inaccessible after access comes back until this (or a new
  // protector) is done. kFailedPrecondition while the key is still out of
  // reach; a no-op for a server that does not need it.
  Status RevalidateConsumer(ConsumerKind kind, const std::string& subscription,
                            const std::string& resource_group, const std::string& name);
  // Every consumer of `kind` in `subscription` (every subscription when
  // empty), sorted by ARM id.
  Result<std::vector<ConsumerState>> ListConsumers(ConsumerKind kind,
                                                   const std::string& subscription);
  Result<ConsumerState> EnableSystemIdentity(ConsumerKind kind, const std::string& subscription,
                                             const std::string& resource_group,
                                             const std::string& name);
  // Binds the consumer to a customer-managed key (key_source
  // "Microsoft.Keyvault"), after the checks its service makes (key type and
  // size, version enabled and in date, vault purge protection and firewall,
  // the identity's grant), or back to platform keys (any other key source;
  // refused for disk encryption sets, which have none). A user-assigned
  // identity named by the request is attached by it (as the ARM request that
  // carries the identity block with the encryption does). SQL servers and
  // disk encryption sets report a versioned key id at once, and keep the
  // version they leave in retained_key_ids (for restores / while re-wrapping).
  Result<ConsumerState> UpdateConsumerEncryption(ConsumerKind kind,
                                                 const std::string& subscription,
                                                 const std::string& resource_group,
                                                 const std::string& name,
                                                 const EncryptionState& encryption);

  // Storage accounts by their old names (kStorage).
  Result<std::optional<ConsumerState>> GetStorageAccount(const std::string& subscription,
                                                         const std::string& resource_group,
                                                         const std::string& name) {
    return GetConsumer(ConsumerKind::kStorage, subscription, resource_group, name);
  }
  Result<std::vector<ConsumerState>> ListStorageAccounts(const std::string& subscription) {
    return ListConsumers(ConsumerKind::kStorage, subscription);
  }
  Result<ConsumerState> EnableSystemIdentity(const std::string& subscription,
                                             const std::string& resource_group,
                                             const std::string& name) {
    return EnableSystemIdentity(ConsumerKind::kStorage, subscription, resource_group, name);
  }
  Result<ConsumerState> UpdateStorageEncryption(const std::string& subscription,
                                                const std::string& resource_group,
                                                const std::string& name,
                                                const EncryptionState& encryption) {
    return UpdateConsumerEncryption(ConsumerKind::kStorage, subscription, resource_group, name,
                                    encryption);
  }

 private:
  SandboxCloud(std::unique_ptr<SandboxStore> store, SandboxOptions options);
  SandboxCloud(const SandboxCloud&) = delete;
  SandboxCloud& operator=(const SandboxCloud&) = delete;

  // StoreObserver: a changed row touches the topics that derived facts
  // (access_, timeline_) depend on (sandbox_cloud.cc).
  void RowChanged(StoreTable table, const std::string& key, const Json* before,
                  const Json* after) override;
  void Reset() override;

  // Runs `f` in one store transaction, committing when it succeeds.
  template <typename F>
  auto InTransaction(F&& f) -> decltype(f());
  // Runs `f`, which reads and rarely writes, in a read transaction; if it
  // tried to write, runs it again in a write transaction.
  template <typename F>
  auto InReadTransaction(F&& f) -> decltype(f());

  // The *InTxn helpers run inside the caller's transaction.
  Result<std::optional<VaultState>> GetVaultByNameInTxn(const std::string& name);
  Result<std::optional<KeyState>> GetKeyInTxn(const std::string& vault, const std::string& name);
  Status Record(const std::string& kind, const std::string& object, const std::string& message);
  // Ids the cloud generates (principal/client ids, key versions, etags) are
  // derived from the tenant, what they are for and a counter kept in the
  // store: unique within a sandbox, and identical for two sandboxes that saw
  // the same operations, so plans and goldens are reproducible.
  Result<std::string> NewGuid(const std::string& purpose);
  Result<std::string> NewVersionId(const std::string& purpose);
  Result<std::optional<Json>> LoadVaultDoc(const std::string& name);
  Result<Json> LiveVaultDoc(const std::string& name);  // NotFound unless live
  Result<KeyState> LoadKey(const std::string& vault, const std::string& name);
  Result<KeyState> AssembleKey(const Json& vault_doc, const Json& key_doc);
  Result<std::optional<DeletedKey>> DeletedKeyFromDoc(const Json& vault_doc, const Json& doc);
  Result<Json> LiveKeyDoc(const std::string& vault, const std::string& name);
  Result<Json> VersionDoc(const std::string& vault, const std::string& name,
                          const std::string& version);  // "" = newest
  Status PurgeVaultRows(const std::string& name);
  Status PurgeKeyRows(const std::string& vault, const std::string& name);
  Status ForgetExpiredVault(const std::string& name);
  Status ForgetExpiredKey(const std::string& vault, const std::string& name);
  // A new version with fresh key material, made on first use (or `material`
  // when given: an imported key); `attrs.version` and `attrs.created` are kept when set
  // (seeding brownfield keys), else generated / now.
  Result<KeyVersionState> NewVersion(const std::string& vault, const std::string& name,
                                     const std::string& kty, int size, const std::string& curve,
                                     KeyVersionState attrs,
                                     const PrivateKey* material = nullptr);
  // A version's private material, made (and stored) on its first use when
  // the sandbox generated the version. `doc` is the version's row.
  // Parsed once per process and version (PEM decoding costs more than an
  // RSA unwrap); dropped when the version's row changes.
  // In a read transaction a version without material is not written:
  // MaterialInTxn notes it in missing_material_ and fails with kUnavailable;
  // WithMaterial makes and stores it in a short write transaction of its
  // own and runs `f` again (no rollback of what `f` derived, no Reset).
  Result<LoadedKey> MaterialInTxn(const KeyState& key, const std::string& version,
                                  const Json& doc);
  template <typename F>
  auto WithMaterial(F&& f) -> decltype(f());
  struct MissingMaterial {
    std::string row;
    MaterialSpec spec;
  };
  // The material for `row`: the pool's, or made now.
  Result<PrivateKey> MakeMaterial(const std::string& row, const MaterialSpec& spec);
  // Stores `missing` (made outside any transaction) unless another process
  // stored some first.
  Status StoreMissingMaterial(const MissingMaterial& missing);
  // Stores what the pool has made (all it was asked for, with `wait`) in one
  // write transaction, for versions still without material.
  Status StoreMadeMaterial(bool wait);
  // CreateKey's work, with imported material when `material` is set.
  Result<KeyState> AddKeyVersion(const KeyState& desired, const PrivateKey* material);
  Result<bool> PrincipalExists(const std::string& object_id);
  Status CheckKeyAccess(const VaultState& vault, const std::string& key_name,
                        const std::string& principal_id);
  Result<Bytes> CryptoOp(bool wrap, const std::string& vault, const std::string& name,
                         const std::string& version, const std::string& alg, const Bytes& input);
  std::string KeyId(const std::string& vault, const std::string& name,
                    const std::string& version) const;

  // A new version of `key` like its newest one (kty, size, ops, tags), with
  // exp = now + the policy's expiryTime when it has one.
  Result<KeyVersionState> RotateInTxn(const KeyState& key);

  // Time (time_ops.cc). One time-driven event, with what applying it needs.
  struct DueEvent {
    int64_t time = 0;
    std::string object;  // as in the activity log; ties at one time sort by it
    int rank = 0;        // then by rank (see time_ops.cc)
    std::string kind;
    std::string vault, key, version;  // key events and purges
    std::string account_row;          // consumer events: the consumer's store key
    std::string key_id;               // des.rewrapped / sql.key-released: the retained id
    int64_t exp = 0;                  // key.notify / key.expired: the expiry it is about
    std::string detail;
  };
  struct DueOrder {
    bool operator()(const DueEvent& a, const DueEvent& b) const;
  };
  using DueSet = std::multiset<DueEvent, DueOrder>;
  // Brings due_ up to date with what changed since (timeline_), then it holds
  // every event the current state makes due, soonest first.
  Status RefreshDueInTxn();
  // The events of one subject ("vault:<row>", "key:<row>", "consumer:<row>"),
  // recomputed and recorded in timeline_.
  Status DueOfInTxn(const std::string& subject);
  Status DueOfVaultInTxn(const std::string& subject, const std::string& row);
  Status DueOfKeyInTxn(const std::string& subject, const std::string& row);
  Status DueOfAccountInTxn(const std::string& subject, const std::string& row);
  void ForgetDue(const std::string& subject);
  void AddDue(const std::string& subject, DueEvent event);
  Status ApplyDueEventInTxn(const DueEvent& event);
  // A clock move: from where (the clock as the move found it) to where, and
  // how the activity log names it.
  struct ClockMove {
    int64_t from = 0;
    int64_t target = 0;
    std::string what;
  };
  // Moves the clock, one transaction per step. `start` runs in the first
  // step's transaction and decides the move; nullopt when it has done all
  // there was to do (or refused, as an error).
  Status MoveClock(const std::function<Result<std::optional<ClockMove>>()>& start);

  // Consumer access (consumer_access_ops.cc).
  // Re-evaluates at Now() every consumer whose access may have changed since
  // it was last evaluated (access_), recording incidents and events.
  Status EvaluateAccessInTxn();
  // What an account's access was decided from: topics, and the time it
  // must be decided again at (a not-before or an expiry).
  struct AccessBasis {
    std::vector<std::string> topics;
    std::optional<int64_t> recheck_at;
  };
  // Why `account` cannot use its key version now (nullopt: it can).
  Result<std::optional<std::string>> AccessCauseInTxn(const ConsumerState& account,
                                                      AccessBasis* basis = nullptr);
  // Why `account` cannot reach the key of the versioned id `kid` at all
  // (vault, key, firewall, identity), whatever version; nullopt when it can.
  Result<std::optional<std::string>> ReachCauseInTxn(const ConsumerState& account,
                                                     const std::string& kid,
                                                     AccessBasis* basis = nullptr);
  // Why `account` cannot use the version `kid` (reach, then the version's
  // state); nullopt when it can.
  Result<std::optional<std::string>> VersionCauseInTxn(const ConsumerState& account,
                                                       const std::string& kid,
                                                       AccessBasis* basis = nullptr);
  // The adoption an account on automatic version update is heading for, if
  // any (storage.adopt), and what that was decided from.
  Result<std::optional<DueEvent>> AdoptionOfInTxn(const StoredDoc& row, AccessBasis& basis);
  Status AdoptInTxn(const DueEvent& event);
  // The end of each retained version's need (des.rewrapped, sql.key-released).
  std::vector<DueEvent> ReleasesOf(const StoredDoc& row);
  Status ReleaseInTxn(const DueEvent& event);

  std::unique_ptr<SandboxStore> store_;
  SandboxOptions options_;
  std::string tenant_id_;
  // Derived facts, kept by what changed: each account's access, and the
  // time-driven events each vault, key and account will produce.
  Dependents access_{{"consumer:"}};
  Dependents timeline_{{"vault:", "key:", "consumer:"}};
  DueSet due_;
  std::unordered_map<std::string, std::vector<DueSet::iterator>> due_of_;
  std::unordered_map<std::string, LoadedKey> loaded_;  // version row -> material
  std::optional<MissingMaterial> missing_material_;
  std::unique_ptr<MaterialPool> pool_;
};

template <typename F>
auto SandboxCloud::InTransaction(F&& f) -> decltype(f()) {
  auto txn = store_->Begin();
  if (!txn.ok()) return txn.status();
  auto result = f();
  if (!result.ok()) return result;
  Status committed = txn->Commit();
  if (!committed.ok()) return committed;
  return result;
}

template <typename F>
auto SandboxCloud::InReadTransaction(F&& f) -> decltype(f()) {
  {
    auto txn = store_->BeginRead();
    if (!txn.ok()) return txn.status();
    auto result = f();
    // Asked of the store, not of `result`: `f` may have shrugged the refusal off.
    if (!store_->write_refused()) {
      if (!result.ok()) return result;
      Status ended = txn->Commit();
      if (!ended.ok()) return ended;
      return result;
    }
  }  // rolled back
  // `f` stopped at its first write, perhaps halfway through bringing what is
  // derived from rows up to date (access_): derive it all again.
  Reset();
  return InTransaction(std::forward<F>(f));
}

template <typename F>
auto SandboxCloud::WithMaterial(F&& f) -> decltype(f()) {
  missing_material_.reset();
  auto result = InReadTransaction(f);
  if (!missing_material_) return result;
  MissingMaterial missing = std::move(*missing_material_);
  missing_material_.reset();
  Status stored = StoreMissingMaterial(missing);
  if (!stored.ok()) return stored;
  return InReadTransaction(std::forward<F>(f));
}

}  // namespace cmk
