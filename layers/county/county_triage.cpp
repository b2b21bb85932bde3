// The command centre's intake queue: reports received, tickets decided (county.hpp; the rules
// are layers/triage/triage.hpp).
#include "layers/county/county.hpp"
#include "layers/county/county_internal.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "layers/triage/duplicates.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace onemap::layers {

namespace {

using json = nlohmann::ordered_json;

json duplicates_json(const std::vector<triage::Duplicate>& found, const Dataset& data,
                     const std::vector<std::size_t>& at) {
  json out = json::array();
  for (std::size_t k = 0; k < found.size(); ++k) {
    const auto& d = found[k];
    const Incident& in = data.incidents[at[k]];
    out.push_back({{"incident", d.fid},
                   {"score", d.score},
                   {"distance_m", d.distance_m},
                   {"hours", d.hours},
                   {"text_similarity", d.text},
                   {"same_category", d.same_category},
                   {"category", in.category},
                   {"status", in.status},
                   {"reported_at", format_time(in.reported_at)}});
  }
  return out;
}

// The ticket's reporter as an actor of the report it becomes.
Actor reporter_of(const Ticket& t) {
  Actor a;
  a.id = t.reporter;
  a.role = "reporter";
  return a;
}

}  // namespace

OutboxRow county_internal::ticket_row(const Ticket& t, const std::string& action, int64_t incident,
                                      int64_t at) {
  OutboxRow r;
  r.at = at;
  r.subject = "ticket:" + std::to_string(t.id);
  r.action = action;
  r.area = t.area;
  json payload = {
      {"subject", r.subject},
      {"action", action},
      {"at", format_time(at)},
      {"ticket",
       {{"id", t.id}, {"state", t.state}, {"source", t.source}, {"category", t.category}}}};
  if (incident) payload["incident"] = {{"fid", incident}};
  r.payload = json_text(payload);
  return r;
}

void County::keep_ticket(const Ticket& t) {
  auto it = std::lower_bound(tickets_.begin(), tickets_.end(), t.id,
                             [](const Ticket& x, int64_t id) { return x.id < id; });
  if (it != tickets_.end() && it->id == t.id)
    *it = t;
  else
    tickets_.insert(it, t);
  Change c;
  c.ticket = t.id;
  notify(c);
}

Received County::receive(Report report, const Actor& actor, int64_t now) {
  now = clock(now);
  Incident& in = report.incident;
  if (!report.placed && in.address.empty())
    throw InvalidArgument("lon", "lon and lat, or an address, are required");
  check_report(in, actor, now, report.placed);
  auto lock = write_lock();
  check_unique_id(LayerKind::Incidents, in.id, 0);
  // A report sent again (a phone retrying after a lost answer, a channel resending its ticket)
  // is not taken twice while it waits, nor after it was rejected or merged.
  if (!in.id.empty())
    for (const Ticket& t : tickets_)
      if (t.external_id == in.id)
        throw Conflict("id",
                       "'" + in.id + "' is the id of ticket " + std::to_string(t.id) + " already",
                       "conflict_duplicate");
  std::vector<triage::Duplicate> found;
  if (report.placed) found = triage::suggest_duplicates(in, data_.incidents, dispatch_);
  const auto why =
      triage::reasons_to_wait(dispatch_.triage, in.source, report.placed, !found.empty());
  Received out;
  if (why.empty()) {
    out.incident = route_new(std::move(in), actor, now, nullptr, {});
    return out;
  }
  Ticket t;
  t.received_at = in.reported_at;
  t.source = in.source;
  t.category = in.category;
  t.description = in.description;
  t.address = in.address;
  if (report.placed) {
    t.location = in.location;
    t.area = joiner_->join(in.location).grid_code;
  } else {
    t.area = report.area;
  }
  t.located_by = report.located_by;
  t.candidates = report.candidates;
  std::vector<std::size_t> at;
  for (const auto& d : found) at.push_back(incident_index(d.fid));
  t.duplicates = json_text(duplicates_json(found, data_, at));
  t.waits_for = json_text(json(why));
  t.reporter = in.reporter;
  t.external_id = in.id;
  t.extra = in.extra;
  Store::Batch batch;
  batch.tickets.push_back({&t});
  batch.outbox.emplace_back(
      [&t, now] { return county_internal::ticket_row(t, "receive", 0, now); });
  store_->put(batch);  // on disk before the answer: WriteLock
  std::unique_lock memory(mutex_);
  keep_ticket(t);
  out.ticket = t;
  return out;
}

Decided County::decide(int64_t id, const TicketDecision& d, const Actor& actor) {
  const int64_t now = clock(d.now);
  auto lock = write_lock();
  Ticket t = ticket(id);
  triage::check_may_triage(actor, t);
  county_internal::check_version("ticket " + std::to_string(id), t.version, d.expected_version);
  if (t.state != "pending")
    throw Conflict("ticket " + std::to_string(id) + " is " + t.state +
                   " already: only a pending ticket is decided");
  t.version += 1;
  t.decided_by = actor.id;
  t.decided_at = now;
  t.note = d.note;
  Decided out;
  switch (d.action) {
    case triage::TicketAction::Reject: {
      if (d.note.empty()) throw InvalidArgument("note", "a rejection needs its reason");
      t.state = "rejected";
      Store::Batch batch;
      batch.tickets.push_back({&t});
      batch.outbox.emplace_back(
          [&t, now] { return county_internal::ticket_row(t, "reject", 0, now); });
      store_->put(batch);
      std::unique_lock memory(mutex_);
      keep_ticket(t);
      break;
    }
    case triage::TicketAction::Admit: {
      Incident in;
      in.category = d.category.value_or(t.category);
      in.description = t.description;
      in.address = t.address;
      in.source = t.source;
      in.id = t.external_id;
      in.reported_at = t.received_at;
      in.extra = t.extra;
      if (d.location) {
        check_location(*d.location, "lat");
        check_area(actor, joiner_->join(*d.location).grid_code, "the place given");
        t.location = d.location;
        t.located_by = "centre";
      }
      if (!t.location)
        throw InvalidArgument(
            "lon", "ticket " + std::to_string(id) + " has no place: admit it with lon and lat");
      in.location = *t.location;
      check_report(in, reporter_of(t), now, true);
      in.reported_at = t.received_at;
      t.state = "admitted";
      t.category = in.category;
      const json detail = {{"ticket", t.id}, {"admitted_by", actor.id}};
      out.incident = route_new(std::move(in), reporter_of(t), now, &t, json_text(detail));
      break;
    }
    case triage::TicketAction::Merge: {
      if (d.into <= 0)
        throw InvalidArgument("into", "is required: the incident this ticket repeats");
      const std::size_t index = incident_index(d.into);
      Incident after = data_.incidents[index];
      if (!may_write_area(actor, after.join.grid_code) && !in_scope(after, actor))
        throw Forbidden("incident " + std::to_string(d.into) + " lies outside " + actor.id +
                        "'s area " + actor.scope);
      // The ticket's reporter follows the case: whoever tells reporters of progress reads them.
      json extra = after.extra.empty() ? json::object() : stored_json<json>(after.extra);
      if (!extra.is_object()) extra = json::object();
      json follower = {{"ticket", t.id}, {"source", t.source}, {"reporter", t.reporter}};
      const json contact = t.extra.empty() ? json() : stored_json<json>(t.extra);
      if (contact.is_object() && contact.contains("contact")) {
        const json& c = contact["contact"];
        if (c.is_object() && c.contains("phone")) follower["phone"] = c["phone"];
      }
      extra["followers"].push_back(std::move(follower));
      after.extra = json_text(extra);
      after.version += 1;
      after.updated_at = now;
      const json detail = {{"ticket", t.id}, {"source", t.source}};
      std::vector<IncidentEvent> events{make_event(after, actor, "merge", after.status,
                                                   after.status, d.note, json_text(detail), now)};
      t.state = "merged";
      t.incident = d.into;
      out.incident = commit_incident(index, std::move(after), std::move(events), &t);
      break;
    }
  }
  out.ticket = t;
  return out;
}

Ticket County::ticket(int64_t id) const {
  auto lock = read();
  auto it = std::lower_bound(tickets_.begin(), tickets_.end(), id,
                             [](const Ticket& x, int64_t v) { return x.id < v; });
  if (it == tickets_.end() || it->id != id)
    throw NotFound("no ticket with id " + std::to_string(id));
  return *it;
}

TicketPage County::tickets(const Actor& actor, const std::string& state, std::size_t limit,
                           std::size_t offset) const {
  auto lock = read();
  TicketPage page;
  for (auto it = tickets_.rbegin(); it != tickets_.rend(); ++it) {
    if (!state.empty() && it->state != state) continue;
    if (!triage::may_see_ticket(actor, *it)) continue;
    if (page.total++ >= offset && page.tickets.size() < limit) page.tickets.push_back(*it);
  }
  return page;
}

std::vector<Ticket> County::tickets_reported_by(const std::string& reporter) const {
  auto lock = read();
  std::vector<Ticket> out;
  for (auto it = tickets_.rbegin(); it != tickets_.rend(); ++it)
    if (!reporter.empty() && it->reporter == reporter) out.push_back(*it);
  return out;
}

}  // namespace onemap::layers
