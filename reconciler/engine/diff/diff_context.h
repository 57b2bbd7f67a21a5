// Internal to Diff: the state shared by the per-kind rules while one plan is
// computed, and the helpers they share. Not part of the engine's API.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/diff/diff.h"
#include "engine/read/live_query.h"

namespace cmk {

// Lookups the rules make per object, built once per plan so that no rule
// scans another collection. Keys are normalised once (lower case; ids and
// URIs by NormalizedId); values keep the order the old scans found them in
// (the maps' address order), so "first match" means what it meant.
struct DiffIndex {
  std::unordered_map<std::string, ArmRef> vault_location;          // vault name (desired, else live)
  std::unordered_map<std::string, std::string> desired_vault;      // vault name -> address
  std::unordered_map<std::string, std::string> desired_key;        // "vault/key" -> address
  std::unordered_map<std::string, std::string> scope_address;      // vault or key ARM id -> address
  // Consumer address (lower case) -> the desired binding of that consumer.
  std::unordered_map<std::string, const Sourced<BindingState>*> binding_by_consumer;
  // "vault/key" -> desired bindings of that key, address order.
  std::unordered_map<std::string, std::vector<std::pair<std::string, const Sourced<BindingState>*>>>
      bindings_by_key;
  // Role-assignment scope -> desired assignment addresses, address order.
  std::unordered_map<std::string, std::vector<std::string>> desired_assignments_by_scope;
  std::unordered_set<std::string> desired_assignment_ids;
  std::unordered_map<std::string, const RoleAssignmentState*> live_assignment_by_id;
  // "scope|role GUID|principal" -> the first live assignment granting it.
  std::unordered_map<std::string, const RoleAssignmentState*> live_assignment_by_grant;
  // "vault URI|key name" -> live consumers encrypting with it, address order.
  std::unordered_map<std::string, std::vector<std::string>> consumers_by_key;

  static DiffIndex Build(const DesiredState& desired, const LiveState& live);
  static std::string GrantOf(std::string_view scope, std::string_view role_definition_id,
                             std::string_view principal);
  static std::string ConsumedKeyOf(std::string_view vault_uri, std::string_view key);
};

struct DiffContext {
  const DesiredState& desired;
  const LiveState& live;
  const DiffOptions& options;
  Plan& plan;
  DiffIndex index;
  std::map<std::string, std::string> names;  // change address -> metadata name (hook selectors)
  std::set<std::string> replaced_identities;  // identity addresses being replaced
  std::set<std::string> claimed_assignments;  // live assignment ids matched by a desired one
  std::unordered_map<std::string, size_t> change_at;  // change address -> index in plan.changes

  void Error(const std::string& address, const std::string& message, const std::string& source);
  void Warning(const std::string& address, const std::string& message, const std::string& source);
  Change& Add(Change c, const std::string& name);
  bool HasChange(const std::string& address) const;
  // The change at `address` in this plan so far, or nullptr.
  const Change* FindChange(const std::string& address) const;
  // Where a vault lives: the desired vault of that name, else the live one.
  std::optional<ArmRef> VaultLocation(const std::string& vault) const;
  // Address of the desired key (vault, name), "" if none.
  std::string DesiredKeyAddress(const std::string& vault, const std::string& name) const;
};

// A change with address, kind, owner and source filled from a manifest object.
template <typename T>
Change BaseChange(const std::string& address, Kind kind, const Sourced<T>& s) {
  Change c;
  c.address = address;
  c.kind = kind;
  c.owner = s.owner;
  c.source = s.loc.ToString();
  return c;
}

// The part after "prefix/" of an address.
std::string AddressName(const std::string& address);
// Field changes turning `before` into `after` (objects recurse, everything
// else compares whole), sorted by path.
std::vector<FieldChange> JsonFieldDiff(const Json& before, const Json& after);
bool HasField(const std::vector<FieldChange>& fields, const std::string& path);
// "tags.env differs" / "sku, tags.env differ".
std::string Differs(const std::vector<FieldChange>& fields);
// "RSA→EC" style compact rendering of a field change.
std::string Arrow(const FieldChange& f);

void DiffVaults(DiffContext& ctx);
void DiffKeys(DiffContext& ctx);
void DiffIdentities(DiffContext& ctx);
void DiffStorageIdentities(DiffContext& ctx);
void DiffRoleAssignments(DiffContext& ctx);
void DiffBindings(DiffContext& ctx);
// Rotation, retirement and the per-key version tables (diff_versions.cc).
void DiffKeyVersions(DiffContext& ctx);
void DiffPrune(DiffContext& ctx);
// Inaccessible consumers now (findings) and after the plan (errors); see diff_consumers.cc.
void CheckConsumerAccess(DiffContext& ctx);
// Topological order, hooks, sorted depends_on.
void OrderChanges(DiffContext& ctx);
// Keeps out of the plan the changes that rest on unobservable objects
// (LiveState::unobservable), listing them in plan.withheld; diff_withhold.cc.
void WithholdUnobservable(DiffContext& ctx);
// Whether the read could not see the key (vault, key), its vault or the
// grants at its vault: its consumers cannot be judged.
bool KeyUnobservable(const DiffContext& ctx, const std::string& vault, const std::string& key);
void SelectHooks(DiffContext& ctx);

}  // namespace cmk
