// The command centre's intake queue (工单准入和整合流转): which reports wait there, what may be
// decided of a ticket and by whom, and when an address places a report well enough to route it.
//
//   pending ─admit→ admitted   (an incident is made of it and routed; a place must be known)
//   pending ─reject→ rejected  (invalid: a reason is required)
//   pending ─merge→ merged     (into the incident it repeats; its reporter follows that case)
//
// Admitted, rejected and merged are final. Only admitted tickets count as cases: rejected and
// merged ones are counted apart (有效率 and 及时率 are over cases).
#pragma once

#include "layers/dispatch/dispatch_config.hpp"
#include "layers/dispatch/workflow.hpp"
#include "layers/geocode/gazetteer.hpp"
#include "layers/model/ticket.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::triage {

enum class TicketAction { Admit, Reject, Merge };
std::string_view ticket_action_name(TicketAction a);  ///< "admit", "reject", "merge"
/// @throws InvalidArgument("action", …) naming the actions.
TicketAction ticket_action_from_name(std::string_view name);

/// pending, admitted, rejected, merged.
const std::vector<std::string>& ticket_states();
/// @throws InvalidArgument(parameter, …) naming the states.
void check_ticket_state(std::string_view state, const std::string& parameter);

/// Why a report waits for the centre (each of "unplaced", "source", "duplicate"), or nothing:
/// it is routed at once.
std::vector<std::string> reasons_to_wait(const layers::TriageConfig& config,
                                         std::string_view source, bool placed, bool has_duplicates);

/// The candidate an address is placed at without a person: the best one, when it is a house,
/// a place, a group or a road with a confidence of at least kPlaceConfidence, and no other
/// candidate comes within kPlaceMargin of it; else nullopt (the centre picks on the map).
inline constexpr double kPlaceConfidence = 0.75, kPlaceMargin = 0.1;
std::optional<geocode::Candidate> confident_place(
    const std::vector<geocode::Candidate>& candidates);

/// The area the candidates share: the longest code every one's grid (or village, or town) code
/// starts with; "" when they share none.
std::string shared_area(const std::vector<geocode::Candidate>& candidates);

/// Whether `actor` may read the ticket: an admin or an unscoped centre user any; a scoped centre
/// user those whose area lies in its scope (a ticket of no known area only the unscoped).
bool may_see_ticket(const layers::Actor& actor, const layers::Ticket& ticket);
/// @throws Forbidden unless `actor` (an admin or a centre user) may decide the ticket.
void check_may_triage(const layers::Actor& actor, const layers::Ticket& ticket);

}  // namespace onemap::triage
