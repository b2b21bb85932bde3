// The outbox's filters (outbox.hpp).
#include "layers/model/outbox.hpp"

#include <algorithm>

namespace onemap::layers {

bool wants(const Subscriber& subscriber, const OutboxRow& row) {
  if (row.area.rfind(subscriber.area, 0) != 0) return false;
  auto named = [&](const auto& actions) {
    return std::find(std::begin(actions), std::end(actions), row.action) != std::end(actions);
  };
  if (subscriber.kind == kSms && !named(kSmsActions)) return false;
  return subscriber.actions.empty() || named(subscriber.actions);
}

std::string incident_subject(int64_t fid) {
  return "incident:" + std::to_string(fid);
}

}  // namespace onemap::layers
