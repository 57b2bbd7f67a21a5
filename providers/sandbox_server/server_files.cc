#include "sandbox_server/server_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/crypto.h"

namespace cmk {

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteTextFile(const std::string& path, const std::string& content, unsigned mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Internal("cannot create " + tmp + ": " + std::strerror(errno));
  (void)::fchmod(fd, mode);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Internal("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Internal("cannot write " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot rename " + tmp + " to " + path);
  return Status::Ok();
}

Result<std::string> EnsureSecretFile(const std::string& path) {
  auto existing = ReadTextFile(path);
  if (existing.ok()) {
    std::string s = *existing;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    if (!s.empty()) return s;
  }
  CMK_ASSIGN_OR_RETURN(SecureBytes random, RandomBytes(32));
  std::string secret = Base64UrlEncode(random.bytes());
  CMK_RETURN_IF_ERROR(WriteTextFile(path, secret + "\n", 0600));
  return secret;
}

Result<TlsFiles> EnsureServerTls(const std::string& dir) {
  TlsFiles f{dir + "/" + kCaFile, dir + "/" + kCertFile, dir + "/" + kKeyFile};
  struct stat st;
  if (::stat(f.ca.c_str(), &st) == 0 && ::stat(f.cert.c_str(), &st) == 0 &&
      ::stat(f.key.c_str(), &st) == 0)
    return f;
  CMK_ASSIGN_OR_RETURN(TlsMaterial tls,
                       GenerateServerTls({"localhost", "*.vault.localhost"}, {"127.0.0.1"}));
  const Bytes& key = tls.server_key_pem.bytes();
  CMK_RETURN_IF_ERROR(WriteTextFile(f.key, std::string(key.begin(), key.end()), 0600));
  CMK_RETURN_IF_ERROR(WriteTextFile(f.cert, tls.server_cert_pem, 0644));
  CMK_RETURN_IF_ERROR(WriteTextFile(f.ca, tls.ca_cert_pem, 0644));
  return f;
}

}  // namespace cmk
