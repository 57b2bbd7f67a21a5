#include "hooks/hook_script.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace cmk {

Result<std::string> ReadHookScript(const std::string& path) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return NotFound(path + ": hook script not found");
  if (!std::filesystem::is_regular_file(st)) return InvalidArgument(path + ": hook script is not a regular file");
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Unavailable(path + ": cannot read hook script: " + ec.message());
  if (size > kMaxHookScriptBytes)
    return InvalidArgument(path + ": hook script is " + std::to_string(size) + " bytes; the limit is " +
                           std::to_string(kMaxHookScriptBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable(path + ": cannot open hook script");
  std::string text;
  text.reserve(static_cast<size_t>(size));
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxHookScriptBytes)
      return InvalidArgument(path + ": hook script grew beyond " + std::to_string(kMaxHookScriptBytes) +
                             " bytes while reading");
  }
  if (!text.empty() && text[0] == '\x1b')
    return InvalidArgument(path + ": precompiled Lua bytecode is refused: hooks are loaded as text only");
  return text;
}

}  // namespace cmk
