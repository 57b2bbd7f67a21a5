#include "engine/policy/posture.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "base/duration.h"

namespace cmk {
namespace {

std::optional<int64_t> PostureSeconds(const std::optional<std::string>& iso) {
  if (!iso) return std::nullopt;
  auto d = ParseIsoDuration(*iso);
  if (!d.ok()) return std::nullopt;
  return ApproxSeconds(*d);
}

bool PostureInScope(const PostureSpec& p, const Tags& labels, const std::string& name) {
  for (const auto& [k, v] : p.match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return p.match_names.empty() ||
         std::binary_search(p.match_names.begin(), p.match_names.end(), name);
}

bool PostureIsHsm(const std::string& kty) { return kty.size() > 4 && kty.compare(kty.size() - 4, 4, "-HSM") == 0; }
bool PostureIsRsa(const std::string& kty) { return kty == "RSA" || kty == "RSA-HSM"; }
bool PostureIsEc(const std::string& kty) { return kty == "EC" || kty == "EC-HSM"; }

std::string PostureJoin(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

struct PostureChecker {
  const std::string& policy;
  const PostureRule& rule;
  const std::string& address;
  const SourceLoc& loc;
  const std::string& state;
  std::vector<PolicyFinding>& out;

  void Fail(std::string message) const {
    out.push_back({rule.id, policy, rule.severity, state, address, std::move(message), loc, rule.loc});
  }

  void Vault(const VaultState& v) const {
    const std::string& id = rule.id;
    if (id == "purge-protection" && !v.purge_protection)
      Fail("purge protection is off: a deleted vault or key can be purged, and its data lost, before "
           "the retention period ends");
    else if (id == "soft-delete-retention" && v.soft_delete_retention_days < rule.limit)
      Fail("soft-delete retention is " + std::to_string(v.soft_delete_retention_days) +
           " days, below the policy's " + rule.limit_text);
    else if (id == "network-deny" && v.network_acls.default_action != "Deny")
      Fail("the network default action is " + v.network_acls.default_action +
           ": the vault answers every network; set networkAcls.defaultAction: Deny");
    else if (id == "rbac-required" && !v.rbac_authorization)
      Fail("the vault uses access policies; the policy requires Azure RBAC (enableRbacAuthorization)");
  }

  void Key(const KeyState& k) const {
    const std::string& id = rule.id;
    const std::optional<RotationPolicyState>& rp = k.rotation_policy;
    if (id == "hsm-keys" && !PostureIsHsm(k.kty)) {
      Fail("key type " + k.kty + " is software-protected; the policy requires an HSM-backed key (" +
           k.kty + "-HSM, in a premium vault)");
    } else if (id == "rsa-min-size" && PostureIsRsa(k.kty) && k.key_size < rule.limit) {
      Fail("RSA " + std::to_string(k.key_size) + " is below the policy's minimum of " + rule.limit_text +
           " bits");
    } else if (id == "allowed-curves" && PostureIsEc(k.kty) &&
               std::find(rule.values.begin(), rule.values.end(), k.curve) == rule.values.end()) {
      Fail("curve " + k.curve + " is not allowed (allowed: " + PostureJoin(rule.values) + ")");
    } else if (id == "rotation-policy-required" &&
               (!rp || (!rp->rotate_after_create && !rp->rotate_before_expiry))) {
      Fail(rp ? "the rotation policy has no rotate action: the key never rotates"
              : "no rotation policy: the key never rotates");
    } else if (id == "rotation-interval-max") {
      std::optional<int64_t> every = rp ? PostureSeconds(rp->rotate_after_create) : std::nullopt;
      if (!every && rp && rp->rotate_before_expiry) {
        auto expiry = PostureSeconds(rp->expiry_time), before = PostureSeconds(rp->rotate_before_expiry);
        if (expiry && before) every = *expiry - *before;
      }
      if (!every)
        Fail("the key does not rotate on a schedule; the policy requires a rotation at least every " +
             rule.limit_text);
      else if (*every > rule.limit)
        Fail("the key rotates every " + (rp->rotate_after_create ? *rp->rotate_after_create
                                                                : std::to_string(*every / 86400) + " days") +
             ", longer than the policy's " + rule.limit_text);
    } else if (id == "expiry-required") {
      std::optional<int64_t> expiry = rp ? PostureSeconds(rp->expiry_time) : std::nullopt;
      if (!expiry)
        Fail("new versions get no expiry; set rotationPolicy expiryTime" +
             (rule.limit ? " (at most " + rule.limit_text + ")" : std::string()));
      else if (rule.limit && *expiry > rule.limit)
        Fail("new versions expire after " + *rp->expiry_time + ", longer than the policy's " + rule.limit_text);
    } else if (id == "notify-before-expiry-min") {
      std::optional<int64_t> notify = rp ? PostureSeconds(rp->notify_before_expiry) : std::nullopt;
      bool expires = rp && rp->expiry_time;
      if (expires && !notify)
        Fail("versions expire but nobody is notified before; set notifyBeforeExpiry to at least " +
             rule.limit_text);
      else if (notify && *notify < rule.limit)
        Fail("notifyBeforeExpiry " + *rp->notify_before_expiry + " is shorter than the policy's " +
             rule.limit_text);
    }
  }

  void Versions(const KeyState& k, int64_t now) const {
    if (rule.id != "version-max-age" || now <= 0) return;
    std::vector<std::string> old;
    for (const auto& v : k.versions)
      if (v.enabled && v.created > 0 && now - v.created > rule.limit)
        old.push_back(v.version.substr(0, 8) + " (created " + FormatRfc3339(v.created) + ")");
    if (!old.empty())
      Fail(std::to_string(old.size()) + (old.size() == 1 ? " enabled version is" : " enabled versions are") +
           " older than " + rule.limit_text + ": " + PostureJoin(old) +
           " (retire them once no consumer uses them: retire.maxEnabledVersions or a rotation policy)");
  }

  void Binding(const std::string& pinned_version, const Tags& labels) const {
    if (rule.id != "auto-bindings" || pinned_version.empty()) return;
    if (!rule.exempt_label.empty() && labels.count(rule.exempt_label)) return;
    Fail("pinned to version " + pinned_version.substr(0, 8) +
         ": it will not follow rotations; bind to the key without a version" +
         (rule.exempt_label.empty() ? std::string() : " or label the binding '" + rule.exempt_label + "'"));
  }
};

}  // namespace

std::vector<PolicyFinding> CheckPosture(const DesiredState& desired, const LiveState* live, int64_t now) {
  std::vector<PolicyFinding> out;
  static const std::string kDesired = "desired", kLive = "live";
  for (const auto& [policy_address, sourced] : desired.policies) {
    const PostureSpec& p = sourced.value;
    for (const PostureRule& rule : p.rules) {
      for (const auto& [address, v] : desired.vaults) {
        if (!PostureInScope(p, v.labels, v.value.name)) continue;
        PostureChecker{policy_address, rule, address, v.loc, kDesired, out}.Vault(v.value);
        if (!live) continue;
        if (auto it = live->vaults.find(address); it != live->vaults.end())
          PostureChecker{policy_address, rule, address, v.loc, kLive, out}.Vault(it->second);
      }
      for (const auto& [address, k] : desired.keys) {
        if (!PostureInScope(p, k.labels, k.value.name)) continue;
        PostureChecker{policy_address, rule, address, k.loc, kDesired, out}.Key(k.value);
        if (!live) continue;
        if (auto it = live->keys.find(k.value.vault + "/" + k.value.name); it != live->keys.end()) {
          PostureChecker c{policy_address, rule, address, k.loc, kLive, out};
          c.Key(it->second);
          c.Versions(it->second, now);
        }
      }
      for (const auto& [address, b] : desired.bindings) {
        if (!PostureInScope(p, b.labels, b.value.name)) continue;
        PostureChecker{policy_address, rule, address, b.loc, kDesired, out}.Binding(b.value.key_version, b.labels);
        if (!live) continue;
        if (auto it = live->consumers.find(ConsumerAddress(b.value.consumer_kind, b.value.consumer));
            it != live->consumers.end())
          PostureChecker{policy_address, rule, address, b.loc, kLive, out}.Binding(
              it->second.encryption.key_version, b.labels);
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const PolicyFinding& a, const PolicyFinding& b) {
    return std::tie(a.address, a.rule, a.policy, a.state) < std::tie(b.address, b.rule, b.policy, b.state);
  });
  return out;
}

std::string DescribeFinding(const PolicyFinding& f) {
  return f.severity + " " + f.policy + " rule " + f.rule + (f.state == "live" ? " (live)" : "") + ": " +
         f.address + ": " + f.message;
}

}  // namespace cmk
