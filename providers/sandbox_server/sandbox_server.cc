#include "sandbox_server/sandbox_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <thread>

#include "sandbox/sandbox_cloud.h"
#include "sandbox_server/server_core.h"
#include "sandbox_server/server_files.h"

namespace cmk {
namespace {

// Connections served at once (each kept-alive connection holds one).
constexpr size_t kWorkerThreads = 64;

ServerRequest ToRequest(const httplib::Request& req) {
  ServerRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.headers) r.headers[k] = v;
  // Only the URL's query: httplib also folds form bodies into req.params.
  size_t q = req.target.find('?');
  if (q != std::string::npos) {
    httplib::Params params;
    httplib::detail::parse_query_text(req.target.substr(q + 1), params);
    for (const auto& [k, v] : params) r.query.emplace(k, v);
  }
  r.body = req.body;
  return r;
}

void Drop(const httplib::Request& req) {
  if (req.ssl == nullptr) return;
  int fd = SSL_get_fd(const_cast<SSL*>(req.ssl));
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace

struct SandboxServer::Impl {
  std::unique_ptr<httplib::SSLServer> http;
  std::unique_ptr<ServerCore> core;
  std::thread thread;
  ServeEndpoints endpoints;
  int port = 0;
};

SandboxServer::SandboxServer(std::string sandbox_dir) : dir_(std::move(sandbox_dir)) {}

SandboxServer::~SandboxServer() { Stop(); }

bool SandboxServer::running() const { return impl_ && impl_->http && impl_->http->is_running(); }

int SandboxServer::port() const { return impl_ ? impl_->port : 0; }

const ServeEndpoints& SandboxServer::endpoints() const {
  static const ServeEndpoints kNone;
  return impl_ ? impl_->endpoints : kNone;
}

Status SandboxServer::Start(const ServeOptions& options) {
  if (impl_) return FailedPrecondition("sandbox server: already started");
  if (options.bind_address != "127.0.0.1")
    return InvalidArgument("sandbox server: refusing to bind '" + options.bind_address +
                           "': the sandbox server listens on 127.0.0.1 only");
  if (options.port < 0 || options.port > 65535)
    return InvalidArgument("sandbox server: port " + std::to_string(options.port) + " is out of range");
  if (options.tls_cert_path.empty() != options.tls_key_path.empty())
    return InvalidArgument("sandbox server: give both a TLS certificate and its key, or neither");
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Internal("sandbox server: cannot create " + dir_ + ": " + ec.message());

  TlsFiles tls{"", options.tls_cert_path, options.tls_key_path};
  if (tls.cert.empty()) {
    CMK_ASSIGN_OR_RETURN(tls, EnsureServerTls(dir_));
  }
  std::string secret_path;
  std::string client_secret = options.client_secret;
  if (client_secret.empty()) {
    secret_path = dir_ + "/" + kClientSecretFile;
    CMK_ASSIGN_OR_RETURN(client_secret, EnsureSecretFile(secret_path));
  }
  const std::string header_path = dir_ + "/" + kIdentityHeaderFile;
  CMK_ASSIGN_OR_RETURN(std::string identity_header, EnsureSecretFile(header_path));

  auto impl = std::make_unique<Impl>();
  try {
    impl->http = std::make_unique<httplib::SSLServer>(tls.cert.c_str(), tls.key.c_str());
    if (!impl->http->is_valid())
      return InvalidArgument("sandbox server: cannot load the TLS certificate/key (" + tls.cert + ")");
    // Set before bind (accepted sockets inherit it). Headers and body go out
    // as separate TLS records: with Nagle on, each response waited ~40 ms
    // for the client's delayed ACK.
    impl->http->set_tcp_nodelay(true);
    impl->port = options.port == 0 ? impl->http->bind_to_any_port(options.bind_address)
                                   : (impl->http->bind_to_port(options.bind_address, options.port)
                                          ? options.port
                                          : -1);
  } catch (const std::exception& e) {
    return Internal(std::string("sandbox server: ") + e.what());
  }
  if (impl->port <= 0)
    return Unavailable("sandbox server: cannot listen on " + options.bind_address + ":" +
                       std::to_string(options.port));

  const std::string p = std::to_string(impl->port);
  SandboxOptions so;
  so.dns_suffix = "vault.localhost:" + p;
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<SandboxCloud> cloud, SandboxCloud::Open(dir_, so));
  const std::string tenant = cloud->tenant_id();
  impl->core = std::make_unique<ServerCore>(std::move(cloud), options, impl->port,
                                                    client_secret, identity_header);

  ServeEndpoints& ep = impl->endpoints;
  ep.port = impl->port;
  ep.arm_url = "https://127.0.0.1:" + p;
  ep.authority_host = ep.arm_url;
  ep.tenant_id = tenant;
  ep.authority = ep.authority_host + "/" + tenant;
  ep.vault_dns_suffix = so.dns_suffix;
  ep.keyvault_resource = "https://vault.localhost";
  ep.arm_resource = "https://management.azure.com";
  ep.identity_endpoint = ep.arm_url + "/msi/token";
  ep.identity_header_path = header_path;
  ep.ca_path = tls.ca;
  ep.client_secret_path = secret_path;

  ServerCore* core = impl->core.get();
  auto handler = [core](const httplib::Request& req, httplib::Response& res) {
    ServerResponse out = core->Handle(ToRequest(req));
    if (out.drop_connection) {
      Drop(req);
      return;
    }
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    if (!out.body.empty()) res.set_content(out.body, out.content_type.c_str());
  };
  try {
    httplib::SSLServer& s = *impl->http;
    for (const char* pattern : {".*"}) {
      s.Get(pattern, handler);
      s.Post(pattern, handler);
      s.Put(pattern, handler);
      s.Patch(pattern, handler);
      s.Delete(pattern, handler);
      s.Options(pattern, handler);
    }
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      res.status = 500;
      res.set_content(R"({"error":{"code":"InternalServerError","message":"internal error"}})",
                      "application/json");
    });
    s.set_payload_max_length(8 * 1024 * 1024);
    s.set_keep_alive_max_count(1000);
    // A kept-alive connection holds a worker until it closes (5 s idle):
    // with cpp-httplib's default pool (8 here) one client's batch of
    // parallel reads stalls every other connection for that long.
    s.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  } catch (const std::exception& e) {
    return Internal(std::string("sandbox server: ") + e.what());
  }
  httplib::SSLServer* raw = impl->http.get();
  impl->thread = std::thread([raw] {
    try {
      raw->listen_after_bind();
    } catch (...) {
    }
  });
  // Stop() before the accept loop starts would be lost: wait for it.
  for (int i = 0; i < 5000 && !raw->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_ = std::move(impl);
  return Status::Ok();
}

void SandboxServer::Stop() {
  if (!impl_) return;
  try {
    if (impl_->http) impl_->http->stop();
  } catch (...) {
  }
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_.reset();
}

}  // namespace cmk
