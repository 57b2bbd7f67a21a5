// The example hooks in hooks/examples/, each passing and failing against a
// FakeHookHost.
#include "hook_test_util.h"

namespace cmk {
namespace {

const char kV1[] = "11111111111111111111111111111111";
const char kV2[] = "22222222222222222222222222222222";

class ExampleTest : public HookTest {
 protected:
  HookResult RunExample(const std::string& file, Json change, std::vector<std::string> env = {}) {
    spec_ = Spec(std::string(CMK_HOOK_EXAMPLES_DIR) + "/" + file, "example");
    spec_.env = std::move(env);
    HookRunInput input;
    input.spec = &spec_;
    input.change = std::move(change);
    input.plan_summary = {{"create", 0}, {"update", 1}};
    return RunHook(input, host_);
  }

  static Json StorageReporting(const std::string& version) {
    return {{"name", "acct"},
            {"encryption",
             {{"keySource", "Microsoft.Keyvault"},
              {"currentVersionedKeyIdentifier", "https://bank-kv.vault.azure.net/keys/bank-cmk/" + version}}}};
  }

  void SeedKeyWithTwoVersions() {
    host_.live["key/bank-cmk"] = {{"name", "bank-cmk"},
                                  {"versions", {{{"version", kV1}}, {{"version", kV2}}}}};
  }

  static Json RotateChange() {
    // As the planner gives a rotation (RotateToGeneration): the key is cmk.change.key.
    return {{"action", "rotate"}, {"address", "key/bank-cmk/rotate"}, {"kind", "Key"}, {"key", "bank-cmk"},
            {"vault", "bank-kv"}, {"reason_code", "rotate"},
            {"after", {{"generation", 2}, {"key", "bank-cmk"}, {"vault", "bank-kv"}}}};
  }
};

TEST_F(ExampleTest, AllExamplesLoad) {
  for (const char* f : {"wait-for-storage-adoption.lua", "canary-before-disable.lua", "change-window.lua",
                        "require-owner-label.lua"}) {
    Status s = CheckHookScript(std::string(CMK_HOOK_EXAMPLES_DIR) + "/" + f);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

TEST_F(ExampleTest, StorageAdoptionWaitsForRotation) {
  SeedKeyWithTwoVersions();
  host_.consumers["bank-cmk"] = Json::array({{{"account", "bankdata01"}, {"version", kV1}, {"pinned", false}},
                                             {{"account", "bankdata02"}, {"version", kV1}, {"pinned", false}},
                                             {{"account", "archive01"}, {"version", kV1}, {"pinned", true}}});
  host_.live["storage/bankdata01"] = StorageReporting(kV1);
  host_.live["storage/bankdata02"] = StorageReporting(kV2);
  host_.on_sleep = [](FakeHookHost& h) {
    if (h.sleeps == 2) h.live["storage/bankdata01"] = StorageReporting(kV2);
  };
  HookResult r = RunExample("wait-for-storage-adoption.lua", RotateChange());
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(host_.sleeps, 2);
  ASSERT_EQ(r.logs.size(), 2u);
  EXPECT_TRUE(Contains(r.logs[0], "archive01 is pinned"));
  EXPECT_EQ(r.logs[1], "info: every consumer of bank-cmk reports the expected version");
}

// Storage adopts a new version within 24 hours, longer than a hook may
// wait: a rotation still pending is reported, not failed (the old version
// stays enabled until the account moves).
TEST_F(ExampleTest, StorageAdoptionStillPendingAfterARotationIsAWarning) {
  SeedKeyWithTwoVersions();
  host_.consumers["bank-cmk"] = Json::array({{{"account", "bankdata01"}, {"version", kV1}, {"pinned", false}}});
  host_.live["storage/bankdata01"] = StorageReporting(kV1);
  HookResult r = RunExample("wait-for-storage-adoption.lua", RotateChange());
  EXPECT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.logs.size(), 1u);
  EXPECT_EQ(r.logs[0], std::string("warn: adoption pending after 25 s (Storage moves within 24 hours; the old "
                                   "version stays enabled until then): bankdata01 reports ") +
                           kV1 + ", expected " + kV2);
  EXPECT_NEAR(host_.slept, 25, 0.5);  // real time spent polling counts too
}

TEST_F(ExampleTest, StorageAdoptionForAPinnedBinding) {
  SeedKeyWithTwoVersions();
  host_.live["storage/bankdata01"] = StorageReporting(kV1);
  Json change = {{"action", "update"},
                 {"address", "binding/bankdata01"},
                 {"kind", "StorageCmkBinding"}, {"key", "bank-cmk"}, {"vault", "bank-kv"},
                 {"after", {{"storageAccount", "bankdata01"}, {"key", "bank-cmk"}, {"keyVersion", kV1}}}};
  HookResult r = RunExample("wait-for-storage-adoption.lua", change);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(host_.sleeps, 0);
  change["after"]["keyVersion"] = "auto";  // follows the newest: kV2
  HookResult lagging = RunExample("wait-for-storage-adoption.lua", change);
  EXPECT_EQ(lagging.failure, HookFailure::kFailed);
  EXPECT_TRUE(Contains(lagging.message, std::string("expected ") + kV2)) << lagging.message;
}

TEST_F(ExampleTest, CanaryPassesWhenEveryUsedVersionPasses) {
  host_.consumers["bank-cmk"] = Json::array({{{"account", "a"}, {"version", kV2}, {"pinned", false}},
                                             {{"account", "b"}, {"version", kV1}, {"pinned", true}},
                                             {{"account", "c"}, {"version", kV2}, {"pinned", false}}});
  host_.verify[std::string("bank-cmk@") + kV1] = {{"outcome", "pass"}, {"message", "ok"}};
  host_.verify[std::string("bank-cmk@") + kV2] = {{"outcome", "pass"}, {"message", "ok"}};
  Json change = {{"action", "update"}, {"address", "key/bank-cmk"}, {"kind", "Key"}, {"key", "bank-cmk"}, {"vault", "bank-kv"},
                 {"before", {{"name", "bank-cmk"}}}, {"after", {{"name", "bank-cmk"}}}};
  HookResult r = RunExample("canary-before-disable.lua", change);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.logs.size(), 2u);  // one per distinct version, sorted
  EXPECT_EQ(host_.calls, (std::vector<std::string>{"consumers bank-cmk", std::string("verify bank-cmk@") + kV1,
                                                   std::string("verify bank-cmk@") + kV2}));
}

TEST_F(ExampleTest, CanaryFailsWhenAVersionFails) {
  host_.consumers["bank-cmk"] = Json::array({{{"account", "a"}, {"version", kV1}, {"pinned", true}}});
  host_.verify[std::string("bank-cmk@") + kV1] = {{"outcome", "FAIL"}, {"message", "unwrap mismatch"}};
  Json change = {{"action", "update"}, {"address", "key/bank-cmk"}, {"kind", "Key"}, {"key", "bank-cmk"}, {"vault", "bank-kv"},
                 {"after", {{"name", "bank-cmk"}}}};
  HookResult r = RunExample("canary-before-disable.lua", change);
  EXPECT_EQ(r.failure, HookFailure::kFailed);
  EXPECT_EQ(r.message, std::string("hook 'example' failed: canary failed for bank-cmk (") + kV1 +
                           ": unwrap mismatch)");
}

class ChangeWindowTest : public ExampleTest {
 protected:
  HookResult RunAt(double unix_seconds, const char* window) {
    host_.clock = unix_seconds;
    if (window) setenv("CMK_CHANGE_WINDOW", window, 1);
    else unsetenv("CMK_CHANGE_WINDOW");
    HookResult r = RunExample("change-window.lua", RotateChange(), {"CMK_CHANGE_WINDOW"});
    unsetenv("CMK_CHANGE_WINDOW");
    return r;
  }
  static constexpr double kWed1000 = 1704276000;              // Wed 2024-01-03 10:00 UTC
  static constexpr double kSat1000 = kWed1000 + 3 * 86400;    // Sat 2024-01-06 10:00 UTC
  static constexpr double kWed2300 = kWed1000 + 13 * 3600;    // Wed 23:00
  static constexpr double kSat0300 = kSat1000 - 7 * 3600;     // Sat 03:00 (Fri night)
};

TEST_F(ChangeWindowTest, InsideTheWindow) {
  HookResult r = RunAt(kWed1000, "Mon-Fri 08:00-18:00");
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.logs, std::vector<std::string>{
                        "info: inside the change window 'Mon-Fri 08:00-18:00' (now Wed 10:00 UTC)"});
}

TEST_F(ChangeWindowTest, OutsideTheWindow) {
  HookResult r = RunAt(kSat1000, "Mon-Fri 08:00-18:00");
  EXPECT_EQ(r.failure, HookFailure::kFailed);
  EXPECT_EQ(r.message,
            "hook 'example' failed: outside the change window 'Mon-Fri 08:00-18:00' (now Sat 10:00 UTC)");
  EXPECT_FALSE(RunAt(kWed2300, "Mon-Fri 08:00-18:00").ok);
  EXPECT_TRUE(RunAt(kSat1000, "Sat,Sun 00:00-24:00").ok);
}

TEST_F(ChangeWindowTest, OvernightWindow) {
  EXPECT_TRUE(RunAt(kWed2300, "Mon-Fri 22:00-06:00").ok);
  EXPECT_TRUE(RunAt(kSat0300, "Mon-Fri 22:00-06:00").ok);  // Friday's window
  EXPECT_FALSE(RunAt(kWed1000, "Mon-Fri 22:00-06:00").ok);
}

TEST_F(ChangeWindowTest, MissingOrMalformedWindow) {
  HookResult unset = RunAt(kWed1000, nullptr);
  EXPECT_TRUE(Contains(unset.message, "CMK_CHANGE_WINDOW is not set")) << unset.message;
  HookResult bad = RunAt(kWed1000, "weekdays 9-5");
  EXPECT_TRUE(Contains(bad.message, "is not like 'Mon-Fri 08:00-18:00'")) << bad.message;
  HookResult day = RunAt(kWed1000, "Mon-Fry 08:00-18:00");
  EXPECT_TRUE(Contains(day.message, "unknown day 'Mon-Fry'")) << day.message;
}

TEST_F(ExampleTest, ChangeWindowNeedsTheEnvAllowListed) {
  setenv("CMK_CHANGE_WINDOW", "Mon-Fri 08:00-18:00", 1);
  HookResult r = RunExample("change-window.lua", RotateChange(), {});
  unsetenv("CMK_CHANGE_WINDOW");
  EXPECT_EQ(r.failure, HookFailure::kScriptError);
  EXPECT_TRUE(Contains(r.message, "environment variable CMK_CHANGE_WINDOW is not allow-listed for hook example"));
}

TEST_F(ExampleTest, RequireOwnerLabel) {
  Json change = {{"action", "create"}, {"address", "key/bank-cmk"}, {"kind", "Key"}, {"key", "bank-cmk"}, {"vault", "bank-kv"},
                 {"after", {{"name", "bank-cmk"}, {"tags", {{"owner", "payments-team"}}}}}};
  HookResult tagged = RunExample("require-owner-label.lua", change);
  EXPECT_TRUE(tagged.ok) << tagged.message;
  EXPECT_EQ(tagged.logs, std::vector<std::string>{"info: key/bank-cmk is owned by payments-team"});

  change["after"] = {{"name", "bank-cmk"}, {"labels", {{"owner", "risk"}}}};
  EXPECT_TRUE(RunExample("require-owner-label.lua", change).ok);

  change["after"] = {{"name", "bank-cmk"}, {"tags", {{"env", "prod"}}}};
  HookResult missing = RunExample("require-owner-label.lua", change);
  EXPECT_EQ(missing.failure, HookFailure::kFailed);
  EXPECT_EQ(missing.message,
            "hook 'example' failed: key/bank-cmk carries no owner label (labels.owner or tags.owner)");

  Json deletion = {{"action", "delete"}, {"address", "key/old"}, {"kind", "Key"}, {"before", {{"name", "old"}}}};
  EXPECT_TRUE(RunExample("require-owner-label.lua", deletion).ok);
}

}  // namespace
}  // namespace cmk
