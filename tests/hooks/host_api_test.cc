// Positive tests of every cmk.* function and of the allowed libraries.
#include "hook_test_util.h"

namespace cmk {
namespace {

using HostApiTest = HookTest;

HookResult ExpectOk(const HookResult& r) {
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.failure, HookFailure::kNone);
  return r;
}

TEST_F(HostApiTest, ChangeIsReadable) {
  HookResult r = ExpectOk(Run(R"lua(
    local c = cmk.change
    assert(c.action == "update" and c.address == "key/bank-cmk" and c.kind == "Key")
    assert(c.reason == "tags.env changed")
    assert(c.before.tags.env == "dev" and c.after.tags.env == "prod")
    assert(#c.after.keyOps == 2 and c.after.keyOps[1] == "wrapKey")
    local n = 0
    for _, op in ipairs(c.after.keyOps) do n = n + 1 end
    assert(n == 2)
    local keys = {}
    for k in pairs(c) do keys[#keys + 1] = k end
    table.sort(keys)
    cmk.log.info(table.concat(keys, ","))
    assert(table.concat(c.after.keyOps, "+") == "wrapKey+unwrapKey"))lua"));
  EXPECT_EQ(r.logs, std::vector<std::string>{"info: action,address,after,before,kind,reason"});
}

TEST_F(HostApiTest, PlanSummaryAndHookInfo) {
  ExpectOk(Run(R"lua(
    assert(cmk.plan.create == 1 and cmk.plan.update == 2 and cmk.plan.delete == 0)
    assert(cmk.hook.name == "hostile" and cmk.hook.phase == "post")
    assert(cmk.hook.timeout_seconds == 30))lua"));
}

TEST_F(HostApiTest, LiveReadsThroughTheHost) {
  host_.live["key/bank-cmk"] = {{"name", "bank-cmk"}, {"versions", {{{"version", "aa"}}, {{"version", "bb"}}}}};
  ExpectOk(Run(R"lua(
    local k = cmk.live("key/bank-cmk")
    assert(k.name == "bank-cmk" and #k.versions == 2 and k.versions[2].version == "bb")
    k.name = "mine"  -- results are the script's own, writable tables
    assert(cmk.live("key/absent") == nil))lua"));
  EXPECT_EQ(host_.calls, (std::vector<std::string>{"live key/bank-cmk", "live key/absent"}));
}

TEST_F(HostApiTest, HostErrorsAreCatchableLuaErrors) {
  host_.fail_all = Unavailable("sandbox cloud is down");
  HookResult r = ExpectOk(Run(R"lua(
    local ok, err = pcall(cmk.live, "key/bank-cmk")
    assert(not ok)
    cmk.log.warn(err))lua"));
  ASSERT_EQ(r.logs.size(), 1u);
  EXPECT_TRUE(Contains(r.logs[0], "cmk.live(key/bank-cmk): unavailable: sandbox cloud is down")) << r.logs[0];
  HookResult uncaught = Run("cmk.consumers('bank-cmk')");
  EXPECT_EQ(uncaught.failure, HookFailure::kScriptError);
  EXPECT_TRUE(Contains(uncaught.message, "hook.lua:1: cmk.consumers(bank-cmk): unavailable")) << uncaught.message;
}

TEST_F(HostApiTest, Consumers) {
  host_.consumers["bank-cmk"] = Json::array({{{"account", "bankdata01"}, {"version", "aa"}, {"pinned", false}},
                                             {{"account", "bankdata02"}, {"version", "bb"}, {"pinned", true}}});
  ExpectOk(Run(R"lua(
    local list = cmk.consumers("bank-cmk")
    assert(#list == 2)
    assert(list[1].account == "bankdata01" and list[1].version == "aa" and list[1].pinned == false)
    assert(list[2].pinned == true)
    assert(#cmk.consumers("other") == 0))lua"));
}

TEST_F(HostApiTest, Verify) {
  host_.verify["bank-cmk@"] = {{"outcome", "pass"}, {"message", "wrap/unwrap ok"}, {"version", "bb"}};
  host_.verify["bank-cmk@aa"] = {{"outcome", "FAIL"}, {"message", "unwrap failed"}, {"version", "aa"}};
  ExpectOk(Run(R"lua(
    local newest = cmk.verify("bank-cmk")
    assert(newest.outcome == "pass" and newest.version == "bb")
    local old = cmk.verify("bank-cmk", "aa")
    assert(old.outcome == "FAIL" and old.message == "unwrap failed")
    assert(cmk.verify("bank-cmk", "cc").outcome == "skip"))lua"));
}

TEST_F(HostApiTest, NowComesFromTheHost) {
  host_.clock = 1234567890;
  ExpectOk(Run("assert(cmk.now() == 1234567890) assert(math.type(cmk.now()) == 'integer')"));
}

TEST_F(HostApiTest, EnvAllowListed) {
  setenv("CMK_TEST_ALLOWED", "Mon-Fri 08:00-18:00", 1);
  ExpectOk(Run("assert(cmk.env('CMK_TEST_ALLOWED') == 'Mon-Fri 08:00-18:00')"));
  unsetenv("CMK_TEST_ALLOWED");
  ExpectOk(Run("assert(cmk.env('CMK_TEST_ALLOWED') == nil)"));
}

TEST_F(HostApiTest, LogsAndPrintAreCollectedInOrder) {
  HookResult r = ExpectOk(Run(R"lua(
    cmk.log.info("one")
    cmk.log.warn("two")
    print("three", 4, true, nil, {})
    cmk.log.info(5))lua"));
  EXPECT_EQ(r.logs, (std::vector<std::string>{"info: one", "warn: two", "info: three\t4\ttrue\tnil\ttable",
                                              "info: 5"}));
  HookResult bad = Run("cmk.log.info({})");
  EXPECT_TRUE(Contains(bad.message, "cmk.log.info expects a string, got table")) << bad.message;
}

TEST_F(HostApiTest, LogsAreBounded) {
  HookResult r = ExpectOk(Run("for i = 1, 1000 do cmk.log.info(string.rep('z', 5000)) end"));
  ASSERT_EQ(r.logs.size(), kMaxLogEntries + 1);
  EXPECT_LT(r.logs[0].size(), kMaxLogMessageBytes + 64);
  EXPECT_TRUE(Contains(r.logs.back(), "log limit of 200 messages reached"));
}

TEST_F(HostApiTest, FailFailsWithItsMessage) {
  HookResult r = Run("cmk.log.info('checking') cmk.fail('consumer bankdata01 still on version aa')");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, HookFailure::kFailed);
  EXPECT_EQ(r.message, "hook 'hostile' failed: consumer bankdata01 still on version aa");
  EXPECT_EQ(r.logs, std::vector<std::string>{"info: checking"});
}

TEST_F(HostApiTest, WaitUntilSucceedsAfterPolling) {
  host_.on_sleep = [](FakeHookHost& h) {
    if (h.sleeps == 3) h.live["storage/bankdata01"] = {{"adopted", true}};
  };
  HookResult r = ExpectOk(Run(R"lua(
    local calls = 0
    local ok = cmk.wait_until(function()
      calls = calls + 1
      local s = cmk.live("storage/bankdata01")
      return s ~= nil and s.adopted
    end, 600, 5)
    assert(ok == true)
    cmk.log.info("calls=" .. calls))lua"));
  EXPECT_EQ(r.logs, std::vector<std::string>{"info: calls=4"});
  EXPECT_EQ(host_.sleeps, 3);
  EXPECT_NEAR(host_.slept, 15, 1e-9);
  EXPECT_GE(r.seconds, 15);  // simulated sleeps are charged to the hook
}

TEST_F(HostApiTest, WaitUntilArgumentChecks) {
  EXPECT_TRUE(Contains(Run("cmk.wait_until(function() end, -1, 1)").message, "timeout must be"));
  EXPECT_TRUE(Contains(Run("cmk.wait_until(function() end, 1, 0)").message, "interval must be"));
  EXPECT_TRUE(Contains(Run("cmk.wait_until(42, 1, 1)").message, "function expected"));
  // Errors inside fn propagate as script errors.
  HookResult r = Run("cmk.wait_until(function() error('probe broke') end, 10, 1)");
  EXPECT_EQ(r.failure, HookFailure::kScriptError);
  EXPECT_TRUE(Contains(r.message, "probe broke"));
}

TEST_F(HostApiTest, StandardLibrariesThatRemain) {
  ExpectOk(Run(R"lua(
    assert(string.format("%05.1f|%s", 3.14159, "x") == "003.1|x")
    assert(("a,b,c"):gsub(",", ";") == "a;b;c")
    assert(select("#", ("k=v"):match("(%w+)=(%w+)")) == 2)
    assert(math.floor(2.5) == 2 and math.maxinteger > 0)
    assert(utf8.char(72, 228) == "H\u{e4}")
    local t = {3, 1, 2}
    table.sort(t)
    table.insert(t, 4)
    assert(table.remove(t, 1) == 1 and #t == 3)
    assert(tostring(12) == "12" and tonumber("0x10") == 16)
    assert(type(pcall) == "function" and type(setmetatable) == "function")
    local mt = {__index = function(_, k) return k .. "!" end}
    assert(setmetatable({}, mt).hi == "hi!")
    assert(_VERSION == "Lua 5.4"))lua"));
}

}  // namespace
}  // namespace cmk
