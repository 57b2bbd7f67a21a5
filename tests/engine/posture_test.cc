// Posture rules: each built-in rule fires on the object that breaks it and
// stays silent on the one that holds it, on the desired and the live side;
// scope by labels and names; severities carry through to the plan.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/policy/posture.h"

namespace cmk {
namespace {

PostureRule Rule(const std::string& id, int64_t limit = 0, const std::string& text = "",
                 const std::string& severity = "error") {
  PostureRule r;
  r.id = id;
  r.limit = limit;
  r.limit_text = text;
  r.severity = severity;
  r.loc = {"policy.yaml", 10, 5};
  return r;
}

class PostureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VaultState v;
    v.name = "kv";
    v.purge_protection = true;
    v.soft_delete_retention_days = 90;
    v.network_acls.default_action = "Deny";
    desired_.vaults["vault/kv"] = {v, {"estate.yaml", 3, 7}, "team", {{"env", "prod"}}};
    KeyState k;
    k.vault = "kv";
    k.name = "cmk";
    k.kty = "RSA-HSM";
    k.key_size = 3072;
    RotationPolicyState rp;
    rp.rotate_after_create = "P1Y";
    rp.expiry_time = "P2Y";
    rp.notify_before_expiry = "P30D";
    k.rotation_policy = rp;
    desired_.keys["key/cmk"] = {k, {"estate.yaml", 20, 7}, "team", {{"env", "prod"}}};
    BindingState b;
    b.name = "data";
    b.consumer = "data01";
    b.vault = "kv";
    b.key = "cmk";
    desired_.bindings["binding/data"] = {b, {"estate.yaml", 40, 7}, "team", {{"env", "prod"}}};
  }

  void Policy(std::vector<PostureRule> rules, Tags labels = {}, std::vector<std::string> names = {}) {
    PostureSpec p;
    p.name = "posture";
    p.rules = std::move(rules);
    p.match_labels = std::move(labels);
    p.match_names = std::move(names);
    desired_.policies["policy/posture"] = {p, {"policy.yaml", 2, 7}, "sec", {}};
  }

  std::vector<std::string> Rules(const std::vector<PolicyFinding>& fs, const std::string& state = "desired") {
    std::vector<std::string> out;
    for (const auto& f : fs)
      if (f.state == state) out.push_back(f.address + " " + f.rule);
    return out;
  }

  DesiredState desired_;
};

TEST_F(PostureTest, ACompliantEstatePassesEveryRule) {
  PostureRule curves = Rule("allowed-curves");
  curves.values = {"P-384"};
  Policy({Rule("purge-protection"), Rule("soft-delete-retention", 90, "90"), Rule("hsm-keys"),
          Rule("rsa-min-size", 3072, "3072"), curves, Rule("rotation-policy-required"),
          Rule("rotation-interval-max", 366 * 86400, "P1Y"), Rule("expiry-required", 731 * 86400, "P2Y"),
          Rule("notify-before-expiry-min", 30 * 86400, "P30D"), Rule("network-deny"),
          Rule("auto-bindings"), Rule("rbac-required")});
  EXPECT_TRUE(CheckPosture(desired_, nullptr, 0).empty());
}

TEST_F(PostureTest, EachRuleFiresOnTheObjectThatBreaksIt) {
  VaultState& v = desired_.vaults["vault/kv"].value;
  v.purge_protection = false;
  v.soft_delete_retention_days = 7;
  v.network_acls.default_action = "Allow";
  v.rbac_authorization = false;
  KeyState& k = desired_.keys["key/cmk"].value;
  k.kty = "RSA";
  k.key_size = 2048;
  k.rotation_policy->rotate_after_create = "P2Y";
  k.rotation_policy->notify_before_expiry = "P7D";
  k.rotation_policy->expiry_time = "P3Y";
  desired_.bindings["binding/data"].value.key_version = "0123456789abcdef0123456789abcdef";
  Policy({Rule("purge-protection"), Rule("soft-delete-retention", 90, "90"), Rule("hsm-keys", 0, "", "warning"),
          Rule("rsa-min-size", 3072, "3072"), Rule("rotation-interval-max", 366 * 86400, "P1Y"),
          Rule("expiry-required", 731 * 86400, "P2Y"), Rule("notify-before-expiry-min", 30 * 86400, "P30D"),
          Rule("network-deny"), Rule("auto-bindings"), Rule("rbac-required")});
  std::vector<PolicyFinding> fs = CheckPosture(desired_, nullptr, 0);
  EXPECT_EQ(Rules(fs), (std::vector<std::string>{
                           "binding/data auto-bindings", "key/cmk expiry-required", "key/cmk hsm-keys",
                           "key/cmk notify-before-expiry-min", "key/cmk rotation-interval-max",
                           "key/cmk rsa-min-size", "vault/kv network-deny", "vault/kv purge-protection",
                           "vault/kv rbac-required", "vault/kv soft-delete-retention"}));
  auto hsm = std::find_if(fs.begin(), fs.end(), [](const PolicyFinding& f) { return f.rule == "hsm-keys"; });
  EXPECT_EQ(hsm->severity, "warning");
  EXPECT_EQ(hsm->loc.ToString(), "estate.yaml:20:7");
  EXPECT_EQ(hsm->rule_loc.ToString(), "policy.yaml:10:5");
  EXPECT_EQ(hsm->policy, "policy/posture");
}

TEST_F(PostureTest, MissingRotationAndExpiryAreFindings) {
  desired_.keys["key/cmk"].value.rotation_policy.reset();
  Policy({Rule("rotation-policy-required"), Rule("rotation-interval-max", 366 * 86400, "P1Y"),
          Rule("expiry-required")});
  EXPECT_EQ(Rules(CheckPosture(desired_, nullptr, 0)),
            (std::vector<std::string>{"key/cmk expiry-required", "key/cmk rotation-interval-max",
                                      "key/cmk rotation-policy-required"}));
}

TEST_F(PostureTest, AnExemptLabelAllowsAPin) {
  auto& b = desired_.bindings["binding/data"];
  b.value.key_version = "0123456789abcdef0123456789abcdef";
  PostureRule rule = Rule("auto-bindings");
  rule.exempt_label = "pinned-reason";
  Policy({rule});
  EXPECT_EQ(CheckPosture(desired_, nullptr, 0).size(), 1u);
  b.labels["pinned-reason"] = "archived exports";
  EXPECT_TRUE(CheckPosture(desired_, nullptr, 0).empty());
}

TEST_F(PostureTest, ScopeSelectsByLabelsAndNames) {
  desired_.vaults["vault/kv"].value.purge_protection = false;
  Policy({Rule("purge-protection")}, {{"env", "dev"}});
  EXPECT_TRUE(CheckPosture(desired_, nullptr, 0).empty());
  Policy({Rule("purge-protection")}, {{"env", "prod"}});
  EXPECT_EQ(CheckPosture(desired_, nullptr, 0).size(), 1u);
  Policy({Rule("purge-protection")}, {}, {"other-kv"});
  EXPECT_TRUE(CheckPosture(desired_, nullptr, 0).empty());
  Policy({Rule("purge-protection")}, {}, {"kv"});
  EXPECT_EQ(CheckPosture(desired_, nullptr, 0).size(), 1u);
}

// The live side: what the target has, including versions older than allowed
// that are still enabled and a pin made outside the manifests.
TEST_F(PostureTest, LiveStateIsCheckedToo) {
  Policy({Rule("network-deny"), Rule("version-max-age", 365 * 86400, "P1Y", "warning"), Rule("auto-bindings")});
  LiveState live;
  VaultState lv = desired_.vaults["vault/kv"].value;
  lv.network_acls.default_action = "Allow";
  live.vaults["vault/kv"] = lv;
  KeyState lk = desired_.keys["key/cmk"].value;
  const int64_t now = 1800000000;
  KeyVersionState old, disabled, fresh;
  old.version = "aaaaaaaa000000000000000000000000";
  old.created = now - 400 * 86400;
  disabled = old;
  disabled.version = "bbbbbbbb000000000000000000000000";
  disabled.enabled = false;
  fresh.version = "cccccccc000000000000000000000000";
  fresh.created = now - 10 * 86400;
  lk.versions = {old, disabled, fresh};
  live.keys["kv/cmk"] = lk;
  ConsumerState account;
  account.name = "data01";
  account.encryption.key_version = "dddddddd000000000000000000000000";
  live.consumers["storage/data01"] = account;
  std::vector<PolicyFinding> fs = CheckPosture(desired_, &live, now);
  EXPECT_TRUE(Rules(fs, "desired").empty());
  EXPECT_EQ(Rules(fs, "live"), (std::vector<std::string>{"binding/data auto-bindings", "key/cmk version-max-age",
                                                         "vault/kv network-deny"}));
  auto age = std::find_if(fs.begin(), fs.end(), [](const PolicyFinding& f) { return f.rule == "version-max-age"; });
  EXPECT_NE(age->message.find("aaaaaaaa"), std::string::npos) << age->message;
  EXPECT_EQ(age->message.find("bbbbbbbb"), std::string::npos) << age->message;  // disabled
  EXPECT_EQ(age->message.find("cccccccc"), std::string::npos) << age->message;  // young
  // Without a clock, age is not judged.
  EXPECT_EQ(Rules(CheckPosture(desired_, &live, 0), "live").size(), 2u);
}

}  // namespace
}  // namespace cmk
