#include "engine/drift/drift.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "base/duration.h"
#include "base/strings.h"
#include "model/key_id.h"

namespace cmk {
namespace {

constexpr int64_t kDriftDay = 86400;
// How far from its due time a rotation by policy may land (Azure's rotation
// service runs periodically, not at the second).
constexpr int64_t kPolicySlack = 2 * kDriftDay;

std::optional<int64_t> DurationSeconds(const std::optional<std::string>& text, int64_t from) {
  if (!text) return std::nullopt;
  auto d = ParseIsoDuration(*text);
  if (!d.ok()) return std::nullopt;
  return AddDuration(from, *d) - from;
}

std::string FieldsLine(const Change& c) {
  std::string out;
  for (const auto& f : c.fields) {
    auto show = [](const Json& j) {
      if (j.is_null()) return std::string("(none)");
      return j.is_string() ? j.get<std::string>() : j.dump();
    };
    out += (out.empty() ? "" : "; ") + f.path + ": " + show(f.before) + " \xE2\x86\x92 " + show(f.after);
  }
  return out;
}

// The kind of out-of-band change a plan change undoes.
std::string RiskyKind(const Change& c) {
  switch (c.reason_code) {
    case ChangeReason::kMissing: return c.kind == Kind::kRoleAssignment ? "grant" : "missing";
    case ChangeReason::kBind: return "unbound";
    case ChangeReason::kRebind: return "rebound";
    case ChangeReason::kSwitchIdentity: return "identity";
    case ChangeReason::kRepin: return "repinned";
    case ChangeReason::kRecover: return "deleted";
    default: return "differs";
  }
}

class Classifier {
 public:
  Classifier(const DesiredState& desired, const LiveState& live, const Plan& analysis, int64_t now)
      : desired_(desired), live_(live), plan_(analysis), now_(now) {
    for (const auto& [address, b] : desired.bindings)
      binding_source_.try_emplace(Lower(ConsumerAddress(b.value.consumer_kind, b.value.consumer)), b.loc.ToString());
    for (const Change& c : analysis.changes)
      if (const auto* r = std::get_if<RetireVersion>(&c.request))
        retiring_.insert(NormalizedKeyName(r->key.vault, r->key.name) + "/" + Lower(r->version));
  }

  std::vector<DriftItem> Run() {
    for (const Change& c : plan_.changes) Change_(c);
    for (const KeyVersions& table : plan_.keys) Table(table);
    // Posture on the live estate: an error-level rule the target breaks is
    // risky; a warning-level one is reported as expected.
    for (const PolicyFinding& f : plan_.policy)
      if (f.state == "live")
        Add(f.severity == "error" ? DriftClass::kRisky : DriftClass::kExpected,
            f.severity == "error" ? "policy" : "policy-warning", f.address,
            f.rule + " (" + f.policy + "): " + f.message, f.loc.ToString());
    for (const auto& [address, reason] : plan_.unobservable)
      Add(DriftClass::kUnobservable, "not-read", address, "could not be read: " + reason, "");
    for (const auto& w : plan_.withheld)
      Add(DriftClass::kUnobservable, "withheld", w.address,
          std::string(ActionName(w.action)) + " withheld: " + w.reason, w.source);
    // Consumers of keys the manifests do not declare (plan warnings).
    for (const auto& m : plan_.warnings)
      if (m.message.rfind("inaccessible: ", 0) == 0)
        Add(DriftClass::kRisky, "inaccessible", m.address, m.message.substr(14), m.source);
    std::sort(items_.begin(), items_.end(), [](const DriftItem& a, const DriftItem& b) {
      return std::tie(a.klass, a.address, a.kind, a.message) < std::tie(b.klass, b.address, b.kind, b.message);
    });
    return std::move(items_);
  }

 private:
  void Add(DriftClass k, std::string kind, std::string address, std::string message, std::string source) {
    items_.push_back(DriftItem{k, std::move(kind), std::move(address), std::move(message), std::move(source)});
  }

  void Change_(const Change& c) {
    if (c.action == Action::kNoOp) return;
    std::string line = std::string(ActionName(c.action)) + ": " + c.reason;
    if (std::string fields = FieldsLine(c); !fields.empty()) line += " (" + fields + ")";
    if (c.reason_code == ChangeReason::kRetire)
      return Add(DriftClass::kExpected, "retirement-due", c.address, "retirement now due: " + c.reason, c.source);
    if (c.reason_code == ChangeReason::kRotate)
      return Add(DriftClass::kExpected, "rotation-requested", c.address,
                 "rotation the manifests request: " + c.reason, c.source);
    Add(DriftClass::kRisky, RiskyKind(c), c.address, line, c.source);
  }

  void Table(const KeyVersions& table) {
    auto d = desired_.keys.find(table.address);
    if (d == desired_.keys.end()) return;
    const KeyState& key = d->second.value;
    const std::string source = d->second.loc.ToString();
    int64_t window = kDriftDay;
    if (key.retire)
      if (auto w = DurationSeconds(key.retire->adoption_window, now_)) window = *w;
    std::set<std::string> pinned;
    for (const Finding& f : table.findings)
      if (f.kind == "pinned") pinned.insert(f.subject);
    const VersionRow* newest = table.versions.empty() ? nullptr : &table.versions.back();
    for (const Finding& f : table.findings) {
      if (f.kind == "inaccessible") {
        Add(DriftClass::kRisky, "inaccessible", f.subject, f.message, ConsumerSource(f.subject, source));
      } else if (f.kind == "lagging" && !pinned.count(f.subject) && newest) {
        if (now_ - newest->created <= window)
          Add(DriftClass::kExpected, "adoption", f.subject,
              "adopting the new version of " + table.address + ": " + f.message, ConsumerSource(f.subject, source));
        else
          Add(DriftClass::kRisky, "adoption-overdue", f.subject,
              f.message + ", past the adoption window (newest created " + FormatRfc3339(newest->created) + ")",
              ConsumerSource(f.subject, source));
      } else if (f.kind == "stale" &&
                 !retiring_.count(NormalizedKeyName(key.vault, key.name) + "/" + Lower(f.subject))) {
        Add(DriftClass::kExpected, "retirement-due", table.address, f.message, source);
      }
    }
    UnmanagedNewest(table, key, source);
  }

  // The newest version, unless cmkctl made it (generation tag), it is the
  // key's first, or the live rotation policy made it on schedule.
  void UnmanagedNewest(const KeyVersions& table, const KeyState& key, const std::string& source) {
    if (table.versions.size() < 2) return;
    const VersionRow& v = table.versions.back();
    const VersionRow& prev = table.versions[table.versions.size() - 2];
    if (v.generation > 0) return;
    auto live = live_.keys.find(key.vault + "/" + key.name);
    const std::optional<RotationPolicyState>* policy =
        live == live_.keys.end() ? nullptr : &live->second.rotation_policy;
    if (policy && *policy) {
      std::vector<int64_t> due;
      if (auto after = DurationSeconds((*policy)->rotate_after_create, prev.created)) due.push_back(prev.created + *after);
      if (prev.expires)
        if (auto before = DurationSeconds((*policy)->rotate_before_expiry, *prev.expires))
          due.push_back(*prev.expires - *before);
      for (int64_t t : due)
        if (v.created >= t - kPolicySlack && v.created <= t + kPolicySlack) return;
    }
    Add(DriftClass::kRisky, "unmanaged-version", table.address,
        "version " + ShortenVersions(v.version) + " (created " + FormatRfc3339(v.created) +
            ") was made neither by cmkctl nor on the rotation policy's schedule",
        source);
  }

  std::string ConsumerSource(const std::string& consumer, const std::string& fallback) const {
    auto it = binding_source_.find(Lower(consumer));
    return it == binding_source_.end() ? fallback : it->second;
  }

  const DesiredState& desired_;
  const LiveState& live_;
  const Plan& plan_;
  int64_t now_;
  std::map<std::string, std::string> binding_source_;  // "storage/name" (lower) -> binding source
  std::set<std::string> retiring_;                      // "vault/key/version", lower
  std::vector<DriftItem> items_;
};

const DriftClass kClasses[] = {DriftClass::kRisky, DriftClass::kUnobservable, DriftClass::kExpected};

std::string CountsLine(const DriftReport& r) {
  return std::to_string(r.Count(DriftClass::kRisky)) + " risky, " +
         std::to_string(r.Count(DriftClass::kUnobservable)) + " unobservable, " +
         std::to_string(r.Count(DriftClass::kExpected)) + " expected";
}

std::string Scope(const DriftReport& r) {
  std::string out = std::to_string(r.objects) + " objects in " + std::to_string(r.subscriptions.size()) +
                    (r.subscriptions.size() == 1 ? " subscription" : " subscriptions");
  if (!r.shard.empty()) out += ", shard " + r.shard;
  return out;
}

std::string Title(DriftClass c) {
  switch (c) {
    case DriftClass::kRisky: return "Risky";
    case DriftClass::kUnobservable: return "Unobservable";
    case DriftClass::kExpected: return "Expected";
  }
  return "";
}

std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

}  // namespace

const char* DriftClassName(DriftClass c) {
  switch (c) {
    case DriftClass::kExpected: return "expected";
    case DriftClass::kRisky: return "risky";
    case DriftClass::kUnobservable: return "unobservable";
  }
  return "?";
}

size_t DriftReport::Count(DriftClass c) const {
  return static_cast<size_t>(
      std::count_if(items.begin(), items.end(), [c](const DriftItem& i) { return i.klass == c; }));
}

DriftReport ClassifyDrift(const DesiredState& desired, const LiveState& live, const Plan& analysis,
                          int64_t now) {
  DriftReport r;
  r.target = analysis.target;
  r.now = now;
  r.subscriptions = analysis.query.subscriptions;
  r.items = Classifier(desired, live, analysis, now).Run();
  return r;
}

namespace {

// What a report and its summary both say of the run.
Json RunJson(const DriftReport& r) {
  return Json{{"format_version", r.format_version},
              {"tool_version", r.tool_version},
              {"target", {{"kind", r.target.kind}, {"location", r.target.location}}},
              {"now", FormatRfc3339(r.now)},
              {"subscriptions", r.subscriptions},
              {"shard", r.shard},
              {"objects", r.objects},
              {"counts",
               {{"risky", r.Count(DriftClass::kRisky)},
                {"unobservable", r.Count(DriftClass::kUnobservable)},
                {"expected", r.Count(DriftClass::kExpected)}}}};
}

}  // namespace

Json DriftToJson(const DriftReport& r) {
  Json items = Json::array();
  for (const auto& i : r.items)
    items.push_back(Json{{"class", DriftClassName(i.klass)},
                         {"kind", i.kind},
                         {"address", i.address},
                         {"message", i.message},
                         {"source", i.source}});
  Json j = RunJson(r);
  j["items"] = std::move(items);
  return j;
}

std::string RenderDriftText(const DriftReport& r) {
  std::string out = "Target: " + r.target.ToString() + "\n";
  out += "Drift at " + FormatRfc3339(r.now) + " (" + Scope(r) + "): ";
  if (r.Empty()) return out + "none. The live estate matches the manifests.\n";
  out += CountsLine(r) + ".\n";
  for (DriftClass c : kClasses) {
    size_t n = r.Count(c);
    if (n == 0) continue;
    out += "\n" + Title(c) + " (" + std::to_string(n) + "):\n";
    for (const auto& i : r.items) {
      if (i.klass != c) continue;
      out += "  " + i.address + " [" + i.kind + "] " + ShortenVersions(i.message);
      if (!i.source.empty()) out += " (" + i.source + ")";
      out += "\n";
    }
  }
  return out;
}

std::string RenderDriftMarkdown(const DriftReport& r) {
  // Room for a PR or issue comment (GitHub stops at 65,536 characters).
  constexpr size_t kBudget = 60000;
  std::string out = "### cmkctl drift: `" + MdCell(r.target.ToString()) + "`\n\n";
  out += "At " + FormatRfc3339(r.now) + ", " + MdCell(Scope(r)) + ".\n\n";
  if (r.Empty()) return out + "**No drift.** The live estate matches the manifests.\n";
  out += "| Risky | Unobservable | Expected |\n|---|---|---|\n| " + std::to_string(r.Count(DriftClass::kRisky)) +
         " | " + std::to_string(r.Count(DriftClass::kUnobservable)) + " | " +
         std::to_string(r.Count(DriftClass::kExpected)) + " |\n";
  size_t left_out = 0;
  for (DriftClass c : kClasses) {
    size_t n = r.Count(c);
    if (n == 0) continue;
    out += "\n<details" + std::string(c == DriftClass::kExpected ? "" : " open") + "><summary>" + Title(c) +
           " (" + std::to_string(n) + ")</summary>\n\n| Address | Kind | What | Source |\n|---|---|---|---|\n";
    for (const auto& i : r.items) {
      if (i.klass != c) continue;
      std::string row = "| `" + MdCell(i.address) + "` | " + i.kind + " | " + MdCell(ShortenVersions(i.message)) +
                        " | " + (i.source.empty() ? "" : "`" + MdCell(i.source) + "`") + " |\n";
      if (out.size() + row.size() > kBudget) {
        ++left_out;
        continue;
      }
      out += row;
    }
    out += "\n</details>\n";
  }
  if (left_out)
    out += "\n" + std::to_string(left_out) + " more items are left out to fit a comment; the JSON report " +
           "(`--format json`) has them all.\n";
  return out;
}

Json DriftSummary(const DriftReport& r, int exit_code) {
  Json j = RunJson(r);
  j["exit_code"] = exit_code;
  return j;
}

}  // namespace cmk
