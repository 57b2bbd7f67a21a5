// RoleAssignment and binding specs (StorageCmkBinding, SqlTdeBinding,
// DiskEncryptionSetBinding): who may use which key.
#include <algorithm>
#include <cctype>

#include "manifest/roles.h"
#include "manifest/spec_parsers.h"

namespace cmk {
namespace {

// Azure's naming rules per consumer kind, and how an error states them.
bool IsConsumerName(ConsumerKind kind, const std::string& s) {
  auto all = [&](auto pred) { return std::all_of(s.begin(), s.end(), [&](unsigned char c) { return pred(c); }); };
  switch (kind) {
    case ConsumerKind::kStorage:
      return s.size() >= 3 && s.size() <= 24 && all([](unsigned char c) { return std::islower(c) || std::isdigit(c); });
    case ConsumerKind::kSqlServer:
      return !s.empty() && s.size() <= 63 && s.front() != '-' && s.back() != '-' &&
             all([](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; });
    case ConsumerKind::kDiskEncryptionSet:
      return !s.empty() && s.size() <= 80 &&
             all([](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
  }
  return false;
}
const char* ConsumerNameRule(ConsumerKind kind) {
  switch (kind) {
    case ConsumerKind::kStorage: return "3-24 lower-case letters and digits";
    case ConsumerKind::kSqlServer: return "1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen";
    case ConsumerKind::kDiskEncryptionSet: return "1-80 letters, digits, hyphens and underscores";
  }
  return "";
}

bool IsKeyVersion(const std::string& s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// Of `choices`, the keys present in `r`'s mapping; reports when not exactly one.
std::vector<std::string> ExactlyOne(SpecReader& r, const std::vector<std::string>& choices,
                                    const std::string& what) {
  std::vector<std::string> present;
  for (const auto& c : choices)
    if (r.Find(c)) present.push_back(c);
  if (present.empty()) {
    r.ctx().Error(r.ValueLoc(""), r.path() + " needs exactly one of " + JoinNames(choices));
  } else if (present.size() > 1) {
    r.ctx().Error(r.KeyLoc(present[1]), r.path() + " names both '" + present[0] + "' and '" +
                                            present[1] + "': " + what + " must be exactly one");
  }
  return present;
}

void ReadConsumerName(SpecReader& r, ConsumerKind kind, bool required, std::string& out) {
  const std::string key = ConsumerNameMember(kind);
  auto v = r.String(key, required);
  if (!v) return;
  if (!IsConsumerName(kind, *v)) {
    r.ctx().Error(r.ValueLoc(key), r.Path(key) + ": '" + *v + "' is not a " + Traits(kind).noun + " name (" +
                                       ConsumerNameRule(kind) + ")");
    return;
  }
  out = *v;
}

}  // namespace

void ParseRoleSpec(const SpecInput& in, RoleSpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx, {"principal", "role", "scope"});
  if (const YamlNode* p = r.Map("principal", true)) {
    SpecReader pr(*p, "spec.principal", r.KeyLoc("principal"), in.ctx,
                  {"identity", "storageAccount", "sqlServer", "diskEncryptionSet", "objectId"});
    out.principal_loc = r.KeyLoc("principal");
    auto present = ExactlyOne(pr, {"identity", "storageAccount", "sqlServer", "diskEncryptionSet", "objectId"},
                              "the principal");
    if (present.size() == 1) {
      const std::string& which = present[0];
      if (which == "identity") {
        if (auto v = pr.String("identity")) {
          out.principal.identity = *v;
          out.principal_identity = {*v, pr.ValueLoc("identity")};
        }
      } else if (std::optional<ConsumerKind> kind = ConsumerKindOfNameMember(which)) {
        out.principal.consumer_kind = *kind;
        ReadConsumerName(pr, *kind, true, out.principal.consumer);
      } else if (auto v = pr.String("objectId")) {
        if (IsGuid(*v)) {
          out.principal.object_id = Lower(*v);
        } else {
          in.ctx.Error(pr.ValueLoc("objectId"),
                       "spec.principal.objectId: '" + *v + "' is not a GUID");
        }
      }
    }
    pr.Finish();
  }
  if (auto role = r.String("role", true)) {
    if (IsGuid(*role)) {
      out.role_id = Lower(*role);
    } else if (auto id = RoleIdForName(*role)) {
      out.role_id = *id;
    } else {
      std::vector<std::string> names;
      for (const auto& [name, id] : BuiltinRoles()) names.push_back(name);
      std::string message = "unknown role '" + *role + "'";
      std::string hint = Suggest(*role, names);
      if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
      in.ctx.Error(r.ValueLoc("role"), message + ": use a built-in Key Vault role name (" +
                                           JoinNames(names) + ") or a role definition GUID");
    }
  }
  if (const YamlNode* s = r.Map("scope", true)) {
    SpecReader sr(*s, "spec.scope", r.KeyLoc("scope"), in.ctx, {"key", "vault"});
    auto present = ExactlyOne(sr, {"key", "vault"}, "the scope");
    if (present.size() == 1) {
      if (auto v = sr.String(present[0])) {
        Ref ref{*v, sr.ValueLoc(present[0])};
        if (present[0] == "key") {
          out.scope_key = ref;
        } else {
          out.scope_vault = ref;
        }
      }
    }
    sr.Finish();
  }
  r.Finish();
}

void ParseBindingSpec(const SpecInput& in, ConsumerKind kind, BindingSpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx,
               {ConsumerNameMember(kind), "subscription", "resourceGroup", "key", "identity", "keyVersion"});
  BindingState& b = out.state;
  b.name = in.name;
  b.consumer_kind = kind;
  ReadConsumerName(r, kind, true, b.consumer);
  ReadPlacement(r, out.placement, false, false);
  if (auto v = r.String("key", true)) out.key = {*v, r.ValueLoc("key")};
  if (const YamlNode* id = r.Find("identity"); id && !id->is_invalid()) {
    if (id->type == YamlNode::Type::kScalar) {
      auto v = ReadString(*id, "spec.identity", in.ctx);
      if (v && *v != "system") {
        in.ctx.Error(in.ctx.Loc(*id), "spec.identity: '" + *v +
                                          "' is not 'system' or {userAssigned: IDENTITY}");
      }
    } else if (id->is_map()) {
      SpecReader ir(*id, "spec.identity", r.KeyLoc("identity"), in.ctx, {"userAssigned"});
      if (auto v = ir.String("userAssigned", true)) out.identity = {*v, ir.ValueLoc("userAssigned")};
      ir.Finish();
    } else {
      in.ctx.Error(in.ctx.Loc(*id), "spec.identity: expected 'system' or {userAssigned: IDENTITY}, "
                                    "got " + id->Describe());
    }
  }
  if (auto v = r.String("keyVersion")) {
    if (*v == "auto") {
      b.key_version = "";
    } else if (IsKeyVersion(*v)) {
      b.key_version = Lower(*v);
    } else {
      in.ctx.Error(r.ValueLoc("keyVersion"), "spec.keyVersion: '" + *v +
                                                 "' is neither 'auto' nor a 32-hex key version");
    }
  }
  r.Finish();
}

}  // namespace cmk
