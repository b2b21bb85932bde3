// The audit trails of the demo's incidents: the events the closed loop would have written for
// each (report, dispatch, accept, start, resolve, verify, close, as far as its status goes), so
// that the loop's stage figures (layers::LoopMetrics: median hours of each stage, 及时率 by the
// resolve) have data on the demo county as on a county that ran onemap for a year.
#pragma once

#include "layers/model/model.hpp"

#include <cstdint>
#include <vector>

namespace onemap::layers {

/// The demo's loop: the statuses an open incident may be in, in order, and the share of its time
/// to close at which each ends (an incident is in the status whose share of the time has passed).
inline constexpr const char* kDemoStages[] = {"reported",    "dispatched", "accepted",
                                              "in_progress", "resolved",   "verified"};
inline constexpr double kDemoStageEnds[] = {0.05, 0.15, 0.25, 0.70, 0.85, 1.0};

/// The trails of `data`'s incidents, whose fids must be set (Store::replace_all). A closed
/// incident's stages share its time to close, each stage's share drawn around the demo's own
/// (dispatch 5 %, accept 10 %, start 10 %, resolve 45 %, verify 15 %, close 15 %); an open one's
/// steps lie at those shares of the time it would take, as far as its status, all before
/// `end_time`. Deterministic for a seed.
std::vector<IncidentEvent> build_demo_trails(const Dataset& data, int64_t end_time, uint64_t seed);

}  // namespace onemap::layers
