// Evidence bundles: Ed25519 round trips, the chain of bundles in one
// directory, and what verification says when a bundle is changed, deleted or
// signed by another key.
#include <sys/stat.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
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

void Write(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "cmk-evidence-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    key_path_ = (tmp_ / "signing.pem").string();
    ASSERT_TRUE(WriteNewEvidenceKey(key_path_).ok());
    auto signer = LoadEvidenceSigner(key_path_);
    ASSERT_TRUE(signer.ok()) << signer.status().message();
    signer_ = std::move(signer).value();
    dir_ = (tmp_ / "evidence").string();
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // Three runs, as apply, verify and drift would write them.
  std::vector<std::string> WriteThree() {
    std::vector<std::string> names;
    for (const char* command : {"apply", "verify", "drift"}) {
      std::vector<BundleFile> files = {
          {"run.json", std::string("{\"command\": \"") + command + "\"}\n"},
          {"output.json", "{\"result\": 0}\n"}};
      auto name = WriteBundle(dir_, command, files, signer_);
      EXPECT_TRUE(name.ok()) << name.status().message();
      names.push_back(name.ok() ? *name : "");
    }
    return names;
  }

  fs::path tmp_;
  std::string key_path_;
  std::string dir_;
  EvidenceSigner signer_;
};

TEST_F(EvidenceTest, SignVerifyRoundTrip) {
  auto sig = Ed25519Sign(signer_.private_pem, "exact bytes");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(Ed25519Verify(signer_.public_pem, "exact bytes", *sig).ok());
  EXPECT_FALSE(Ed25519Verify(signer_.public_pem, "exact bytes.", *sig).ok());
  Bytes flipped = *sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(Ed25519Verify(signer_.public_pem, "exact bytes", flipped).ok());
  auto other = GenerateEd25519Key();
  ASSERT_TRUE(other.ok());
  auto other_pub = Ed25519PublicPem(*other);
  ASSERT_TRUE(other_pub.ok());
  EXPECT_FALSE(Ed25519Verify(*other_pub, "exact bytes", *sig).ok());
}

TEST_F(EvidenceTest, KeygenWritesAPrivateFileAndNeverOverwrites) {
  struct stat st {};
  ASSERT_EQ(::stat(key_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_NE(Read(key_path_).find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  Status again = WriteNewEvidenceKey(key_path_);
  EXPECT_EQ(again.code(), StatusCode::kConflict);
  EXPECT_NE(again.message().find(key_path_), std::string::npos);
}

TEST_F(EvidenceTest, LoadingAnotherKindOfKeyNamesThePath) {
  auto rsa = GenerateKey("RSA", 2048, "");
  ASSERT_TRUE(rsa.ok());
  std::string path = (tmp_ / "rsa.pem").string();
  Write(path, std::string(rsa->material.bytes().begin(), rsa->material.bytes().end()));
  auto signer = LoadEvidenceSigner(path);
  ASSERT_FALSE(signer.ok());
  EXPECT_NE(signer.status().message().find(path), std::string::npos);
  EXPECT_NE(signer.status().message().find("not an Ed25519 key"), std::string::npos);
  EXPECT_FALSE(LoadEvidenceSigner((tmp_ / "absent.pem").string()).ok());
}

TEST_F(EvidenceTest, ThreeChainedBundlesVerify) {
  std::vector<std::string> names = WriteThree();
  EXPECT_LT(names[0], names[1]);
  EXPECT_LT(names[1], names[2]);
  EXPECT_NE(names[1].find("-verify-"), std::string::npos);
  Json first = Json::parse(Read(fs::path(dir_) / names[0] / kManifestFile));
  EXPECT_TRUE(first["previous"].is_null());
  Json second = Json::parse(Read(fs::path(dir_) / names[1] / kManifestFile));
  EXPECT_EQ(second["previous"]["run"], names[0]);
  EXPECT_EQ(second["previous"]["manifest_sha256"],
            Sha256Hex(Read(fs::path(dir_) / names[0] / kManifestFile)));
  EXPECT_TRUE(second["files"].contains("signer.pub.pem"));

  auto report = VerifyEvidenceDir(dir_, "");
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->ok()) << RenderChainText(*report);
  EXPECT_EQ(report->runs.size(), 3u);
  auto with_key = VerifyEvidenceDir(dir_, signer_.public_pem);
  ASSERT_TRUE(with_key.ok());
  EXPECT_TRUE(with_key->ok()) << RenderChainText(*with_key);
}

TEST_F(EvidenceTest, OneChangedByteInTheMiddleBundleNamesThatRun) {
  std::vector<std::string> names = WriteThree();
  fs::path file = fs::path(dir_) / names[1] / "output.json";
  std::string bytes = Read(file);
  bytes[2] ^= 0x01;
  Write(file, bytes);
  auto report = VerifyEvidenceDir(dir_, "");
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  ASSERT_TRUE(report->first_broken.has_value());
  EXPECT_EQ(report->runs[*report->first_broken].run, names[1]);
  EXPECT_TRUE(report->runs[0].ok());
  EXPECT_NE(report->runs[1].problems.front().find("output.json"), std::string::npos);
  std::string text = RenderChainText(*report);
  EXPECT_NE(text.find("First broken link: " + names[1]), std::string::npos) << text;
  EXPECT_EQ(ChainJson(*report)["first_broken"]["run"], names[1]);
}

TEST_F(EvidenceTest, AChangedManifestBreaksItsSignatureAndTheNextLink) {
  std::vector<std::string> names = WriteThree();
  fs::path manifest = fs::path(dir_) / names[1] / kManifestFile;
  std::string bytes = Read(manifest);
  bytes.back() = ' ';
  Write(manifest, bytes);
  auto report = VerifyEvidenceDir(dir_, "");
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->first_broken.has_value());
  EXPECT_EQ(*report->first_broken, 1u);
  EXPECT_NE(report->runs[1].problems.front().find("manifest.sig does not verify"), std::string::npos);
  ASSERT_FALSE(report->runs[2].ok());
  EXPECT_NE(report->runs[2].problems.front().find("chain: manifest.json of " + names[1]),
            std::string::npos);
}

TEST_F(EvidenceTest, DeletingTheMiddleBundleBreaksTheChainNamingTheLink) {
  std::vector<std::string> names = WriteThree();
  fs::remove_all(fs::path(dir_) / names[1]);
  auto report = VerifyEvidenceDir(dir_, "");
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->first_broken.has_value());
  const BundleCheck& broken = report->runs[*report->first_broken];
  EXPECT_EQ(broken.run, names[2]);
  EXPECT_EQ(broken.problems.front(), "chain: the previous run is " + names[1] +
                                         " (missing), but the run before it in the directory is " +
                                         names[0]);
}

TEST_F(EvidenceTest, DeletingTheFirstBundleIsNoticed) {
  std::vector<std::string> names = WriteThree();
  fs::remove_all(fs::path(dir_) / names[0]);
  auto report = VerifyEvidenceDir(dir_, "");
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->first_broken.has_value());
  EXPECT_EQ(report->runs[*report->first_broken].run, names[1]);
}

TEST_F(EvidenceTest, AWrongExpectedKeyFails) {
  WriteThree();
  auto other = GenerateEd25519Key();
  ASSERT_TRUE(other.ok());
  auto other_pub = Ed25519PublicPem(*other);
  ASSERT_TRUE(other_pub.ok());
  auto report = VerifyEvidenceDir(dir_, *other_pub);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  ASSERT_TRUE(report->first_broken.has_value());
  EXPECT_EQ(*report->first_broken, 0u);
  EXPECT_NE(report->runs[0].problems.front().find("another key"), std::string::npos);
}

TEST_F(EvidenceTest, ABundleResignedWithAnotherKeyFailsOnlyAgainstTheExpectedKey) {
  std::vector<std::string> names = WriteThree();
  // Someone rewrites the middle bundle and signs it with their own key.
  auto other = GenerateEd25519Key();
  ASSERT_TRUE(other.ok());
  auto other_pub = Ed25519PublicPem(*other);
  ASSERT_TRUE(other_pub.ok());
  fs::path bundle = fs::path(dir_) / names[1];
  std::string manifest = Read(bundle / kManifestFile);
  Write(bundle / kPublicKeyFile, *other_pub);
  Json m = Json::parse(manifest);
  m["files"][kPublicKeyFile] = Sha256Hex(*other_pub);
  manifest = m.dump(2) + "\n";
  Write(bundle / kManifestFile, manifest);
  auto sig = Ed25519Sign(*other, manifest);
  ASSERT_TRUE(sig.ok());
  Write(bundle / kSignatureFile, std::string(sig->begin(), sig->end()));
  auto expected = VerifyEvidenceDir(dir_, signer_.public_pem);
  ASSERT_TRUE(expected.ok());
  ASSERT_TRUE(expected->first_broken.has_value());
  EXPECT_EQ(expected->runs[*expected->first_broken].run, names[1]);
  EXPECT_NE(expected->runs[1].problems.front().find("another key"), std::string::npos);
}

TEST_F(EvidenceTest, AnUnlistedFileAndAMissingSignatureAreProblems) {
  std::vector<std::string> names = WriteThree();
  Write(fs::path(dir_) / names[0] / "extra.txt", "added later");
  fs::remove(fs::path(dir_) / names[2] / kSignatureFile);
  auto report = VerifyEvidenceDir(dir_, "");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->runs[0].problems.front(), "extra.txt is not listed in manifest.json");
  EXPECT_FALSE(report->runs[2].ok());
  EXPECT_NE(report->runs[2].problems.front().find("not signed"), std::string::npos);
}

TEST_F(EvidenceTest, AnEmptyDirectoryProvesNothing) {
  fs::create_directories(dir_);
  auto report = VerifyEvidenceDir(dir_, "");
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  EXPECT_FALSE(VerifyEvidenceDir((tmp_ / "absent").string(), "").ok());
}

TEST_F(EvidenceTest, RunsWritingAtOnceStillFormOneChain) {
  std::vector<std::thread> writers;
  for (int i = 0; i < 6; ++i)
    writers.emplace_back([this] {
      auto name = WriteBundle(dir_, "drift", {{"run.json", "{}\n"}}, signer_);
      EXPECT_TRUE(name.ok()) << name.status().message();
    });
  for (auto& t : writers) t.join();
  auto report = VerifyEvidenceDir(dir_, signer_.public_pem);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->runs.size(), 6u);
  EXPECT_TRUE(report->ok()) << RenderChainText(*report);
}

TEST_F(EvidenceTest, NoPrivateKeyMaterialInABundle) {
  std::vector<std::string> names = WriteThree();
  std::string pem = Read(key_path_);
  // The PEM body and the raw 32-byte seed (the end of the PKCS#8 DER).
  std::string body;
  std::istringstream lines(pem);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("-----", 0) != 0) body += line;
  auto der = Base64AnyDecode(body);
  ASSERT_TRUE(der.ok());
  ASSERT_GE(der->size(), 32u);
  std::string seed(der->end() - 32, der->end());
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::string bytes = Read(entry.path());
    EXPECT_EQ(bytes.find("PRIVATE KEY"), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(body.substr(0, 40)), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(seed), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace cmk
