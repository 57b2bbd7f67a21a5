// RunWithEvidence: no key, no run; with a key, one bundle per run holding the
// exit code, what was printed and who ran it, and the command's exit code
// passed on. The parsing of --evidence and `evidence ...` too.
#include "cli/evidence_run.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/command_line.h"
#include "cli/exit_codes.h"
#include "evidence/bundle.h"
#include "evidence/verify_chain.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class EvidenceRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "cmk-evidence-run-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    key_ = (tmp_ / "key.pem").string();
    ASSERT_TRUE(WriteNewEvidenceKey(key_).ok());
    args_.dir = (tmp_ / "ev").string();
    args_.arguments = {"drift", "-f", "m", "--client-secret", "hunter2"};
  }
  void TearDown() override { fs::remove_all(tmp_); }

  EnvGetter Env(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }

  fs::path tmp_;
  std::string key_;
  EvidenceArgs args_;
  GlobalOptions global_;
};

TEST_F(EvidenceRunTest, WithoutAKeyNothingRuns) {
  bool ran = false;
  testing::internal::CaptureStderr();
  int code = RunWithEvidence(global_, args_, "drift", [&](EvidenceRun*) { ran = true; return 0; },
                             Env({}));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitUsage);
  EXPECT_FALSE(ran);
  EXPECT_NE(err.find("CMKCTL_EVIDENCE_KEY"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(args_.dir));
}

TEST_F(EvidenceRunTest, AKeyThatDoesNotLoadStopsTheRunNamingThePath) {
  std::string bad = (tmp_ / "not-a-key.pem").string();
  std::ofstream(bad) << "not a key\n";
  bool ran = false;
  testing::internal::CaptureStderr();
  int code = RunWithEvidence(global_, args_, "drift", [&](EvidenceRun*) { ran = true; return 0; },
                             Env({{"CMKCTL_EVIDENCE_KEY", bad}}));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitUsage);
  EXPECT_FALSE(ran);
  EXPECT_NE(err.find(bad), std::string::npos) << err;
}

TEST_F(EvidenceRunTest, WithoutEvidenceTheCommandJustRuns) {
  EvidenceArgs none;
  EvidenceRun* seen = reinterpret_cast<EvidenceRun*>(1);
  int code = RunWithEvidence(global_, none, "drift", [&](EvidenceRun* e) { seen = e; return 5; },
                             Env({}));
  EXPECT_EQ(code, 5);
  EXPECT_EQ(seen, nullptr);
}

TEST_F(EvidenceRunTest, ABundlePerRunWithTheExitCodeAndWhatWasPrinted) {
  args_.key_file = key_;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int code = RunWithEvidence(global_, args_, "drift",
                             [&](EvidenceRun* e) {
                               EXPECT_NE(e, nullptr);
                               e->SetOutput(Json{{"drift", "none"}});
                               std::cout << "the command's own output\n";
                               return kExitDriftExpected;
                             },
                             Env({{"USER", "alice"}}));
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitDriftExpected);
  EXPECT_EQ(out, "the command's own output\n");
  EXPECT_NE(err.find("Evidence: " + args_.dir + "/"), std::string::npos) << err;
  auto bundles = ListBundles(args_.dir);
  ASSERT_TRUE(bundles.ok());
  ASSERT_EQ(bundles->size(), 1u);
  fs::path bundle = fs::path(args_.dir) / bundles->front();
  Json run = Json::parse(Read(bundle / "run.json"));
  EXPECT_EQ(run["exit_code"], kExitDriftExpected);
  EXPECT_EQ(run["command"], "drift");
  EXPECT_EQ(run["principal"]["kind"], "sandbox");
  EXPECT_EQ(run["principal"]["local_user"], "alice");
  EXPECT_EQ(run["arguments"], Json({"drift", "-f", "m", "--client-secret", "[redacted]"}));
  EXPECT_EQ(Read(bundle / "stdout.txt"), "the command's own output\n");
  EXPECT_EQ(Json::parse(Read(bundle / "output.json"))["drift"], "none");
  EXPECT_FALSE(Json::parse(Read(bundle / "events.json"))["available"].get<bool>());
  auto report = VerifyEvidenceDir(args_.dir, "");
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << RenderChainText(*report);
}

TEST(EvidenceCommandLine, EvidenceOptionsAndCommandsParse) {
  CommandLine drift;
  EXPECT_EQ(drift.Parse({"drift", "-f", "m", "--evidence", "ev", "--evidence-key", "k.pem"}),
            std::nullopt);
  CommandLine keygen;
  EXPECT_EQ(keygen.Parse({"evidence", "keygen", "--out", "k.pem"}), std::nullopt);
  EXPECT_EQ(keygen.command(), "evidence keygen");
  CommandLine verify;
  EXPECT_EQ(verify.Parse({"evidence", "verify", "ev", "--key", "pub.pem", "--format", "json"}),
            std::nullopt);
  EXPECT_EQ(verify.command(), "evidence verify");
}

TEST(EvidenceCommandLine, AnEvidenceKeyWithoutEvidenceIsAUsageError) {
  for (const char* verb : {"apply", "drift", "verify", "rehearse"}) {
    CommandLine cl;
    testing::internal::CaptureStderr();
    auto code = cl.Parse({verb, "-f", "m", "--evidence-key", "k.pem"});
    testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, kExitUsage) << verb;
  }
  CommandLine keygen;
  testing::internal::CaptureStderr();
  EXPECT_EQ(keygen.Parse({"evidence", "keygen"}), kExitUsage);
  testing::internal::GetCapturedStderr();
}

}  // namespace
}  // namespace cmk
