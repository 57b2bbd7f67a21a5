// The only place plan JSON is parsed: nlohmann exceptions stop here.
#include <exception>

#include "engine/render.h"

namespace cmk {
namespace {

Json MessagesToJson(const std::vector<PlanMessage>& messages) {
  Json out = Json::array();
  for (const auto& m : messages)
    out.push_back(Json{{"severity", m.severity},
                       {"address", m.address},
                       {"message", m.message},
                       {"source", m.source}});
  return out;
}

Json HookSpecToJson(const HookSpec& h) {
  return Json{{"name", h.name},
              {"phase", h.phase},
              {"kinds", h.kinds},
              {"names", h.names},
              {"actions", h.actions},
              {"script", h.script},
              {"rollback_script", h.rollback_script},
              {"timeout_seconds", h.timeout_seconds},
              {"on_failure", h.on_failure},
              {"env", h.env}};
}

// Throws nlohmann exceptions on missing members or wrong types; the caller catches.
HookSpec HookSpecFromJson(const Json& j) {
  HookSpec h;
  h.name = j.at("name").get<std::string>();
  h.phase = j.at("phase").get<std::string>();
  h.kinds = j.at("kinds").get<std::vector<std::string>>();
  h.names = j.at("names").get<std::vector<std::string>>();
  h.actions = j.at("actions").get<std::vector<std::string>>();
  h.script = j.at("script").get<std::string>();
  h.rollback_script = j.at("rollback_script").get<std::string>();
  h.timeout_seconds = j.at("timeout_seconds").get<int>();
  h.on_failure = j.at("on_failure").get<std::string>();
  h.env = j.at("env").get<std::vector<std::string>>();
  return h;
}

}  // namespace

Json ChangeToJson(const Change& c) {
  Json fields = Json::array();
  for (const auto& f : c.fields)
    fields.push_back(Json{{"path", f.path}, {"before", f.before}, {"after", f.after}});
  return Json{{"address", c.address},       {"kind", KindName(c.kind)},
              {"action", ActionName(c.action)}, {"reason", c.reason},
              {"risk", RiskName(c.risk)},    {"owner", c.owner},
              {"source", c.source},          {"before", c.before},
              {"after", c.after},            {"fields", fields},
              {"depends_on", c.depends_on},  {"hooks", c.hooks}};
}

namespace {

// Throws nlohmann exceptions on missing members or wrong types; the caller catches.
std::vector<PlanMessage> MessagesFromJson(const Json& j) {
  std::vector<PlanMessage> out;
  for (const auto& m : j) {
    out.push_back(PlanMessage{m.at("severity").get<std::string>(), m.at("address").get<std::string>(),
                              m.at("message").get<std::string>(), m.at("source").get<std::string>()});
  }
  return out;
}

Result<Change> ChangeFromJson(const Json& j) {
  Change c;
  c.address = j.at("address").get<std::string>();
  auto kind = KindFromName(j.at("kind").get<std::string>());
  auto action = ActionFromName(j.at("action").get<std::string>());
  auto risk = RiskFromName(j.at("risk").get<std::string>());
  if (!kind || !action || !risk)
    return InvalidArgument("plan change " + c.address + ": unknown kind, action or risk");
  c.kind = *kind;
  c.action = *action;
  c.risk = *risk;
  c.reason = j.at("reason").get<std::string>();
  c.owner = j.at("owner").get<std::string>();
  c.source = j.at("source").get<std::string>();
  c.before = j.at("before");
  c.after = j.at("after");
  for (const auto& f : j.at("fields"))
    c.fields.push_back(FieldChange{f.at("path").get<std::string>(), f.at("before"), f.at("after")});
  c.depends_on = j.at("depends_on").get<std::vector<std::string>>();
  c.hooks = j.at("hooks").get<std::vector<std::string>>();
  return c;
}

Result<Plan> ParsePlan(const Json& j) {
  if (!j.is_object()) return InvalidArgument("plan JSON must be an object");
  if (!j.contains("format_version") || !j["format_version"].is_number_integer())
    return InvalidArgument("plan JSON has no format_version: not a cmkctl plan?");
  int version = j["format_version"].get<int>();
  if (version != kPlanFormatVersion)
    return InvalidArgument("plan format_version " + std::to_string(version) +
                           " is not supported by this cmkctl (it reads version " +
                           std::to_string(kPlanFormatVersion) + "); run plan again with this tool");
  Plan p;
  p.format_version = version;
  p.tool_version = j.at("tool_version").get<std::string>();
  p.target.kind = j.at("target").at("kind").get<std::string>();
  p.target.location = j.at("target").at("location").get<std::string>();
  if (!j.at("query").is_object()) return InvalidArgument("plan member query must be an object");
  p.query = LiveQueryFromJson(j.at("query"));
  if (ToJson(p.query) != j.at("query"))
    return InvalidArgument("plan member query has unexpected members or types");
  p.fingerprints = j.at("fingerprints").get<std::map<std::string, std::string>>();
  for (const auto& c : j.at("changes")) {
    CMK_ASSIGN_OR_RETURN(Change change, ChangeFromJson(c));
    p.changes.push_back(std::move(change));
  }
  // Added within format_version 1: plans saved before it carry no hooks.
  if (j.contains("hooks"))
    for (const auto& h : j.at("hooks")) p.hooks.push_back(HookSpecFromJson(h));
  for (const auto& c : p.changes)
    for (const auto& name : c.hooks)
      if (p.FindHook(name) == nullptr)
        return InvalidArgument("plan change " + c.address + " names hook '" + name +
                               "', but the plan does not carry its spec (saved by an older "
                               "cmkctl?); run plan again");
  p.errors = MessagesFromJson(j.at("errors"));
  p.warnings = MessagesFromJson(j.at("warnings"));
  if (j.contains("keys"))
    for (const auto& k : j.at("keys")) p.keys.push_back(KeyVersionsFromJson(k));
  return p;
}

}  // namespace

Json PlanToJson(const Plan& plan) {
  Json changes = Json::array();
  for (const auto& c : plan.changes) changes.push_back(ChangeToJson(c));
  Json hooks = Json::array();
  for (const auto& h : plan.hooks) hooks.push_back(HookSpecToJson(h));
  PlanSummary s = plan.Summary();
  Json out{{"format_version", plan.format_version},
              {"tool_version", plan.tool_version},
              {"target", {{"kind", plan.target.kind}, {"location", plan.target.location}}},
              {"query", ToJson(plan.query)},
              {"fingerprints", plan.fingerprints},
              {"changes", changes},
              {"hooks", hooks},
              {"errors", MessagesToJson(plan.errors)},
              {"warnings", MessagesToJson(plan.warnings)},
              {"summary",
               {{"create", s.create},
                {"update", s.update},
                {"replace", s.replace},
                {"delete", s.del},
                {"no_op", s.no_op},
                {"rotate", s.rotate},
                {"repin", s.repin},
                {"disable_version", s.disable_version}}}};
  // Added within format_version 1; absent when no key has live versions.
  if (!plan.keys.empty()) {
    Json keys = Json::array();
    for (const auto& k : plan.keys) keys.push_back(ToJson(k));
    out["keys"] = keys;
  }
  return out;
}

std::string PlanToJsonText(const Plan& plan) { return PlanToJson(plan).dump(2) + "\n"; }

Result<Plan> PlanFromJson(const std::string& text) {
  try {
    Json j = Json::parse(text);
    Result<Plan> plan = ParsePlan(j);
    if (!plan.ok()) return plan.status().WithContext("reading saved plan");
    return plan;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("reading saved plan: malformed plan JSON: ") + e.what());
  }
}

}  // namespace cmk
