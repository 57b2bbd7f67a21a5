// Fixtures for the sandbox server tests: a fresh sandbox directory, a server
// on an ephemeral port, and an HTTPS client (cpp-httplib, trusting the
// generated CA) that can address ARM or a vault host.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/state.h"
#include "sandbox_server/sandbox_server.h"

struct ssl_st;
struct ssl_ctx_st;
struct evp_pkey_st;

namespace cmk {

inline constexpr const char* kSub = "00000000-0000-0000-0000-000000000001";
inline constexpr const char* kRg = "rg-cmk";
// The Key Vault data-plane api-version the tests speak.
inline constexpr const char* kV = "?api-version=2025-07-01";

struct Reply {
  bool connected = false;  // false: no HTTP answer (dropped connection)
  int status = 0;
  std::string body;
  Json json;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string Header(const std::string& lower_name) const;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Starts the server (called by tests, after adjusting options_).
  void Start();

  // host: "" = ARM/identity (127.0.0.1), else a vault name.
  Reply Send(const std::string& method, const std::string& host, const std::string& target,
             const std::string& body = "", const std::string& token = "",
             const std::string& content_type = "application/json",
             const std::map<std::string, std::string>& headers = {});
  std::string Token(const std::string& scope);
  std::string ArmToken();
  std::string KvToken();
  Reply Arm(const std::string& method, const std::string& target, const Json& body = nullptr);
  Reply Kv(const std::string& vault, const std::string& method, const std::string& target,
           const Json& body = nullptr);
  std::string ClientSecret() const;

  // Helpers that create objects through the wire.
  void CreateVault(const std::string& name, bool purge_protection = true,
                   const std::string& rg = kRg);
  Json CreateIdentity(const std::string& name);
  Json CreateKey(const std::string& vault, const std::string& name, const Json& body = nullptr);

  std::string root_;
  std::string dir_;
  ServeOptions options_;
  std::unique_ptr<SandboxServer> server_;
  std::string arm_token_, kv_token_;
};

// A TLS connection to the server made by hand (OpenSSL), for what an HTTP
// client will not do: send headers without the body they announce, or send
// a request a byte at a time. No certificate check (loopback, test server).
// Blocking socket with short receive/send timeouts; SIGPIPE ignored.
class RawTls {
 public:
  explicit RawTls(int port);
  ~RawTls();
  RawTls(const RawTls&) = delete;
  RawTls& operator=(const RawTls&) = delete;

  bool ok() const { return ssl_ != nullptr; }  // connected and handshaken
  bool Write(const std::string& bytes);        // all of it, or false
  // Reads until a whole HTTP response is in (headers, and the body its
  // Content-Length announces), the server closes, or `timeout` passes.
  // The Reply's `connected` is false when no status line came.
  Reply ReadResponse(std::chrono::milliseconds timeout);
  // Whether the server closes the connection within `timeout` (discarding
  // anything it sends first).
  bool ClosedWithin(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  struct ssl_ctx_st* ctx_ = nullptr;
  struct ssl_st* ssl_ = nullptr;
  std::string pending_;
};

// A key pair made for a test, to sign client assertions (JWS) with, and its
// public half as a PEM "PUBLIC KEY" or a self-signed "CERTIFICATE".
class TestSigningKey {
 public:
  // "RSA" (2048 bits) or "EC" (P-256).
  explicit TestSigningKey(const std::string& type);
  ~TestSigningKey();
  TestSigningKey(const TestSigningKey&) = delete;
  TestSigningKey& operator=(const TestSigningKey&) = delete;

  std::string PublicKeyPem() const;
  // A self-signed certificate of the key, made once: the same PEM every call.
  std::string CertificatePem() const;
  // Its "x5t#S256" (base64url SHA-256 of the DER) and "x5t" (SHA-1).
  std::string ThumbprintS256() const;
  std::string ThumbprintSha1() const;
  // The DER certificate in standard base64, as a JWS "x5c" entry.
  std::string X5c() const;
  // A compact JWS of `claims` with header {"alg": alg, "typ": "JWT"} plus
  // `extra_header`; alg is RS256, PS256 or ES256 (matching the key type) or
  // "none" (no signature).
  std::string SignJwt(const std::string& alg, const Json& claims,
                      const Json& extra_header = Json::object()) const;

 private:
  struct evp_pkey_st* key_ = nullptr;
  std::string cert_der_;
};

// The member at `path` below `j`, or null when a step is missing or not an
// object. Use it on const documents: nlohmann's const operator[] with a
// missing member is undefined behaviour (it reads past the object's map and
// crashed the examples replay at random).
const Json& Member(const Json& j, std::initializer_list<const char*> path);

// Recursively checks that `actual` has the member names and JSON types of
// `example`. Missing members are allowed only when their path is in
// `may_miss`; members `example` lacks are allowed only when their name is in
// `may_add`. Paths look like "properties.accessPolicies[].objectId".
std::vector<std::string> CompareShape(const Json& example, const Json& actual,
                                      const std::set<std::string>& may_miss,
                                      const std::set<std::string>& may_add);

}  // namespace cmk
