// Evidence bundles: one signed directory per cmkctl run, chained to the run
// before it in the same evidence directory (docs/evidence.md).
//
// A bundle is DIR/<UTC time>-<command>-<id>/ holding the files a command
// recorded (run.json, plan.json, ...), signer.pub.pem, manifest.json (the
// SHA-256 of every other file, the bundle's own name, and the previous
// bundle's name and manifest.json SHA-256) and manifest.sig (the raw Ed25519
// signature of manifest.json's exact bytes). The bundle is written under a
// lock on DIR/.lock into DIR/.partial-<name> and renamed into place, so a
// bundle is either whole or absent and names sort in chain order. The
// private key is only used to sign, never written. This layer knows nothing
// of commands, providers or CLI11. Thread-compatible; several processes may
// write to one DIR (the lock serializes them).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/crypto.h"

namespace cmk {

inline constexpr char kEvidenceFormat[] = "cmkctl-evidence/1";
inline constexpr char kManifestFile[] = "manifest.json";
inline constexpr char kSignatureFile[] = "manifest.sig";
inline constexpr char kPublicKeyFile[] = "signer.pub.pem";

struct BundleFile {
  std::string name;   // a plain file name: no '/', not starting with '.'
  std::string bytes;
};

// A signing key loaded and checked once: the PKCS#8 PEM and its public half.
struct EvidenceSigner {
  SecureBytes private_pem;
  std::string public_pem;
};
// Reads and checks an Ed25519 private key file; errors name the path.
[[nodiscard]] Result<EvidenceSigner> LoadEvidenceSigner(const std::string& path);
// Writes a new key to `path` with mode 0600; refuses an existing file.
[[nodiscard]] Status WriteNewEvidenceKey(const std::string& path);

// "2026-12-05T07:22:03.123Z".
std::string EvidenceTimestamp(std::chrono::system_clock::time_point t);
// SHA-256, lower-case hex.
std::string Sha256Hex(const std::string& bytes);

// The bundle directories in `dir`, sorted (= chain order); entries starting
// with '.' are not bundles.
[[nodiscard]] Result<std::vector<std::string>> ListBundles(const std::string& dir);

// Writes one bundle for `command` (a name part: [a-z-]) under `dir`, which is
// created if missing. Returns the bundle's directory name.
[[nodiscard]] Result<std::string> WriteBundle(const std::string& dir, const std::string& command,
                                              const std::vector<BundleFile>& files,
                                              const EvidenceSigner& signer);

}  // namespace cmk
