// The closed loop's figures (layers::LoopMetrics) as every answer gives them: the "loop" of
// GET /collections/incidents/stats and each row of GET /stats/loop.
#pragma once

#include "layers/county/county.hpp"

#include <nlohmann/json.hpp>

namespace onemap::api {

/// {"closed", "open", "overdue", "closure_rate", "on_time_rate", "median_hours_to_close",
/// "handled", "handled_on_time", "effective_rate", "timely_rate", "returned", "reopened",
/// "return_rate", "reopen_rate", "median_stage_hours": {stage: hours}}; a rate of nothing and a
/// median of nothing are null. `m` is finished.
nlohmann::ordered_json loop_json(const layers::LoopMetrics& m);

}  // namespace onemap::api
