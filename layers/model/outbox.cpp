// The outbox's filters (outbox.hpp).
#include "layers/model/outbox.hpp"

#include <algorithm>

namespace onemap::layers {

bool wants(const Subscriber& subscriber, const OutboxRow& row) {
  if (row.area.rfind(subscriber.area, 0) != 0) return false;
  auto named = [&](const auto& actions) {
    return std::find(std::begin(actions), std::end(actions), row.action) != std::end(actions);
  };
  if (subscriber.kind == kSms && !texts_resident(row)) return false;
  if (subscriber.kind != kSms && row.subject == kSmsSubject) return false;
  return subscriber.actions.empty() || named(subscriber.actions);
}

bool texts_resident(const OutboxRow& row) {
  auto one_of = [&](std::initializer_list<std::string_view> actions) {
    return std::find(actions.begin(), actions.end(), row.action) != actions.end();
  };
  if (row.subject == kSmsSubject) return true;
  if (row.subject.starts_with("incident:")) return one_of({"report", "close"});
  if (row.subject.starts_with("ticket:")) return one_of({"receive", "merge", "reject"});
  return false;
}

std::string incident_subject(int64_t fid) {
  return "incident:" + std::to_string(fid);
}

}  // namespace onemap::layers
