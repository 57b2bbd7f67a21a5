// `cmkctl verify`: envelope-encryption canaries for every managed key's
// enabled versions and for every binding's version in use, run as the
// consumer. Exit 0 when all pass, kExitVerifyFailed when any fails.
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "model/key_id.h"
#include "cli/exit_codes.h"
#include "engine/read/live_reader.h"
#include "verify/canary.h"

namespace cmk {
int RunVerify(const GlobalOptions& global, const VerifyArgs& args) {
  auto desired = LoadDesired(global, std::cerr);
  if (!desired.ok()) return kExitError;
  if (!args.key.empty() && !desired->keys.count(MakeAddress(Kind::kKey, args.key))) {
    std::cerr << "error: --key " << args.key << ": no such Key in the manifests\n";
    return kExitUsage;
  }
  auto target = OpenTarget(global);
  if (!target.ok()) {
    std::cerr << "error: " << target.status().message() << "\n";
    return kExitError;
  }
  Provider& provider = (*target)->provider();
  auto live = ReadLive(provider, BuildQuery(*desired), false);
  if (!live.ok()) {
    std::cerr << "error: " << live.status().message() << "\n";
    return kExitError;
  }
  std::vector<IdentityState> identities;
  for (const auto& [a, i] : live->identities) identities.push_back(i);

  std::vector<CanaryResult> results;
  for (const auto& [address, d] : desired->keys) {
    if (!args.key.empty() && d.value.name != args.key) continue;
    auto it = live->keys.find(d.value.vault + "/" + d.value.name);
    if (it == live->keys.end()) {
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
      if (!args.all_versions) break;  // newest enabled only
    }
    for (const auto& v : key.versions) {
      if (versions.count(v.version)) results.push_back(RunKeyCanary(provider, key, v.version));
    }
  }
  for (const auto& [address, d] : desired->bindings) {
    const BindingState& b = d.value;
    if (!args.key.empty() && b.key != args.key) continue;
    auto account = live->storage_accounts.find("storage/" + b.storage_account);
    auto key = live->keys.find(b.vault + "/" + b.key);
    auto vault = live->vaults.find(MakeAddress(Kind::kVault, b.vault));
    if (account == live->storage_accounts.end() || key == live->keys.end() ||
        vault == live->vaults.end()) {
      CanaryResult r;
      r.key_address = MakeAddress(Kind::kKey, b.key);
      r.consumer = "storage/" + b.storage_account;
      r.message = address + ": the storage account, key or vault does not exist on the target";
      results.push_back(r);
      continue;
    }
    results.push_back(RunConsumerCanary(provider, account->second, vault->second, key->second, identities));
  }

  int failed = 0, passed = 0, skipped = 0;
  for (const auto& r : results) {
    if (r.outcome == CanaryOutcome::kFailed) ++failed;
    if (r.outcome == CanaryOutcome::kPassed) ++passed;
    if (r.outcome == CanaryOutcome::kSkipped) ++skipped;
  }
  if (args.format == "json") {
    Json out{{"target", {{"kind", provider.Target().kind}, {"location", provider.Target().location}}},
             {"summary", {{"passed", passed}, {"failed", failed}, {"skipped", skipped}}}};
    Json list = Json::array();
    for (const auto& r : results) list.push_back(ToJson(r));
    out["canaries"] = list;
    std::cout << out.dump(2) << "\n";
  } else {
    std::ostringstream o;
    PrintTarget(provider, o);
    o << "\n" << std::left << std::setw(6) << "RESULT" << std::setw(34) << "KEY" << std::setw(11)
      << "VERSION" << std::setw(14) << "ALGORITHM" << "CONSUMER\n";
    for (const auto& r : results) {
      o << std::setw(6) << CanaryOutcomeName(r.outcome) << std::setw(34) << r.key_address
        << std::setw(11) << (r.version.empty() ? "-" : ShortenVersions(r.version)) << std::setw(14)
        << (r.algorithm.empty() ? "-" : r.algorithm) << (r.consumer.empty() ? "(key)" : r.consumer)
        << "\n";
      if (!r.message.empty()) o << "      " << r.message << "\n";
    }
    o << "\n" << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
    std::cout << o.str();
  }
  return failed > 0 ? kExitVerifyFailed : kExitOk;
}

}  // namespace cmk
