// A burst of the closed loop against a spawned `onemap serve` (server_process.hpp), from several
// clients at once: each sends Open311 intakes, then accepts, starts and resolves each incident as
// the administrator, until stopped or the server is gone (the durability tests kill it midway).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace onemap::testing {

/// One step a client saw acknowledged: the incident, and its version and status in the answer.
struct LoopAck {
  int64_t id = 0;
  int64_t version = 0;
  std::string status;
};

class LoopBurst {
 public:
  /// Starts `clients` threads against 127.0.0.1:`port`; `reporter_key` is the Open311 api_key.
  /// `on_ack` is called from the clients' threads for every acknowledged step.
  LoopBurst(uint16_t port, std::string reporter_key, int clients,
            std::function<void(const LoopAck&)> on_ack);
  /// stop(), then waits for the clients.
  ~LoopBurst();
  LoopBurst(const LoopBurst&) = delete;
  LoopBurst& operator=(const LoopBurst&) = delete;

  /// Asks the clients to stop after their current request.
  void stop() { stop_ = true; }
  /// Steps acknowledged so far.
  int acks() const { return acks_.load(); }

 private:
  void client(int k);
  uint16_t port_;
  std::string key_;
  std::function<void(const LoopAck&)> on_ack_;
  std::atomic<bool> stop_{false};
  std::atomic<int> acks_{0};
  std::vector<std::thread> threads_;
};

}  // namespace onemap::testing
