// The closed loop's metrics (county.hpp): closure and on-time rates, overdue counts and the
// median time to close over a window of incidents.
#include "layers/county/county.hpp"

#include <algorithm>

namespace onemap::layers {

void LoopMetrics::add(const Incident& in, int64_t now) {
  ++total;
  if (in.status == "closed") {
    ++closed;
    if (in.closed_at) hours_.push_back(static_cast<double>(in.closed_at - in.reported_at) / 3600.0);
    if (in.deadline) {
      ++with_deadline_closed;
      if (in.closed_at && in.closed_at <= in.deadline) ++on_time;
    }
  }
  if (is_open_state(in.status)) {
    ++open;
    if (in.overdue || (in.deadline && in.deadline < now)) ++overdue;
  }
}

void LoopMetrics::finish() {
  closure_rate = total ? static_cast<double>(closed) / static_cast<double>(total) : 0;
  on_time_rate = with_deadline_closed
                     ? static_cast<double>(on_time) / static_cast<double>(with_deadline_closed)
                     : 0;
  median_hours_to_close.reset();
  if (!hours_.empty()) {
    // The middle value (or the two middle ones) without sorting them all.
    const std::size_t n = hours_.size();
    const auto mid = hours_.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(hours_.begin(), mid, hours_.end());
    median_hours_to_close = n % 2 ? *mid : (*std::max_element(hours_.begin(), mid) + *mid) / 2;
  }
}

LoopMetrics County::metrics(const std::string& area, const std::string& category, int64_t from,
                            int64_t to, int64_t now) const {
  now = clock(now);
  LoopMetrics m;
  auto lock = read();
  for (const auto& in : data_.incidents) {
    if (from && in.reported_at < from) continue;
    if (to && in.reported_at >= to) continue;
    if (!category.empty() && in.category != category) continue;
    if (!area.empty() && in.join.grid_code.rfind(area, 0) != 0 && in.agency.rfind(area, 0) != 0)
      continue;
    m.add(in, now);
  }
  m.finish();
  return m;
}

}  // namespace onemap::layers
