// Diff rules for key versions: manual rotation by generation, retirement of
// old versions, and the per-key version table with consumers, upcoming dates
// and warnings. Pure: reads the desired keys, the live versions and the live
// consumers' evidence (which version each one really uses), and the
// provider's clock passed in DiffOptions::now.
#include <algorithm>
#include <map>
#include <set>

#include "base/duration.h"
#include "engine/diff/diff_context.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "model/codec.h"

namespace cmk {
namespace {

constexpr int64_t kDay = 86400;
// Expiry warnings for versions in use look this far ahead (unless the policy
// notifies earlier).
constexpr int64_t kExpiryHorizon = 30 * kDay;

struct Consumer {
  std::string address;  // storage/NAME, sql/NAME, des/NAME
  std::string version;  // the version it uses (evidence, else pin, else newest)
  std::vector<std::string> retained;  // versions it still needs besides (lower case)
  bool pinned = false;
  const ConsumerState* account = nullptr;
  std::string Label() const { return address + (pinned ? " (pinned)" : " (auto)"); }
};


std::optional<int64_t> Seconds(const std::optional<std::string>& iso) {
  if (!iso) return std::nullopt;
  auto d = ParseIsoDuration(*iso);
  if (!d.ok()) return std::nullopt;
  return ApproxSeconds(*d);
}

std::optional<int64_t> After(int64_t t, const std::string& iso) {
  auto d = ParseIsoDuration(iso);
  if (!d.ok()) return std::nullopt;
  return AddDuration(t, *d);
}

// The consumers bound to (vault, key) in live state, with the version each
// uses and those it still needs.
std::vector<Consumer> Consumers(const DiffContext& ctx, const KeyState& key) {
  std::vector<Consumer> out;
  auto bound = ctx.index.consumers_by_key.find(
      DiffIndex::ConsumedKeyOf(VaultUri(key.vault, ctx.options.vault_dns_suffix), key.name));
  if (bound == ctx.index.consumers_by_key.end()) return out;
  std::string newest = key.versions.empty() ? "" : key.versions.back().version;
  for (const std::string& address : bound->second) {
    const ConsumerState& acct = ctx.live.consumers.at(address);
    const EncryptionState& e = acct.encryption;
    Consumer c;
    c.address = address;
    c.account = &acct;
    c.pinned = !e.key_version.empty();
    std::vector<std::string> versions = ConsumerVersions(acct, newest);
    c.version = Lower(versions.front());
    for (size_t i = 1; i < versions.size(); ++i) c.retained.push_back(Lower(versions[i]));
    out.push_back(c);
  }
  return out;
}

// Versions desired bindings will pin once applied (a repin in this plan).
std::map<std::string, std::vector<std::string>> DesiredPins(const DiffContext& ctx,
                                                            const KeyState& key) {
  std::map<std::string, std::vector<std::string>> out;
  auto bindings = ctx.index.bindings_by_key.find(NormalizedKeyName(key.vault, key.name));
  if (bindings == ctx.index.bindings_by_key.end()) return out;
  for (const auto& [address, b] : bindings->second)
    if (!b->value.key_version.empty())
      out[Lower(b->value.key_version)].push_back(address + " (pinned in manifests)");
  return out;
}

struct KeyRules {
  DiffContext& ctx;
  const std::string& address;
  const Sourced<KeyState>& desired;
  const KeyState& live;
  KeyVersions table;
  std::map<std::string, std::vector<std::string>> users;  // version -> consumer labels
  std::vector<Consumer> consumers;
  // Repins of this key's bindings in this plan: storage/NAME -> binding
  // address. Retirements wait for them (ordered after, blocked while the
  // account still reports the old version).
  std::map<std::string, std::string> repins;
  bool rotating = false;

  int64_t now() const { return ctx.options.now; }
  std::string source() const { return desired.loc.ToString(); }
  std::string VersionAddress(const std::string& v) const { return address + "/versions/" + v; }

  void Blocked(const std::string& version, const std::string& why) {
    std::string line = "blocked: retire version " + ShortenVersions(version) + ": " + why;
    table.blocked.push_back(line);
    ctx.Warning(VersionAddress(version), VersionAddress(version) + ": " + line, source());
  }

  void FindRepins() {
    auto bindings = ctx.index.bindings_by_key.find(NormalizedKeyName(live.vault, live.name));
    if (bindings == ctx.index.bindings_by_key.end()) return;
    for (const auto& [binding, b] : bindings->second) {
      const Change* c = ctx.FindChange(binding);
      if (c && c->action == Action::kRepin)
        repins[ConsumerAddress(b->value.consumer_kind, b->value.consumer)] = binding;
    }
  }

  // " (binding/x repins it in this plan)" for a consumer being moved.
  std::string RepinNote(const std::string& version) const {
    std::string moving;
    for (const auto& c : consumers) {
      auto it = repins.find(c.address);
      if (c.version == Lower(version) && it != repins.end())
        moving += (moving.empty() ? "" : ", ") + it->second;
    }
    if (moving.empty()) return "";
    return "; " + moving + " repins it in this plan: retire on a later run, once the account "
           "reports the new version";
  }

  void BuildTable() {
    table.address = address;
    FindRepins();
    consumers = Consumers(ctx, live);
    for (const auto& c : consumers) {
      users[c.version].push_back(c.Label());
      const char* why = Traits(c.account->kind).keeps_previous_versions ? " (backups need it)" : " (rotating)";
      for (const auto& v : c.retained)
        if (v != c.version) users[v].push_back(c.address + why);
    }
    for (auto& [v, labels] : DesiredPins(ctx, live))
      for (auto& l : labels) users[v].push_back(l);
    for (const auto& v : live.versions) {
      VersionRow row;
      row.version = v.version;
      row.created = v.created;
      row.expires = v.expires;
      row.enabled = v.enabled;
      row.generation = GenerationOf(v.tags);
      auto it = users.find(Lower(v.version));
      if (it != users.end()) row.consumers = it->second;
      std::sort(row.consumers.begin(), row.consumers.end());
      table.versions.push_back(row);
    }
  }

  void Rotation() {
    const KeyState& want = desired.value;
    if (!want.rotation_generation || *want.rotation_generation <= 0) return;
    int64_t g = *want.rotation_generation;
    int64_t have = 0;
    for (const auto& v : live.versions) have = std::max(have, GenerationOf(v.tags));
    if (have >= g) return;
    Change c = BaseChange(address + "/rotate", Kind::kKey, desired);
    c.action = Action::kRotate;
    c.risk = Risk::kMedium;
    c.reason_code = ChangeReason::kRotate;
    c.reason = "rotate: generation " + std::to_string(g) + " requested, " +
               (have ? "newest generation is " + std::to_string(have)
                     : std::string("no version carries a generation"));
    c.request = RotateToGeneration{KeyRef{want.vault, want.name}, g};
    c.before = KeyNewest{KeyRef{live.vault, live.name},
                         live.versions.empty() ? "" : live.versions.back().version};
    c.depends_on = {address};
    if (want.rotation_policy) c.depends_on.push_back(address + "/rotation-policy");
    rotating = true;
    ctx.Add(std::move(c), AddressName(address));
  }

  bool InUse(const std::string& version) const { return users.count(Lower(version)) > 0; }

  std::string UsersOf(const std::string& version) const {
    auto it = users.find(Lower(version));
    std::vector<std::string> v = it == users.end() ? std::vector<std::string>{} : it->second;
    std::sort(v.begin(), v.end());
    std::string out;
    for (const auto& u : v) out += (out.empty() ? "" : ", ") + u;
    return out;
  }

  void Retirement() {
    const KeyState& want = desired.value;
    if (!want.retire || live.versions.size() < 2 || now() == 0) return;
    const RetireSpec& retire = *want.retire;
    const KeyVersionState& newest = live.versions.back();
    std::optional<int64_t> window_end = After(newest.created, retire.adoption_window);
    // Older enabled versions, newest first; the cap keeps the newest N enabled.
    std::vector<const KeyVersionState*> older;
    for (auto it = live.versions.rbegin() + 1; it != live.versions.rend(); ++it)
      if (it->enabled && (!it->expires || *it->expires > now())) older.push_back(&*it);
    size_t keep = retire.max_enabled_versions ? static_cast<size_t>(*retire.max_enabled_versions - 1) : 0;
    for (size_t i = keep; i < older.size(); ++i) {
      const KeyVersionState& v = *older[i];
      if (InUse(v.version)) {
        Blocked(v.version, "still used by " + UsersOf(v.version) + RepinNote(v.version));
        continue;
      }
      if (!window_end || *window_end > now()) {
        Blocked(v.version, "adoption window " + retire.adoption_window +
                               " has not passed (newest version created " +
                               FormatRfc3339(newest.created) + ")");
        continue;
      }
      Change c = BaseChange(VersionAddress(v.version), Kind::kKey, desired);
      c.action = Action::kDisableVersion;
      c.risk = Risk::kMedium;
      c.reason_code = ChangeReason::kRetire;
      c.reason = std::string(retire.action == "expire" ? "expire" : "disable") + ": version " +
                 ShortenVersions(v.version) + " superseded by " + ShortenVersions(newest.version) + " on " +
                 FormatRfc3339(newest.created) + ", adoption window " + retire.adoption_window +
                 " passed, no consumer uses it";
      RetireVersion request{KeyRef{live.vault, live.name}, v.version, retire.action, {}, {}};
      std::set<std::string> canary;
      for (const auto& con : consumers) {
        request.consumers.push_back(ConsumerAccount{con.account->Ref()});
        canary.insert(con.version);
        canary.insert(con.retained.begin(), con.retained.end());
      }
      request.canary_versions.assign(canary.begin(), canary.end());
      c.before = v;
      c.request = std::move(request);
      // Pinned consumers are corrected before any version is retired.
      c.depends_on = {address};
      for (const auto& [account, binding] : repins) c.depends_on.push_back(binding);
      std::sort(c.depends_on.begin(), c.depends_on.end());
      ctx.Add(std::move(c), AddressName(address));
    }
  }

  void KeyDisable() {
    if (desired.value.enabled || live.versions.empty()) return;
    const std::string& newest = live.versions.back().version;
    if (!InUse(newest)) return;
    ctx.Error(address,
              address + ": enabled: false would disable version " + ShortenVersions(newest) +
                  " while " + UsersOf(newest) +
                  " still uses it; their data would become inaccessible",
              source());
  }

  void Upcoming() {
    const std::optional<RotationPolicyState>& p = desired.value.rotation_policy;
    if (live.versions.empty()) return;
    const KeyVersionState& newest = live.versions.back();
    if (p && p->rotate_after_create)
      if (auto t = After(newest.created, *p->rotate_after_create))
        table.upcoming.push_back("next rotation " + FormatRfc3339(*t) + " (rotateAfterCreate " +
                                 *p->rotate_after_create + ")");
    if (p && p->rotate_before_expiry && newest.expires)
      if (auto s = Seconds(p->rotate_before_expiry))
        table.upcoming.push_back("next rotation " + FormatRfc3339(*newest.expires - *s) +
                                 " (rotateBeforeExpiry " + *p->rotate_before_expiry + ")");
    if (p && p->notify_before_expiry && newest.expires)
      if (auto s = Seconds(p->notify_before_expiry))
        table.upcoming.push_back("notify " + FormatRfc3339(*newest.expires - *s) +
                                 " (notifyBeforeExpiry " + *p->notify_before_expiry + ")");
    std::optional<int64_t> next_expiry;
    std::string which;
    for (const auto& v : live.versions)
      if (v.enabled && v.expires && *v.expires > now() && (!next_expiry || *v.expires < *next_expiry)) {
        next_expiry = v.expires;
        which = v.version;
      }
    if (next_expiry)
      table.upcoming.push_back("next expiry " + FormatRfc3339(*next_expiry) + " (version " +
                               ShortenVersions(which) + ")");
  }

  void Warnings() {
    const std::optional<RotationPolicyState>& p = desired.value.rotation_policy;
    auto rotate = p ? Seconds(p->rotate_after_create) : std::nullopt;
    auto expiry = p ? Seconds(p->expiry_time) : std::nullopt;
    if (rotate && expiry && *rotate >= *expiry)
      ctx.Warning(address,
                  address + ": policy rotates after expiry (rotateAfterCreate " +
                      *p->rotate_after_create + ", expiryTime " + *p->expiry_time +
                      "): consumers lose access when a version expires before the next one exists",
                  source());
    if (now() == 0) return;
    int64_t horizon = kExpiryHorizon;
    if (auto n = p ? Seconds(p->notify_before_expiry) : std::nullopt) horizon = std::max(horizon, *n);
    for (const auto& v : live.versions) {
      if (!v.expires || !InUse(v.version)) continue;
      int64_t left = *v.expires - now();
      std::string who = UsersOf(v.version);
      if (left <= 0)
        ctx.Error(VersionAddress(v.version),
                  "version " + ShortenVersions(v.version) + " expired on " + FormatRfc3339(*v.expires) +
                      " while " + who + " still uses it",
                  source());
      else if (left <= horizon)
        ctx.Warning(VersionAddress(v.version),
                    "version " + ShortenVersions(v.version) + " expires in " +
                        std::to_string((left + kDay - 1) / kDay) + " days while " + who +
                        " still uses it",
                    source());
    }
  }

  void Inventory() {
    if (!desired.value.rotation_policy)
      table.findings.push_back({"no-policy", address,
                                address + " has no rotation policy: nothing rotates it"});
    const std::string newest = live.versions.empty() ? "" : Lower(live.versions.back().version);
    for (const auto& c : consumers)
      if (c.pinned)
        table.findings.push_back({"pinned", c.address,
                                  c.address + " is pinned to version " + ShortenVersions(c.version) +
                                      ": it never picks up a rotation"});
    for (const auto& c : consumers)
      if (!newest.empty() && c.version != newest)
        table.findings.push_back({"lagging", c.address,
                                  c.address + " lags behind the newest version (uses " +
                                      ShortenVersions(c.version) + ", newest " + ShortenVersions(newest) + ")"});
    const std::optional<RotationPolicyState>& p = desired.value.rotation_policy;
    auto rotate = p ? Seconds(p->rotate_after_create) : std::nullopt;
    if (!rotate || now() == 0) return;
    int64_t window = kDay;
    if (desired.value.retire)
      if (auto w = Seconds(desired.value.retire->adoption_window)) window = *w;
    for (size_t i = 0; i + 1 < live.versions.size(); ++i) {
      const KeyVersionState& v = live.versions[i];
      if (v.enabled && v.created + *rotate + window < now())
        table.findings.push_back(
            {"stale", v.version,
             "stale: version " + ShortenVersions(v.version) + " (created " + FormatRfc3339(v.created) +
                 ") is still enabled past rotation interval + adoption window" +
                 (InUse(v.version) ? " (used by " + UsersOf(v.version) + ")" : "")});
    }
  }
};

}  // namespace

void DiffKeyVersions(DiffContext& ctx) {
  for (const auto& [address, s] : ctx.desired.keys) {
    auto it = ctx.live.keys.find(s.value.vault + "/" + s.value.name);
    if (it == ctx.live.keys.end() || it->second.versions.empty()) continue;
    KeyRules rules{ctx, address, s, it->second, {}, {}, {}, {}};
    rules.BuildTable();
    rules.Rotation();
    rules.Retirement();
    rules.KeyDisable();
    rules.Upcoming();
    rules.Warnings();
    rules.Inventory();
    ctx.plan.keys.push_back(std::move(rules.table));
  }
}

}  // namespace cmk
