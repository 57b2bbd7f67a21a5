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
  EXPECT_EQ(j["format_version"], 2);
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
  j["format_version"] = 3;
  Result<Plan> future = PlanFromJson(j.dump());
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.status().message().find("format_version 3 is not supported"), std::string::npos);
  // A plan saved by an earlier cmkctl (format 1) is refused, not misread.
  j["format_version"] = 1;
  Result<Plan> old = PlanFromJson(j.dump());
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("format_version 1 is not supported by this cmkctl (it reads "
                                        "version 2); run plan again"),
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
  StorageAccountState& acct = l.storage_accounts["storage/bankdata01"];
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

}  // namespace
}  // namespace cmk
