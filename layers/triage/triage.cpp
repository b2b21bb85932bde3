// The intake queue's rules (triage.hpp).
#include "layers/triage/triage.hpp"

#include "core/errors.hpp"

#include <algorithm>

namespace onemap::triage {

namespace {

constexpr std::string_view kActionNames[] = {"admit", "reject", "merge"};

}  // namespace

std::string_view ticket_action_name(TicketAction a) {
  return kActionNames[static_cast<std::size_t>(a)];
}

TicketAction ticket_action_from_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kActionNames); ++i)
    if (kActionNames[i] == name) return static_cast<TicketAction>(i);
  throw InvalidArgument("action", "unknown action '" + std::string(name) +
                                      "' (a ticket is admitted, rejected or merged)");
}

const std::vector<std::string>& ticket_states() {
  static const std::vector<std::string> states = {"pending", "admitted", "rejected", "merged"};
  return states;
}

void check_ticket_state(std::string_view state, const std::string& parameter) {
  const auto& s = ticket_states();
  if (std::find(s.begin(), s.end(), state) == s.end())
    throw InvalidArgument(parameter, "unknown state '" + std::string(state) +
                                         "' (pending, admitted, rejected or merged)");
}

std::vector<std::string> reasons_to_wait(const layers::TriageConfig& config,
                                         std::string_view source, bool placed,
                                         bool has_duplicates) {
  std::vector<std::string> why;
  if (!placed) why.emplace_back("unplaced");
  if (config.queues_source(source)) why.emplace_back("source");
  if (config.queue_duplicates && has_duplicates) why.emplace_back("duplicate");
  return why;
}

std::optional<geocode::Candidate> confident_place(
    const std::vector<geocode::Candidate>& candidates) {
  if (candidates.empty()) return std::nullopt;
  const geocode::Candidate& best = candidates.front();
  using geocode::Level;
  if (best.level == Level::Town || best.level == Level::Village) return std::nullopt;
  if (best.confidence < kPlaceConfidence) return std::nullopt;
  if (candidates.size() > 1 && candidates[1].confidence > best.confidence - kPlaceMargin)
    return std::nullopt;
  return best;
}

std::string shared_area(const std::vector<geocode::Candidate>& candidates) {
  std::string shared;
  bool first = true;
  for (const auto& c : candidates) {
    const std::string& code = !c.grid_code.empty()      ? c.grid_code
                              : !c.village_code.empty() ? c.village_code
                                                        : c.town_code;
    if (first) {
      shared = code;
      first = false;
      continue;
    }
    std::size_t n = 0;
    while (n < shared.size() && n < code.size() && shared[n] == code[n]) ++n;
    shared.resize(n);
  }
  return shared;
}

bool may_see_ticket(const layers::Actor& actor, const layers::Ticket& ticket) {
  if (actor.role != "admin" && actor.role != "centre" && actor.role != "system") return false;
  return layers::may_write_area(actor, ticket.area);
}

void check_may_triage(const layers::Actor& actor, const layers::Ticket& ticket) {
  layers::check_may_edit(actor);
  layers::check_area(actor, ticket.area, "ticket " + std::to_string(ticket.id));
}

}  // namespace onemap::triage
