// The outbox readers' wakeup (outbox_watch.hpp).
#include "api/outbox_watch.hpp"

namespace onemap::api {

OutboxWatch::OutboxWatch(std::shared_ptr<layers::County> county) : county_(std::move(county)) {
  listener_ = county_->on_change([this](const layers::Change& c) {
    if (c.ticket || (c.layer == layers::LayerKind::Incidents && c.feature_layer.empty())) poke();
  });
}

OutboxWatch::~OutboxWatch() {
  county_->remove_listener(listener_);
  stop();
}

bool OutboxWatch::wait_until(std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, until, [&] { return stopping_ || changed_; });
  changed_ = false;
  return !stopping_;
}

void OutboxWatch::poke() {
  {
    std::lock_guard lock(mutex_);
    changed_ = true;
  }
  wake_.notify_all();
}

void OutboxWatch::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

bool OutboxWatch::stopped() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

}  // namespace onemap::api
