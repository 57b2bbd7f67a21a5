#include "manifest/resolver.h"

#include <set>

#include "manifest/graph.h"
#include "manifest/roles.h"
#include "manifest/spec_parsers.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

constexpr size_t kMaxListedNames = 10;

class Resolver {
 public:
  Resolver(const std::vector<ParsedDoc>& docs, DiagnosticList& diags) : diags_(diags) {
    Index(docs);
  }

  DesiredState Run() {
    for (const auto& [name, doc] : by_kind_[Kind::kVault]) ResolveVault(*doc);
    for (const auto& [name, doc] : by_kind_[Kind::kIdentity]) ResolveIdentity(*doc);
    for (const auto& [name, doc] : by_kind_[Kind::kKey]) ResolveKey(*doc);
    for (const auto& [name, doc] : by_kind_[Kind::kRoleAssignment]) ResolveRole(*doc);
    for (ConsumerKind consumer : AllConsumerKinds())
      for (const auto& [name, doc] : by_kind_[BindingKind(consumer)]) ResolveBinding(*doc);
    for (const auto& [name, doc] : by_kind_[Kind::kHook])
      Put(out_.hooks, *doc, std::get<HookSpec>(doc->spec));
    for (const auto& [name, doc] : by_kind_[Kind::kPolicy])
      Put(out_.policies, *doc, std::get<PostureSpec>(doc->spec));
    CheckCycles();
    CheckBindingAccess();
    out_.subscriptions.assign(subscriptions_.begin(), subscriptions_.end());
    return std::move(out_);
  }

 private:
  void Error(const ParsedDoc& doc, const SourceLoc& loc, const std::string& m) {
    diags_.Error(loc, doc.address, m);
  }

  void Index(const std::vector<ParsedDoc>& docs) {
    for (const ParsedDoc& doc : docs) {
      if (!doc.kind) {
        auto [it, fresh] = defaults_.emplace(doc.dir, &doc);
        if (!fresh) {
          std::string dir = doc.dir.empty() ? "." : doc.dir;
          Error(doc, doc.kind_loc, "a second Defaults document for directory '" + dir +
                                       "' (the first, '" + it->second->name + "', is at " +
                                       it->second->kind_loc.ToString() + ")");
        }
        continue;
      }
      // Every binding kind shares the address binding/NAME, so one name.
      if (ConsumerKindOfBinding(*doc.kind)) {
        auto [first, fresh_binding] = binding_names_.emplace(doc.name, &doc);
        if (!fresh_binding && first->second->kind != doc.kind) {
          Error(doc, doc.name_loc, "a " + doc.kind_name + " named '" + doc.name + "' takes the address binding/" +
                                       doc.name + " of the " + first->second->kind_name + " defined at " +
                                       first->second->name_loc.ToString() + ": binding names are shared by every binding kind");
          continue;
        }
      }
      auto [it, fresh] = by_kind_[*doc.kind].emplace(doc.name, &doc);
      if (!fresh) {
        Error(doc, doc.name_loc, "duplicate " + doc.kind_name + " '" + doc.name +
                                     "' (first defined at " + it->second->name_loc.ToString() +
                                     ")");
      }
    }
  }

  // The document `ref` names among `kind`, or nullptr after an error.
  const ParsedDoc* Lookup(const ParsedDoc& from, const Ref& ref, Kind kind, const char* field) {
    if (!ref.set()) return nullptr;
    const auto& table = by_kind_[kind];
    auto it = table.find(ref.name);
    if (it != table.end()) {
      edges_[from.address].push_back(it->second->address);
      return it->second;
    }
    std::string message = std::string(field) + ": no " + KindName(kind) + " named '" + ref.name +
                          "'";
    if (table.empty()) {
      message += std::string(" (no ") + KindName(kind) + " is defined)";
    } else {
      std::vector<std::string> names;
      for (const auto& [name, _] : table) names.push_back(name);
      std::string hint = Suggest(ref.name, names);
      if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
      if (names.size() > kMaxListedNames) {
        names.resize(kMaxListedNames);
        names.push_back("...");
      }
      message += std::string("; defined: ") + JoinNames(names);
    }
    Error(from, ref.loc, message);
    return nullptr;
  }

  // Placement with Defaults applied; reports missing required fields.
  struct Resolved {
    std::string subscription, resource_group, location;
    Tags tags;
  };
  Resolved Place(const ParsedDoc& doc, const Placement& own, bool with_location) {
    const Placement* defaults = nullptr;
    if (auto it = defaults_.find(doc.dir); it != defaults_.end())
      defaults = &std::get<DefaultsSpec>(it->second->spec).placement;
    Resolved r;
    auto pick = [&](const OptField Placement::*field, const char* key, std::string& out) {
      if ((own.*field).value) {
        out = *(own.*field).value;
      } else if (defaults && (defaults->*field).value) {
        out = *(defaults->*field).value;
      } else {
        Error(doc, doc.spec_loc, std::string("missing required field '") + key +
                                     "' in spec (set it here or in a Defaults document in the "
                                     "same directory)");
      }
    };
    pick(&Placement::subscription, "subscription", r.subscription);
    pick(&Placement::resource_group, "resourceGroup", r.resource_group);
    if (with_location) pick(&Placement::location, "location", r.location);
    if (!r.subscription.empty()) subscriptions_.insert(r.subscription);
    r.tags = Tags();
    if (defaults) r.tags = defaults->tags;
    for (const auto& [k, v] : own.tags) r.tags[k] = v;
    return r;
  }

  Tags OwnedTags(const ParsedDoc& doc, const Tags& own) {
    Tags tags;
    if (auto it = defaults_.find(doc.dir); it != defaults_.end())
      tags = std::get<DefaultsSpec>(it->second->spec).placement.tags;
    for (const auto& [k, v] : own) tags[k] = v;
    tags[kOwnershipTagKey] = kOwnershipTagValue;
    return tags;
  }

  template <typename T>
  void Put(std::map<std::string, Sourced<T>>& table, const ParsedDoc& doc, T value) {
    table[doc.address] = Sourced<T>{std::move(value), doc.kind_loc, doc.owner, doc.labels};
  }

  void ResolveVault(const ParsedDoc& doc) {
    const auto& spec = std::get<VaultSpec>(doc.spec);
    VaultState v = spec.state;
    Resolved p = Place(doc, spec.placement, true);
    v.subscription = p.subscription;
    v.resource_group = p.resource_group;
    v.location = p.location;
    v.tags = p.tags;
    v.tags[kOwnershipTagKey] = kOwnershipTagValue;
    Put(out_.vaults, doc, std::move(v));
  }

  void ResolveIdentity(const ParsedDoc& doc) {
    const auto& spec = std::get<IdentitySpec>(doc.spec);
    IdentityState s = spec.state;
    Resolved p = Place(doc, spec.placement, true);
    s.subscription = p.subscription;
    s.resource_group = p.resource_group;
    s.location = p.location;
    s.tags = p.tags;
    s.tags[kOwnershipTagKey] = kOwnershipTagValue;
    Put(out_.identities, doc, std::move(s));
  }

  const VaultState* VaultOf(const std::string& name) {
    auto it = out_.vaults.find(MakeAddress(Kind::kVault, name));
    return it == out_.vaults.end() ? nullptr : &it->second.value;
  }

  void ResolveKey(const ParsedDoc& doc) {
    const auto& spec = std::get<KeySpec>(doc.spec);
    KeyState k = spec.state;
    k.tags = OwnedTags(doc, spec.own_tags);
    if (const ParsedDoc* vault = Lookup(doc, spec.vault, Kind::kVault, "spec.vault")) {
      k.vault = vault->name;
      const VaultState* v = VaultOf(vault->name);
      bool hsm = k.kty.size() > 4 && k.kty.compare(k.kty.size() - 4, 4, "-HSM") == 0;
      if (v && hsm && v->sku != "premium") {
        Error(doc, spec.type_loc, "key type " + k.kty + " needs a premium vault, and vault '" +
                                      vault->name + "' is " + v->sku +
                                      " (set spec.sku: premium on vault/" + vault->name + ")");
      }
    }
    if (spec.rotation_policy.set()) {
      if (const ParsedDoc* policy =
              Lookup(doc, spec.rotation_policy, Kind::kRotationPolicy, "spec.rotationPolicy"))
        k.rotation_policy = std::get<PolicySpec>(policy->spec).state;
    } else {
      diags_.Warning(doc.kind_loc, doc.address,
                     "no rotation policy: this key will never rotate on its own");
    }
    Put(out_.keys, doc, std::move(k));
  }

  // ARM id of the key or vault a role assignment is scoped to; "" if unknown.
  std::string ScopeOf(const ParsedDoc& doc, const RoleSpec& spec) {
    if (spec.scope_key.set()) {
      const ParsedDoc* key = Lookup(doc, spec.scope_key, Kind::kKey, "spec.scope.key");
      if (key == nullptr) return "";
      auto it = out_.keys.find(key->address);
      const VaultState* v = it == out_.keys.end() ? nullptr : VaultOf(it->second.value.vault);
      if (v == nullptr) return "";
      return KeyArmId(v->subscription, v->resource_group, v->name, key->name);
    }
    const ParsedDoc* vault = Lookup(doc, spec.scope_vault, Kind::kVault, "spec.scope.vault");
    const VaultState* v = vault ? VaultOf(vault->name) : nullptr;
    return v ? VaultArmId(v->subscription, v->resource_group, v->name) : "";
  }

  void ResolveRole(const ParsedDoc& doc) {
    const auto& spec = std::get<RoleSpec>(doc.spec);
    RoleAssignmentState r;
    r.name = doc.name;
    r.principal = spec.principal;
    r.principal_id = spec.principal.object_id;
    r.role_definition_id = spec.role_id;
    r.description = std::string(kOwnershipDescriptionPrefix) + " name=" + doc.name;
    Lookup(doc, spec.principal_identity, Kind::kIdentity, "spec.principal.identity");
    r.scope = ScopeOf(doc, spec);
    // Part of the assignment's GUID: never reworded for an existing kind.
    std::string principal_text =
        !spec.principal.identity.empty() ? "identity:" + spec.principal.identity
        : !spec.principal.consumer.empty()
            ? std::string(ConsumerNameMember(spec.principal.consumer_kind)) + ":" + spec.principal.consumer
            : "objectId:" + spec.principal.object_id;
    r.id = DeterministicGuid(r.scope + "|" + r.role_definition_id + "|" + principal_text);
    Put(out_.role_assignments, doc, std::move(r));
  }

  void ResolveBinding(const ParsedDoc& doc) {
    const auto& spec = std::get<BindingSpec>(doc.spec);
    BindingState b = spec.state;
    Resolved p = Place(doc, spec.placement, false);
    b.subscription = p.subscription;
    b.resource_group = p.resource_group;
    if (const ParsedDoc* key = Lookup(doc, spec.key, Kind::kKey, "spec.key")) {
      b.key = key->name;
      auto it = out_.keys.find(key->address);
      if (it != out_.keys.end()) {
        b.vault = it->second.value.vault;
        const VaultState* v = VaultOf(b.vault);
        if (v && !v->purge_protection) {
          Error(doc, spec.key.loc, std::string(Traits(b.consumer_kind).service) +
                                   " customer-managed keys require purge protection, and "
                                   "vault '" + v->name + "' (of key '" + key->name +
                                   "') does not have it (set spec.purgeProtection: true on vault/" +
                                   v->name + ")");
        }
      }
    }
    if (const ParsedDoc* id = Lookup(doc, spec.identity, Kind::kIdentity, "spec.identity.userAssigned")) {
      auto it = out_.identities.find(id->address);
      if (it != out_.identities.end()) {
        const IdentityState& s = it->second.value;
        b.identity = IdentityArmId(s.subscription, s.resource_group, s.name);
        b.identity_name = s.name;
      }
    } else if (spec.identity.set()) {
      skip_access_check_.insert(doc.address);
    }
    Put(out_.bindings, doc, std::move(b));
  }

  void CheckCycles() {
    auto cycle = FindCycle(edges_);
    if (!cycle) return;
    std::string path;
    for (const auto& node : *cycle) path += (path.empty() ? "" : " -> ") + node;
    const ParsedDoc* first = nullptr;
    for (auto& [kind, table] : by_kind_)
      for (auto& [name, doc] : table)
        if (doc->address == cycle->front()) first = doc;
    SourceLoc loc = first ? first->kind_loc : SourceLoc{};
    diags_.Error(loc, cycle->front(), "reference cycle: " + path);
  }

  // A binding's identity needs a role on the key (or its vault) to wrap and
  // unwrap; without one the account's data goes dark. Warn, since the
  // assignment may be managed elsewhere.
  void CheckBindingAccess() {
    for (const auto& [address, sb] : out_.bindings) {
      const BindingState& b = sb.value;
      if (b.key.empty() || b.vault.empty() || skip_access_check_.count(address)) continue;
      const VaultState* v = VaultOf(b.vault);
      if (v == nullptr) continue;
      std::string key_scope = KeyArmId(v->subscription, v->resource_group, v->name, b.key);
      std::string vault_scope = VaultArmId(v->subscription, v->resource_group, v->name);
      bool granted = false;
      for (const auto& [_, sr] : out_.role_assignments) {
        const RoleAssignmentState& r = sr.value;
        bool same_principal = b.identity_name.empty()
                                  ? r.principal.consumer_kind == b.consumer_kind && r.principal.consumer == b.consumer
                                  : r.principal.identity == b.identity_name;
        if (same_principal && (r.scope == key_scope || r.scope == vault_scope)) granted = true;
      }
      if (!granted) {
        std::string who = b.identity_name.empty()
                              ? std::string(Traits(b.consumer_kind).noun) + " '" + b.consumer + "'"
                                                  : "identity '" + b.identity_name + "'";
        diags_.Warning(sb.loc, address,
                       "no RoleAssignment in these manifests grants " + who + " access to key '" +
                           b.key + "' (it needs '" +
                           RoleDisplayName("e147488a-f6f5-4113-8e2d-b22465e65bf6") + "')");
      }
    }
  }

  DiagnosticList& diags_;
  std::map<Kind, std::map<std::string, const ParsedDoc*>> by_kind_;
  std::map<std::string, const ParsedDoc*> defaults_;  // by directory
  std::map<std::string, std::vector<std::string>> edges_;
  std::set<std::string> subscriptions_;
  std::map<std::string, const ParsedDoc*> binding_names_;  // every binding kind's names
  std::set<std::string> skip_access_check_;  // bindings whose identity did not resolve
  DesiredState out_;
};

}  // namespace

DesiredState Resolve(const std::vector<ParsedDoc>& docs, DiagnosticList& diags) {
  return Resolver(docs, diags).Run();
}

}  // namespace cmk
