// Hook specs: which changes a script runs around. Scripts are not run here.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "base/duration.h"
#include "manifest/spec_parsers.h"

namespace cmk {
namespace {

constexpr int kMaxTimeoutSeconds = 600;

bool IsEnvName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// Resolves `key` against the manifest directory; "" when missing/not a file.
std::string ReadScript(SpecReader& r, const char* key, bool required, const std::string& dir) {
  auto v = r.String(key, required);
  if (!v) return "";
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::path(*v).is_absolute() ? fs::path(*v) : fs::path(dir) / *v;
  fs::path abs = fs::absolute(p, ec).lexically_normal();
  if (ec || !fs::exists(abs, ec)) {
    r.ctx().Error(r.ValueLoc(key), r.Path(key) + ": '" + *v +
                                       "' does not exist (paths are relative to the manifest's "
                                       "directory)");
    return "";
  }
  if (!fs::is_regular_file(abs, ec)) {
    r.ctx().Error(r.ValueLoc(key), r.Path(key) + ": '" + *v + "' is not a regular file");
    return "";
  }
  return abs.string();
}

void ReadList(SpecReader& r, const char* key, const std::vector<std::string>* allowed,
              bool (*valid)(const std::string&), std::vector<std::string>& out) {
  auto list = r.StringList(key);
  if (!list) return;
  const YamlNode* n = r.Find(key);
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& v = (*list)[i];
    SourceLoc loc = r.ctx().Loc(n->items[i]);
    std::string path = r.Path(key) + "[" + std::to_string(i) + "]";
    if (allowed && !CheckOneOf(v, *allowed, path, loc, r.ctx())) continue;
    if (valid && !valid(v)) {
      r.ctx().Error(loc, path + ": '" + v + "' is not an environment variable name");
      continue;
    }
    if (!seen.insert(v).second) {
      r.ctx().Error(loc, path + ": '" + v + "' is listed twice");
      continue;
    }
    out.push_back(v);
  }
}

}  // namespace

void ParseHookSpec(const SpecInput& in, HookSpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx,
               {"phase", "selector", "script", "rollbackScript", "timeout", "onFailure", "env"});
  out.name = in.name;
  auto phase = r.String("phase", true);
  if (phase && CheckOneOf(*phase, {"pre", "post"}, "spec.phase", r.ValueLoc("phase"), in.ctx))
    out.phase = *phase;
  if (const YamlNode* s = r.Map("selector")) {
    SpecReader sr(*s, "spec.selector", r.KeyLoc("selector"), in.ctx, {"kinds", "names", "actions"});
    static const std::vector<std::string> kKinds = {
        "Vault",          "RotationPolicy",    "Key",           "Identity",
        "RoleAssignment", "StorageCmkBinding", "SqlTdeBinding", "DiskEncryptionSetBinding"};
    static const std::vector<std::string> kActions = {
        "create", "update", "replace", "delete", "bind", "rotate", "disable-version", "repin"};
    ReadList(sr, "kinds", &kKinds, nullptr, out.kinds);
    ReadList(sr, "names", nullptr, nullptr, out.names);
    ReadList(sr, "actions", &kActions, nullptr, out.actions);
    sr.Finish();
  }
  out.script = ReadScript(r, "script", true, in.dir);
  if (r.Find("rollbackScript")) {
    if (out.phase == "pre") {
      in.ctx.Error(r.KeyLoc("rollbackScript"),
                   "rollbackScript is only for post hooks: a pre hook runs before anything changed");
    } else {
      out.rollback_script = ReadScript(r, "rollbackScript", false, in.dir);
    }
  }
  if (const YamlNode* t = r.Find("timeout"); t && !t->is_invalid()) {
    std::optional<int64_t> seconds;
    if (t->type == YamlNode::Type::kScalar && t->plain && !t->value.empty() &&
        std::all_of(t->value.begin(), t->value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      seconds = t->value.size() > 9 ? int64_t{1} << 40 : std::stoll(t->value);
    } else if (auto text = ReadString(*t, "spec.timeout", in.ctx)) {
      auto d = ParseIsoDuration(*text);
      if (d.ok()) {
        seconds = ApproxSeconds(*d);
      } else {
        in.ctx.Error(in.ctx.Loc(*t), "spec.timeout: " + d.status().message() +
                                         " or a number of seconds");
      }
    }
    if (seconds && (*seconds < 1 || *seconds > kMaxTimeoutSeconds)) {
      in.ctx.Error(in.ctx.Loc(*t), "spec.timeout: " + t->value +
                                       " is out of range (1 second to PT10M)");
    } else if (seconds) {
      out.timeout_seconds = static_cast<int>(*seconds);
    }
  }
  if (auto f = r.String("onFailure");
      f && CheckOneOf(*f, {"rollback", "halt", "warn"}, "spec.onFailure", r.ValueLoc("onFailure"),
                      in.ctx)) {
    if (*f == "rollback" && out.phase == "pre") {
      in.ctx.Error(r.ValueLoc("onFailure"),
                   "onFailure: rollback is only for post hooks (use halt or warn)");
    } else {
      out.on_failure = *f;
    }
  }
  ReadList(r, "env", nullptr, IsEnvName, out.env);
  r.Finish();
}

}  // namespace cmk
