// A webhook subscriber on loopback for the tests (api/webhooks.hpp): a small HTTP server in the
// test process that records each POST's body and headers and answers with the status its
// policy chooses (a 500 now and then exercises the retries).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace onemap::testing {

/// One POST the receiver took.
struct Delivery {
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  int answered = 0;  ///< the status it was answered with
};

class WebhookReceiver {
 public:
  /// The status to answer the n-th POST (0, 1, …) with.
  using Policy = std::function<int(std::size_t n, const Delivery& d)>;
  /// Listens on 127.0.0.1 on a free port; answers 200 unless `policy` says otherwise.
  explicit WebhookReceiver(Policy policy = {});
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  uint16_t port() const { return port_; }
  /// "http://127.0.0.1:PORT/hook".
  std::string url() const;
  /// Every POST so far, in the order received.
  std::vector<Delivery> deliveries() const;
  /// Waits until `done(deliveries())` holds or `timeout` passes; whether it held.
  bool wait_for(const std::function<bool(const std::vector<Delivery>&)>& done,
                std::chrono::milliseconds timeout);

 private:
  void serve();
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  Policy policy_;
  mutable std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// `onemap webhook add` of a subscriber `name` of `kind` (webhook, sms) at `url` on `store`, its
/// signing secret `secret` from a file in `dir`; fails the test when the command does (or prints
/// the secret).
void add_subscriber(const std::string& dir, const std::string& store, const std::string& name,
                    const std::string& url, const std::string& secret,
                    const std::string& kind = "webhook");

}  // namespace onemap::testing
