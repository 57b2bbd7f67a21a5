// Per-kind spec parsers, used by ParseDocument (internal to cmk_manifest).
//
// Each reads one `spec` mapping with its own SpecReader, checks what the
// document can check alone and reports into the document's context.
#pragma once

#include <string>
#include <vector>

#include "manifest/documents.h"
#include "manifest/spec_reader.h"

namespace cmk {

struct SpecInput {
  const YamlNode& node;  // the spec mapping
  SourceLoc loc;         // the `spec:` key
  const DocContext& ctx;
  const std::string& name;  // metadata.name ("" if missing)
  const std::string& dir;   // the manifest file's directory
};

void ParseDefaultsSpec(const SpecInput& in, DefaultsSpec& out);
void ParseVaultSpec(const SpecInput& in, VaultSpec& out);
void ParseIdentitySpec(const SpecInput& in, IdentitySpec& out);
void ParsePolicySpec(const SpecInput& in, PolicySpec& out);
void ParseKeySpec(const SpecInput& in, KeySpec& out);
void ParseRoleSpec(const SpecInput& in, RoleSpec& out);
void ParseBindingSpec(const SpecInput& in, ConsumerKind kind, BindingSpec& out);
void ParseHookSpec(const SpecInput& in, HookSpec& out);
void ParsePostureSpec(const SpecInput& in, PostureSpec& out);

// Shared checks. Each reports at `loc` and returns false on failure.
bool CheckOneOf(const std::string& value, const std::vector<std::string>& allowed,
                const std::string& path, const SourceLoc& loc, const DocContext& ctx);
bool IsGuid(const std::string& s);
std::string Lower(std::string s);
std::string JoinNames(const std::vector<std::string>& names);
// Reads `tags` (rejecting the reserved ownership key) into `out`.
void ReadTags(SpecReader& r, Tags& out);
// Reads subscription / resourceGroup (and location when asked) and tags.
void ReadPlacement(SpecReader& r, Placement& out, bool with_location, bool with_tags);

}  // namespace cmk
