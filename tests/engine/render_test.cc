#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"

#include <gtest/gtest.h>

#include "engine/diff/diff.h"
#include "scenario.h"
#include "test_util.h"
#include "model/arm_id.h"

namespace cmk {
namespace {


Plan Rich() { return Diff(RichDesired(), RichLive(), {}, kTarget); }

TEST(PlanJson, RoundTripIsByteIdentical) {
  std::string text = PlanToJsonText(Rich());
  Result<Plan> back = PlanFromJson(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(PlanToJsonText(*back), text);
  EXPECT_EQ(RenderText(*back), RenderText(Rich()));
}

TEST(PlanJson, PruneAndEmptyPlansRoundTrip) {
  DiffOptions o;
  o.prune = true;
  for (const Plan& p : {Diff(BankDesired(), RichLive(), o, kTarget),
                        Diff(DesiredState{}, LiveState{}, {}, kTarget)}) {
    std::string text = PlanToJsonText(p);
    Result<Plan> back = PlanFromJson(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(PlanToJsonText(*back), text);
  }
}

TEST(PlanJson, ContractMembers) {
  Json j = PlanToJson(Rich());
  EXPECT_EQ(j["format_version"], 3);
  EXPECT_EQ(j["tool_version"], CMK_VERSION);
  EXPECT_EQ(j["target"]["kind"], "sandbox");
  EXPECT_EQ(j["summary"]["create"], 5);
  EXPECT_EQ(j["summary"]["no_op"], 1);
  const Json& c = j["changes"][0];
  for (const char* m : {"address", "kind", "action", "reason", "reason_code", "risk", "owner",
                        "source", "before", "request", "fields", "depends_on", "hooks"})
    EXPECT_TRUE(c.contains(m)) << m;
  EXPECT_FALSE(c.contains("after"));
  EXPECT_EQ(c["kind"], "Vault");
  EXPECT_EQ(c["request"]["op"], "put-vault");
  EXPECT_EQ(c["request"]["name"], "bank-kv");
  EXPECT_EQ(c["reason_code"], "differs");
}

TEST(PlanJson, RejectsMalformedAndUnknownVersions) {
  Result<Plan> bad = PlanFromJson("{not json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("malformed plan JSON"), std::string::npos);

  Json j = PlanToJson(Rich());
  j["format_version"] = 4;
  Result<Plan> future = PlanFromJson(j.dump());
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.status().message().find("format_version 4 is not supported"), std::string::npos);
  // A plan saved by an earlier cmkctl (format 2: storage accounts only) is refused, not misread.
  j["format_version"] = 2;
  Result<Plan> old = PlanFromJson(j.dump());
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("format_version 2 is not supported by this cmkctl (it reads "
                                        "version 3); run plan again"),
            std::string::npos);

  Json missing = PlanToJson(Rich());
  missing.erase("changes");
  EXPECT_FALSE(PlanFromJson(missing.dump()).ok());

  Json wrong = PlanToJson(Rich());
  wrong["changes"][0]["action"] = "explode";
  Result<Plan> w = PlanFromJson(wrong.dump());
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("changes[0].action: unknown value \"explode\""), std::string::npos)
      << w.status().message();

  // Every request names its op; an unknown op or a request of the wrong shape is refused.
  Json op = PlanToJson(Rich());
  op["changes"][0]["request"]["op"] = "purge-vault";
  Result<Plan> o = PlanFromJson(op.dump());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("unknown request op 'purge-vault'"), std::string::npos);
  Json shape = PlanToJson(Rich());
  shape["changes"][0]["request"]["softDeleteRetentionDays"] = "ninety";
  Result<Plan> sh = PlanFromJson(shape.dump());
  ASSERT_FALSE(sh.ok());
  EXPECT_NE(sh.status().message().find("changes[0].request.softDeleteRetentionDays: expected an integer"),
            std::string::npos)
      << sh.status().message();

  Json typed = PlanToJson(Rich());
  typed["changes"][0]["reason"] = 7;
  EXPECT_FALSE(PlanFromJson(typed.dump()).ok());
  EXPECT_FALSE(PlanFromJson("[]").ok());
}

TEST(RenderText, HeaderChangesAndSummary) {
  std::string text = RenderText(Rich());
  EXPECT_EQ(text.substr(0, text.find('\n')), "Target: sandbox: .cmkctl/");
  EXPECT_NE(text.find("~ vault/bank-kv (update)"), std::string::npos);
  EXPECT_NE(text.find("+ key/bank-cmk (create)"), std::string::npos);
  EXPECT_NE(text.find("tags.env: \"dev\" \u2192 \"prod\""), std::string::npos);
  EXPECT_NE(text.find("Plan: 5 to create, 5 to update, 0 to replace, 0 to delete; 1 unchanged."),
            std::string::npos);
}

TEST(RenderText, ShortensVersionsButJsonKeepsThem) {
  LiveState l = RichLive();
  ConsumerState& acct = l.consumers["storage/bankdata01"];
  acct.encryption.key_source = "Microsoft.Keyvault";
  acct.encryption.key_vault_uri = "https://bank-kv.vault.azure.net";
  acct.encryption.key_name = "bank-cmk";
  acct.encryption.key_version = "fedcba9876543210fedcba9876543210";
  acct.encryption.user_assigned_identity = IdentityArmId(kSub, kRg, "bank-uami");
  Plan p = Diff(BankDesired(), l, {}, kTarget);
  std::string text = RenderText(p);
  EXPECT_NE(text.find("repin: keyVersion fedcba98\u2026 \u2192 auto"), std::string::npos);
  EXPECT_NE(text.find("encryption.keyVersion: \"fedcba98\u2026\" \u2192 \"\""), std::string::npos);
  EXPECT_EQ(text.find("fedcba9876543210fedcba9876543210"), std::string::npos);
  EXPECT_NE(PlanToJsonText(p).find("fedcba9876543210fedcba9876543210"), std::string::npos);
}

TEST(RenderText, EmptyPlanSaysNoChanges) {
  std::string text = RenderText(Diff(DesiredState{}, LiveState{}, {}, kTarget));
  EXPECT_NE(text.find("No changes."), std::string::npos);
  EXPECT_EQ(text.find("Plan:"), std::string::npos);
}

TEST(RenderMarkdown, TableDetailsAndEscaping) {
  Plan p = Rich();
  p.changes[0].reason = "a | b";
  std::string md = RenderMarkdown(p);
  EXPECT_NE(md.find("| | Address | Action | Risk | Owner | Reason |"), std::string::npos);
  EXPECT_NE(md.find("<details><summary><code>vault/bank-kv</code>: update"), std::string::npos);
  EXPECT_NE(md.find("a \\| b"), std::string::npos);
  EXPECT_NE(md.find("#### Errors"), std::string::npos);
}

// A plan of thousands of changes still fits a pull-request comment: counts,
// errors and blocked retirements first and whole, then as many changes as
// fit, each whole, and a line saying how many were left out and where the
// full plan is. A small plan is not cut.
TEST(RenderMarkdown, ALargePlanFitsACommentAndSaysWhatItLeftOut) {
  Plan small = Rich();
  std::string whole = RenderMarkdown(small);
  EXPECT_EQ(whole.find("Cut to fit a comment"), std::string::npos);
  EXPECT_NE(whole.find("| Action | none | low | medium | high | total |"), std::string::npos);

  Plan big = Rich();
  Change model = big.changes.front();
  for (int i = 0; i < 3000; ++i) {
    Change c = model;
    c.address = "key/generated-" + std::to_string(10000 + i);
    c.action = Action::kCreate;
    c.risk = i % 2 ? Risk::kLow : Risk::kMedium;
    c.reason = "new key in a very large estate, number " + std::to_string(i);
    big.changes.push_back(c);
  }
  big.errors.push_back(PlanMessage{"error", "key/x", "an error that must be shown in full", "m.yaml:1:1"});
  KeyVersions k;
  k.address = "key/blocked-one";
  k.blocked.push_back("blocked: version 3f2a still used by storage/x (pinned)");
  big.keys.push_back(k);
  std::string md = RenderMarkdown(big);
  EXPECT_LE(md.size(), kMarkdownBudget);
  EXPECT_NE(md.find("an error that must be shown in full"), std::string::npos);
  EXPECT_NE(md.find("#### Blocked"), std::string::npos);
  EXPECT_NE(md.find("storage/x (pinned)"), std::string::npos);
  EXPECT_NE(md.find("Cut to fit a comment"), std::string::npos);
  EXPECT_NE(md.find("plan --out plan.json"), std::string::npos);
  // Every change shown is shown whole: as many <details> as </details>.
  size_t open = 0, close = 0;
  for (size_t at = md.find("<details>"); at != std::string::npos; at = md.find("<details>", at + 1)) ++open;
  for (size_t at = md.find("</details>"); at != std::string::npos; at = md.find("</details>", at + 1)) ++close;
  EXPECT_EQ(open, close);
  EXPECT_GT(open, 10u);
  // The counts cover every change, shown or not.
  int by_risk[4] = {0, 0, 0, 0}, creates = 0;
  for (const auto& c : big.changes)
    if (c.action == Action::kCreate) {
      ++by_risk[static_cast<int>(c.risk)];
      ++creates;
    }
  std::string row = "| create | " + std::to_string(by_risk[0]) + " | " + std::to_string(by_risk[1]) + " | " +
                    std::to_string(by_risk[2]) + " | " + std::to_string(by_risk[3]) + " | " + std::to_string(creates) + " |";
  EXPECT_GE(creates, 3000);
  EXPECT_NE(md.find(row), std::string::npos) << row << "\n" << md.substr(0, 1500);
  // A tighter budget cuts more and still fits.
  EXPECT_LE(RenderMarkdown(big, 20000).size(), 20000u);
}

}  // namespace
}  // namespace cmk
