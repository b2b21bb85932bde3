// A report in the command centre's intake queue (工单准入): held there until a person admits it
// (it becomes an incident, routed as any intake), rejects it as invalid (with a reason) or merges
// it into the incident it repeats (its reporter then follows that case). Reports that need no
// person are routed at once and never become tickets (layers/triage/triage.hpp says which).
#pragma once

#include "layers/model/model.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace onemap::layers {

struct Ticket {
  int64_t id = 0;  ///< assigned by the store, increasing
  int64_t received_at = 0;
  std::string source;  ///< the channel (hotline_12345, petition, sms, open311, …)
  std::string category, description;
  std::string address;             ///< as the reporter gave it ("" when none)
  std::optional<LonLat> location;  ///< where it is, once known
  std::string located_by;          ///< "reporter" (given), "address" (the gazetteer), "centre"
  std::string area;                ///< the grid it lies in, or the area its candidates share
  std::string candidates;          ///< JSON array: the places the address may mean
  std::string duplicates;          ///< JSON array: incidents it may repeat, best first
  std::string waits_for;           ///< JSON array: why it waits (source, unplaced, duplicate)
  std::string reporter;            ///< the user who sent it (personal)
  std::string external_id;         ///< the channel's own ticket number ("" when none)
  std::string extra;               ///< JSON object: contact, media_url… (personal)
  std::string state = "pending";   ///< pending, admitted, rejected, merged
  int64_t incident = 0;            ///< admitted: the incident made of it; merged: its case
  std::string note;                ///< reject: the reason; admit, merge: the centre's note
  std::string decided_by;
  int64_t decided_at = 0;
  int64_t version = 1;  ///< bumped by every change (the ETag)
};

}  // namespace onemap::layers
