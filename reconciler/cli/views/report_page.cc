#include "cli/views/report_page.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/duration.h"
#include "base/strings.h"
#include "model/key_id.h"

namespace cmk {
namespace {

std::string KeyType(const KeyState& k) {
  return k.kty + " " + (k.key_size ? std::to_string(k.key_size) : k.curve);
}

std::string PolicyText(const std::optional<RotationPolicyState>& policy) {
  if (!policy) return "no rotation policy";
  std::vector<std::string> parts;
  if (policy->rotate_after_create)
    parts.push_back("rotate " + *policy->rotate_after_create + " after create");
  if (policy->rotate_before_expiry)
    parts.push_back("rotate " + *policy->rotate_before_expiry + " before expiry");
  if (policy->expiry_time) parts.push_back("versions expire after " + *policy->expiry_time);
  if (policy->notify_before_expiry)
    parts.push_back("notify " + *policy->notify_before_expiry + " before expiry");
  return parts.empty() ? "rotation policy without actions" : Join(parts);
}

// "next rotation 2027-01-01T00:00:00Z (rotateAfterCreate P1Y)" -> rotation,
// the time, "rotateAfterCreate P1Y" (engine/diff/diff_versions.cc words them).
std::optional<ReportUpcoming> ParseUpcoming(const std::string& line) {
  size_t space = 0;
  while ((space = line.find(' ', space)) != std::string::npos) {
    ++space;
    size_t end = line.find(' ', space);
    std::string word = line.substr(space, end == std::string::npos ? std::string::npos : end - space);
    Result<int64_t> t = ParseRfc3339(word);
    if (!t.ok()) continue;
    ReportUpcoming u;
    u.time = *t;
    std::string what = line.substr(0, space - 1);
    u.what = what.find("rotation") != std::string::npos ? "rotation"
             : what.find("expiry") != std::string::npos ? "expiry"
                                                        : what;
    if (end != std::string::npos) {
      u.detail = line.substr(end + 1);
      if (u.detail.size() >= 2 && u.detail.front() == '(' && u.detail.back() == ')')
        u.detail = u.detail.substr(1, u.detail.size() - 2);
    }
    return u;
  }
  return std::nullopt;
}

void SortAdoptions(ReportVersion& v) {
  std::stable_sort(v.adoptions.begin(), v.adoptions.end(),
                   [](const ReportAdoption& a, const ReportAdoption& b) {
                     if (a.time != b.time) return !a.time || (b.time && *a.time < *b.time);
                     return a.consumer < b.consumer;
                   });
}

ReportKey KeyFrom(const std::string& address, const KeyState& desired, const Inventory& inv) {
  ReportKey out;
  out.address = address;
  out.vault = desired.vault;
  out.name = desired.name;
  out.type = KeyType(desired);
  out.policy = PolicyText(desired.rotation_policy);
  out.tags = desired.tags;
  if (const KeyVersions* table = inv.TableOf(address)) {
    out.findings = table->findings;
    for (const auto& line : table->upcoming)
      if (auto u = ParseUpcoming(line)) out.upcoming.push_back(*u);
    std::stable_sort(out.upcoming.begin(), out.upcoming.end(),
                     [](const ReportUpcoming& a, const ReportUpcoming& b) { return a.time < b.time; });
  }
  auto it = inv.live.keys.find(desired.vault + "/" + desired.name);
  if (it == inv.live.keys.end()) {
    out.present = false;
    return out;
  }
  const KeyState& live = it->second;
  out.type = KeyType(live);
  out.policy = PolicyText(live.rotation_policy);
  out.tags = live.tags;
  for (const auto& v : live.versions) {
    ReportVersion r;
    r.version = v.version;
    r.created = v.created;
    r.expires = v.expires;
    r.enabled = v.enabled;
    if (!v.enabled && v.updated > 0) r.disabled = v.updated;
    for (const auto& c : inv.ConsumersOf(live.vault, live.name, v.version)) {
      ReportAdoption a{c.address, std::nullopt, true, c.pinned};
      auto account = inv.live.consumers.find(c.address);
      if (account != inv.live.consumers.end()) {
        Result<int64_t> t = ParseRfc3339(account->second.encryption.last_key_rotation_timestamp);
        if (t.ok() && *t >= v.created) a.time = *t;
      }
      r.adoptions.push_back(a);
    }
    SortAdoptions(r);
    out.versions.push_back(std::move(r));
  }
  std::stable_sort(out.versions.begin(), out.versions.end(),
                   [](const ReportVersion& a, const ReportVersion& b) { return a.created < b.created; });
  return out;
}

template <typename Map>
void AddFiles(const Map& resources, std::set<std::string>& files) {
  for (const auto& [address, r] : resources)
    if (!r.loc.file.empty()) files.insert(r.loc.file);
}

// The text between `after` and the next `until` in `s`, from `from`.
std::string Between(const std::string& s, const std::string& after, const std::string& until) {
  size_t a = s.find(after);
  if (a == std::string::npos) return "";
  a += after.size();
  size_t b = s.find(until, a);
  return s.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

ReportVersion* FindVersion(ReportPage& page, const std::string& vault, const std::string& key,
                           const std::string& version) {
  for (auto& k : page.keys) {
    if (!EqualsIgnoreCase(k.vault, vault) || !EqualsIgnoreCase(k.name, key)) continue;
    for (auto& v : k.versions)
      if (EqualsIgnoreCase(v.version, version)) return &v;
  }
  return nullptr;
}

// Records that `consumer` was on `v`, since `time` when known.
void Adopted(ReportVersion* v, const std::string& consumer, std::optional<int64_t> time) {
  if (!v) return;
  for (auto& a : v->adoptions)
    if (a.consumer == consumer) {
      if (time && (!a.time || *time < *a.time)) a.time = time;
      return;
    }
  v->adoptions.push_back(ReportAdoption{consumer, time, false, false});
}

}  // namespace

ReportPage ReportFromInventory(const DesiredState& desired, const Inventory& inv) {
  ReportPage page;
  page.title = "Key report";
  page.target = inv.target.ToString();
  page.now = inv.now;
  std::set<std::string> files;
  AddFiles(desired.vaults, files);
  AddFiles(desired.keys, files);
  AddFiles(desired.identities, files);
  AddFiles(desired.role_assignments, files);
  AddFiles(desired.bindings, files);
  AddFiles(desired.hooks, files);
  page.manifests.assign(files.begin(), files.end());
  for (const auto& [address, v] : desired.vaults) page.vaults += inv.live.vaults.count(address) ? 1 : 0;
  page.bindings = static_cast<int>(desired.bindings.size());
  for (const auto& [address, k] : desired.keys) page.keys.push_back(KeyFrom(address, k.value, inv));
  // Posture: the live estate's findings, then what the manifests themselves break.
  page.policies = static_cast<int>(desired.policies.size());
  for (const std::string state : {"live", "desired"})
    for (const PolicyFinding& f : inv.analysis.policy)
      if (f.state == state)
        page.policy.push_back({f.rule, f.severity, f.address,
                               (state == "desired" ? "(manifests) " : "") + f.message + " [" + f.policy + "]",
                               f.loc.file, f.loc.line});
  return page;
}

void AddRehearsal(ReportPage& page, const RehearsalReport& report, const RehearsalSpec& spec,
                  const std::string& source) {
  page.title = "Rehearsal report";
  // The inventory was read from the throwaway copy: name what it copied.
  page.target = source;
  ReportRehearsal r;
  r.source = source;
  r.until = spec.until;
  r.step = spec.step;
  r.start = report.start;
  r.end = report.end;
  r.steps = report.steps;
  for (const auto& e : report.timeline) {
    if (e.kind == "key.rotate" || e.kind == "key.new-version") ++r.rotations;
    if (e.kind == "apply.disable-version") r.retirements += 1 + e.repeats;
    if (ConsumerEventVerb(e.kind) == "adopt") {
      ++r.adoptions;
      // "adopted version V of key 'K' in vault 'VA' (automatic version update; was W)"
      std::string version = Between(e.message, "adopted version ", " ");
      std::string key = Between(e.message, " of key '", "'");
      std::string vault = Between(e.message, " in vault '", "'");
      std::string was = Between(e.message, "; was ", ")");
      Adopted(FindVersion(page, vault, key, version), e.object, e.time);
      if (!was.empty()) Adopted(FindVersion(page, vault, key, was), e.object, std::nullopt);
    }
    if (ConsumerEventVerb(e.kind) == "encryption") {
      // "customer-managed key https://VAULT.../keys/K/V (pinned) via ..."
      std::optional<KeyId> kid = ParseKeyId(Between(e.message, "customer-managed key ", " "));
      if (kid && !kid->version.empty())
        Adopted(FindVersion(page, kid->vault, kid->name, kid->version), e.object, e.time);
    }
  }
  // Versions disabled and enabled again during the rehearsal (a manual
  // disable, then the pipeline's repair): from "updated version V
  // (disabled)" to "updated version V (enabled)" or to the first consumer
  // that recovered from it ("accessible again (was: key version V of key
  // 'K' in vault 'VA' is disabled)").
  std::map<std::string, int64_t> off_since;  // "vault/key/version" -> disabled at
  for (const auto& e : report.timeline) {
    if (ConsumerEventVerb(e.kind) == "recovered" && e.message.find(" is disabled") != std::string::npos) {
      std::string version = Between(e.message, "key version ", " ");
      std::string key = Between(e.message, " of key '", "'");
      std::string vault = Between(e.message, " in vault '", "'");
      auto it = off_since.find(Lower(vault + "/" + key + "/" + version));
      if (it == off_since.end()) continue;
      if (ReportVersion* v = FindVersion(page, vault, key, version))
        v->off.push_back({it->second, e.time});
      off_since.erase(it);
      continue;
    }
    if (e.kind != "key.update-version" || !StartsWith(e.object, "key/")) continue;
    std::string vault_key = e.object.substr(4);
    size_t slash = vault_key.find('/');
    if (slash == std::string::npos) continue;
    std::string version = Between(e.message, "updated version ", " ");
    std::string id = Lower(vault_key + "/" + version);
    if (e.message.find("(disabled)") != std::string::npos) {
      off_since.emplace(id, e.time);
    } else if (auto it = off_since.find(id); it != off_since.end()) {
      if (ReportVersion* v =
              FindVersion(page, vault_key.substr(0, slash), vault_key.substr(slash + 1), version))
        v->off.push_back({it->second, e.time});
      off_since.erase(it);
    }
  }
  std::set<std::string> lost;
  for (const auto& v : report.violations) {
    r.violations.push_back({v.time, v.object, v.message});
    lost.insert(v.object);
  }
  r.outages = static_cast<int>(lost.size());
  for (auto& k : page.keys)
    for (auto& v : k.versions) SortAdoptions(v);
  page.rehearsal = std::move(r);
}

}  // namespace cmk
