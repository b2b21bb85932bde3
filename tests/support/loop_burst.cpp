// The closed loop's burst (loop_burst.hpp).
#include "tests/support/loop_burst.hpp"

#include "tests/support/http_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>

namespace onemap::testing {

namespace {

// The answer, or nullopt once the server is gone.
std::optional<HttpResponse> send(HttpConnection& c, const std::string& target,
                                 const std::string& body, const std::string& content_type,
                                 const std::string& token) {
  try {
    return c.send("POST", target, body, token, content_type);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

LoopBurst::LoopBurst(uint16_t port, std::string reporter_key, int clients,
                     std::function<void(const LoopAck&)> on_ack)
    : port_(port), key_(std::move(reporter_key)), on_ack_(std::move(on_ack)) {
  for (int k = 0; k < clients; ++k) threads_.emplace_back([this, k] { client(k); });
}

LoopBurst::~LoopBurst() {
  stop();
  for (auto& t : threads_) t.join();
}

void LoopBurst::client(int k) {
  using json = nlohmann::json;
  std::unique_ptr<HttpConnection> c;
  for (int n = 0; !stop_.load(); ++n) {
    try {
      if (!c) c = std::make_unique<HttpConnection>(port_, std::chrono::seconds(5));
    } catch (const std::exception&) {
      return;
    }
    // An intake…
    const double lon = 120.002 + 0.0009 * ((n * 7 + k * 13) % 50),
                 lat = 30.01 + 0.0035 * ((n * 3 + k) % 50);
    const auto r = send(*c, "/open311/v2/requests.json",
                        form_body({{"api_key", key_},
                                   {"service_code", "0101"},
                                   {"lat", std::to_string(lat)},
                                   {"long", std::to_string(lon)},
                                   {"description", "burst " + std::to_string(k)}}),
                        "application/x-www-form-urlencoded", "");
    if (!r) return;
    if (r->status != 201) {
      ADD_FAILURE() << r->status << " " << r->body;
      return;
    }
    const int64_t id = std::stoll(json::parse(r->body)[0]["service_request_id"].get<std::string>());
    ++acks_;
    on_ack_({id, 1, "dispatched"});
    // …then its loop as far as it gets: accept, start, resolve (the administrator may).
    for (const char* action : {"accept", "start", "resolve"}) {
      const auto t = send(*c, "/incidents/" + std::to_string(id) + "/actions",
                          json{{"action", action}}.dump(), "application/json", kAdminToken);
      if (!t) return;
      if (t->status != 200) {
        ADD_FAILURE() << action << " " << t->status << " " << t->body;
        return;
      }
      const json j = json::parse(t->body);
      ++acks_;
      on_ack_({id, j["version"].get<int64_t>(), j["status"].get<std::string>()});
    }
  }
}

}  // namespace onemap::testing
