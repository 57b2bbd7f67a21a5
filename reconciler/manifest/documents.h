// ParsedDoc: one manifest document after per-document checks, before
// cross-document resolution.
//
// ParseDocument checks everything a single document can check on its own
// (apiVersion, kind, metadata, field types, enums, ranges, name rules,
// rotation-policy rules) and keeps what the resolver needs later: the values
// not yet defaulted, and references with the location of the text that
// names them. It never reads other files except to check that a hook script
// exists. Plain values; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "manifest/diagnostic.h"
#include "manifest/yaml_tree.h"
#include "model/world.h"

namespace cmk {

inline constexpr const char* kApiVersion = "cmkctl/v1";
inline constexpr const char* kDefaultsKind = "Defaults";

// A name written in a manifest that must match another document's name.
struct Ref {
  std::string name;
  SourceLoc loc;
  bool set() const { return !name.empty(); }
};

// A placement field a Defaults document may supply.
struct OptField {
  std::optional<std::string> value;
  SourceLoc loc;
};

struct Placement {
  OptField subscription;
  OptField resource_group;
  OptField location;
  Tags tags;
};

struct DefaultsSpec {
  Placement placement;
};
struct VaultSpec {
  VaultState state;  // without placement and tags
  Placement placement;
};
struct PolicySpec {
  RotationPolicyState state;
};
struct KeySpec {
  KeyState state;  // vault, tags (own only) and policy filled by the resolver
  Ref vault;
  Ref rotation_policy;
  SourceLoc type_loc;
  Tags own_tags;
};
struct IdentitySpec {
  IdentityState state;
  Placement placement;
};
struct RoleSpec {
  PrincipalRef principal;
  SourceLoc principal_loc;
  Ref principal_identity;  // set when principal.identity is
  Ref scope_key;
  Ref scope_vault;
  std::string role_id;  // GUID
};
struct BindingSpec {
  BindingState state;
  Placement placement;  // subscription / resource group of the account
  Ref key;
  Ref identity;  // user-assigned identity; unset = system-assigned
};

struct ParsedDoc {
  std::string kind_name;    // as written
  std::optional<Kind> kind;  // nullopt for Defaults
  std::string name;          // "" when missing or invalid
  std::string owner;
  Tags labels;
  std::string address;  // "vault/bank-kv"; "defaults/NAME" for Defaults
  std::string file;
  std::string dir;  // the directory Defaults apply to
  SourceLoc kind_loc;
  SourceLoc name_loc;
  SourceLoc spec_loc;  // the `spec:` key
  std::variant<std::monostate, DefaultsSpec, VaultSpec, PolicySpec, KeySpec, IdentitySpec,
               RoleSpec, BindingSpec, HookSpec, PostureSpec>
      spec;
};

// Checks one non-empty document. Returns nullopt when the document cannot
// take part in resolution (not a mapping, unknown kind, no usable name, no
// spec); the reasons are in `diags` either way.
std::optional<ParsedDoc> ParseDocument(const YamlNode& root, const std::string& file,
                                       const std::string& dir, DiagnosticList& diags);

}  // namespace cmk
