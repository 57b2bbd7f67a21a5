#include "server_test_util.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/crypto.h"

namespace cmk {

std::string Reply::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

void ServerTest::SetUp() {
  char tmpl[] = "/tmp/cmk_server_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  root_ = tmpl;
  dir_ = root_ + "/sb";
  options_.throttle.enabled = false;
}

void ServerTest::TearDown() {
  if (server_) server_->Stop();
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void ServerTest::Start() {
  server_ = std::make_unique<SandboxServer>(dir_);
  Status st = server_->Start(options_);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

std::string ServerTest::ClientSecret() const {
  std::ifstream in(dir_ + "/server-client-secret");
  std::string s;
  in >> s;
  return s;
}

Reply ServerTest::Send(const std::string& method, const std::string& host,
                       const std::string& target, const std::string& body,
                       const std::string& token, const std::string& content_type,
                       const std::map<std::string, std::string>& headers) {
  Reply out;
  int port = server_->port();
  httplib::SSLClient cli("127.0.0.1", port);
  cli.set_ca_cert_path(server_->endpoints().ca_path.c_str());
  cli.enable_server_certificate_verification(true);
  cli.set_read_timeout(10, 0);
  httplib::Request req;
  req.method = method;
  req.path = target;
  req.set_header("Host", host.empty() ? "127.0.0.1:" + std::to_string(port)
                                      : host + ".vault.localhost:" + std::to_string(port));
  if (!token.empty()) req.set_header("Authorization", "Bearer " + token);
  for (const auto& [k, v] : headers) req.set_header(k, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body = body;
    req.set_header("Content-Type", content_type);
  }
  auto res = cli.send(req);
  if (!res) return out;
  out.connected = true;
  out.status = res->status;
  out.body = res->body;
  for (const auto& [k, v] : res->headers) {
    std::string l = k;
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[l] = v;
  }
  if (!out.body.empty()) out.json = Json::parse(out.body, nullptr, false);
  return out;
}

std::string ServerTest::Token(const std::string& scope) {
  std::string form = "grant_type=client_credentials&client_id=test-app&client_secret=" +
                     ClientSecret() + "&scope=" + scope;
  Reply r = Send("POST", "", "/" + server_->endpoints().tenant_id + "/oauth2/v2.0/token", form, "",
                 "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json.is_object() && r.json.contains("access_token")
             ? r.json["access_token"].get<std::string>()
             : "";
}

std::string ServerTest::ArmToken() {
  if (arm_token_.empty()) arm_token_ = Token("https%3A%2F%2Fmanagement.azure.com%2F.default");
  return arm_token_;
}

std::string ServerTest::KvToken() {
  if (kv_token_.empty()) kv_token_ = Token("https%3A%2F%2Fvault.localhost%2F.default");
  return kv_token_;
}

Reply ServerTest::Arm(const std::string& method, const std::string& target, const Json& body) {
  return Send(method, "", target, body.is_null() ? "" : body.dump(), ArmToken());
}

Reply ServerTest::Kv(const std::string& vault, const std::string& method,
                     const std::string& target, const Json& body) {
  return Send(method, vault, target, body.is_null() ? "" : body.dump(), KvToken());
}

void ServerTest::CreateVault(const std::string& name, bool purge_protection,
                             const std::string& rg) {
  Json props{{"tenantId", server_->endpoints().tenant_id},
             {"sku", {{"family", "A"}, {"name", "standard"}}},
             {"enableRbacAuthorization", true},
             {"softDeleteRetentionInDays", 7}};
  if (purge_protection) props["enablePurgeProtection"] = true;
  Reply r = Arm("PUT",
                std::string("/subscriptions/") + kSub + "/resourceGroups/" + rg +
                    "/providers/Microsoft.KeyVault/vaults/" + name + "?api-version=2026-04-01",
                Json{{"location", "westeurope"}, {"properties", props}});
  ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
}

Json ServerTest::CreateIdentity(const std::string& name) {
  Reply r = Arm("PUT",
                std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name +
                    "?api-version=2026-05-31",
                Json{{"location", "westeurope"}});
  EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
  return r.json;
}

Json ServerTest::CreateKey(const std::string& vault, const std::string& name, const Json& body) {
  Json b = body.is_null() ? Json{{"kty", "RSA"}, {"key_size", 2048}} : body;
  Reply r = Kv(vault, "POST", "/keys/" + name + "/create?api-version=2025-07-01", b);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json;
}

RawTls::RawTls(int port) {
  ::signal(SIGPIPE, SIG_IGN);
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval tv{0, 100 * 1000};  // reads and writes wake up to look at the clock
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  timeval send_tv{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof(send_tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) return;
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return;
  SSL_set_fd(ssl, fd_);
  SSL_set_tlsext_host_name(ssl, "localhost");
  // The handshake may see receive timeouts while the server is busy: retry
  // them for up to 10 s.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    int rc = SSL_connect(ssl);
    if (rc == 1) {
      ssl_ = ssl;
      return;
    }
    int err = SSL_get_error(ssl, rc);
    if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE &&
         !(err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) ||
        std::chrono::steady_clock::now() > deadline) {
      SSL_free(ssl);
      return;
    }
  }
}

RawTls::~RawTls() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool RawTls::Write(const std::string& bytes) {
  if (!ssl_) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    int n = SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

namespace {

// Reads what is available; false once the peer closed or failed.
bool ReadSome(SSL* ssl, std::string& into) {
  char buf[16384];
  int n = SSL_read(ssl, buf, sizeof(buf));
  if (n > 0) {
    into.append(buf, static_cast<size_t>(n));
    return true;
  }
  int err = SSL_get_error(ssl, n);
  return err == SSL_ERROR_WANT_READ ||
         (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
}

// A complete response in `raw` parsed into `out`.
bool ParseRawResponse(const std::string& raw, Reply& out) {
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return false;
  Reply r;
  r.connected = true;
  r.status = std::atoi(raw.c_str() + 9);
  size_t line = raw.find("\r\n") + 2;
  while (line < end) {
    size_t next = raw.find("\r\n", line);
    std::string h = raw.substr(line, next - line);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(value.begin());
      r.headers[name] = value;
    }
    line = next + 2;
  }
  size_t length = std::strtoul(r.Header("content-length").c_str(), nullptr, 10);
  if (raw.size() < end + 4 + length) return false;
  r.body = raw.substr(end + 4, length);
  if (!r.body.empty()) r.json = Json::parse(r.body, nullptr, false);
  out = r;
  return true;
}

}  // namespace

Reply RawTls::ReadResponse(std::chrono::milliseconds timeout) {
  Reply out;
  if (!ssl_) return out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ParseRawResponse(pending_, out) && std::chrono::steady_clock::now() < deadline)
    if (!ReadSome(ssl_, pending_)) {
      ParseRawResponse(pending_, out);
      break;
    }
  return out;
}

bool RawTls::ClosedWithin(std::chrono::milliseconds timeout) {
  if (!ssl_) return true;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline)
    if (!ReadSome(ssl_, pending_)) return true;
  return false;
}

TestSigningKey::TestSigningKey(const std::string& type) {
  key_ = type == "EC" ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key_);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("cmkctl-test-app"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key_, EVP_sha256());
  unsigned char* der = nullptr;
  int n = i2d_X509(cert, &der);
  cert_der_.assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  X509_free(cert);
}

TestSigningKey::~TestSigningKey() { EVP_PKEY_free(key_); }

namespace {

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string B64Url(const std::string& s) { return Base64UrlEncode(Bytes(s.begin(), s.end())); }

}  // namespace

std::string TestSigningKey::PublicKeyPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_);
  return BioText(bio);
}

std::string TestSigningKey::CertificatePem() const {
  const auto* p = reinterpret_cast<const unsigned char*>(cert_der_.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(cert_der_.size()));
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  X509_free(cert);
  return BioText(bio);
}

std::string TestSigningKey::ThumbprintS256() const {
  return Base64UrlEncode(Sha256(cert_der_));
}

std::string TestSigningKey::ThumbprintSha1() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(cert_der_.data(), cert_der_.size(), md, &n, EVP_sha1(), nullptr);
  return Base64UrlEncode(Bytes(md, md + n));
}

std::string TestSigningKey::X5c() const {
  return Base64Encode(Bytes(cert_der_.begin(), cert_der_.end()));
}

std::string TestSigningKey::SignJwt(const std::string& alg, const Json& claims,
                                    const Json& extra_header) const {
  Json header{{"alg", alg}, {"typ", "JWT"}};
  for (const auto& [name, value] : extra_header.items()) header[name] = value;
  const std::string input = B64Url(header.dump()) + "." + B64Url(claims.dump());
  if (alg == "none") return input + ".";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key_);
  if (alg == "PS256") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t n = 0;
  EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  Bytes sig(n);
  EVP_DigestSign(ctx, sig.data(), &n, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  sig.resize(n);
  EVP_MD_CTX_free(ctx);
  if (alg == "ES256") {  // DER -> the JWS form, r || s of 32 bytes each
    const unsigned char* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    Bytes raw(64, 0);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw.data() + 32, 32);
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return input + "." + Base64UrlEncode(sig);
}

const Json& Member(const Json& j, std::initializer_list<const char*> path) {
  static const Json kNull;
  const Json* cur = &j;
  for (const char* name : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(name);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

namespace {

const char* TypeName(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "boolean";
  if (j.is_number()) return "number";
  if (j.is_string()) return "string";
  if (j.is_array()) return "array";
  return "object";
}

void Compare(const Json& ex, const Json& ac, const std::string& path,
             const std::set<std::string>& may_miss, const std::set<std::string>& may_add,
             std::vector<std::string>& errors) {
  if (std::string(TypeName(ex)) != TypeName(ac)) {
    errors.push_back(path + ": expected " + TypeName(ex) + ", got " + TypeName(ac));
    return;
  }
  if (ex.is_object()) {
    for (auto& [k, v] : ex.items()) {
      std::string p = path.empty() ? k : path + "." + k;
      if (!ac.contains(k)) {
        if (!may_miss.count(p)) errors.push_back(p + ": missing");
        continue;
      }
      Compare(v, ac[k], p, may_miss, may_add, errors);
    }
    for (auto& [k, v] : ac.items())
      if (!ex.contains(k) && !may_add.count(k))
        errors.push_back((path.empty() ? k : path + "." + k) + ": not in the example");
  } else if (ex.is_array() && !ex.empty()) {
    if (ac.empty() && !may_miss.count(path + "[]")) errors.push_back(path + ": empty array");
    // Element i against example element i (the last one beyond its end):
    // arrays such as lifetimeActions hold differently shaped members.
    for (size_t i = 0; i < ac.size(); ++i)
      Compare(ex[std::min(i, ex.size() - 1)], ac[i], path + "[]", may_miss, may_add, errors);
  }
}

}  // namespace

std::vector<std::string> CompareShape(const Json& example, const Json& actual,
                                      const std::set<std::string>& may_miss,
                                      const std::set<std::string>& may_add) {
  std::vector<std::string> errors;
  Compare(example, actual, "", may_miss, may_add, errors);
  return errors;
}

}  // namespace cmk
