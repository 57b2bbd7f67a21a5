// Global options parse the same before the sub-command, right after it and
// at the end of the line, for every global option and every sub-command
// (docs/cli.md: "before or after the sub-command name").
#include "cli/command_line.h"

#include <gtest/gtest.h>

#include "cli/exit_codes.h"

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
  add({"--target", "azure"}, [](GlobalOptions& g) { g.target = "azure"; });
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

// Parses `args`; returns the global options with the per-command -f cleared.
GlobalOptions ParseGlobals(const Args& args, std::string* command) {
  CommandLine cl;
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
  EXPECT_EQ(checked, 13 * 10 * 3);
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
                          Args{"plan"}, Args{}}) {
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

}  // namespace
}  // namespace cmk
