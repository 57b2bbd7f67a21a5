#include "sandbox_server/sandbox_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "sandbox/sandbox_cloud.h"
#include "sandbox_server/connection_guard.h"
#include "sandbox_server/server_core.h"
#include "sandbox_server/server_files.h"

namespace cmk {
namespace {

// Connections served at once (each kept-alive connection holds one).
constexpr size_t kWorkerThreads = 64;
// Accepted connections waiting for a worker; past this a new connection is
// closed as its handshake starts instead of queueing without bound.
constexpr size_t kMaxWaitingConnections = 128;
// cpp-httplib's read and write timeouts apply to each read or write; the
// whole of a request is bounded by the guard's deadlines (ConnectionLimits).
constexpr time_t kSocketTimeoutSeconds = 5;

// The worker pool: cpp-httplib's own queues without bound (a flood of
// connections grows its list for ever) and tells no one how many wait, which
// the guard needs to decide when to free workers from slow clients.
class BoundedWorkerPool : public httplib::TaskQueue {
 public:
  BoundedWorkerPool(size_t threads, size_t max_waiting, std::atomic<size_t>* waiting)
      : max_waiting_(max_waiting), waiting_(waiting) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~BoundedWorkerPool() override = default;

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopping_ && jobs_.size() < max_waiting_) {
        jobs_.push_back(std::move(fn));
        waiting_->store(jobs_.size());
        ready_.notify_one();
        return;
      }
    }
    // Full: the job (serve the connection, then close its socket) runs here,
    // on the accept thread, with its handshake cut as soon as it starts -
    // microseconds, whatever the client does. The socket must be closed by
    // the job itself: only it knows the socket.
    ConnectionGuard::ShedOnThisThread(true);
    RunJob(fn);
    ConnectionGuard::ShedOnThisThread(false);
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  static void RunJob(const std::function<void()>& fn) {
    try {
      fn();
    } catch (...) {
      // cpp-httplib's connection loop: nothing to recover, the socket is
      // closed by its own cleanup.
    }
  }

  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, and every queued connection served
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        waiting_->store(jobs_.size());
      }
      RunJob(fn);
    }
  }

  const size_t max_waiting_;
  std::atomic<size_t>* waiting_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Whether the request announces a body (a length or chunked coding).
bool AnnouncesBody(const httplib::Request& req) {
  return req.has_header("Transfer-Encoding") || req.has_header("Content-Length");
}

ServerRequest ToRequest(const httplib::Request& req, std::string body) {
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
  r.body = std::move(body);
  return r;
}

void Drop(const httplib::Request& req) {
  if (req.ssl == nullptr) return;
  int fd = SSL_get_fd(const_cast<SSL*>(req.ssl));
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

void Deliver(const ServerResponse& out, const httplib::Request& req, httplib::Response& res,
             ConnectionGuard* guard) {
  guard->Mark(req.ssl, ConnectionGuard::Phase::kWriting);
  if (out.drop_connection) {
    Drop(req);
    return;
  }
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  // The logger below ends the connection once this answer is written.
  if (out.close_connection) res.set_header("Connection", "close");
  if (!out.body.empty()) res.set_content(out.body, out.content_type.c_str());
}

}  // namespace

struct SandboxServer::Impl {
  // First: destroyed last, after the TLS context whose connections it watches.
  std::unique_ptr<ConnectionGuard> guard;
  std::atomic<size_t> waiting{0};  // connections waiting for a worker
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
    std::atomic<size_t>* waiting = &impl->waiting;
    impl->guard = std::make_unique<ConnectionGuard>(options.connections,
                                                    [waiting] { return waiting->load(); });
    CMK_RETURN_IF_ERROR(impl->guard->Attach(impl->http->ssl_context()));
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
                                            client_secret, identity_header,
                                            dir_ + "/" + std::string(kClientCertsFile));

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
  ep.client_certs_path = dir_ + "/" + kClientCertsFile;

  ServerCore* core = impl->core.get();
  ConnectionGuard* guard = impl->guard.get();
  using Phase = ConnectionGuard::Phase;
  // GET, HEAD and OPTIONS: cpp-httplib reads no body for them.
  auto without_body = [core, guard](const httplib::Request& req, httplib::Response& res) {
    guard->Mark(req.ssl, Phase::kHandling);
    ServerResponse out = core->Handle(ToRequest(req, ""));
    // A body sent anyway is left unread: it must not be taken for the next
    // request.
    if (AnnouncesBody(req)) out.close_connection = true;
    Deliver(out, req, res, guard);
  };
  // POST, PUT, PATCH, DELETE: the body is read here, capped, whether sized
  // or chunked (a sized one over the cap was refused before, unread).
  auto with_body = [core, guard](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
    std::string body;
    // No length and no chunked coding means no body (RFC 9112 6.3);
    // cpp-httplib would read until the client closes.
    if (AnnouncesBody(req)) {
      bool too_large = false;
      bool read = reader([&](const char* data, size_t n) {
        if (body.size() + n > kMaxRequestBodyBytes) {
          too_large = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
      if (too_large || !read) {
        Deliver(core->RefuseBody(ToRequest(req, ""), too_large), req, res, guard);
        return;
      }
    }
    guard->Mark(req.ssl, Phase::kHandling);
    Deliver(core->Handle(ToRequest(req, std::move(body))), req, res, guard);
  };
  try {
    httplib::SSLServer& s = *impl->http;
    s.Get(".*", without_body);
    s.Options(".*", without_body);
    s.Post(".*", with_body);
    s.Put(".*", with_body);
    s.Patch(".*", with_body);
    s.Delete(".*", with_body);
    // Runs once the headers are in and before any body byte is read: a
    // request refused from its headers (too large, no valid token, unknown
    // api-version) never has its body read.
    s.set_pre_routing_handler([core, guard](const httplib::Request& req, httplib::Response& res) {
      guard->Mark(req.ssl, Phase::kBody);
      auto refused = core->HandleHead(ToRequest(req, ""));
      if (!refused) return httplib::Server::HandlerResponse::Unhandled;
      Deliver(*refused, req, res, guard);
      return httplib::Server::HandlerResponse::Handled;
    });
    // A client that waits for "100 Continue" gets the refusal instead, and
    // sends no body.
    s.set_expect_100_continue_handler([core, guard](const httplib::Request& req,
                                                    httplib::Response& res) {
      auto refused = core->HandleHead(ToRequest(req, ""));
      if (!refused) return 100;
      Deliver(*refused, req, res, guard);
      return refused->status;
    });
    // After each answer is written. An answer that asks to close (a refused
    // body left unread) ends the connection here: cpp-httplib would go on
    // reading, and parse the body as the next request.
    s.set_logger([guard](const httplib::Request& req, const httplib::Response& res) {
      guard->Mark(req.ssl, Phase::kIdle);
      if (res.get_header_value("Connection") == "close") Drop(req);
    });
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      res.status = 500;
      res.set_content(R"({"error":{"code":"InternalServerError","message":"internal error"}})",
                      "application/json");
    });
    // Belt and braces: cpp-httplib's own cap (which would read and discard
    // an oversized body before answering; HandleHead refuses it first).
    s.set_payload_max_length(kMaxRequestBodyBytes);
    s.set_keep_alive_max_count(1000);
    s.set_read_timeout(kSocketTimeoutSeconds, 0);
    s.set_write_timeout(kSocketTimeoutSeconds, 0);
    // A kept-alive connection holds a worker until it closes (5 s idle):
    // with cpp-httplib's default pool (8 here) one client's batch of
    // parallel reads stalls every other connection for that long.
    std::atomic<size_t>* waiting = &impl->waiting;
    s.new_task_queue = [waiting] {
      return new BoundedWorkerPool(kWorkerThreads, kMaxWaitingConnections, waiting);
    };
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
  if (impl_->core) impl_->core->ReleaseHeld();
  try {
    if (impl_->http) impl_->http->stop();
  } catch (...) {
  }
  // Workers blocked on clients return at once, so the join below does not
  // wait for their timeouts.
  if (impl_->guard) impl_->guard->ShutdownAll();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_.reset();
}

}  // namespace cmk
