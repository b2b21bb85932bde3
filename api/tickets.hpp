// The command centre's intake queue (工单准入, layers/triage/triage.hpp) over HTTP:
//
//   GET  /tickets?state=pending&limit=50&offset=0   the queue, newest first
//   GET  /tickets/{id}                               one ticket: candidates, duplicates
//   POST /tickets/{id}/actions                       {"action": "admit", "lon", "lat"?,
//                                                     "category"?, "note"?}
//                                                    {"action": "reject", "note": "why"}
//                                                    {"action": "merge", "into": 42, "note"?}
//
// For admins and command-centre users, a scoped one within its area. A report that waits is
// answered 202 by its intake (POST /incidents, Open311) with the ticket as its reporter may see
// it: no candidates, no duplicates, nothing of anyone else.
#pragma once

#include "http/router.hpp"
#include "layers/county/county.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace onemap::api {

/// A ticket as JSON: `staff` (the centre) reads all of it; the reporter its state and why it
/// waits.
nlohmann::ordered_json ticket_json(const layers::Ticket& ticket, bool staff);

/// Adds the /tickets routes to `router`.
void add_ticket_routes(http::Router& router, const std::shared_ptr<layers::County>& county);

}  // namespace onemap::api
