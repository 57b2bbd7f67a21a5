#include "manifest/seed_file.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "base/duration.h"
#include "base/strings.h"

namespace cmk {
namespace {

class SeedParser {
 public:
  explicit SeedParser(std::string path) : path_(std::move(path)) {}

  Result<SeedFile> Parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return InvalidArgument(path_ + ":" + std::to_string(e.mark.line + 1) + ":" +
                             std::to_string(e.mark.column + 1) + ": " + SanitizeText(e.msg));
    }
    SeedFile seed;
    if (!root.IsMap()) {
      return InvalidArgument(path_ + ": a seed file is a mapping with storageAccounts, sqlServers, "
                             "diskEncryptionSets, principals, vaults");
    }
    CheckKeys(root, {"storageAccounts", "sqlServers", "diskEncryptionSets", "principals", "vaults"});
    for (const auto& [member, kind] : {std::pair{"storageAccounts", ConsumerKind::kStorage},
                                       std::pair{"sqlServers", ConsumerKind::kSqlServer},
                                       std::pair{"diskEncryptionSets", ConsumerKind::kDiskEncryptionSet}}) {
      if (!root[member]) continue;
      for (const auto& node : Seq(root[member])) seed.accounts.push_back(Account(node, kind));
    }
    if (root["principals"]) {
      for (const auto& node : Seq(root["principals"])) {
        std::string id = Scalar(node, "principal");
        if (!IsGuid(id)) Error(node, "principal '" + id + "' is not an object id (GUID)");
        seed.principals.push_back(id);
      }
    }
    if (root["vaults"]) {
      for (const auto& node : Seq(root["vaults"])) seed.vaults.push_back(Vault(node));
    }
    if (!errors_.empty()) {
      std::string all;
      for (const auto& e : errors_) all += (all.empty() ? "" : "\n") + e;
      return InvalidArgument(all);
    }
    return seed;
  }

 private:
  static bool IsGuid(const std::string& s) {
    static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    return std::regex_match(s, re);
  }

  void Error(const YAML::Node& node, const std::string& message) {
    const YAML::Mark m = node.Mark();
    // Messages quote names from the file (an escaped key can hold anything):
    // what reaches the terminal is printable, and bounded.
    errors_.push_back(path_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) +
                      ": error: " + SanitizeText(message.size() > 1024 ? message.substr(0, 1024) + "..." : message));
  }

  std::vector<YAML::Node> Seq(const YAML::Node& node) {
    std::vector<YAML::Node> out;
    if (!node.IsSequence()) {
      Error(node, "expected a list");
      return out;
    }
    for (const auto& e : node) out.push_back(e);
    return out;
  }

  void CheckKeys(const YAML::Node& map, std::set<std::string> allowed) {
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Error(kv.first, "unknown field '" + key + "' (expected one of: " + list + ")");
      }
    }
  }

  std::string Scalar(const YAML::Node& node, const std::string& what) {
    if (!node || !node.IsScalar()) {
      if (node) Error(node, what + " must be a string");
      return "";
    }
    if (auto fault = FindTextFault(node.Scalar())) {
      Error(node, what + " holds a " + fault->what + ": values are printable text");
      return "";
    }
    return node.Scalar();
  }

  std::string Required(const YAML::Node& map, const std::string& key) {
    if (!map[key]) {
      Error(map, "missing required field '" + key + "'");
      return "";
    }
    return Scalar(map[key], key);
  }

  bool Bool(const YAML::Node& map, const std::string& key, bool fallback) {
    if (!map[key]) return fallback;
    std::string v = Scalar(map[key], key);
    if (v == "true") return true;
    if (v == "false") return false;
    Error(map[key], key + " must be true or false, not '" + v + "'");
    return fallback;
  }

  int Int(const YAML::Node& map, const std::string& key, int fallback) {
    if (!map[key]) return fallback;
    std::string v = Scalar(map[key], key);
    try {
      size_t used = 0;
      int n = std::stoi(v, &used);
      if (used == v.size()) return n;
    } catch (...) {
    }
    Error(map[key], key + " must be an integer, not '" + v + "'");
    return fallback;
  }

  // A duration member in seconds; nullopt when absent or invalid (reported).
  std::optional<int64_t> Duration(const YAML::Node& map, const std::string& key) {
    if (!map[key]) return std::nullopt;
    auto d = ParseIsoDuration(Scalar(map[key], key));
    if (!d.ok()) {
      Error(map[key], d.status().message());
      return std::nullopt;
    }
    return ApproxSeconds(*d);
  }

  // Azure's name rule for the kind; nullopt when `name` follows it.
  static std::optional<std::string> NameRule(ConsumerKind kind, const std::string& name) {
    static const std::regex storage_re("^[a-z0-9]{3,24}$");
    static const std::regex sql_re("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    static const std::regex des_re("^[A-Za-z0-9_-]{1,80}$");
    switch (kind) {
      case ConsumerKind::kStorage:
        if (std::regex_match(name, storage_re)) return std::nullopt;
        return std::string("3-24 lower-case letters and digits");
      case ConsumerKind::kSqlServer:
        if (std::regex_match(name, sql_re)) return std::nullopt;
        return std::string("1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen");
      case ConsumerKind::kDiskEncryptionSet:
        if (std::regex_match(name, des_re)) return std::nullopt;
        return std::string("1-80 letters, digits, underscores and hyphens");
    }
    return std::nullopt;
  }

  SeedAccount Account(const YAML::Node& node, ConsumerKind kind) {
    SeedAccount a;
    a.account.kind = kind;
    const std::string noun = Traits(kind).noun;
    if (!node.IsMap()) {
      Error(node, "a " + noun + " is a mapping");
      return a;
    }
    std::set<std::string> members{"name", "subscription", "resourceGroup", "location", "systemIdentity",
                                  "adoptionDelay", "tags"};
    if (kind == ConsumerKind::kSqlServer) members.insert("backupRetention");
    CheckKeys(node, members);
    a.account.name = Required(node, "name");
    a.account.subscription = Required(node, "subscription");
    a.account.resource_group = Required(node, "resourceGroup");
    a.account.location = Required(node, "location");
    a.system_identity = Bool(node, "systemIdentity", true);
    a.adoption_delay_seconds = Duration(node, "adoptionDelay");
    if (kind == ConsumerKind::kSqlServer) a.backup_retention_seconds = Duration(node, "backupRetention");
    if (node["tags"] && node["tags"].IsMap())
      for (const auto& kv : node["tags"]) a.account.tags[kv.first.Scalar()] = kv.second.Scalar();
    if (!a.account.name.empty())
      if (std::optional<std::string> rule = NameRule(kind, a.account.name))
        Error(node["name"], noun + " name '" + a.account.name + "' must be " + *rule);
    return a;
  }

  SeedVault Vault(const YAML::Node& node) {
    SeedVault v;
    if (!node.IsMap()) {
      Error(node, "a vault is a mapping");
      return v;
    }
    CheckKeys(node, {"name", "subscription", "resourceGroup", "location", "sku", "softDeleteRetentionDays",
                     "purgeProtection", "rbacAuthorization", "tags", "keys"});
    v.vault.name = Required(node, "name");
    v.vault.subscription = Required(node, "subscription");
    v.vault.resource_group = Required(node, "resourceGroup");
    v.vault.location = Required(node, "location");
    if (node["sku"]) v.vault.sku = Scalar(node["sku"], "sku");
    v.vault.soft_delete_retention_days = Int(node, "softDeleteRetentionDays", 90);
    v.vault.purge_protection = Bool(node, "purgeProtection", false);
    v.vault.rbac_authorization = Bool(node, "rbacAuthorization", true);
    if (node["tags"] && node["tags"].IsMap())
      for (const auto& kv : node["tags"]) v.vault.tags[kv.first.Scalar()] = kv.second.Scalar();
    if (node["keys"]) {
      for (const auto& k : Seq(node["keys"])) {
        SeedKey key;
        CheckKeys(k, {"name", "type", "size", "curve", "versions"});
        key.name = Required(k, "name");
        if (k["type"]) key.kty = Scalar(k["type"], "type");
        key.size = Int(k, "size", key.kty.rfind("EC", 0) == 0 ? 0 : 2048);
        if (k["curve"]) key.curve = Scalar(k["curve"], "curve");
        static const std::regex version_re("^[0-9a-f]{32}$");
        if (k["versions"]) {
          for (const auto& ver : Seq(k["versions"])) {
            std::string id = Scalar(ver, "version");
            if (!std::regex_match(id, version_re))
              Error(ver, "key version '" + id + "' must be 32 lower-case hex characters");
            key.versions.push_back(id);
          }
        }
        if (key.versions.empty()) Error(k, "a seeded key needs at least one version");
        v.keys.push_back(key);
      }
    }
    return v;
  }

  std::string path_;
  std::vector<std::string> errors_;
};

}  // namespace

Result<SeedFile> LoadSeedFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound("cannot read seed file " + path);
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().size() > (4u << 20)) return InvalidArgument(path + ": seed file larger than 4 MiB");
  if (auto fault = FindTextFault(text.str(), /*allow_cr=*/true)) {
    const std::string& t = text.str();
    size_t line = 1 + std::count(t.begin(), t.begin() + fault->offset, '\n');
    return InvalidArgument(path + ":" + std::to_string(line) + ": " + fault->what +
                           ": a seed file is UTF-8 text without control characters");
  }
  SeedParser parser(path);
  return parser.Parse(text.str());
}

}  // namespace cmk
