// GET /events (README "Push, never poll"): the outbox (layers/model/outbox.hpp) as server-sent
// events, as the caller may read it:
//
//   id: <outbox id>
//   data: {"id", "subject", "action", "area", "seq", "from", "to", "at", "incident": {…}}
//
// An area-scoped user hears only of cases in its area; the public not of sensitive categories,
// and of an incident only the fields the read policy gives it (auth/read_policy.hpp); of another
// subject's rows (not an incident's) only staff hear. A client
// that reconnects with Last-Event-ID resumes after that event; without it, it hears of what
// happens from now on. A comment (": ping") keeps an idle stream open. Streams hold a connection
// each but no worker (http/transport.hpp); beyond `max_streams` a new one is a 503.
#pragma once

#include "auth/read_policy.hpp"
#include "http/router.hpp"
#include "layers/county/county.hpp"
#include "layers/model/outbox.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace onemap::api {

struct EventStreamOptions {
  std::size_t max_streams = 256;
  std::chrono::milliseconds heartbeat{15000};  ///< a ": ping" when nothing else was sent
};

/// The message of `row` for `viewer` ("id: …\ndata: …\n\n"), or nullopt when the
/// viewer may not hear of it.
std::optional<std::string> event_message(const layers::County& county, const auth::Viewer& viewer,
                                         const layers::OutboxRow& row);

/// Adds GET /events to `router`: its streams are written by a thread of their own, which reads
/// the outbox through a store connection of its own and stops when the router goes.
void add_event_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      const std::shared_ptr<const auth::ReadPolicy>& policy,
                      EventStreamOptions options);

}  // namespace onemap::api
