// Policy specs: posture rules a team switches on, their parameters and
// severity, and the scope they apply to. The rules run in engine/policy.
#include <algorithm>
#include <set>

#include "base/duration.h"
#include "manifest/spec_parsers.h"

namespace cmk {

namespace {

// The parameter each rule takes besides `severity` ("" = none).
std::string PostureParameterOf(const std::string& rule) {
  if (rule == "soft-delete-retention") return "minDays";
  if (rule == "rsa-min-size") return "minBits";
  if (rule == "allowed-curves") return "curves";
  if (rule == "rotation-interval-max" || rule == "expiry-required" || rule == "version-max-age")
    return "max";
  if (rule == "notify-before-expiry-min") return "min";
  if (rule == "auto-bindings") return "exemptLabel";
  return "";
}

// Whether the parameter must be given (expiry-required's max and
// auto-bindings' exemptLabel are optional).
bool PostureParameterRequired(const std::string& rule) {
  return rule != "expiry-required" && rule != "auto-bindings" && !PostureParameterOf(rule).empty();
}

void PostureReadDuration(SpecReader& r, const std::string& key, bool required, PostureRule& out) {
  auto text = r.String(key, required);
  if (!text) return;
  auto d = ParseIsoDuration(*text);
  if (!d.ok()) {
    r.ctx().Error(r.ValueLoc(key), r.Path(key) + ": " + d.status().message());
    return;
  }
  int64_t seconds = ApproxSeconds(*d);
  if (seconds <= 0) {
    r.ctx().Error(r.ValueLoc(key), r.Path(key) + ": '" + *text + "' must be longer than zero");
    return;
  }
  out.limit = seconds;
  out.limit_text = *text;
}

void ParsePostureRule(const SpecReader& rules, const std::string& id, const YamlNode& node, PostureRule& out) {
  const DocContext& ctx = rules.ctx();
  const std::string path = rules.Path(id);
  out.id = id;
  out.loc = rules.KeyLoc(id);
  const std::string param = PostureParameterOf(id);
  if (node.type == YamlNode::Type::kScalar) {  // `purge-protection: warning`
    if (PostureParameterRequired(id)) {
      ctx.Error(ctx.Loc(node), path + ": this rule needs '" + param + "' (write it as a mapping: {" +
                                   param + ": ..., severity: " + node.value + "})");
      return;
    }
    if (CheckOneOf(node.value, {"error", "warning"}, path, ctx.Loc(node), ctx)) out.severity = node.value;
    return;
  }
  if (!node.is_map()) {
    ctx.Error(ctx.Loc(node), path + ": expected a mapping (severity and the rule's parameter) or "
                                    "'error' / 'warning', got " + node.Describe());
    return;
  }
  std::initializer_list<const char*> with_param = {"severity", param.c_str()};
  std::initializer_list<const char*> without = {"severity"};
  SpecReader r(node, path, out.loc, ctx, param.empty() ? without : with_param);
  if (auto s = r.String("severity"); s && CheckOneOf(*s, {"error", "warning"}, r.Path("severity"),
                                                     r.ValueLoc("severity"), ctx))
    out.severity = *s;
  bool required = PostureParameterRequired(id);
  if (id == "soft-delete-retention") {
    if (auto days = r.Int("minDays", required)) {
      if (*days < 7 || *days > 90)
        ctx.Error(r.ValueLoc("minDays"), r.Path("minDays") + ": " + std::to_string(*days) +
                                             " is out of range (Azure keeps 7 to 90 days)");
      else {
        out.limit = *days;
        out.limit_text = std::to_string(*days);
      }
    }
  } else if (id == "rsa-min-size") {
    if (auto bits = r.Int("minBits", required)) {
      if (*bits != 2048 && *bits != 3072 && *bits != 4096)
        ctx.Error(r.ValueLoc("minBits"), r.Path("minBits") + ": " + std::to_string(*bits) +
                                             " is not an RSA size Key Vault makes (2048, 3072 or 4096)");
      else {
        out.limit = *bits;
        out.limit_text = std::to_string(*bits);
      }
    }
  } else if (id == "allowed-curves") {
    if (auto curves = r.StringList("curves")) {
      const YamlNode* list = r.Find("curves");
      std::set<std::string> seen;
      for (size_t i = 0; i < curves->size(); ++i) {
        const std::string& c = (*curves)[i];
        std::string at = r.Path("curves") + "[" + std::to_string(i) + "]";
        if (!CheckOneOf(c, {"P-256", "P-384", "P-521", "P-256K"}, at, ctx.Loc(list->items[i]), ctx)) continue;
        if (seen.insert(c).second) out.values.push_back(c);
      }
      if (curves->empty()) ctx.Error(r.ValueLoc("curves"), r.Path("curves") + ": list at least one curve");
    } else if (required && !r.Find("curves")) {
      r.Missing("curves");
    }
  } else if (param == "max" || param == "min") {
    PostureReadDuration(r, param, required, out);
  } else if (id == "auto-bindings") {
    if (auto label = r.String("exemptLabel")) {
      if (label->find_first_not_of(" \t\n") == std::string::npos)
        ctx.Error(r.ValueLoc("exemptLabel"), r.Path("exemptLabel") + " must not be blank");
      else
        out.exempt_label = *label;
    }
  }
  r.Finish();
}

}  // namespace

void ParsePostureSpec(const SpecInput& in, PostureSpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx, {"scope", "rules"});
  out.name = in.name;
  if (const YamlNode* scope = r.Map("scope")) {
    SpecReader sr(*scope, "spec.scope", r.KeyLoc("scope"), in.ctx, {"labels", "names"});
    if (auto labels = sr.StringMap("labels")) out.match_labels = *labels;
    if (auto names = sr.StringList("names")) {
      out.match_names = *names;
      std::sort(out.match_names.begin(), out.match_names.end());
      out.match_names.erase(std::unique(out.match_names.begin(), out.match_names.end()), out.match_names.end());
      if (out.match_names.empty())
        in.ctx.Error(sr.ValueLoc("names"), "spec.scope.names: list at least one name, or leave it out");
    }
    sr.Finish();
  }
  const YamlNode* rules = r.Map("rules", true);
  if (rules != nullptr) {
    // Rule ids are checked here (with the same hint as unknown fields); the
    // reader gives each rule its path and location.
    SpecReader rr(*rules, "spec.rules", r.KeyLoc("rules"), in.ctx, {});
    for (const auto& e : rules->entries) {
      const std::string& id = e.key.value;
      if (std::find(PostureRuleIds().begin(), PostureRuleIds().end(), id) == PostureRuleIds().end()) {
        std::string message = "spec.rules: unknown rule '" + id + "'";
        std::string hint = Suggest(id, PostureRuleIds());
        if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
        in.ctx.Error(in.ctx.Loc(e.key), message + ": expected one of " + JoinNames(PostureRuleIds()));
        continue;
      }
      if (e.value.is_invalid()) continue;
      if (e.value.type == YamlNode::Type::kNull) {
        in.ctx.Error(in.ctx.Loc(e.key), "spec.rules." + id + ": null; write {} to switch the rule on "
                                        "with its defaults, or 'error' / 'warning'");
        continue;
      }
      PostureRule rule;
      ParsePostureRule(rr, id, e.value, rule);
      out.rules.push_back(std::move(rule));
    }
    if (rules->entries.empty()) in.ctx.Error(r.KeyLoc("rules"), "spec.rules: switch on at least one rule");
  }
  r.Finish();
}

}  // namespace cmk
