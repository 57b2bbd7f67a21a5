// Defaults, Vault and Identity: the kinds that live in a subscription and
// resource group (and so take Defaults).
#include <algorithm>
#include <cctype>
#include <set>

#include "manifest/spec_parsers.h"

namespace cmk {
namespace {

bool IsSubscriptionId(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

// Azure: 1-90 of alphanumerics, '-', '_', '.', '(', ')', not ending in '.'.
bool IsResourceGroup(const std::string& s) {
  if (s.empty() || s.size() > 90 || s.back() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '(' || c == ')';
  });
}

bool IsLocation(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c);
  });
}

// IPv4 address or IPv4 CIDR (Key Vault firewall rules are IPv4 only).
bool IsIpRule(const std::string& s) {
  size_t slash = s.find('/');
  std::string ip = s.substr(0, slash);
  if (slash != std::string::npos) {
    std::string bits = s.substr(slash + 1);
    if (bits.empty() || bits.size() > 2 || (bits.size() > 1 && bits[0] == '0') ||
        !std::all_of(bits.begin(), bits.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(bits) > 32)
      return false;
  }
  int parts = 0;
  size_t pos = 0;
  while (pos <= ip.size()) {
    size_t dot = ip.find('.', pos);
    std::string octet = ip.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    // No leading zeros: 01.02.03.04 reads as octal to some parsers.
    if (octet.empty() || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0') ||
        !std::all_of(octet.begin(), octet.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(octet) > 255)
      return false;
    ++parts;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return parts == 4;
}

bool IsSubnetId(const std::string& s) {
  std::string l = Lower(s);
  return l.rfind("/subscriptions/", 0) == 0 &&
         l.find("/providers/microsoft.network/virtualnetworks/") != std::string::npos &&
         l.find("/subnets/") != std::string::npos;
}

void ReadSortedUnique(SpecReader& r, const std::string& key, bool (*valid)(const std::string&),
                      const std::string& what, std::vector<std::string>& out) {
  auto list = r.StringList(key);
  if (!list) return;
  const YamlNode* n = r.Find(key);
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& v = (*list)[i];
    SourceLoc loc = r.ctx().Loc(n->items[i]);
    if (!valid(v)) {
      r.ctx().Error(loc, r.Path(key) + ": '" + v + "' is not " + what);
    } else if (!seen.insert(v).second) {
      r.ctx().Error(loc, r.Path(key) + ": '" + v + "' is listed twice");
    }
  }
  out.assign(seen.begin(), seen.end());
}

void ReadNetworkAcls(SpecReader& parent, NetworkAcls& out) {
  const YamlNode* n = parent.Map("networkAcls");
  if (n == nullptr) return;
  SpecReader r(*n, parent.Path("networkAcls"), parent.KeyLoc("networkAcls"), parent.ctx(),
               {"defaultAction", "bypass", "ipRules", "virtualNetworkRules"});
  if (auto v = r.String("defaultAction");
      v && CheckOneOf(*v, {"Allow", "Deny"}, r.Path("defaultAction"), r.ValueLoc("defaultAction"),
                      r.ctx()))
    out.default_action = *v;
  if (auto v = r.String("bypass"); v && CheckOneOf(*v, {"AzureServices", "None"}, r.Path("bypass"),
                                                    r.ValueLoc("bypass"), r.ctx()))
    out.bypass = *v;
  ReadSortedUnique(r, "ipRules", IsIpRule, "an IPv4 address or CIDR range", out.ip_rules);
  ReadSortedUnique(r, "virtualNetworkRules", IsSubnetId, "a subnet ARM id",
                   out.virtual_network_rules);
  r.Finish();
}

}  // namespace

void ReadTags(SpecReader& r, Tags& out) {
  auto tags = r.StringMap("tags");
  if (!tags) return;
  if (tags->count(kOwnershipTagKey)) {
    tags->erase(kOwnershipTagKey);
    r.ctx().Error(r.ValueLoc("tags"), std::string("tag '") + kOwnershipTagKey +
                                          "' is reserved: cmkctl sets it on everything it manages");
  }
  out = *tags;
}

void ReadPlacement(SpecReader& r, Placement& out, bool with_location, bool with_tags) {
  auto read = [&](const char* key, bool (*valid)(const std::string&), const char* what,
                  OptField& field) {
    field.loc = r.ValueLoc(key);
    auto v = r.String(key);
    if (!v) return;
    if (!valid(*v)) {
      r.ctx().Error(field.loc, r.Path(key) + ": '" + *v + "' is not " + what);
      return;
    }
    field.value = *v;
  };
  read("subscription", IsSubscriptionId, "a subscription id", out.subscription);
  read("resourceGroup", IsResourceGroup, "a valid resource group name", out.resource_group);
  if (with_location)
    read("location", IsLocation, "an Azure location name (write it like westeurope)",
         out.location);
  if (with_tags) ReadTags(r, out.tags);
}

void ParseDefaultsSpec(const SpecInput& in, DefaultsSpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx, {"subscription", "resourceGroup", "location", "tags"});
  ReadPlacement(r, out.placement, true, true);
  r.Finish();
}

void ParseVaultSpec(const SpecInput& in, VaultSpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx,
               {"subscription", "resourceGroup", "location", "sku", "softDeleteRetentionDays",
                "purgeProtection", "rbacAuthorization", "networkAcls", "tags"});
  VaultState& v = out.state;
  v.name = in.name;
  ReadPlacement(r, out.placement, true, true);
  if (auto sku = r.String("sku");
      sku && CheckOneOf(*sku, {"standard", "premium"}, r.Path("sku"), r.ValueLoc("sku"), in.ctx))
    v.sku = *sku;
  if (auto days = r.Int("softDeleteRetentionDays")) {
    if (*days < 7 || *days > 90) {
      in.ctx.Error(r.ValueLoc("softDeleteRetentionDays"),
                   "softDeleteRetentionDays " + std::to_string(*days) +
                       " is out of range (7 to 90 days)");
    } else {
      v.soft_delete_retention_days = static_cast<int>(*days);
    }
  }
  if (auto b = r.Bool("purgeProtection")) v.purge_protection = *b;
  if (auto b = r.Bool("rbacAuthorization")) v.rbac_authorization = *b;
  ReadNetworkAcls(r, v.network_acls);
  r.Finish();
}

void ParseIdentitySpec(const SpecInput& in, IdentitySpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx, {"subscription", "resourceGroup", "location", "tags"});
  out.state.name = in.name;
  ReadPlacement(r, out.placement, true, true);
  r.Finish();
}

bool CheckOneOf(const std::string& value, const std::vector<std::string>& allowed,
                const std::string& path, const SourceLoc& loc, const DocContext& ctx) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return true;
  std::string message = path + ": '" + value + "' is not one of " + JoinNames(allowed);
  std::string hint = Suggest(value, allowed);
  if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
  ctx.Error(loc, message);
  return false;
}

bool IsGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

}  // namespace cmk
