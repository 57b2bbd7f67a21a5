// Files the server keeps beside the sandbox: the generated TLS material
// (server-ca.pem, server-cert.pem, server-key.pem), the client secret
// (server-client-secret) and the managed-identity header secret
// (server-identity-header). Secret and key files are created 0600; existing
// files are reused so clients keep trusting the same CA across restarts.
// server-client-certs.pem is written by the user, never by the server: the
// certificates / public keys registered for client assertions.
//
// Thread-compatible (plain file I/O).
#pragma once

#include <string>

#include "base/status.h"

namespace cmk {

inline constexpr const char* kCaFile = "server-ca.pem";
inline constexpr const char* kCertFile = "server-cert.pem";
inline constexpr const char* kKeyFile = "server-key.pem";
inline constexpr const char* kClientSecretFile = "server-client-secret";
inline constexpr const char* kIdentityHeaderFile = "server-identity-header";
inline constexpr const char* kClientCertsFile = "server-client-certs.pem";

Result<std::string> ReadTextFile(const std::string& path);
// Writes via a temporary file and rename; `mode` applies to the new file.
Status WriteTextFile(const std::string& path, const std::string& content, unsigned mode);
// The secret stored in `path` (trailing whitespace trimmed), generated
// (32 random bytes, base64url) when the file is missing.
Result<std::string> EnsureSecretFile(const std::string& path);

struct TlsFiles {
  std::string ca;  // empty when the caller supplied a certificate
  std::string cert;
  std::string key;
};
// Generates the CA and a server certificate for localhost, *.vault.localhost
// and 127.0.0.1 in `dir` unless all three files already exist.
Result<TlsFiles> EnsureServerTls(const std::string& dir);

}  // namespace cmk
