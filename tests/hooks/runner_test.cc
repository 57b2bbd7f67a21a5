// RunHook's plumbing and CheckHookScript.
#include "hook_test_util.h"

#include "base/strings.h"

namespace cmk {
namespace {

using RunnerTest = HookTest;

TEST_F(RunnerTest, PassingHook) {
  HookResult r = Run("cmk.log.info('fine')");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.hook, "hostile");
  EXPECT_EQ(r.message, "hook 'hostile' passed");
  EXPECT_EQ(r.logs, std::vector<std::string>{"info: fine"});
}

TEST_F(RunnerTest, ScriptErrorCarriesFileAndLine) {
  HookResult r = Run("local x = 1\nlocal y = nil + x\n");
  EXPECT_EQ(r.failure, HookFailure::kScriptError);
  EXPECT_EQ(r.message, "hook 'hostile' error: hook.lua:2: attempt to perform arithmetic on a nil value");
}

TEST_F(RunnerTest, CheckHookScriptReportsFileLine) {
  std::string good = WriteScript("good.lua", "local x = 1\nreturn x\n");
  EXPECT_TRUE(CheckHookScript(good).ok());
  std::string bad = WriteScript("bad.lua", "local x = 1\nlocal = 2\n");
  Status s = CheckHookScript(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), bad + ":2: <name> expected near '='");
  Status missing = CheckHookScript(dir_ + "/nope.lua");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), dir_ + "/nope.lua: hook script not found");
  Status directory = CheckHookScript(dir_);
  EXPECT_TRUE(Contains(directory.message(), "not a regular file"));
  // Checking never runs the script.
  std::string loop = WriteScript("loop.lua", "while true do end");
  EXPECT_TRUE(CheckHookScript(loop).ok());
}

TEST_F(RunnerTest, SyntaxErrorFailsTheRunAsLoad) {
  HookResult r = Run("if then");
  EXPECT_EQ(r.failure, HookFailure::kLoad);
  EXPECT_EQ(r.message, "hook 'hostile': hook.lua:1: unexpected symbol near 'then'");
}

TEST_F(RunnerTest, RollbackScript) {
  spec_ = Spec(WriteScript("main.lua", "cmk.fail('main ran')"));
  spec_.rollback_script = WriteScript("rollback.lua", "cmk.log.info('rolling back ' .. cmk.change.address)");
  HookRunInput input;
  input.spec = &spec_;
  input.change = DefaultChange();
  input.rollback_script = true;
  HookResult r = RunHook(input, host_);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.logs, std::vector<std::string>{"info: rolling back key/bank-cmk"});
  spec_.rollback_script.clear();
  HookResult none = RunHook(input, host_);
  EXPECT_EQ(none.failure, HookFailure::kLoad);
  EXPECT_EQ(none.message, "hook 'hostile' has no rollback script");
}

TEST_F(RunnerTest, TimeoutSecondsCapsTheWallClock) {
  spec_ = Spec(WriteScript("wait.lua", "cmk.wait_until(function() return false end, 3600, 1)"));
  spec_.timeout_seconds = 3;
  HookRunInput input;
  input.spec = &spec_;
  HookResult r = RunHook(input, host_);
  EXPECT_EQ(r.failure, HookFailure::kWallClock);
  EXPECT_EQ(r.message, "hook 'hostile' stopped: wall-clock limit of 3 s exceeded");
  EXPECT_LE(host_.slept, 3.0 + 1e-9);
}

TEST_F(RunnerTest, FreshStatePerRun) {
  // Nothing survives between runs (globals are locked anyway; the string
  // library table is writable by a script, but only in its own state).
  EXPECT_TRUE(Run("string.upper = nil").ok);
  EXPECT_TRUE(Run("assert(string.upper('a') == 'A')").ok);
}

// A hook allowed to read a secret cannot print it: its logs and failure go
// where logs go, with the values of secret-looking variables masked.
TEST_F(RunnerTest, SecretsAHookMayReadAreMaskedInItsOutput) {
  setenv("CMK_TEST_CLIENT_SECRET", "s3cr3t-Value-42", 1);
  setenv("CMK_TEST_REGION", "westeurope", 1);
  spec_ = Spec(WriteScript("leak.lua",
                           "local s = cmk.env('CMK_TEST_CLIENT_SECRET')\n"
                           "print('secret is ' .. s)\n"
                           "cmk.log.warn('region ' .. cmk.env('CMK_TEST_REGION'))\n"
                           "cmk.fail('cannot go on with ' .. s)\n"));
  spec_.env = {"CMK_TEST_CLIENT_SECRET", "CMK_TEST_REGION"};
  HookRunInput input;
  input.spec = &spec_;
  input.change = DefaultChange();
  HookResult r = RunHook(input, host_);
  unsetenv("CMK_TEST_CLIENT_SECRET");
  unsetenv("CMK_TEST_REGION");
  EXPECT_EQ(r.failure, HookFailure::kFailed);
  EXPECT_EQ(r.message, "hook 'hostile' failed: cannot go on with [redacted]");
  EXPECT_EQ(r.logs, (std::vector<std::string>{"info: secret is [redacted]", "warn: region westeurope"}));
}

// Whatever bytes a hook prints, its output is valid UTF-8 without control
// characters (it reaches JSON reports and terminals).
TEST_F(RunnerTest, HookOutputIsMadeSafeText) {
  HookResult r = Run("cmk.log.info('bad \\255 byte and \\27[31m escape')");
  EXPECT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.logs.size(), 1u);
  EXPECT_EQ(r.logs[0], "info: bad \xEF\xBF\xBD byte and \\x1b[31m escape");
  EXPECT_FALSE(FindTextFault(r.logs[0]).has_value());
}

}  // namespace
}  // namespace cmk
