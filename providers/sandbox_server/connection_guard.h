// ConnectionGuard: per-connection deadlines for the HTTPS server's workers.
//
// cpp-httplib serves a connection on one worker thread, and its read timeout
// applies to each read: a client sending one header byte a second holds a
// worker for ever, and as many such clients as workers stop the server. The
// guard learns of a connection when its TLS handshake starts (an SSL_CTX info
// callback hands over the SSL, hence the socket) and forgets it when that SSL
// is freed (an ex_data free callback, which runs before the socket is
// closed, so a socket number is never touched after it could be reused).
// The transport reports each request's phases (Mark). A watchdog thread
// shuts down (SHUT_RDWR) the socket of a connection past its phase's
// deadline (ConnectionLimits): the worker's pending or next read or write
// fails and the worker is free. While the handler runs there is no
// deadline: that is the server's own work.
//
// Under pressure - connections accepted and waiting for a worker - the
// connections that have waited on their client (any phase but the
// handler's) for more than pressure_grace_ms are cut, oldest first, one per
// waiting connection not already provided for: a worker waiting on a slow or
// idle client goes to a client with a request. On loopback a client that
// is not slow needs milliseconds for a phase. A connection the transport
// cannot queue at all is cut as its handshake starts (ShedOnThisThread).
//
// Uses OpenSSL and sockets, no HTTP library. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "base/status.h"
#include "sandbox_server/server_options.h"

struct ssl_st;
struct ssl_ctx_st;
struct crypto_ex_data_st;

namespace cmk {

class ConnectionGuard {
 public:
  enum class Phase {
    kHeaders,   // handshake, request line, headers
    kBody,      // headers in, body being read
    kHandling,  // the handler runs
    kWriting,   // the answer is being written
    kIdle,      // answered; waiting for the next request
  };

  // `waiting`: how many accepted connections wait for a worker now.
  ConnectionGuard(ConnectionLimits limits, std::function<size_t()> waiting);
  ~ConnectionGuard();  // stops the watchdog
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Installs the callbacks on the server's context and starts the watchdog.
  // Call once, before serving; the guard must outlive `ctx`'s connections.
  Status Attach(ssl_ctx_st* ctx);
  // Server stop: shuts down every connection, and each new one as its
  // handshake starts, so that no worker waits on a client.
  void ShutdownAll();
  // `ssl` (may be null: then nothing) entered `phase` now.
  void Mark(const ssl_st* ssl, Phase phase);
  // While on, a handshake starting on this thread is cut at once.
  static void ShedOnThisThread(bool on);

  size_t watched() const;  // connections known (for tests and logs)

 private:
  struct Conn {
    int fd = -1;
    Phase phase = Phase::kHeaders;
    std::chrono::steady_clock::time_point since;
    bool cut = false;
  };
  static void OnInfo(const ssl_st* ssl, int where, int ret);
  static void OnFree(void* parent, void* ptr, crypto_ex_data_st* ad, int idx, long argl,
                     void* argp);
  void Register(ssl_st* ssl);
  void Forget(ssl_st* ssl);
  void Watch();
  void CutLocked(Conn& c);

  ConnectionLimits limits_;
  std::function<size_t()> waiting_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<const ssl_st*, Conn> conns_;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace cmk
