// Global options parse the same before the sub-command, right after it and
// at the end of the line, for every global option and every sub-command
// (docs/cli.md: "before or after the sub-command name").
#include "cli/command_line.h"

#include <gtest/gtest.h>

#include "cli/exit_codes.h"

#include <map>

namespace cmk {
namespace {

using Args = std::vector<std::string>;

struct Verb {
  Args path;  // the sub-command names
  Args rest;  // its own arguments
};

const std::vector<Verb>& Verbs() {
  static const std::vector<Verb> verbs = {
      {{"validate"}, {"-f", "m"}},
      {{"plan"}, {"-f", "m", "--format", "json"}},
      {{"apply"}, {"-f", "m", "--auto-approve"}},
      {{"apply"}, {"plan.json"}},
      {{"show"}, {"-f", "m"}},
      {{"verify"}, {"-f", "m", "--all-versions"}},
      {{"rehearse"}, {"-f", "m", "--until", "P1Y", "--step", "P1M"}},
      {{"sandbox", "seed"}, {"seed.yaml"}},
      {{"sandbox", "events"}, {"--kind", "storage"}},
      {{"sandbox", "clock", "show"}, {}},
      {{"sandbox", "clock", "advance"}, {"P1D"}},
      {{"sandbox", "clock", "set"}, {"2027-01-01T00:00:00Z"}},
      {{"sandbox", "serve"}, {"--port", "8443"}},
  };
  return verbs;
}

struct Global {
  Args args;
  GlobalOptions expect;  // the options these args set
};

std::vector<Global> Globals() {
  std::vector<Global> out;
  auto add = [&](Args args, auto set) {
    GlobalOptions g;
    set(g);
    out.push_back({std::move(args), g});
  };
  add({"--target", "azure"}, [](GlobalOptions& g) {
    g.target = "azure";
    g.target_source = TargetSource::kFlag;
  });
  add({"--target", "sandbox"}, [](GlobalOptions& g) { g.target_source = TargetSource::kFlag; });
  add({"--sandbox", "/tmp/sbx"}, [](GlobalOptions& g) { g.sandbox_dir = "/tmp/sbx"; });
  add({"-v"}, [](GlobalOptions& g) { g.verbosity = 1; });
  add({"-vv"}, [](GlobalOptions& g) { g.verbosity = 2; });
  add({"--verbose"}, [](GlobalOptions& g) { g.verbosity = 1; });
  add({"--arm-endpoint", "https://arm.example"},
      [](GlobalOptions& g) { g.arm_endpoint = "https://arm.example"; });
  add({"--vault-dns-suffix", "vault.example:8443"},
      [](GlobalOptions& g) { g.vault_dns_suffix = "vault.example:8443"; });
  add({"--authority-host", "https://login.example"},
      [](GlobalOptions& g) { g.authority_host = "https://login.example"; });
  add({"--ca-bundle", "/tmp/ca.pem"}, [](GlobalOptions& g) { g.ca_bundle = "/tmp/ca.pem"; });
  add({"--credential", "azure-cli"}, [](GlobalOptions& g) { g.credential = "azure-cli"; });
  add({"--credential", "client-certificate"},
      [](GlobalOptions& g) { g.credential = "client-certificate"; });
  add({"--cloud", "AzureChinaCloud"}, [](GlobalOptions& g) { g.cloud = "AzureChinaCloud"; });
  add({"--cloud", "usgovernment"}, [](GlobalOptions& g) { g.cloud = "usgovernment"; });
  return out;
}

Args Concat(std::initializer_list<const Args*> parts) {
  Args out;
  for (const Args* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

std::string Join(const Args& a) {
  std::string out;
  for (const auto& s : a) out += (out.empty() ? "" : " ") + s;
  return out;
}

// An environment with only `vars` set.
EnvGetter FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// Parses `args`; returns the global options with the per-command -f cleared.
GlobalOptions ParseGlobals(const Args& args, std::string* command) {
  CommandLine cl(FakeEnv());
  std::optional<int> exit_code = cl.Parse(args);
  EXPECT_FALSE(exit_code.has_value()) << "refused: cmkctl " << Join(args);
  *command = cl.command();
  GlobalOptions g = cl.global();
  g.files.clear();
  return g;
}

TEST(CommandLine, EveryGlobalOptionInEveryPosition) {
  int checked = 0;
  for (const Verb& verb : Verbs()) {
    const std::string want_command = Join(verb.path);
    for (const Global& global : Globals()) {
      const Args lines[] = {
          Concat({&global.args, &verb.path, &verb.rest}),  // before the verb
          Concat({&verb.path, &global.args, &verb.rest}),  // right after it
          Concat({&verb.path, &verb.rest, &global.args}),  // at the end
      };
      for (const Args& line : lines) {
        SCOPED_TRACE("cmkctl " + Join(line));
        std::string command;
        GlobalOptions got = ParseGlobals(line, &command);
        EXPECT_EQ(command, want_command);
        EXPECT_EQ(got, global.expect);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 13 * 14 * 3);
}

TEST(CommandLine, OptionsOnBothSidesCombine) {
  std::string command;
  GlobalOptions g = ParseGlobals(
      {"--sandbox", "/tmp/a", "plan", "-f", "m", "-v", "--target", "azure"}, &command);
  EXPECT_EQ(command, "plan");
  EXPECT_EQ(g.sandbox_dir, "/tmp/a");
  EXPECT_EQ(g.target, "azure");
  EXPECT_EQ(g.verbosity, 1);
}

TEST(CommandLine, FilesAreTheCommandsOwn) {
  CommandLine cl;
  ASSERT_FALSE(cl.Parse(Args{"plan", "-f", "a", "--sandbox", "d", "-f", "b"}).has_value());
  EXPECT_EQ(cl.global().files, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cl.global().sandbox_dir, "d");
}

TEST(CommandLine, UnknownOptionsAreStillUsageErrors) {
  for (const Args& bad : {Args{"plan", "-f", "m", "--no-such-flag"}, Args{"--no-such-flag", "plan", "-f", "m"},
                          Args{"plan", "-f", "m", "--target", "gcp"}, Args{"sandbox", "clock", "show", "--bogus"},
                          Args{"plan"}, Args{}, Args{"--cloud", "AzureGermanCloud", "plan", "-f", "m"},
                          Args{"plan", "-f", "m", "--credential", "environment"}}) {
    SCOPED_TRACE(Join(bad));
    CommandLine cl;
    testing::internal::CaptureStderr();
    testing::internal::CaptureStdout();
    std::optional<int> code = cl.Parse(bad);
    testing::internal::GetCapturedStderr();
    testing::internal::GetCapturedStdout();
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, kExitUsage);
  }
}

TEST(CommandLine, VersionAndHelpExitZero) {
  for (const Args& line : {Args{"--version"}, Args{"--help"}, Args{"plan", "--help"}}) {
    CommandLine cl;
    testing::internal::CaptureStdout();
    std::optional<int> code = cl.Parse(line);
    std::string out = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(code.has_value()) << Join(line);
    EXPECT_EQ(*code, kExitOk);
    EXPECT_FALSE(out.empty());
  }
}

// CMKCTL_TARGET chooses the target like --target; the flag wins; a value
// that is neither target is a usage error, as a bad --target is.
TEST(CommandLine, TargetFromTheEnvironment) {
  CommandLine env_only(FakeEnv({{"CMKCTL_TARGET", "azure"}}));
  ASSERT_FALSE(env_only.Parse(Args{"plan", "-f", "m"}).has_value());
  EXPECT_EQ(env_only.global().target, "azure");
  EXPECT_EQ(env_only.global().target_source, TargetSource::kEnvironment);

  CommandLine flag_wins(FakeEnv({{"CMKCTL_TARGET", "azure"}}));
  ASSERT_FALSE(flag_wins.Parse(Args{"plan", "-f", "m", "--target", "sandbox"}).has_value());
  EXPECT_EQ(flag_wins.global().target, "sandbox");
  EXPECT_EQ(flag_wins.global().target_source, TargetSource::kFlag);

  CommandLine neither(FakeEnv());
  ASSERT_FALSE(neither.Parse(Args{"plan", "-f", "m"}).has_value());
  EXPECT_EQ(neither.global().target, "sandbox");
  EXPECT_EQ(neither.global().target_source, TargetSource::kDefault);

  CommandLine bad(FakeEnv({{"CMKCTL_TARGET", "gcp"}}));
  testing::internal::CaptureStderr();
  std::optional<int> code = bad.Parse(Args{"plan", "-f", "m"});
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, kExitUsage);
  EXPECT_NE(err.find("CMKCTL_TARGET"), std::string::npos) << err;
}

// In CI, a target nobody chose is refused with a message naming both flags;
// a chosen one (flag or CMKCTL_TARGET) is fine, and so is any target outside CI.
TEST(CommandLine, CiRefusesATargetNobodyChose) {
  GlobalOptions by_default;
  by_default.sandbox_dir = "/tmp/sbx";
  for (const auto& ci : std::vector<std::map<std::string, std::string>>{
           {{"CI", "true"}}, {{"CI", "1"}}, {{"CI", "TRUE"}}, {{"TF_BUILD", "True"}}}) {
    Status s = CheckTargetChosen(by_default, FakeEnv(ci));
    ASSERT_FALSE(s.ok()) << ci.begin()->first << "=" << ci.begin()->second;
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("--target sandbox"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("--target azure"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("/tmp/sbx"), std::string::npos) << s.message();
  }
  for (const auto& not_ci : std::vector<std::map<std::string, std::string>>{
           {}, {{"CI", "false"}}, {{"CI", "0"}}, {{"CI", ""}}})
    EXPECT_TRUE(CheckTargetChosen(by_default, FakeEnv(not_ci)).ok());
  for (TargetSource chosen : {TargetSource::kFlag, TargetSource::kEnvironment}) {
    GlobalOptions g;
    g.target_source = chosen;
    EXPECT_TRUE(CheckTargetChosen(g, FakeEnv({{"CI", "true"}})).ok());
  }
}

}  // namespace
}  // namespace cmk
