// CurlTransport::SendAll against a local cpp-httplib server (HTTP/1.1, so
// curl opens parallel connections instead of multiplexing): requests really
// overlap, the per-host cap holds, results follow request order, and
// failures and cancellation are per request.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "azure/http_transport.h"

namespace cmk {
namespace {

class Server {
 public:
  // Each request waits (bounded) until `gather` requests are in flight at
  // once, so max_in_flight shows whether the client overlapped them.
  explicit Server(int gather, std::chrono::milliseconds patience = std::chrono::seconds(3))
      : gather_(gather), patience_(patience) {
    server_.Get(R"(/item/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      int n = std::stoi(req.matches[1]);
      {
        std::unique_lock<std::mutex> l(mu_);
        ++in_flight_;
        max_in_flight_ = std::max(max_in_flight_, in_flight_);
        cv_.notify_all();
        cv_.wait_for(l, patience_, [&] { return max_in_flight_ >= gather_; });
        // Item 0 finishes last: completion order differs from request order.
        if (n == 0)
          cv_.wait_for(l, patience_, [&] { return finished_ >= gather_ - 1; });
        --in_flight_;
        ++finished_;
        cv_.notify_all();
      }
      res.status = n == 2 ? 404 : 200;
      res.set_header("X-Item", std::to_string(n));
      res.set_content("item " + std::to_string(n), "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~Server() {
    server_.stop();
    thread_.join();
  }
  std::string Url(int n) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/item/" + std::to_string(n);
  }
  int max_in_flight() {
    std::lock_guard<std::mutex> l(mu_);
    return max_in_flight_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int gather_;
  std::chrono::milliseconds patience_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0, max_in_flight_ = 0, finished_ = 0;
};

std::vector<HttpRequest> Requests(const Server& s, int n) {
  std::vector<HttpRequest> out;
  for (int i = 0; i < n; ++i) {
    HttpRequest r;
    r.url = s.Url(i);
    r.headers["Authorization"] = "Bearer not-logged";
    out.push_back(r);
  }
  return out;
}

TEST(CurlBatch, RequestsOverlapAndResultsFollowRequestOrder) {
  Server server(4);
  auto t = MakeCurlTransport({});
  auto got = t->SendAll(Requests(server, 4));
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(got[i].ok()) << got[i].status().ToString();
    EXPECT_EQ(got[i]->body, "item " + std::to_string(i));
    EXPECT_EQ(got[i]->Header("x-item").value_or(""), std::to_string(i));
  }
  EXPECT_EQ(got[2]->status, 404);
  EXPECT_EQ(got[0]->status, 200);
  EXPECT_EQ(server.max_in_flight(), 4);

  // The transport stays usable for single requests and further batches.
  auto single = t->Send(Requests(server, 2)[1]);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->body, "item 1");
}

TEST(CurlBatch, ConnectionsPerHostAreCapped) {
  Server server(3, std::chrono::milliseconds(200));  // they never gather: do not wait long
  CurlTransportOptions o;
  o.max_connections = 1;
  auto t = MakeCurlTransport(o);
  auto got = t->SendAll(Requests(server, 3));
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i].ok()) << got[i].status().ToString();
    EXPECT_EQ(got[i]->body, "item " + std::to_string(i));
  }
  EXPECT_EQ(server.max_in_flight(), 1);
}

TEST(CurlBatch, FailuresArePerRequest) {
  Server server(1);
  auto t = MakeCurlTransport({});
  std::vector<HttpRequest> rs = Requests(server, 2);
  HttpRequest refused;
  refused.url = "http://127.0.0.1:1/";
  refused.connect_timeout = std::chrono::milliseconds(500);
  rs.insert(rs.begin() + 1, refused);
  HttpRequest bad;
  bad.url = "ftp://127.0.0.1/x";
  rs.push_back(bad);
  auto got = t->SendAll(rs);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0]->body, "item 0");
  ASSERT_FALSE(got[1].ok());
  EXPECT_EQ(got[1].status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(got[2]->body, "item 1");
  ASSERT_FALSE(got[3].ok());
  EXPECT_EQ(got[3].status().code(), StatusCode::kInvalidArgument);
}

TEST(CurlBatch, CancelledTransportRefusesTheWholeBatch) {
  CurlTransportOptions o;
  o.cancel = std::make_shared<std::atomic<bool>>(true);
  auto t = MakeCurlTransport(o);
  std::vector<HttpRequest> rs(3);
  for (auto& r : rs) r.url = "http://127.0.0.1:1/";
  auto got = t->SendAll(rs);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(t->SendAll({}).empty());
}

}  // namespace
}  // namespace cmk
