// The closed loop's metrics (county.hpp): 有效率 and 及时率, closure and on-time rates, overdue
// counts, returns and reopenings, and the median time of each stage over a window of incidents;
// what became of the tickets.
#include "layers/county/county.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <map>

namespace onemap::layers {

namespace {

// The middle value (or the mean of the two middle ones) without sorting them all.
std::optional<double> median(std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  const std::size_t n = v.size();
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  return n % 2 ? *mid : (*std::max_element(v.begin(), mid) + *mid) / 2;
}

double ratio(std::size_t a, std::size_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0;
}

}  // namespace

void LoopMetrics::add(const Incident& in, int64_t now, std::span<const IncidentEvent> trail) {
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
  // The ends of the stages: the report, then each stage's event.
  std::array<int64_t, kStages.size() + 1> at{};
  at[0] = in.reported_at;
  bool was_returned = false, was_reopened = false;
  for (const IncidentEvent& e : trail) {
    if (e.action == "dispatch" && !at[1]) at[1] = e.at;
    if ((e.action == "accept" || e.action == "task_accept") && !at[2]) at[2] = e.at;
    if (e.action == "resolve") at[3] = e.at;
    if (e.action == "verify") at[4] = e.at;
    if (e.action == "close") at[5] = e.at;
    was_returned = was_returned || e.action == "return";
    was_reopened = was_reopened || e.action == "reopen";
  }
  returned += was_returned;
  reopened += was_reopened;
  for (std::size_t k = 0; k < kStages.size(); ++k)
    if (at[k] && at[k + 1] && at[k + 1] >= at[k])
      stage_hours_[k].push_back(static_cast<double>(at[k + 1] - at[k]) / 3600.0);
  if (!is_open_state(in.status)) {
    ++handled;
    const int64_t resolved_at = at[3] ? at[3] : in.closed_at ? in.closed_at : in.updated_at;
    if (in.deadline) {
      ++handled_with_deadline;
      if (resolved_at && resolved_at <= in.deadline) ++handled_on_time;
    }
  }
}

void LoopMetrics::finish() {
  closure_rate = ratio(closed, total);
  on_time_rate = ratio(on_time, with_deadline_closed);
  effective_rate = ratio(handled, total);
  timely_rate = ratio(handled_on_time, handled_with_deadline);
  return_rate = ratio(returned, total);
  reopen_rate = ratio(reopened, handled);
  median_hours_to_close = median(hours_);
  for (std::size_t k = 0; k < kStages.size(); ++k) median_stage_hours[k] = median(stage_hours_[k]);
}

std::span<const IncidentEvent> County::trail_of(int64_t fid) const {
  const auto it = events_.find(fid);
  return it == events_.end() ? std::span<const IncidentEvent>() : it->second;
}

TicketCounts County::ticket_counts(const std::string& area, int64_t from, int64_t to) const {
  TicketCounts c;
  auto lock = read();
  for (const Ticket& t : tickets_) {
    if ((from && t.received_at < from) || (to && t.received_at >= to)) continue;
    if (!area.empty() && !t.area.starts_with(area)) continue;
    ++c.received;
    if (t.state == "pending") ++c.pending;
    if (t.state == "admitted") ++c.admitted;
    if (t.state == "rejected") ++c.rejected;
    if (t.state == "merged") ++c.merged;
  }
  return c;
}

namespace {

// Whether metrics() counts `in`: reported in [from, to), of `category` (empty: any), its grid or
// agency inside `area`.
bool counted(const Incident& in, const std::string& area, const std::string& category, int64_t from,
             int64_t to) {
  if (from && in.reported_at < from) return false;
  if (to && in.reported_at >= to) return false;
  if (!category.empty() && in.category != category) return false;
  return area.empty() || in.join.grid_code.starts_with(area) || in.agency.starts_with(area);
}

}  // namespace

LoopMetrics County::metrics(const std::string& area, const std::string& category, int64_t from,
                            int64_t to, int64_t now) const {
  now = clock(now);
  LoopMetrics m;
  auto lock = read();
  for (const auto& in : data_.incidents)
    if (counted(in, area, category, from, to)) m.add(in, now, trail_of(in.fid));
  m.finish();
  return m;
}

std::vector<std::pair<std::string, LoopMetrics>> County::metrics_by(std::string_view by,
                                                                    const std::string& area,
                                                                    int64_t from, int64_t to,
                                                                    int64_t now) const {
  if (by != "worker" && by != "agency" && by != "town" && by != "grid")
    throw InvalidArgument("by", "must be worker, agency, town or grid");
  const std::size_t town = code_length(GridLevel::Town);
  auto key = [&](const Incident& in) -> std::string {
    if (by == "worker") return in.assignee;
    if (by == "agency") return in.agency;
    if (by == "grid") return in.join.grid_code;
    return in.join.grid_code.size() >= town ? in.join.grid_code.substr(0, town) : std::string();
  };
  now = clock(now);
  std::map<std::string, LoopMetrics> groups;
  {
    auto lock = read();
    for (const auto& in : data_.incidents)
      if (counted(in, area, {}, from, to)) groups[key(in)].add(in, now, trail_of(in.fid));
  }
  std::vector<std::pair<std::string, LoopMetrics>> out(groups.begin(), groups.end());
  for (auto& [key, m] : out) m.finish();
  return out;
}

}  // namespace onemap::layers
