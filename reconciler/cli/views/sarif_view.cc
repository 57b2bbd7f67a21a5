#include "cli/views/sarif_view.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <system_error>

#include "base/strings.h"
#include "base/url.h"

namespace cmk {
namespace {

constexpr char kSchema[] =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

struct RuleHelp {
  const char* name;
  const char* text;
};

// Help for every rule id cmkctl reports, by id (prefix match for families).
const std::map<std::string, RuleHelp>& Rules() {
  static const std::map<std::string, RuleHelp> kRules = {
      {"posture/purge-protection",
       {"PurgeProtection", "The vault must have purge protection: without it a deleted vault or key can be "
                           "purged, and the data it encrypts lost, before its retention period ends."}},
      {"posture/soft-delete-retention",
       {"SoftDeleteRetention", "The vault's soft-delete retention must be at least the policy's minDays."}},
      {"posture/hsm-keys", {"HsmKeys", "Keys must be HSM-backed (RSA-HSM, EC-HSM, oct-HSM; a premium vault)."}},
      {"posture/rsa-min-size", {"RsaMinSize", "RSA keys must be at least the policy's minBits."}},
      {"posture/allowed-curves", {"AllowedCurves", "EC keys must use one of the policy's curves."}},
      {"posture/rotation-policy-required",
       {"RotationPolicyRequired", "Every key needs a rotation policy that rotates it (rotateAfterCreate or "
                                  "rotateBeforeExpiry)."}},
      {"posture/rotation-interval-max",
       {"RotationIntervalMax", "Keys must rotate at least as often as the policy's max."}},
      {"posture/expiry-required",
       {"ExpiryRequired", "New key versions must expire (rotation policy expiryTime), at most the policy's max."}},
      {"posture/notify-before-expiry-min",
       {"NotifyBeforeExpiryMin", "A key whose versions expire must notify at least the policy's min before."}},
      {"posture/network-deny",
       {"NetworkDeny", "The vault's network default action must be Deny (networkAcls.defaultAction)."}},
      {"posture/version-max-age",
       {"VersionMaxAge", "No enabled key version may be older than the policy's max (retire old versions once "
                         "no consumer uses them)."}},
      {"posture/auto-bindings",
       {"AutoBindings", "Bindings must follow the newest key version (no pinned keyVersion) unless labelled "
                        "with the policy's exemptLabel."}},
      {"posture/rbac-required",
       {"RbacRequired", "The vault must use Azure RBAC (enableRbacAuthorization), not access policies."}},
      {"manifest/invalid", {"InvalidManifest", "The manifest breaks a rule of its kind (docs/manifest.md)."}},
      {"manifest/warning", {"ManifestWarning", "The manifest is valid but something in it deserves a look."}},
      {"plan/error", {"PlanError", "The plan cannot be applied as it stands: the message says why."}},
      {"plan/warning", {"PlanWarning", "The plan can be applied; the message says what to check first."}},
      {"inventory/", {"InventoryFinding", "A finding about a key and its consumers: no rotation policy, a "
                                          "pinned consumer, a consumer lagging behind the newest version, "
                                          "or a stale version still enabled."}},
      {"drift/", {"Drift", "The live estate differs from the manifests: expected (the manifests explain "
                           "it), risky (someone changed something) or unobservable (it could not be read)."}},
  };
  return kRules;
}

const RuleHelp& HelpFor(const std::string& id) {
  const auto& rules = Rules();
  if (auto it = rules.find(id); it != rules.end()) return it->second;
  for (const auto& [prefix, help] : rules)
    if (prefix.back() == '/' && id.rfind(prefix, 0) == 0) return help;
  static const RuleHelp kUnknown{"Finding", "A finding of cmkctl."};
  return kUnknown;
}

// A relative path as a URI reference: each segment percent-encoded, '/' kept.
std::string UriPath(const std::string& path) {
  std::string out;
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    out += UrlEncode(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return out;
    out += '/';
    start = slash + 1;
  }
}

Json Location(const SourceLoc& loc, const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path abs = fs::absolute(loc.file, ec).lexically_normal();
  fs::path rel = abs.lexically_relative(fs::path(root).lexically_normal());
  Json artifact;
  if (!ec && !rel.empty() && *rel.begin() != "..") {
    artifact = {{"uri", UriPath(rel.generic_string())}, {"uriBaseId", "%SRCROOT%"}};
  } else {
    artifact = {{"uri", "file://" + UriPath(abs.generic_string())}};
  }
  Json region = {{"startLine", std::max(loc.line, 1)}};
  if (loc.col > 0) region["startColumn"] = loc.col;
  return {{"physicalLocation", {{"artifactLocation", artifact}, {"region", region}}}};
}

// "file:line:col" back to a SourceLoc (invalid when it is not one).
SourceLoc ParseSource(const std::string& source) {
  SourceLoc loc;
  size_t c2 = source.rfind(':');
  if (c2 == std::string::npos || c2 == 0) return loc;
  size_t c1 = source.rfind(':', c2 - 1);
  if (c1 == std::string::npos) return loc;
  auto number = [](const std::string& s) {
    if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit)) return 0;
    return std::stoi(s);
  };
  int line = number(source.substr(c1 + 1, c2 - c1 - 1)), col = number(source.substr(c2 + 1));
  if (line <= 0) return loc;
  loc.file = source.substr(0, c1);
  loc.line = line;
  loc.col = col;
  return loc;
}

}  // namespace

std::string RepositoryRoot() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return ".";
  for (fs::path p = cwd; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / ".git", ec)) return p.string();
    if (p == p.parent_path()) break;
  }
  return cwd.string();
}

Json RenderSarif(const SarifRun& run) {
  std::map<std::string, size_t> rule_index;
  for (const auto& r : run.results) rule_index.emplace(r.rule_id, 0);
  Json rules = Json::array();
  size_t i = 0;
  for (auto& [id, index] : rule_index) {
    index = i++;
    const RuleHelp& help = HelpFor(id);
    std::string level = id.rfind("posture/", 0) == 0 || id == "manifest/invalid" || id == "plan/error" ? "error"
                        : id.rfind("drift/", 0) == 0 || id.rfind("inventory/", 0) == 0 ? "note"
                                                                                          : "warning";
    rules.push_back({{"id", id},
                     {"name", help.name},
                     {"shortDescription", {{"text", help.text}}},
                     {"help", {{"text", help.text}}},
                     {"defaultConfiguration", {{"level", level}}}});
  }
  Json results = Json::array();
  for (const auto& r : run.results) {
    Json result = {{"ruleId", r.rule_id},
                   {"ruleIndex", rule_index.at(r.rule_id)},
                   {"level", r.level},
                   {"message", {{"text", r.message.empty() ? r.rule_id : r.message}}},
                   {"partialFingerprints",
                    {{"cmkctlFinding/v1", Fnv1aHex(r.rule_id + "\n" + r.address + "\n" + r.subject)}}}};
    if (r.loc.valid()) result["locations"] = Json::array({Location(r.loc, run.root)});
    if (!r.address.empty()) result["properties"] = {{"address", r.address}};
    results.push_back(std::move(result));
  }
  Json driver = {{"name", "cmkctl"},
                 {"version", CMK_VERSION},
                 {"semanticVersion", CMK_VERSION},
                 {"rules", rules}};
  Json out = {{"$schema", kSchema},
              {"version", "2.1.0"},
              {"runs", Json::array({{{"tool", {{"driver", driver}}},
                                     {"automationDetails", {{"id", "cmkctl/" + run.command + "/"}}},
                                     {"columnKind", "unicodeCodePoints"},
                                     {"results", results}}})}};
  return out;
}

std::vector<SarifResult> SarifFromDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::vector<SarifResult> out;
  for (const auto& d : diagnostics) {
    bool error = d.severity == Severity::kError;
    out.push_back({error ? "manifest/invalid" : "manifest/warning", error ? "error" : "warning",
                   d.address.empty() ? d.message : d.address + ": " + d.message, d.address,
                   d.loc.ToString() + "\n" + d.message, d.loc});
  }
  return out;
}

std::vector<SarifResult> SarifFromPolicy(const std::vector<PolicyFinding>& findings, const std::string& state) {
  std::vector<SarifResult> out;
  for (const auto& f : findings) {
    if (f.state != state) continue;
    out.push_back({"posture/" + f.rule, f.severity == "error" ? "error" : "warning",
                   f.address + ": " + f.message + " (" + f.policy + (state == "live" ? ", live" : "") + ")",
                   f.address, f.policy + "/" + f.state, f.loc});
  }
  return out;
}

std::vector<SarifResult> SarifFromPlan(const Plan& plan) {
  std::vector<SarifResult> out = SarifFromPolicy(plan.policy, "desired");
  for (const auto* list : {&plan.errors, &plan.warnings})
    for (const PlanMessage& m : *list) {
      if (!m.rule.empty()) continue;  // a posture finding, above
      bool error = m.severity == "error";
      out.push_back({error ? "plan/error" : "plan/warning", error ? "error" : "warning", m.message, m.address,
                     m.message, ParseSource(m.source)});
    }
  return out;
}

std::vector<SarifResult> SarifFromInventory(const DesiredState& desired, const Plan& analysis) {
  std::vector<SarifResult> out;
  for (const KeyVersions& k : analysis.keys) {
    auto d = desired.keys.find(k.address);
    SourceLoc loc = d == desired.keys.end() ? SourceLoc{} : d->second.loc;
    for (const Finding& f : k.findings)
      out.push_back({"inventory/" + f.kind, f.kind == "inaccessible" ? "error" : "note",
                     k.address + ": " + f.message, k.address, f.subject, loc});
  }
  std::vector<SarifResult> live = SarifFromPolicy(analysis.policy, "live");
  out.insert(out.end(), live.begin(), live.end());
  return out;
}

std::vector<SarifResult> SarifFromDrift(const DriftReport& report) {
  std::vector<SarifResult> out;
  for (const DriftItem& item : report.items) {
    const char* level = item.klass == DriftClass::kRisky          ? "error"
                        : item.klass == DriftClass::kUnobservable ? "warning"
                                                                   : "note";
    out.push_back({"drift/" + item.kind, level,
                   std::string(DriftClassName(item.klass)) + ": " + item.address + ": " + item.message,
                   item.address, item.kind, ParseSource(item.source)});
  }
  return out;
}

}  // namespace cmk
