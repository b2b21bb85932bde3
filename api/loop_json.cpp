// The closed loop's figures as JSON (loop_json.hpp).
#include "api/loop_json.hpp"

namespace onemap::api {

nlohmann::ordered_json loop_json(const layers::LoopMetrics& m) {
  using json = nlohmann::ordered_json;
  auto value_or_null = [](std::optional<double> v) { return v ? json(*v) : json(nullptr); };
  // A rate of `of` things: null when there are none.
  auto rate = [](double r, std::size_t of) { return of ? json(r) : json(nullptr); };
  json stages = json::object();
  for (std::size_t k = 0; k < m.kStages.size(); ++k)
    stages[m.kStages[k]] = value_or_null(m.median_stage_hours[k]);
  return {{"closed", m.closed},
          {"open", m.open},
          {"overdue", m.overdue},
          {"closure_rate", rate(m.closure_rate, m.total)},
          {"on_time_rate", rate(m.on_time_rate, m.with_deadline_closed)},
          {"median_hours_to_close", value_or_null(m.median_hours_to_close)},
          // The figures the county is judged by: 有效率 and 及时率, returns and reopenings.
          {"handled", m.handled},
          {"handled_on_time", m.handled_on_time},
          {"effective_rate", rate(m.effective_rate, m.total)},
          {"timely_rate", rate(m.timely_rate, m.handled_with_deadline)},
          {"returned", m.returned},
          {"reopened", m.reopened},
          {"return_rate", rate(m.return_rate, m.total)},
          {"reopen_rate", rate(m.reopen_rate, m.handled)},
          {"median_stage_hours", std::move(stages)}};
}

}  // namespace onemap::api
