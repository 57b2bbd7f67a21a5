// What cmkctl prints to a terminal is printable text: names, tags and
// messages come from manifests, from Azure and from hooks, and a control
// character among them (an ESC sequence, a C1 CSI) would drive the user's
// terminal. TerminalTextBuf sits in front of a stream's buffer and writes
// each line through SanitizeText (bytes that are not UTF-8 become U+FFFD,
// control characters their escaped form; tab and newline pass). main()
// installs it on stdout and stderr when they are terminals; output to a file
// or a pipe (plan JSON, CI logs) is left byte-exact.
#pragma once

#include <ostream>
#include <streambuf>
#include <string>

namespace cmk {

class TerminalTextBuf : public std::streambuf {
 public:
  explicit TerminalTextBuf(std::streambuf* target) : target_(target) {}
  ~TerminalTextBuf() override { sync(); }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  void FlushLine();

  std::streambuf* target_;
  std::string line_;
};

// Installs a TerminalTextBuf on `stream` for the lifetime of the guard.
class TerminalTextGuard {
 public:
  explicit TerminalTextGuard(std::ostream& stream);
  ~TerminalTextGuard();
  TerminalTextGuard(const TerminalTextGuard&) = delete;
  TerminalTextGuard& operator=(const TerminalTextGuard&) = delete;

 private:
  std::ostream& stream_;
  std::streambuf* original_;
  TerminalTextBuf buf_;
};

}  // namespace cmk
