#include "verify/verify_estate.h"

#include <set>
#include <unordered_map>

#include "model/state.h"

namespace cmk {

std::vector<CanaryResult> VerifyEstate(const DesiredState& desired, const LiveState& live,
                                       Provider& provider, const VerifyOptions& options) {
  const PrincipalsById principals = PrincipalsOf(live.identities);

  std::vector<CanaryResult> results;
  // "vault/key/version" -> the key canary that probed it (an index: results grows).
  std::unordered_map<std::string, size_t> probed;
  for (const auto& [address, d] : desired.keys) {
    if (!options.key.empty() && d.value.name != options.key) continue;
    auto it = live.keys.find(d.value.vault + "/" + d.value.name);
    if (it == live.keys.end()) {
      CanaryResult r;
      r.key_address = address;
      r.vault = d.value.vault;
      r.key = d.value.name;
      r.message = address + " does not exist on the target (not applied yet?)";
      results.push_back(r);
      continue;
    }
    const KeyState& key = it->second;
    std::set<std::string> versions;
    for (auto v = key.versions.rbegin(); v != key.versions.rend(); ++v) {
      if (!v->enabled) continue;
      versions.insert(v->version);
      if (!options.all_versions) break;  // newest enabled only
    }
    for (const auto& v : key.versions)
      if (versions.count(v.version)) {
        probed.emplace(key.vault + "/" + key.name + "/" + v.version, results.size());
        results.push_back(RunKeyCanary(provider, key, v.version, options.canary));
      }
  }
  for (const auto& [address, d] : desired.bindings) {
    const BindingState& b = d.value;
    if (!options.key.empty() && b.key != options.key) continue;
    const std::string consumer = ConsumerAddress(b.consumer_kind, b.consumer);
    auto account = live.consumers.find(consumer);
    auto key = live.keys.find(b.vault + "/" + b.key);
    auto vault = live.vaults.find(MakeAddress(Kind::kVault, b.vault));
    if (account == live.consumers.end() || key == live.keys.end() ||
        vault == live.vaults.end()) {
      CanaryResult r;
      r.key_address = MakeAddress(Kind::kKey, b.key);
      r.consumer = consumer;
      r.message = address + ": the " + std::string(Traits(b.consumer_kind).noun) + ", key or vault does not exist on the target";
      results.push_back(r);
      continue;
    }
    const CanaryResult* proven = nullptr;
    if (auto p = probed.find(b.vault + "/" + b.key + "/" +
                             VersionOfKid(account->second.encryption.current_versioned_key_id));
        p != probed.end())
      proven = &results[p->second];
    CanaryResult r = RunConsumerCanary(provider, account->second, vault->second, key->second,
                                       principals, options.canary, proven);
    results.push_back(std::move(r));
  }
  return results;
}

CanaryTally Tally(const std::vector<CanaryResult>& results) {
  CanaryTally t;
  for (const auto& r : results) {
    if (r.outcome == CanaryOutcome::kFailed) ++t.failed;
    if (r.outcome == CanaryOutcome::kPassed) ++t.passed;
    if (r.outcome == CanaryOutcome::kSkipped) ++t.skipped;
  }
  return t;
}

}  // namespace cmk
