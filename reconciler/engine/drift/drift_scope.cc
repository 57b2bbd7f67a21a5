// Which part of an estate one drift run covers (drift.h: DriftScope).
#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "base/strings.h"
#include "engine/drift/drift.h"

namespace cmk {
namespace {

// "/subscriptions/S/..." -> "S" ("" when the scope is not under one).
std::string SubscriptionOfScope(const std::string& scope) {
  static constexpr std::string_view kPrefix = "/subscriptions/";
  if (scope.size() <= kPrefix.size() || !EqualsIgnoreCase(scope.substr(0, kPrefix.size()), kPrefix)) return "";
  size_t end = scope.find('/', kPrefix.size());
  return scope.substr(kPrefix.size(), end == std::string::npos ? std::string::npos : end - kPrefix.size());
}

}  // namespace

Result<DriftScope> ParseShard(const std::string& text) {
  DriftScope s;
  size_t slash = text.find('/');
  auto number = [](const std::string& t, int& out) {
    if (t.empty() || t.size() > 6 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    out = std::atoi(t.c_str());
    return true;
  };
  if (slash == std::string::npos || !number(text.substr(0, slash), s.shard) ||
      !number(text.substr(slash + 1), s.shards) || s.shards < 1 || s.shard >= s.shards)
    return InvalidArgument("--shard must be i/n with 0 <= i < n (e.g. 0/4), got '" + text + "'");
  return s;
}

int ShardOf(const std::string& subscription, int shards) {
  if (shards <= 1) return 0;
  return static_cast<int>(Fnv1a(Lower(subscription)) % static_cast<uint64_t>(shards));
}

bool InScope(const DriftScope& scope, const std::string& subscription) {
  if (!scope.subscriptions.empty() &&
      std::none_of(scope.subscriptions.begin(), scope.subscriptions.end(),
                   [&](const std::string& s) { return EqualsIgnoreCase(s, subscription); }))
    return false;
  return ShardOf(subscription, scope.shards) == scope.shard;
}

DesiredState RestrictDesired(const DesiredState& desired, const DriftScope& scope) {
  if (scope.subscriptions.empty() && scope.shards <= 1) return desired;
  DesiredState out;
  out.hooks = desired.hooks;
  // Decided once per subscription, not once per object.
  std::unordered_map<std::string, bool> decided;  // lower-case subscription -> in scope
  auto in_scope = [&](const std::string& subscription) {
    auto [it, fresh] = decided.try_emplace(Lower(subscription), false);
    if (fresh) it->second = InScope(scope, subscription);
    return it->second;
  };
  std::unordered_map<std::string, bool> vault_in;  // lower vault name -> in scope
  for (const auto& [address, v] : desired.vaults) {
    bool in = in_scope(v.value.subscription);
    vault_in[Lower(v.value.name)] = in;
    if (in) out.vaults.emplace(address, v);
  }
  for (const auto& [address, k] : desired.keys) {
    auto it = vault_in.find(Lower(k.value.vault));
    if (it != vault_in.end() && it->second) out.keys.emplace(address, k);
  }
  for (const auto& [address, i] : desired.identities)
    if (in_scope(i.value.subscription)) out.identities.emplace(address, i);
  for (const auto& [address, ra] : desired.role_assignments) {
    std::string s = SubscriptionOfScope(ra.value.scope);
    if (!s.empty() && in_scope(s)) out.role_assignments.emplace(address, ra);
  }
  for (const auto& [address, b] : desired.bindings)
    if (in_scope(b.value.subscription)) out.bindings.emplace(address, b);
  for (const auto& s : desired.subscriptions)
    if (in_scope(s)) out.subscriptions.push_back(s);
  return out;
}

}  // namespace cmk
