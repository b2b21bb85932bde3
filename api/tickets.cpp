// The intake queue's endpoints (tickets.hpp).
#include "api/tickets.hpp"

#include "api/answers.hpp"
#include "api/item_query.hpp"
#include "api/records.hpp"
#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <charconv>
#include <limits>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;
using http::Context;

// A stored JSON text as JSON (an empty one as `empty`).
json stored(const std::string& text, json empty) {
  return text.empty() ? empty : layers::stored_json<json>(text);
}

int64_t ticket_id(const Context& c) {
  const std::string_view v = c.param("id");
  int64_t id = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
  if (ec != std::errc() || p != v.data() + v.size() || id <= 0)
    throw NotFound("no ticket '" + std::string(v) + "'");
  return id;
}

http::Response list(const layers::County& county, Context& c) {
  std::string state;
  std::size_t limit = 50, offset = 0;
  for (const auto& [k, v] : c.query) {
    if (k == "state") {
      if (!v.empty()) triage::check_ticket_state(v, "state");
      state = v;
    } else if (k == "limit") {
      limit = features::parse_count_in("limit", v, 1, 1000);
    } else if (k == "offset") {
      offset = features::parse_count_in("offset", v, 0, std::numeric_limits<int32_t>::max());
    }
  }
  const layers::TicketPage page = county.tickets(*c.user, state, limit, offset);
  json items = json::array();
  for (const auto& t : page.tickets) items.push_back(ticket_json(t, true));
  return no_store_json(200, {{"total", page.total}, {"tickets", std::move(items)}});
}

http::Response one(const layers::County& county, Context& c) {
  const layers::Ticket t = county.ticket(ticket_id(c));
  // A ticket outside the user's area is not there for it.
  if (!triage::may_see_ticket(*c.user, t))
    throw NotFound("no ticket with id " + std::to_string(t.id));
  http::Response r = no_store_json(200, ticket_json(t, true));
  r.set_header("ETag", "\"" + std::to_string(t.version) + "\"");
  return r;
}

http::Response decide(layers::County& county, Context& c) {
  const int64_t id = ticket_id(c);
  if (!triage::may_see_ticket(*c.user, county.ticket(id)))
    throw NotFound("no ticket with id " + std::to_string(id));
  const layers::TicketDecision d =
      read_ticket_decision(c.request.body, std::string(c.request.header("if-match")));
  const layers::Decided done = county.decide(id, d, *c.user);
  json body = {{"ticket", ticket_json(done.ticket, true)}};
  if (done.incident)
    body["incident"] = {{"id", done.incident->fid},
                        {"url", "/incidents/" + std::to_string(done.incident->fid)},
                        {"status", done.incident->status},
                        {"assignee", done.incident->assignee},
                        {"agency", done.incident->agency}};
  http::Response r = no_store_json(200, body);
  r.set_header("ETag", "\"" + std::to_string(done.ticket.version) + "\"");
  return r;
}

}  // namespace

json ticket_json(const layers::Ticket& t, bool staff) {
  json j = {{"id", t.id},
            {"url", "/tickets/" + std::to_string(t.id)},
            {"state", t.state},
            {"received_at", layers::format_time(t.received_at)},
            {"source", t.source},
            {"category", t.category},
            {"waits_for", stored(t.waits_for, json::array())},
            {"located_by", t.located_by}};
  if (t.incident) j["incident"] = t.incident;
  if (!staff) return j;
  j["description"] = t.description;
  j["address"] = t.address;
  j["lon"] = t.location ? json(t.location->lon) : json(nullptr);
  j["lat"] = t.location ? json(t.location->lat) : json(nullptr);
  j["area"] = t.area;
  j["candidates"] = stored(t.candidates, json::array());
  j["duplicates"] = stored(t.duplicates, json::array());
  j["reporter"] = t.reporter;
  j["external_id"] = t.external_id;
  j["extra"] = stored(t.extra, json::object());
  j["note"] = t.note;
  j["decided_by"] = t.decided_by;
  j["decided_at"] = t.decided_at ? json(layers::format_time(t.decided_at)) : json(nullptr);
  j["version"] = t.version;
  return j;
}

void add_ticket_routes(http::Router& router, const std::shared_ptr<layers::County>& county) {
  auto add = [&](std::string method, std::string pattern, http::Lane lane,
                 std::vector<std::string> parameters, http::Handler handler) {
    http::Route r;
    r.methods = {std::move(method)};
    r.pattern = std::move(pattern);
    r.lane = lane;
    r.audience = http::Audience::Roles;
    r.roles = {"admin", "centre"};
    r.parameters = std::move(parameters);
    r.handler = std::move(handler);
    router.add(std::move(r));
  };
  add("GET", "/tickets", http::Lane::Read, {"state", "limit", "offset"},
      [county](Context& c) { return list(*county, c); });
  add("GET", "/tickets/{id}", http::Lane::Read, {},
      [county](Context& c) { return one(*county, c); });
  add("POST", "/tickets/{id}/actions", http::Lane::Write, {},
      [county](Context& c) { return decide(*county, c); });
}

}  // namespace onemap::api
