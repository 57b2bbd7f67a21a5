// Golden files for everything a user reads from a plan. CMK_UPDATE_GOLDEN=1
// rewrites them; review the diff by eye before committing.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "engine/diff.h"
#include "engine/render.h"
#include "scenario.h"
#include "test_util.h"

namespace cmk {
namespace {

void CompareGolden(const std::string& name, const std::string& actual) {
  std::string path = std::string(CMK_GOLDEN_DIR) + "/" + name;
  if (std::getenv("CMK_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; run with CMK_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "golden file " << path
                                    << " differs; CMK_UPDATE_GOLDEN=1 rewrites it";
}


TEST(Golden, RichPlan) {
  Plan p = Diff(test::RichDesired(), test::RichLive(), {}, test::kTarget);
  ASSERT_TRUE(p.HasErrors());
  ASSERT_FALSE(p.warnings.empty());
  CompareGolden("rich_plan.txt", RenderText(p));
  CompareGolden("rich_plan.md", RenderMarkdown(p));
  CompareGolden("rich_plan.json", PlanToJsonText(p));
}

TEST(Golden, EmptyPlan) {
  Plan p = Diff(DesiredState{}, LiveState{}, {}, test::kTarget);
  EXPECT_FALSE(p.HasChanges());
  CompareGolden("empty_plan.txt", RenderText(p));
  CompareGolden("empty_plan.md", RenderMarkdown(p));
  CompareGolden("empty_plan.json", PlanToJsonText(p));
}

}  // namespace
}  // namespace cmk
