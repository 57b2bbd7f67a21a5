// DesiredState and LiveState: the two inputs of Diff.
//
// DesiredState is what the manifests say, resolved (defaults applied,
// references turned into Azure names/ids), each object with the source
// location of its manifest document. LiveState is what a provider read from
// the cloud. Both are keyed by address ("vault/bank-kv") in ordered maps so
// that iteration, and therefore every plan, is deterministic.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/posture.h"
#include "model/state.h"

namespace cmk {

template <typename T>
struct Sourced {
  T value;
  SourceLoc loc;
  std::string owner;  // metadata.owner: every change has a visible owner
  Tags labels;        // metadata.labels
};

// A hook declaration (issue: Lua hooks). Kept here so manifests can carry it
// before the hook runner exists.
struct HookSpec {
  std::string name;
  std::string phase;                 // pre | post
  std::vector<std::string> kinds;    // selector: Kind names, empty = all
  std::vector<std::string> names;    // selector: metadata names, empty = all
  std::vector<std::string> actions;  // selector: create, update, bind, rotate, ...
  std::string script;                // absolute path
  int timeout_seconds = 30;
  std::string on_failure = "halt";   // rollback | halt | warn
  std::string rollback_script;       // optional, absolute path
  std::vector<std::string> env;      // allow-listed environment variables
  // In a plan: "sha256:HEX" of the scripts' content when the plan was made.
  std::string script_sha256;
  std::string rollback_script_sha256;
};

struct DesiredState {
  std::map<std::string, Sourced<VaultState>> vaults;          // vault/NAME
  std::map<std::string, Sourced<KeyState>> keys;              // key/NAME
  std::map<std::string, Sourced<IdentityState>> identities;   // identity/NAME
  std::map<std::string, Sourced<RoleAssignmentState>> role_assignments;  // role-assignment/NAME
  std::map<std::string, Sourced<BindingState>> bindings;      // binding/NAME
  std::map<std::string, Sourced<HookSpec>> hooks;             // hook/NAME
  std::map<std::string, Sourced<PostureSpec>> policies;       // policy/NAME (posture rules)
  // Subscriptions named anywhere (for reading live state and prune).
  std::vector<std::string> subscriptions;
};

// What a provider read, for the subscriptions and vaults the manifests name.
struct LiveState {
  std::map<std::string, VaultState> vaults;                  // vault/NAME
  std::map<std::string, KeyState> keys;                      // "VAULT/NAME" (vault names are global)
  std::map<std::string, IdentityState> identities;           // identity/NAME
  std::map<std::string, RoleAssignmentState> role_assignments;  // by assignment GUID
  // Consumers of managed keys, every kind: storage/NAME, sql/NAME, des/NAME.
  std::map<std::string, ConsumerState> consumers;
  // Soft-deleted objects holding a desired vault's or key's name (same addresses).
  std::map<std::string, DeletedVaultState> deleted_vaults;  // vault/NAME
  std::map<std::string, DeletedKeyState> deleted_keys;      // key/NAME
  // What a degraded read could not see, and why: plan addresses ("vault/x",
  // "key/x", "identity/x", consumers "storage/x"), role-assignment scopes
  // ("role-assignments:SCOPE") and per-subscription lists ("consumers:storage:SUB",
  // "deleted-vaults:SUB", "vaults:SUB", "identities:SUB"). Empty after a read
  // that did not degrade (that one fails instead).
  std::map<std::string, std::string> unobservable;
};

}  // namespace cmk
