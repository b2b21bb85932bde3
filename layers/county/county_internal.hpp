// What the county's sources (county.hpp lists them) share with each other and with no one else.
#pragma once

#include "layers/dispatch/dispatch_config.hpp"
#include "layers/model/model.hpp"
#include "layers/model/outbox.hpp"
#include "layers/model/ticket.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace onemap::layers::county_internal {

/// A distance as the routing reasons write it: "1234 m".
inline std::string fmt_m(double m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f m", m);
  return buf;
}

/// The If-Match of a write: @throws Conflict (conflict_version) naming `what` ("incident 7")
/// when the caller last saw another version than `current`.
void check_version(const std::string& what, int64_t current, std::optional<int64_t> expected);

/// Whether two joins are the same: grid, kind and distance.
inline bool same_join(const GridJoin& a, const GridJoin& b) {
  return a.grid_code == b.grid_code && a.kind == b.kind && a.distance_m == b.distance_m;
}

/// Raises an incident one escalation level (grid → village → town → county): level, agency and
/// a new deadline (the configured working hours from `now`) on `after`, from `before`; returns
/// the event's detail. (county_escalation.cpp)
nlohmann::ordered_json escalate(const Incident& before, Incident& after,
                                const DispatchConfig& config, int64_t now);

/// The outbox row of a ticket's `action` (receive, admit, reject, merge): its subject
/// ("ticket:7"), its area, and as payload its public part and the incident it became or joined
/// (`incident`, 0 for none). (county_triage.cpp)
OutboxRow ticket_row(const Ticket& ticket, const std::string& action, int64_t incident, int64_t at);

}  // namespace onemap::layers::county_internal
