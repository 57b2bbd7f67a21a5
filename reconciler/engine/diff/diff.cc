#include "engine/diff/diff.h"

#include <algorithm>
#include <tuple>

#include "engine/diff/diff_context.h"
#include "engine/read/live_reader.h"
#include "base/strings.h"

namespace cmk {
namespace {

void FieldDiff(const std::string& path, const Json& b, const Json& a,
               std::vector<FieldChange>& out) {
  if (b == a) return;
  if (b.is_object() && a.is_object()) {
    std::set<std::string> keys;
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys)
      FieldDiff(path.empty() ? k : path + "." + k, b.contains(k) ? b[k] : Json(),
                a.contains(k) ? a[k] : Json(), out);
    return;
  }
  out.push_back(FieldChange{path, b, a});
}

}  // namespace

void DiffContext::Error(const std::string& address, const std::string& message,
                        const std::string& source) {
  plan.errors.push_back(PlanMessage{"error", address, message, source});
}

void DiffContext::Warning(const std::string& address, const std::string& message,
                          const std::string& source) {
  plan.warnings.push_back(PlanMessage{"warning", address, message, source});
}

Change& DiffContext::Add(Change c, const std::string& name) {
  names[c.address] = name;
  plan.changes.push_back(std::move(c));
  return plan.changes.back();
}

bool DiffContext::HasChange(const std::string& address) const {
  for (const auto& c : plan.changes)
    if (c.address == address) return true;
  return false;
}

std::optional<ArmRef> DiffContext::VaultLocation(const std::string& vault) const {
  for (const auto& [address, v] : desired.vaults)
    if (EqualsIgnoreCase(v.value.name, vault))
      return ArmRef{v.value.subscription, v.value.resource_group, v.value.name};
  for (const auto& [address, v] : live.vaults)
    if (EqualsIgnoreCase(v.name, vault)) return ArmRef{v.subscription, v.resource_group, v.name};
  return std::nullopt;
}

std::string DiffContext::DesiredKeyAddress(const std::string& vault,
                                           const std::string& name) const {
  for (const auto& [address, k] : desired.keys)
    if (EqualsIgnoreCase(k.value.vault, vault) && EqualsIgnoreCase(k.value.name, name))
      return address;
  return "";
}

std::string AddressName(const std::string& address) {
  size_t slash = address.find('/');
  return slash == std::string::npos ? address : address.substr(slash + 1);
}

std::vector<FieldChange> JsonFieldDiff(const Json& before, const Json& after) {
  std::vector<FieldChange> out;
  FieldDiff("", before, after, out);
  std::sort(out.begin(), out.end(),
            [](const FieldChange& x, const FieldChange& y) { return x.path < y.path; });
  return out;
}

bool HasField(const std::vector<FieldChange>& fields, const std::string& path) {
  for (const auto& f : fields)
    if (f.path == path || f.path.compare(0, path.size() + 1, path + ".") == 0) return true;
  return false;
}

std::string Differs(const std::vector<FieldChange>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : "") + fields[i].path;
  return out + (fields.size() == 1 ? " differs" : " differ");
}

std::string Arrow(const FieldChange& f) {
  auto show = [](const Json& j) {
    if (j.is_null()) return std::string("(none)");
    return j.is_string() ? j.get<std::string>() : j.dump();
  };
  return show(f.before) + "\xE2\x86\x92" + show(f.after);
}

Plan Diff(const DesiredState& desired, const LiveState& live, const DiffOptions& options,
          const TargetInfo& target) {
  Plan plan;
  plan.target = target;
  plan.query = BuildQuery(desired);
  plan.query.include_prune_candidates = options.prune;
  plan.fingerprints = Fingerprints(plan.query, live);
  DiffContext ctx{desired, live, options, plan, {}, {}, {}};
  DiffVaults(ctx);
  DiffIdentities(ctx);
  DiffStorageIdentities(ctx);
  DiffKeys(ctx);
  DiffRoleAssignments(ctx);
  DiffBindings(ctx);
  DiffKeyVersions(ctx);
  DiffPrune(ctx);
  OrderChanges(ctx);
  SelectHooks(ctx);
  auto by_address = [](const PlanMessage& a, const PlanMessage& b) {
    return std::tie(a.address, a.message) < std::tie(b.address, b.message);
  };
  std::stable_sort(plan.errors.begin(), plan.errors.end(), by_address);
  std::stable_sort(plan.warnings.begin(), plan.warnings.end(), by_address);
  return plan;
}

}  // namespace cmk
