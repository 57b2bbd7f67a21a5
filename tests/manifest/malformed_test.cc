// Golden tests over tests/malformed/: every NN-name.yaml must fail to load,
// without crashing, with exactly the diagnostics in NN-name.expected.
// CMK_UPDATE_GOLDEN=1 rewrites the expected files (review them by eye).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "manifest/loader.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> MalformedFiles() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(CMK_MALFORMED_DIR))
    if (e.path().extension() == ".yaml") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MalformedTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    saved_ = fs::current_path();
    fs::current_path(CMK_MALFORMED_DIR);  // so that rendered paths are relative
  }
  void TearDown() override { fs::current_path(saved_); }
  fs::path saved_;
};

TEST_P(MalformedTest, RendersExpectedDiagnostics) {
  const std::string file = GetParam();
  LoadOptions options;
  // The corpus keeps its "oversized" file small: the limit is lowered here.
  options.max_file_bytes = 16 * 1024;
  LoadResult result = LoadManifests({file}, options);
  EXPECT_FALSE(result.ok()) << file << " loaded without errors";
  std::string rendered = RenderAll(result.diagnostics);
  fs::path expected_path = fs::path(file).replace_extension(".expected");
  const char* update = std::getenv("CMK_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(expected_path, std::ios::binary) << rendered;
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path << " is missing";
  EXPECT_EQ(rendered, ReadFile(expected_path)) << "for " << file;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return "f" + name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, MalformedTest, ::testing::ValuesIn(MalformedFiles()), TestName);

TEST(MalformedCorpusTest, HasAtLeast45Cases) { EXPECT_GE(MalformedFiles().size(), 45u); }

}  // namespace
}  // namespace cmk
