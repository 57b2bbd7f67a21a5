// ParseDocument: the envelope (apiVersion, kind, metadata, spec) and the
// dispatch to the per-kind spec parsers.
#include <regex>

#include "manifest/documents.h"
#include "manifest/spec_parsers.h"

namespace cmk {
namespace {

struct NameRule {
  std::regex pattern;
  const char* text;
};

// Azure's naming rules where Azure has one; a DNS-like rule elsewhere.
const NameRule& RuleFor(const std::optional<Kind>& kind) {
  static const NameRule kVault{std::regex("^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$"),
                               "3-24 letters, digits and hyphens, starting with a letter, not "
                               "ending with a hyphen, no consecutive hyphens"};
  static const NameRule kKey{std::regex("^[0-9a-zA-Z-]{1,127}$"),
                             "1-127 letters, digits and hyphens"};
  static const NameRule kIdentity{std::regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$"),
                                  "3-128 letters, digits, hyphens and underscores, starting "
                                  "with a letter or digit"};
  static const NameRule kOther{std::regex("^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,62}[a-zA-Z0-9])?$"),
                               "1-64 letters, digits, '.', '_' and '-', starting and ending "
                               "with a letter or digit"};
  if (kind == Kind::kVault) return kVault;
  if (kind == Kind::kKey) return kKey;
  if (kind == Kind::kIdentity) return kIdentity;
  return kOther;
}

bool ValidName(const std::optional<Kind>& kind, const std::string& name) {
  if (!std::regex_match(name, RuleFor(kind).pattern)) return false;
  return kind != Kind::kVault || name.find("--") == std::string::npos;
}

std::vector<std::string> KindNames() {
  return {kDefaultsKind, "Vault", "RotationPolicy", "Key", "Identity", "RoleAssignment",
          "StorageCmkBinding", "Hook", "Policy"};
}

void ParseMetadata(SpecReader& top, ParsedDoc& doc, DocContext& ctx) {
  const YamlNode* meta = top.Map("metadata", true);
  if (meta == nullptr) return;
  SpecReader r(*meta, "metadata", top.KeyLoc("metadata"), ctx, {"name", "owner", "labels"});
  doc.name_loc = r.ValueLoc("name");
  if (auto name = r.String("name", true)) {
    std::string prefix = doc.kind ? KindAddressPrefix(*doc.kind) : "defaults";
    ctx.address = prefix + "/" + *name;
    if (ValidName(doc.kind, *name)) {
      doc.name = *name;
      doc.address = ctx.address;
    } else {
      ctx.Error(doc.name_loc, "'" + *name + "' is not a valid " + doc.kind_name + " name (" +
                                  RuleFor(doc.kind).text + ")");
    }
  }
  if (auto owner = r.String("owner", true)) {
    if (owner->find_first_not_of(" \t\n") == std::string::npos) {
      ctx.Error(r.ValueLoc("owner"), "metadata.owner must not be blank: every change needs a "
                                     "visible owner");
    }
    doc.owner = *owner;
  }
  if (auto labels = r.StringMap("labels")) {
    for (const auto& [key, value] : *labels)
      if (key.find_first_not_of(" \t\n") == std::string::npos)
        ctx.Error(r.ValueLoc("labels"), "metadata.labels: a label key must not be blank");
    doc.labels = *labels;
  }
  r.Finish();
}

}  // namespace

std::optional<ParsedDoc> ParseDocument(const YamlNode& root, const std::string& file,
                                       const std::string& dir, DiagnosticList& diags) {
  DocContext ctx{file, "", &diags};
  if (root.is_invalid()) return std::nullopt;
  if (!root.is_map()) {
    ctx.Error(ctx.Loc(root), "a manifest document must be a mapping with apiVersion, kind, "
                             "metadata and spec, got " + root.Describe());
    return std::nullopt;
  }
  ParsedDoc doc;
  doc.file = file;
  doc.dir = dir;
  SpecReader top(root, "the document", ctx.Loc(root), ctx, {"apiVersion", "kind", "metadata", "spec"});
  top.Finish();
  auto api = top.String("apiVersion", true);
  if (api && *api != kApiVersion) {
    ctx.Error(top.ValueLoc("apiVersion"), "apiVersion '" + *api + "' is not supported (expected " +
                                              kApiVersion + ")");
    return std::nullopt;
  }
  doc.kind_loc = top.ValueLoc("kind");
  auto kind = top.String("kind", true);
  if (!kind) return std::nullopt;
  doc.kind_name = *kind;
  if (*kind != kDefaultsKind) {
    doc.kind = KindFromName(*kind);
    if (!doc.kind) {
      std::string message = "unknown kind '" + *kind + "'";
      std::string hint = Suggest(*kind, KindNames());
      if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
      ctx.Error(doc.kind_loc, message + ": expected one of " + JoinNames(KindNames()));
      return std::nullopt;
    }
  }
  ParseMetadata(top, doc, ctx);

  const YamlNode* spec = top.Find("spec");
  YamlNode empty;
  empty.type = YamlNode::Type::kMap;
  if (spec == nullptr) {
    const YamlEntry* present = nullptr;
    for (const auto& e : root.entries)
      if (e.key.value == "spec") present = &e;
    if (present == nullptr) {
      top.Missing("spec");
      return std::nullopt;
    }
    spec = &empty;  // `spec:` with nothing after it: an empty spec
  }
  if (spec->is_invalid()) return std::nullopt;
  if (!spec->is_map()) {
    ctx.Error(ctx.Loc(*spec), "spec: expected a mapping, got " + spec->Describe());
    return std::nullopt;
  }
  doc.spec_loc = top.KeyLoc("spec");
  SpecInput in{*spec, doc.spec_loc, ctx, doc.name, dir};
  if (!doc.kind) {
    ParseDefaultsSpec(in, doc.spec.emplace<DefaultsSpec>());
  } else {
    switch (*doc.kind) {
      case Kind::kVault: ParseVaultSpec(in, doc.spec.emplace<VaultSpec>()); break;
      case Kind::kRotationPolicy: ParsePolicySpec(in, doc.spec.emplace<PolicySpec>()); break;
      case Kind::kKey: ParseKeySpec(in, doc.spec.emplace<KeySpec>()); break;
      case Kind::kIdentity: ParseIdentitySpec(in, doc.spec.emplace<IdentitySpec>()); break;
      case Kind::kRoleAssignment: ParseRoleSpec(in, doc.spec.emplace<RoleSpec>()); break;
      case Kind::kStorageCmkBinding:
      case Kind::kSqlTdeBinding:
      case Kind::kDiskEncryptionSetBinding:
        ParseBindingSpec(in, *ConsumerKindOfBinding(*doc.kind), doc.spec.emplace<BindingSpec>());
        break;
      case Kind::kHook: ParseHookSpec(in, doc.spec.emplace<HookSpec>()); break;
      case Kind::kPolicy: ParsePostureSpec(in, doc.spec.emplace<PostureSpec>()); break;
    }
  }
  if (doc.name.empty()) return std::nullopt;
  return doc;
}

}  // namespace cmk
