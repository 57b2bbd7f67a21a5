#include "sandbox_server/connection_guard.h"

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <vector>

namespace cmk {
namespace {

// ex_data slots: the guard of a context, and the guard watching a
// connection (whose free callback tells the guard to forget it). Process-
// wide, allocated once.
int g_guard_ctx_index = -1;
int g_guard_ssl_index = -1;
std::once_flag g_guard_indexes_once;

thread_local bool t_shed_handshakes = false;

constexpr auto kWatchPeriod = std::chrono::milliseconds(100);

}  // namespace

ConnectionGuard::ConnectionGuard(ConnectionLimits limits, std::function<size_t()> waiting)
    : limits_(limits), waiting_(std::move(waiting)) {}

ConnectionGuard::~ConnectionGuard() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

Status ConnectionGuard::Attach(ssl_ctx_st* ctx) {
  std::call_once(g_guard_indexes_once, [] {
    g_guard_ctx_index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    g_guard_ssl_index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &ConnectionGuard::OnFree);
  });
  if (g_guard_ctx_index < 0 || g_guard_ssl_index < 0 || ctx == nullptr ||
      SSL_CTX_set_ex_data(ctx, g_guard_ctx_index, this) != 1)
    return Internal("sandbox server: cannot attach the connection watchdog");
  SSL_CTX_set_info_callback(ctx, &ConnectionGuard::OnInfo);
  watchdog_ = std::thread([this] { Watch(); });
  return Status::Ok();
}

void ConnectionGuard::ShedOnThisThread(bool on) { t_shed_handshakes = on; }

size_t ConnectionGuard::watched() const {
  std::lock_guard<std::mutex> lock(mu_);
  return conns_.size();
}

void ConnectionGuard::OnInfo(const ssl_st* ssl, int where, int /*ret*/) {
  // Fires once as SSL_accept starts, before a byte is read.
  if (!(where & SSL_CB_HANDSHAKE_START)) return;
  auto* guard = static_cast<ConnectionGuard*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), g_guard_ctx_index));
  if (guard) guard->Register(const_cast<ssl_st*>(ssl));
}

void ConnectionGuard::OnFree(void* parent, void* ptr, crypto_ex_data_st* /*ad*/, int /*idx*/,
                             long /*argl*/, void* /*argp*/) {
  // Called for every SSL freed in the process; ptr is set only on the ones
  // a guard registered.
  if (ptr) static_cast<ConnectionGuard*>(ptr)->Forget(static_cast<ssl_st*>(parent));
}

void ConnectionGuard::Register(ssl_st* ssl) {
  int fd = SSL_get_fd(ssl);
  if (fd < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (t_shed_handshakes || stopping_) {
    ::shutdown(fd, SHUT_RDWR);
    return;
  }
  if (conns_.count(ssl)) return;  // a renegotiation, not a new connection
  conns_[ssl] = Conn{fd, Phase::kHeaders, std::chrono::steady_clock::now(), false};
  SSL_set_ex_data(ssl, g_guard_ssl_index, this);
}

void ConnectionGuard::Forget(ssl_st* ssl) {
  std::lock_guard<std::mutex> lock(mu_);
  conns_.erase(ssl);
}

void ConnectionGuard::Mark(const ssl_st* ssl, Phase phase) {
  if (!ssl) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = conns_.find(ssl);
  if (it == conns_.end()) return;
  it->second.phase = phase;
  it->second.since = std::chrono::steady_clock::now();
}

void ConnectionGuard::CutLocked(Conn& c) {
  // Under mu_: the connection cannot be forgotten, so its socket is not
  // closed yet. The worker's pending or next read then fails at once.
  if (c.cut) return;
  ::shutdown(c.fd, SHUT_RDWR);
  c.cut = true;
}

void ConnectionGuard::ShutdownAll() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  for (auto& [ssl, c] : conns_) CutLocked(c);
  wake_.notify_all();
}

void ConnectionGuard::Watch() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, kWatchPeriod);
    if (stopping_) break;
    // Outside the lock: the transport's own lock must never nest in ours.
    lock.unlock();
    const size_t waiting = waiting_ ? waiting_() : 0;
    lock.lock();
    const Clock::time_point now = Clock::now();
    auto limit = [&](Phase p) -> std::chrono::milliseconds {
      switch (p) {
        case Phase::kHeaders: return std::chrono::seconds(limits_.header_seconds);
        case Phase::kBody: return std::chrono::seconds(limits_.body_seconds);
        case Phase::kWriting: return std::chrono::seconds(limits_.body_seconds);
        case Phase::kIdle: return std::chrono::seconds(limits_.idle_seconds);
        case Phase::kHandling: break;
      }
      return std::chrono::milliseconds::max();
    };
    std::vector<Conn*> stalled;  // waiting on their client past the grace
    size_t freeing = 0;          // cut, their worker not yet free
    for (auto& [ssl, c] : conns_) {
      if (c.cut) {
        ++freeing;
        continue;
      }
      if (c.phase == Phase::kHandling) continue;
      if (now - c.since > limit(c.phase)) {
        CutLocked(c);
        ++freeing;
      } else if (now - c.since > std::chrono::milliseconds(limits_.pressure_grace_ms)) {
        stalled.push_back(&c);
      }
    }
    if (waiting <= freeing || stalled.empty()) continue;
    std::sort(stalled.begin(), stalled.end(),
              [](const Conn* a, const Conn* b) { return a->since < b->since; });
    for (size_t i = 0; i < stalled.size() && i < waiting - freeing; ++i) CutLocked(*stalled[i]);
  }
}

}  // namespace cmk
