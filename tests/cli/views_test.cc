// The text views line their columns up as a terminal shows them: a shortened
// version id ("3f2a1b0c…") is nine characters wide, not eleven bytes.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/views/terminal_text.h"
#include "cli/views/text.h"
#include "cli/views/verify_view.h"

namespace cmk {
namespace {

// The visible column at which `needle` starts in `line`.
size_t VisibleColumn(const std::string& line, const std::string& needle) {
  size_t at = line.find(needle);
  if (at == std::string::npos) return std::string::npos;
  size_t visible = 0;
  for (size_t i = 0; i < at; ++i)
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++visible;
  return visible;
}

TEST(TextViews, PadCountsCharactersNotBytes) {
  EXPECT_EQ(Pad("ab\xE2\x80\xA6", 5), "ab\xE2\x80\xA6  ");
  EXPECT_EQ(Pad("abcdef", 3), "abcdef ");  // never glued to the next column
}

TEST(TextViews, VerifyTableColumnsAlign) {
  CanaryResult passed;
  passed.key_address = "key/ledger";
  passed.version = "3f2a1b0c9d8e7f60a1b2c3d4e5f60718";
  passed.algorithm = "RSA-OAEP-256";
  passed.outcome = CanaryOutcome::kPassed;
  CanaryResult failed;
  failed.key_address = "key/not-applied";
  failed.consumer = "storage/data01";
  failed.message = "key/not-applied does not exist on the target";
  std::ostringstream out;
  RenderVerifyText(TargetInfo{"sandbox", "sb"}, {passed, failed}, out);
  std::istringstream lines(out.str());
  std::string line, header, row1, row2;
  while (std::getline(lines, line)) {
    if (line.rfind("RESULT", 0) == 0) header = line;
    if (line.rfind("pass", 0) == 0) row1 = line;
    if (line.rfind("FAIL", 0) == 0) row2 = line;
  }
  ASSERT_FALSE(header.empty()) << out.str();
  EXPECT_EQ(VisibleColumn(header, "KEY"), VisibleColumn(row1, "key/ledger"));
  EXPECT_EQ(VisibleColumn(header, "ALGORITHM"), VisibleColumn(row1, "RSA-OAEP-256"));
  EXPECT_EQ(VisibleColumn(header, "CONSUMER"), VisibleColumn(row1, "(key)"));
  EXPECT_EQ(VisibleColumn(header, "CONSUMER"), VisibleColumn(row2, "storage/data01"));
  EXPECT_NE(out.str().find("1 passed, 1 failed, 0 skipped"), std::string::npos) << out.str();
}

// What reaches a terminal cannot drive it: an ESC sequence from a tag read
// off Azure is shown escaped, bytes that are not UTF-8 as U+FFFD; text,
// accents, tabs and newlines are untouched.
TEST(TerminalText, EscapesControlsAndBadBytesLineByLine) {
  std::ostringstream sink;
  {
    TerminalTextGuard guard(sink);
    sink << "tag owner=\x1b[2J\x1b[31mroot\n" << "caf\xC3\xA9\tok\n" << "bad \xFF byte" << std::flush
         << " and C1 \xC2\x9B" << "\n";
  }
  EXPECT_EQ(sink.str(), "tag owner=\\x1b[2J\\x1b[31mroot\ncaf\xC3\xA9\tok\nbad \xEF\xBF\xBD byte and C1 \\x9b\n");
}

}  // namespace
}  // namespace cmk
