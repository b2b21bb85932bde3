// What the outbox's readers (api/webhooks.hpp, api/events.hpp) wait on: a wakeup whenever an
// incident or a ticket of the county changes, when a new outbox row may be there.
#pragma once

#include "layers/county/county.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace onemap::api {

class OutboxWatch {
 public:
  /// Listens to the county's changes: the listener, under the county's locks, only sets a flag.
  explicit OutboxWatch(std::shared_ptr<layers::County> county);
  /// Stops listening.
  ~OutboxWatch();
  OutboxWatch(const OutboxWatch&) = delete;
  OutboxWatch& operator=(const OutboxWatch&) = delete;

  /// Waits until an incident changed (or poke()) since the last wait, or `until`; false once
  /// stop() was called.
  bool wait_until(std::chrono::steady_clock::time_point until);
  /// Wakes the waiter as a change would.
  void poke();
  /// Ends the waits: wait_until returns false from now on.
  void stop();
  bool stopped() const;

 private:
  std::shared_ptr<layers::County> county_;
  uint64_t listener_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool changed_ = false;
  bool stopping_ = false;
};

}  // namespace onemap::api
