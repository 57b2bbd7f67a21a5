#include "cli/views/terminal_text.h"

#include "base/strings.h"

namespace cmk {

TerminalTextBuf::int_type TerminalTextBuf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  line_.push_back(traits_type::to_char_type(c));
  if (line_.back() == '\n') FlushLine();
  return c;
}

std::streamsize TerminalTextBuf::xsputn(const char* s, std::streamsize n) {
  for (std::streamsize i = 0; i < n; ++i) {
    line_.push_back(s[i]);
    if (s[i] == '\n') FlushLine();
  }
  return n;
}

int TerminalTextBuf::sync() {
  FlushLine();
  return target_->pubsync();
}

void TerminalTextBuf::FlushLine() {
  if (line_.empty()) return;
  std::string safe = SanitizeText(line_);
  target_->sputn(safe.data(), static_cast<std::streamsize>(safe.size()));
  line_.clear();
}

TerminalTextGuard::TerminalTextGuard(std::ostream& stream)
    : stream_(stream), original_(stream.rdbuf()), buf_(original_) {
  stream_.rdbuf(&buf_);
}

TerminalTextGuard::~TerminalTextGuard() {
  stream_.flush();
  stream_.rdbuf(original_);
}

}  // namespace cmk
