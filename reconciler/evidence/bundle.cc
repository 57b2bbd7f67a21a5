#include "evidence/bundle.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

Status WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Unavailable("cannot write " + path.string());
  return Status::Ok();
}

Result<std::string> ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// An exclusive flock on DIR/.lock for as long as it lives.
class DirLock {
 public:
  static Result<DirLock> Take(const fs::path& dir) {
    std::string path = (dir / ".lock").string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Unavailable("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return Unavailable("cannot lock " + path + ": " + std::strerror(errno));
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

// "20261205T072203.123456Z": sorts as time does.
std::string NameTime(std::chrono::system_clock::time_point t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%04d%02d%02dT%02d%02d%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros % 1000000));
  return out;
}

bool PlainName(const std::string& name) {
  return !name.empty() && name[0] != '.' && name.find('/') == std::string::npos &&
         name != kManifestFile && name != kSignatureFile && name != kPublicKeyFile;
}

}  // namespace

std::string Sha256Hex(const std::string& bytes) { return HexEncode(Sha256(bytes)); }

std::string EvidenceTimestamp(std::chrono::system_clock::time_point t) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(millis % 1000));
  return out;
}

Result<EvidenceSigner> LoadEvidenceSigner(const std::string& path) {
  CMK_ASSIGN_OR_RETURN(std::string pem, ReadWhole(path));
  EvidenceSigner signer;
  signer.private_pem = SecureBytes(Bytes(pem.begin(), pem.end()));
  CleanseString(pem);
  auto public_pem = Ed25519PublicPem(signer.private_pem);
  if (!public_pem.ok()) return InvalidArgument("evidence key " + path + ": " + public_pem.status().message());
  signer.public_pem = std::move(public_pem).value();
  return signer;
}

Status WriteNewEvidenceKey(const std::string& path) {
  CMK_ASSIGN_OR_RETURN(SecureBytes pem, GenerateEd25519Key());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Conflict(path + " already exists; cmkctl never overwrites a key");
    return Unavailable("cannot create " + path + ": " + std::strerror(errno));
  }
  // The umask may have taken bits away, never added: make it exactly 0600.
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < pem.size()) {
    ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(path.c_str());
    return Unavailable("cannot write " + path);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ListBundles(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound(dir + " is not a directory");
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (it->is_directory(ec)) names.push_back(name);
  }
  if (ec) return Unavailable("cannot list " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> WriteBundle(const std::string& dir, const std::string& command,
                                const std::vector<BundleFile>& files, const EvidenceSigner& signer) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir + ": " + ec.message());
  CMK_ASSIGN_OR_RETURN(DirLock lock, DirLock::Take(dir));
  CMK_ASSIGN_OR_RETURN(std::vector<std::string> existing, ListBundles(dir));
  CMK_ASSIGN_OR_RETURN(SecureBytes id, RandomBytes(4));
  std::string name = NameTime(std::chrono::system_clock::now()) + "-" + command + "-" +
                     HexEncode(id.bytes());
  Json previous = nullptr;
  if (!existing.empty()) {
    const std::string& last = existing.back();
    if (last >= name)
      return FailedPrecondition("the clock is behind the newest bundle in " + dir + " (" + last +
                                "): a new bundle would not sort after it");
    CMK_ASSIGN_OR_RETURN(std::string last_manifest, ReadWhole(fs::path(dir) / last / kManifestFile));
    previous = {{"manifest_sha256", Sha256Hex(last_manifest)}, {"run", last}};
  }
  Json hashes = Json::object();
  for (const BundleFile& f : files) {
    if (!PlainName(f.name) || hashes.contains(f.name))
      return Internal("evidence file name '" + f.name + "' is reserved, repeated or not plain");
    hashes[f.name] = Sha256Hex(f.bytes);
  }
  hashes[kPublicKeyFile] = Sha256Hex(signer.public_pem);
  Json manifest = {{"files", hashes}, {"format", kEvidenceFormat}, {"previous", previous},
                   {"run", name}, {"signature", {{"alg", "Ed25519"}, {"file", kSignatureFile}, {"public_key", kPublicKeyFile}}}};
  std::string manifest_text = manifest.dump(2) + "\n";
  CMK_ASSIGN_OR_RETURN(Bytes signature, Ed25519Sign(signer.private_pem, manifest_text));

  fs::path partial = fs::path(dir) / (".partial-" + name);
  fs::create_directory(partial, ec);
  if (ec) return Unavailable("cannot create " + partial.string() + ": " + ec.message());
  Status written = Status::Ok();
  for (const BundleFile& f : files)
    if (written.ok()) written = WriteFile(partial / f.name, f.bytes);
  if (written.ok()) written = WriteFile(partial / kPublicKeyFile, signer.public_pem);
  if (written.ok()) written = WriteFile(partial / kManifestFile, manifest_text);
  if (written.ok())
    written = WriteFile(partial / kSignatureFile, std::string(signature.begin(), signature.end()));
  if (written.ok()) {
    fs::rename(partial, fs::path(dir) / name, ec);
    if (ec) written = Unavailable("cannot rename " + partial.string() + ": " + ec.message());
  }
  if (!written.ok()) {
    fs::remove_all(partial, ec);
    return written;
  }
  return name;
}

}  // namespace cmk
